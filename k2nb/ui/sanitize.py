"""Model text to safe HTML: Markdown through markdown-it-py, then the nh3 (ammonia) sanitizer.

Model output is untrusted: raw HTML, event handlers, ``javascript:`` links and scripts are
removed by an allow-list, in the live view and in the saved static fallback alike.
"""

from __future__ import annotations

import html
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

_TAGS = {
    "a",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "details",
    "div",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
    "caption",
    "colgroup",
    "col",
}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align"},
    "th": {"align"},
    "*": {"class"},
}
_URL_SCHEMES = {"http", "https", "mailto", "data"}


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")


def sanitize_html(fragment: str) -> str:
    """Keep only allow-listed tags/attributes; ``data:`` URLs only for images."""
    return nh3.clean(
        fragment,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_filter_attribute,
    )


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute in ("href", "src") and value.strip().lower().startswith("data:"):
        return value if tag == "img" and value.lower().startswith("data:image/") else None
    return value


def markdown_to_html(text: str) -> str:
    """Render model Markdown (raw HTML in it is shown as text, not interpreted)."""
    return sanitize_html(_markdown().render(text))


@lru_cache(maxsize=1)
def _formatter() -> HtmlFormatter:  # type: ignore[type-arg]
    return HtmlFormatter(nowrap=True)


def highlight_python(code: str) -> str:
    try:
        return highlight(code, PythonLexer(), _formatter())  # type: ignore[no-any-return]
    except Exception:  # highlighting is cosmetic; never fail a render for it
        return html.escape(code)
