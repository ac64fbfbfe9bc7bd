"""The notebook skills: explain a cell, fix a failing cell, add a markdown cell about a result, add and run a code cell.

They use the notebook tools k2nb declares (``read_cell``, ``edit_cell``, ``insert_cell``,
``run_cell``; k2nb/tools/notebook_tools.py) and build every answer from what those tools returned:
a cell is explained from its source and outputs, a typo is corrected from the traceback and the
names the kernel really has (``list_variables``, ``inspect_variable``, or ``dir()`` in code), and a
fix is reported from the re-run's output. Where the change tools are not declared (no labextension)
they say so and give the corrected code instead.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ...core.notebook_view import NOTE_MARK
from .core import Action, Answer, CodeStep, ErrorInfo, Observation, Skill, Task, ToolStep, lines, observe
from .data.knowledge import read_summary
from .parsing import shorten
from .tools import INSPECT_TOOL, LIST_TOOL

READ_CELL, EDIT_CELL, INSERT_CELL, RUN_CELL = "read_cell", "edit_cell", "insert_cell", "run_cell"

_REF = re.compile(
    r"\bid\s*[:=]?\s*\"([\w-]+)\""
    r"|\bin\s*\[\s*\d+\s*\]"
    r"|\bcell\s*#?\s*\d+\b"
    r"|\b(?:the\s+)?(?:previous|prev|next|first|second|third|last|\d+(?:st|nd|rd|th))\s+(?:code\s+|markdown\s+)?cell\b"
    r"|\b(?:the\s+)?(?:code\s+|markdown\s+)?cell\s+(?:above|below)\b"
    r"|\b(?:the\s+)?(?:last\s+|latest\s+)?error\b",
    re.I,
)
_ASKS_ABOUT = re.compile(r"\b(?:what|explain|describe|summari[sz]e|tell me about|walk me through|how does)\b", re.I)
_FIX = re.compile(
    r"^\s*fix the error in\b|\bfix\b[^.?!]*\b(?:cell|notebook)\b|\bfix\b[^.?!]*\bthe (?:last |latest )?error\b", re.I
)
_ADD_MARKDOWN = re.compile(
    r"\b(?:add|insert|write|put)\b.*\bmarkdown\b|\b(?:add|insert|write)\b.*\bnote\b.*\b(?:explain|result)", re.I | re.S
)
_ADD_CODE = re.compile(r"\b(?:add|insert|write|create|put)\b.*\b(?:new\s+)?(?:code\s+)?cell\b", re.I | re.S)
_INSERTED = re.compile(r"\(id ([\w-]+)\)")


def strip_note(text: str) -> str:
    """The user's prompt without what k2nb tells the model besides (its notes: paragraphs of their own)."""
    at = text.find(f"\n\n{NOTE_MARK}")
    return text[:at] if at >= 0 else text


def cell_ref(text: str, default: str = "previous") -> str:
    """The cell the prompt names, as the read tools take it (k2nb resolves it), else ``default``: an
    id wins; else the last reference ("add a markdown cell below about the previous cell")."""
    found = list(_REF.finditer(text))
    by_id = next((m[1] for m in found if m[1]), None)
    if by_id is not None:
        return by_id
    return found[-1][0].strip() if found else default


def notebook_route(task: Task, route: Callable[[Task], Skill | None]) -> Skill | None:
    """A notebook skill when the prompt is about the notebook's cells and k2nb declared the tools;
    ``route`` finds the computing skill whose code a new cell holds."""
    if not task.has_tool(READ_CELL):
        return None
    text = task.text
    if _FIX.search(text):
        return FixCellSkill(task)
    if _ADD_MARKDOWN.search(text):
        return MarkdownNoteSkill(task)
    if _ADD_CODE.search(text) and re.search(r"\brun\b|\bplot\b|\bcomput|\bcalculat", text, re.I):
        return NewCodeCellSkill(task, route)
    if _ASKS_ABOUT.search(text) and (_REF.search(text) or re.search(r"\bcell\b", text, re.I)):
        return ExplainCellSkill(task)
    return None


# -- reading a cell back from read_cell's text ------------------------------------------------------
@dataclass(frozen=True)
class ReadCell:
    """read_cell's answer, parsed: its header fields, source and outputs."""

    id: str
    position: str
    cell_type: str
    count: str | None
    source: str
    outputs: str

    @property
    def label(self) -> str:
        if self.position == "?":  # known only from the error k2nb sent: no position
            return "the failing cell"
        return f"cell {self.position}" + (f" (In [{self.count}])" if self.count else "")

    @property
    def error(self) -> ErrorInfo | None:
        return observe(self.source, self.outputs).error


def parse_cell(text: str) -> ReadCell | None:
    head = re.match(r"cell (\d+) of \d+ · id (\S+) · (\w+)(?: · In \[(\d+)\])?", text)
    if head is None or "--- source ---" not in text:
        return None
    body = text.split("--- source ---\n", 1)[1]
    source, _, outputs = body.partition("\n--- outputs ---\n")
    outputs = "" if outputs.strip() == "(none)" else outputs
    return ReadCell(head[2], head[1], head[3], head[4], "" if source == "(empty)" else source, outputs)


_FIX_NOTE = re.compile(r"source:\n```python\n(.*?)\n```\n\nIts traceback:\n```\n(.*?)\n```", re.S)


def noted_cell(notes: str) -> ReadCell | None:
    """The failing cell as ``%k2 fix``'s note gives it (its source and traceback), when it is there."""
    m = _FIX_NOTE.search(notes)
    if m is None:
        return None
    return ReadCell("", "?", "code", None, m[1], m[2])


def unreadable(obs: Observation, what: str = "that cell") -> Answer:
    """read_cell did not give a cell: say what it said instead."""
    return Answer(
        f"read_cell said: {shorten(obs.output, 200)}", f"I couldn't read {what}: {obs.output.removeprefix('Error: ')}"
    )


def _observed(done: Sequence[Observation], tool: str) -> list[Observation]:
    return [o for o in done if o.tool == tool]


def _failed(obs: Observation) -> bool:
    return obs.output.startswith("Error:")


def _rejected(obs: Observation) -> str | None:
    """Why the user did not let the change happen, or None if it was made."""
    text = obs.output
    if text.startswith("The user rejected") or "was declined and not made" in text:
        reason = text.split("Their reason:", 1)[1].strip() if "Their reason:" in text else ""
        return reason or "no reason given"
    return None


# -- explaining a cell ----------------------------------------------------------------------------
def describe_code(source: str) -> list[str]:
    """What a cell's code does, read from its syntax tree (and its magics)."""
    said: list[str] = []
    code_lines = source.splitlines()
    magics = [line.split()[0] for line in code_lines if line.lstrip().startswith("%")]
    python = "\n".join(line for line in code_lines if not line.lstrip().startswith(("%", "!")))
    try:
        tree = ast.parse(python)
    except SyntaxError as error:
        return [f"it does not parse as Python ({error.msg}, line {error.lineno})"]
    imports = [
        f"`{a.name}`" + (f" as `{a.asname}`" if a.asname else "")
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
        for a in node.names
    ]
    if imports:
        said.append(f"imports {', '.join(imports)}")
    functions = [
        f"`{n.name}({', '.join(a.arg for a in n.args.args)})`" for n in tree.body if isinstance(n, ast.FunctionDef)
    ]
    if functions:
        said.append(f"defines the function{'s' if len(functions) > 1 else ''} {', '.join(functions)}")
    assigned = list(
        dict.fromkeys(
            t.id
            for n in tree.body
            if isinstance(n, ast.Assign | ast.AnnAssign | ast.AugAssign)
            for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
            if isinstance(t, ast.Name)
        )
    )
    if assigned:
        said.append(f"assigns {', '.join(f'`{n}`' for n in assigned)}")
    loops = [ast.unparse(n.iter) for n in tree.body if isinstance(n, ast.For)]
    if loops:
        said.append(f"loops over {', '.join(f'`{shorten(x, 40)}`' for x in loops)}")
    calls = list(
        dict.fromkeys(
            ast.unparse(node.func)
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute)
        )
    )
    if calls:
        said.append(f"calls {', '.join(f'`{c}()`' for c in calls[:6])}" + (" …" if len(calls) > 6 else ""))
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.Expr) and not isinstance(last.value, ast.Call):
        said.append(f"shows the value of `{shorten(ast.unparse(last.value), 60)}`")
    if magics:
        said.append(f"uses the magic{'s' if len(magics) > 1 else ''} {', '.join(f'`{m}`' for m in magics)}")
    return said or ["does nothing visible (no statements)"]


def describe_markdown(source: str) -> list[str]:
    headings = [line.lstrip("#").strip() for line in source.splitlines() if line.startswith("#")]
    words = len(re.findall(r"\w+", source))
    said = [f"is Markdown of {words} word{'s' if words != 1 else ''}"]
    if headings:
        said.append(f"headed {', '.join(f'*{h}*' for h in headings[:3])}")
    text = " ".join(line for line in source.splitlines() if line.strip() and not line.startswith("#"))
    if text:
        said.append(f"says: “{shorten(text, 160)}”")
    return said


def outputs_note(cell: ReadCell) -> str:
    if cell.cell_type != "code":
        return ""
    if not cell.outputs.strip():
        return "It has no outputs (it has not run, or printed nothing)."
    error = cell.error
    if error is not None:
        return f"Its last run failed with `{error.line}`."
    shown = [line for line in cell.outputs.strip().splitlines() if line.strip()]
    return f"Its output starts with `{shorten(shown[0], 120)}`" + (f" ({len(shown)} lines)." if len(shown) > 1 else ".")


class ExplainCellSkill(Skill):
    """Read the cell the user means, then say what it does from its source and outputs."""

    needs_code = False
    handles_errors = True

    def __init__(self, task: Task) -> None:
        self.ref = cell_ref(task.text)

    def next(self, done: Sequence[Observation]) -> Action:
        reads = _observed(done, READ_CELL)
        if not reads:
            return ToolStep(
                f"You're asking about {self.ref!r} in the notebook. I'll read that cell with read_cell "
                "(its source and outputs) rather than guess what it holds.",
                READ_CELL,
                {"cell": self.ref},
            )
        obs = reads[-1]
        cell = parse_cell(obs.output)
        if _failed(obs) or cell is None:
            return unreadable(obs)
        said = describe_code(cell.source) if cell.cell_type == "code" else describe_markdown(cell.source)
        first = shorten(cell.source.strip().splitlines()[0], 80) if cell.source.strip() else "(empty)"
        bullets = "\n".join(f"- it {s}" for s in said)
        note = outputs_note(cell)
        return Answer(
            f"read_cell returned {cell.label} (id {cell.id}), a {cell.cell_type} cell starting `{first}`. "
            f"Going through its source: {'; '.join(said)}. {note}",
            f"**{cell.label.capitalize()}** (a {cell.cell_type} cell) starts with `{first}`:\n\n{bullets}"
            + (f"\n\n{note}" if note else ""),
        )


# -- fixing a failing cell ------------------------------------------------------------------------
@dataclass(frozen=True)
class Typo:
    """A name the traceback says is wrong, where it is used, and where the right names come from."""

    kind: str  # "name" | "key" | "attribute"
    wrong: str
    owner: str | None = None  # the variable subscripted or whose attribute failed


def find_typo(cell: ReadCell) -> Typo | None:
    error = cell.error
    if error is None:
        return None
    if error.kind in ("NameError", "UnboundLocalError"):
        m = re.search(r"name '(\w+)' is not defined", error.message)
        return Typo("name", m[1]) if m else None
    if error.kind == "KeyError":
        key = re.sub(r"^Column\(?s?\)? not found:\s*", "", error.message.strip().strip("'\"")).strip("'\"")  # pandas
        # The variable the failing subscript starts from: `df["x"]`, `df.groupby("site")["x"]`.
        chain = r"(?:\.[A-Za-z_]\w*(?:\([^()]*\))?)*"
        m = re.search(rf"\b([A-Za-z_]\w*){chain}\s*\[\s*['\"]{re.escape(key)}['\"]\s*\]", cell.source)
        return Typo("key", key, m[1] if m else None) if key else None
    if error.kind == "AttributeError":
        m = re.search(r"has no attribute '(\w+)'", error.message)
        if not m:
            return None
        used = re.search(rf"\b([A-Za-z_][\w.]*)\.{re.escape(m[1])}\b", cell.source)
        return Typo("attribute", m[1], used[1] if used else None)
    return None


def candidates(typo: Typo, done: Sequence[Observation], cell: ReadCell) -> list[str] | None:
    """The names the kernel has for this kind of typo, once looked up (None: not yet)."""
    if typo.kind == "name":
        listed = _observed(done, LIST_TOOL)
        if not listed:
            return None
        names = re.findall(r"^([A-Za-z_]\w*): ", listed[-1].output, re.M)
        return names + _assigned(cell.source)
    if typo.kind == "key":
        inspected = _observed(done, INSPECT_TOOL)
        if not inspected:
            return None
        summary = read_summary(inspected[-1].output)
        return (
            list(summary.columns or ())
            if summary and summary.columns
            else re.findall(r"['\"]([^'\"]+)['\"]\s*:", inspected[-1].output)
        )
    coded = [o for o in done if o.tool == "code_interpreter" and "attributes" in o.results]
    if not coded:
        return None
    listed_attrs = coded[-1].results["attributes"]
    return re.findall(r"'(\w+)'", listed_attrs)


def _assigned(source: str) -> list[str]:
    try:
        tree = ast.parse("\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))))
    except SyntaxError:
        return []
    return [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]


def lookup(typo: Typo, task: Task) -> Action | None:
    """The read-only look-up of the right names (code only for an object's attributes)."""
    if typo.kind == "name" and task.has_tool(LIST_TOOL):
        return ToolStep(
            f"`{typo.wrong}` is not defined in the kernel. I'll list the variables that do exist "
            "(read-only `list_variables`) and look for the name that was meant.",
            LIST_TOOL,
            {},
        )
    if typo.kind == "key" and typo.owner and task.has_tool(INSPECT_TOOL):
        return ToolStep(
            f"`{typo.owner}` has no key `{typo.wrong!r}`. I'll inspect `{typo.owner}` (read-only) to see "
            "which columns or keys it really has.",
            INSPECT_TOOL,
            {"name": typo.owner},
        )
    if typo.kind == "attribute" and typo.owner and task.has_tool("code_interpreter"):
        code = lines(
            f"_names = [n for n in dir({typo.owner}) if not n.startswith('_')]",
            'print(f"RESULT attributes={_names!r}")',
        )
        return CodeStep(
            f"`{typo.owner}` has no attribute `{typo.wrong}`. Its attribute names are only known at run "
            f"time, so I'll list them with `dir({typo.owner})` (it changes nothing).",
            code,
        )
    return None


def corrected(source: str, typo: Typo, right: str) -> str:
    if typo.kind == "key":
        return re.sub(rf"(['\"]){re.escape(typo.wrong)}\1", lambda m: f"{m[1]}{right}{m[1]}", source)
    if typo.kind == "attribute":
        return re.sub(rf"\.{re.escape(typo.wrong)}\b", f".{right}", source)
    return re.sub(rf"(?<![\w.'\"]){re.escape(typo.wrong)}\b", right, source)


class FixCellSkill(Skill):
    """Read the failing cell, find the typo from its traceback and the kernel's names, propose the
    fixed cell (edit_cell), re-run it (run_cell) and report what the new run printed."""

    needs_code = False
    handles_errors = True

    def __init__(self, task: Task) -> None:
        self.task = task
        self.ref = cell_ref(task.text, default="the last error")

    def next(self, done: Sequence[Observation]) -> Action:
        noted = noted_cell(self.task.notes)
        reads = _observed(done, READ_CELL)
        if not reads and (noted is None or self.task.has_tool(EDIT_CELL)):
            return ToolStep(
                f"You want the failing cell fixed. First I'll read it ({self.ref!r}) with read_cell: its "
                "source and the traceback tell me what went wrong.",
                READ_CELL,
                {"cell": self.ref},
            )
        cell = parse_cell(reads[0].output) if reads else None
        if cell is None or cell.error is None:  # as saved it shows no error: the source k2nb sent does
            cell = noted or cell
        if cell is None:
            return unreadable(reads[0], "the cell to fix")
        runs = _observed(done, RUN_CELL)
        if runs:
            return self._report(cell, runs[-1], done)
        edits = _observed(done, EDIT_CELL)
        if edits:
            return self._after_edit(cell, edits[-1])
        return self._propose(cell, done)

    def _propose(self, cell: ReadCell, done: Sequence[Observation]) -> Action:
        error = cell.error
        if error is None:
            return Answer(
                f"{cell.label} shows no error in its outputs; there is nothing to fix.",
                f"{cell.label.capitalize()} has no error in its outputs (it ran cleanly, or has not run), so "
                "there is nothing to fix. Run it and ask again if it fails.",
            )
        typo = find_typo(cell)
        if typo is None:
            return Answer(
                f"The traceback ends with `{error.line}`. That is not a misspelt name, key or attribute, "
                "which is all I can repair safely.",
                f"{cell.label.capitalize()} fails with `{error.line}`. I can only fix misspelt names, keys and "
                "attributes, and this is not one; check the values the cell uses.",
            )
        names = candidates(typo, done, cell)
        if names is None:
            step = lookup(typo, self.task)
            if step is not None:
                return step
            names = _assigned(cell.source)
        match = difflib.get_close_matches(typo.wrong, [n for n in names if n != typo.wrong], n=1, cutoff=0.6)
        what = {"name": "name", "key": "key", "attribute": "attribute"}[typo.kind]
        if not match:
            known = ", ".join(f"`{n}`" for n in names[:12]) or "none"
            return Answer(
                f"No {what} close to `{typo.wrong}` among {known}; I won't guess.",
                f"{cell.label.capitalize()} fails with `{error.line}`, and nothing the kernel has is close to "
                f"`{typo.wrong}` ({known}). Which {what} did you mean?",
            )
        fixed = corrected(cell.source, typo, match[0])
        thought = (
            f"The traceback says `{error.line}`. The {what}s that exist include `{match[0]}`, one or two "
            f"letters from `{typo.wrong}`: a typo. Replacing `{typo.wrong}` with `{match[0]}` in {cell.label} "
            "fixes it; the rest of the cell stays as it is."
        )
        if not self.task.has_tool(EDIT_CELL):
            return Answer(
                thought + " I can't change cells from here, so I'll give the corrected cell.",
                f"{cell.label.capitalize()} fails with `{error.line}`: `{typo.wrong}` should be `{match[0]}`. "
                f"This frontend doesn't let me change cells (no k2nb labextension), so here is the corrected "
                f"cell to paste:\n\n```python\n{fixed}\n```",
            )
        return ToolStep(
            thought + " I'll propose the edit; you accept or reject it.", EDIT_CELL, {"cell": cell.id, "source": fixed}
        )

    def _after_edit(self, cell: ReadCell, edit: Observation) -> Action:
        reason = _rejected(edit)
        if reason is not None:
            return Answer(
                f"You rejected the edit ({reason}), so {cell.label} is unchanged and I won't run it.",
                f"I left {cell.label} unchanged: you rejected the fix (*{reason}*).",
            )
        if _failed(edit):
            return Answer(
                f"The edit failed: {edit.output}",
                f"The fix could not be applied: {edit.output.removeprefix('Error: ')}",
            )
        if not self.task.has_tool(RUN_CELL):
            return Answer("The edit is in; run_cell is not available.", f"I fixed {cell.label}; run it to check.")
        return ToolStep(
            f"The edit is in {cell.label}. Now I'll re-run it with run_cell and read the new output, to check "
            "that the fix works.",
            RUN_CELL,
            {"cell": cell.id},
        )

    def _report(self, cell: ReadCell, run: Observation, done: Sequence[Observation]) -> Action:
        reason = _rejected(run)
        if reason is not None:
            return Answer(
                f"You didn't let me re-run it ({reason}).",
                f"I fixed {cell.label}, but didn't re-run it: you declined (*{reason}*). Run it yourself to check.",
            )
        after = observe("", run.output.split(":\n", 1)[1] if ":\n" in run.output else run.output)
        count = re.search(r"as In \[(\d+)\]", run.output)
        ran = f"In [{count[1]}]" if count else "the re-run"
        edit = _observed(done, EDIT_CELL)[-1].output
        new_source = edit.split("now reads:\n", 1)[1] if "now reads:\n" in edit else ""
        if after.error is not None:
            return Answer(
                f"The re-run ({ran}) still fails, now with `{after.error.line}`: I'll say so, not claim it works.",
                f"I applied the fix to {cell.label}, but it **still fails** ({ran}): `{after.error.line}`.",
            )
        printed = [
            line for line in after.output.strip().splitlines() if line.strip() and not line.startswith("[kernel state]")
        ]
        shown = f"\n\n```text\n{shorten(chr(10).join(printed), 800)}\n```" if printed else " (it printed nothing)"
        return Answer(
            f"The re-run ({ran}) finished without an error"
            + (f" and printed `{shorten(printed[0], 80)}`" if printed else "")
            + ". The fix works.",
            f"Fixed {cell.label}: it now reads `{shorten(new_source.strip(), 100)}` and runs cleanly as {ran}:{shown}",
        )


# -- adding cells ---------------------------------------------------------------------------------
class MarkdownNoteSkill(Skill):
    """Read a cell's result, then insert a markdown cell that explains it (quoting what it read)."""

    needs_code = False
    handles_errors = True

    def __init__(self, task: Task) -> None:
        self.task = task
        self.ref = cell_ref(task.text)

    def next(self, done: Sequence[Observation]) -> Action:
        reads = _observed(done, READ_CELL)
        if not reads:
            return ToolStep(
                f"To explain a result I need to see it: I'll read {self.ref!r} (its code and output) first.",
                READ_CELL,
                {"cell": self.ref},
            )
        cell = parse_cell(reads[0].output)
        if cell is None:
            return unreadable(reads[0])
        inserts = _observed(done, INSERT_CELL)
        if inserts:
            reason = _rejected(inserts[-1])
            if reason is not None:
                return Answer(
                    f"You rejected the note ({reason}).", f"I didn't add the note: you rejected it (*{reason}*)."
                )
            where = re.search(r"as (cell \d+)", inserts[-1].output)
            return Answer(
                "The markdown cell is in the notebook.",
                f"I added a markdown cell ({where[1] if where else 'below'}) explaining the result of {cell.label}.",
            )
        if not self.task.has_tool(INSERT_CELL):
            return Answer(
                "insert_cell is not available here.",
                "I can't add cells from this frontend (no k2nb labextension). Here is the note:\n\n" + self._note(cell),
            )
        return ToolStep(
            f"{cell.label} ({', '.join(describe_code(cell.source)[:2])}) produced the output I read. I'll "
            "propose a markdown cell that states the result and how it was computed.",
            INSERT_CELL,
            {"source": self._note(cell), "cell_type": "markdown", "after": cell.id},
        )

    @staticmethod
    def _note(cell: ReadCell) -> str:
        printed = [line for line in cell.outputs.strip().splitlines() if line.strip()]
        how = "; ".join(describe_code(cell.source)[:3])
        if cell.error is not None:
            result = f"It currently fails with `{cell.error.line}`."
        elif printed:
            quoted = "\n".join(f"> {line}" for line in printed[:6])
            result = f"Its result:\n\n{quoted}"
        else:
            result = "It has no output yet: run it first."
        return f"### About {cell.label}\n\nThe cell {how}.\n\n{result}"


class NewCodeCellSkill(Skill):
    """Write a new code cell for the task (the code a computing skill would run), insert it, run it,
    and answer from what the run printed."""

    needs_code = False
    handles_errors = True

    def __init__(self, task: Task, route: Callable[[Task], Skill | None]) -> None:
        self.task = task
        self.route = route  # the computing skills: the new cell holds the code they would run

    def _skill(self) -> Skill | None:
        text = re.sub(
            r"\b(?:add|insert|write|create|put)\b.*?\bcell\b(?:\s+(?:that|which|to))?",
            "",
            self.task.text,
            count=1,
            flags=re.I | re.S,
        )
        text = re.sub(r"\band\s+run\s+it\b", "", text, flags=re.I)
        return self.route(Task(text.strip(" .,"), self.task.tools))

    def next(self, done: Sequence[Observation]) -> Action:
        skill = self._skill()
        first = skill.next([]) if skill is not None else None
        if not isinstance(first, CodeStep):
            return Answer(
                "I can't tell what code the new cell should hold.",
                "I couldn't tell what the new cell should compute; say it like *add a cell that plots sin(x) "
                "from 0 to 6 and run it*.",
            )
        inserts = _observed(done, INSERT_CELL)
        if not inserts:
            return ToolStep(
                first.thought
                + "\n\nYou want it as a cell of its own, so I'll propose it with insert_cell and run it once it is in.",
                INSERT_CELL,
                {"source": first.code, "cell_type": "code"},
            )
        reason = _rejected(inserts[-1])
        if reason is not None:
            return Answer(
                f"You rejected the new cell ({reason}).", f"I didn't add the cell: you rejected it (*{reason}*)."
            )
        new = _INSERTED.search(inserts[-1].output)
        runs = _observed(done, RUN_CELL)
        if not runs and new is not None:
            return ToolStep(f"The cell is in (id {new[1]}); now I'll run it with run_cell.", RUN_CELL, {"cell": new[1]})
        if not runs:
            return Answer(
                "The insert did not say which cell it made.", f"The cell could not be added: {inserts[-1].output}"
            )
        body = runs[-1].output.split(":\n", 1)[1] if ":\n" in runs[-1].output else runs[-1].output
        ran = observe(first.code, body)
        if ran.error is not None or _rejected(runs[-1]):
            return Answer(
                f"The new cell's run did not succeed: {shorten(runs[-1].output, 200)}",
                f"I added the cell, but its run did not succeed: {shorten(body, 300)}",
            )
        try:
            answer = skill.next([ran]) if skill is not None else None
        except Exception:  # the skill could not read its printed values: quote them instead
            answer = None
        where = re.search(r"as (In \[\d+\])", runs[-1].output)
        lead = f"I added a cell below and ran it ({where[1] if where else 'once'})."
        if isinstance(answer, Answer):
            return Answer(answer.thought, f"{lead}\n\n{answer.text}")
        return Answer("The cell ran.", f"{lead} It printed:\n\n```text\n{shorten(body, 800)}\n```")
