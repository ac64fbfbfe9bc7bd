"""Moonshot's built-in ``$web_search``: the server searches; the client echoes the arguments back.

Declared as ``{"type": "builtin_function", "function": {"name": "$web_search"}}``. When the model
calls it, the tool result must be the call's arguments unchanged (serialized as Moonshot's own
example does); the server then runs the search and the model continues with its results.
"""

from __future__ import annotations

import json
from typing import Any

from ..core.toolbox import ToolContext, ToolOutcome, ToolSpec

WEB_SEARCH = "$web_search"


def web_search() -> ToolSpec:
    def echo(arguments: dict[str, Any], _context: ToolContext) -> ToolOutcome:
        return ToolOutcome("ok", json.dumps(arguments, ensure_ascii=False))

    return ToolSpec(
        WEB_SEARCH,
        "Moonshot's built-in web search (run by the server).",
        {"type": "object", "properties": {}},
        echo,
        read_only=True,
        builtin=True,
    )
