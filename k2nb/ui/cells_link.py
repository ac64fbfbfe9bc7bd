"""The output of a ``--cells`` run: its status line and a link to the cells that hold the trace.

The cells carry the trace (thinking, code, outputs, answer), so the output does not repeat it.
The link is ``#k2nb-run-RUN_ID``; the labextension scrolls to the first cell whose ``k2nb``
metadata has that ``run_id`` (labextension/src/cellslink.ts). Elsewhere it is an inert anchor.
"""

from __future__ import annotations

import html
from typing import Any

from ..core.transcript import Transcript
from .static import notice_html, notice_plain, status_line
from .trace_style import style_for

LINK_TEXT = "↓ the steps are in the cells below"


def cells_href(run_id: str) -> str:
    return f"#k2nb-run-{run_id}"


def cells_link(run_id: str) -> dict[str, str]:
    """What the live view's status bar shows (the same link the saved output keeps)."""
    return {"href": cells_href(run_id), "text": LINK_TEXT}


def cells_bundle(t: Transcript) -> dict[str, Any]:
    """The saved output of a ``--cells`` run: notices, the status line and the link."""
    notices = "".join(notice_html(level, text) for level, text in t.notices)
    link = f'<a class="k2nb-cells-link" href="{html.escape(cells_href(t.run_id))}">{html.escape(LINK_TEXT)}</a>'
    markup = (
        f'<div class="k2nb-static k2nb-trace k2nb-compact">{notices}'
        f'<div class="k2nb-status">{html.escape(status_line(t))} · {link}</div></div>'
    )
    markup = style_for(markup) + markup
    lines = [notice_plain(text) for _level, text in t.notices]
    plain = "\n".join([*lines, status_line(t), "(the steps are in the notebook cells below this one)"])
    return {"text/html": markup, "text/plain": plain}
