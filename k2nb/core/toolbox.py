"""Tools the model may call: schemas declared on every request, and safe dispatch.

Every failure (arguments that are not JSON, wrong types, an unknown tool, an exception in the
tool) becomes a tool result the model reads, never an exception out of the loop.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..errors import RunStopped
from .events import CellChange, Event, ToolStatus
from .turn import ToolCall

NAME_RULE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_-]{2,63}$")  # Moonshot's function-name rule
MAX_TOOLS = 128
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


@dataclass(frozen=True)
class ToolOutcome:
    status: ToolStatus
    model_text: str
    outputs: tuple[dict[str, Any], ...] = ()
    code: str | None = None
    state_diff: str = ""  # names the call added/changed/removed in the user's namespace
    change: CellChange | None = None  # what a notebook tool changed in a cell (or proposed, if not applied)


class ToolStopped(KeyboardInterrupt):
    """The user stopped a tool mid-call; what it showed until then (already redacted) goes to the trace."""

    def __init__(self, outputs: tuple[dict[str, Any], ...] = (), code: str | None = None, state_diff: str = "") -> None:
        super().__init__("stopped by the user")
        self.outputs, self.code, self.state_diff = outputs, code, state_diff


@dataclass
class ToolContext:
    """What a tool handler may use: the step it runs in and a way to emit progress events."""

    step: int
    call_id: str
    emit: Callable[[Event], None] = lambda _event: None
    run_id: str = ""  # the run it belongs to (a notebook change records it as provenance)


ToolHandler = Callable[[dict[str, Any], ToolContext], ToolOutcome]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    parameters: dict[str, Any]
    handler: ToolHandler
    read_only: bool = False
    builtin: bool = False  # a provider built-in such as Moonshot's $web_search
    origin: str = ""  # where a tool comes from when not from k2nb or the user's code: "MCP files" (`%k2 tools`)
    # A call as the user sees it, for tools that are not code (a user tool, an MCP tool): shown when the
    # call starts, so a call that runs without asking is visible while it runs, not only once it ends.
    # Read-only tools without one show the call as Python (core/loop.py).
    shown: Callable[[dict[str, Any]], str] | None = None

    def schema(self) -> dict[str, Any]:
        if self.builtin:
            return {"type": "builtin_function", "function": {"name": self.name}}
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }


def call_text(name: str, arguments: Mapping[str, Any]) -> str:
    """The call as Python, as the user sees it in an approval prompt (and may edit).

    Argument names that are not Python names (an MCP tool's ``file-path``) go in a ``**{…}``.
    """
    if all(str(k).isidentifier() for k in arguments):
        return f"{name}({', '.join(f'{k}={v!r}' for k, v in arguments.items())})"
    return f"{name}(**{dict(arguments)!r})"


def check_spec(spec: ToolSpec) -> None:
    """Moonshot's rules, enforced at registration with a message that says what to change."""
    if spec.builtin and spec.name.startswith("$"):
        return  # '$' names are reserved for the provider's own built-ins, declared without a schema
    if not NAME_RULE.fullmatch(spec.name):
        raise ValueError(
            f"k2nb: tool name {spec.name!r} is not allowed: use 3–64 letters, digits, '_' or '-', "
            "starting with a letter or '_' (and no '$', which is reserved for built-ins)."
        )
    params = spec.parameters
    if params.get("type") != "object":
        raise ValueError(f"k2nb: tool {spec.name!r}: the parameters schema root must be type 'object'.")
    for prop, schema in (params.get("properties") or {}).items():
        if not isinstance(schema, dict) or ("type" not in schema and "anyOf" not in schema and "enum" not in schema):
            raise ValueError(f"k2nb: tool {spec.name!r}: parameter {prop!r} needs a 'type' in its schema.")


def validate_arguments(arguments: Any, parameters: dict[str, Any]) -> str | None:
    """A human-readable problem with the arguments, or None if they fit the schema."""
    if not isinstance(arguments, dict):
        return f"arguments must be a JSON object, got {type(arguments).__name__}"
    props = parameters.get("properties") or {}
    missing = [name for name in parameters.get("required") or () if name not in arguments]
    if missing:
        return f"missing required argument(s): {', '.join(missing)}"
    if parameters.get("additionalProperties") is False:
        extra = [name for name in arguments if name not in props]
        if extra:
            return f"unexpected argument(s): {', '.join(extra)} (allowed: {', '.join(props)})"
    for name, value in arguments.items():
        kind = (props.get(name) or {}).get("type")
        kinds = kind if isinstance(kind, list) else [kind] if kind else []
        allowed = tuple(t for k in kinds for t in _JSON_TYPES.get(k, ()))
        if allowed and (not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed)):
            return f"argument {name!r} must be of type {kind}, got {type(value).__name__}"
    return None


class ToolBox:
    """The tools of one run, by name."""

    def __init__(self, specs: list[ToolSpec] | None = None) -> None:
        self._specs: dict[str, ToolSpec] = {}
        for spec in specs or []:
            self.add(spec)

    def add(self, spec: ToolSpec) -> None:
        check_spec(spec)
        if len(self._specs) >= MAX_TOOLS and spec.name not in self._specs:
            raise ValueError(f"k2nb: at most {MAX_TOOLS} tools can be declared")
        self._specs[spec.name] = spec

    def names(self) -> list[str]:
        return list(self._specs)

    def get(self, name: str) -> ToolSpec | None:
        return self._specs.get(name)

    def schemas(self) -> list[dict[str, Any]]:
        return [spec.schema() for spec in self._specs.values()]

    def parse(self, call: ToolCall) -> tuple[ToolSpec | None, dict[str, Any] | None, str | None]:
        """(spec, arguments, problem): problem is the text the model gets if the call is unusable."""
        spec = self._specs.get(call.name)
        if spec is None:
            return (
                None,
                None,
                (f"Error: there is no tool named {call.name!r}. Available tools: {', '.join(self._specs)}."),
            )
        try:
            arguments = json.loads(call.arguments or "{}", strict=False)
        except ValueError as error:
            return (
                spec,
                None,
                (
                    f"Error: the arguments of {call.name} are not valid JSON ({error}). "
                    "Send a JSON object matching the tool's schema."
                ),
            )
        problem = validate_arguments(arguments, spec.parameters)
        if problem:
            return spec, None, f"Error: invalid arguments for {call.name}: {problem}."
        return spec, arguments, None

    def run(self, spec: ToolSpec, arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
        try:
            return spec.handler(arguments, context)
        except (KeyboardInterrupt, RunStopped):
            raise  # the user's stop ends the run; it is not the tool's failure
        except Exception as error:  # a tool's bug is a result for the model, not a crash
            return ToolOutcome("error", f"Error: tool {spec.name} failed: {type(error).__name__}: {error}")


# Executes one tool call (a thunk): Agent.events runs each call on the consumer's thread.
ToolRunner = Callable[[Callable[[], ToolOutcome]], ToolOutcome]


def on_runner(box: ToolBox, runner: ToolRunner | None) -> ToolBox:
    """The same tools, each call executed through ``runner`` (None: directly)."""
    if runner is None:
        return box

    def via(handler: ToolHandler) -> ToolHandler:
        return lambda arguments, context: runner(lambda: handler(arguments, context))

    specs = [box.get(name) for name in box.names()]
    return ToolBox([replace(s, handler=via(s.handler)) for s in specs if s is not None])
