"""k2nb/ui/static.py: the saved trace. Discarded attempts stay visible, text/plain is a digest of the
thinking, the HTML is inert whatever the model wrote, a call's wait is told apart from its run, costs."""

from __future__ import annotations

import html
import re

from k2nb.config import cost_text
from k2nb.core.events import (
    ContentDelta,
    ModelTurnDone,
    ReasoningDelta,
    Retrying,
    RunFinished,
    RunStarted,
    StepStarted,
    ToolFinished,
    ToolStarted,
)
from k2nb.core.transcript import ALWAYS, Transcript
from k2nb.core.turn import AssistantTurn, Usage
from k2nb.ui.static import output_html, render_html, render_plain, status_line, tool_title
from tests.harness.hostile import EVIL, Elements, assert_inert, evil_run
from tests.harness.runs import CALL, live_ops, long_run, mcp_run, tool_run, transcript_of
from tests.harness.workload import make_trace


def test_a_retried_attempts_partial_text_stays_visible_and_marked() -> None:
    t = transcript_of(
        [
            RunStarted("r1", "kimi-k2-thinking", "custom", 50, "hi", 0.0),
            StepStarted(1),
            ReasoningDelta(1, "first try, cut off mid-sen"),
            Retrying(1, 1, "the stream ended before [DONE]", 0.5),
            StepStarted(1, attempt=2),
            ReasoningDelta(1, "second try"),
            ModelTurnDone(1, AssistantTurn(reasoning="second try", content="Answer."), 1.0, 0.5),
            RunFinished("done", "Answer.", Usage(), 1.0, 1),
        ]
    )
    html = render_html(t)
    assert "discarded attempt (retried): the stream ended before [DONE]" in html
    assert "first try, cut off mid-sen" in html
    assert "second try" in html and "Answer." in html
    assert t.steps[0].reasoning == "second try"  # the kept turn is only the successful attempt


def test_plain_text_keeps_a_digest_of_long_thinking_and_the_whole_answer() -> None:
    thought = " ".join(f"w{i}" for i in range(5000))
    t = transcript_of(
        [
            RunStarted("r1", "kimi-k2-thinking", "custom", 50, "hi", 0.0),
            StepStarted(1),
            ModelTurnDone(1, AssistantTurn(reasoning=thought, content="The answer is 42."), 1.0, 0.5),
            RunFinished("done", "The answer is 42.", Usage(), 1.0, 1),
        ]
    )
    plain = render_plain(t)
    assert "w0 " in plain and "w4999" in plain and "cut from the middle" in plain
    assert len(plain) < 1000
    assert "The answer is 42." in plain
    assert thought in render_html(t)  # the HTML beside it keeps every word


# -- waited vs ran ----------------------------------------------------------------------------------
def test_the_approval_wait_is_told_apart_from_the_run() -> None:
    tool = transcript_of(tool_run(waited=3.04, total=3.06)).steps[0].tools[0]
    assert round(tool.waited, 2) == 3.04 and round(tool.seconds, 2) == 0.02
    assert "waited 3.0 s · ran 0.0 s" in tool_title(tool)
    # nobody asked: one duration, as before
    auto = transcript_of(tool_run(waited=0.0, total=0.42, decision="auto", approve="auto")).steps[0].tools[0]
    assert tool_title(auto).endswith("· 0.4 s") and "waited" not in tool_title(auto)


def test_a_declined_call_shows_only_the_wait() -> None:
    events = tool_run(waited=2.0, total=2.0, decision="skip")
    events[-1] = ToolFinished(1, CALL, "code_interpreter", "declined", "skipped", seconds=2.0, code="x = 1")
    tool = transcript_of(events).steps[0].tools[0]
    assert "waited 2.0 s" in tool_title(tool) and "ran" not in tool_title(tool)


# -- simulated costs ----------------------------------------------------------------------------------
def test_offline_costs_read_simulated() -> None:
    assert cost_text(0.0012, "toy") == "$0.0012 simulated"
    assert cost_text(0.0012, "replay") == "$0.0012 simulated"
    assert cost_text(0.0012, "moonshot") == "$0.0012"
    assert cost_text(None, "toy") == ""
    usage = Usage(prompt_tokens=1200, completion_tokens=300)
    finished = RunFinished("done", "ok", usage, 1.0, 1, cost=0.0012)
    toy = transcript_of([RunStarted("r", "kimi-k2-thinking", "toy", 5, "p", 0.0), finished])
    real = transcript_of([RunStarted("r", "kimi-k2-thinking", "moonshot", 5, "p", 0.0), finished])
    assert "$0.0012 simulated" in status_line(toy) and "simulated" not in status_line(real)
    assert "$0.0012 simulated" in render_plain(toy)
    ops, _ = live_ops([RunStarted("r", "kimi-k2-thinking", "toy", 5, "p", 0.0), finished])
    assert re.search(r"\$\d+\.\d{4} simulated", [op for op in ops if op["op"] == "status"][-1]["text"])


def test_ask_again_mid_run_is_what_the_run_ends_with() -> None:
    events = tool_run(waited=0.0, total=0.1, decision="auto", approve=ALWAYS)
    t = transcript_of([*events, RunFinished("done", "ok", Usage(), 1.0, 1, approve="ask")])
    assert t.approve == "ask" and "approve:" not in status_line(t)


def test_a_call_stopped_while_it_waited_never_ran() -> None:
    events = tool_run(waited=5.0, total=5.0)[:4]  # asked, never answered
    events.append(ToolFinished(1, CALL, "code_interpreter", "stopped", "stopped", seconds=5.0))
    tool = transcript_of(events).steps[0].tools[0]
    assert (tool.waited, tool.seconds) == (5.0, 0.0)
    assert "waited 5.0 s" in tool_title(tool) and "ran" not in tool_title(tool)


def test_figure_data_cannot_break_out_of_the_src_attribute() -> None:
    out = output_html({"output_type": "display_data", "data": {"image/png": 'AAAA"><script>alert(1)</script>'}})
    assert_inert(out)
    [(tag, attrs)] = Elements(out).elements[1:]
    assert tag == "img"
    assert attrs["src"] == 'data:image/png;base64,AAAA"><script>alert(1)</script>'


def test_static_html_of_a_whole_run_is_inert() -> None:
    transcript = Transcript()
    for event in evil_run():
        transcript.apply(event)
    out = render_html(transcript)
    assert_inert(out)
    # everything the model and the tools said is still there, as text
    assert out.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 6
    assert "Final" in out
    plain = render_plain(transcript)
    assert "Final " + EVIL in plain
    assert "done" in plain.splitlines()[-1]


def test_an_mcp_call_reads_as_its_server_tool_arguments_and_result_in_every_rendering() -> None:
    from k2nb.ui.export import transcript_markdown

    t = transcript_of(mcp_run(asked=True))
    (markup,) = re.findall(r'<details class="k2nb-tool".*?</details>', render_html(t), re.S)
    block = html.unescape(re.sub(r"<[^>]+>", "", markup))  # as it reads (highlighted tokens are spans)
    assert "add · ✓ · waited 1.0 s · ran 0.2 s" in block
    assert "# MCP server 'demo' · the server marks this tool read-only" in block and "add(a=2, b=3)" in block
    assert block.rstrip().endswith("5")
    plain = render_plain(t)
    assert "  ▌ # MCP server 'demo'" in plain and "  ▌ add(a=2, b=3)" in plain and "  → 5" in plain
    markdown = transcript_markdown(t)
    assert "```python\n# MCP server 'demo'" in markdown and "add(a=2, b=3)\n```" in markdown


def test_a_read_only_call_reads_as_a_call_in_the_saved_trace() -> None:
    """read_cell / inspect_variable: the saved trace shows `read_cell(cell='ab12')`, not a Python dict."""
    t = transcript_of(
        [
            RunStarted("r", "kimi-k2-thinking", "toy", 5, "p", 0.0),
            StepStarted(1),
            ToolStarted(1, "c1", "read_cell", {"cell": "ab12"}, call="read_cell(cell='ab12')"),
            ToolFinished(1, "c1", "read_cell", "ok", "cell ab12: x = 1", (), seconds=0.0),
            RunFinished("done", "read it", Usage(), 0.1, 1),
        ]
    )
    saved = render_html(t)
    assert html.escape("read_cell(cell='ab12')") in saved and html.escape("{'cell'") not in saved


def test_the_plain_text_is_a_digest_that_says_where_the_rest_is() -> None:
    trace = make_trace(3_180, 320)  # the bytes benchmark's short run: its answer is ~2,000 characters
    t = Transcript()
    for event in (
        RunStarted("r", "kimi-k2-thinking", "custom", 10, "hi", 0.0),
        StepStarted(1),
        ReasoningDelta(1, trace.reasoning),
        ContentDelta(1, trace.content),
        ModelTurnDone(1, AssistantTurn(reasoning=trace.reasoning, content=trace.content), 1.0, 0.5),
        RunFinished("done", trace.content, Usage(), 1.0, 1),
    ):
        t.apply(event)
    plain = render_plain(t)
    assert len(plain) < 2_100  # sent and saved beside the HTML, which has all of the text
    assert "(the full answer is in the HTML output)" in plain and "cut from the middle" in plain
    assert trace.content[:400] in plain and trace.content[-200:] in plain
    assert html.escape(trace.reasoning, quote=False) in render_html(t)


def test_a_long_runs_blocks_come_in_parts_laid_out_only_on_screen() -> None:
    short, long = render_html(transcript_of(long_run(20))), render_html(transcript_of(long_run(150)))
    assert "k2nb-part" not in short  # 40 blocks: as they are
    body = long.split("</style>", 1)[1]
    parts = re.findall(r'<div class="k2nb-part">', body)
    assert len(parts) == 15  # 300 blocks, 20 a part
    # every block once, in order, inside a part; the answer and the status line after the parts
    titles = re.findall(r'<span class="k2nb-label">(code_interpreter|Thought for)[^<]*</span>', body)
    assert len(titles) == 300
    assert [int(n) for n in re.findall(r"step (\d+)</div>", body)] == list(range(1, 151))
    assert body.rindex('class="k2nb-part"') < body.index('<div class="k2nb-answer">')
    # the saved style lays a part out only on screen (and carries the rule only where there are parts)
    assert "div.k2nb-static > .k2nb-part{content-visibility:auto" in long
    assert ".k2nb-part" not in short
