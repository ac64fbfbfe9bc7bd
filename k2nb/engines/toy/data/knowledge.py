"""What the toy knows about the user's variables: read from tool results and `--context`, never guessed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ..core import TOOL_NAME, Observation, Task, literal
from ..tools import INSPECT_TOOL, LIST_TOOL

_NUMERIC = re.compile(r"(?:u?int|float|complex|Int|UInt|Float)\d*$|bool(?:ean)?$")
_BOOLEAN = re.compile(r"bool(?:ean)?$")
_SEQUENCES = ("list", "tuple", "set", "frozenset", "range", "Series", "ndarray", "deque")


@dataclass(frozen=True)
class Variable:
    """One variable of the user's kernel as a tool result described it."""

    name: str
    kind: str  # the type as listed: "pandas.DataFrame", "list", "numpy.ndarray", or "?" when only the name is known
    size: str = ""  # "200×3", "len 5", "100"
    columns: tuple[str, ...] | None = None  # a DataFrame's columns, when known
    complete: bool = True  # False when the listing cut the columns short
    dtypes: dict[str, str] | None = None  # column → dtype, once inspected

    @property
    def frame(self) -> bool:
        return self.kind.rsplit(".", 1)[-1] == "DataFrame"

    @property
    def sequence(self) -> bool:
        short = self.kind.rsplit(".", 1)[-1]
        return short in _SEQUENCES and not (short == "ndarray" and "×" in self.size)

    @property
    def inspected(self) -> bool:
        return self.dtypes is not None or (not self.frame and self.kind != "?")

    def numeric(self, column: str) -> bool:
        return bool(self.dtypes and _NUMERIC.match(self.dtypes.get(column, "")))

    def boolean(self, column: str) -> bool:
        """True/False values: named in a question, such a column is a condition (*returned sales*)."""
        return bool(self.dtypes and _BOOLEAN.match(self.dtypes.get(column, "")))

    def quantities(self) -> list[str]:
        """The numeric columns that are not True/False: the ones a bare *more than 80* or *the average* means."""
        return [c for c in self.columns or () if self.numeric(c) and not self.boolean(c)]

    def rows(self) -> str:
        return self.size.split("×")[0] if "×" in self.size else self.size.removeprefix("len ")


@dataclass(frozen=True)
class Knowledge:
    variables: dict[str, Variable] = field(default_factory=dict)
    listed: bool = False  # every variable's name is known (a listing, or inspect_variable's "Variables: …")
    missing: frozenset[str] = frozenset()  # looked up and not there
    looked_up: frozenset[str] = frozenset()  # names inspect_variable was called with

    def frames(self) -> list[Variable]:
        return [v for v in self.variables.values() if v.frame]

    def sequences(self) -> list[Variable]:
        return [v for v in self.variables.values() if v.sequence]


def learn(task: Task, done: Sequence[Observation]) -> Knowledge:
    """Everything the conversation has said about the kernel's variables so far."""
    variables: dict[str, Variable] = {}
    listed, missing, looked_up = False, set(), set()
    for block in re.split(r"\n\s*\n", task.context):
        found = read_summary(block)
        if found:
            variables[found.name] = found
    for obs in done:
        if obs.tool == LIST_TOOL and obs.error is None:
            listed = True
            for row in obs.output.splitlines():
                found = read_row(row)
                if found and variables.get(found.name, found).dtypes is None:  # an inspection knows more
                    variables[found.name] = found
        elif obs.tool == INSPECT_TOOL:
            name = str(obs.arguments.get("name", ""))
            looked_up.add(name)
            if obs.error is not None:
                m = re.search(r"no user variable named '([^']*)'\. Variables: (.*?)\.?$", obs.output.strip())
                if m:
                    missing.add(m[1])
                    listed = True
                    for known in (n.strip() for n in m[2].split(",")):
                        if known and known != "(none)" and known not in variables:
                            variables[known] = Variable(known, "?")
                continue
            found = read_summary(obs.output)
            if found:
                variables[found.name] = found
        elif obs.tool == TOOL_NAME and "listing" in obs.results:
            listed = True
            for name, (kind, size, dtypes) in _listing(obs.results["listing"]).items():
                columns = tuple(dtypes) if dtypes is not None else None
                variables[name] = Variable(name, kind, size, columns, True, dtypes)
    return Knowledge(variables, listed, frozenset(missing), frozenset(looked_up))


def _listing(printed: str) -> dict[str, tuple[str, str, dict[str, str] | None]]:
    value = literal(printed)
    if not isinstance(value, dict):
        return {}
    out: dict[str, tuple[str, str, dict[str, str] | None]] = {}
    for name, entry in value.items():
        if isinstance(entry, tuple) and len(entry) == 3:
            dtypes = {str(k): str(v) for k, v in entry[2].items()} if isinstance(entry[2], dict) else None
            out[str(name)] = (str(entry[0]), str(entry[1]), dtypes)
    return out


_ROW = re.compile(r"([A-Za-z_]\w*): ([\w.]+)(?: \(([^)]*)\))?(.*)$")


def read_row(row: str) -> Variable | None:
    """One ``list_variables`` row: ``df: pandas.DataFrame (200×3) columns ['a', 'b', 'c']``."""
    m = _ROW.match(row.strip())
    if m is None:
        return None
    name, kind, size, rest = m[1], m[2], m[3] or "", m[4]
    columns: tuple[str, ...] | None = None
    complete = True
    cols = re.search(r"\bcolumns (\[.*\])\s*$", rest)
    if cols:
        parsed = literal(cols[1])
        if isinstance(parsed, list):
            complete = Ellipsis not in parsed and not cols[1].rstrip("]").rstrip().endswith("...")
            columns = tuple(str(c) for c in parsed if c is not Ellipsis)
    return Variable(name, kind, size, columns, complete)


def read_summary(text: str) -> Variable | None:
    """An ``inspect_variable`` summary (or a ``--context`` one): type, size, a DataFrame's dtypes."""
    rows = text.strip().splitlines()
    head = re.fullmatch(r"\s*([A-Za-z_]\w*): ([\w.]+)(?:, (?:shape )?(.+))?", rows[0]) if rows else None
    if head is None:
        return None
    name, kind, size = head[1], head[2], (head[3] or "").strip()
    variable = Variable(name, kind, size)
    if "dtypes:" in rows and "head:" in rows and "[summary cut]" not in text:
        pairs = [r.rstrip().rsplit(None, 1) for r in rows[rows.index("dtypes:") + 1 : rows.index("head:")] if r.strip()]
        if pairs and all(len(p) == 2 for p in pairs):
            dtypes = {p[0].strip(): p[1] for p in pairs}
            return replace(variable, columns=tuple(dtypes), dtypes=dtypes)
    return variable
