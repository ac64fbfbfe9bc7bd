"""The run's data model, built from events by a pure reducer; serializable to JSON.

Text arrives as deltas and is kept as lists of parts (joined on read) so that a long trace
costs linear time to accumulate.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .events import (
    ApprovalDecided,
    ApprovalNeeded,
    CellChange,
    ContentDelta,
    Event,
    ModelTurnDone,
    Notice,
    ReasoningDelta,
    Retrying,
    RunFinished,
    RunStarted,
    StepStarted,
    ToolFinished,
    ToolStarted,
)
from .turn import Usage

ALWAYS = "auto (Always)"  # the approval mode after the user clicked Always: nothing asks until reset


@dataclass
class ToolRecord:
    call_id: str
    name: str
    arguments: dict[str, Any] | None = None
    code: str | None = None
    status: str = "running"
    approval: str = ""
    approval_reason: str = ""
    model_text: str = ""
    outputs: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0  # how long it ran, the approval wait left out
    state_diff: str = ""
    waited: float = 0.0  # how long it waited for the user's approval (0: nobody was asked)
    original_code: str | None = None  # the model's code, when the user edited it before it ran
    change: CellChange | None = None  # a notebook tool's change: proposed, then as made


@dataclass
class StepRecord:
    step: int
    reasoning_parts: list[str] = field(default_factory=list)
    content_parts: list[str] = field(default_factory=list)
    tools: list[ToolRecord] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)  # why earlier attempts were discarded
    discarded: list[str] = field(default_factory=list)  # what those attempts had streamed (kept visible)
    reasoning_seconds: float = 0.0
    seconds: float = 0.0
    usage: Usage | None = None
    done: bool = False

    @property
    def reasoning(self) -> str:
        return "".join(self.reasoning_parts)

    @property
    def content(self) -> str:
        return "".join(self.content_parts)


@dataclass
class Transcript:
    run_id: str = ""
    model: str = ""
    provider: str = ""
    prompt: str = ""
    started_at: float = 0.0
    steps: list[StepRecord] = field(default_factory=list)
    notices: list[tuple[str, str]] = field(default_factory=list)
    # Where each notice was said: how many steps had begun (0: before the first). Views show it there,
    # so a replay's "output differs" note stands above the answer written for the old output.
    notice_at: list[int] = field(default_factory=list)
    status: str = "running"
    answer: str = ""
    usage: Usage = field(default_factory=Usage)
    seconds: float = 0.0
    cost: float | None = None
    error: str = ""
    max_steps: int = 0
    approve: str = ""  # the approval mode as the run goes: ask / auto / never / "auto (Always)"
    present: bool = False  # presenter mode: large layout, a pause before each step
    prices: tuple[float, float, float] | None = None  # the run's model's prices, the user's first

    def placed_notices(self) -> list[list[tuple[str, str]]]:
        """The notices by place: ``[0]`` before the first step, ``[k]`` after step k's record (its
        thinking, text and tools), in the order they were said; a run's final answer follows them
        all. A transcript saved before places were kept has its notices after its last step."""
        places: list[list[tuple[str, str]]] = [[] for _ in range(len(self.steps) + 1)]
        for i, notice in enumerate(self.notices):
            at = self.notice_at[i] if i < len(self.notice_at) else len(self.steps)
            places[min(max(at, 0), len(self.steps))].append(notice)
        return places

    def find_step(self, number: int) -> StepRecord | None:
        """The record of step ``number`` (for readers: unlike ``apply``, it never adds one)."""
        return next((s for s in reversed(self.steps) if s.step == number), None)

    def find_tool(self, step: int, call_id: str) -> ToolRecord | None:
        """The record of the call ``call_id`` of step ``step``, if it started."""
        record = self.find_step(step)
        return next((t for t in reversed(record.tools) if t.call_id == call_id), None) if record else None

    def _step(self, number: int) -> StepRecord:
        if not self.steps or self.steps[-1].step != number:
            self.steps.append(StepRecord(number))
        return self.steps[-1]

    def _tool(self, step: int, call_id: str) -> ToolRecord | None:
        for tool in reversed(self._step(step).tools):
            if tool.call_id == call_id:
                return tool
        return None

    def apply(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.run_id, self.model, self.provider = event.run_id, event.model, event.provider
            self.prompt, self.started_at, self.max_steps = (
                event.prompt,
                event.started_at,
                event.max_steps,
            )
            self.approve, self.present, self.prices = event.approve, event.present, event.prices
        elif isinstance(event, StepStarted):
            step = self._step(event.step)
            if event.attempt > 1 and (step.reasoning_parts or step.content_parts):
                step.reasoning_parts, step.content_parts = [], []
        elif isinstance(event, ReasoningDelta):
            self._step(event.step).reasoning_parts.append(event.text)
        elif isinstance(event, ContentDelta):
            self._step(event.step).content_parts.append(event.text)
        elif isinstance(event, Retrying):
            step = self._step(event.step)
            step.retried.append(event.reason)
            step.discarded.append(step.reasoning + ("\n" + step.content if step.content else ""))
            step.reasoning_parts, step.content_parts = [], []
        elif isinstance(event, ModelTurnDone):
            step = self._step(event.step)
            step.done, step.usage = True, event.turn.usage
            step.seconds, step.reasoning_seconds = event.seconds, event.reasoning_seconds
            # The accumulator's final text is authoritative (held-back fragments included).
            step.reasoning_parts, step.content_parts = [event.turn.reasoning], [event.turn.content]
        elif isinstance(event, ToolStarted):
            self._step(event.step).tools.append(ToolRecord(event.call_id, event.name, event.arguments, event.code))
        elif isinstance(event, ApprovalNeeded):
            tool = self._tool(event.step, event.call_id)
            if tool:
                tool.status = "waiting"
                # A user tool's call has no code of its own; what the user was asked about stands in.
                tool.code = event.code if tool.code is None and event.change is None else tool.code
                tool.change = event.change or tool.change
            self.approve = "ask"  # a question is being asked (e.g. again after "ask again")
        elif isinstance(event, ApprovalDecided):
            tool = self._tool(event.step, event.call_id)
            if tool and tool.change is not None:  # a notebook change: the user may have edited the proposed source
                if event.decision == "edit" and event.code != tool.change.after:
                    tool.original_code = tool.change.after
                    tool.change = replace(tool.change, after=event.code)
                tool.approval, tool.approval_reason = event.decision, event.reason
                tool.status, tool.waited = "running", event.waited
            elif tool:
                if event.decision == "edit" and tool.code is not None and event.code != tool.code:
                    tool.original_code = tool.code
                tool.approval, tool.approval_reason, tool.code = (
                    event.decision,
                    event.reason,
                    event.code,
                )
                tool.status, tool.waited = "running", event.waited
            if event.decision == "always":
                self.approve = ALWAYS
        elif isinstance(event, ToolFinished):
            tool = self._tool(event.step, event.call_id)
            if tool:
                if tool.status == "waiting":  # stopped while it waited for the user: it never ran
                    tool.waited = event.seconds
                tool.status, tool.model_text, tool.seconds = (
                    event.status,
                    event.model_text,
                    max(event.seconds - tool.waited, 0.0),
                )
                tool.outputs = list(event.outputs)
                tool.state_diff = event.state_diff
                tool.code = event.code if event.code is not None else tool.code
                tool.change = event.change or tool.change
        elif isinstance(event, Notice):
            self.notices.append((event.level, event.text))
            self.notice_at.append(len(self.steps))
        elif isinstance(event, RunFinished):
            self.status, self.answer, self.usage = event.status, event.answer, event.usage
            self.seconds, self.cost, self.error = event.seconds, event.cost, event.error
            self.approve = event.approve or self.approve
            self.model = event.model or self.model

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for step, record in zip(data["steps"], self.steps, strict=True):
            step["reasoning"] = record.reasoning
            step["content"] = record.content
            del step["reasoning_parts"], step["content_parts"]
        return data
