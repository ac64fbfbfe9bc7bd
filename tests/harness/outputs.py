"""What a user reads in outputs: a saved cell's text, and HTML as text."""

from __future__ import annotations

import html
import re
from typing import Any


def cell_text(cell: Any) -> str:
    """Everything a user would read in a cell's outputs (plain text, HTML and streams)."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        elif output.get("output_type") == "error":
            parts.append(f"{output.get('ename')}: {output.get('evalue')}")
        for mime in ("text/plain", "text/html"):
            if mime in output.get("data", {}):
                # The trace's <style> (trace.css) is not read by anyone; its class names would match words.
                parts.append(re.sub(r"<style>.*?</style>", "", str(output["data"][mime]), flags=re.S))
    return "\n".join(parts)


def html_text(markup: str) -> str:
    """Tags stripped, entities decoded, spaces folded."""
    return fold_spaces(html.unescape(re.sub(r"<[^>]+>", " ", markup)))


def fold_spaces(text: str) -> str:
    return " ".join(text.split())
