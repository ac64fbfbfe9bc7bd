"""``Agent.events`` / ``Agent.aevents``: a run as an iterator of events, sync or async.

The agent loop is callback-driven, so an iterator needs a second thread. We put only the loop's
HTTP side on a worker and send every tool call back to the consumer's thread: model code must
run on the kernel's main thread (the timeout is SIGALRM, and IPython's shell is not thread-safe),
and that is the thread iterating. The worker hands over ("event", e) and ("call", c) items; the
consumer yields events and executes calls in order, so events keep the loop's order. The sync
and async iterators share all of this and differ only in how they wait for the next item.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from .core.events import Event
from .core.toolbox import ToolOutcome, ToolRunner

# Runs the loop to its end: events go to the consumer, every tool call through the runner.
RunLoop = Callable[[Callable[[Event], None], ToolRunner], None]
Item = tuple[str, Any]
_END = object()


class _Call:
    """A tool call waiting for the consumer's thread to execute it."""

    def __init__(self, thunk: Callable[[], ToolOutcome]) -> None:
        self._thunk = thunk
        self._done = threading.Event()
        self._outcome: ToolOutcome | None = None
        self._error: BaseException | None = None

    def execute(self) -> None:
        try:
            self._outcome = self._thunk()
        except BaseException as error:  # re-raised on the worker, where the loop handles it
            self._error = error
        self._done.set()

    def cancel(self) -> None:
        if not self._done.is_set():
            self._error = KeyboardInterrupt()  # the loop reads this as "stopped by the user"
            self._done.set()

    def wait(self) -> ToolOutcome:
        self._done.wait()
        if self._error is not None:
            raise self._error
        assert self._outcome is not None
        return self._outcome


class EventStream:
    """One run as an iterator: ``run`` drives the loop on a worker thread, ``stop`` ends it early."""

    def __init__(self, run: RunLoop, stop: Callable[[], None]) -> None:
        self._run = run
        self._stop = stop
        self._calls: list[_Call] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def _start(self, put: Callable[[Item], None]) -> None:
        def runner(thunk: Callable[[], ToolOutcome]) -> ToolOutcome:
            call = _Call(thunk)
            with self._lock:
                self._calls.append(call)
            put(("call", call))
            return call.wait()

        def work() -> None:
            try:
                self._run(lambda event: put(("event", event)), runner)
            except BaseException as error:  # e.g. a ConfigError: raised again in the consumer
                put(("error", error))
            else:
                put(("end", None))

        self._thread = threading.Thread(target=work, name="k2nb-events", daemon=True)
        self._thread.start()

    def _handle(self, item: Item) -> Any:
        kind, payload = item
        if kind == "event":
            return payload
        if kind == "call":
            payload.execute()
            return None
        if kind == "error":
            raise payload
        return _END

    def _close(self) -> None:
        thread = self._thread
        if thread is None or not thread.is_alive():
            return
        self._stop()  # the consumer left early: stop the loop, answer waiting calls
        with self._lock:
            for call in self._calls:
                call.cancel()
        thread.join(timeout=30)

    def sync(self) -> Iterator[Event]:
        items: queue.Queue[Item] = queue.Queue()
        self._start(items.put)
        try:
            while True:
                try:
                    item = items.get(timeout=0.1)  # short waits keep the kernel's interrupt deliverable
                except queue.Empty:
                    continue
                except KeyboardInterrupt:
                    self._stop()  # the loop ends with status "stopped"; keep yielding until then
                    continue
                result = self._handle(item)
                if result is _END:
                    return
                if result is not None:
                    yield result
        finally:
            self._close()

    async def asynchronous(self) -> AsyncIterator[Event]:
        loop = asyncio.get_running_loop()
        items: asyncio.Queue[Item] = asyncio.Queue()

        def put(item: Item) -> None:
            loop.call_soon_threadsafe(items.put_nowait, item)

        self._start(put)
        try:
            while True:
                result = self._handle(await items.get())
                if result is _END:
                    return
                if result is not None:
                    yield result
        finally:
            self._close()


__all__ = ["EventStream", "RunLoop"]
