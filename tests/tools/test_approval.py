"""k2nb/tools/approval.py: the approval policy, the stdin and button approvers, and how long the user took."""

from __future__ import annotations

import threading
import time

import pytest
from IPython.core.error import StdinNotImplementedError

from k2nb.core.events import ApprovalDecided, ApprovalNeeded, Event
from k2nb.core.transcript import ALWAYS
from k2nb.errors import RunStopped
from k2nb.tools.approval import (
    HEADLESS_HINT,
    ApprovalPolicy,
    ApprovalRequest,
    ButtonApprover,
    RoutingApprover,
    StdinApprover,
    Verdict,
)
from tests.harness.runs import CALL


def test_ask_measures_the_users_answer_only_when_asked() -> None:
    events: list[Event] = []
    request = ApprovalRequest(CALL, "code_interpreter", "x = 1", 1)

    def slow_user(request: ApprovalRequest) -> Verdict:
        time.sleep(0.3)
        return Verdict("run", request.code)

    verdict = ApprovalPolicy("ask").ask(request, slow_user, events.append)
    assert verdict.decision == "run"
    assert [type(e).__name__ for e in events] == ["ApprovalNeeded", "ApprovalDecided"]
    decided = events[-1]
    assert isinstance(decided, ApprovalDecided) and decided.waited >= 0.3
    events.clear()
    ApprovalPolicy("auto").ask(request, slow_user, events.append)
    assert [type(e).__name__ for e in events] == ["ApprovalDecided"]
    assert isinstance(events[0], ApprovalDecided) and events[0].waited == 0.0


def test_always_is_remembered_as_such_until_the_user_sets_a_mode() -> None:
    policy = ApprovalPolicy("ask")
    request = ApprovalRequest(CALL, "code_interpreter", "x = 1", 1)
    policy.decide(request, lambda request: Verdict("always", request.code))
    assert (policy.mode, policy.label) == ("auto", ALWAYS)
    policy.mode = "ask"  # "ask again" or `%k2 approve ask`
    assert (policy.mode, policy.label) == ("ask", "ask")
    configured = ApprovalPolicy("auto")  # --approve auto is the user's setting, not "Always"
    assert configured.label == "auto"


REQUEST = ApprovalRequest(call_id="c1", tool="code_interpreter", code="import os", step=2)


class Script:
    """A scripted ``read``: returns answers in order, or raises an exception given as answer."""

    def __init__(self, *answers: str | BaseException) -> None:
        self.answers = list(answers)
        self.prompts: list[str] = []

    def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


def never_asked(request: ApprovalRequest) -> Verdict:
    raise AssertionError("the user must not be asked")


def test_policy_auto_and_never_do_not_ask() -> None:
    assert ApprovalPolicy("auto").decide(REQUEST, never_asked) == Verdict("auto", "import os")
    verdict = ApprovalPolicy("never").decide(REQUEST, never_asked)
    assert verdict.decision == "declined"
    assert not verdict.runs
    assert "--approve ask" in verdict.reason


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (("r",), Verdict("run", "import os")),
        ((" YES ",), Verdict("run", "import os")),
        (("s", "too risky"), Verdict("skip", "import os", "too risky")),
        (("n", ""), Verdict("skip", "import os", "")),
        (("e", "import sys", "print(1)", "."), Verdict("edit", "import sys\nprint(1)")),
        (("e", "."), Verdict("edit", "import os")),  # empty edit keeps the code
        (("what?", "", "run"), Verdict("run", "import os")),
    ],
)
def test_stdin_approver_answers(answers: tuple[str, ...], expected: Verdict) -> None:
    shown: list[str] = []
    read = Script(*answers)
    verdict = ApprovalPolicy("ask").decide(REQUEST, StdinApprover(read=read, show=shown.append))
    assert verdict == expected
    assert "run this code_interpreter code (step 2)?" in read.prompts[0]
    assert not read.answers
    if answers[0] == "what?":
        assert shown == ["Please answer r, e, s or a."] * 2


def test_always_switches_the_session_to_auto() -> None:
    policy = ApprovalPolicy("ask")
    verdict = policy.decide(REQUEST, StdinApprover(read=Script("a"), show=lambda _: None))
    assert verdict == Verdict("always", "import os")
    assert verdict.runs
    assert policy.mode == "auto"
    assert policy.decide(REQUEST, never_asked).decision == "auto"


@pytest.mark.parametrize(
    "failure",
    [EOFError(), StdinNotImplementedError("this frontend does not support input requests")],
    ids=["EOF", "StdinNotImplementedError"],
)
@pytest.mark.parametrize("at", [0, 1], ids=["at-prompt", "during-edit"])
def test_nobody_to_ask_declines_with_the_auto_hint(failure: BaseException, at: int) -> None:
    answers: list[str | BaseException] = ["e", failure] if at else [failure]
    policy = ApprovalPolicy("ask")
    verdict = policy.decide(REQUEST, StdinApprover(read=Script(*answers), show=lambda _: None))
    assert verdict.decision == "declined"
    assert verdict.reason == HEADLESS_HINT
    assert "--approve auto" in verdict.reason
    assert policy.mode == "ask"


def test_other_read_errors_propagate() -> None:
    approver = StdinApprover(read=Script(OSError("terminal gone")), show=lambda _: None)
    with pytest.raises(OSError, match="terminal gone"):
        ApprovalPolicy("ask").decide(REQUEST, approver)


def _request(call_id: str = "code_interpreter:0") -> ApprovalRequest:
    return ApprovalRequest(call_id, "code_interpreter", "print(1)", 1)


def test_a_click_relayed_from_another_thread_answers_the_waiting_call() -> None:
    approver = ButtonApprover(threading.Event())

    def click() -> None:
        time.sleep(0.1)
        approver.deliver({"call_id": "other", "decision": "run"})  # stale: another call
        approver.deliver({"call_id": "code_interpreter:0", "decision": "approve-everything"})  # not a decision
        approver.deliver({"call_id": "code_interpreter:0", "decision": "edit", "code": "print(2)"})

    threading.Thread(target=click).start()
    verdict = approver(_request())
    assert verdict == Verdict("edit", "print(2)", "")


def test_a_click_that_comes_as_soon_as_the_question_shows_is_not_lost() -> None:
    """The page may answer before the run waits (a fast tab, a busy kernel thread): the question is open from
    the moment it is shown. A stale click from before it was shown still answers nothing."""
    stop = threading.Event()
    buttons = ButtonApprover(stop)
    router = RoutingApprover(lambda: True, buttons, StdinApprover())
    buttons.deliver({"call_id": "c:1", "decision": "run"})  # before the question: stale, dropped

    def page_answers_at_once(event: Event) -> None:
        if isinstance(event, ApprovalNeeded):
            buttons.deliver({"call_id": event.call_id, "decision": "edit", "code": "print(3)"})

    timer = threading.Timer(5, stop.set)  # were the click lost, the wait would end here instead
    timer.start()
    try:
        verdict = ApprovalPolicy("ask").ask(_request("c:1"), router, page_answers_at_once)
    finally:
        timer.cancel()
    assert verdict == Verdict("edit", "print(3)", "")
    buttons.deliver({"call_id": "c:1", "decision": "run"})  # a second click: the question is closed
    threading.Timer(0.3, stop.set).start()
    with pytest.raises(RunStopped):
        buttons(_request("c:1"))


def test_skip_carries_the_users_reason_and_stop_ends_the_wait() -> None:
    stop = threading.Event()
    approver = ButtonApprover(stop)
    skip = {"call_id": "c:1", "decision": "skip", "reason": "too slow"}
    threading.Timer(0.05, approver.deliver, args=(skip,)).start()
    assert approver(_request("c:1")) == Verdict("skip", "print(1)", "too slow")
    threading.Timer(0.05, stop.set).start()
    with pytest.raises(RunStopped):
        approver(_request("c:2"))


def test_routing_uses_stdin_when_no_frontend_is_connected() -> None:
    connected = [False]
    buttons = ButtonApprover(threading.Event())
    router = RoutingApprover(lambda: connected[0], buttons, lambda request: Verdict("run", request.code))
    assert router.channel == "stdin"
    assert router(_request()).decision == "run"
    connected[0] = True
    assert router.channel == "buttons"
