"""One ``ask`` on the approval policy: the events it emits, the verdict it returns, the channel the
approver declares, and each approval titled with its own tool's name (the live view used to call
every approval "code_interpreter", a ``@k2nb.tool`` function's too)."""

from __future__ import annotations

import json
import threading
from typing import Any

from k2nb.api import Agent
from k2nb.core.events import ApprovalDecided, ApprovalNeeded, Event
from k2nb.tools.approval import (
    HEADLESS_HINT,
    ApprovalPolicy,
    ApprovalRequest,
    ButtonApprover,
    RoutingApprover,
    StdinApprover,
    Unanswerable,
    Verdict,
)
from k2nb.tools.user import tool
from k2nb.ui.live import LiveOps
from k2nb.ui.live_codec import Op
from k2nb.ui.static import render_html

CALL = "flag_rows:0"
CODE = "flag_rows(column='amount')"


def _request() -> ApprovalRequest:
    return ApprovalRequest(CALL, "flag_rows", CODE, 2)


def _stdin(*answers: str, prompts: list[str] | None = None) -> StdinApprover:
    queue = list(answers)

    def read(prompt: str) -> str:
        (prompts if prompts is not None else []).append(prompt)
        return queue.pop(0)

    return StdinApprover(read=read, show=lambda _text: None)


def test_asking_emits_the_question_and_the_answer_titled_with_the_tool() -> None:
    events: list[Event] = []
    prompts: list[str] = []
    verdict = ApprovalPolicy("ask").ask(_request(), _stdin("r", prompts=prompts), events.append)
    assert verdict == Verdict("run", CODE) and verdict.runs
    assert events[0] == ApprovalNeeded(2, CALL, CODE, channel="stdin", tool="flag_rows")
    decided = events[1]
    assert isinstance(decided, ApprovalDecided) and len(events) == 2
    assert (decided.tool, decided.decision, decided.code, decided.step) == ("flag_rows", "run", CODE, 2)
    assert "run this flag_rows code (step 2)?" in prompts[0]


def test_a_skip_carries_the_users_reason_and_does_not_run() -> None:
    events: list[Event] = []
    verdict = ApprovalPolicy("ask").ask(_request(), _stdin("s", "not that column"), events.append)
    assert verdict == Verdict("skip", CODE, "not that column") and not verdict.runs
    decided = events[-1]
    assert isinstance(decided, ApprovalDecided) and decided.reason == "not that column"


def test_modes_that_ask_nobody_emit_only_the_decision() -> None:
    for mode, decision in (("auto", "auto"), ("never", "declined")):
        events: list[Event] = []
        verdict = ApprovalPolicy(mode).ask(_request(), _stdin(), events.append)  # type: ignore[arg-type]
        assert verdict.decision == decision and verdict.runs == (mode == "auto")
        (decided,) = events
        assert isinstance(decided, ApprovalDecided)
        assert (decided.tool, decided.decision, decided.waited) == ("flag_rows", decision, 0.0)


def test_nobody_to_answer_declines_with_the_fix() -> None:
    def headless(_request: ApprovalRequest) -> Verdict:
        raise Unanswerable

    verdict = ApprovalPolicy("ask").ask(_request(), headless, lambda _event: None)
    assert verdict == Verdict("declined", CODE, HEADLESS_HINT)


def test_the_question_names_the_channel_the_approver_declares() -> None:
    buttons = ButtonApprover(threading.Event())
    click = {"call_id": CALL, "decision": "run"}
    # The click arrives (on the comm's thread) once the question is waiting.
    timer = threading.Timer(0.1, buttons.deliver, args=(click,))
    timer.start()
    events: list[Event] = []
    assert ApprovalPolicy("ask").ask(_request(), buttons, events.append).decision == "run"
    timer.join()
    assert isinstance(events[0], ApprovalNeeded) and events[0].channel == "buttons"

    router = RoutingApprover(lambda: False, buttons, _stdin("r"))
    events.clear()
    ApprovalPolicy("ask").ask(_request(), router, events.append)
    assert isinstance(events[0], ApprovalNeeded) and events[0].channel == "stdin"

    def answer(request: ApprovalRequest) -> Verdict:  # a plain function answers outside the live view
        return Verdict("run", request.code)

    events.clear()
    ApprovalPolicy("ask").ask(_request(), answer, events.append)
    assert isinstance(events[0], ApprovalNeeded) and events[0].channel == "stdin"


@tool
def flag_rows(column: str) -> str:
    """Flag the rows of a column."""
    return f"flagged {column}"


def test_a_user_tools_approval_is_titled_with_its_own_name_live_and_static(scripted_server: Any) -> None:
    calls = "\n".join(
        [
            f"tool: flag_rows {json.dumps({'column': 'amount'})}",
            f"tool: code_interpreter {json.dumps({'code': 'print(6 * 7)'})}",
        ]
    )
    server = scripted_server(f"think: flag, then compute\n{calls}\n---\ntext: Done.")
    sends: list[list[Op]] = []
    live = LiveOps(sends.append)
    agent = Agent(
        base_url=server.base_url, api_key="sk-test", approve="ask", approver=_stdin("r", "r"), tools=[flag_rows]
    )
    transcript = agent.run("Flag the amounts.", views=[live])
    live.flush()
    assert transcript.answer == "Done."

    titles: dict[str, list[str]] = {}  # block id -> every title it had, in order
    for op in (op for batch in sends for op in batch):
        if op["op"] in ("block", "title") and str(op["id"]).startswith("tool-") and op.get("title"):
            titles.setdefault(str(op["id"]), []).append(str(op["title"]))
    by_tool = {shown[0].split(" · ")[0]: shown for shown in titles.values()}
    assert set(by_tool) == {"flag_rows", "code_interpreter"}
    assert "flag_rows · run" in by_tool["flag_rows"]  # the title the approval gave it
    assert all(title.startswith("flag_rows · ") for title in by_tool["flag_rows"])
    assert "code_interpreter · run" in by_tool["code_interpreter"]

    static = render_html(transcript)
    assert "flag_rows · ✓" in static and "code_interpreter · ✓" in static


def test_always_in_a_cells_own_approve_run_upgrades_the_session() -> None:
    session = ApprovalPolicy("never")
    run = session.for_run("ask")  # `%%k2 --approve ask` in a session set to never
    assert session.for_run(None) is session
    run.decide(ApprovalRequest("c1", "code_interpreter", "x = 1", 1), lambda _request: Verdict("always", "x = 1"))
    assert (run.label, session.label) == ("auto (Always)", "auto (Always)")
