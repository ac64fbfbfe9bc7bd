"""The live trace widget (anywidget) and the display that swaps it for the static trace.

While a run streams, ops go to the view as custom messages (append-only, batched, and deflated
as one stream: see ``live_codec``). When the run ends, the same display id is updated to the
static HTML + plain text, which is what the saved notebook keeps: it renders everywhere, with or
without a widget manager. With the labextension, the tab writes that bundle itself from a
compressed copy (``handoff``).
"""

from __future__ import annotations

import functools
import os
import pathlib
import threading
import uuid
from collections.abc import Callable
from typing import Any

import anywidget
import ipywidgets
import traitlets
from IPython.display import display, update_display

from ..events import Event, RunFinished
from ..transcript import Transcript
from .handoff import TabHandoff
from .live import LiveOps
from .live_codec import Op, OpsEncoder
from .static import render_html, render_plain

_HERE = pathlib.Path(__file__).parent


def compact(source: str, comment: str | None = None) -> str:
    """The source without indentation, blank lines and whole-line ``comment`` lines.

    Every run opens a new widget, whose code travels with it; this makes it about a third smaller.
    Safe for widget.js/widget.css, which keep comments on lines of their own and have no
    multi-line strings (tests load the compacted module in a browser).
    """
    lines = (line.strip() for line in source.splitlines())
    return "\n".join(line for line in lines if line and not (comment and line.startswith(comment)))


@functools.cache
def _shared_layout() -> ipywidgets.Layout:
    # A DOMWidget makes its own Layout widget (another comm, never closed) unless given one.
    return ipywidgets.Layout()


class TraceWidget(anywidget.AnyWidget):  # type: ignore[misc]
    _esm = compact((_HERE / "widget.js").read_text(encoding="utf-8"), "//")
    _css = compact((_HERE / "widget.css").read_text(encoding="utf-8"))
    run_id = traitlets.Unicode("").tag(sync=True)

    def __init__(self, *, compress: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("layout", _shared_layout())
        super().__init__(**kwargs)
        self._encoder = OpsEncoder() if compress else None

    def send_ops(self, ops: list[Op]) -> None:
        if self._encoder is None:
            self.send({"ops": ops})
        else:
            self.send({"z": 1}, buffers=[self._encoder.encode(ops)])


class LiveDisplay:
    """A consumer of run events that owns one output: widget while live, static at the end."""

    def __init__(self, transcript: Transcript, *, handoff: TabHandoff | None = None) -> None:
        self._t = transcript
        self._handoff = handoff
        self.widget = TraceWidget(run_id=uuid.uuid4().hex, compress=live_compression())
        self._display_id = f"k2nb-{id(self.widget):x}"
        self.ops = LiveOps(self.widget.send_ops, transcript, schedule=_start_timer)
        self._shown = False

    def show(self) -> None:
        bundle = {
            "application/vnd.jupyter.widget-view+json": {
                "version_major": 2,
                "version_minor": 1,
                "model_id": self.widget.model_id,
            },
            "text/plain": "k2nb: running… (the live view needs a widget-capable frontend)",
        }
        display(bundle, raw=True, display_id=self._display_id)  # type: ignore[no-untyped-call]
        self._shown = True

    def __call__(self, event: Event) -> None:
        if not self._shown:
            self.show()
        self.ops(event)
        if isinstance(event, RunFinished):
            self.finish()

    def finish(self) -> None:
        self.ops.flush()
        bundle = static_bundle(self._t)
        # Where the labextension runs, the tab writes the saved trace from a compressed copy.
        if self._handoff is None or not self._handoff(self.widget.model_id, bundle):
            update_display(bundle, raw=True, display_id=self._display_id)  # type: ignore[no-untyped-call]
        self.widget.close()


def live_compression() -> bool:
    """On unless ``K2NB_LIVE_COMPRESSION=0``: for a browser without ``DecompressionStream``."""
    return os.environ.get("K2NB_LIVE_COMPRESSION", "1").strip().lower() not in ("0", "off", "false", "no")


def _start_timer(delay: float, callback: Callable[[], None]) -> threading.Timer:
    timer = threading.Timer(delay, callback)
    timer.daemon = True
    timer.start()
    return timer


def static_bundle(transcript: Transcript) -> dict[str, Any]:
    return {"text/html": render_html(transcript), "text/plain": render_plain(transcript)}
