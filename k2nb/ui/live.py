"""Events to append-only view operations, batched at a bounded rate.

A view op is a small dict: ``block`` (create), ``append`` (text delta), ``html`` (set or add
server-sanitized HTML), ``title`` (fold/unfold, retitle), ``status``. Consecutive appends to one
block merge; never the accumulated text is sent. When a batch goes out is the one append
batcher's rule (``core/batcher.py``); the clock and the timer are injectable so tests can drive it.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable

from ..config import cost_text
from ..core.batcher import DEFAULT_CADENCE, AppendBatcher, Cadence
from ..core.events import (
    ApprovalDecided,
    ApprovalNeeded,
    ContentDelta,
    Event,
    ModelTurnDone,
    Notice,
    ReasoningDelta,
    Retrying,
    RunFinished,
    RunStarted,
    StepPaused,
    StepResumed,
    StepStarted,
    ToolCallDelta,
    ToolFinished,
    ToolStarted,
)
from ..core.models import tokens_cost
from ..core.step_title import LIVE_TITLE
from ..core.transcript import Transcript
from ..core.turn import Usage
from .cell_change import change_html
from .cells_link import cells_link
from .live_codec import Op
from .sanitize import markdown_to_html
from .static import STATUS_LABEL, approvals_note, code_html, output_html, step_title, tool_title

__all__ = ["DEFAULT_CADENCE", "Cadence", "LiveOps", "Op"]  # the live view's cadence, read by the reference


def _running(decided: ApprovalDecided) -> str:
    """The phase once a call may run: code runs; any other tool (a user tool, an MCP tool) is called."""
    return "running code" if decided.tool in ("code_interpreter", "") else "calling a tool"


class LiveOps:
    """A view of a run: takes each event with the run's state after it, and sends batched ops."""

    def __init__(
        self,
        send: Callable[[list[Op]], None],
        *,
        cadence: Cadence = DEFAULT_CADENCE,
        clock: Callable[[], float] = time.monotonic,
        schedule: Callable[[float, Callable[[], None]], object] | None = None,
        cells: bool = False,
    ) -> None:
        # A new lane ("block") makes its batch due soon: the view answers at once when thinking starts.
        self._batch = AppendBatcher(send, cadence, clock=clock, schedule=schedule)
        # --cells: the notebook's cells hold the trace; the output keeps the status line, a link
        # to the cells, notices, and the calls that wait for the user's approval.
        self._cells = cells
        self._clock = clock
        self._attempt: dict[int, int] = {}
        self._usage = Usage()
        self._started = clock()
        self._phase = "starting"
        self._step = 0
        self._blocks: set[str] = set()
        self._coded: set[str] = set()  # tool blocks that show their code
        self._open_tool: str | None = None
        self._open_thinking: str | None = None  # presenter mode: the last lane stays open through the pause
        self._notices = 0
        self._run = Transcript()  # the run's state, as handed in with the latest event

    def _op(self, op: Op, *, urgent: bool = False) -> None:
        self._batch.add(op, urgent=urgent, soon=op["op"] == "block")

    def flush(self) -> None:
        self._batch.flush()

    # -- ids -----------------------------------------------------------------------------
    def _id(self, step: int, part: str) -> str:
        return f"s{step}a{self._attempt.get(step, 1)}-{part}"

    def _status(self, phase: str, *, urgent: bool = False, final: bool = False) -> None:
        self._phase = phase
        elapsed = self._clock() - self._started
        u = self._usage
        tokens = f"{u.prompt_tokens:,} in ({u.cached_tokens:,} cached) · {u.completion_tokens:,} out"
        rate = f" · {u.completion_tokens / elapsed:.0f} tok/s" if elapsed > 0 and u.completion_tokens else ""
        # While the run goes, its usage at its model's prices (the user's first); at the end, the
        # run's own figure (it also knows a model that fell back mid-run).
        cost = (
            self._run.cost
            if final
            else tokens_cost(self._run.prices, u.prompt_tokens, u.cached_tokens, u.completion_tokens)
        )
        money = f" · {cost_text(cost, self._run.provider)}" if cost is not None else ""
        head = f"{phase} · step {self._step}/{self._run.max_steps} · "
        clock = f"{elapsed:.1f} s"
        note = approvals_note(self._run.approve)
        text = f"{head}{clock} · {tokens}{rate}{money}" + (f" · {note}" if note else "")
        op: Op = {"op": "status", "phase": phase, "text": text, "final": final}
        # The view advances the clock between batches: where it is in the text, and its value now.
        op.update(clock=[len(head), len(head) + len(clock)], elapsed=round(elapsed, 1))
        if note:
            op["approvals"] = "off"  # the view offers "ask again"
        if self._cells and self._run.run_id:
            op["cells"] = cells_link(self._run.run_id)  # the view links to the cells (their k2nb.run_id)
        self._op(op, urgent=urgent)

    # -- events --------------------------------------------------------------------------
    def __call__(self, event: Event, run: Transcript) -> None:
        self._run = run
        if isinstance(event, RunStarted):
            if event.present:
                self._op({"op": "present"})  # the large layout, and the keys that say next
            self._status("starting", urgent=True)
        elif isinstance(event, StepPaused):
            self._step = event.step
            pause = {"op": "pause", "id": f"pause-{event.pause_id}", "pause_id": event.pause_id, "step": event.step}
            self._op({**pause, "channel": event.channel})
            self._status("paused", urgent=True)
        elif isinstance(event, StepResumed):
            self._op({"op": "resume", "id": f"pause-{event.pause_id}"}, urgent=True)
        elif isinstance(event, StepStarted):
            if self._open_thinking is not None:
                self._op({"op": "title", "id": self._open_thinking, "open": False})
                self._open_thinking = None
            self._step = event.step
            self._attempt[event.step] = event.attempt
            self._status("thinking")
        elif self._cells and isinstance(event, ReasoningDelta | ContentDelta):
            if isinstance(event, ContentDelta) and self._phase != "answering":
                self._status("answering")
        elif isinstance(event, ReasoningDelta):
            self._ensure_block(event.step, "think", "thinking", LIVE_TITLE, open_=True)
            self._op({"op": "append", "id": self._id(event.step, "think"), "text": event.text})
        elif isinstance(event, ContentDelta):
            self._ensure_block(event.step, "text", "text", "", open_=True)
            if self._phase != "answering":
                self._status("answering")
            self._op({"op": "append", "id": self._id(event.step, "text"), "text": event.text})
        elif isinstance(event, ToolCallDelta):
            if event.name and self._phase != "calling a tool":
                self._status("calling a tool")
        elif isinstance(event, Retrying):
            for part in ("think", "text"):
                block = self._id(event.step, part)
                if block in self._blocks:
                    self._op(
                        {
                            "op": "title",
                            "id": block,
                            "title": f"↻ discarded attempt: {event.reason}",
                            "open": False,
                            "kind": "retried",
                        }
                    )
            self._status(f"retrying in {event.delay:.1f} s", urgent=True)
        elif isinstance(event, ModelTurnDone):
            self._on_turn_done(event)
        elif isinstance(event, ToolStarted):
            block = f"tool-{event.call_id}-{event.step}"
            if self._open_tool is not None:  # steps fold as the run moves on: long runs stay light
                self._op({"op": "title", "id": self._open_tool, "open": False})
            self._open_tool = None
            if not self._cells:
                self._tool_block(block, event.step, event.call_id, event.code if event.code is not None else event.call)
            self._status("running code" if event.code is not None else "calling a tool", urgent=True)
        elif isinstance(event, ApprovalNeeded):
            block = f"tool-{event.call_id}-{event.step}"
            if block not in self._blocks:  # --cells: the call shows here while it waits for the user
                self._tool_block(block, event.step, event.call_id, event.code if event.change is None else None)
            approval: Op = {"op": "approval", "id": block, "call_id": event.call_id, "channel": event.channel}
            approval["code"] = event.code
            if event.change is not None:  # a notebook change: its diff (or new cell) above Accept / Reject
                self._op({"op": "html", "id": block, "html": change_html(event.change, event.call_id, proposed=True)})
                approval.update(kind=event.change.kind, cell_type=event.change.cell_type)
            else:
                self._show_code(block, event.code)  # a tool call that is not code: the user sees what they approve
            self._op(approval)
            self._status("waiting for approval", urgent=True)
        elif isinstance(event, ApprovalDecided) and f"tool-{event.call_id}-{event.step}" not in self._blocks:
            self._status(_running(event) if event.decision != "declined" else "thinking", urgent=True)
        elif isinstance(event, ApprovalDecided):
            block = f"tool-{event.call_id}-{event.step}"
            self._op({"op": "approval_done", "id": block})
            edited = run.find_tool(event.step, event.call_id)
            if event.decision == "edit" and edited is not None and edited.change is not None:
                html_ = change_html(edited.change, event.call_id, proposed=True)
                self._op({"op": "html", "id": block, "html": html_})
            elif event.decision == "edit":
                original = edited.original_code if edited is not None else None
                self._coded.add(block)
                self._op({"op": "html", "id": block, "html": code_html(event.code, original)})
            self._op({"op": "title", "id": block, "title": f"{event.tool or 'tool'} · {event.decision}"})
            self._status(
                _running(event) if event.decision in ("auto", "run", "edit", "always") else "thinking",
                urgent=True,
            )
        elif isinstance(event, ToolFinished) and f"tool-{event.call_id}-{event.step}" not in self._blocks:
            pass  # --cells: the call's cell shows it
        elif isinstance(event, ToolFinished):
            block = f"tool-{event.call_id}-{event.step}"
            finished = run.find_tool(event.step, event.call_id)
            if event.change is not None:  # the change as made: links to the cell, and to revert it
                self._op({"op": "html", "id": block, "html": change_html(event.change, event.call_id)})
            elif event.code is not None:
                self._show_code(block, event.code)  # a call that ran without asking: what it was
            body = "".join(output_html(o) for o in event.outputs)
            if event.status in ("declined", "invalid") or (event.status != "ok" and not event.outputs):
                body += f'<pre class="k2nb-out k2nb-error">{html.escape(event.model_text)}</pre>'
            if event.state_diff:
                body += f'<div class="k2nb-state">kernel state · {html.escape(event.state_diff)}</div>'
            if body:
                self._op({"op": "html", "id": block, "html": body, "mode": "append"})
            if finished is not None:
                self._op({"op": "title", "id": block, "title": tool_title(finished)}, urgent=True)
        elif isinstance(event, Notice):
            self._notices += 1
            block = f"notice-{self._notices}"
            self._op(
                {
                    "op": "block",
                    "id": block,
                    "kind": f"notice-{event.level}",
                    "title": "",
                    "open": True,
                }
            )
            self._op({"op": "append", "id": block, "text": event.text}, urgent=True)
        elif isinstance(event, RunFinished):
            self._usage = event.usage
            self._status(STATUS_LABEL.get(event.status, event.status), urgent=True, final=True)

    def _tool_block(self, block: str, step: int, call_id: str, code: str | None) -> None:
        self._open_tool = block
        self._blocks.add(block)
        tool = self._run.find_tool(step, call_id)
        title = tool_title(tool) if tool is not None else ""
        self._op({"op": "block", "id": block, "kind": "tool", "title": title, "open": True})
        if code is not None:
            self._show_code(block, code)

    def _show_code(self, block: str, code: str) -> None:
        """The call's code (or a tool call as Python), once per block, above its approval and outputs."""
        if block not in self._coded:
            self._coded.add(block)
            self._op({"op": "html", "id": block, "html": code_html(code)})

    def _ensure_block(self, step: int, part: str, kind: str, title: str, *, open_: bool) -> None:
        block = self._id(step, part)
        if block not in self._blocks:
            self._blocks.add(block)
            self._op({"op": "block", "id": block, "kind": kind, "title": title, "open": open_})

    def _on_turn_done(self, event: ModelTurnDone) -> None:
        if event.turn.usage:
            self._usage = self._usage + event.turn.usage
        step = self._run.find_step(event.step)
        think = self._id(event.step, "think")
        if think in self._blocks and step is not None:  # fold the lane to a one-line summary
            # ... but in presenter mode only when the next step starts: the class reads it while paused.
            self._op(
                {"op": "title", "id": think, "title": step_title(step, self._run.status), "open": self._run.present}
            )
            if self._run.present:
                self._open_thinking = think
        text = self._id(event.step, "text")
        # The streamed plain text becomes rendered Markdown, once. Not for the final answer: the
        # static trace replaces the whole view a moment later and would send it a third time.
        if text in self._blocks and event.turn.tool_calls:
            self._op({"op": "html", "id": text, "html": markdown_to_html(event.turn.content), "kind": "text"})
        # No status of its own: the loop's next event (a tool starts, or the run ends) follows at
        # once with an urgent one, and this batch rides in its message (one envelope less a step).
