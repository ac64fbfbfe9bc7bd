"""The live view's code goes to each page once, deflated: later runs' widgets carry a stub that reuses it.

Every ``%%k2`` run opens a new widget, and an anywidget's module and CSS travel in its state. The
first run that a page (a kernel client, named by the execute request's header ``session``) starts
gets a bootstrap module that carries the full module and its CSS as one base64 deflated
payload (about 40% of their size): it inflates them with the browser's ``DecompressionStream``,
puts the CSS in the page once and imports the module from a Blob URL (as anywidget imports
``_esm``), and the module registers itself on ``globalThis`` under a hash of its code. Later runs
from that page send a stub of a few hundred bytes that re-exports the registered module and no
CSS. A reloaded page is a new client (a new session), so its first run gets the code again. With
``K2NB_LIVE_COMPRESSION=0`` (a browser without ``DecompressionStream``) the first run carries the
plain module, and the CSS in anywidget's ``_css``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import threading
import zlib
from dataclasses import dataclass, field

REGISTRY = "__k2nb_views"

# Shown by the stub if the page lacks the module (a client that kept its session across a page
# reload). The run's trace still replaces the view at the end.
MISSING_NOTE = "k2nb: this page lacks the live view's code (reloaded?); the trace appears here when the run ends."

# Shown by the bootstrap if the page cannot load the deflated code (no DecompressionStream: an old browser).
UNLOADED_NOTE = (
    "k2nb: this browser could not load the live view ({error}); K2NB_LIVE_COMPRESSION=0 for the kernel "
    "sends it plain. The trace appears here when the run ends."
)


def code_hash(esm: str, css: str) -> str:
    return hashlib.sha256((esm + "\0" + css).encode("utf-8")).hexdigest()[:16]


def registering(esm: str, key: str) -> str:
    """The full module, which also registers its default export (the view) under ``key``."""
    return f'{esm}\n(globalThis.{REGISTRY} ||= {{}})["{key}"] = {{ initialize, render }};'


def bootstrap(esm: str, css: str, key: str) -> str:
    """A module that carries ``esm`` (a registering module) and ``css`` deflated, loads them once per
    page, and exports the view they registered under ``key``; on a page that cannot inflate them,
    a view that says so in one line."""
    # zlib's format ("deflate"), not "deflate-raw": 6 bytes more, and the same browsers as the live stream.
    payload = base64.b64encode(zlib.compress(f"{esm}\0{css}".encode(), 9)).decode("ascii")
    note = json.dumps(UNLOADED_NOTE).replace("{error}", '"+e+"')
    # Written tight: every page's first run carries it. Its import ends (top-level await) once the view
    # is registered; anywidget holds the model's messages until then, so none is lost.
    return (
        f'const R=(globalThis.{REGISTRY}||={{}}),k="{key}",s="k2nb-css-"+k;let e;\n'
        "if(!R[k])try{\n"
        f'const z=Uint8Array.from(atob("{payload}"),c=>c.charCodeAt(0)),\n'
        'd=new Response(z).body.pipeThrough(new DecompressionStream("deflate")),\n'
        '[j,c]=(await new Response(d).text()).split("\\0"),\n'
        'u=URL.createObjectURL(new Blob([j],{type:"text/javascript"}));\n'
        "if(!document.getElementById(s))\n"
        'document.head.append(Object.assign(document.createElement("style"),{id:s,textContent:c}));\n'
        "try{await import(u)}finally{URL.revokeObjectURL(u)}\n"
        "}catch(x){e=x}\n"
        f"export default R[k]||{{render:({{el}})=>{{el.textContent={note}}}}};"
    )


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

    @functools.cached_property
    def deflated(self) -> str:
        """The bootstrap that carries the module and its CSS deflated."""
        return bootstrap(self.esm, self.css, self.key)

    def whole(self, deflated: bool = True) -> tuple[str, str]:
        """(esm, css) that load the view on a page without it: the bootstrap, or the plain code."""
        return (self.deflated, "") if deflated else (self.esm, self.css)

    def for_page(self, session: str | None, *, deflated: bool = True) -> tuple[str, str]:
        """(esm, css) for a run started by ``session``: the whole code the first time, then the stub."""
        if not session:  # unknown client: it may not keep one page (nbclient, a bare script)
            return self.whole(deflated)
        with self._lock:
            known = session in self._pages
            self._pages.add(session)
        return (stub(self.key), "") if known else self.whole(deflated)
