"""Which code a run's widget carries: a page's first run the view deflated (or plain), later runs a stub."""

from __future__ import annotations

import base64
import re
import zlib

from k2nb.ui.view_code import PageCode, bootstrap, code_hash, registering, stub

ESM = "function initialize() {}\nfunction render({ el }) { el.textContent = 'é'; }\nexport default { render };"
CSS = ".k2nb-live { display: flex; }"


def _page_code() -> PageCode:
    key = code_hash(ESM, CSS)
    return PageCode(registering(ESM, key), CSS, key)


def test_the_bootstrap_carries_the_module_and_its_css_deflated_as_base64() -> None:
    code = _page_code()
    payload = re.search(r'atob\("([A-Za-z0-9+/=]+)"\)', bootstrap(code.esm, code.css, code.key))
    assert payload
    assert zlib.decompress(base64.b64decode(payload.group(1))).decode() == f"{code.esm}\0{code.css}"


def test_a_page_gets_the_code_once_deflated_or_plain() -> None:
    code = _page_code()
    assert code.for_page("page-1") == (code.deflated, "")
    assert code.for_page("page-1") == (stub(code.key), "") == code.for_page("page-1", deflated=False)
    assert code.for_page("page-2", deflated=False) == (code.esm, code.css)  # K2NB_LIVE_COMPRESSION=0
    # An unknown client may not keep one page (nbclient, a script): every run gets the whole code.
    assert code.for_page(None) == code.for_page(None) == code.whole() == (code.deflated, "")
    assert code.for_page("", deflated=False) == code.whole(False) == (code.esm, code.css)
