"""What the model reads of a notebook: an outline within a token budget, one cell as text, which cell a reference means.

Pure: the cells come in as nbformat-shaped dicts (from the tab's live model or the saved file),
and everything the notebook tools say about them is made here, so it reads the same wherever
the cells came from.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .output_text import MODEL_TEXT_LIMIT, clean, figure_size, outputs_to_model_text, truncate_middle
from .tokens import CHARS_PER_TOKEN

SOURCE_LIMIT = 12_000  # characters of one cell's source read_cell shows (head + tail beyond)
PREVIEW_CHARS = 160  # a cell's source in the outline
SUMMARY_CHARS = 100  # a cell's outputs in the outline
RUNNING_MARK = "▶"
# What k2nb tells the model with a prompt, beyond the user's words, comes in paragraphs of its own
# that begin with "[k2nb: ": about the notebook the run belongs to, about the error `%k2 fix` repairs.
NOTE_MARK = "[k2nb: "
NOTE_PREFIX = NOTE_MARK + "notebook]"
FIX_PREFIX = NOTE_MARK + "fix]"


@dataclass(frozen=True)
class NotebookCell:
    """One cell as the model may read it; ``index`` is its place in the notebook (0 = first)."""

    index: int
    id: str
    cell_type: str
    source: str
    execution_count: int | None = None
    outputs: tuple[dict[str, Any], ...] = ()
    trace: bool = False  # a cell k2nb wrote for a run's trace (`--cells`): not the user's own work

    @property
    def position(self) -> int:
        """The cell's number as people count (1 = first)."""
        return self.index + 1

    @property
    def label(self) -> str:
        """How the user finds it: "cell 4 · In [3]"."""
        count = f" · In [{self.execution_count}]" if self.execution_count is not None else ""
        return f"cell {self.position}{count}"

    @property
    def error(self) -> dict[str, Any] | None:
        """The error output, if the cell's last run raised."""
        return next((o for o in self.outputs if o.get("output_type") == "error"), None)


@dataclass(frozen=True)
class NotebookSnapshot:
    """The notebook's cells at one moment, and which of them is the running ``%%k2`` cell."""

    cells: tuple[NotebookCell, ...]
    running_id: str | None = None
    path: str = ""
    live: bool = True  # the tab's live model (unsaved edits included); False: the file as last saved
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def running(self) -> NotebookCell | None:
        return self.find(self.running_id) if self.running_id else None

    def find(self, cell_id: str) -> NotebookCell | None:
        return next((c for c in self.cells if c.id == cell_id), None)

    @property
    def source_note(self) -> str:
        return "live, unsaved edits included" if self.live else "as last saved"


class CellNotFound(LookupError):
    """A cell reference that matches no cell; the message says what would."""


def snapshot_from_json(
    cells: Iterable[dict[str, Any]], *, running_id: str | None, path: str = "", live: bool = True
) -> NotebookSnapshot:
    """A snapshot from nbformat-shaped cells (``source`` as a string or a list of lines)."""
    parsed = []
    for index, cell in enumerate(cells):
        meta = cell.get("metadata") or {}
        k2nb = meta.get("k2nb") if isinstance(meta, dict) else None
        count = cell.get("execution_count")
        parsed.append(
            NotebookCell(
                index,
                str(cell.get("id") or f"position-{index + 1}"),
                str(cell.get("cell_type") or "code"),
                _joined(cell.get("source")),
                count if isinstance(count, int) else None,
                tuple(o for o in cell.get("outputs") or () if isinstance(o, dict)),
                trace=isinstance(k2nb, dict) and "role" in k2nb and "anchor" in k2nb,
            )
        )
    return NotebookSnapshot(tuple(parsed), running_id, path, live)


def _joined(source: object) -> str:
    return "".join(str(s) for s in source) if isinstance(source, list) else str(source or "")


# -- which cell a reference means ---------------------------------------------------------------
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
}
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "a": 1}
_THIS = re.compile(r"(?:the\s+)?(?:this|current|running|same)(?:\s+(?:%%k2\s+)?cell)?|here|self")
_ABOVE = re.compile(
    r"(?:the\s+)?(?:(\w+)\s+(?:cells?\s+)?)?(?:previous|prev|above|preceding|earlier|before)"
    r"(?:\s+(code|markdown))?(?:\s+cell)?(?:\s+above)?"
)
_BELOW = re.compile(
    r"(?:the\s+)?(?:(\w+)\s+(?:cells?\s+)?)?(?:next|below|following|after)(?:\s+(code|markdown))?(?:\s+cell)?"
)
_ORDINAL = re.compile(
    r"(?:the\s+)?(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|\d+(?:st|nd|rd|th))"
    r"(?:\s+(code|markdown))?(?:\s+cell)?"
)
_COUNT = re.compile(r"(?:in\s*\[\s*(\d+)\s*\]|\[\s*(\d+)\s*\]|in\s+(\d+)|execution\s+count\s+(\d+))")
_POSITION = re.compile(r"(?:cell\s*(?:#|no\.?|number)?\s*|#|position\s+)?(\d+)")
_ERROR = re.compile(
    r"(?:the\s+)?(?:last\s+|latest\s+|most\s+recent\s+)?(?:error|failing\s+cell|failed\s+cell|cell\s+that\s+failed)"
)


def resolve(snapshot: NotebookSnapshot, ref: object) -> NotebookCell:
    """The cell ``ref`` means: an id, a position ("cell 3"), an execution count ("In [5]"), or relative
    to the running cell ("previous", "the cell above", "next", "first markdown cell", "this")."""
    text = str(ref if ref is not None else "").strip()
    cell = _resolve(snapshot, text)
    if cell is None:
        raise CellNotFound(
            f"no cell matches {text!r}: use an id from read_notebook, a position ('cell 3'), an execution "
            "count ('In [5]'), or 'previous' / 'next' / 'this' / 'first markdown cell'."
        )
    return cell


def _resolve(snapshot: NotebookSnapshot, text: str) -> NotebookCell | None:
    cells = snapshot.cells
    exact = snapshot.find(text) or snapshot.find(re.sub(r"^id\s*[:=]?\s*", "", text))
    if exact is not None:
        return exact
    low = re.sub(r"\s+", " ", text.lower()).strip(" .")
    here = snapshot.running
    if _THIS.fullmatch(low):
        return here
    if _ERROR.fullmatch(low):
        failed = [c for c in cells if c.error is not None and not c.trace]
        return max(failed, key=lambda c: (c.execution_count or 0, c.index), default=None)
    for pattern, step in ((_ABOVE, -1), (_BELOW, 1)):
        m = pattern.fullmatch(low)
        if m:
            return _relative(snapshot, step * _count(m[1]), m[2])
    m = _COUNT.fullmatch(low)
    if m:
        count = int(next(g for g in m.groups() if g))
        return next((c for c in reversed(cells) if c.execution_count == count), None)
    m = _ORDINAL.fullmatch(low)
    if m:
        kind = m[2]
        pool = [c for c in cells if not c.trace and (kind is None or c.cell_type == kind)]
        if m[1] == "last":
            return pool[-1] if pool else None
        nth = _ORDINALS.get(m[1]) or int(re.sub(r"\D", "", m[1]))
        return pool[nth - 1] if 0 < nth <= len(pool) else None
    m = _POSITION.fullmatch(low)
    if m:
        position = int(m[1])
        return cells[position - 1] if 0 < position <= len(cells) else None
    return None


def _count(word: str | None) -> int:
    if word is None:
        return 1
    if word.isdigit():
        return int(word)
    return _NUMBERS.get(word, _ORDINALS.get(word, 1))


def _relative(snapshot: NotebookSnapshot, offset: int, kind: str | None) -> NotebookCell | None:
    """The ``|offset``-th user cell above (negative) or below the running cell, skipping trace cells."""
    here = snapshot.running
    if here is None:  # no running cell known (a saved file without it): "previous" means the last one
        pool = [c for c in snapshot.cells if not c.trace and (kind is None or c.cell_type == kind)]
        return pool[-1] if offset < 0 and pool else None
    cells = snapshot.cells[: here.index][::-1] if offset < 0 else snapshot.cells[here.index + 1 :]
    pool = [c for c in cells if not c.trace and (kind is None or c.cell_type == kind)]
    n = abs(offset)
    return pool[n - 1] if 0 < n <= len(pool) else None


# -- the outline ------------------------------------------------------------------------------------
def output_summary(outputs: Sequence[dict[str, Any]], limit: int = SUMMARY_CHARS) -> str:
    """One short line for a cell's outputs: its error, else its result, printed text or figures."""
    parts: list[str] = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "error":
            return _cut(f"✗ {output.get('ename')}: {output.get('evalue')}", limit)
        if kind == "stream":
            text = clean(_joined(output.get("text"))).strip()
            if text:
                parts.append(_first_line(text))
        elif kind in ("execute_result", "display_data"):
            parts.append(_rich_summary(output.get("data") or {}, kind == "execute_result"))
    summary = " · ".join(p for p in parts if p)
    return _cut(summary, limit)


def _rich_summary(data: dict[str, Any], result: bool) -> str:
    for mime in ("image/png", "image/jpeg", "image/svg+xml", "image/gif"):
        if mime in data:
            return figure_note(data, mime)
    if "text/html" in data and "<table" in _joined(data["text/html"]):
        return "[table] " + _first_line(_joined(data.get("text/plain")))
    text = _first_line(_joined(data.get("text/plain") or data.get("text/markdown") or ""))
    return f"Out: {text}" if result else text


def figure_note(data: dict[str, Any], mime: str) -> str:
    """ "[figure 640×480]" for an image output (its size read from the PNG header when it has one)."""
    size = figure_size(_joined(data.get(mime))) if mime in ("image/png", "image/jpeg") else None
    where = f" {size[0]}×{size[1]}" if size else ""
    return f"[figure{where}]" if mime != "image/svg+xml" else "[SVG figure]"


def _first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    more = f" (+{len(lines) - 1} lines)" if len(lines) > 1 else ""
    return lines[0].strip() + more


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _preview(source: str, limit: int) -> str:
    lines = [line.rstrip() for line in source.strip().splitlines() if line.strip()]
    if not lines:
        return "(empty)"
    shown = " ⏎ ".join(lines[:2])
    more = f"  (+{len(lines) - 2} lines)" if len(lines) > 2 else ""
    return _cut(shown, limit) + more


def _cell_line(cell: NotebookCell, running_id: str | None, preview: int, summary: int) -> str:
    mark = RUNNING_MARK if cell.id == running_id else " "
    kind = cell.cell_type if cell.cell_type != "code" else "code"
    count = f" In [{cell.execution_count}]" if cell.execution_count is not None else ""
    trace = " (k2nb trace)" if cell.trace else ""
    head = f"{mark}{cell.position:>3} {kind}{count}{trace} · id {cell.id} · {_preview(cell.source, preview)}"
    out = output_summary(cell.outputs, summary) if cell.outputs else ""
    return f"{head} → {out}" if out else head


def outline(snapshot: NotebookSnapshot, *, budget_tokens: int, start: int | None = None, end: int | None = None) -> str:
    """Every cell (or positions ``start``..``end``) on one line each, within ``budget_tokens``.

    Over the budget, previews shrink first; then only the cells nearest the running one (and the
    first ones) are listed, and the line that says what was left out says how to read it.
    """
    budget = max(budget_tokens, 100) * CHARS_PER_TOKEN
    cells = [c for c in snapshot.cells if (start is None or c.position >= start) and (end is None or c.position <= end)]
    name = snapshot.path or "this notebook"
    span = f" · cells {cells[0].position}–{cells[-1].position}" if cells and (start or end) else ""
    here = snapshot.running
    where = f" · {RUNNING_MARK} marks the running %%k2 cell ({here.label})" if here else ""
    head = f"Notebook {name} ({snapshot.source_note}) · {len(snapshot.cells)} cells{span}{where}"
    tail = "Read one cell in full with read_cell (by id, position 'cell 3', 'In [5]', 'previous', 'next')."
    if not cells:
        return f"{head}\n(no cells in that range)\n{tail}"
    for preview, summary in ((PREVIEW_CHARS, SUMMARY_CHARS), (60, 50)):
        lines = [_cell_line(c, snapshot.running_id, preview, summary) for c in cells]
        text = "\n".join([head, *lines, tail])
        if len(text) <= budget:
            return text
    # Still too long: the first cell and those around the running one, the rest named by range.
    room = len(cells)
    while True:
        room = max(1, min(room - 1, budget // (max(len(line) for line in lines) + 1)))
        text = _windowed(head, tail, cells, lines, _kept(cells, here, room))
        if len(text) <= budget or room == 1:
            return text


def _windowed(head: str, tail: str, cells: list[NotebookCell], lines: list[str], keep: set[int]) -> str:
    shown: list[str] = []
    previous: NotebookCell | None = None
    for cell, line in zip(cells, lines, strict=True):
        if cell.index not in keep:
            continue
        if previous is not None and cell.index > previous.index + 1:
            shown.append(_gap(previous.position + 1, cell.position - 1))
        elif previous is None and cell.index > cells[0].index:
            shown.append(_gap(cells[0].position, cell.position - 1))
        shown.append(line)
        previous = cell
    if previous is not None and previous.index < cells[-1].index:
        shown.append(_gap(previous.position + 1, cells[-1].position))
    return "\n".join([head, *shown, tail])


def _kept(cells: list[NotebookCell], here: NotebookCell | None, room: int) -> set[int]:
    """Which cells an outline over its budget still lists: the first, then the nearest to the running one."""
    order = [c.index for c in cells[:1]]  # the notebook's first cell: usually its title
    if here is not None:
        order += sorted((c.index for c in cells), key=lambda i: (abs(i - here.index), -i))
    order += [c.index for c in cells]
    kept: list[int] = []
    for index in order:
        if index not in kept:
            kept.append(index)
        if len(kept) >= room:
            break
    return set(kept)


def _gap(first: int, last: int) -> str:
    cells = f"cell {first}" if first == last else f"cells {first}–{last}"
    return f"   … {cells} left out (read_notebook with start={first}, end={last} lists them)"


# -- one cell in full ------------------------------------------------------------------------------
def cell_text(snapshot: NotebookSnapshot, cell: NotebookCell, *, limit: int = MODEL_TEXT_LIMIT) -> str:
    """The cell as the model reads it: a header line, its source, then its outputs as text."""
    status = ""
    if cell.error is not None:
        status = f" · ✗ {cell.error.get('ename')}"
    elif cell.cell_type == "code" and cell.execution_count is None and not cell.outputs:
        status = " · not run"
    count = f" · In [{cell.execution_count}]" if cell.execution_count is not None else ""
    running = " · the running %%k2 cell" if cell.id == snapshot.running_id else ""
    trace = " · written by k2nb (a run's trace)" if cell.trace else ""
    where = "" if snapshot.live else " · as last saved"
    header = (
        f"cell {cell.position} of {len(snapshot.cells)} · id {cell.id} · {cell.cell_type}{count}{status}"
        f"{running}{trace}{where}"
    )
    parts = [header, "--- source ---", truncate_middle(cell.source, SOURCE_LIMIT) if cell.source else "(empty)"]
    if cell.cell_type == "code":
        parts.append("--- outputs ---")
        parts.append(outputs_to_model_text(readable_outputs(cell.outputs), limit) if cell.outputs else "(none)")
    return "\n".join(parts)


def readable_outputs(outputs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Saved outputs as the output-to-text pipeline takes them (nbformat keeps text as lists of lines)."""
    result: list[dict[str, Any]] = []
    for output in outputs:
        item = dict(output)
        if "text" in item:
            item["text"] = _joined(item["text"])
        if isinstance(item.get("data"), dict):
            item["data"] = {k: _joined(v) if isinstance(v, list) else v for k, v in item["data"].items()}
        result.append(item)
    return result


def image_outputs(outputs: Iterable[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    """The cell's figures as display_data mime bundles (what a vision model may be shown)."""
    images = []
    for output in readable_outputs(outputs):
        data = output.get("data") or {}
        if output.get("output_type") in ("display_data", "execute_result") and any(
            m.startswith("image/") and isinstance(data.get(m), str) and len(data[m]) > 64 for m in data
        ):
            bundle = {m: v for m, v in data.items() if m.startswith("image/") or m == "text/plain"}
            images.append(
                {"output_type": "display_data", "data": bundle, "metadata": dict(output.get("metadata") or {})}
            )
    return tuple(images)


# -- changes ---------------------------------------------------------------------------------------
def source_diff(before: str, after: str, *, context: int = 2) -> str:
    """A unified diff of a cell's source, without the file header lines."""
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), lineterm="", n=context, fromfile="before", tofile="after"
    )
    return "\n".join(line for line in lines if not line.startswith(("---", "+++")))
