"""Run code in the live IPython shell: the user's namespace, captured outputs, a real timeout.

Everything patched on the shell is restored in ``finally``. A kernel interrupt during the code
is re-raised as ``KeyboardInterrupt`` (so a user's stop stops the agent loop); a timeout is
delivered the same way by ``SIGALRM`` but reported as a timeout, leaving the kernel usable.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from IPython.utils.capture import capture_output

from .fd_capture import fd_output_into

ExecStatus = Literal["ok", "error", "timeout"]
RUNNING_FLAG = "_k2nb_running_code"  # set on the shell while model code runs (Stop interrupts it)


def interrupt_running_code(shell: Any) -> bool:
    """Interrupt model code running on the main thread, as the kernel's ■ would; False if none runs."""
    if getattr(shell, RUNNING_FLAG, False):
        os.kill(os.getpid(), signal.SIGINT)
        return True
    return False


@dataclass(frozen=True)
class Execution:
    """What one run of tool code produced, as nbformat-style output dicts in order."""

    status: ExecStatus
    outputs: tuple[dict[str, Any], ...]
    seconds: float
    error_name: str | None = None
    exit_requested: bool = False


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


def run_code(shell: Any, code: str, *, timeout: float | None = None) -> Execution:
    """Execute ``code`` in ``shell``'s user namespace without touching ``In``/``Out`` history."""
    error: dict[str, Any] = {}
    exit_requested: list[bool] = []

    def keep_traceback(etype: type, evalue: BaseException, stb: list[str]) -> None:
        # ipykernel would publish the traceback to the cell directly; it belongs in the step.
        error.update(output_type="error", ename=etype.__name__, evalue=str(evalue), traceback=list(stb))

    def refuse_exit(*_args: object, **_kwargs: object) -> None:
        exit_requested.append(True)

    results: list[dict[str, Any]] = []

    def keep_result(value: object) -> None:
        if value is not None:
            data, metadata = shell.display_formatter.format(value)
            results.append({"output_type": "execute_result", "data": data, "metadata": metadata})

    start = time.perf_counter()
    timer = _Timeout(timeout)
    result = None
    # Entering the shell's display trap first keeps the nested run_cell from re-installing
    # the shell's own displayhook (which would print "Out[n]" or publish it to the cell).
    kernel_streams = (sys.stdout, sys.stderr)
    with (
        _patched(shell, "_showtraceback", keep_traceback),
        _patched(shell, "ask_exit", refuse_exit),
        shell.display_trap,
        capture_output(stdout=True, stderr=True, display=True) as captured,
        # Subprocess output (os.system, subprocess.run) belongs to the step too (and gets redacted).
        fd_output_into(kernel_streams, (sys.stdout, sys.stderr)),
    ):
        sys.displayhook = keep_result  # capture_output restores the previous hook on exit
        try:
            with timer, _patched(shell, RUNNING_FLAG, True):
                result = shell.run_cell(code, store_history=False, silent=False)
        except KeyboardInterrupt:
            # Fired between statements outside run_cell's own handler.
            if not timer.fired:
                raise
    seconds = time.perf_counter() - start
    interrupted = result is not None and isinstance(result.error_in_exec, KeyboardInterrupt)
    if interrupted and not timer.fired:
        raise KeyboardInterrupt

    outputs: list[dict[str, Any]] = []
    if captured.stdout:
        outputs.append({"output_type": "stream", "name": "stdout", "text": captured.stdout})
    if captured.stderr:
        outputs.append({"output_type": "stream", "name": "stderr", "text": captured.stderr})
    for item in captured.outputs:
        outputs.append(
            {
                "output_type": "display_data",
                "data": dict(item.data),
                "metadata": dict(item.metadata or {}),
            }
        )
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
        outputs.extend(results)
    return Execution(
        status=status,
        outputs=tuple(outputs),
        seconds=seconds,
        error_name="TimeoutError" if timer.fired else error.get("ename"),
        exit_requested=bool(exit_requested),
    )
