"""A run's trace as real notebook cells, live: ``%%k2 --cells`` (or the tab's "materialize cells").

Each step becomes cells below the ``%%k2`` cell (``cell_plan.py`` says which): its thinking as a
Markdown cell with a one-line title ("Thought for 12 s · 1.2k tokens", collapsed once the step is
done), each ``code_interpreter`` call as a code cell holding the code that ran and the outputs it
produced (not re-executed), and the answer as a Markdown cell. Every such cell carries provenance
under the ``k2nb`` metadata key (run id, step, role, model, tool-call id, approval, timestamps).

:class:`CellMaterializer` takes the run's events and sends cell operations over the
``k2nb.frontend`` comm to the one browser tab that ran the cell; the labextension applies them to
the notebook's shared model (labextension/src/cells.ts documents the operations). Headless,
``ui/cells_export.py`` writes the same plan with nbformat.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..core.batcher import AppendBatcher, Cadence
from ..core.events import (
    ApprovalDecided,
    ContentDelta,
    Event,
    ModelTurnDone,
    ReasoningDelta,
    RunFinished,
    RunStarted,
    StepStarted,
    ToolFinished,
    ToolStarted,
)
from ..core.step_title import LIVE_TITLE, format_works
from ..core.transcript import Transcript
from .cell_plan import PlannedCell, cell_id, iso_time, provenance, step_cells, thinking_source
from .link import FrontendLink
from .settings_schema import setting_default

DEFAULT_HEADING: str = setting_default("headingFormat")  # the tab's default too: one schema holds it
# Streamed text goes to the tab at most every 0.1 s (a comm message per op, no envelope to save).
CELLS_CADENCE = Cadence(min_interval=0.1, max_delay=0.1, batch_chars=0)  # any text is worth a message
TAB_WAIT = 3.0  # seconds --cells waits for the running tab's link (it opens right after %load_ext)

NO_EXTENSION = (
    "k2nb: --cells needs the k2nb extension in the JupyterLab / Notebook 7 tab that runs the cell "
    "(pip install k2nb in the Jupyter server's environment, then reload the page); the trace stays in "
    "this output. To get it as cells anyway: `%k2 export FILE.ipynb` writes the session as a notebook."
)


def usable_heading(fmt: object) -> str:
    """The thinking cells' title format: the tab's setting when it is usable, else the default."""
    return fmt if isinstance(fmt, str) and format_works(fmt) else DEFAULT_HEADING


@dataclass
class _Materialized:
    """A planned cell as the tab has it, so that only what changed is sent again."""

    id: str
    source: str | None  # None: streamed appends made it grow since it was planned
    outputs: list[dict[str, Any]]
    meta: dict[str, Any]  # its own k2nb metadata as sent
    hidden: bool
    final: bool


class CellMaterializer:
    """A view of a run that writes its trace as cells in the tab that ran the ``%%k2`` cell.

    ``send(op)`` delivers one operation (``FrontendLink.send`` bound to that tab). At each event
    the event's step is planned again (``cell_plan.step_cells``) and the tab gets what it lacks:
    new cells inserted, changed ones updated. Thinking and answer text streams in between as
    appends, merged and sent at most every 0.1 s (``CELLS_CADENCE``).
    """

    def __init__(
        self,
        send: Callable[[dict[str, Any]], None],
        anchor: str,
        *,
        heading_format: str = DEFAULT_HEADING,
        collapse_thinking: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._send = send
        self.anchor = anchor
        self.heading_format = usable_heading(heading_format)
        self.collapse_thinking = collapse_thinking
        self._batch = AppendBatcher(self._send_all, CELLS_CADENCE, append_op="cell-append", clock=clock)
        self._run_id = ""
        self._count = 0
        self._tail = anchor  # the last cell of the run so far (a new step's cells go after it)
        self._step_head: dict[int, str] = {}  # step -> the cell its cells follow
        self._cells: dict[tuple[int, str], _Materialized] = {}  # (step, part) -> the cell in the tab
        self.ops_sent = 0

    @classmethod
    def for_current_cell(cls, link: FrontendLink, shell: Any, *, forced: bool) -> CellMaterializer | None:
        """A materializer for the cell being executed, or None when it cannot (or should not) run.

        It runs when the tab that sent the execute request has the labextension linked and either
        ``forced`` (``--cells``) or that tab's "materialize cells" setting is on.
        """
        kernel = getattr(shell, "kernel", None)
        if kernel is None or not link.available:
            return None
        try:
            parent = kernel.get_parent()
        except Exception:
            return None
        anchor = (parent.get("metadata") or {}).get("cellId")
        client = (parent.get("header") or {}).get("session")
        if not isinstance(anchor, str) or not isinstance(client, str):
            return None  # not run from a notebook tab (nbclient, a console)
        if forced and link.hello(client) is None:
            # Run right after `%load_ext k2nb` (run all): the tab is still opening its comm.
            link.wait_for_tab(client, TAB_WAIT)
        hello = link.hello(client)
        if hello is None:
            return None
        if not forced and hello.get("materializeCells") is not True:
            return None
        return cls(
            lambda op: link.send(op, client_id=client),
            anchor,
            heading_format=usable_heading(hello.get("headingFormat")),
            collapse_thinking=hello.get("collapseThinking") is not False,
        )

    # -- the view -------------------------------------------------------------------------
    def __call__(self, event: Event, run: Transcript) -> None:
        if isinstance(event, RunStarted):
            self._run_id = event.run_id
            self._op({"op": "cells-begin", "run_id": self._run_id, "anchor": self.anchor})
        elif isinstance(event, StepStarted):
            if event.attempt > 1:  # a retry: its earlier text is discarded
                self._reset(event.step)
        elif isinstance(event, ReasoningDelta | ContentDelta):
            part = "thinking" if isinstance(event, ReasoningDelta) else "text"
            cell = self._cells.get((event.step, part))
            if cell is None:
                self._realise(run, event.step, only=part)  # the new cell holds the text so far
            elif event.text:
                cell.source = None
                self._batch.add({"op": "cell-append", "id": cell.id, "text": event.text})
        elif isinstance(event, RunFinished):
            for step in run.steps:  # a stopped or failed run: its unfinished steps say so
                self._realise(run, step.step)
            self._batch.flush()
        elif isinstance(event, ModelTurnDone | ToolStarted | ApprovalDecided | ToolFinished):
            self._realise(run, event.step)

    # -- the plan, realised -----------------------------------------------------------------
    def _realise(self, run: Transcript, number: int, *, only: str | None = None) -> None:
        """Send what the tab lacks of step ``number``'s plan (only its ``only`` part, if given)."""
        record = run.find_step(number)
        if record is None:
            return
        plan = step_cells(
            record, run.status, heading_format=self.heading_format, collapse_thinking=self.collapse_thinking
        )
        before: str | None = None  # the cell of this step the next one follows
        for planned in plan:
            cell = self._cells.get((number, planned.part))
            if cell is None and only in (None, planned.part):
                cell = self._insert(run, number, planned, after=before)
            elif cell is not None and only is None:
                self._update(cell, planned)
            before = cell.id if cell is not None else before

    def _insert(self, run: Transcript, step: int, planned: PlannedCell, *, after: str | None) -> _Materialized:
        self._count += 1
        new_id = cell_id(self._run_id, self._count)
        after = after or self._step_head.setdefault(step, self._tail)
        times = {"started_at": iso_time(), **({"finished_at": iso_time()} if planned.final else {})}
        metadata: dict[str, Any] = {"k2nb": provenance(run, self.anchor, planned, **times)}
        if planned.hidden:
            metadata["jupyter"] = {"source_hidden": True}
        body: dict[str, Any] = {"id": new_id, "cell_type": planned.cell_type, "source": planned.source}
        body["metadata"] = metadata
        if planned.cell_type == "code":  # ran in the kernel during the run; not re-executed
            body.update(outputs=planned.outputs, execution_count=None)
        self._op({"op": "cell-insert", "run_id": self._run_id, "anchor": self.anchor, "after": after, "cell": body})
        if after == self._tail:
            self._tail = new_id
        cell = _Materialized(new_id, planned.source, planned.outputs, dict(planned.meta), planned.hidden, planned.final)
        self._cells[(step, planned.part)] = cell
        return cell

    def _update(self, cell: _Materialized, planned: PlannedCell) -> None:
        update: dict[str, Any] = {}
        if cell.source != planned.source:
            update["source"] = planned.source
        if planned.cell_type == "code" and cell.outputs != planned.outputs:
            update.update(outputs=planned.outputs, execution_count=None)
        meta = {key: value for key, value in planned.meta.items() if cell.meta.get(key) != value}
        if planned.final and not cell.final:
            meta["finished_at"] = iso_time()
        if meta:
            update["k2nb"] = meta
        if planned.hidden and not cell.hidden:
            update["jupyter"] = {"source_hidden": True}
        if update:
            self._op({"op": "cell-update", "id": cell.id, **update})
        cell.source, cell.outputs, cell.hidden = planned.source, planned.outputs, planned.hidden
        cell.meta.update(planned.meta)
        cell.final = cell.final or planned.final

    def _reset(self, step: int) -> None:
        for part, placeholder in (("thinking", thinking_source(LIVE_TITLE, "")), ("text", "")):
            cell = self._cells.get((step, part))
            if cell is not None:
                self._op({"op": "cell-update", "id": cell.id, "source": placeholder})
                cell.source = placeholder

    def _op(self, op: dict[str, Any]) -> None:
        self._batch.add(op, urgent=True)  # after the text waiting before it, in order

    def _send_all(self, ops: list[dict[str, Any]]) -> None:
        for op in ops:
            self.ops_sent += 1
            self._send(op)
