"""Static renderings of a finished (or partial) run: HTML with ``<details>``, and plain text.

The HTML goes in the same output's mimebundle as the live widget, so a saved notebook shows
the whole trace in nbconvert, nbviewer and GitHub without a widget manager.
"""

from __future__ import annotations

import html
from typing import Any

from ..config import cost_text
from ..core.output_text import summarize_rich, truncate_middle
from ..core.step_title import thinking_title
from ..core.toolbox import call_text
from ..core.transcript import ALWAYS, StepRecord, ToolRecord, Transcript
from ..notebook.cells import DEFAULT_HEADING
from .ansi import ansi_to_html
from .cell_change import change_html
from .sanitize import highlight_python, markdown_to_html, sanitize_html
from .trace_style import TRACE, style_for

STATUS_LABEL = {
    "running": "running",
    "done": "done",
    "stopped": "stopped by the user",
    "failed": "failed",
    "max_steps": "stopped at the step limit",
    "max_cost": "stopped at the cost limit",
}


OPEN_TOOLS = 6  # runs with more tool calls than this show them folded (one click to open)
# A long run's blocks go in parts of this many, each laid out only while on screen (trace.css):
# swapping the live view for a 300-step trace then styles a few dozen parts, not 600 blocks.
PART_BLOCKS = 20


def _text(text: str) -> str:
    """Escape for element content: quotes are harmless there, and escaping them inflates long traces."""
    return html.escape(text, quote=False)


def step_title(step: StepRecord, run_status: str) -> str:
    """A thinking step's title in every view (live, static, terminal, export): the cells' default format."""
    return thinking_title(step, DEFAULT_HEADING, run_status)


def tool_title(tool: ToolRecord) -> str:
    status = {
        "ok": "✓",
        "error": "✗ error",
        "timeout": "timed out",
        "declined": "⊘ not run",
        "invalid": "✗ invalid call",
        "stopped": "⊘ stopped",
        "running": "…",
        "waiting": "waiting for approval",
    }.get(tool.status, tool.status)
    approval = f" · {tool.approval}" if tool.approval and tool.approval not in ("auto", "run") else ""
    return f"{tool.name} · {status}{approval} · {duration_text(tool)}"


def summary_html(label: str, icon: str | None = None) -> str:
    """A ``<summary>``'s content: an SVG icon drawn by trace.css (no emoji font needed) and the text label.

    The label is an element of its own, so hidden thinking can swap it for its note (trace.css).
    """
    mark = f'<span class="k2nb-icon k2nb-icon-{icon}" aria-hidden="true"></span>' if icon else ""
    return f'{mark}<span class="k2nb-label">{html.escape(label)}</span>'


def duration_text(tool: ToolRecord) -> str:
    """How long the call ran; when the user was asked first, the wait for their answer apart."""
    if tool.waited <= 0:
        return f"{tool.seconds:.1f} s"
    ran = f" · ran {tool.seconds:.1f} s" if tool.approval in ("run", "edit", "always") else ""  # it did run
    return f"waited {tool.waited:.1f} s{ran}"


ASK_AGAIN_HINT = "run %k2 approve ask to ask again"


def approvals_note(approve: str) -> str:
    """Said on every run after the user clicked Always, so that approvals being off stays visible."""
    return f"approve: {ALWAYS}" if approve == ALWAYS else ""


def status_line(t: Transcript) -> str:
    parts = [
        STATUS_LABEL.get(t.status, t.status),
        f"{len(t.steps)} step(s)",
        f"{t.seconds:.1f} s",
        f"{t.usage.prompt_tokens:,} in ({t.usage.cached_tokens:,} cached) / {t.usage.completion_tokens:,} out tokens",
    ]
    if t.cost is not None:
        parts.append(cost_text(t.cost, t.provider))
    parts.append(f"{t.model} via {t.provider}")
    if approvals_note(t.approve):
        parts.append(f"{approvals_note(t.approve)} ({ASK_AGAIN_HINT})")
    return " · ".join(parts)


def output_html(output: dict[str, Any]) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        css = " k2nb-error" if output.get("name") == "stderr" else ""
        return f'<pre class="k2nb-out{css}">{ansi_to_html(str(output.get("text", "")))}</pre>'
    if kind == "error":
        return f'<pre class="k2nb-out k2nb-error">{ansi_to_html(chr(10).join(output.get("traceback") or []))}</pre>'
    data = output.get("data") or {}
    for mime in ("image/png", "image/jpeg", "image/gif"):
        if mime in data:
            src = f"data:{mime};base64,{str(data[mime]).strip()}"
            return f'<div class="k2nb-out"><img src="{html.escape(src)}" alt="figure"></div>'
    if "text/html" in data:
        return f'<div class="k2nb-out">{sanitize_html(str(data["text/html"]))}</div>'
    if "text/markdown" in data:
        return f'<div class="k2nb-out">{markdown_to_html(str(data["text/markdown"]))}</div>'
    text = summarize_rich(data)
    label = "Out: " if kind == "execute_result" else ""
    return f'<pre class="k2nb-out">{html.escape(label + text)}</pre>'


EDITED_NOTE = "✎ edited by you before it ran · the model's original code"


def code_html(code: str, original: str | None = None, *, highlight: bool = True) -> str:
    """The code that ran; when the user edited it first, the model's original folded beneath."""
    shown = highlight_python(code) if highlight else _text(code)
    if original is None:
        return f'<pre class="k2nb-code"><code>{shown}</code></pre>'
    before = highlight_python(original) if highlight else _text(original)
    return (
        f'<pre class="k2nb-code k2nb-edited"><code>{shown}</code></pre>'
        f'<details class="k2nb-original"><summary>{EDITED_NOTE}</summary>'
        f'<pre class="k2nb-code k2nb-original-code"><code>{before}</code></pre></details>'
    )


def tool_html(tool: ToolRecord, *, open_: bool = False) -> str:
    body = []
    if tool.change is not None:
        body.append(change_html(tool.change, tool.call_id))
    elif tool.code is not None:
        # Folded blocks of long runs skip highlighting: thousands of spans slow the page's final render.
        body.append(code_html(tool.code, tool.original_code, highlight=open_))
    elif tool.arguments is not None:
        body.append(f'<pre class="k2nb-args">{html.escape(call_text(tool.name, tool.arguments))}</pre>')
    body.extend(output_html(o) for o in tool.outputs)
    if tool.state_diff:
        body.append(f'<div class="k2nb-state">kernel state · {html.escape(tool.state_diff)}</div>')
    if tool.status in ("declined", "invalid") or (tool.status != "ok" and not tool.outputs and tool.model_text):
        body.append(f'<pre class="k2nb-out k2nb-error">{html.escape(tool.model_text)}</pre>')
    opened = " open" if open_ else ""
    return (
        f'<details class="k2nb-tool"{opened}><summary>{summary_html(tool_title(tool), "tool")}</summary>'
        f"{''.join(body)}</details>"
    )


def notice_html(level: str, text: str) -> str:
    css = " k2nb-error" if level == "error" else ""
    return f'<p class="k2nb-notice{css}">{html.escape(text)}</p>'


def render_html(t: Transcript) -> str:
    """The saved trace: its markup after the ``<style>`` its classes need (trace_style.py).

    JupyterLab strips ``<style>`` from untrusted outputs (a reopened notebook): there the
    labextension's copy of the whole trace.css (and present.css) applies, matched by the same classes."""
    present = " k2nb-present" if t.present else ""
    parts = [f'<div class="k2nb-static k2nb-trace{present}">']
    if t.prompt:
        parts.append(f"<p><strong>Prompt:</strong> {html.escape(truncate_middle(t.prompt, 2000))}</p>")
    last = t.steps[-1].step if t.steps else 0
    # Long runs fold their tool blocks: hundreds of open blocks make the page slow to lay out.
    few_tools = sum(len(step.tools) for step in t.steps) <= OPEN_TOOLS
    # Each notice where it was said (a replay's drift note above the answer it concerns).
    places = t.placed_notices()
    parts.extend(notice_html(level, text) for level, text in places[0])
    blocks: list[str] = []
    for place, step in enumerate(t.steps, 1):
        for reason, partial in zip(step.retried, step.discarded, strict=False):
            body = f'<div class="k2nb-thinking">{_text(partial)}</div>' if partial.strip() else ""
            blocks.append(
                f'<details class="k2nb-retried"><summary>{summary_html(f"↻ discarded attempt (retried): {reason}")}'
                f"</summary>{body}</details>"
            )
        if step.reasoning:
            blocks.append(
                f'<details class="k2nb-thinking-block"><summary>{summary_html(step_title(step, t.status), "thinking")}'
                f'</summary><div class="k2nb-thinking">{_text(step.reasoning)}</div></details>'
            )
        if step.content and (step.tools or step.step != last or t.status != "done"):
            blocks.append(f'<div class="k2nb-answer">{markdown_to_html(step.content)}</div>')
        blocks.extend(tool_html(tool, open_=few_tools) for tool in step.tools)
        blocks.extend(notice_html(level, text) for level, text in places[place])
    if len(blocks) <= 2 * PART_BLOCKS:
        parts.extend(blocks)
    else:
        for i in range(0, len(blocks), PART_BLOCKS):
            parts.append(f'<div class="k2nb-part">{"".join(blocks[i : i + PART_BLOCKS])}</div>')
    if t.status == "done" and t.answer:
        parts.append(f'<div class="k2nb-answer">{markdown_to_html(t.answer)}</div>')
    parts.append(f'<div class="k2nb-status">{html.escape(status_line(t))}</div></div>')
    return style_for(parts, (*TRACE, "present.css") if t.present else TRACE) + "".join(parts)


def notice_plain(text: str) -> str:
    return f"k2nb: {text}" if not text.startswith("k2nb:") else text


def render_plain(
    t: Transcript, *, width: int = 100, thinking_chars: int | None = 400, answer_chars: int | None = 1200
) -> str:
    """Readable text: a digest. The caps (head + tail) apply to each thinking lane and to the answer: the
    HTML beside it keeps the full text, and every character here is sent and saved a second time."""
    lines: list[str] = []
    rule = "─" * min(width, 60)
    places = t.placed_notices()
    lines.extend(notice_plain(text) for _level, text in places[0])
    for place, step in enumerate(t.steps, 1):
        for reason in step.retried:
            lines.append(f"↻ retried: {reason}")
        if step.reasoning:
            lines.append(f"💭 {step_title(step, t.status)}")
            shown = step.reasoning.strip()
            if thinking_chars is not None:
                shown = truncate_middle(shown, thinking_chars)
            lines.extend("  │ " + line for line in shown.splitlines())
        if step.content and step.tools:
            lines.append(step.content.strip())
        for tool in step.tools:
            lines.append(f"🔧 {tool_title(tool)}")  # plain text keeps its emoji: terminals have the glyphs
            if tool.code:
                lines.extend("  ▌ " + line for line in tool.code.splitlines())
            if tool.original_code is not None:
                lines.append(f"  {EDITED_NOTE}:")
                lines.extend("  ┆ " + line for line in tool.original_code.splitlines())
            shown = tool.model_text.split("\n[kernel state] ")[0] if tool.model_text else ""
            if tool.state_diff:
                shown += f"\n(kernel state: {tool.state_diff})"
            if shown:
                lines.append("  → " + shown.strip().replace("\n", "\n    "))
        lines.extend(notice_plain(text) for _level, text in places[place])
    if t.answer:
        answer = t.answer.strip()
        if answer_chars is not None and len(answer) > answer_chars:
            answer = truncate_middle(answer, answer_chars) + "\n(the full answer is in the HTML output)"
        lines.extend((rule, answer))
    lines.extend((rule, status_line(t)))
    return "\n".join(lines)
