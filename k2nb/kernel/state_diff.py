"""What a tool call did to the user's namespace: names added, changed (type/shape), removed.

Only names and compact type/shape descriptions, never values: the summary goes to the model and
must not leak data or secrets. The names are the user's variables as :func:`user_variables` sees
them (no private names, modules or IPython's own names), like the summaries and inspection tools.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .namespace import user_variables


@dataclass(frozen=True, slots=True)
class VarInfo:
    kind: str  # e.g. "DataFrame 5×2", "list len 1000", "int"
    identity: int


def describe(value: Any) -> str:
    kind = type(value).__name__
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple) and all(isinstance(n, int) for n in shape):
        return f"{kind} {'×'.join(map(str, shape))}"
    if isinstance(value, (list, tuple, dict, set, frozenset, str, bytes)):
        return f"{kind} len {len(value)}"
    return kind


def snapshot(namespace: Mapping[str, Any], hidden: Mapping[str, Any] | None = None) -> dict[str, VarInfo]:
    result = {}
    for name, value in user_variables(namespace, hidden).items():
        try:
            result[name] = VarInfo(describe(value), id(value))
        except Exception:  # a value whose len()/shape raises still counts, by type
            result[name] = VarInfo(type(value).__name__, id(value))
    return result


@dataclass(frozen=True, slots=True)
class StateDiff:
    added: tuple[tuple[str, str], ...] = ()
    changed: tuple[tuple[str, str, str], ...] = ()  # name, before, after
    removed: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def text(self, limit: int = 30) -> str:
        parts = []
        if self.added:
            parts.append("added: " + ", ".join(f"{n} ({k})" for n, k in self.added[:limit]))
        if self.changed:
            shown = (f"{n} ({a} → {b})" if a != b else f"{n} (reassigned, {b})" for n, a, b in self.changed[:limit])
            parts.append("changed: " + ", ".join(shown))
        if self.removed:
            parts.append("removed: " + ", ".join(self.removed[:limit]))
        return "; ".join(parts)


def diff(before: dict[str, VarInfo], after: dict[str, VarInfo]) -> StateDiff:
    added = tuple((n, after[n].kind) for n in after if n not in before)
    removed = tuple(n for n in before if n not in after)
    changed = tuple(
        (n, before[n].kind, after[n].kind)
        for n in after
        if n in before and (before[n].kind != after[n].kind or before[n].identity != after[n].identity)
    )
    return StateDiff(added, changed, removed)
