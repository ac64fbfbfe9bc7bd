"""Presenter mode's pause: before each step the run waits for the user's "next", and sends nothing meanwhile.

The loop calls a :class:`StepGate` before each model request. Who ends a pause, and where, is a
:class:`Pacer` at the edge (the live view's Next ▶ relayed by the labextension, or stdin: see
``k2nb/tools/presenter.py``), as an approval has its approver. Nothing here touches a kernel or a view.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from .events import Event, Notice, StepPaused, StepResumed
from .page_answers import opened_before_shown

PauseChannel = Literal["buttons", "stdin"]  # the live view's Next ▶ button, or a stdin prompt

NOBODY_TO_PRESS = (
    "presenter mode: nobody can press Next here (no labextension and no stdin, e.g. a headless run), "
    "so this run goes on without pausing."
)


@dataclass(frozen=True)
class PauseRequest:
    run_id: str
    step: int  # the step that waits

    @property
    def pause_id(self) -> str:
        return f"{self.run_id}:{self.step}"


class Pacer(Protocol):
    """Who says "next", and where. ``__call__`` returns True once the user has, False when nobody
    can (no stdin: a headless run); a stop (Stop, the kernel's interrupt) raises out of it."""

    @property
    def channel(self) -> PauseChannel: ...

    def __call__(self, request: PauseRequest) -> bool: ...


class StepGate:
    """Presenter mode for one run: a pause before each step, until the user says next.

    Where nobody can answer, the first pause says so and the run goes on unpaused.
    """

    def __init__(self, pacer: Pacer, clock: Callable[[], float] = time.perf_counter) -> None:
        self._pacer = pacer
        self._clock = clock
        self._pausing = True

    def __call__(self, run_id: str, step: int, emit: Callable[[Event], None]) -> None:
        if not self._pausing:
            return
        request = PauseRequest(run_id, step)
        pressed = False
        with opened_before_shown(self._pacer, request.pause_id):  # a press as soon as Next ▶ shows counts
            emit(StepPaused(step, request.pause_id, self._pacer.channel))
            started = self._clock()
            try:
                pressed = self._pacer(request)
            finally:  # also when stopped while paused: the views take the Next button away
                emit(StepResumed(step, request.pause_id, self._clock() - started))
        if not pressed:
            self._pausing = False
            emit(Notice("info", NOBODY_TO_PRESS))
