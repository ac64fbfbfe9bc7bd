"""Pure pipeline from captured outputs to the text the model reads (and caps for the user).

Strip ANSI, collapse ``\\r`` progress bars, summarize rich outputs, cut the middle of long text.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from typing import Any

from .images import image_size

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
SURROGATE = re.compile("[\ud800-\udfff]")
MODEL_TEXT_LIMIT = 12_000  # characters of tool output the model reads per call
DISPLAY_TEXT_LIMIT = 200_000  # characters of one stream shown to the user


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text)


def collapse_carriage_returns(text: str) -> str:
    """Keep what a terminal would show: the text after the last ``\\r`` on each line."""
    if "\r" not in text:
        return text
    lines = text.replace("\r\n", "\n").split("\n")
    return "\n".join(_last_segment(line) for line in lines)


def _last_segment(line: str) -> str:
    segments = [segment for segment in line.split("\r") if segment]
    return segments[-1] if segments else ""


def truncate_middle(text: str, limit: int) -> str:
    """Head and tail of ``text`` with a note of what was cut, if longer than ``limit``."""
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    tail = limit - head
    omitted = len(text) - head - tail
    lines = text.count("\n", head, len(text) - tail)
    return (
        f"{text[:head]}\n… [{omitted:,} characters ({lines:,} lines) cut from the middle] …\n{text[len(text) - tail :]}"
    )


def scrub_surrogates(text: str) -> str:
    """Lone surrogates (undecodable bytes printed with ``surrogateescape``) become U+FFFD.

    They cannot be encoded as UTF-8, so one of them in a tool result would make every later
    request of the conversation fail to serialize.
    """
    if not SURROGATE.search(text):
        return text
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def clean(text: str) -> str:
    return collapse_carriage_returns(strip_ansi(scrub_surrogates(text)))


def figure_size(b64: str) -> tuple[int, int] | None:
    """A base64 PNG's or JPEG's width and height, from as much of its head as is there."""
    text = "".join(b64.split())
    text = text[: len(text) - len(text) % 4]  # whole base64 quanta: a head cut anywhere still decodes
    try:
        return image_size(base64.b64decode(text))
    except ValueError:
        return None


def _plain(data: dict[str, Any]) -> str:
    text = data.get("text/plain", "")
    return "".join(text) if isinstance(text, list) else str(text)


def summarize_rich(data: dict[str, Any]) -> str:
    """One short description of a rich output for the model (it never gets pixels or HTML)."""
    for mime in ("image/png", "image/jpeg", "image/svg+xml", "image/gif"):
        if mime in data:
            size = figure_size(str(data[mime])) if mime in ("image/png", "image/jpeg") else None
            kind = "figure" if mime != "image/svg+xml" else "SVG figure"
            where = f" {size[0]}×{size[1]}" if size else ""
            return f"[{kind}{where} shown to the user]"
    if "text/html" in data:
        plain = _plain(data)
        if "<table" in str(data["text/html"]):
            return "[HTML table shown to the user]\n" + plain
        return "[HTML shown to the user]\n" + plain
    if "text/markdown" in data:
        return str(data["text/markdown"])
    if "text/latex" in data and "text/plain" not in data:
        return str(data["text/latex"])
    return _plain(data)


def outputs_to_model_text(outputs: Iterable[dict[str, Any]], limit: int = MODEL_TEXT_LIMIT) -> str:
    parts: list[str] = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            text = clean(str(output.get("text", "")))
            parts.append(text if output.get("name") != "stderr" else f"[stderr]\n{text}")
        elif kind == "execute_result":
            parts.append(f"Out: {clean(_plain(output.get('data', {})))}")
        elif kind == "display_data":
            parts.append(clean(summarize_rich(output.get("data", {}))))
        elif kind == "error":
            parts.append(
                clean("\n".join(output.get("traceback") or [])) or f"{output.get('ename')}: {output.get('evalue')}"
            )
    text = "\n".join(p.rstrip("\n") for p in parts if p.strip())
    return truncate_middle(text, limit) if text else "(no output)"


def cap_for_display(output: dict[str, Any], limit: int = DISPLAY_TEXT_LIMIT) -> dict[str, Any]:
    """Bound what one stream output sends to the frontend (a 50 MB print must not freeze it)."""
    if output.get("output_type") == "stream":
        text = str(output.get("text", ""))
        if len(text) > limit:
            return {**output, "text": truncate_middle(text, limit)}
    if output.get("output_type") == "error":
        return {
            **output,
            "traceback": [truncate_middle(line, limit) for line in output.get("traceback", [])],
        }
    return output
