"""The closed set of typed events one run emits.

One event stream feeds every consumer (live view, static render, transcript, cells); nobody
re-parses chunks. Deltas carry only the new text: consumers append, never re-send.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from .turn import AssistantTurn, Usage

RunStatus = Literal["done", "stopped", "failed", "max_steps", "max_cost"]
ToolStatus = Literal["ok", "error", "timeout", "declined", "invalid", "stopped"]
Decision = Literal["auto", "run", "edit", "skip", "always", "declined"]
ChangeKind = Literal["edit", "insert", "run"]


@dataclass(frozen=True, slots=True)
class CellChange:
    """What a notebook tool changes in one cell: shown for approval, then as done (or not) in the trace.

    ``before`` is the source an edit replaces ("" for an insert); ``after`` the new source (for a
    run: the source that runs). ``applied`` once the notebook tab confirmed it.
    """

    kind: ChangeKind
    cell_id: str
    label: str  # how the user finds the cell: "cell 4 · In [3]", "new cell after cell 5"
    cell_type: str = "code"  # code | markdown
    before: str = ""
    after: str = ""
    applied: bool = False
    execution_count: int | None = None  # a run's number in In/Out


@dataclass(frozen=True, slots=True)
class RunStarted:
    run_id: str
    model: str
    provider: str
    max_steps: int
    prompt: str
    started_at: float
    approve: str = ""  # the approval mode at the start: ask / auto / never / "auto (Always)"
    present: bool = False  # presenter mode: a pause before each step (core/pause.py)
    # USD per 1M tokens (cache hit, cache miss, output) for this run's model, the user's prices first:
    # what the views price the usage with while the run goes (RunFinished.cost is the final word).
    prices: tuple[float, float, float] | None = None
    type: Literal["run_started"] = "run_started"


@dataclass(frozen=True, slots=True)
class StepStarted:
    step: int
    attempt: int = 1
    type: Literal["step_started"] = "step_started"


@dataclass(frozen=True, slots=True)
class StepPaused:
    """Presenter mode: step ``step``'s request waits until the user says next (nothing is sent before)."""

    step: int
    pause_id: str  # what the user's "next" names, so a late or repeated press releases nothing else
    channel: Literal["buttons", "stdin"] = "stdin"  # where the user answers
    type: Literal["step_paused"] = "step_paused"


@dataclass(frozen=True, slots=True)
class StepResumed:
    step: int
    pause_id: str
    waited: float = 0.0  # seconds the class looked at the pause
    type: Literal["step_resumed"] = "step_resumed"


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    step: int
    text: str
    type: Literal["reasoning_delta"] = "reasoning_delta"


@dataclass(frozen=True, slots=True)
class ContentDelta:
    step: int
    text: str
    type: Literal["content_delta"] = "content_delta"


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A streamed fragment of a tool call; ``name`` is set on the first fragment of an index."""

    step: int
    index: int
    arguments: str
    name: str | None = None
    type: Literal["tool_call_delta"] = "tool_call_delta"


@dataclass(frozen=True, slots=True)
class ModelTurnDone:
    step: int
    turn: AssistantTurn
    seconds: float
    reasoning_seconds: float
    type: Literal["model_turn_done"] = "model_turn_done"


@dataclass(frozen=True, slots=True)
class Retrying:
    """The current attempt is discarded from history (it stays visible, marked retried)."""

    step: int
    attempt: int
    reason: str
    delay: float
    type: Literal["retrying"] = "retrying"


@dataclass(frozen=True, slots=True)
class ToolStarted:
    step: int
    call_id: str
    name: str
    arguments: dict[str, Any] | None
    code: str | None = None
    call: str | None = None  # a call that is not code, as the user sees it (ToolSpec.shown)
    type: Literal["tool_started"] = "tool_started"


@dataclass(frozen=True, slots=True)
class ApprovalNeeded:
    step: int
    call_id: str
    code: str
    channel: Literal["buttons", "stdin"] = "stdin"  # where the user answers
    tool: str = ""  # the tool asking (code_interpreter, a user tool…): what its approval is titled
    change: CellChange | None = None  # a notebook tool's proposed change (the diff, the new cell, the cell to run)
    type: Literal["approval_needed"] = "approval_needed"


@dataclass(frozen=True, slots=True)
class ApprovalDecided:
    step: int
    call_id: str
    decision: Decision
    code: str
    reason: str = ""
    waited: float = 0.0  # seconds the call waited for the user's answer (0 when nobody was asked)
    tool: str = ""  # the tool whose call was decided
    type: Literal["approval_decided"] = "approval_decided"


@dataclass(frozen=True, slots=True)
class ToolFinished:
    step: int
    call_id: str
    name: str
    status: ToolStatus
    model_text: str
    outputs: tuple[dict[str, Any], ...] = ()
    seconds: float = 0.0  # since the call started, an approval wait included (ApprovalDecided.waited)
    code: str | None = None
    state_diff: str = ""
    change: CellChange | None = None  # a notebook tool's change, as made (or not)
    type: Literal["tool_finished"] = "tool_finished"


@dataclass(frozen=True, slots=True)
class Notice:
    level: Literal["info", "warning", "error"]
    text: str
    type: Literal["notice"] = "notice"


@dataclass(frozen=True, slots=True)
class RunFinished:
    status: RunStatus
    answer: str
    usage: Usage
    seconds: float
    steps: int
    error: str = ""
    cost: float | None = None
    approve: str = ""  # the approval mode the run leaves the session in (the user may change it mid-run)
    model: str = ""  # the model the run ended on: another than RunStarted's if a retired default fell back
    type: Literal["run_finished"] = "run_finished"


Event = (
    RunStarted
    | StepStarted
    | StepPaused
    | StepResumed
    | ReasoningDelta
    | ContentDelta
    | ToolCallDelta
    | ModelTurnDone
    | Retrying
    | ToolStarted
    | ApprovalNeeded
    | ApprovalDecided
    | ToolFinished
    | Notice
    | RunFinished
)

__all__ = [
    "ApprovalDecided",
    "ApprovalNeeded",
    "CellChange",
    "ContentDelta",
    "Event",
    "ModelTurnDone",
    "Notice",
    "ReasoningDelta",
    "Retrying",
    "RunFinished",
    "RunStarted",
    "StepPaused",
    "StepResumed",
    "StepStarted",
    "ToolCallDelta",
    "ToolFinished",
    "ToolStarted",
]
