"""Read-only kernel inspection tools: ``list_variables`` and ``inspect_variable``.

They only read the user's namespace (bounded summaries, secrets masked), so they need no
approval and cannot change the kernel. Cheaper for the model than writing inspection code.
"""

from __future__ import annotations

from typing import Any

from ..core.toolbox import ToolContext, ToolOutcome, ToolSpec
from ..kernel.namespace import user_variables
from ..kernel.secrets import Redactor
from ..kernel.summaries import list_variables, summarize

SUMMARY_LIMIT = 4000


def _namespaces(shell: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    return shell.user_ns, getattr(shell, "user_ns_hidden", {}) or {}


def inspection_tools(shell: Any, redactor: Redactor | None = None) -> list[ToolSpec]:
    """The two tools; ``redactor`` is the run's (default: one for this shell's namespace and environment)."""
    # Beyond the masks of summaries.py: the literal key, secret env values and secret-named
    # variables' values wherever they appear (in another variable's repr, say).
    redacted = (redactor if redactor is not None else Redactor.for_run(namespace=shell.user_ns)).text

    def list_handler(_arguments: dict[str, Any], _context: ToolContext) -> ToolOutcome:
        namespace, hidden = _namespaces(shell)
        return ToolOutcome("ok", redacted(list_variables(namespace, hidden)))

    def inspect_handler(arguments: dict[str, Any], _context: ToolContext) -> ToolOutcome:
        name = str(arguments["name"])
        namespace, hidden = _namespaces(shell)
        visible = user_variables(namespace, hidden)
        if name not in visible:
            known = ", ".join(sorted(visible)[:30]) or "(none)"
            return ToolOutcome("error", f"Error: no user variable named {name!r}. Variables: {known}.")
        return ToolOutcome("ok", redacted(summarize(name, visible[name], limit=SUMMARY_LIMIT)))

    return [
        ToolSpec(
            "list_variables",
            "List the variables in the user's live kernel: name, type, shape or length, a DataFrame's columns, "
            "and small values. "
            "Read-only. Private names, modules and secrets are hidden or masked.",
            {"type": "object", "properties": {}, "additionalProperties": False},
            list_handler,
            read_only=True,
        ),
        ToolSpec(
            "inspect_variable",
            "A bounded summary of one variable in the user's kernel: type, shape, dtypes, the first rows "
            "of a DataFrame, size, or a short repr. Read-only.",
            {
                "type": "object",
                "properties": {"name": {"type": "string", "description": "The variable's name."}},
                "required": ["name"],
                "additionalProperties": False,
            },
            inspect_handler,
            read_only=True,
        ),
    ]
