"""Handing the finished trace to the notebook tab, compressed, instead of sending it as HTML.

The live view has already carried the text once. The saved copy (static HTML + plain text) must
reach the notebook too, but where the k2nb labextension runs it need not cross the wire
uncompressed: the kernel sends it deflated on ``k2nb.frontend`` and the tab inflates it and puts
it in place of the live view's output — the same bundle an ``update_display`` would have set.
The tab that ran the cell confirms over its ``k2nb`` comm (which reaches Python mid-cell); without
that confirmation in time, the caller falls back to ``update_display``. Every tab showing the
notebook replaces its own copy of the output, except in a collaborative notebook, where the tabs
share one output and only the named ``writer`` writes it (two writers would leave two copies).

The bundle's leading ``<style>`` (the trace's rules, ui/trace_style.py) goes out once per link:
later handoffs name it by a hash and the tab, which keeps each one it was sent, puts it back.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from typing import Any

from .link import FrontendLink

OP = "trace-static"
TRACE_STATIC_DONE = "trace-static-done"
CAPABILITY = "trace-static"  # announced in the tab's hello
STYLE_CAPABILITY = "trace-style"  # the tab keeps each <style> it was sent and takes a key for it
TIMEOUT = 3.0  # seconds; the tab answers in tens of milliseconds


def split_style(html: str) -> tuple[str, str]:
    """(the leading ``<style>…</style>``, the rest); ("", html) when there is none."""
    if not html.startswith("<style>"):
        return "", html
    end = html.index("</style>") + len("</style>")
    return html[:end], html[end:]


class TabHandoff:
    def __init__(self, link: FrontendLink, client_id: str, *, timeout: float = TIMEOUT) -> None:
        self._link = link
        self._client = client_id
        self._timeout = timeout

    @classmethod
    def for_current_cell(cls, link: FrontendLink, shell: Any) -> TabHandoff | None:
        """A handoff to the tab whose execute request is running, if the cell came from a tab."""
        kernel = getattr(shell, "kernel", None)
        if kernel is None or not link.available:
            return None
        try:
            client = (kernel.get_parent().get("header") or {}).get("session")
        except Exception:
            return None
        return cls(link, client) if isinstance(client, str) else None

    def _can(self, client: str, capability: str) -> bool:
        hello = self._link.hello(client) or {}
        capabilities = hello.get("capabilities")
        return isinstance(capabilities, list) and capability in capabilities

    def _ready(self, client: str) -> bool:
        """Whether the tab is linked and its labextension knows the operation."""
        return self._can(client, CAPABILITY)

    @property
    def ready(self) -> bool:
        return self._ready(self._client)

    def __call__(self, model_id: str, bundle: dict[str, Any], *, also: list[str] | None = None) -> bool:
        """Send ``bundle`` to replace the output showing widget ``model_id``; True once a tab did.

        ``also``: tabs that attached to the run mid-run (a reload, a second tab); the tab that ran
        the cell may be gone, and one of them writing the trace is as good. The writer of a
        collaborative notebook's one shared output is the first of them still linked.
        """
        tabs = [c for c in dict.fromkeys([self._client, *(also or [])]) if self._ready(c)]
        if not tabs:
            return False

        def enough(replies: dict[str, dict[str, Any]]) -> bool:
            return any(r.get("found") is True for r in replies.values()) or len(replies) == len(tabs)

        op: dict[str, Any] = {"op": OP, "model_id": model_id, "writer": tabs[0]}
        style, rest = split_style(str(bundle.get("text/html", "")))
        # Every linked tab takes the op (each replaces its own copy), so each must hold the style.
        keyed = bool(style) and all(self._can(c, STYLE_CAPABILITY) for c in self._link.client_ids())
        extra: list[bytes] = []
        if keyed:
            op["style"] = key = "style:" + hashlib.sha256(style.encode()).hexdigest()[:16]
            bundle = {**bundle, "text/html": rest}
            if self._link.first_on_downlink(key):
                extra.append(zlib.compress(style.encode(), 6))
        payload = zlib.compress(json.dumps(bundle, ensure_ascii=False).encode(), 6)
        written = False
        try:
            replies = self._link.request(
                op,
                reply=TRACE_STATIC_DONE,
                tabs=tabs,
                timeout=self._timeout,
                buffers=[payload, *extra],
                enough=enough,
            )
            written = any(r.get("found") is True for r in replies.values())
        except KeyboardInterrupt:  # the interrupt came as the run ended: the caller still saves the trace
            return False
        finally:
            if keyed and not written:
                self._link.forget_on_downlink(op["style"])  # a tab may lack it: the next handoff sends it
        return written
