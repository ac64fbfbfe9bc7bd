"""k2nb/ui/ansi.py: terminal colours in tracebacks and progress bars become HTML classes."""

from __future__ import annotations

from k2nb.ui.ansi import ansi_to_html
from tests.harness.runs import TRACEBACK


def test_ansi_colours_become_classes_and_the_text_stays_escaped() -> None:
    html = ansi_to_html("\n".join(TRACEBACK))
    assert '<span class="ansi-red-intense-fg">ZeroDivisionError</span>' in html
    assert '<span class="ansi-cyan-intense-fg">Cell </span><span class="ansi-green-fg">In[3], line 1</span>' in html
    assert '<span style="color:#626262">----&gt; 1</span> total / 0 &lt; 1' in html  # xterm 241, then reset
    assert "\x1b" not in html and "[39m" not in html


def test_ansi_bold_backgrounds_true_colour_progress_bars_and_junk() -> None:
    assert ansi_to_html("\x1b[1;41mX\x1b[22mY\x1b[0mZ") == (
        '<span class="ansi-red-bg ansi-bold">X</span><span class="ansi-red-bg">Y</span>Z'
    )
    assert ansi_to_html("\x1b[38;2;1;2;300mT") == '<span style="color:#0102ff">T</span>'
    assert ansi_to_html("10%\r50%\r100%\ndone") == "100%\ndone"
    assert ansi_to_html("a\x1b[2Kb\x1b]0;title\x07c\x1b[?25l") == "abc"  # cursor/title codes vanish
    assert ansi_to_html("<script>") == "&lt;script&gt;"
    assert ansi_to_html("\x1b[38;5mshort\x1b[m") == "short"  # malformed codes never break the text
