"""k2nb/notebook/link.py outside a kernel (its kernel side: tests/integration/test_frontend_link.py)."""

from __future__ import annotations

from typing import Any

from IPython.core.interactiveshell import InteractiveShell

from k2nb.notebook.link import FrontendLink


def test_outside_a_kernel_the_link_is_inert() -> None:
    link = FrontendLink(InteractiveShell.instance())
    seen: list[dict[str, Any]] = []
    link.on("stop", seen.append)
    link.send({"op": "ping"})  # no error, nowhere to go
    assert (link.available, link.connected, link.client_ids()) == (False, False, [])
    link.close()
    link.close()
