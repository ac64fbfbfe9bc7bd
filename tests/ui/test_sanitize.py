"""k2nb/ui/sanitize.py: Markdown and HTML fragments made safe to show."""

from __future__ import annotations

from k2nb.ui.sanitize import markdown_to_html, sanitize_html
from tests.harness.hostile import EVIL, IMG, SCRIPT, assert_inert


def test_markdown_shows_raw_html_and_js_links_as_text() -> None:
    out = markdown_to_html(EVIL)
    assert_inert(out)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out  # the user sees what the model wrote
    assert "&lt;img src=x onerror=alert(1)&gt;" in out


def test_markdown_still_renders_safe_markup() -> None:
    out = markdown_to_html("**bold** `code` [docs](https://example.com/x)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "<strong>bold</strong>" in out
    assert "<code>code</code>" in out
    assert '<a href="https://example.com/x" rel="noopener noreferrer nofollow">docs</a>' in out
    assert "<table>" in out
    assert "<td>2</td>" in out


def test_sanitize_html_removes_active_content() -> None:
    fragment = (
        f"{SCRIPT}{IMG}<a href='javascript:alert(2)'>a</a><a href='JaVaScRiPt:alert(4)'>b</a>"
        "<svg onload=alert(3)></svg><iframe src='https://evil'></iframe>"
        "<img src='data:text/html;base64,PHNjcmlwdD4='><a href='data:text/html,x'>d</a>"
        "<p onclick='x()' style='position:fixed'>kept text</p>"
        "<img src='data:image/png;base64,AAAA' alt='plot'>"
    )
    out = sanitize_html(fragment)
    assert_inert(out)
    assert "alert" not in out
    assert "<p>kept text</p>" in out
    assert '<img src="data:image/png;base64,AAAA" alt="plot">' in out
