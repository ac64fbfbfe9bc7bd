"""Pure parts of the research workflow: tool schemas from type hints, interpolation, summaries,
request fields for successor models, and export round trips."""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest

from k2nb.core.events import (
    ModelTurnDone,
    ReasoningDelta,
    RunFinished,
    RunStarted,
    StepStarted,
    ToolFinished,
    ToolStarted,
)
from k2nb.core.request import extra_body
from k2nb.core.toolbox import ToolBox, ToolContext, validate_arguments
from k2nb.core.transcript import Transcript
from k2nb.core.turn import AssistantTurn, Usage
from k2nb.errors import ConfigError
from k2nb.kernel.prompt_context import ErrorLog, context_block, interpolate, parse_names
from k2nb.kernel.summaries import list_variables, summarize
from k2nb.tools.approval import ApprovalPolicy, ApprovalRequest, Verdict
from k2nb.tools.user import ToolDefinitionError, bind, spec_from_function, tool
from k2nb.ui.export import to_markdown, transcript_from_dict


def test_schema_from_type_hints_and_docstring() -> None:
    def resample(
        rule: Literal["D", "W", "M"], columns: list[str], fill: float | None = None, *, how: str = "mean"
    ) -> str:
        """Resample the series.

        :param rule: pandas offset alias
        :param columns: which columns
        """
        return rule

    spec = spec_from_function(resample)
    props = spec.parameters["properties"]
    assert props["rule"] == {"type": "string", "enum": ["D", "W", "M"], "description": "pandas offset alias"}
    assert props["columns"] == {"type": "array", "items": {"type": "string"}, "description": "which columns"}
    assert props["fill"] == {"type": "number", "default": None}
    assert spec.parameters["required"] == ["rule", "columns"]
    assert spec.parameters["additionalProperties"] is False
    assert spec.description == "Resample the series."


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def ab(x: int) -> int:\n    'doc'\n    return x", "tool name 'ab' is not allowed"),
        ("def f_a(*xs: int) -> int:\n    'doc'\n    return 1", "name each parameter"),
        ("def f_b(x) -> int:\n    'doc'\n    return 1", "parameter 'x' needs a type hint"),
        ("def f_c(x: int) -> int:\n    return 1", "add a docstring"),
        ("def f_d(x: object) -> int:\n    'doc'\n    return 1", "which JSON cannot carry"),
        ("def code_interpreter(code: str) -> str:\n    'doc'\n    return code", "taken by a built-in"),
    ],
)
def test_bad_tools_fail_at_registration_with_the_fix(source: str, message: str) -> None:
    namespace: dict[str, object] = {}
    exec(source, namespace)
    func = next(v for k, v in namespace.items() if callable(v) and not k.startswith("__"))
    with pytest.raises(ToolDefinitionError, match=message) as info:
        tool(func)  # type: ignore[arg-type]
    assert info.value._render_traceback_() == [f"ToolDefinitionError: {info.value}"]


def test_user_tool_calls_are_validated_approved_and_editable() -> None:
    @tool
    def scale(factor: int, mode: Literal["up", "down"] = "up") -> dict[str, int]:
        """Scale something."""
        return {"factor": factor, "sign": 1 if mode == "up" else -1}

    asked: list[str] = []

    def approver(request: ApprovalRequest) -> Verdict:
        asked.append(request.code)
        return Verdict("edit", "scale(factor=7, mode='down')")

    spec = scale.__k2nb_tool__  # type: ignore[attr-defined]
    box = ToolBox([bind(spec, scale, ApprovalPolicy("ask"), approver, validate_arguments)])
    from k2nb.core.turn import ToolCall

    _, _, problem = box.parse(ToolCall("c1", "scale", '{"factor": "x"}'))
    assert problem is not None and "'factor' must be of type integer" in problem
    bound, args, _ = box.parse(ToolCall("c2", "scale", '{"factor": 2, "mode": "sideways"}'))
    assert bound is not None and args is not None
    assert box.run(bound, args, ToolContext(1, "c2")).status == "invalid"  # not in the enum
    outcome = box.run(bound, {"factor": 2}, ToolContext(1, "c3"))
    assert asked == ["scale(factor=2)"]
    assert (
        json.loads(outcome.model_text) == {"factor": 7, "sign": -1} and outcome.code == "scale(factor=7, mode='down')"
    )


def test_interpolation_and_context_block() -> None:
    ns = {"n": 42, "name": "Ada", "In": ["", "x = 1"], "Out": {1: 99}, "github_token": "ghp_abcdefgh12345678"}
    errors = ErrorLog()
    errors.errors[3], errors.last = "ValueError: bad", "KeyError: 'k'"
    text, notes = interpolate(
        "{n} {name} {In[1]} {Out[1]} {Err[3]} {Err} {{n}} {missing} {github_token} {n:>3} {'x': 1}", ns, errors
    )
    assert text == "42 Ada x = 1 99 ValueError: bad KeyError: 'k' {n} {missing} *** {n:>3} {'x': 1}"
    assert notes and "github_token" in notes[0]
    block = context_block(parse_names("n, name"), ns, budget_tokens=100)
    assert "n: int" in block and "name: str" in block
    with pytest.raises(ConfigError, match="no variable named nope"):
        context_block(["nope"], ns)
    with pytest.raises(ConfigError, match="variable names separated by commas"):
        parse_names("df,1x")


def test_summaries_mask_secrets_and_hide_modules() -> None:
    import math

    ns = {"math": math, "_hidden": 1, "password": "hunter2hunter2", "values": list(range(100)), "f": len}
    listed = list_variables(ns)
    assert "math" not in listed and "_hidden" not in listed
    assert "password: str = ***" in listed and "hunter2" not in listed
    assert "values: list (len 100)" in listed
    assert "hunter2" not in summarize("password", "hunter2hunter2")
    assert len(summarize("values", list(range(10**5)), limit=300)) <= 300


def test_request_fields_for_successor_models_and_web_search() -> None:
    body = extra_body(provider="moonshot", model="kimi-k2.6", cache_key="k")
    assert body == {"prompt_cache_key": "k", "thinking": {"type": "enabled"}}
    assert "thinking" not in extra_body(provider="moonshot-cn", model="kimi-k2-thinking", cache_key="k")
    assert extra_body(provider="moonshot", model="kimi-k2.6", cache_key="k", thinking="off")["thinking"] == {
        "type": "disabled"
    }
    assert extra_body(provider="moonshot", model="kimi-k3", cache_key="k")["thinking"] == {"type": "enabled"}
    with pytest.raises(ConfigError, match="kimi-k3 always thinks"):
        extra_body(provider="moonshot", model="kimi-k3", cache_key="k", thinking="off")
    assert extra_body(provider="vllm", model="kimi-k2.6", cache_key="k") == {}  # auto: Moonshot only
    assert extra_body(provider="vllm", model="x", cache_key="k", thinking="on") == {"thinking": {"type": "enabled"}}
    with pytest.raises(ConfigError, match="does not offer"):
        extra_body(provider="openrouter", model="m", cache_key="k", web_search=True)


def test_export_round_trips_through_the_transcript_dict() -> None:
    t = Transcript()
    turn = AssistantTurn(reasoning="think <b>hard</b>", tool_calls=(), content="")
    for event in (
        RunStarted("r1", "kimi-k2-thinking", "toy", 5, "Count things", 0.0),
        StepStarted(1),
        ReasoningDelta(1, "think <b>hard</b>"),
        ModelTurnDone(1, turn, 1.0, 0.5),
        ToolStarted(1, "c1", "code_interpreter", {"code": "print(3)"}, "print(3)"),
        ToolFinished(
            1, "c1", "code_interpreter", "ok", "3", ({"output_type": "stream", "name": "stdout", "text": "3\n"},)
        ),
        RunFinished("done", "There are **3**.", Usage(10, 5, 4), 1.2, 1),
    ):
        t.apply(event)
    md = to_markdown([t])
    assert "<details><summary>💭 Thinking (step 1, 2 words)</summary>" in md
    assert "think &lt;b&gt;hard&lt;/b&gt;" in md  # reasoning is text, not HTML
    assert "```python\nprint(3)\n```" in md and "There are **3**." in md and "(4 cached)" in md
    assert to_markdown([transcript_from_dict(json.loads(json.dumps(t.to_dict())))]) == md


def test_docstring_styles() -> None:
    def numpy_style(column: str, z: float = 2.0) -> int:
        """Count outliers.

        Parameters
        ----------
        column : str
            the column to check,
            numeric
        z : float
            cut-off
        """
        return 0

    def google_style(column: str) -> int:
        """Count outliers.

        Args:
            column (str): the column to check,
                numeric.

        Returns:
            how many
        """
        return 0

    numpy_props = spec_from_function(numpy_style).parameters["properties"]
    assert numpy_props["column"]["description"] == "the column to check, numeric"
    assert numpy_props["z"]["description"] == "cut-off"
    assert spec_from_function(google_style).parameters["properties"]["column"]["description"] == (
        "the column to check, numeric."
    )


def test_only_secret_looking_strings_are_masked() -> None:
    listed = list_variables(
        {"token_counts": [1, 2, 3], "api_key": "abc123abc123", "keys": ["a"], "note": "sk-abcdefgh1234"}
    )
    assert "token_counts: list (len 3)" in listed and "keys: list (len 1)" in listed
    assert "api_key: str = ***" in listed and "note: str = ***" in listed


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


def test_export_cells_is_delegated_to_k2nb_cells(tmp_path: Any) -> None:
    """`%k2 export FILE.ipynb` / `--cells` hand the transcripts to k2nb.cells (nbformat is imported here
    already: in a fresh kernel that import alone can take seconds)."""
    import nbformat

    from k2nb.ui.export import export_command

    t = Transcript()
    t.apply(RunStarted("r1", "kimi-k2-thinking", "toy", 5, "Now summarize.", 0.0))
    t.apply(RunFinished("done", "Summarized.", Usage(), 0.1, 1))
    message = export_command([str(tmp_path / "a.out"), "--cells"], [t])
    assert message.endswith(f"as cells to {tmp_path / 'a.out'}")
    assert "exported 1 run(s) as cells" in export_command([str(tmp_path / "b.ipynb")], [t])
    cells = nbformat.read(tmp_path / "b.ipynb", as_version=4).cells
    assert [c.source for c in cells if c.source.startswith("%%k2")] == ["%%k2\nNow summarize."]
    with pytest.raises(ConfigError, match="nothing to export yet"):
        export_command([str(tmp_path / "c.md")], [])
