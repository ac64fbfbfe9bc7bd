"""Runs still streaming, shown again live in tabs that open the notebook mid-run (labextension/src/reattach.ts).

A reloaded page, or a second tab, shows the notebook as last saved: the widget that streams a
run lives only in the page that ran the cell. When such a tab says hello over its ``k2nb`` comm,
the kernel sends it each active run — the view's code and everything so far as one compressed
snapshot — and then that run's batches, on ``k2nb.frontend`` addressed to that tab. The tab puts
a live view in the run's cell; Stop and approvals from it travel back like any tab's. When the
run ends, the saved-trace handoff (``handoff``) writes the finished trace into every tab's cell.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..notebook.link import FrontendLink
from .live_codec import Op, OpsEncoder

ATTACH = "run-attach"  # {op, run_id, model_id, cell_id, esm, css, placeholder} + the snapshot (deflated)
OPS = "run-ops"  # {op, run_id} + the next batch, on the same deflate stream as the snapshot
DETACHED = "run-detach"  # tab -> kernel {kind, run_id}: that tab has no cell for the run (another notebook)
CAPABILITY = "run-attach"  # announced in the tab's hello


@dataclass
class LiveRun:
    """One streaming run: its ids, the ops sent so far, and the tabs it streams to besides its own."""

    run_id: str
    model_id: str
    cell_id: str | None
    origin: str | None  # the clientId of the tab that ran the cell (its widget streams already)
    send_widget: Callable[[list[Op]], None]
    log: list[Op] = field(default_factory=list)
    watchers: dict[str, OpsEncoder] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, ops: list[Op], link: FrontendLink) -> None:
        """Send a batch to the run's widget and to every tab that attached; keep it for later ones."""
        with self.lock:
            self.log.extend(ops)
            self.send_widget(ops)
            for client, encoder in self.watchers.items():
                link.send({"op": OPS, "run_id": self.run_id}, client, buffers=[encoder.encode(ops)])

    def attach(self, client: str, link: FrontendLink, view: dict[str, str]) -> None:
        """Start streaming to ``client``: everything so far as one batch, then each new one."""
        with self.lock:
            if client in self.watchers:
                return
            encoder = OpsEncoder()
            snapshot = encoder.encode(list(self.log))
            self.watchers[client] = encoder
            op = {"op": ATTACH, "run_id": self.run_id, "model_id": self.model_id, "cell_id": self.cell_id, **view}
            link.send(op, client, buffers=[snapshot])

    def detach(self, client: str) -> None:
        with self.lock:
            self.watchers.pop(client, None)

    def clients(self) -> list[str]:
        with self.lock:
            return list(self.watchers)


class LiveRuns:
    """The kernel's active runs (one registry per kernel, held by the magic), attached to tabs on hello."""

    def __init__(self, link: FrontendLink, view: Callable[[], dict[str, str]]) -> None:
        self.link = link
        self._view = view  # the widget's code and style, and the placeholder text
        self._lock = threading.Lock()
        self._runs: dict[str, LiveRun] = {}
        link.on("hello", self._on_hello)
        link.on(DETACHED, self._on_detach)

    def start(self, run: LiveRun) -> None:
        with self._lock:
            self._runs[run.run_id] = run
        # A tab that said hello before this run began (a second tab, already open) watches it too.
        for client in self.link.client_ids():
            self._maybe_attach(run, client)

    def end(self, run: LiveRun) -> None:
        with self._lock:
            self._runs.pop(run.run_id, None)

    def active(self) -> list[LiveRun]:
        with self._lock:
            return list(self._runs.values())

    def _on_hello(self, message: dict[str, Any]) -> None:
        client = message.get("clientId")
        if isinstance(client, str):
            for run in self.active():
                self._maybe_attach(run, client)

    def _on_detach(self, message: dict[str, Any]) -> None:
        client, run_id = message.get("clientId"), message.get("run_id")
        with self._lock:
            run = self._runs.get(run_id) if isinstance(run_id, str) else None
        if run is not None and isinstance(client, str):
            run.detach(client)

    def _maybe_attach(self, run: LiveRun, client: str) -> None:
        if client == run.origin:
            return  # the tab that ran the cell streams through its widget
        hello = self.link.hello(client) or {}
        capabilities = hello.get("capabilities")
        if isinstance(capabilities, list) and CAPABILITY in capabilities:
            run.attach(client, self.link, self._view())
