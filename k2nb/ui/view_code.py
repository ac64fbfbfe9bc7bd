"""The live view's code goes to each page once: later runs' widgets carry a stub that reuses it.

Every ``%%k2`` run opens a new widget, and an anywidget's module and CSS travel in its state. The
first run that a page (a kernel client, named by the execute request's header ``session``) starts
gets the full module, which also registers itself on ``globalThis`` under a hash of its code; the
CSS stays in the page as anywidget's ``<style id=…>``. Later runs from that page send a stub of a
few hundred bytes that re-exports the registered module and no CSS. A reloaded page is a new
client (a new session), so its first run gets the full code again.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field

REGISTRY = "__k2nb_views"

# Shown by the stub if the page lacks the module (a client that kept its session across a page
# reload). The run's trace still replaces the view at the end.
MISSING_NOTE = "k2nb: this page lacks the live view's code (reloaded?); the trace appears here when the run ends."


def code_hash(esm: str, css: str) -> str:
    return hashlib.sha256((esm + "\0" + css).encode("utf-8")).hexdigest()[:16]


def registering(esm: str, key: str) -> str:
    """The full module, which also registers its default export (the view) under ``key``."""
    return f'{esm}\n(globalThis.{REGISTRY} ||= {{}})["{key}"] = {{ initialize, render }};'


def stub(key: str) -> str:
    """A module that re-exports the registered view; waits up to 1 s in case the full module is still
    loading (two runs in quick succession); else renders a one-line note."""
    # Written tight: every later run's widget state carries it.
    return (
        f'const R=(globalThis.{REGISTRY}||={{}}),k="{key}";\n'
        "for(let i=0;!R[k]&&i<20;i++)await new Promise(r=>setTimeout(r,50));\n"
        f"export default R[k]||{{render:({{el}})=>{{el.textContent={json.dumps(MISSING_NOTE)}}}}};"
    )


@dataclass
class PageCode:
    """Which pages already hold the view's code; thread-safe (runs may start from timer threads)."""

    esm: str  # the full, registering module
    css: str
    key: str
    _pages: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def for_page(self, session: str | None) -> tuple[str, str]:
        """(esm, css) for a run started by ``session``: the full code the first time, then the stub."""
        if not session:  # unknown client: it may not keep one page (nbclient, a bare script)
            return self.esm, self.css
        with self._lock:
            known = session in self._pages
            self._pages.add(session)
        return (stub(self.key), "") if known else (self.esm, self.css)
