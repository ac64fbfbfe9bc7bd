"""Run code in the live IPython shell: the user's namespace, captured outputs, a real timeout.

Everything patched on the shell is restored in ``finally``. A kernel interrupt or the Stop button
during the code raises :class:`CodeStopped` (a ``KeyboardInterrupt``, so the agent loop stops)
with what the code showed until then; a timeout is delivered by ``SIGALRM`` and reported as a
timeout, leaving the kernel usable.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from .fd_capture import fd_output_into
from .step_capture import Captured, capture_step

ExecStatus = Literal["ok", "error", "timeout"]
RUNNING_FLAG = "_k2nb_running_code"  # the shell's _Running while model code runs (Stop interrupts it)
LATE_SIGNAL_SECONDS = 1.0  # at most this long waiting, as the code ends, for a Stop signal already sent


def interrupt_running_code(shell: Any) -> bool:
    """Interrupt model code running on the main thread, as the kernel's ■ would; False if none runs.

    Safe from any thread (Stop arrives on the comm's subshell thread)."""
    running = getattr(shell, RUNNING_FLAG, None)
    return running.interrupt() if isinstance(running, _Running) else False


class CodeStopped(KeyboardInterrupt):
    """The user stopped the code (Stop or the kernel's ■); it carries what the code showed until then."""

    def __init__(self, outputs: tuple[dict[str, Any], ...] = (), seconds: float = 0.0) -> None:
        super().__init__("stopped by the user")
        self.outputs, self.seconds = outputs, seconds


@dataclass(frozen=True)
class CodeResult:
    """What one run of tool code produced, as nbformat-style output dicts in order."""

    status: ExecStatus
    outputs: tuple[dict[str, Any], ...]
    seconds: float
    error_name: str | None = None
    exit_requested: bool = False
    execution_count: int | None = None  # its number in In/Out (runs that keep their place in the history)


class _Timeout:
    """Arms SIGALRM on the main thread; without it (API use from a thread) there is no timeout."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.fired = False
        self._previous: Any = None
        self._armed = False

    def _on_alarm(self, _signum: int, _frame: object) -> None:
        self.fired = True
        raise KeyboardInterrupt

    def __enter__(self) -> _Timeout:
        if self.seconds and self.seconds > 0 and threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGALRM, self._on_alarm)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self._armed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)


class _Running:
    """Model code on the main thread, which Stop (from any thread) interrupts with SIGINT.

    The signal goes to the main thread itself (``pthread_kill``), so a blocking call such as
    ``time.sleep`` returns at once, and a Python loop or chunked numpy stops at its next bytecode.
    Stop signals once, under the lock that also ends the code's window; a signal still in flight
    as the code ends is waited for and noted as ``late`` (``run_code`` raises it once everything
    is restored), so it does not land in k2nb's own code. Off the main thread (API use from a
    thread) nothing is signalled; the loop stops at its next check instead.
    """

    def __init__(self, stop: threading.Event | None) -> None:
        self._stop = stop
        self._lock = threading.Lock()
        self._active = self._sent = self._delivered = self._armed = False
        self.late = False
        self._previous: Any = None

    def _on_sigint(self, _signum: int, _frame: object) -> None:
        self._delivered = True
        if self._active:
            raise KeyboardInterrupt
        self.late = True  # Stop (or the kernel's ■) as the code ended: still a stop

    def start(self) -> None:
        """Open the window in which Stop interrupts; raises KeyboardInterrupt if already stopped."""
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)
            self._armed = True
        with self._lock:
            self._active = not (self.late or (self._stop is not None and self._stop.is_set()))
        if not self._active:  # stopped before the code started: it does not run
            raise KeyboardInterrupt

    def interrupt(self) -> bool:
        with self._lock:
            if not (self._active and self._armed):
                return False
            if not self._sent:  # once: a second signal could land outside the code
                self._sent = True
                signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
            return True

    def close(self) -> None:
        """End the window and put the kernel's SIGINT handler back (idempotent)."""
        with self._lock:
            self._active = False
        deadline = time.monotonic() + LATE_SIGNAL_SECONDS
        while self._sent and not self._delivered and time.monotonic() < deadline:
            time.sleep(0.002)  # the handler runs here (inactive now: it only notes the stop)
        if self._armed:
            signal.signal(signal.SIGINT, self._previous)
            self._armed = False


@contextmanager
def _patched(obj: Any, name: str, value: Any) -> Iterator[None]:
    had = name in vars(obj)
    old = vars(obj).get(name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        if had:
            setattr(obj, name, old)
        else:
            delattr(obj, name)


@contextmanager
def _own_history_number(shell: Any) -> Iterator[None]:
    """Give a run inside the running cell its own In/Out number, and keep ``In`` aligned with the count.

    The running (``%%k2``) cell took its number when it started; the run inside it takes the next
    one. The running cell ends after it, and its execute reply reports the number before the
    shell's count (ipykernel): so its input is stored once more under a number of its own, and it
    ends showing that number rather than the inner run's. IPython 9 counts a cell when it starts,
    IPython 8 when it ends: both are handled.
    """
    history = getattr(shell, "history_manager", None)
    if getattr(shell, "kernel", None) is None or history is None or not history.input_hist_parsed:
        yield  # not inside a notebook cell (a script's shell): the run simply takes the next number
        return
    parsed, raw = history.input_hist_parsed, history.input_hist_raw
    outer = (parsed[-1], raw[-1])
    counted = len(parsed) == shell.execution_count  # IPython 9: the running cell is counted already
    if not counted:
        shell.execution_count += 1  # IPython 8: its number is still the count; the run takes the next
    try:
        yield
    finally:
        history.store_inputs(shell.execution_count, *outer)
        if counted:
            shell.execution_count += 1


def run_code(
    shell: Any,
    code: str,
    *,
    timeout: float | None = None,
    stop: threading.Event | None = None,
    store_history: bool = False,
    cell_id: str | None = None,
) -> CodeResult:
    """Execute ``code`` in ``shell``'s user namespace, by default without touching ``In``/``Out`` history.

    ``store_history``: run it as a notebook cell would run (``cell_id``): with an execution count,
    ``In``/``Out`` entries and the shell's post-run hooks told which cell it was.
    Raises :class:`CodeStopped` when the user stops it (or ``stop`` is already set: then it does not run).
    """
    error: dict[str, Any] = {}
    exit_requested: list[bool] = []

    def keep_traceback(etype: type, evalue: BaseException, stb: list[str]) -> None:
        # ipykernel would publish the traceback to the cell directly; it belongs in the step.
        error.update(output_type="error", ename=etype.__name__, evalue=str(evalue), traceback=list(stb))

    def refuse_exit(*_args: object, **_kwargs: object) -> None:
        exit_requested.append(True)

    start = time.perf_counter()
    timer = _Timeout(timeout)
    running = _Running(stop)
    result = None
    stopped = False
    # Entering the shell's display trap first keeps the nested run_cell from re-installing
    # the shell's own displayhook (which would print "Out[n]" or publish it to the cell).
    kernel_streams = (sys.stdout, sys.stderr)
    numbered = _own_history_number(shell) if store_history else contextlib.nullcontext()
    with (
        _patched(shell, "_showtraceback", keep_traceback),
        _patched(shell, "ask_exit", refuse_exit),
        shell.display_trap,
        capture_step(shell, store_history=store_history) as captured,
        # Subprocess output (os.system, subprocess.run) belongs to the step too (and gets redacted).
        fd_output_into(kernel_streams, (captured.stdout.captured, captured.stderr.captured)),
    ):
        try:
            with timer, _patched(shell, RUNNING_FLAG, running):
                try:
                    running.start()
                    with numbered:
                        which = {"cell_id": cell_id} if cell_id else {}  # the post-run hooks learn the cell
                        result = shell.run_cell(code, store_history=store_history, silent=False, **which)
                finally:
                    running.close()
        except KeyboardInterrupt:
            # Fired outside run_cell's own handler (or before the code started).
            stopped = not timer.fired
        finally:
            running.close()  # again, in case the stop landed on the first one's way in
    seconds = time.perf_counter() - start
    outputs = _shown(captured)
    interrupted = result is not None and isinstance(result.error_in_exec, KeyboardInterrupt)
    if (stopped or interrupted or running.late) and not timer.fired:
        raise CodeStopped(tuple(outputs), seconds)

    status: ExecStatus = "ok"
    if timer.fired:
        status = "timeout"
        outputs.append(
            {
                "output_type": "error",
                "ename": "TimeoutError",
                "evalue": f"interrupted after {timeout:g} s",
                "traceback": [f"TimeoutError: the code ran longer than {timeout:g} s and was interrupted"],
            }
        )
    elif error:
        status = "error"
        outputs.append(error)
    elif result is not None and result.error_before_exec is not None:
        status = "error"
        err = result.error_before_exec
        outputs.append(
            {
                "output_type": "error",
                "ename": type(err).__name__,
                "evalue": str(err),
                "traceback": [str(err)],
            }
        )
    if status == "ok":
        outputs.extend(captured.results)
    return CodeResult(
        status=status,
        outputs=tuple(outputs),
        seconds=seconds,
        error_name="TimeoutError" if timer.fired else error.get("ename"),
        exit_requested=bool(exit_requested),
        execution_count=getattr(result, "execution_count", None) if store_history else None,
    )


def _shown(captured: Captured) -> list[dict[str, Any]]:
    """The step's streams and displays as nbformat-style outputs (last values are added on success)."""
    outputs: list[dict[str, Any]] = []
    for name, stream in (("stdout", captured.stdout), ("stderr", captured.stderr)):
        if text := stream.getvalue():
            outputs.append({"output_type": "stream", "name": name, "text": text})
    for item in captured.outputs:
        outputs.append(
            {"output_type": "display_data", "data": dict(item["data"]), "metadata": dict(item["metadata"] or {})}
        )
    return outputs
