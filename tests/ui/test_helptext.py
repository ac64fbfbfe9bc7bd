"""k2nb/ui/helptext.py: Markdown help as plain text for terminals."""

from __future__ import annotations

import re

from k2nb.engines.toy import toy_help
from k2nb.ui.helptext import markdown_to_plain


def test_toy_help_plain_text_keeps_the_words_and_drops_the_markup() -> None:
    plain = markdown_to_plain(toy_help())
    for mark in ("`", "## "):
        assert mark not in plain, mark
    assert not re.search(r"\*\*[A-Za-z]|[a-z.]\*\*|(^|\s)\*[A-Za-z]", plain)  # bold/italic marks (2**100 is Python)
    assert "digit sum of 2**100" in plain
    assert plain.startswith("The k2nb toy engine\n═")
    assert "• Digit sums (digit sum, sum of digits" in plain
    assert "k2nb serve --engine toy" in plain
    assert max(map(len, plain.splitlines())) <= 100


def test_markdown_to_plain_nests_lists_and_indents_code() -> None:
    text = "Intro *with* [a link](https://x.org).\n\n- one\n  - inner `code`\n- two\n\n```\nprint(1)\n```\n"
    assert markdown_to_plain(text).splitlines() == [
        "Intro with a link (https://x.org).",
        "",
        "• one",
        "  • inner code",
        "• two",
        "",
        "    print(1)",
    ]
