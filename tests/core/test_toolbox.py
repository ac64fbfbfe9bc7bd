"""k2nb/core/toolbox.py: tool names and schemas, argument validation, parsing a call, running it."""

from __future__ import annotations

from typing import Any

import pytest

from k2nb.core.toolbox import MAX_TOOLS, ToolBox, ToolContext, ToolOutcome, ToolSpec, check_spec, validate_arguments
from k2nb.core.turn import ToolCall


def _noop(args: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    return ToolOutcome("ok", "done")


def spec(name: str = "my_tool", parameters: dict[str, Any] | None = None) -> ToolSpec:
    params = {"type": "object", "properties": {}} if parameters is None else parameters
    return ToolSpec(name, "A tool.", params, _noop)


@pytest.mark.parametrize("name", ["abc", "_ab", "run_code", "a-b-c", "X9_", "a" * 64])
def test_allowed_tool_names(name: str) -> None:
    check_spec(spec(name))


@pytest.mark.parametrize("name", ["ab", "1abc", "$web_search", "has space", "a" * 65, "naïve", "dot.name", "-abc", ""])
def test_rejected_tool_names_say_the_rule(name: str) -> None:
    with pytest.raises(ValueError, match="3–64 letters") as info:
        check_spec(spec(name))
    assert "'$'" in str(info.value)


def test_a_name_with_a_trailing_newline_is_rejected() -> None:
    with pytest.raises(ValueError):
        check_spec(spec("abc\n"))


def test_parameters_root_must_be_an_object() -> None:
    with pytest.raises(ValueError, match="root must be type 'object'"):
        check_spec(spec(parameters={"type": "array", "items": {"type": "string"}}))
    with pytest.raises(ValueError, match="root must be type 'object'"):
        check_spec(spec(parameters={"properties": {"a": {"type": "string"}}}))


def test_every_property_needs_a_type() -> None:
    props = {"ok": {"type": "string"}, "bad": {"description": "x"}}
    params = {"type": "object", "properties": props}
    with pytest.raises(ValueError, match="parameter 'bad' needs a 'type'"):
        check_spec(spec(parameters=params))
    with pytest.raises(ValueError, match="parameter 'bad'"):
        check_spec(spec(parameters={"type": "object", "properties": {"bad": "string"}}))


def test_at_most_128_tools() -> None:
    box = ToolBox([spec(f"tool_{i}") for i in range(MAX_TOOLS)])
    box.add(spec("tool_0"))  # replacing one is fine
    with pytest.raises(ValueError, match="at most 128 tools"):
        box.add(spec("one_too_many"))


def test_schemas_are_declared_in_openai_shape() -> None:
    params = {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}
    box = ToolBox([spec("search", params)])
    assert box.schemas() == [
        {"type": "function", "function": {"name": "search", "description": "A tool.", "parameters": params}}
    ]
    assert box.names() == ["search"]


PARAMS = {
    "type": "object",
    "properties": {
        "n": {"type": "integer"},
        "x": {"type": "number"},
        "flag": {"type": "boolean"},
        "maybe": {"type": ["string", "null"]},
        "items": {"type": "array"},
    },
    "required": ["n"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"n": 1}, None),
        ({"n": 1, "x": 2, "flag": False, "maybe": None, "items": []}, None),
        ({"n": 1, "x": 2.5, "maybe": "s"}, None),
        ({}, "missing required argument(s): n"),
        ({"n": "1"}, "argument 'n' must be of type integer, got str"),
        ({"n": True}, "argument 'n' must be of type integer, got bool"),
        ({"n": 1, "x": True}, "argument 'x' must be of type number, got bool"),
        ({"n": 1, "flag": 1}, "argument 'flag' must be of type boolean, got int"),
        ({"n": 1, "maybe": 3}, "argument 'maybe' must be of type ['string', 'null'], got int"),
        ({"n": 1, "other": 0}, "unexpected argument(s): other (allowed: n, x, flag, maybe, items)"),
        ([1, 2], "arguments must be a JSON object, got list"),
    ],
)
def test_validate_arguments(arguments: Any, problem: str | None) -> None:
    assert validate_arguments(arguments, PARAMS) == problem


def test_parse_gives_the_model_a_readable_problem() -> None:
    box = ToolBox([spec("calc", PARAMS), spec("other")])
    assert box.parse(ToolCall("c", "calc", '{"n": 3}')) == (box.get("calc"), {"n": 3}, None)
    assert box.parse(ToolCall("c", "other", "")) == (box.get("other"), {}, None)

    _, args, problem = box.parse(ToolCall("c", "nope", "{}"))
    assert args is None
    assert problem == "Error: there is no tool named 'nope'. Available tools: calc, other."

    _, args, problem = box.parse(ToolCall("c", "calc", '{"n": 3'))
    assert args is None
    assert problem is not None
    assert problem.startswith("Error: the arguments of calc are not valid JSON (")
    assert "Send a JSON object matching the tool's schema." in problem

    _, _, problem = box.parse(ToolCall("c", "calc", '{"n": "3"}'))
    assert problem == ("Error: invalid arguments for calc: argument 'n' must be of type integer, got str.")


def test_run_turns_exceptions_into_results_but_lets_interrupts_through() -> None:
    def fails(args: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
        raise ZeroDivisionError("division by zero")

    def interrupted(args: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
        raise KeyboardInterrupt

    box = ToolBox()
    outcome = box.run(ToolSpec("fails", "d", {"type": "object"}, fails), {}, ToolContext(1, "c"))
    assert outcome == ToolOutcome("error", "Error: tool fails failed: ZeroDivisionError: division by zero")
    with pytest.raises(KeyboardInterrupt):
        box.run(ToolSpec("stops", "d", {"type": "object"}, interrupted), {}, ToolContext(1, "c"))
