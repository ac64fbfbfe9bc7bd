"""The cells a run's step becomes: one pure plan for the live materializer and the nbformat export.

Each step becomes its thinking as a Markdown cell (the step's title, then the text), the answer or
message as a Markdown cell, and each ``code_interpreter`` call as a code cell with the code that
ran and its outputs. :class:`~k2nb.notebook.cells.CellMaterializer` realises the plan as a run
goes (inserting, appending, updating what changed); ``ui/cells_export.py`` writes the plan of the
finished run with nbformat. Both build cells only from here, so the two cannot drift.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from ..core.step_title import RUNNING, thinking_title
from ..core.transcript import StepRecord, ToolRecord, Transcript

CODE_TOOL = "code_interpreter"


@dataclass(frozen=True)
class PlannedCell:
    """One cell as the plan has it now."""

    part: str  # which part of its step the cell holds: "thinking", "text" or the call's id
    cell_type: Literal["markdown", "code"]
    source: str
    meta: dict[str, Any]  # its own ``k2nb`` metadata (role, step, …), added to the run's provenance
    outputs: list[dict[str, Any]] = field(default_factory=list)  # code cells: nbformat outputs
    hidden: bool = False  # collapsed to its first line (``jupyter.source_hidden``)
    final: bool = False  # its part of the step is over: nothing about it changes any more


def step_cells(step: StepRecord, run_status: str, *, heading_format: str, collapse_thinking: bool) -> list[PlannedCell]:
    """The cells of ``step`` in notebook order, while its run is ``run_status`` ("running" or how it ended)."""
    ended = run_status != RUNNING
    cells: list[PlannedCell] = []
    if step.reasoning:
        over = step.done or ended
        meta: dict[str, Any] = {"role": "thinking", "step": step.step}
        if over:
            meta.update(seconds=round(step.reasoning_seconds, 3), reasoning_tokens=_reasoning_tokens(step))
        if not step.done and ended:
            meta["status"] = run_status  # stopped or failed before the step completed
        title = thinking_title(step, heading_format, run_status)
        hidden = collapse_thinking and step.done
        cells.append(
            PlannedCell("thinking", "markdown", thinking_source(title, step.reasoning), meta, [], hidden, over)
        )
    if step.content:
        role = "message" if step.tools else "answer"  # text beside tool calls is a message, not the answer
        meta = {"role": role, "step": step.step}
        cells.append(PlannedCell("text", "markdown", step.content, meta, final=step.done or ended))
    for tool in step.tools:
        if tool.name != CODE_TOOL or tool.code is None:
            continue
        over = tool.status not in ("running", "waiting")
        meta = {"role": "code", "step": step.step, "call_id": tool.call_id, "tool": tool.name, "executed_by": "k2nb"}
        if tool.approval or over:  # not before the policy decided (the user may be asked)
            meta["approval"] = approval_label(tool)
        meta.update(edited_meta(tool))
        if over:
            meta.update(status=tool.status, seconds=round(tool.seconds, 3))
        cells.append(PlannedCell(tool.call_id, "code", tool.code, meta, notebook_outputs(tool.outputs), final=over))
    return cells


def provenance(run: Transcript, anchor: str, cell: PlannedCell, **extra: Any) -> dict[str, Any]:
    """A cell's whole ``k2nb`` metadata: the run's (id, ``%%k2`` cell, model), the cell's own, ``extra``."""
    return {"run_id": run.run_id, "anchor": anchor, "model": run.model, **cell.meta, **extra}


def _reasoning_tokens(step: StepRecord) -> int:
    return step.usage.reasoning_tokens if step.usage else 0


def thinking_source(title: str, reasoning: str) -> str:
    """The title line, then the thinking. A plain first line: a collapsed cell shows it as is."""
    return f"{title}\n\n{reasoning}"


def digest(text: str) -> str:
    """FNV-1a (32 bit) over UTF-16 code units: the labextension's ``digest`` (cells.ts)."""
    data = text.encode("utf-16-le")
    value = 0x811C9DC5
    for i in range(0, len(data), 2):
        value ^= data[i] | (data[i + 1] << 8)
        value = (value * 0x01000193) & 0xFFFFFFFF
    return f"{value:08x}"


def approval_label(tool: ToolRecord) -> str:
    """auto / approved / edited / skipped / declined: who let the code run."""
    return {
        "": "auto",
        "auto": "auto",
        "run": "approved",
        "always": "approved",
        "edit": "edited",
        "skip": "skipped",
        "declined": "declined",
    }.get(tool.approval, tool.approval)


def edited_meta(tool: ToolRecord) -> dict[str, str]:
    """``original_code``: the model's code, for a cell whose code the user edited before it ran."""
    return {} if tool.original_code is None else {"original_code": tool.original_code}


def notebook_outputs(outputs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tool's outputs as valid nbformat v4 outputs."""
    result: list[dict[str, Any]] = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            result.append(
                {"output_type": "stream", "name": output.get("name", "stdout"), "text": str(output.get("text", ""))}
            )
        elif kind in ("display_data", "execute_result"):
            item = {
                "output_type": kind,
                "data": dict(output.get("data") or {}),
                "metadata": dict(output.get("metadata") or {}),
            }
            if kind == "execute_result":
                item["execution_count"] = None
            result.append(item)
        elif kind == "error":
            result.append(
                {
                    "output_type": "error",
                    "ename": str(output.get("ename", "")),
                    "evalue": str(output.get("evalue", "")),
                    "traceback": [str(line) for line in output.get("traceback", [])],
                }
            )
    return result


def iso_time(timestamp: float | None = None) -> str:
    """A timestamp as the cells' metadata has it (UTC, milliseconds): now, if none is given."""
    moment = datetime.fromtimestamp(timestamp if timestamp is not None else time.time(), tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def cell_id(run_id: str, n: int) -> str:
    """The id of a run's ``n``-th cell (the labextension keeps the ids it is given)."""
    return f"k2-{run_id[:12]}-{n}"
