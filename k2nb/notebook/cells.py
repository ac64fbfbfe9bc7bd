"""A run's trace as real notebook cells: ``%%k2 --cells`` and ``%k2 export --cells``.

Each step becomes cells below the ``%%k2`` cell: its thinking as a Markdown cell with a one-line
heading ("Thought for 12 s · 1.2k tokens", collapsed once the step is done), each
``code_interpreter`` call as a code cell holding the code that ran and the outputs it produced
(not re-executed), and the answer as a Markdown cell. Every such cell carries provenance under
the ``k2nb`` metadata key (run id, step, role, model, tool-call id, approval, timestamps).

Live, :class:`CellMaterializer` consumes the run's events and sends cell operations over the
``k2nb.frontend`` comm to the one browser tab that ran the cell; the labextension applies them to
the notebook's shared model (labextension/src/cells.ts documents the operations). Headless,
:func:`export_cells` writes the same structure with nbformat.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

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
from ..core.transcript import StepRecord, ToolRecord, Transcript
from .link import FrontendLink

DEFAULT_HEADING = "Thought for {seconds} · {tokens}"
LIVE_HEADING = "Thinking…"
FLUSH_INTERVAL = 0.1  # seconds between streamed appends to one cell
CODE_TOOL = "code_interpreter"
TAB_WAIT = 3.0  # seconds --cells waits for the running tab's link (it opens right after %load_ext)

NO_EXTENSION = (
    "k2nb: --cells needs the k2nb extension in the JupyterLab / Notebook 7 tab that runs the cell "
    "(pip install k2nb in the Jupyter server's environment, then reload the page); the trace stays in "
    "this output. To get it as cells anyway: `%k2 export FILE.ipynb` writes the session as a notebook."
)


# -- the structure, shared by the live and headless paths ----------------------------------
def digest(text: str) -> str:
    """FNV-1a (32 bit) over UTF-16 code units: the labextension's ``digest`` (cells.ts)."""
    data = text.encode("utf-16-le")
    value = 0x811C9DC5
    for i in range(0, len(data), 2):
        value ^= data[i] | (data[i + 1] << 8)
        value = (value * 0x01000193) & 0xFFFFFFFF
    return f"{value:08x}"


def _tokens(step: StepRecord) -> str:
    tokens = step.usage.reasoning_tokens if step.usage else 0
    if tokens:
        return f"{tokens / 1000:.1f}k tokens" if tokens >= 1000 else f"{tokens} tokens"
    return f"{len(step.reasoning.split()):,} words"


def heading(step: StepRecord, fmt: str = DEFAULT_HEADING) -> str:
    """The one-line summary of a finished thinking step, from a format with {seconds} and {tokens}."""
    seconds = step.reasoning_seconds or step.seconds
    values = {"seconds": f"{seconds:.0f} s", "tokens": _tokens(step)}
    try:
        return fmt.format(**values)
    except (KeyError, IndexError, ValueError):
        return DEFAULT_HEADING.format(**values)


def thinking_source(title: str, reasoning: str) -> str:
    """The heading line, then the thinking. A plain first line: a collapsed cell shows it as is."""
    return f"{title}\n\n{reasoning}"


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


def _iso(timestamp: float | None = None) -> str:
    moment = datetime.fromtimestamp(timestamp if timestamp is not None else time.time(), tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def cell_id(run_id: str, n: int) -> str:
    return f"k2-{run_id[:12]}-{n}"


# -- live: events -> cell operations ---------------------------------------------------------
class CellMaterializer:
    """A run consumer that writes the trace as cells in the tab that ran the ``%%k2`` cell.

    ``send(op)`` delivers one operation (``FrontendLink.send`` bound to that tab). Thinking and
    answer text is streamed as appends, merged and flushed at most every ``FLUSH_INTERVAL`` s.
    """

    def __init__(
        self,
        send: Callable[[dict[str, Any]], None],
        anchor: str,
        transcript: Transcript,
        *,
        heading_format: str = DEFAULT_HEADING,
        collapse_thinking: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._send = send
        self.anchor = anchor
        self.transcript = transcript
        self.heading_format = heading_format
        self.collapse_thinking = collapse_thinking
        self._clock = clock
        self._run_id = ""
        self._count = 0
        self._last = anchor  # the id of the last cell inserted (new cells go after it)
        self._thinking: dict[int, str] = {}  # step -> cell id
        self._content: dict[int, str] = {}
        self._tools: dict[tuple[int, str], str] = {}
        self._pending: dict[str, list[str]] = {}  # cell id -> text not yet sent
        self._finished: set[int] = set()  # steps whose model turn completed
        self._flushed_at = 0.0
        self.ops_sent = 0

    @classmethod
    def for_current_cell(
        cls, link: FrontendLink, shell: Any, transcript: Transcript, *, forced: bool
    ) -> CellMaterializer | None:
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
        fmt = hello.get("headingFormat")
        return cls(
            lambda op: link.send(op, client_id=client),
            anchor,
            transcript,
            heading_format=fmt if isinstance(fmt, str) and fmt.strip() else DEFAULT_HEADING,
            collapse_thinking=hello.get("collapseThinking") is not False,
        )

    # -- the consumer ---------------------------------------------------------------------
    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._run_id = event.run_id
            self._op({"op": "cells-begin", "run_id": self._run_id, "anchor": self.anchor})
        elif isinstance(event, StepStarted):
            if event.attempt > 1:  # a retry: its earlier text is discarded
                self._reset(event.step)
        elif isinstance(event, ReasoningDelta):
            if event.step not in self._thinking:
                self._thinking[event.step] = self._insert(
                    "markdown", thinking_source(LIVE_HEADING, ""), self._meta(event.step, "thinking")
                )
            self._append(self._thinking[event.step], event.text)
        elif isinstance(event, ContentDelta):
            if event.step not in self._content:
                self._content[event.step] = self._insert("markdown", "", self._meta(event.step, "answer"))
            self._append(self._content[event.step], event.text)
        elif isinstance(event, ModelTurnDone):
            self._flush()
            self._step_done(event)
        elif isinstance(event, ToolStarted):
            self._flush()
            if event.name == CODE_TOOL and event.code is not None:
                meta = self._meta(event.step, "code", call_id=event.call_id, tool=event.name)
                self._tools[(event.step, event.call_id)] = self._insert("code", event.code, meta)
        elif isinstance(event, ApprovalDecided):
            cell = self._tools.get((event.step, event.call_id))
            tool = self._tool(event.step, event.call_id)
            if cell and tool:
                self._op(
                    {
                        "op": "cell-update",
                        "id": cell,
                        "source": event.code,
                        "k2nb": {"approval": approval_label(tool), **edited_meta(tool)},
                    }
                )
        elif isinstance(event, ToolFinished):
            cell = self._tools.get((event.step, event.call_id))
            tool = self._tool(event.step, event.call_id)
            if cell and tool:
                update: dict[str, Any] = {
                    "op": "cell-update",
                    "id": cell,
                    "outputs": notebook_outputs(event.outputs),
                    "execution_count": None,
                    "k2nb": {
                        "approval": approval_label(tool),
                        "status": event.status,
                        "finished_at": _iso(),
                        "seconds": round(event.seconds, 3),
                    },
                }
                if event.code is not None:
                    update["source"] = event.code
                self._op(update)
        elif isinstance(event, RunFinished):
            self._flush()
            self._finish_unfinished(event.status)

    # -- helpers --------------------------------------------------------------------------
    def _meta(self, step: int, role: str, **extra: Any) -> dict[str, Any]:
        meta = {
            "run_id": self._run_id,
            "anchor": self.anchor,
            "step": step,
            "role": role,
            "model": self.transcript.model,
            "started_at": _iso(),
            **extra,
        }
        return {"k2nb": meta}

    def _insert(self, cell_type: str, source: str, metadata: dict[str, Any]) -> str:
        self._flush()
        self._count += 1
        new_id = cell_id(self._run_id, self._count)
        cell: dict[str, Any] = {"id": new_id, "cell_type": cell_type, "source": source, "metadata": metadata}
        if cell_type == "code":
            metadata["k2nb"]["executed_by"] = "k2nb"  # ran in the kernel during the run; not re-executed
            cell.update(outputs=[], execution_count=None)
        self._op(
            {"op": "cell-insert", "run_id": self._run_id, "anchor": self.anchor, "after": self._last, "cell": cell}
        )
        self._last = new_id
        return new_id

    def _append(self, cell: str, text: str) -> None:
        if not text:
            return
        self._pending.setdefault(cell, []).append(text)
        if self._clock() - self._flushed_at >= FLUSH_INTERVAL:
            self._flush()

    def _flush(self) -> None:
        pending, self._pending = self._pending, {}
        for cell, parts in pending.items():
            self._op({"op": "cell-append", "id": cell, "text": "".join(parts)})
        self._flushed_at = self._clock()

    def _reset(self, step: int) -> None:
        self._pending.pop(self._thinking.get(step, ""), None)
        self._pending.pop(self._content.get(step, ""), None)
        if step in self._thinking:
            self._op({"op": "cell-update", "id": self._thinking[step], "source": thinking_source(LIVE_HEADING, "")})
        if step in self._content:
            self._op({"op": "cell-update", "id": self._content[step], "source": ""})

    def _step_done(self, event: ModelTurnDone) -> None:
        record = next((s for s in reversed(self.transcript.steps) if s.step == event.step), None)
        if record is None:
            return
        self._finished.add(event.step)
        if event.step in self._thinking:
            update: dict[str, Any] = {
                "op": "cell-update",
                "id": self._thinking[event.step],
                "source": thinking_source(heading(record, self.heading_format), record.reasoning),
                "k2nb": {
                    "finished_at": _iso(),
                    "seconds": round(record.reasoning_seconds, 3),
                    "reasoning_tokens": record.usage.reasoning_tokens if record.usage else 0,
                },
            }
            if self.collapse_thinking:
                update["jupyter"] = {"source_hidden": True}
            self._op(update)
        if event.step in self._content:
            role = "message" if event.turn.tool_calls else "answer"
            self._op(
                {
                    "op": "cell-update",
                    "id": self._content[event.step],
                    "source": record.content,
                    "k2nb": {"role": role, "finished_at": _iso()},
                }
            )

    def _finish_unfinished(self, status: str) -> None:
        """A stopped or failed run: head the thinking cells whose step never completed."""
        for step, cell in self._thinking.items():
            if step in self._finished:
                continue
            record = next((s for s in reversed(self.transcript.steps) if s.step == step), None)
            reasoning = record.reasoning if record else ""
            self._op(
                {
                    "op": "cell-update",
                    "id": cell,
                    "source": thinking_source(f"Thinking ({status})", reasoning),
                    "k2nb": {"finished_at": _iso(), "status": status},
                }
            )

    def _tool(self, step: int, call_id: str) -> ToolRecord | None:
        for record in reversed(self.transcript.steps):
            if record.step == step:
                return next((t for t in record.tools if t.call_id == call_id), None)
        return None

    def _op(self, op: dict[str, Any]) -> None:
        self.ops_sent += 1
        self._send(op)


# -- headless: transcripts -> nbformat ------------------------------------------------------
def _nbformat() -> Any:
    import nbformat  # untyped; imported on use

    return nbformat


def transcript_cells(
    transcript: Transcript, anchor: str, *, heading_format: str = DEFAULT_HEADING, collapse_thinking: bool = True
) -> list[Any]:
    """The cells a run materializes as (after its ``%%k2`` cell ``anchor``), as nbformat nodes."""
    nbformat = _nbformat()
    cells: list[Any] = []
    started = _iso(transcript.started_at or None)
    finished = _iso((transcript.started_at + transcript.seconds) if transcript.started_at else None)

    def add(cell: Any, step: int, role: str, **extra: Any) -> None:
        cell.id = cell_id(transcript.run_id or "export", len(cells) + 1)
        meta = {
            "run_id": transcript.run_id,
            "anchor": anchor,
            "step": step,
            "role": role,
            "model": transcript.model,
            "started_at": started,
            "finished_at": finished,
            **extra,
        }
        meta["digest"] = digest(cell.source)
        cell.metadata["k2nb"] = meta
        cells.append(cell)

    for step in transcript.steps:
        if step.reasoning:
            cell = nbformat.v4.new_markdown_cell(thinking_source(heading(step, heading_format), step.reasoning))
            if collapse_thinking:
                cell.metadata["jupyter"] = {"source_hidden": True}
            add(
                cell,
                step.step,
                "thinking",
                seconds=round(step.reasoning_seconds, 3),
                reasoning_tokens=step.usage.reasoning_tokens if step.usage else 0,
            )
        if step.content:
            role = "message" if step.tools else "answer"
            add(nbformat.v4.new_markdown_cell(step.content), step.step, role)
        for tool in step.tools:
            if tool.name != CODE_TOOL or tool.code is None:
                continue
            code = nbformat.v4.new_code_cell(tool.code, execution_count=None)
            code.outputs = [nbformat.from_dict(o) for o in notebook_outputs(tool.outputs)]
            add(
                code,
                step.step,
                "code",
                call_id=tool.call_id,
                tool=tool.name,
                approval=approval_label(tool),
                status=tool.status,
                executed_by="k2nb",
                seconds=round(tool.seconds, 3),
                **edited_meta(tool),
            )
    return cells


def export_cells(transcripts: Sequence[Transcript], path: str | Path) -> Path:
    """Write the runs as a notebook: each prompt as a ``%%k2`` cell followed by its materialized cells."""
    nbformat = _nbformat()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(nbformat.v4.new_code_cell("%load_ext k2nb"))
    seen: set[str] = set()
    for n, transcript in enumerate(transcripts, 1):
        prompt = nbformat.v4.new_code_cell(f"%%k2\n{transcript.prompt}")
        prompt.id = f"k2-prompt-{n}"
        nb.cells.append(prompt)
        for cell in transcript_cells(transcript, prompt.id):
            if cell.id in seen:  # the same run exported twice
                cell.id = f"{cell.id[:56]}-{n}"
            seen.add(cell.id)
            nb.cells.append(cell)
    nbformat.validate(nb)
    target = Path(path)
    nbformat.write(nb, target)
    return target
