"""Runs as notebook cells, headless: ``%k2 export --cells`` / ``%k2 export FILE.ipynb``.

Each run's cells are the plan of its finished steps (``notebook/cell_plan.py``), the same plan
the live ``--cells`` materializer realises in the tab, written with nbformat.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..core.transcript import Transcript
from ..notebook.cell_plan import cell_id, digest, iso_time, provenance, step_cells
from ..notebook.cells import DEFAULT_HEADING, usable_heading


def _nbformat() -> Any:
    import nbformat  # untyped; imported on use

    return nbformat


def transcript_cells(
    transcript: Transcript, anchor: str, *, heading_format: str = DEFAULT_HEADING, collapse_thinking: bool = True
) -> list[Any]:
    """The cells a run materializes as (after its ``%%k2`` cell ``anchor``), as nbformat nodes."""
    nbformat = _nbformat()
    fmt = usable_heading(heading_format)
    started = iso_time(transcript.started_at or None)
    finished = iso_time((transcript.started_at + transcript.seconds) if transcript.started_at else None)
    cells: list[Any] = []
    for step in transcript.steps:
        for planned in step_cells(step, transcript.status, heading_format=fmt, collapse_thinking=collapse_thinking):
            if planned.cell_type == "code":
                cell = nbformat.v4.new_code_cell(planned.source, execution_count=None)
                cell.outputs = [nbformat.from_dict(o) for o in planned.outputs]
            else:
                cell = nbformat.v4.new_markdown_cell(planned.source)
            cell.id = cell_id(transcript.run_id or "export", len(cells) + 1)
            if planned.hidden:
                cell.metadata["jupyter"] = {"source_hidden": True}
            meta = provenance(transcript, anchor, planned, started_at=started, finished_at=finished)
            cell.metadata["k2nb"] = {**meta, "digest": digest(cell.source)}
            cells.append(cell)
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
