"""Questions about the user's data: learn what exists (read-only tools), choose the variable, compute once.

The toy is a model: it sees only the conversation. So it finds out what exists with ``list_variables``
and ``inspect_variable`` (read-only: no approval), resolves the prompt's words only against that, and
then runs one ``code_interpreter`` call — one approval per data question. Without the inspection
tools it lists the kernel's data-like variables with code first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TypeVar

from ..core import TOOL_NAME, Action, Answer, CodeStep, Observation, Skill, Task, ToolStep, as_function, lines
from ..names import guesses, may_name
from ..tools import INSPECT_TOOL, LIST_TOOL
from ..wording import corrected
from .answer import answer
from .code import request_code
from .knowledge import Knowledge, Variable, learn
from .parse import parse
from .request import Request, Unclear
from .sequence import SequenceRequest, read_sequence_request, sequence_answer, sequence_code
from .words import MEANING, VOCABULARY, mark_columns

_Read = TypeVar("_Read")  # what a question reads as: a frame's Request or a list's SequenceRequest

LISTING_CODE = as_function(
    "_k2nb_listing",
    lines(
        "import types",
        "listing = {}",
        "for name, value in list(globals().items()):",
        '    if name.startswith("_") or name in ("In", "Out", "exit", "quit", "get_ipython"):',
        "        continue",
        "    if isinstance(value, types.ModuleType) or callable(value):",
        "        continue",
        '    if hasattr(value, "columns") and hasattr(value, "dtypes"):',
        '        size = "×".join(map(str, value.shape))',
        "        listing[name] = (type(value).__name__, size, {str(c): str(t) for c, t in value.dtypes.items()})",
        '    elif isinstance(value, (list, tuple, set, dict)) or hasattr(value, "shape"):',
        '        size = "×".join(map(str, value.shape)) if hasattr(value, "shape") else f"len {len(value)}"',
        "        listing[name] = (type(value).__name__, size, None)",
        'print(f"RESULT listing={listing}")',
    ),
)


@dataclass(frozen=True)
class _Lookup:
    """Find out more before choosing: call ``tool`` with ``arguments``, saying ``why``."""

    why: str
    tool: str
    arguments: dict[str, str]


class DataSkill(Skill):
    """A question about a DataFrame or a list in the user's kernel."""

    learns = True  # inspection results, failed ones included, are knowledge: the policy passes them on

    def __init__(self, task: Task) -> None:
        self.task = task
        # A declared tool named in the prompt ("look at it with `inspect_variable` first") is no part of the data.
        self.question = re.sub(r"`([A-Za-z_]\w*)`", lambda m: " " if m[1] in task.tools else m[0], task.text)

    def next(self, done: Sequence[Observation]) -> Action:
        known = learn(self.task, done)
        computed = [o for o in done if o.tool == TOOL_NAME and "listing" not in o.results]
        chosen = self.choose(known)
        if isinstance(chosen, Answer):
            return chosen
        if isinstance(chosen, _Lookup):
            return self._look_up(chosen)
        var = chosen
        self.kernel_var = var.name
        if var.frame and var.dtypes is None:
            return self._look_up(
                _Lookup(
                    f"`{var.name}` is the DataFrame to use; before computing I need its columns' types.",
                    INSPECT_TOOL,
                    {"name": var.name},
                )
            )
        if var.sequence:
            return self._sequence(var, computed)
        if not var.frame:
            return Answer(
                f"`{var.name}` is a {var.kind}, not a DataFrame or a list; I can't compute data statistics on it.",
                f"`{var.name}` is a `{var.kind}`. I can answer data questions about DataFrames and lists (and "
                "numbers written in the prompt), so I didn't compute anything.",
            )
        names = frozenset([*(var.columns or ()), *known.variables])
        request = self._read(lambda text: parse(text, var), names)
        if isinstance(request, Unclear) and (column := self._column_as_list(var)) is not None:
            return column.next(computed)
        if isinstance(request, Unclear):
            return Answer(
                f"I looked at `{var.name}` ({var.size}, columns {', '.join(var.columns or ())}). {request.reason} "
                "Better to say so than to answer a different question.",
                f"About `{var.name}` ({_shape(var)}): {request.reason}",
            )
        if not computed:
            return self._compute(var, request)
        return answer(request, computed[-1], f"`{var.name}` is a DataFrame with {_shape(var)}.")

    # -- choosing the variable -----------------------------------------------------------------

    def choose(self, known: Knowledge) -> Variable | Answer | _Lookup:
        question = self.question
        columns = {c for v in known.variables.values() for c in v.columns or ()}
        at = {n: _named_at(n, v, question, columns) for n, v in known.variables.items()}
        named = sorted((v for n, v in known.variables.items() if at[n] >= 0), key=lambda v: at[v.name])
        data = [v for v in named if v.frame or v.sequence or v.kind == "?"]
        if len(data) > 1 and len({v.name for v in data}) > 1 and all(v.frame for v in data[:2]):
            names = " and ".join(f"`{v.name}`" for v in data[:2])
            return Answer(
                f"The prompt names two DataFrames, {names}; I won't guess which one the question is about.",
                f"You mention {names}. Which one should I use? Ask again naming one of them.",
            )
        if data:
            if data[0].kind == "?":
                return self._listing_lookup("I know the name but not what it holds")
            return data[0]
        if named:
            return named[0]
        named_here = [g for g in guesses(question) if g not in self.task.tools]
        columns = {c for v in known.variables.values() for c in v.columns or ()}
        missing = [
            g
            for g in named_here
            if (g in known.missing or (known.listed and g not in known.variables)) and g not in columns
        ]
        if not known.listed:
            pending = [g for g in named_here if g not in known.looked_up and g not in known.missing]
            if pending and self.task.has_tool(INSPECT_TOOL):
                return _Lookup(
                    f"The question names `{pending[0]}`; I'll look at it with the read-only `inspect_variable` tool "
                    "(type, shape, columns, dtypes) before deciding anything.",
                    INSPECT_TOOL,
                    {"name": pending[0]},
                )
            return self._listing_lookup("The question doesn't name a variable I know yet")
        if any(v.kind == "?" for v in known.variables.values()) and self.task.has_tool(LIST_TOOL):
            return self._listing_lookup("`inspect_variable` listed the names but not their types")
        return self._by_columns(known, missing)

    def _listing_lookup(self, why: str) -> _Lookup:
        if self.task.has_tool(LIST_TOOL):
            return _Lookup(
                f"{why}, so I'll first list what exists with the read-only `list_variables` tool (names, types, "
                "a DataFrame's columns) and only then choose the data the question is about.",
                LIST_TOOL,
                {},
            )
        return _Lookup(
            f"{why}, and no inspection tool is declared, so I'll list the kernel's DataFrames and lists with code.",
            TOOL_NAME,
            {},
        )

    def _by_columns(self, known: Knowledge, missing: list[str]) -> Variable | Answer:
        frames, sequences = known.frames(), known.sequences()
        question = self.question
        gone = (
            f"There is no variable named {' or '.join(f'`{m}`' for m in missing)} in your kernel. " if missing else ""
        )
        unknown = [v for v in known.variables.values() if v.kind == "?"]
        if unknown and not frames and not sequences:
            names = ", ".join(f"`{v.name}`" for v in unknown)
            return Answer(
                f"{gone}I only know the names in the kernel, not what they hold; I'll list them rather than guess.",
                f"{gone}The variables in your kernel: {names}. Ask again naming the one you mean.",
            )
        if not frames and not sequences:
            return Answer(
                f"{gone}The listing shows no DataFrame or list, so there is no data to compute on; I'll say so.",
                f"{gone}I found no DataFrame or list in your kernel to answer this from. Create or load the data "
                "first (e.g. `df = pd.read_csv(...)`), then ask again naming it.",
            )
        listing = "; ".join(_describe(v) for v in [*frames, *sequences])
        hits = {
            f.name: len(set(re.findall(r"⟨(\d+)⟩", mark_columns(question, f.columns or (), f.name)))) for f in frames
        }
        best = max(hits.values(), default=0)
        with_columns = [f for f in frames if best and hits[f.name] == best]
        labels = [m for m in missing if _label_like(m, question)]
        if len(with_columns) == 1 and len(labels) == len(missing):
            return with_columns[0]  # the columns pick the frame; "in the south" looked up in vain names rows
        if missing:
            return Answer(
                f"`{missing[0]}` does not exist. I'll say so and list the data that does, rather than pick another.",
                f"{gone}Data-like variables in your kernel: {listing}. Did you mean one of those?",
            )
        if len(with_columns) > 1:
            names = ", ".join(f"`{f.name}`" for f in with_columns)
            return Answer(
                f"Several DataFrames have the columns the question names ({names}); I won't guess which is meant.",
                f"More than one DataFrame has those columns: {names}. Which one should I use? Ask again naming it "
                f"(e.g. *… in `{with_columns[0].name}`*).",
            )
        if len(frames) == 1 and not sequences:
            return frames[0]
        if len(sequences) == 1 and not frames:
            return sequences[0]
        if len(re.findall(r"(?<![\w.])\d+(?:\.\d+)?", question)) >= 2:  # numbers, and no data named: a calculation
            return Answer(
                "The question names no variable and no column, and it has numbers of its own: it is a calculation "
                "I couldn't read, not a question about the kernel's data. I'll say so rather than guess.",
                "I couldn't read that as a calculation, and it names none of your data, so I didn't compute anything. "
                "Percentages and ratios I can do look like *what percent of 180 is 45*, *45 is what percentage of "
                "180*, *percentage change from 80 to 100*, *the ratio of 45 to 180*; arithmetic like *17 * 23 + 5*; "
                f"for your data ({listing}), name the variable or a column.",
            )
        return Answer(
            "The question names no variable and no column that would pick one of the several in the kernel; I'll ask.",
            f"Which data do you mean? Your kernel has {listing}. Ask again naming one of them. (If the question "
            "is not about your data: I'm the offline toy engine, and I can't answer it.)",
        )

    # -- the steps ------------------------------------------------------------------------------

    def _read(self, read: Callable[[str], _Read | Unclear], names: Collection[str]) -> _Read | Unclear:
        """What ``read`` makes of the question; if that is unclear, of the question with a misspelt request
        word corrected (never one of ``names``, the kernel's own, nor a word the parsers know), which the
        answer then mentions."""
        found = read(self.question)
        if isinstance(found, Unclear):
            fixed, fixes = corrected(self.question, frozenset(names) | VOCABULARY | MEANING)
            retried = read(fixed) if fixes else found
            if not isinstance(retried, Unclear):
                found, self.read_as = retried, fixes
        return found

    def _look_up(self, lookup: _Lookup) -> Action:
        if lookup.tool == TOOL_NAME:
            return CodeStep(lookup.why, LISTING_CODE)
        if lookup.tool == INSPECT_TOOL and not self.task.has_tool(INSPECT_TOOL):
            return CodeStep(
                f"{lookup.why} No inspection tool is declared, so I'll list the kernel's data with code.", LISTING_CODE
            )
        return ToolStep(lookup.why, lookup.tool, lookup.arguments)

    def _compute(self, var: Variable, request: Request) -> CodeStep:
        numeric = var.quantities()  # True/False columns are conditions here, not numbers
        thought = (
            f"`{var.name}` is a DataFrame with {_shape(var)}: columns {', '.join(f'`{c}`' for c in var.columns or ())}"
            f" ({len(numeric)} numeric). You asked for {request.question()}. I'll compute exactly that with pandas "
            "and print each figure on a RESULT line (tables between BEGIN/END markers)."
        )
        if request.coerce:
            thought += (
                f" {', '.join(f'`{c}`' for c in request.coerce)} is text, so I convert it with pd.to_numeric first."
            )
        return CodeStep(thought, request_code(request))

    def _sequence(self, var: Variable, computed: list[Observation]) -> Action:
        source = f"`{var.name}`"
        req = self._read(lambda text: read_sequence_request(text, _spans_of(var.name, text), source), {var.name})
        if isinstance(req, Unclear):
            return Answer(
                f"`{var.name}` is a {var.kind} ({var.size}). {req.reason} Better to say so than to answer a "
                "different question.",
                f"About `{var.name}` ({var.kind}, {var.size}): {req.reason}",
            )
        if not computed:
            return CodeStep(
                f"`{var.name}` is a {var.kind} ({var.size}). You asked for {req.question(source)}; the statistics "
                "module handles plain sequences, skipping values that are not numbers.",
                sequence_code(var.name, req),
            )
        return sequence_answer(req, source, computed[-1], f"`{var.name}` is a `{var.kind}` ({var.size}).")

    def _column_as_list(self, var: Variable) -> _ColumnValues | None:
        """One numeric column asked something only a list's reading has (*the second highest price*,
        *the range of qty*, *the mean price without the lowest one*, *the sum of the even qty*): its values
        as a list, when the whole question reads so; else None and the frame's reading stands."""
        marked = mark_columns(self.question, var.columns or (), var.name)
        named = {int(i) for i in re.findall(r"⟨(\d+)⟩", marked)}
        if len(named) != 1:
            return None
        column = (var.columns or ())[named.pop()]
        if column not in var.quantities():
            return None
        spans = [
            m.span()
            for m in re.finditer(rf"(?<![\w.]){re.escape(column)}s?(?!\w)|`{re.escape(column)}`", self.question)
        ]
        spans += _spans_of(var.name, self.question)
        source = f"`{column}` in `{var.name}`"
        req = read_sequence_request(self.question, spans, source)
        if isinstance(req, Unclear) or not (req.nth or req.drop or "range" in req.ops or req.parities()):
            return None
        return _ColumnValues(var, str(column), req, source)


@dataclass(frozen=True)
class _ColumnValues:
    """A numeric column's values as a plain list (missing values left out), read as a list question."""

    var: Variable
    column: str
    req: SequenceRequest
    source: str

    def next(self, computed: list[Observation]) -> Action:
        if computed:
            described = f"`{self.var.name}` is a DataFrame with {_shape(self.var)}; missing values were left out."
            return sequence_answer(self.req, self.source, computed[-1], described)
        return CodeStep(
            f"`{self.var.name}` is a DataFrame; you asked for {self.req.question(self.source)}, which is a "
            f"question about the values of one column, so I'll take `{self.column}` as a list (its missing values "
            "left out) and compute it the way I would for any list.",
            sequence_code(f"{self.var.name}[{self.column!r}].dropna().tolist()", self.req),
        )


class InlineSkill(Skill):
    """Statistics of numbers written in the prompt: nothing to look up."""

    def __init__(self, task: Task, values: list[int | float], written: tuple[int, int]) -> None:
        self.task = task
        self.values = values
        self.written = written  # where the prompt writes them

    def next(self, done: Sequence[Observation]) -> Action:
        source = f"{', '.join(map(str, self.values))}"
        req = read_sequence_request(self.task.text, [self.written], source)
        if isinstance(req, Unclear):
            return Answer(f"The numbers are in the prompt: {self.values}. {req.reason}", req.reason)
        if not done:
            return CodeStep(
                f"The numbers are in the prompt: {self.values}. You asked for {req.question(source)}; I'll put them "
                "in a list and use the statistics module.",
                sequence_code(repr(self.values), req),
            )
        return sequence_answer(req, source, done[-1])


def _label_like(word: str, text: str) -> bool:
    """Does ``text`` use ``word`` (looked up, and no variable) as the label of some rows: *in the south*,
    *north vs south*, *between north and south*? (*in orders* names data that does not exist.)"""
    w = re.escape(word)
    return (
        re.search(
            rf"\b(?:in|for|from|among|at)\s+the\s+{w}\b|\b{w}\s+(?:vs\.?|versus|and|or)\s+\w|"
            rf"\b(?:vs\.?|versus|between)\s+{w}\b",
            text,
            re.I,
        )
        is not None
    )


def _named_at(name: str, var: Variable, text: str, columns: set[str]) -> int:
    """Where ``text`` names the variable, or -1: by its name, or in the singular for one row or value of it
    (*the cheapest sale* of ``sales``, *the second highest score* of ``scores``) unless a column is called so."""
    if may_name(name, text):
        return text.find(name)
    one = name[:-1]
    if (var.frame or var.sequence) and name.endswith("s") and len(name) > 3 and one not in columns:
        m = re.search(rf"\b{re.escape(one)}\b", text, re.I)
        return m.start() if m else -1
    return -1


def _spans_of(name: str, text: str) -> list[tuple[int, int]]:
    """Where ``text`` names the variable: in backticks if it does so anywhere, else wherever the word is."""
    quoted = [m.span() for m in re.finditer(rf"`{re.escape(name)}`", text)]
    return quoted or [m.span() for m in re.finditer(rf"(?<![\w.]){re.escape(name)}(?!\w)", text)]


def _shape(var: Variable) -> str:
    if "×" in var.size:
        rows, cols = var.size.split("×")[:2]
        return f"{rows} rows and {cols} columns"
    return var.size or "unknown size"


def _describe(var: Variable) -> str:
    if var.frame:
        cols = ", ".join(var.columns or ())
        return f"`{var.name}` (DataFrame {var.size}{': ' + cols if cols else ''})"
    return f"`{var.name}` ({var.kind}, {var.size})"
