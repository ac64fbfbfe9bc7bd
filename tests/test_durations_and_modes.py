"""Waited vs ran, the status clock's place, approvals-off visibility, simulated costs, help, --cells output."""

from __future__ import annotations

import re
import time
from typing import Any

from k2nb.config import cost_text
from k2nb.core.events import (
    ApprovalDecided,
    ApprovalNeeded,
    Event,
    ReasoningDelta,
    RunFinished,
    RunStarted,
    StepStarted,
    ToolFinished,
    ToolStarted,
)
from k2nb.core.transcript import ALWAYS, Transcript
from k2nb.core.turn import Usage
from k2nb.engines.toy import toy_help
from k2nb.magics import help_markdown, help_text
from k2nb.tools.approval import ApprovalPolicy, ApprovalRequest, Verdict, request_approval
from k2nb.ui.cells_link import cells_bundle
from k2nb.ui.helptext import markdown_to_plain
from k2nb.ui.live import LiveOps
from k2nb.ui.live_codec import Op
from k2nb.ui.sanitize import markdown_to_html
from k2nb.ui.static import render_html, render_plain, status_line, tool_title

CALL = "code_interpreter:0"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _tool_run(*, waited: float, total: float, decision: str = "run", approve: str = "ask") -> list[Event]:
    events: list[Event] = [
        RunStarted("r1", "kimi-k2-thinking", "toy", 5, "p", 0.0, approve=approve),
        StepStarted(1),
        ToolStarted(1, CALL, "code_interpreter", {"code": "x = 1"}, code="x = 1"),
    ]
    if waited:
        events.append(ApprovalNeeded(1, CALL, "x = 1", channel="buttons"))
    events += [
        ApprovalDecided(1, CALL, decision, "x = 1", waited=waited),  # type: ignore[arg-type]
        ToolFinished(1, CALL, "code_interpreter", "ok", "", seconds=total, code="x = 1"),
    ]
    return events


def _transcript(events: list[Event]) -> Transcript:
    t = Transcript()
    for event in events:
        t.apply(event)
    return t


# -- waited vs ran ----------------------------------------------------------------------------------
def test_the_approval_wait_is_told_apart_from_the_run() -> None:
    tool = _transcript(_tool_run(waited=3.04, total=3.06)).steps[0].tools[0]
    assert round(tool.waited, 2) == 3.04 and round(tool.seconds, 2) == 0.02
    assert "waited 3.0 s · ran 0.0 s" in tool_title(tool)
    # nobody asked: one duration, as before
    auto = _transcript(_tool_run(waited=0.0, total=0.42, decision="auto", approve="auto")).steps[0].tools[0]
    assert tool_title(auto).endswith("· 0.4 s") and "waited" not in tool_title(auto)


def test_a_declined_call_shows_only_the_wait() -> None:
    events = _tool_run(waited=2.0, total=2.0, decision="skip")
    events[-1] = ToolFinished(1, CALL, "code_interpreter", "declined", "skipped", seconds=2.0, code="x = 1")
    tool = _transcript(events).steps[0].tools[0]
    assert "waited 2.0 s" in tool_title(tool) and "ran" not in tool_title(tool)


def test_request_approval_measures_the_users_answer_only_when_asked() -> None:
    events: list[Event] = []
    request = ApprovalRequest(CALL, "code_interpreter", "x = 1", 1)

    def slow_user(request: ApprovalRequest) -> Verdict:
        time.sleep(0.3)
        return Verdict("run", request.code)

    verdict = request_approval(ApprovalPolicy("ask"), slow_user, request, events.append)
    assert verdict.decision == "run"
    assert [type(e).__name__ for e in events] == ["ApprovalNeeded", "ApprovalDecided"]
    decided = events[-1]
    assert isinstance(decided, ApprovalDecided) and decided.waited >= 0.3
    events.clear()
    request_approval(ApprovalPolicy("auto"), slow_user, request, events.append)
    assert [type(e).__name__ for e in events] == ["ApprovalDecided"]
    assert isinstance(events[0], ApprovalDecided) and events[0].waited == 0.0


# -- approvals off after Always -----------------------------------------------------------------------
def test_always_is_remembered_as_such_until_the_user_sets_a_mode() -> None:
    policy = ApprovalPolicy("ask")
    request = ApprovalRequest(CALL, "code_interpreter", "x = 1", 1)
    policy.decide(request, lambda request: Verdict("always", request.code))
    assert (policy.mode, policy.label) == ("auto", ALWAYS)
    policy.mode = "ask"  # "ask again" or `%k2 approve ask`
    assert (policy.mode, policy.label) == ("ask", "ask")
    configured = ApprovalPolicy("auto")  # --approve auto is the user's setting, not "Always"
    assert configured.label == "auto"


def _live(events: list[Event], *, cells: bool = False) -> tuple[list[Op], Clock]:
    clock = Clock()
    sends: list[list[Op]] = []
    transcript = Transcript()
    live = LiveOps(sends.append, transcript, clock=clock, cells=cells)
    for event in events:
        clock.now += 1.25
        transcript.apply(event)
        live(event)
    live.flush()
    return [op for batch in sends for op in batch], clock


def test_the_status_line_says_approvals_are_off_in_later_runs() -> None:
    later = _tool_run(waited=0.0, total=0.1, decision="auto", approve=ALWAYS)
    ops, _ = _live(later)
    statuses = [op for op in ops if op["op"] == "status"]
    assert statuses and all("approve: auto (Always)" in op["text"] for op in statuses)
    assert all(op.get("approvals") == "off" for op in statuses)  # the view offers "ask again"
    t = _transcript(later)
    assert "approve: auto (Always)" in status_line(t) and "%k2 approve ask" in status_line(t)
    # the run where the user clicks Always says so from that click on
    clicked, _ = _live(_tool_run(waited=1.0, total=1.1, decision="always"))
    after = [op for op in clicked if op["op"] == "status"]
    assert "approve" not in after[0]["text"] and "approve: auto (Always)" in after[-1]["text"]
    # a run that asks says nothing about approvals
    asking, _ = _live(_tool_run(waited=1.0, total=1.1))
    assert not any("approve:" in op["text"] or "approvals" in op for op in asking if op["op"] == "status")
    assert "approve:" not in status_line(_transcript(_tool_run(waited=1.0, total=1.1)))


def test_each_status_op_locates_its_clock_for_the_view_to_advance() -> None:
    ops, _ = _live(_tool_run(waited=0.0, total=0.1, decision="auto", approve="auto"))
    statuses = [op for op in ops if op["op"] == "status"]
    assert len(statuses) >= 3
    for op in statuses:
        start, end = op["clock"]
        assert op["text"][start:end] == f"{op['elapsed']:.1f} s"
    assert [op["elapsed"] for op in statuses] == sorted(op["elapsed"] for op in statuses)
    assert statuses[-1]["elapsed"] > statuses[0]["elapsed"]


# -- simulated costs ----------------------------------------------------------------------------------
def test_offline_costs_read_simulated() -> None:
    assert cost_text(0.0012, "toy") == "$0.0012 simulated"
    assert cost_text(0.0012, "replay") == "$0.0012 simulated"
    assert cost_text(0.0012, "moonshot") == "$0.0012"
    assert cost_text(None, "toy") == ""
    usage = Usage(prompt_tokens=1200, completion_tokens=300)
    finished = RunFinished("done", "ok", usage, 1.0, 1, cost=0.0012)
    toy = _transcript([RunStarted("r", "kimi-k2-thinking", "toy", 5, "p", 0.0), finished])
    real = _transcript([RunStarted("r", "kimi-k2-thinking", "moonshot", 5, "p", 0.0), finished])
    assert "$0.0012 simulated" in status_line(toy) and "simulated" not in status_line(real)
    assert "$0.0012 simulated" in render_plain(toy)
    ops, _ = _live([RunStarted("r", "kimi-k2-thinking", "toy", 5, "p", 0.0), finished])
    assert re.search(r"\$\d+\.\d{4} simulated", [op for op in ops if op["op"] == "status"][-1]["text"])


# -- help ---------------------------------------------------------------------------------------------
MARKUP = ("::", "`", "**", "## ", "\\$", "- `")


def test_help_is_markdown_and_its_plain_text_has_no_markup() -> None:
    markdown = help_markdown()
    assert "#### Flags" in markdown and "- `--cells` —" in markdown and "- `%k2 approve [ask|auto|never]` —" in markdown
    html = markdown_to_html(markdown)
    assert "<h3>" in html and "<h4>Flags</h4>" in html and html.count("<li>") >= 20
    plain = help_text()
    for mark in MARKUP:
        assert mark not in plain, mark
    assert "--approve auto|ask|never" in plain and "%k2 approve [ask|auto|never]" in plain
    assert "• --cells — also write the steps as notebook cells below this one" in plain
    assert "Moonshot's built-in $web_search" in plain  # the escape is for Markdown only


def test_toy_help_plain_text_keeps_the_words_and_drops_the_markup() -> None:
    plain = markdown_to_plain(toy_help())
    for mark in ("`", "## "):
        assert mark not in plain, mark
    assert not re.search(r"\*\*[A-Za-z]|[a-z.]\*\*|(^|\s)\*[A-Za-z]", plain)  # bold/italic marks (2**100 is Python)
    assert "digit sum of 2**100" in plain
    assert plain.startswith("The k2nb toy engine\n═")
    assert "• Digit sums (digit sum, sum of digits" in plain
    assert "k2nb serve --engine toy" in plain
    assert max(map(len, plain.splitlines())) <= 100


def test_markdown_to_plain_nests_lists_and_indents_code() -> None:
    text = "Intro *with* [a link](https://x.org).\n\n- one\n  - inner `code`\n- two\n\n```\nprint(1)\n```\n"
    assert markdown_to_plain(text).splitlines() == [
        "Intro with a link (https://x.org).",
        "",
        "• one",
        "  • inner code",
        "• two",
        "",
        "    print(1)",
    ]


# -- --cells: the output is a status line and a link ----------------------------------------------------
def _thinking_run() -> list[Event]:
    return [
        RunStarted("run-42", "kimi-k2-thinking", "toy", 5, "p", 0.0),
        StepStarted(1),
        ReasoningDelta(1, "SECRET-THOUGHT " * 50),
        ToolStarted(1, CALL, "code_interpreter", {"code": "x = 1"}, code="x = 1"),
        ApprovalNeeded(1, CALL, "x = 1", channel="buttons"),
        ApprovalDecided(1, CALL, "run", "x = 1", waited=1.0),
        ToolFinished(1, CALL, "code_interpreter", "ok", "", seconds=1.2, code="x = 1"),
        RunFinished("done", "the answer", Usage(), 3.0, 1),
    ]


def test_a_cells_run_keeps_the_output_to_its_status_link_and_approvals() -> None:
    ops, _ = _live(_thinking_run(), cells=True)
    assert not any("SECRET-THOUGHT" in str(op) for op in ops)  # the thinking is in the cells
    statuses = [op for op in ops if op["op"] == "status"]
    assert all(
        op["cells"] == {"href": "#k2nb-run-run-42", "text": "↓ the steps are in the cells below"} for op in statuses
    )
    # the call that waits for the user still shows its code and buttons here
    assert [op["op"] for op in ops if op.get("id") == f"tool-{CALL}-1"][:3] == ["block", "html", "approval"]
    full, _ = _live(_thinking_run())
    assert any("SECRET-THOUGHT" in str(op) for op in full) and not any("cells" in op for op in full)
    bundle: dict[str, Any] = cells_bundle(_transcript(_thinking_run()))
    assert 'class="k2nb-cells-link" href="#k2nb-run-run-42"' in bundle["text/html"]
    assert "SECRET-THOUGHT" not in bundle["text/html"] and "the answer" not in bundle["text/html"]
    assert "SECRET-THOUGHT" in render_html(_transcript(_thinking_run()))
    assert bundle["text/plain"].splitlines()[-1] == "(the steps are in the notebook cells below this one)"


def test_ask_again_mid_run_is_what_the_run_ends_with() -> None:
    events = _tool_run(waited=0.0, total=0.1, decision="auto", approve=ALWAYS)
    t = _transcript([*events, RunFinished("done", "ok", Usage(), 1.0, 1, approve="ask")])
    assert t.approve == "ask" and "approve:" not in status_line(t)


def test_the_view_can_only_turn_approvals_back_on() -> None:
    from IPython.core.interactiveshell import InteractiveShell

    from k2nb.magics import K2Magics

    magics = K2Magics(InteractiveShell.instance())
    policy = magics.session.policy
    policy.decide(ApprovalRequest(CALL, "code_interpreter", "x", 1), lambda request: Verdict("always", request.code))
    magics._approvals_from_view({"kind": "approvals", "mode": "never"})
    magics._approvals_from_view({"kind": "approvals", "mode": "auto"})
    assert policy.label == ALWAYS  # a DOM event never changes it in that direction
    magics._approvals_from_view({"kind": "approvals", "mode": "ask"})
    assert policy.label == "ask"
    assert magics.approve_command(["never"]).startswith("k2nb: approve: never")
    assert policy.mode == "never"


def test_a_call_stopped_while_it_waited_never_ran() -> None:
    events = _tool_run(waited=5.0, total=5.0)[:4]  # asked, never answered
    events.append(ToolFinished(1, CALL, "code_interpreter", "stopped", "stopped", seconds=5.0))
    tool = _transcript(events).steps[0].tools[0]
    assert (tool.waited, tool.seconds) == (5.0, 0.0)
    assert "waited 5.0 s" in tool_title(tool) and "ran" not in tool_title(tool)


def test_terminal_ipython_prints_the_help_as_plain_text(capsys: Any) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    from k2nb.magics import K2Magics

    magics = K2Magics(InteractiveShell.instance())
    magics._line_command("help")
    magics._line_command("help toy")
    printed = capsys.readouterr().out
    assert printed.startswith("%%k2 — Kimi K2 Thinking on the cell's text\n")
    assert "The k2nb toy engine\n═" in printed
    for mark in ("`", "::", "#### ", "- `"):
        assert mark not in printed, mark
