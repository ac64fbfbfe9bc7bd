"""User tools: ``@k2nb.tool`` turns a typed Python function into a tool the model may call.

The JSON schema comes from the type hints and the docstring; Moonshot's name and schema rules
are checked when the decorator runs, so a bad tool fails at definition with a message saying
what to change. There is no global registry: the decorator marks the function, and each run
collects the marked functions in the kernel's namespace (plus any given to ``Agent(tools=…)``).
Redefining a tool updates it; deleting the function removes it.

Calls are validated against the schema before the function runs, and go through the same
approval policy as code unless the tool is declared ``read_only=True``.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, TypeVar, Union, overload

from ..core.toolbox import ToolContext, ToolOutcome, ToolSpec, call_text, check_spec
from ..kernel.secrets import Redactor
from .approval import Answer, ApprovalPolicy, ApprovalRequest, Approver

F = TypeVar("F", bound=Callable[..., Any])
MARK = "__k2nb_tool__"
RESULT_LIMIT = 12_000
_SCALARS: dict[type, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}


class ToolDefinitionError(ValueError):
    """A function that cannot be a tool. Shown by IPython as one line, without a traceback."""

    def _render_traceback_(self) -> list[str]:
        return [f"ToolDefinitionError: {self}"]


def _fail(func_name: str, problem: str) -> ToolDefinitionError:
    return ToolDefinitionError(f"k2nb: @k2nb.tool {func_name}: {problem}")


def json_schema(annotation: Any, where: str) -> dict[str, Any]:
    """The JSON schema of one parameter's type hint; ToolDefinitionError-ready text if it has none."""
    if annotation in _SCALARS:
        return {"type": _SCALARS[annotation]}
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Literal:
        kinds = {_SCALARS.get(type(a)) for a in args}
        if len(kinds) != 1 or None in kinds:
            raise ValueError(f"{where}: Literal values must all be str, int, float or bool")
        return {"type": kinds.pop(), "enum": list(args)}
    if origin in (Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:
            return json_schema(options[0], where)
        return {"anyOf": [json_schema(a, where) for a in options]}
    if annotation is list or origin in (list, tuple, set, frozenset, Iterable):
        schema: dict[str, Any] = {"type": "array"}
        if args and args[0] is not Ellipsis:
            schema["items"] = json_schema(args[0], where)
        return schema
    if annotation is dict or origin in (dict, Mapping):
        return {"type": "object"}
    shown = getattr(annotation, "__name__", repr(annotation))
    raise ValueError(
        f"{where} has type {shown}, which JSON cannot carry. Use str, int, float, bool, Literal[...], "
        "list[...] or dict (for data in the kernel, take its variable name as a str and look it up)"
    )


def _doc_params(doc: str) -> tuple[str, dict[str, str]]:
    """The description (first paragraph) and per-parameter text (Google, NumPy or Sphinx style)."""
    doc = inspect.cleandoc(doc or "")
    description = doc.split("\n\n")[0].replace("\n", " ").strip()
    params: dict[str, str] = {}
    for m in re.finditer(r"^\s*:param\s+(?:\w+\s+)?(\w+):\s*(.+)$", doc, re.M):
        params[m[1]] = m[2].strip()
    lines = doc.splitlines()
    heads = [i for i, line in enumerate(lines) if re.fullmatch(r"(Args|Arguments|Parameters):?", line.strip())]
    if not heads:
        return description, params
    section = lines[heads[0] + 1 :]
    if section and re.fullmatch(r"-{3,}", section[0].strip()):
        section = section[1:]  # NumPy's underline
    base = len(section[0]) - len(section[0].lstrip()) if section else 0
    name = ""
    for line in section:
        if not line.strip() or (len(line) - len(line.lstrip()) < base):
            break  # the section ends at a blank line or a dedent
        if len(line) - len(line.lstrip()) == base:
            # "name: text" / "name (type): text" (Google) or "name : type" (NumPy: text follows, indented)
            entry = re.match(r"\s*(\w+)\s*(\([^)]*\))?\s*(:)?\s*(.*)$", line)
            if entry is None:
                break
            name = entry[1]
            numpy_style = entry[3] and line.split(":", 1)[0].endswith(" ")
            params.setdefault(name, "" if numpy_style else entry[4].strip())
        elif name:
            params[name] = (params[name] + " " + line.strip()).strip()
    return description, {k: v for k, v in params.items() if v}


def spec_from_function(
    func: Callable[..., Any], *, name: str | None = None, description: str | None = None, read_only: bool = False
) -> ToolSpec:
    """Build (and check) the tool spec of ``func``; raises ToolDefinitionError with the fix."""
    fname = getattr(func, "__name__", repr(func))
    tool_name = name or fname
    try:
        hints = typing.get_type_hints(func)
    except Exception as error:
        raise _fail(fname, f"its type hints cannot be resolved ({error})") from None
    doc_text, doc_params = _doc_params(func.__doc__ or "")
    properties: dict[str, Any] = {}
    required: list[str] = []
    for param in inspect.signature(func).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise _fail(fname, f"*{param.name} / **{param.name} cannot be described to the model; name each parameter")
        if param.name not in hints:
            raise _fail(fname, f"parameter {param.name!r} needs a type hint (e.g. {param.name}: str)")
        try:
            schema = json_schema(hints[param.name], f"parameter {param.name!r}")
        except ValueError as error:
            raise _fail(fname, str(error)) from None
        if param.name in doc_params:
            schema["description"] = doc_params[param.name]
        if param.default is param.empty:
            required.append(param.name)
        elif param.default is None or isinstance(param.default, str | int | float | bool):
            schema["default"] = param.default
        properties[param.name] = schema
    text = description or doc_text
    if not text:
        raise _fail(fname, "add a docstring: its first paragraph tells the model what the tool does")
    parameters: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        parameters["required"] = required
    spec = ToolSpec(tool_name, text, parameters, lambda _a, _c: ToolOutcome("error", "not bound"), read_only=read_only)
    try:
        check_spec(spec)
    except ValueError as error:
        raise _fail(fname, str(error).removeprefix("k2nb: ")) from None
    if tool_name == "code_interpreter" or tool_name in ("list_variables", "inspect_variable"):
        raise _fail(fname, f"the name {tool_name!r} is taken by a built-in k2nb tool; pass name='…'")
    return spec


@overload
def tool(func: F, /) -> F: ...
@overload
def tool(*, name: str | None = None, description: str | None = None, read_only: bool = False) -> Callable[[F], F]: ...
def tool(
    func: F | None = None, /, *, name: str | None = None, description: str | None = None, read_only: bool = False
) -> F | Callable[[F], F]:
    """Make ``func`` a tool the model can call (``@k2nb.tool`` or ``@k2nb.tool(read_only=True)``).

    The function stays an ordinary function; k2nb finds it in the kernel's namespace at each run.
    """

    def mark(f: F) -> F:
        spec = spec_from_function(f, name=name, description=description, read_only=read_only)
        setattr(f, MARK, spec)
        return f

    return mark(func) if func is not None else mark


def tool_spec(obj: Any) -> ToolSpec | None:
    try:
        spec = getattr(obj, MARK, None) if callable(obj) else None
    except Exception:  # exotic objects with a failing __getattr__ are simply not tools
        return None
    return spec if isinstance(spec, ToolSpec) else None


def collect(namespace: Mapping[str, Any], explicit: Iterable[Any] = ()) -> list[tuple[ToolSpec, Callable[..., Any]]]:
    """Explicit functions (marked or not) then the marked functions of a namespace, by tool name."""
    found: dict[str, tuple[ToolSpec, Callable[..., Any]]] = {}
    for func in explicit:
        spec = tool_spec(func) or spec_from_function(func)
        found.setdefault(spec.name, (spec, func))
    for obj in list(namespace.values()):
        marked = tool_spec(obj)
        if marked is not None:
            found.setdefault(marked.name, (marked, obj))
    return list(found.values())


def _edited_arguments(name: str, text: str) -> dict[str, Any] | None:
    """Keyword arguments of an edited ``name(k=literal, …)`` (or ``name(**{…})``) call, or None if it is not one.

    Comment lines (an MCP call's header) are ignored.
    """
    try:
        node = ast.parse(text.strip(), mode="eval").body
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name):
            return None
        if node.args:
            return None
        arguments: dict[str, Any] = {}
        for keyword in node.keywords:
            value = ast.literal_eval(keyword.value)
            if keyword.arg is not None:
                arguments[keyword.arg] = value
            elif isinstance(value, dict) and all(isinstance(k, str) for k in value):
                arguments.update(value)
            else:
                return None
        return arguments
    except (SyntaxError, ValueError):
        return None


def _result_text(value: Any) -> str:
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(value)
    if len(text) > RESULT_LIMIT:
        text = text[:RESULT_LIMIT] + f"\n… [{len(text) - RESULT_LIMIT:,} characters cut]"
    return text


def ask_to_call(
    name: str,
    parameters: dict[str, Any],
    arguments: dict[str, Any],
    policy: ApprovalPolicy,
    ask: Approver | Answer,
    context: ToolContext,
    validate: Callable[..., str | None],
    *,
    header: str = "",
) -> tuple[dict[str, Any], str] | ToolOutcome:
    """Ask the user about one call of a tool that is not code (a user tool, an MCP tool).

    The user sees ``header`` (comment lines: where the tool comes from) and the call as Python,
    and may edit its arguments. Returns the arguments to call with and the call as shown, or the
    declined outcome the model reads.
    """
    shown = header + call_text(name, arguments)
    verdict = policy.ask(ApprovalRequest(context.call_id, name, shown, context.step), ask, context.emit)
    if not verdict.runs:
        why = f" Their reason: {verdict.reason}" if verdict.reason else ""
        return ToolOutcome("declined", f"The user declined this call of {name}.{why}", code=shown)
    if verdict.decision != "edit":
        return arguments, shown
    edited = _edited_arguments(name, verdict.code)
    problem = "not a call of the tool with literal keyword arguments" if edited is None else None
    problem = problem or validate(edited, parameters)
    if problem or edited is None:
        return ToolOutcome("declined", f"The user's edit could not be used ({problem}); nothing ran.")
    return edited, header + call_text(name, edited)


def bind(
    spec: ToolSpec,
    func: Callable[..., Any],
    policy: ApprovalPolicy,
    ask: Approver | Answer,
    validate: Callable[..., str | None],
    redactor: Redactor | None = None,
) -> ToolSpec:
    """The runnable spec: approval (unless read-only), then the call; the result becomes redacted text.

    ``redactor`` is the run's (default: one for the environment's secrets and secret shapes).
    """
    redact = (redactor if redactor is not None else Redactor.for_run()).text

    def handle(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
        for key, schema in spec.parameters["properties"].items():
            if "enum" in schema and key in arguments and arguments[key] not in schema["enum"]:
                return ToolOutcome("invalid", f"Error: {key!r} must be one of {schema['enum']}.")
        shown = call_text(spec.name, arguments)
        if not spec.read_only:
            approved = ask_to_call(spec.name, spec.parameters, arguments, policy, ask, context, validate)
            if isinstance(approved, ToolOutcome):
                return approved
            arguments, shown = approved
        result = func(**arguments)
        return ToolOutcome("ok", redact(_result_text(result)), code=shown)

    return ToolSpec(
        spec.name,
        spec.description,
        spec.parameters,
        handle,
        read_only=spec.read_only,
        shown=lambda arguments: call_text(spec.name, arguments),
    )
