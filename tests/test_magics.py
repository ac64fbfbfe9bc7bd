"""k2nb/magics.py: `%k2 help`, the approval mode the view may set, the terminal's help."""

from __future__ import annotations

from typing import Any

from k2nb.core.transcript import ALWAYS
from k2nb.magics import help_markdown, help_text
from k2nb.tools.approval import ApprovalRequest, Verdict
from k2nb.ui.sanitize import markdown_to_html
from tests.harness.runs import CALL

MARKUP = ("::", "`", "**", "## ", "\\$", "- `")


def test_help_is_markdown_and_its_plain_text_has_no_markup() -> None:
    markdown = help_markdown()
    assert "#### Flags" in markdown and "- `--cells` —" in markdown and "- `%k2 approve [ask|auto|never]` —" in markdown
    html = markdown_to_html(markdown)
    assert "<h3>" in html and "<h4>Flags</h4>" in html and html.count("<li>") >= 20
    plain = help_text()
    for mark in MARKUP:
        assert mark not in plain, mark
    assert "--approve auto|ask|never" in plain and "%k2 approve [ask|auto|never]" in plain
    assert "• --cells — also write the steps as notebook cells below this one" in plain
    assert "Moonshot's built-in $web_search" in plain  # the escape is for Markdown only


def test_the_view_can_only_turn_approvals_back_on() -> None:
    from IPython.core.interactiveshell import InteractiveShell

    from k2nb.magics import K2Magics

    magics = K2Magics(InteractiveShell.instance())
    policy = magics.session.policy
    policy.decide(ApprovalRequest(CALL, "code_interpreter", "x", 1), lambda request: Verdict("always", request.code))
    magics._approvals_from_view({"kind": "approvals", "mode": "never"})
    magics._approvals_from_view({"kind": "approvals", "mode": "auto"})
    assert policy.label == ALWAYS  # a DOM event never changes it in that direction
    magics._approvals_from_view({"kind": "approvals", "mode": "ask"})
    assert policy.label == "ask"
    assert magics.approve_command(["never"]).startswith("k2nb: approve: never")
    assert policy.mode == "never"


def test_terminal_ipython_prints_the_help_as_plain_text(capsys: Any) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    from k2nb.magics import K2Magics

    magics = K2Magics(InteractiveShell.instance())
    magics._line_command("help")
    magics._line_command("help toy")
    printed = capsys.readouterr().out
    assert printed.startswith("%%k2 — Kimi K2 Thinking on the cell's text\n")
    assert "The k2nb toy engine\n═" in printed
    for mark in ("`", "::", "#### ", "- `"):
        assert mark not in printed, mark
