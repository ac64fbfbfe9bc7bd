"""k2nb/ui/terminal.py: terminal IPython prints a readable trace."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any


def test_terminal_ipython_prints_a_readable_trace(scripted_server: Any) -> None:
    code = json.dumps({"code": "word_count = len('a b c'.split())\nprint('words:', word_count)"})
    server = scripted_server(
        f"think: count the words\ntool: code_interpreter {code}\n---\ntext: There are 3 words.",
        dialect="moonshot",
    )
    script = (
        "get_ipython().run_line_magic('load_ext', 'k2nb')\n"
        "get_ipython().run_cell_magic('k2', '--approve auto', 'count words')\n"
        "print('NS', word_count)\n"
    )
    env = {**os.environ, "K2NB_BASE_URL": server.base_url}
    out = subprocess.run(
        [sys.executable, "-m", "IPython", "--colors=nocolor", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    text = out.stdout + out.stderr
    assert "💭 count the words" in text
    assert "words: 3" in text
    assert "There are 3 words." in text
    assert "NS 3" in text
    assert "Traceback" not in text


def test_a_tool_call_is_printed_before_its_stdin_question_and_when_it_ran_unasked() -> None:
    import io

    from k2nb.core.transcript import Transcript
    from k2nb.ui.terminal import TerminalPrinter
    from tests.harness.runs import mcp_run

    for asked in (True, False):
        out = io.StringIO()
        printer, run = TerminalPrinter(out), Transcript()
        seen_before_question = ""
        for event in mcp_run(asked=asked):
            run.apply(event)
            printer(event, run)
            if event.type == "approval_needed":
                seen_before_question = out.getvalue()  # what the user has read when the prompt asks
        printed = out.getvalue()
        assert printed.count("  ▌ add(a=2, b=3)") == 1 and "  ▌ # MCP server 'demo'" in printed
        assert printed.index("add(a=2, b=3)") < printed.index("add · ✓")
        if asked:
            assert "add(a=2, b=3)" in seen_before_question
