"""Notebook tools: the model reads the notebook it runs in and, with the user's approval, changes it.

``read_notebook`` (an outline within a token budget) and ``read_cell`` (one cell in full) only read,
so they need no approval. ``edit_cell``, ``insert_cell`` and ``run_cell`` change the notebook: each
shows the change (a diff, the new cell, the cell to run) through ``ApprovalPolicy.ask`` and nothing
changes before the user accepts. They exist only where a notebook tab can make the change in its
live model (the k2nb labextension); the :class:`Notebook` given says which (notebook/workspace.py).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Protocol

from ..core.events import CellChange
from ..core.notebook_view import (
    FIX_PREFIX,
    CellNotFound,
    NotebookCell,
    NotebookSnapshot,
    cell_text,
    image_outputs,
    outline,
    resolve,
)
from ..core.toolbox import ToolContext, ToolOutcome, ToolSpec
from ..kernel.prompt_context import CellError
from ..kernel.secrets import Redactor
from .approval import Answer, ApprovalPolicy, ApprovalRequest, Approver, Verdict
from .code_interpreter import run_for_model

READ_NOTEBOOK, READ_CELL = "read_notebook", "read_cell"
EDIT_CELL, INSERT_CELL, RUN_CELL = "edit_cell", "insert_cell", "run_cell"
CHANGE_TOOLS = (EDIT_CELL, INSERT_CELL, RUN_CELL)
# The tab's operations (labextension/src/workspace.ts) and its answer to each.
READ_OP, EDIT_OP, INSERT_OP, OUTPUTS_OP = "notebook-read", "notebook-edit", "notebook-insert", "notebook-outputs"
DONE = "notebook-done"
APPROVAL_LABEL = {"auto": "auto", "run": "approved", "always": "approved", "edit": "edited"}

_REF = {
    "type": "string",
    "description": "Which cell: an id from read_notebook, a position ('cell 3'), an execution count ('In [5]'), "
    "or relative to the running %%k2 cell: 'previous', 'next', 'this', 'first markdown cell', 'the last error'.",
}


class NotebookUnavailable(Exception):
    """The notebook cannot be read or changed here; the message (one line) says why."""


class Notebook(Protocol):
    """The notebook a run belongs to: its live model in the tab that ran the cell, or the saved file."""

    @property
    def can_change(self) -> bool: ...

    @property
    def running_id(self) -> str | None: ...

    def read(self, *, full: Sequence[str] = ()) -> NotebookSnapshot:
        """The cells now; ``full``: cells whose outputs come whole (figures included). Raises NotebookUnavailable."""
        ...

    def apply(self, op: dict[str, Any]) -> dict[str, Any]:
        """Have the tab carry out a change (``op`` is one of the change operations); its answer."""
        ...

    def note(self) -> str:
        """What the model is told with the prompt: where it runs, and what it can read and change here."""
        ...


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_cell_id() -> str:
    return f"k2nb-{uuid.uuid4().hex[:10]}"


def notebook_tools(
    shell: Any,
    notebook: Notebook,
    policy: ApprovalPolicy,
    ask: Approver | Answer,
    *,
    budget_tokens: Callable[[], int],
    timeout: Callable[[], float | None],
    redactor: Redactor | None = None,
    stop: threading.Event | None = None,
) -> list[ToolSpec]:
    """The read tools always; the change tools only where the notebook can be changed (a linked tab)."""
    redact = redactor if redactor is not None else Redactor.for_run(namespace=shell.user_ns)
    inserted: list[str] = []  # cells this run inserted, in order: the next insert goes after the last

    def read(full: Sequence[str] = ()) -> NotebookSnapshot:
        return notebook.read(full=full)

    def read_notebook(arguments: dict[str, Any], _context: ToolContext) -> ToolOutcome:
        try:
            snapshot = read()
        except NotebookUnavailable as error:
            return ToolOutcome("error", f"Error: {error}")
        start, end = arguments.get("start"), arguments.get("end")
        text = outline(snapshot, budget_tokens=budget_tokens(), start=start, end=end)
        if not notebook.can_change:
            text += "\n" + CANNOT_CHANGE
        return ToolOutcome("ok", redact.text(text))

    def read_cell(arguments: dict[str, Any], _context: ToolContext) -> ToolOutcome:
        try:
            snapshot = read()
            cell = resolve(snapshot, arguments.get("cell"))
            if any(o.get("output_type") in ("display_data", "execute_result") for o in cell.outputs):
                snapshot = read(full=[cell.id])  # its figures whole: a vision model may be shown them
                cell = snapshot.find(cell.id) or cell
        except (NotebookUnavailable, CellNotFound) as error:
            return ToolOutcome("error", f"Error: {error}")
        images = tuple(redact.output(o) for o in image_outputs(cell.outputs))
        return ToolOutcome("ok", redact.text(cell_text(snapshot, cell)), outputs=images)

    specs = [
        ToolSpec(
            READ_NOTEBOOK,
            "Outline of the notebook this %%k2 cell runs in: each cell's position, id, type, execution count, "
            "first lines and a summary of its outputs (errors with name and message); ▶ marks the running cell. "
            "Read-only. Long notebooks: pass start/end positions, then read_cell for a whole cell.",
            {
                "type": "object",
                "properties": {
                    "start": {"type": "integer", "description": "first cell position to list (1 = first)"},
                    "end": {"type": "integer", "description": "last cell position to list"},
                },
                "additionalProperties": False,
            },
            read_notebook,
            read_only=True,
        ),
        ToolSpec(
            READ_CELL,
            "One notebook cell in full: its source and its outputs as text (streams, results, errors with "
            "tracebacks, figures summarized). Read-only.",
            {"type": "object", "properties": {"cell": _REF}, "required": ["cell"], "additionalProperties": False},
            read_cell,
            read_only=True,
        ),
    ]
    if not notebook.can_change:
        return specs

    def approve(context: ToolContext, tool: str, change: CellChange, code: str) -> Verdict:
        request = ApprovalRequest(context.call_id, tool, code, context.step, change=change)
        return policy.ask(request, ask, context.emit)

    def declined(verdict: Verdict, change: CellChange, what: str) -> ToolOutcome:
        why = f" Their reason: {verdict.reason}" if verdict.reason else ""
        if verdict.decision == "skip":
            text = f"The user rejected this change ({what}); the notebook is unchanged.{why}"
        else:
            text = f"The change ({what}) was declined and not made: {verdict.reason}"
        return ToolOutcome("declined", text, change=change)

    def provenance(context: ToolContext, kind: str, verdict: Verdict, **extra: Any) -> dict[str, Any]:
        return {
            "kind": kind,
            "run_id": context.run_id,
            "step": context.step,
            "call_id": context.call_id,
            "approval": APPROVAL_LABEL.get(verdict.decision, verdict.decision),
            "at": now_iso(),
            **extra,
        }

    def target(snapshot: NotebookSnapshot, ref: object, doing: str) -> NotebookCell:
        cell = resolve(snapshot, ref)
        if cell.id == notebook.running_id:
            raise CellNotFound(f"cannot {doing} the running %%k2 cell itself; name another cell.")
        return cell

    def edit_cell(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
        source = str(arguments["source"])
        try:
            snapshot = read()
            cell = target(snapshot, arguments.get("cell"), "edit")
        except (NotebookUnavailable, CellNotFound) as error:
            return ToolOutcome("error", f"Error: {error}")
        if source.rstrip("\n") == cell.source.rstrip("\n"):
            return ToolOutcome("invalid", f"Error: {cell.label} already has exactly this source; nothing to change.")
        change = CellChange("edit", cell.id, cell.label, cell.cell_type, cell.source, source)
        verdict = approve(context, EDIT_CELL, change, source)
        if not verdict.runs:
            return declined(verdict, change, f"edit of {cell.label}")
        change = replace(change, after=verdict.code)
        try:
            apply_edit(cell, verdict.code, provenance(context, "edit", verdict, replaced=cell.source))
        except NotebookUnavailable as error:
            return ToolOutcome("error", f"Error: the edit of {cell.label} was not made: {error}", change=change)
        edited = " (the user edited your proposal first)" if verdict.decision == "edit" else ""
        text = f"Applied{edited}: {cell.label} (id {cell.id}) now reads:\n{verdict.code}"
        return ToolOutcome("ok", redact.text(text), change=replace(change, applied=True))

    def apply_edit(cell: NotebookCell, source: str, change: dict[str, Any]) -> None:
        notebook.apply({"op": EDIT_OP, "id": cell.id, "source": source, "expect": cell.source, "change": change})

    def insert_cell(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
        source = str(arguments["source"])
        cell_type = str(arguments.get("cell_type") or "code")
        try:
            snapshot = read()
            after = _insert_after(snapshot, arguments.get("after"), inserted)
        except (NotebookUnavailable, CellNotFound) as error:
            return ToolOutcome("error", f"Error: {error}")
        new_id = new_cell_id()
        label = f"new {cell_type} cell after {after.label}"
        change = CellChange("insert", new_id, label, cell_type, "", source)
        verdict = approve(context, INSERT_CELL, change, source)
        if not verdict.runs:
            return declined(verdict, change, f"insert of a {label}")
        change = replace(change, after=verdict.code)
        metadata = {"k2nb": {"changes": [provenance(context, "insert", verdict)]}}
        body: dict[str, Any] = {"id": new_id, "cell_type": cell_type, "source": verdict.code, "metadata": metadata}
        if cell_type == "code":
            body.update(outputs=[], execution_count=None)
        try:
            answer = notebook.apply({"op": INSERT_OP, "after": after.id, "cell": body})
        except NotebookUnavailable as error:
            return ToolOutcome("error", f"Error: the new cell was not inserted: {error}", change=change)
        inserted.append(new_id)
        position = answer.get("position")
        where = f"cell {position}" if isinstance(position, int) else "a new cell"
        change = replace(change, applied=True, label=f"{where} (new, after {after.label})")
        edited = " (the user edited your proposal first)" if verdict.decision == "edit" else ""
        runs = " It has not run: run_cell runs it." if cell_type == "code" else ""
        text = f"Inserted{edited} a {cell_type} cell as {where} (id {new_id}), after {after.label}.{runs}"
        return ToolOutcome("ok", text, change=change)

    def run_cell(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
        try:
            snapshot = read()
            cell = target(snapshot, arguments.get("cell"), "run")
        except (NotebookUnavailable, CellNotFound) as error:
            return ToolOutcome("error", f"Error: {error}")
        if cell.cell_type != "code":
            return ToolOutcome("invalid", f"Error: {cell.label} is a {cell.cell_type} cell: there is no code to run.")
        change = CellChange("run", cell.id, cell.label, "code", cell.source, cell.source)
        verdict = approve(context, RUN_CELL, change, cell.source)
        if not verdict.runs:
            return declined(verdict, change, f"run of {cell.label}")
        code = verdict.code
        prefix = ""
        if code != cell.source:  # Edit: the cell gets the code that runs, so its outputs match its source
            try:
                apply_edit(cell, code, provenance(context, "edit", verdict, replaced=cell.source))
            except NotebookUnavailable as error:
                return ToolOutcome("error", f"Error: {cell.label} was not changed or run: {error}", change=change)
            prefix = f"[The user edited the cell before running it. It now reads:]\n{code}\n[Output:]\n"
        started = time.perf_counter()
        outcome, count = run_for_model(
            shell, code, redact=redact, timeout=timeout(), stop=stop, store_history=True, cell_id=cell.id
        )
        outputs = _cell_outputs(outcome.outputs, count)
        ran = f"In [{count}]" if count is not None else "a run"
        change = replace(change, after=code, execution_count=count)
        shown = "the outputs below are in the cell now"
        try:
            notebook.apply(
                {
                    "op": OUTPUTS_OP,
                    "id": cell.id,
                    "outputs": outputs,
                    "execution_count": count,
                    "change": provenance(context, "run", verdict, execution_count=count),
                }
            )
            change = replace(change, applied=True)
        except NotebookUnavailable as error:
            shown = f"its outputs could not be written into the cell ({error})"
        seconds = time.perf_counter() - started
        head = f"{prefix}Ran {cell.label} (id {cell.id}) as {ran} in {seconds:.1f} s; {shown}:\n"
        return replace(outcome, model_text=head + outcome.model_text, code=None, change=change)

    edit_schema = {
        "type": "object",
        "properties": {"cell": _REF, "source": {"type": "string", "description": "The cell's whole new source."}},
        "required": ["cell", "source"],
        "additionalProperties": False,
    }
    insert_schema = {
        "type": "object",
        "properties": {
            "source": {"type": "string", "description": "The new cell's source."},
            "cell_type": {"type": "string", "enum": ["code", "markdown"], "description": "code (default) or markdown"},
            "after": {
                **_REF,
                "description": "The cell to insert after (default: after the running cell and its trace).",
            },
        },
        "required": ["source"],
        "additionalProperties": False,
    }
    specs += [
        ToolSpec(
            EDIT_CELL,
            "Replace a notebook cell's source (the user sees a diff and accepts, edits or rejects it; nothing "
            "changes before). Read the cell first. It does not run the cell: run_cell does.",
            edit_schema,
            edit_cell,
        ),
        ToolSpec(
            INSERT_CELL,
            "Insert a new code or markdown cell (after the running %%k2 cell by default), once the user accepts it.",
            insert_schema,
            insert_cell,
        ),
        ToolSpec(
            RUN_CELL,
            "Run a notebook code cell in the user's kernel, once the user accepts: it gets an execution count and "
            "its outputs, as if the user had run it; you read the outputs back.",
            {"type": "object", "properties": {"cell": _REF}, "required": ["cell"], "additionalProperties": False},
            run_cell,
        ),
    ]
    return specs


CANNOT_CHANGE = (
    "(Cells cannot be changed from here: the k2nb JupyterLab extension is not running in this frontend, "
    "so edit_cell / insert_cell / run_cell are not available. To change a cell, show the user the new code.)"
)


def _insert_after(snapshot: NotebookSnapshot, ref: object, inserted: Sequence[str]) -> NotebookCell:
    """Where a new cell goes: after ``ref``; by default after this run's last insert, else after the
    running cell and the trace cells below it."""
    if ref not in (None, ""):
        return resolve(snapshot, ref)
    for cell_id in reversed(inserted):
        cell = snapshot.find(cell_id)
        if cell is not None:
            return cell
    here = snapshot.running
    if here is None:
        if not snapshot.cells:
            raise CellNotFound("the notebook has no cells to insert after.")
        return snapshot.cells[-1]
    last = here
    for cell in snapshot.cells[here.index + 1 :]:
        if not cell.trace:
            break
        last = cell
    return last


def _cell_outputs(outputs: Sequence[dict[str, Any]], count: int | None) -> list[dict[str, Any]]:
    """Outputs as nbformat v4 has them in a cell (an execute_result carries the cell's count)."""
    result = []
    for output in outputs:
        item = dict(output)
        if item.get("output_type") in ("display_data", "execute_result"):
            item = {
                "output_type": item["output_type"],
                "data": dict(item.get("data") or {}),
                "metadata": dict(item.get("metadata") or {}),
            }
            if item["output_type"] == "execute_result":
                item["execution_count"] = count
        elif item.get("output_type") == "error":
            item = {k: item[k] for k in ("output_type", "ename", "evalue", "traceback") if k in item}
        result.append(item)
    return result


NO_ERROR = (
    "k2nb: no error to fix in this session: run the failing cell first (a cell's error is forgotten once it "
    "runs without one), then `%k2 fix`."
)


def fix_prompt(error: CellError, *, guidance: str = "", can_change: bool) -> tuple[str, str]:
    """What ``%k2 fix`` asks: the prompt the trace shows (which cell, which error, the user's words),
    and the note sent with it (the cell's source, its traceback, how the fix is to be made)."""
    count = f" (In [{error.execution_count}])" if error.execution_count is not None else ""
    where = f'the cell with id "{error.cell_id}"{count}' if error.cell_id else f"the cell{count}"
    prompt = f"Fix the error in {where}: it raised {error.line}."
    if guidance.strip():
        prompt += f"\n\n{guidance.strip()}"
    if can_change and error.cell_id:
        how = (
            f"Find what is wrong (read the kernel's variables if you need to), then propose the fixed cell with "
            f'{EDIT_CELL} (cell "{error.cell_id}"), changing only what the error needs. Once it is applied, run '
            f"it with {RUN_CELL} and read its new output: say whether it works now or still fails."
        )
    else:
        how = (
            "The cell cannot be changed from here: give the corrected cell as one Python code block and say "
            "what was wrong."
        )
    note = (
        f"{FIX_PREFIX} The failing cell's source:\n```python\n{error.source.rstrip()}\n```\n\n"
        f"Its traceback:\n```\n{error.text}\n```\n\n{how}"
    )
    return prompt, note
