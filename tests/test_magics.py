"""k2nb/magics.py: `%k2 help`, the approval mode the view may set, the terminal's help, `%k2 present` of a notebook."""

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


def test_k2_present_of_a_notebook_presents_its_last_recording(
    tmp_path: Any, monkeypatch: Any, capsys: Any, scripted_server: Any
) -> None:
    import builtins

    import nbformat
    from IPython.core.interactiveshell import InteractiveShell

    from k2nb.api import Agent
    from k2nb.edge.recorder import Recorder
    from k2nb.magics import K2Magics
    from k2nb.ui.recording_output import recording_output

    server = scripted_server("text: first answer\n---\ntext: second answer")
    outputs = []
    for n, prompt in enumerate(("first question", "second question")):
        agent = Agent(base_url=server.base_url, approve="auto")
        recorder = Recorder(tmp_path / f"r{n}.jsonl")
        try:
            agent.run(prompt, recorder=recorder)
        finally:
            agent.close()
        data, metadata = recording_output(recorder)
        outputs.append(nbformat.v4.new_output("display_data", data=data, metadata=metadata))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("%%k2 --record", outputs=[o]) for o in outputs]
    nbformat.write(nb, tmp_path / "lesson.ipynb")

    prompts: list[str] = []
    monkeypatch.setattr(builtins, "input", lambda prompt="": prompts.append(prompt) or "")
    magics = K2Magics(InteractiveShell.instance())
    magics._line_command(f"present {tmp_path / 'lesson.ipynb'}")
    shown = capsys.readouterr().out
    assert "second answer" in shown and "first answer" not in shown and "lesson.ipynb (cell 2)" in shown
    assert prompts == ["k2nb presenter mode: press Enter for step 1 "]
    transcript = magics.session.transcripts[-1]
    assert transcript.present and transcript.prompt == "second question"
    magics._line_command(f"present {tmp_path / 'lesson.ipynb'}#1")
    assert "first answer" in capsys.readouterr().out
    magics._line_command("present a.jsonl b.jsonl")
    assert "takes one recording" in capsys.readouterr().err


def test_the_approval_mode_lives_in_the_sessions_policy_seeded_by_the_setting(monkeypatch: Any, capsys: Any) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    from k2nb.magics import K2Magics

    monkeypatch.delenv("K2NB_APPROVE", raising=False)
    monkeypatch.setenv("K2NB_TOY_SPEED", "0")
    magics = K2Magics(InteractiveShell.instance())
    assert magics.session.policy.mode == "ask"
    magics.approve = "auto"  # %config K2Magics.approve = 'auto': this session, and the seed of new ones
    assert magics.session.policy.mode == "auto"
    magics.approve_command(["never"])  # %k2 approve never: this session only
    magics.k2("--engine toy --approve ask", "What is 2+2?")  # a cell's --approve: that run only
    assert magics.session.policy.mode == "never"
    magics._line_command("new")  # a new conversation starts from the setting
    assert magics.session.policy.mode == "auto"
    magics.approve_command(["never"])
    magics.k2("--engine toy --new", "What is 2+2?")
    assert magics.session.policy.mode == "auto"
    assert magics.session.transcripts[-1].approve == "auto"  # what the run itself read
    assert magics.agent.options.approve is None  # no copy of the mode beside the policy
    capsys.readouterr()
