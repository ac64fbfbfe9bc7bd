"""k2nb/api.py: k2nb.Agent in-process, on an IPython shell against the loopback server."""

from __future__ import annotations

import json
from typing import Any

import pytest

from k2nb.tools.user import ToolDefinitionError


def test_leaving_the_event_iterator_early_stops_the_run_and_keeps_a_valid_history(scripted_server: Any) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    import k2nb

    code = {"code": "print('should not matter')"}
    script = f"think: a\ntool: code_interpreter {json.dumps(code)}\n---\ntext: never reached\n---\ntext: second run"
    server = scripted_server(script, strict_reasoning=True)
    agent = k2nb.Agent(InteractiveShell.instance(), base_url=server.base_url, approve="auto")
    for event in agent.events("first"):
        if event.type == "tool_started":
            break  # the tool call is waiting for this thread; leaving must not hang
    first = agent.session.transcripts[-1]
    assert first.status == "stopped"
    tool_messages = [m for m in agent.session.messages if m["role"] == "tool"]
    assert len(tool_messages) == 1 and "stopped" in tool_messages[0]["content"]
    assert agent.run("again").status == "done"  # the strict server accepted the history


def test_agent_offers_plain_functions_and_rejects_bad_ones_at_once() -> None:
    from IPython.core.interactiveshell import InteractiveShell

    import k2nb

    def tally(word: str) -> int:
        """How often a word occurs in the corpus."""
        return len(word)

    agent = k2nb.Agent(InteractiveShell.instance(), provider="toy", tools=[tally])
    box = agent.toolbox(agent.session.policy, agent.options)
    assert box.names()[:3] == ["code_interpreter", "list_variables", "inspect_variable"]
    tally_spec = box.get("tally")
    assert tally_spec is not None and not tally_spec.read_only

    def untyped(word):  # type: ignore[no-untyped-def]
        """No hints."""
        return word

    with pytest.raises(ToolDefinitionError, match="needs a type hint"):
        agent.add_tool(untyped)


def test_present_pauses_the_toy_before_each_of_its_steps() -> None:
    from IPython.core.interactiveshell import InteractiveShell

    import k2nb
    from k2nb.core.pause import PauseRequest

    class Pacer:
        channel = "stdin"

        def __init__(self) -> None:
            self.steps: list[int] = []

        def __call__(self, request: PauseRequest) -> bool:
            self.steps.append(request.step)
            return True

    pacer = Pacer()
    shell = InteractiveShell.instance()
    shell.user_ns["readings"] = [4, 8, 15, 16, 23, 42]
    agent = k2nb.Agent(shell, provider="toy", approve="auto", pacer=pacer)
    try:
        presented = agent.run("median and average of `readings`", present=True)
        plain = agent.run("median and average of `readings`")
    finally:
        agent.close()
    assert presented.status == "done" and presented.present and len(presented.steps) >= 2
    assert pacer.steps == list(range(1, len(presented.steps) + 1))  # one pause per step, none for the plain run
    assert not plain.present and plain.status == "done"
