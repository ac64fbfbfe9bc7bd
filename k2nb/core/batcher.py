"""The one append batcher: a run's view operations go out in batches at a bounded rate.

Both the live view (``ui/live.py``) and the cells (``notebook/cells.py``) stream text as
appends. Consecutive appends to one target merge, so a batch never carries a token per op, and
a batch goes out by the :class:`Cadence`'s rule. The clock and the timer are injectable so tests
can drive them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Op = dict[str, Any]


@dataclass(frozen=True)
class Cadence:
    """When a batch of ops goes out.

    Every message costs ~500 bytes of Jupyter envelope, so a batch waits until it holds enough
    text to be worth one (``batch_chars``) — but never longer than ``max_delay``, and batches are
    never closer than ``min_interval``. Fast streams thus send four large batches a second and a
    200 tok/s stream one every two seconds; the widget spreads each batch's text over the gap
    until the next, so it flows rather than jumps. A new lane's first words go out after
    ``min_interval`` (the view answers at once when thinking or an answer starts), and
    structural ops (tools, approvals, the end) go out immediately.
    """

    min_interval: float = 0.25
    max_delay: float = 2.0
    batch_chars: int = 2048


DEFAULT_CADENCE = Cadence()


class AppendBatcher:
    """Collects ops and sends them in order, in batches, by a :class:`Cadence`.

    An op named ``append_op`` (with ``id`` and ``text``) merges into the op before it when that
    appends to the same ``id``. ``urgent`` ops go out at once with the batch before them; a
    ``soon`` op makes the batch due ``min_interval`` after the last one. ``schedule(delay, fn)``
    (a timer) sends a due batch when nothing else arrives; without one, it waits for the next op
    or :meth:`flush`.
    """

    def __init__(
        self,
        send: Callable[[list[Op]], None],
        cadence: Cadence = DEFAULT_CADENCE,
        *,
        append_op: str = "append",
        clock: Callable[[], float] = time.monotonic,
        schedule: Callable[[float, Callable[[], None]], object] | None = None,
    ) -> None:
        self._send = send
        self._cadence = cadence
        self._append_op = append_op
        self._clock = clock
        self._schedule = schedule
        self._lock = threading.RLock()
        self._armed = False
        self._pending: list[Op] = []
        self._pending_chars = 0
        self._pending_soon = False
        self._pending_since = 0.0
        self._last_flush = clock()

    def add(self, op: Op, *, urgent: bool = False, soon: bool = False) -> None:
        with self._lock:
            now = self._clock()
            if not self._pending:
                self._pending_since = now
            last = self._pending[-1] if self._pending else None
            if op["op"] == self._append_op and last and last["op"] == self._append_op and last["id"] == op["id"]:
                last["text"] += op["text"]
            else:
                self._pending.append(op)
            self._pending_chars += len(op.get("text", "")) + len(op.get("html", ""))
            self._pending_soon = self._pending_soon or soon
            wait = 0.0 if urgent else self._wait(now)
            arm = wait > 0 and self._schedule is not None and not self._armed
            self._armed = self._armed or arm
        if wait <= 0:
            self.flush()
        elif arm and self._schedule is not None:
            # A pause in the stream must not strand the last deltas: flush them when they are due.
            self._schedule(max(wait, 0.005), self._deferred_flush)

    def _wait(self, now: float) -> float:
        """Seconds until the pending batch is due (0: now), if nothing else arrives."""
        c = self._cadence
        gap = c.min_interval - (now - self._last_flush)
        if self._pending_chars >= c.batch_chars or self._pending_soon:
            return gap
        return max(gap, c.max_delay - (now - self._pending_since))

    def _deferred_flush(self) -> None:
        with self._lock:
            self._armed = False
            if not self._pending:
                return
            now = self._clock()
            # A regular flush since the timer was armed already sent a batch; wait for this one's turn.
            remaining = self._wait(now)
            if remaining > 0.005 and self._schedule is not None:
                self._armed = True
                self._schedule(remaining, self._deferred_flush)
                return
        self.flush()

    def flush(self) -> None:
        # Sending under the lock keeps batches in order when the deferred flush runs on a timer thread.
        with self._lock:
            if self._pending:
                ops, self._pending = self._pending, []
                self._pending_chars = 0
                self._pending_soon = False
                self._send(ops)
            self._last_flush = self._clock()
