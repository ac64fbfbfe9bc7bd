"""Which names in the kernel's namespace are the user's own variables: the one filter.

Variable summaries, the inspection tools, the state diff after each tool call and the secret rule
all see the namespace through :func:`user_variables`, so they agree on what is the user's data.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Any

# Names IPython puts in the user namespace that are not the user's data.
IPYTHON_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython", "open"})


def user_variables(namespace: Mapping[str, Any], hidden: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The user's own variables: no private (``_x``) or IPython names, no modules.

    ``hidden`` is IPython's ``user_ns_hidden``: a name bound there to the same object is IPython's.
    """
    hidden = hidden or {}
    return {
        name: value
        for name, value in list(namespace.items())  # a copy: another thread may bind names meanwhile
        if not name.startswith("_")
        and name not in IPYTHON_NAMES
        and not (name in hidden and hidden[name] is value)
        and not isinstance(value, types.ModuleType)
    }
