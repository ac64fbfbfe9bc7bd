"""Terminal text with ANSI colour codes to escaped HTML with colour classes (tracebacks, stderr).

The classes are JupyterLab's own names (``ansi-red-fg``, ``ansi-bold``, …); trace.css colours
them inside a trace. 256-colour and true-colour codes become an inline ``color``/``background-color``
(JupyterLab's HTML sanitizer keeps those); anything else is dropped, never shown as text.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace

from ..core.output_text import collapse_carriage_returns, scrub_surrogates

_SGR = re.compile(r"\x1b\[([0-9;]*)m")
_OTHER = re.compile(r"\x1b\[[0-9;?]*[A-Za-ln-z]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]")
NAMES = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")


@dataclass(frozen=True)
class Pen:
    """The SGR state that colours the text after it."""

    fg: str | None = None  # a class ("red", "red-intense") or "#rrggbb"
    bg: str | None = None
    bold: bool = False
    underline: bool = False

    def attributes(self) -> str:
        classes: list[str] = []
        styles: list[str] = []
        for value, part, prop in ((self.fg, "fg", "color"), (self.bg, "bg", "background-color")):
            if value is None:
                continue
            if value.startswith("#"):
                styles.append(f"{prop}:{value}")
            else:
                classes.append(f"ansi-{value}-{part}")
        if self.bold:
            classes.append("ansi-bold")
        if self.underline:
            classes.append("ansi-underline")
        out = f' class="{" ".join(classes)}"' if classes else ""
        return out + (f' style="{";".join(styles)}"' if styles else "")


def _xterm(n: int) -> str | None:
    """An xterm 256-colour index: a class for the 16 basic ones, else a hex colour."""
    if n < 0 or n > 255:
        return None
    if n < 16:
        return NAMES[n % 8] + ("-intense" if n >= 8 else "")
    if n >= 232:
        level = 8 + (n - 232) * 10
        return f"#{level:02x}{level:02x}{level:02x}"
    n -= 16
    steps = [0 if v == 0 else 55 + 40 * v for v in (n // 36, n // 6 % 6, n % 6)]
    return "#" + "".join(f"{v:02x}" for v in steps)


def _apply(pen: Pen, codes: list[int]) -> Pen:
    i = 0
    while i < len(codes):
        c = codes[i]
        if c == 0:
            pen = Pen()
        elif c == 1:
            pen = replace(pen, bold=True)
        elif c == 22:
            pen = replace(pen, bold=False)
        elif c == 4:
            pen = replace(pen, underline=True)
        elif c == 24:
            pen = replace(pen, underline=False)
        elif 30 <= c <= 37 or 90 <= c <= 97:
            pen = replace(pen, fg=NAMES[c % 10] + ("-intense" if c >= 90 else ""))
        elif 40 <= c <= 47 or 100 <= c <= 107:
            pen = replace(pen, bg=NAMES[c % 10] + ("-intense" if c >= 100 else ""))
        elif c == 39:
            pen = replace(pen, fg=None)
        elif c == 49:
            pen = replace(pen, bg=None)
        elif c in (38, 48) and i + 1 < len(codes):
            color: str | None = None
            if codes[i + 1] == 5 and i + 2 < len(codes):
                color, i = _xterm(codes[i + 2]), i + 2
            elif codes[i + 1] == 2 and i + 4 < len(codes):
                r, g, b = (max(0, min(255, v)) for v in codes[i + 2 : i + 5])
                color, i = f"#{r:02x}{g:02x}{b:02x}", i + 4
            pen = replace(pen, fg=color) if c == 38 else replace(pen, bg=color)
        i += 1
    return pen


def ansi_to_html(text: str) -> str:
    """Escaped HTML of terminal ``text``: colour runs as ``<span>``, ``\\r`` progress collapsed."""
    text = collapse_carriage_returns(_OTHER.sub("", scrub_surrogates(text)))
    out: list[str] = []
    pen = Pen()
    pos = 0
    for match in _SGR.finditer(text):
        out.append(_run(text[pos : match.start()], pen))
        codes = [int(c) for c in match.group(1).split(";") if c.isdigit()] or [0]
        pen = _apply(pen, codes)
        pos = match.end()
    out.append(_run(text[pos:], pen))
    return "".join(out)


def _run(chunk: str, pen: Pen) -> str:
    if not chunk:
        return ""
    escaped = html.escape(chunk, quote=False)
    attributes = pen.attributes()
    return f"<span{attributes}>{escaped}</span>" if attributes else escaped
