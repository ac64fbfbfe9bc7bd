"""Capture what the model's code shows, on the thread that runs it, invisibly to the kernel.

IPython's ``capture_output(display=True)`` swaps ``shell.display_pub`` for a publisher without
ipykernel's ``set_parent``. ipykernel 7 calls ``shell.set_parent`` (display hook, display
publisher, data publisher, ``sys.stdout``/``sys.stderr``) on a subshell's thread whenever a comm
message arrives mid-cell (Stop, a tab's hello, a settings change): with that capture each one
raised ``AttributeError`` there, so Stop never ran and the traceback, logged to fd 2, landed in the
step. These stand-ins keep the running thread's output and pass everything else on: other
threads' writes and displays (a comm handler, the comm's pre/post_execute hooks) go to the
kernel's own objects, and the kernel's parent bookkeeping reaches the objects they replace.
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

# What ipykernel calls on sys.stdout/sys.stderr (if present) from whatever thread a message arrives on.
_STREAM_HOOKS = frozenset({"set_parent", "set_thread_parent", "reset_thread_parent"})


class StepStream(io.TextIOBase):
    """``sys.stdout``/``sys.stderr`` during a step: the owner thread's text is kept, others' passes on."""

    def __init__(self, original: Any, owner: int) -> None:
        super().__init__()
        self._original = original
        self._owner = owner
        self.captured = io.StringIO()  # also the fd watcher's target (fd_capture), whatever its thread

    def __getattr__(self, name: str) -> Any:
        if name in _STREAM_HOOKS and self._original is not None:
            return getattr(self._original, name)  # hasattr() answers as for the kernel's stream
        raise AttributeError(name)

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(getattr(self._original, "encoding", None) or "utf-8")

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if threading.get_ident() == self._owner:
            return self.captured.write(text)
        if self._original is None:
            return len(text)
        written = self._original.write(text)
        return len(text) if written is None else int(written)

    def flush(self) -> None:
        if threading.get_ident() != self._owner and self._original is not None:
            self._original.flush()

    def getvalue(self) -> str:
        return self.captured.getvalue()


class StepDisplayPublisher:
    """``shell.display_pub`` during a step: keeps the owner thread's displays, forwards the rest."""

    def __init__(self, original: Any, owner: int) -> None:
        self._original = original
        self._owner = owner
        self.outputs: list[dict[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        # set_parent, set_thread_parent, session, pub_socket, register_hook...: the kernel's publisher.
        return getattr(self._original, name)

    @property
    def is_publishing(self) -> bool:
        return False if threading.get_ident() == self._owner else bool(getattr(self._original, "is_publishing", False))

    def publish(
        self,
        data: dict[str, Any],
        metadata: dict[str, Any] | None = None,
        *args: Any,
        transient: dict[str, Any] | None = None,
        update: bool = False,
        **kwargs: Any,
    ) -> None:
        if threading.get_ident() != self._owner:
            self._original.publish(data, metadata, *args, transient=transient, update=update, **kwargs)
            return
        self.outputs.append({"data": data, "metadata": metadata, "transient": transient, "update": update})

    def clear_output(self, wait: bool = False) -> None:
        if threading.get_ident() != self._owner:
            self._original.clear_output(wait)
            return
        self.outputs.clear()


@dataclass
class Captured:
    """What the step's own thread wrote and displayed."""

    stdout: StepStream
    stderr: StepStream
    display: StepDisplayPublisher
    results: list[dict[str, Any]] = field(default_factory=list)  # last expressions' values, as execute_result

    @property
    def outputs(self) -> list[dict[str, Any]]:
        return self.display.outputs


@contextmanager
def capture_step(shell: Any, *, store_history: bool = False) -> Iterator[Captured]:
    """Swap the streams, the display publisher and ``sys.displayhook``; restore them all in ``finally``.

    ``store_history``: a last expression's value also goes to ``Out`` and ``_`` (a notebook cell run
    on the model's behalf keeps its place in the history, as the user's own run would).
    """
    owner = threading.get_ident()
    saved_out, saved_err, saved_pub, saved_hook = sys.stdout, sys.stderr, shell.display_pub, sys.displayhook
    captured = Captured(
        StepStream(saved_out, owner), StepStream(saved_err, owner), StepDisplayPublisher(saved_pub, owner)
    )

    def keep_result(value: object) -> None:
        if threading.get_ident() != owner:
            saved_hook(value)
        elif value is not None:
            data, metadata = shell.display_formatter.format(value)
            captured.results.append({"output_type": "execute_result", "data": data, "metadata": metadata})
            if store_history:
                shell.displayhook.update_user_ns(value)
                shell.displayhook.fill_exec_result(value)

    try:
        sys.stdout, sys.stderr = captured.stdout, captured.stderr
        shell.display_pub = captured.display
        sys.displayhook = keep_result
        yield captured
    finally:
        sys.stdout, sys.stderr = saved_out, saved_err
        shell.display_pub = saved_pub
        sys.displayhook = saved_hook
