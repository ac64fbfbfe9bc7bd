"""Reading the conversation: actions, observations of tool output, the task, skills."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ...core.images import content_text as message_text
from ...kernel.prompt_context import CONTEXT_HEADER

TOOL_NAME = "code_interpreter"


@dataclass(frozen=True)
class CodeStep:
    """Think, then ask ``code_interpreter`` to run ``code``."""

    thought: str
    code: str


@dataclass(frozen=True)
class ToolStep:
    """Think, then call another declared tool (an inspection tool or a user tool) with ``arguments``."""

    thought: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Answer:
    """Think, then reply to the user in Markdown."""

    thought: str
    text: str


Action = CodeStep | ToolStep | Answer


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_ERROR_LINE = re.compile(
    r"^\s*((?:[A-Za-z_][\w.]*)?(?:Error|Exception|Interrupt|Exit|Iteration))(?::\s?(.*))?\s*$", re.M
)
_RESULT = re.compile(r"^RESULT (\w+)(?:\[(.+?)\])?=(.*)$", re.M)
_BLOCK = re.compile(r"^BEGIN (\w+)\n(.*?)\n?^END \1$", re.M | re.S)


@dataclass(frozen=True)
class ErrorInfo:
    kind: str  # e.g. "NameError"
    message: str  # text after the colon

    @property
    def line(self) -> str:
        return f"{self.kind}: {self.message}" if self.message else self.kind


@dataclass(frozen=True)
class Observation:
    """One code call after the task and what came back."""

    code: str
    output: str
    results: dict[str, str] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)
    error: ErrorInfo | None = None
    declined: bool = False
    tool: str = TOOL_NAME  # which tool answered (code_interpreter, inspect_variable, a user tool…)
    arguments: dict[str, Any] = field(default_factory=dict)


def observe(code: str, output: str) -> Observation:
    text = _ANSI.sub("", output).replace("\r\n", "\n")
    results = {(f"{m[1]}[{m[2]}]" if m[2] is not None else m[1]): m[3].rstrip() for m in _RESULT.finditer(text)}
    tables = {m[1]: m[2] for m in _BLOCK.finditer(text)}
    error = None
    errors = list(_ERROR_LINE.finditer(text))
    last_result = max((m.start() for m in _RESULT.finditer(text)), default=-1)
    # An error line counts if there is a traceback, or if the code died after its last RESULT.
    if errors and ("Traceback" in text or errors[-1].start() > last_result):
        kind, message = errors[-1][1], (errors[-1][2] or "").strip()
        nested = re.match(r"([A-Za-z_][\w.]*(?:Error|Exception)):\s?(.*)", message)
        while nested:  # "Error: NameError: ..." wrappers: keep the innermost exception
            kind, message = nested[1], nested[2].strip()
            nested = re.match(r"([A-Za-z_][\w.]*(?:Error|Exception)):\s?(.*)", message)
        error = ErrorInfo(kind.split(".")[-1], message)
    declined = not results and error is None and re.search(r"\bdeclined\b", text, re.I) is not None
    return Observation(code, text, results, tables, error, declined)


def observe_tool(name: str, arguments: dict[str, Any], output: str) -> Observation:
    """The result of a tool other than code_interpreter: its text as k2nb sent it back.

    k2nb starts a failed tool result with ``Error:`` and a declined one with ``The user declined``;
    anything else is the tool's own text (a user tool's JSON, an inspection summary).
    """
    text = _ANSI.sub("", output).replace("\r\n", "\n")
    error = None
    if text.startswith("Error:"):
        message = text[len("Error:") :].strip()
        nested = re.search(r"\b([A-Za-z_]\w*(?:Error|Exception)):\s?(.*)", message)
        error = ErrorInfo(nested[1], nested[2].strip()) if nested else ErrorInfo("Error", message)
    declined = text.startswith("The user declined") or (text.startswith("The user's edit") and "nothing ran" in text)
    return Observation("", text, error=error, declined=declined, tool=name, arguments=dict(arguments))


@dataclass(frozen=True)
class Task:
    text: str  # the user's words
    tools: dict[str, dict[str, Any]] = field(default_factory=dict)  # declared function tools: name → parameters
    notes: str = ""  # what k2nb sent with the prompt for the model alone (its "[k2nb: …]" paragraphs)
    context: str = ""  # the ``--context`` summaries k2nb appended to the prompt, if any
    read_as: tuple[tuple[str, str], ...] = ()  # misspelt words read as the word meant (typed, meant)

    def has_tool(self, name: str) -> bool:
        return name in self.tools

    def named_tools(self) -> list[str]:
        """Declared tools (other than code_interpreter) the prompt names in backticks, in order."""
        names = re.findall(r"`([A-Za-z_][\w-]*)(?:\(\))?`", self.text)
        return list(dict.fromkeys(n for n in names if n in self.tools and n != TOOL_NAME))

    @property
    def low(self) -> str:
        return self.text.lower()

    @property
    def self_correct(self) -> bool:
        return _SELF_CORRECT.search(self.low) is not None

    @property
    def wants_type_error(self) -> bool:
        return re.search(r"type\s*error", self.low) is not None


_SELF_CORRECT = re.compile(
    r"self[\s-]*correct|make (?:a|an|one) (?:\w+ )?(?:mistake|error|bug)|(?:deliberate|intentional)"
    r"(?:ly)? (?:\w+ )?(?:mistake|error|bug)|on purpose|introduce (?:a|an) (?:bug|error)"
    r"|demonstrate (?:a |an |your )?(?:mistake|error|recovery|debugging|fixing)"
    r"|show (?:me )?how you (?:fix|recover|debug)"
)


def read_conversation(
    messages: Sequence[dict[str, Any]], tools: dict[str, dict[str, Any]] | None = None
) -> tuple[Task | None, list[Observation]]:
    """The latest user message and the tool results that follow it."""
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=None)
    if last_user is None:
        return None, []
    words, context = split_context(message_text(messages[last_user].get("content")).strip())
    task = Task(words, dict(tools or {}), context=context)
    pending: dict[str, tuple[str, dict[str, Any]]] = {}
    observations = []
    for message in messages[last_user + 1 :]:
        if message.get("role") == "assistant":
            for call in message.get("tool_calls") or []:
                pending[str(call.get("id"))] = _call_of(call)
        elif message.get("role") == "tool":
            name, args = pending.get(str(message.get("tool_call_id")), (str(message.get("name") or TOOL_NAME), {}))
            text = message_text(message.get("content"))
            if name == TOOL_NAME:
                observations.append(replace(observe(str(args.get("code", "")), text), arguments=args))
            else:
                observations.append(observe_tool(name, args, text))
    return task, observations


def split_context(text: str) -> tuple[str, str]:
    """The user's words, and the ``--context`` summaries k2nb appended to them (empty when there are none).

    Only the words are the task: numbers in the summaries (a shape, a row) are not part of the question.
    """
    at = text.find(CONTEXT_HEADER)
    return (text, "") if at < 0 else (text[:at].rstrip(), text[at + len(CONTEXT_HEADER) :])


def _call_of(call: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    function = call.get("function") or {}
    name = str(function.get("name") or TOOL_NAME)
    try:
        args = json.loads(function.get("arguments") or "{}", strict=False)
    except ValueError:
        return name, {}
    return name, args if isinstance(args, dict) else {}


class Unreadable(Exception):
    """The code ran but did not print what the engine needs."""


def need(obs: Observation, key: str) -> str:
    if key not in obs.results:
        raise Unreadable(key)
    return obs.results[key]


def gist(text: str, limit: int = 160) -> str:
    """A printed value as the thinking quotes it: whole when short, else its head and its size."""
    text = str(text)
    if len(text) <= limit:
        return text
    return f"{text[:limit].rstrip()}… ({len(text):,} characters)"


def counted(n: object, word: str, plural: str = "", *, strong: bool = False) -> str:
    """``n`` with its noun agreeing: "1 swap", "3 swaps", "1 pass", "2 passes" (``strong``: "**3** swaps")."""
    number = f"**{n}**" if strong else str(n)
    return f"{number} {word if str(n) == '1' else plural or word + 's'}"


def literal(value: str) -> Any:
    """A printed Python literal (list, tuple, quoted string); the raw text if it is not one."""
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return value


# ---------------------------------------------------------------------------------------------
# Skills
# ---------------------------------------------------------------------------------------------


class Skill:
    """One family of tasks. ``next`` sees the successful observations so far."""

    kernel_var: str | None = None  # a user variable the code reads (NameError means it is missing)
    needs_code = True  # False for skills that only call other declared tools
    handles_errors = False  # True: the skill answers failed and declined calls itself
    learns = False  # True: inspection-tool results reach ``next`` even when they failed (they are knowledge)
    read_as: tuple[tuple[str, str], ...] = ()  # misspelt words the skill read as the word meant (typed, meant)

    def next(self, done: Sequence[Observation]) -> Action:
        raise NotImplementedError

    def repair(self, failed: Observation, done: Sequence[Observation]) -> CodeStep | None:
        return None


@dataclass
class OneShot(Skill):
    """Run one piece of code, then answer from what it printed."""

    thought: str
    code: str
    answer: Callable[[Observation], Answer]
    # what the code computed, kept in the kernel under its own name when the code runs as a function
    # (``matches``, ``primes``): the class can use it in the next cell; the scratch work stays local
    keeps: tuple[str, ...] = ()

    def next(self, done: Sequence[Observation]) -> Action:
        return self.answer(done[-1]) if done else CodeStep(self.thought, self.code)


def lines(*parts: str) -> str:
    return "\n".join(parts)


_IMPORT = re.compile(r"(?:import|from)\s")


def as_function(name: str, code: str, argument: str = "", keeps: tuple[str, ...] = ()) -> str:
    """``code`` as one function, called once (with ``argument`` as ``data`` when given): its variables
    (``text``, ``total``, ``rows``…) stay local, so the toy never overwrites the user's variables of the
    same name; the kernel gains only the function, the imports (at the top) and the names in ``keeps``,
    which the function returns."""
    source = code.splitlines()
    lead = 0  # a comment that opens the code ("# You asked for …") stays above the function with the imports
    while lead < len(source) and (source[lead].startswith("#") or not source[lead].strip()):
        lead += 1
    imports = [line for line in source[:lead] if line.strip()] + [line for line in source if _IMPORT.match(line)]
    body = [line for line in source[lead:] if not _IMPORT.match(line)]
    while body and not body[0].strip():
        body.pop(0)
    indented = [f"    {line}".rstrip() for line in body]
    return "\n".join(
        [
            *([*imports, "", ""] if imports else []),
            f"def {name}({'data' if argument else ''}):  # a function keeps its temporaries out of your namespace",
            *(re.sub(r"^(\s*)global ", r"\1nonlocal ", x) for x in indented),
            *([f"    return {', '.join(keeps)}"] if keeps else []),
            "",
            "",
            f"{', '.join(keeps)} = {name}({argument})" if keeps else f"{name}({argument})",
        ]
    )


def assigned_names(code: str) -> list[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.append(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [(a.asname or a.name).split(".")[0] for a in node.names]
    return list(dict.fromkeys(names))
