"""k2nb/tools/presenter.py: who says "next" in presenter mode — the live view's button (relayed), or stdin."""

from __future__ import annotations

import threading
import time

import pytest
from IPython.core.error import StdinNotImplementedError

from k2nb.core.events import Event, StepPaused, StepResumed
from k2nb.core.pause import PauseRequest, StepGate
from k2nb.errors import RunStopped
from k2nb.tools.presenter import ButtonPacer, RoutingPacer, StdinPacer

STEP_2 = PauseRequest("run1", 2)


def press_later(pacer: ButtonPacer, message: dict[str, object], after: float = 0.2) -> threading.Thread:
    """Deliver ``message`` from another thread, as the comm's subshell does."""

    def deliver() -> None:
        time.sleep(after)
        pacer.deliver(message)

    thread = threading.Thread(target=deliver)
    thread.start()
    return thread


def test_the_button_releases_only_the_pause_it_names() -> None:
    pacer = ButtonPacer(threading.Event())
    pacer.deliver({"kind": "next", "pause_id": STEP_2.pause_id})  # early: nobody waits yet, so it is dropped
    stale = press_later(pacer, {"kind": "next", "pause_id": "run1:1"}, after=0.1)  # a late press of step 1
    right = press_later(pacer, {"kind": "next", "pause_id": STEP_2.pause_id}, after=0.6)
    started = time.monotonic()
    assert pacer(STEP_2) is True
    assert time.monotonic() - started >= 0.5  # neither the early nor the stale press released it
    stale.join()
    right.join()


def test_two_presses_of_one_pause_release_one_step() -> None:
    pacer = ButtonPacer(threading.Event())
    double = press_later(pacer, {"pause_id": STEP_2.pause_id})
    second = press_later(pacer, {"pause_id": STEP_2.pause_id}, after=0.25)
    assert pacer(STEP_2) is True
    double.join()
    second.join()
    step_3 = PauseRequest("run1", 3)
    later = press_later(pacer, {"pause_id": step_3.pause_id}, after=0.5)
    started = time.monotonic()
    assert pacer(step_3) is True  # the second press of step 2 did not carry over to step 3
    assert time.monotonic() - started >= 0.4
    later.join()


def test_stop_ends_the_wait() -> None:
    stop = threading.Event()
    pacer = ButtonPacer(stop)
    timer = threading.Timer(0.2, stop.set)
    timer.start()
    started = time.monotonic()
    with pytest.raises(RunStopped):
        pacer(STEP_2)
    assert time.monotonic() - started < 2
    timer.join()


def test_stdin_waits_for_enter_and_names_the_step() -> None:
    prompts: list[str] = []
    assert StdinPacer(read=lambda prompt: prompts.append(prompt) or "")(STEP_2) is True
    assert prompts == ["k2nb presenter mode: press Enter for step 2 "]


@pytest.mark.parametrize(
    "missing",
    [EOFError(), StdinNotImplementedError("this frontend does not support input requests")],
    ids=["EOF", "StdinNotImplementedError"],
)
def test_without_stdin_nobody_can_press(missing: Exception) -> None:
    def read(prompt: str) -> str:
        raise missing

    assert StdinPacer(read=read)(STEP_2) is False


def test_routing_takes_the_button_while_a_tab_is_linked() -> None:
    linked = True
    buttons = ButtonPacer(threading.Event())
    asked: list[int] = []

    def on_stdin(prompt: str) -> str:
        asked.append(1)
        return ""

    pacer = RoutingPacer(lambda: linked, buttons, StdinPacer(read=on_stdin))
    assert pacer.channel == "buttons"
    thread = press_later(buttons, {"pause_id": STEP_2.pause_id})
    assert pacer(STEP_2) is True and asked == []
    thread.join()
    linked = False
    assert pacer.channel == "stdin"
    assert pacer(STEP_2) is True and asked == [1]


def test_a_press_as_soon_as_next_shows_is_not_lost() -> None:
    """A fast tab may press before the run waits: the pause is open from the moment Next ▶ shows.
    An early press from before it showed still releases nothing."""
    stop = threading.Event()
    buttons = ButtonPacer(stop)
    gate = StepGate(RoutingPacer(lambda: True, buttons, StdinPacer(read=lambda prompt: "")))
    buttons.deliver({"pause_id": STEP_2.pause_id})  # before the pause: dropped
    seen: list[Event] = []

    def page_presses_at_once(event: Event) -> None:
        seen.append(event)
        if isinstance(event, StepPaused):
            buttons.deliver({"pause_id": event.pause_id})

    timer = threading.Timer(5, stop.set)  # were the press lost, the wait would end here instead
    timer.start()
    try:
        gate("run1", 2, page_presses_at_once)
    finally:
        timer.cancel()
    assert [type(e) for e in seen] == [StepPaused, StepResumed]
    threading.Timer(0.3, stop.set).start()
    with pytest.raises(RunStopped):  # the pause is closed: a second press is not kept for later
        buttons(STEP_2)
