"""Clients without ``code_interpreter`` (kimi-cli, coding agents) declare a shell tool: the toy runs its Python
through it as ``python3 -c …`` and reads the printed output back, so ``k2nb serve`` works with them too.

A shell-like tool has exactly one required parameter, a string named like a command (``command``,
``cmd``, …), or a name that says shell (``Shell``, ``bash``, ``run_command``). The toy thinks in
``code_interpreter`` calls: :func:`as_code_calls` turns the shell calls of the history back into them,
:func:`through_shell` turns the next call into a shell call.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..wire import ToolCallSpec, Turn
from .core import TOOL_NAME

COMMAND_PARAMETERS = ("command", "cmd", "commands", "shell_command", "bash_command", "script", "commandline")
_SHELL_NAME = re.compile(r"shell|bash|terminal|run_?command|exec", re.I)
PREFIX = "python3 -c "


@dataclass(frozen=True)
class ShellTool:
    name: str
    parameter: str  # the required string parameter that takes the command line


def shell_tool(tools: dict[str, dict[str, Any]]) -> ShellTool | None:
    """The declared tool the toy can run Python through, if any (never when code_interpreter is declared)."""
    if TOOL_NAME in tools:
        return None
    for name, schema in tools.items():
        required = list(schema.get("required") or ())
        props = schema.get("properties") or {}
        if len(required) != 1 or (props.get(required[0]) or {}).get("type") != "string":
            continue
        if required[0].lower() in COMMAND_PARAMETERS or _SHELL_NAME.search(name):
            return ShellTool(name, required[0])
    return None


def command_for(code: str) -> str:
    return PREFIX + shlex.quote(code)


def code_of(command: str) -> str | None:
    """The Python of a ``python3 -c '…'`` command line, or None for any other command."""
    if not command.startswith(PREFIX):
        return None
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    return words[2] if len(words) == 3 else None


def as_code_calls(messages: Sequence[dict[str, Any]], shell: ShellTool) -> list[dict[str, Any]]:
    """The history with the toy's own shell calls written as the code_interpreter calls they stand for."""
    return [
        {**m, "tool_calls": [_as_code_call(c, shell) for c in m["tool_calls"]]}
        if m.get("role") == "assistant" and m.get("tool_calls")
        else m
        for m in messages
    ]


def _as_code_call(call: dict[str, Any], shell: ShellTool) -> dict[str, Any]:
    function = call.get("function") or {}
    if function.get("name") != shell.name:
        return call
    try:
        arguments = json.loads(function.get("arguments") or "{}")
    except ValueError:
        return call
    code = code_of(str(arguments.get(shell.parameter, ""))) if isinstance(arguments, dict) else None
    if code is None:
        return call
    return {**call, "function": {"name": TOOL_NAME, "arguments": json.dumps({"code": code})}}


def through_shell(turn: Turn, shell: ShellTool) -> Turn:
    """The turn's code_interpreter calls as calls of the shell tool; only its required argument is filled."""
    if not turn.tool_calls:
        return turn
    calls = tuple(_as_shell_call(c, shell) if c.name == TOOL_NAME else c for c in turn.tool_calls)
    why = f"\n\nThere is no code_interpreter here, so I'll run the Python through `{shell.name}` as `python3 -c …`."
    return replace(turn, reasoning=turn.reasoning + why, tool_calls=calls)


def _as_shell_call(call: ToolCallSpec, shell: ShellTool) -> ToolCallSpec:
    code = json.loads(call.arguments)["code"]
    return ToolCallSpec(shell.name, json.dumps({shell.parameter: command_for(code)}, ensure_ascii=False))
