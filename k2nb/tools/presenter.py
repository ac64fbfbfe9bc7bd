"""Presenter mode's Next ▶: who ends the pause before each step — the live view's button, or stdin.

The pause itself is the loop's (``core/pause.py``). Like an approval, the answer comes only from the
user: a click (or → / Space) in the live view, relayed by the labextension over the ``k2nb`` comm
while the cell runs, or Enter at a stdin prompt where there is no labextension (VS Code, Colab,
terminal IPython). Where neither exists (a headless run) the pacer says nobody can, and the gate goes on unpaused.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager

from ..core.pause import Pacer, PauseChannel, PauseRequest
from .approval import Clicks, Unanswerable, kernel_input, read_stdin

__all__ = ["ButtonPacer", "RoutingPacer", "StdinPacer"]


class StdinPacer:
    """Asks for Enter on stdin; False (no pause) where the frontend has no stdin."""

    channel: PauseChannel = "stdin"

    def __init__(self, read: Callable[[str], str] = kernel_input) -> None:
        self._read = read

    def __call__(self, request: PauseRequest) -> bool:
        try:
            read_stdin(self._read, f"k2nb presenter mode: press Enter for step {request.step} ")
        except Unanswerable:
            return False
        return True


class ButtonPacer:
    """Waits for Next ▶ in the live view: ``{kind: "next", pause_id}`` from the labextension.

    ``deliver`` runs on the comm's (subshell) thread. A press names its pause, so a repeated or late
    one (a double click, a key held down, a tab that lagged) never releases a later step.
    """

    channel: PauseChannel = "buttons"

    def __init__(self, stop: threading.Event) -> None:
        self._clicks: Clicks[bool] = Clicks(stop)

    def deliver(self, message: dict[str, object]) -> None:
        self._clicks.deliver(str(message.get("pause_id", "")), True)

    def expecting(self, key: str) -> AbstractContextManager[None]:
        return self._clicks.expecting(key)

    def __call__(self, request: PauseRequest) -> bool:
        return self._clicks.wait(request.pause_id)


class RoutingPacer:
    """The button where a tab with the labextension is connected; stdin otherwise."""

    def __init__(self, connected: Callable[[], bool], buttons: ButtonPacer, fallback: Pacer) -> None:
        self._connected = connected
        self._buttons = buttons
        self._fallback = fallback

    @property
    def channel(self) -> PauseChannel:
        return self._buttons.channel if self._connected() else self._fallback.channel

    def expecting(self, key: str) -> AbstractContextManager[None]:
        return self._buttons.expecting(key) if self._connected() else contextlib.nullcontext()

    def __call__(self, request: PauseRequest) -> bool:
        return self._buttons(request) if self._connected() else self._fallback(request)
