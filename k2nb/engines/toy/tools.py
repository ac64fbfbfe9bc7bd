"""Declared tools other than code_interpreter: the read-only inspection tools and user tools.

``list_variables`` answers *what variables do I have*; ``inspect_variable`` replaces the inspection
code of a statistics task (see ``stats``); a tool the prompt names in backticks is called with
arguments read from the prompt according to its JSON schema, and the answer quotes its result.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .core import Action, Answer, Observation, Skill, Task, ToolStep
from .parsing import quoted, shorten

LIST_TOOL = "list_variables"
INSPECT_TOOL = "inspect_variable"
BUILTIN_READERS = (LIST_TOOL, INSPECT_TOOL)

_LIST_ASK = re.compile(
    r"\b(?:what|which)\s+(?:variables|vars|data(?:frames)?)\s+(?:do\s+i\s+have|are\s+(?:there|defined|in)|exist)"
    r"|\blist\s+(?:all\s+)?(?:my|the)\s+(?:variables|vars)\b|\bshow\s+(?:me\s+)?(?:all\s+)?my\s+variables\b"
    r"|\bwhat(?:'s|\s+is)\s+in\s+my\s+(?:kernel|namespace)\b"
)


def wants_variable_list(task: Task) -> bool:
    return task.has_tool(LIST_TOOL) and (_LIST_ASK.search(task.low) is not None or LIST_TOOL in task.named_tools())


# ---------------------------------------------------------------------------------------------
# A tool named in the prompt: arguments from its schema
# ---------------------------------------------------------------------------------------------

_NUMBER = r"-?\d+(?:\.\d+)?"
_SKIP_TEXT = """use call run apply with on of in for the a an to and or my me please tool function column
columns value values argument arguments set it is what which show find give get using by from"""
_SKIP_WORDS = frozenset(_SKIP_TEXT.split())


def _explicit(text: str, param: str, value: str) -> str | None:
    """``param=value``, ``param: value``, ``param value``, ``param of value`` written in the prompt."""
    spaced = re.escape(param).replace("_", "[_ ]")
    m = re.search(rf"(?<![\w`]){spaced}\s*(?:=|:|\bof\b|\bis\b|\bas\b)?\s*[`'\"]?({value})[`'\"]?", text, re.I)
    return m[1] if m else None


def _explicit_quoted(text: str, param: str) -> str | None:
    """``param 'a whole phrase'`` (or ``param="…"``, ``param: `…` ``): the quoted value, spaces and all."""
    spaced = re.escape(param).replace("_", "[_ ]")
    m = re.search(rf"(?<![\w`]){spaced}\s*(?:=|:|\bof\b|\bis\b|\bas\b)?\s*(['\"`‘“])(.+?)(?:\1|[’”])", text, re.I)
    return m[2] if m else None


def _words(text: str, tool: str) -> list[str]:
    """Identifiers the prompt offers as string arguments, best first: quoted, backticked, code-like, plain."""
    found: list[str] = [q.strip() for q in quoted(text) if q.strip() and "\n" not in q]
    found += re.findall(r"`([^`\n]+)`", text)
    found += re.findall(r"(?<![\w`])([A-Za-z_]\w*(?:_\w+|\d)\w*)(?![\w`])", text)  # yield_kg, col2
    m = re.search(r"\bcolumns?\s+([A-Za-z_]\w*)", text, re.I)
    if m:
        found.insert(0, m[1])
    found += [w for w in re.findall(r"\b(?:on|of|for|in)\s+([A-Za-z_]\w*)", text) if w.lower() not in _SKIP_WORDS]
    return [w for w in dict.fromkeys(found) if w != tool and w.lower() not in _SKIP_WORDS]


def tool_route(task: Task) -> Skill | None:
    """A skill for a request about the declared tools themselves, before the code skills."""
    if wants_variable_list(task):
        return ListVariablesSkill()
    user = [n for n in task.named_tools() if n not in BUILTIN_READERS]
    return ToolSkill(task, user[0]) if user else None


def fill_arguments(task: Task, tool: str) -> tuple[dict[str, Any], list[str]]:
    """Arguments for ``tool`` from the prompt, and the required parameters it could not fill."""
    schema = task.tools.get(tool) or {}
    props: dict[str, Any] = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    text = task.text
    words = _words(text, tool)
    numbers: list[str] = re.findall(rf"(?<![\w.]){_NUMBER}(?![\w.])", text)
    args: dict[str, Any] = {}
    missing: list[str] = []
    for name, spec in props.items():
        kind = spec.get("type") if isinstance(spec, dict) else None
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), None)
        value: Any = None
        if isinstance(spec, dict) and spec.get("enum"):
            value = next((e for e in spec["enum"] if re.search(rf"\b{re.escape(str(e))}\b", text, re.I)), None)
        elif kind == "string":
            given = _explicit_quoted(text, name) or _explicit(text, name, r"[^\s`'\",;]+")
            # An optional parameter takes only a value the prompt gives for it by name: guessing one from
            # the prompt's words would override the tool's default with something the user never said.
            guess = words.pop(0) if words and name in required else None
            value = given if given is not None else guess
            if value in words:
                words.remove(value)
        elif kind in ("number", "integer"):
            pattern = r"-?\d+" if kind == "integer" else _NUMBER
            given = _explicit(text, name, pattern)
            if given is None and numbers and (name in required or len(props) == 1):
                given = next((n for n in numbers if kind == "number" or "." not in n), None)
            if given is not None:
                if given in numbers:
                    numbers.remove(given)
                value = int(given) if kind == "integer" else float(given)
        elif kind == "boolean":
            given = _explicit(text, name, r"true|false|yes|no")
            if given is not None:
                value = given.lower() in ("true", "yes")
            elif name in required:
                value = False
        if value is not None:
            args[name] = value
        elif name in required:
            missing.append(name)
    return args, missing


def _call_text(tool: str, args: dict[str, Any]) -> str:
    return f"{tool}({', '.join(f'{k}={v!r}' for k, v in args.items())})"


def _describe_param(name: str, spec: Any) -> str:
    kind = spec.get("type", "value") if isinstance(spec, dict) else "value"
    about = spec.get("description", "") if isinstance(spec, dict) else ""
    return f"`{name}` ({kind}{': ' + about if about else ''})"


class ToolSkill(Skill):
    """Call the tool the prompt names, with arguments from the prompt, and quote what it returned."""

    handles_errors = True
    needs_code = False

    def __init__(self, task: Task, tool: str) -> None:
        self.task = task
        self.tool = tool

    def next(self, done: Sequence[Observation]) -> Action:
        mine = [o for o in done if o.tool == self.tool]
        if mine:
            return self.answer(mine[-1])
        args, missing = fill_arguments(self.task, self.tool)
        schema = self.task.tools.get(self.tool) or {}
        props = schema.get("properties") or {}
        if missing:
            needed = ", ".join(_describe_param(n, props.get(n)) for n in missing)
            return Answer(
                f"You named `{self.tool}`, but I can't tell from the prompt what to pass for {', '.join(missing)}; "
                "guessing an argument would give a made-up result, so I'll ask.",
                f"I'd call `{self.tool}`, but the prompt doesn't say what to pass for its required "
                f"argument(s): {needed}.\n\nAsk again with the value, e.g. *use `{self.tool}` with "
                f"{missing[0]} X*.",
            )
        filled = ", ".join(f"`{k}` = {v!r}" for k, v in args.items()) or "no arguments"
        left = [n for n in props if n not in args]
        keeps = "keeps its default" if len(left) == 1 else "keep their defaults"
        defaults = f" {', '.join(f'`{n}`' for n in left)} {keeps}." if left else ""
        return ToolStep(
            f"You asked me to use `{self.tool}`, one of the tools declared for this request. Its schema "
            f"takes {', '.join(f'`{n}`' for n in props) or 'no arguments'}; from the prompt I read "
            f"{filled}.{defaults} I'll call it and report exactly what it returns.",
            self.tool,
            args,
        )

    def answer(self, obs: Observation) -> Answer:
        call = _call_text(self.tool, obs.arguments)
        if obs.declined:
            return Answer(
                f"The call of {self.tool} was declined, so nothing ran; I won't guess its result.",
                f"I didn't get a result: the call `{call}` was **declined**, so nothing ran and I "
                "won't guess one. Ask again and allow it (or use `--approve auto`) to let it run.",
            )
        result = obs.output.strip()
        if obs.error is not None:
            return Answer(
                f"`{call}` failed: {shorten(result, 300)}. I'll report that rather than guess.",
                f"`{call}` failed:\n\n```text\n{shorten(result, 1500)}\n```\n\n"
                "Check the arguments (names, columns, values) and ask again.",
            )
        if not result:
            return Answer(f"`{call}` returned nothing.", f"`{call}` ran and returned nothing (an empty result).")
        if "\n" not in result and len(result) <= 200:
            shown = f"**{result}**"
        else:
            shown = f"\n\n```text\n{shorten(result, 3000)}\n```"
        first = result.splitlines()[0]
        more = " (and more lines)" if "\n" in result else ""
        return Answer(
            f"`{self.tool}` returned {shorten(first, 200)}{more}. That is the result; I'll quote it as it is "
            "rather than restate or recompute it.",
            f"I called `{call}`. It returned: {shown}",
        )


class ListVariablesSkill(Skill):
    """``list_variables``, then a summary of the names, types and shapes it listed."""

    handles_errors = True
    needs_code = False

    def next(self, done: Sequence[Observation]) -> Action:
        listed = [o for o in done if o.tool == LIST_TOOL]
        if not listed:
            return ToolStep(
                "You want to know what is in your kernel. The read-only `list_variables` tool lists "
                "names, types and shapes without running any code, so I'll call it.",
                LIST_TOOL,
                {},
            )
        text = listed[-1].output.strip()
        rows = [r for r in text.splitlines() if re.match(r"[A-Za-z_]\w*: ", r)]
        if not rows:
            return Answer("The listing shows no user variables.", f"`list_variables` says: {text}")
        frames = [r.split(":")[0] for r in rows if "DataFrame" in r]
        tools = [r.split(":")[0] for r in rows if re.search(r"\bfunction\b", r)]
        notes = []
        if frames:
            notes.append(f"DataFrames: {', '.join(f'`{n}`' for n in frames)}")
        if tools:
            notes.append(f"functions: {', '.join(f'`{n}`' for n in tools)}")
        listing = "\n".join(f"- `{r.split(': ', 1)[0]}`: {r.split(': ', 1)[1]}" for r in rows)
        return Answer(
            f"`list_variables` returned {len(rows)} row(s). I'll show them as listed.",
            f"Your kernel has these variables (from `list_variables`):\n\n{listing}"
            + (f"\n\n({'; '.join(notes)}.)" if notes else ""),
        )
