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
import re
import sys
import threading
import uuid
from collections.abc import Callable
from typing import Any

import anywidget
import ipywidgets
import traitlets
from IPython.display import display, update_display

from ..core.events import Event, RunFinished
from ..core.transcript import Transcript
from ..notebook.tracestatic import TabHandoff
from .cells_link import cells_bundle
from .live import LiveOps
from .live_codec import Op, OpsEncoder
from .reattach import LiveRun, LiveRuns
from .static import render_html, render_plain
from .trace_style import trace_css
from .view_code import PageCode, code_hash, registering

_HERE = pathlib.Path(__file__).parent


# A /** … */ block on lines of its own: widget.js's JSDoc types, there for `tsc --checkJs` only.
_DOC_BLOCK = re.compile(r"^[ \t]*/\*\*(?:(?!\*/).)*\*/[ \t]*$", re.MULTILINE | re.DOTALL)


def compact(source: str, comment: str | None = None) -> str:
    """The source without indentation, blank lines, ``/** … */`` blocks and whole-line ``comment`` lines.

    Every run opens a new widget, whose code travels with it; this makes it about a third smaller.
    Safe for widget.js/widget.css, which keep comments on lines of their own and have no
    multi-line strings (tests load the compacted module in a browser).
    """
    lines = (line.strip() for line in _DOC_BLOCK.sub("", source).splitlines())
    return "\n".join(line for line in lines if line and not (comment and line.startswith(comment)))


@functools.cache
def _shared_layout() -> ipywidgets.Layout:
    # A DOMWidget makes its own Layout widget (another comm, never closed) unless given one.
    return ipywidgets.Layout()


_VIEW_ESM = compact((_HERE / "widget.js").read_text(encoding="utf-8"), "//")
# trace.css (and present.css) is the look shared with the saved trace; widget.css adds what only the live view has.
_VIEW_CSS = "\n".join(
    (trace_css(), trace_css("present.css"), compact((_HERE / "widget.css").read_text(encoding="utf-8")))
)
_VIEW_KEY = code_hash(_VIEW_ESM, _VIEW_CSS)
# Which pages hold the code already: their first run's widget carries it deflated, later runs' a stub (view_code.py).
PAGES = PageCode(registering(_VIEW_ESM, _VIEW_KEY), _VIEW_CSS, _VIEW_KEY)


class TraceWidget(anywidget.AnyWidget):  # type: ignore[misc]
    _esm = PAGES.esm  # the full code, plain; a run passes it deflated, or the stub where its page has it
    _css = PAGES.css
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


# What a frontend without widgets (or a reload without the labextension) shows while the run goes on.
# Short: every run sends it, and a notebook saved mid-run keeps it.
PLACEHOLDER = (
    "k2nb: running. The live view needs a widget frontend; when the run ends, its trace replaces this "
    "line in the tab that ran it (or `%k2 export run.html` in a later cell writes it to a file)."
)


class LiveDisplay:
    """A view of a run that owns one output: widget while live, static at the end.

    It takes each event with the run's state after it (``Agent.run(views=…)``), and reads nothing else.
    """

    def __init__(
        self,
        *,
        handoff: TabHandoff | None = None,
        runs: LiveRuns | None = None,
        cell_id: str | None = None,
        origin: str | None = None,
        cells: bool = False,
    ) -> None:
        self._handoff = handoff
        self._cells = cells  # --cells: the cells hold the trace; the output is its status and a link
        self._runs = runs
        compress = live_compression()  # the live stream, and a page's first code, deflated
        # Colab shows each output in its own frame: there every widget needs the whole code.
        esm, css = PAGES.for_page(None if "google.colab" in sys.modules else origin, deflated=compress)
        self.widget = TraceWidget(run_id=uuid.uuid4().hex, compress=compress, _esm=esm, _css=css)
        self._display_id = f"k2nb-{id(self.widget):x}"
        self.run = LiveRun(self.widget.run_id, self.widget.model_id, cell_id, origin, self.widget.send_ops)
        self.ops = LiveOps(self._send, schedule=_start_timer, cells=cells)
        self._shown = False

    def _send(self, ops: list[Op]) -> None:
        if self._runs is None:
            self.widget.send_ops(ops)
        else:
            self.run.send(ops, self._runs.link)

    def show(self) -> None:
        bundle = {
            "application/vnd.jupyter.widget-view+json": {
                "version_major": 2,
                "version_minor": 1,
                "model_id": self.widget.model_id,
            },
            "text/plain": PLACEHOLDER,
        }
        display(bundle, raw=True, display_id=self._display_id)  # type: ignore[no-untyped-call]
        self._shown = True
        if self._runs is not None:
            self._runs.start(self.run)

    def __call__(self, event: Event, run: Transcript) -> None:
        if not self._shown:
            self.show()
        self.ops(event, run)
        if isinstance(event, RunFinished):
            self.finish(run)

    def finish(self, run: Transcript) -> None:
        """Swap the live widget for the saved trace of the finished ``run``."""
        self.ops.flush()
        bundle = cells_bundle(run) if self._cells else static_bundle(run)
        # Where the labextension runs, the tab writes the saved trace from a compressed copy; tabs
        # that attached mid-run (a reload, a second tab) write it into their cell too.
        watchers = self.run.clients
        if self._handoff is None or not self._handoff(self.widget.model_id, bundle, also=watchers()):
            update_display(bundle, raw=True, display_id=self._display_id)  # type: ignore[no-untyped-call]
        if self._runs is not None:
            self._runs.end(self.run)
        self.widget.close()

    @classmethod
    def view_code(cls) -> dict[str, str]:
        """What a tab attaching mid-run needs to show the live view without the widget manager."""
        esm, css = PAGES.whole(live_compression())
        return {"esm": esm, "css": css, "placeholder": PLACEHOLDER}


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
