"""k2nb/tools/user.py: @k2nb.tool functions: schemas from type hints and docstrings, mistakes caught at
definition, calls validated, approved and editable."""

from __future__ import annotations

import json
from typing import Literal

import pytest

from k2nb.core.toolbox import ToolBox, ToolContext, validate_arguments
from k2nb.tools.approval import ApprovalPolicy, ApprovalRequest, Verdict
from k2nb.tools.user import ToolDefinitionError, bind, spec_from_function, tool


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
