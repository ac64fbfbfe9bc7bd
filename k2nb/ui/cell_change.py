"""A notebook tool's change in the trace: the diff, the new cell or the cell to run; links to the cell and to revert.

The links are fragments (``#k2nb-cell-ID``, ``#k2nb-revert-ID~CALL``) that survive every
sanitizer; the labextension turns a click on one into a scroll or a revert (labextension/src/workspace.ts).
Elsewhere (nbviewer, GitHub) they do nothing and the diff still reads.
"""

from __future__ import annotations

import html
from urllib.parse import quote

from ..core.events import CellChange
from ..core.notebook_view import source_diff
from .sanitize import highlight_python

HEADING = {
    "edit": "edit {label}",
    "insert": "insert a {cell_type} cell: {label}",
    "run": "run {label}",
}
DONE = {"edit": "edited", "insert": "inserted", "run": "ran"}


def diff_html(before: str, after: str) -> str:
    """A unified diff, one coloured line each (added, removed, context, hunk)."""
    rows = []
    for line in source_diff(before, after).splitlines():
        css = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "ctx")
        # The line's end inside its span: one line each, whether trace.css makes the spans blocks or not.
        rows.append(f'<span class="k2nb-diff-{css}">{html.escape(line, quote=False)}\n</span>')
    return f'<pre class="k2nb-code k2nb-diff">{"".join(rows)}</pre>'


def _source_html(change: CellChange) -> str:
    shown = highlight_python(change.after) if change.cell_type == "code" else html.escape(change.after, quote=False)
    return f'<pre class="k2nb-code k2nb-new-cell"><code>{shown}</code></pre>'


def change_html(change: CellChange, call_id: str, *, proposed: bool = False) -> str:
    """The change as the tool block shows it: proposed (waiting for the user), or as made."""
    label = html.escape(change.label)
    heading = HEADING[change.kind].format(label=label, cell_type=html.escape(change.cell_type))
    body = diff_html(change.before, change.after) if change.kind == "edit" else _source_html(change)
    links = ""
    if not proposed:
        cell = quote(change.cell_id, safe="")
        if change.applied:
            count = f" · In [{change.execution_count}]" if change.execution_count is not None else ""
            links = f'<a class="k2nb-cell-link" href="#k2nb-cell-{cell}">↗ {DONE[change.kind]}: {label}{count}</a>'
            if change.kind in ("edit", "insert"):
                call = quote(call_id, safe="")
                links += f' <a class="k2nb-revert" href="#k2nb-revert-{cell}~{call}">↶ revert</a>'
        else:
            links = '<span class="k2nb-change-note">not applied: the notebook is unchanged</span>'
        links = f'<div class="k2nb-state k2nb-change-links">{links}</div>'
    css = "k2nb-change k2nb-change-preview" if proposed else "k2nb-change"
    return f'<div class="{css}"><div class="k2nb-state">{heading}</div>{body}{links}</div>'
