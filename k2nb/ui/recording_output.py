"""The cell output of ``%%k2 --record``: where the recording went, and its compact copy in the metadata."""

from __future__ import annotations

import html
from typing import Any

from ..edge.recorder import Recorder
from ..edge.recording import METADATA_KEY


def recording_output(recorder: Recorder) -> tuple[dict[str, str], dict[str, Any]]:
    """The output that reports a recording: (mimebundle, metadata with the compact copy).

    The kernel cannot write a cell's metadata, but an output's metadata is saved with the cell:
    a saved notebook carries the recording and ``--engine replay:NOTEBOOK.ipynb`` reads it back.
    """
    r = recorder.recording
    where = str(recorder.path) if recorder.path else "memory"
    text = (
        f"⏺ k2nb: recorded {len(r.exchanges)} response(s) and {len(r.tools)} tool result(s) to {where}. "
        f"Replay offline with `%%k2 --engine replay:{where}`; a compact copy is saved in this output "
        "(`--engine replay:NOTEBOOK.ipynb` once the notebook is saved)."
    )
    shown = html.escape(where)
    markup = (
        '<div class="k2nb-recorded" style="font-size:12px;color:#666">'
        f"⏺ recorded {len(r.exchanges)} response(s) and {len(r.tools)} tool result(s) to "
        f"<code>{shown}</code> · replay with <code>%%k2 --engine replay:{shown}</code></div>"
    )
    return {"text/plain": text, "text/html": markup}, {METADATA_KEY: {"recording": r.compact()}}
