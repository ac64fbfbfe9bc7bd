"""A tiny line language for deterministic scripted runs, and the engine that replays it.

One reply per block; blocks are separated by a line ``---``::

    # a comment
    think: I should run some code.
    think: (several think lines join with newlines; a bare `think:` sends the reasoning as "")
    text: Here is the answer.
    tool: code_interpreter {"code": "print(1 + 1)"}
    tool_raw: code_interpreter {"code": "print(   <- invalid JSON kept as is
    leak: true
    finish: length
    ---
    error: 429 retry-after=1 code=engine_overloaded_error The engine is overloaded
    ---
    text: slow and broken
    fault: delay=2.0 cut=5
    ---
    tool: echo {"text": "a"}
    tool: echo {"text": "b"}
    fault: interleave        <- the second call's header before the first call's arguments
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .server import HttpError, Reply, StreamFault
from .wire import ToolCallSpec, Turn

_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$.:-]*")
_DIRECTIVES = ("think", "text", "tool", "tool_raw", "leak", "finish", "error", "fault")
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_authentication_error",
    403: "permission_denied_error",
    404: "resource_not_found_error",
    429: "rate_limit_reached_error",
}
_ERROR_MESSAGES = {
    400: "Invalid request",
    401: "Invalid Authentication",
    403: "Permission denied",
    404: "Not found",
    429: "Too many requests, please try again later",
}
FINISHED = "(script finished)"


@dataclass
class _Block:
    """What one block has said so far; becomes one Reply."""

    first_line: int
    think: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    tools: list[ToolCallSpec] = field(default_factory=list)
    leak: bool = False
    finish: str | None = None
    error: HttpError | None = None
    fault: StreamFault | None = None
    error_line: int = 0

    def empty(self) -> bool:
        return not (self.think or self.text or self.tools or self.leak or self.finish or self.error or self.fault)

    def reply(self) -> Reply:
        if self.error is not None:
            if self.think or self.text or self.tools or self.fault:
                raise _fail(
                    self.error_line,
                    "error: cannot be combined with think/text/tool/fault in the same block (put a --- between them)",
                )
            return Reply(error=self.error)
        reasoning = "\n".join(self.think)
        turn = Turn(
            reasoning=reasoning,
            content="\n".join(self.text),
            tool_calls=tuple(self.tools),
            leak_native_tool_tokens=self.leak,
            finish_reason=self.finish,
            empty_reasoning=bool(self.think) and not reasoning,  # a bare `think:`: the field sent as ""
        )
        return Reply(turn=turn, fault=self.fault)


def _fail(line: int, message: str) -> ValueError:
    return ValueError(f"script line {line}: {message}")


def parse_script(text: str) -> list[Reply]:
    """Parse a script into replies; ValueError names the bad line and what is expected there."""
    replies: list[Reply] = []
    block = _Block(1)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line == "---":
            if not block.empty():
                replies.append(block.reply())
            block = _Block(number + 1)
            continue
        if not line or line.startswith("#"):
            continue
        directive, sep, rest = raw.lstrip().partition(":")
        directive = directive.strip()
        if not sep or directive not in _DIRECTIVES:
            raise _fail(
                number,
                f"unknown directive {line.split(':')[0]!r}; expected one of "
                f"{', '.join(d + ':' for d in _DIRECTIVES)} or a --- separator",
            )
        _apply(block, directive, rest[1:] if rest.startswith(" ") else rest, number)
    if not block.empty():
        replies.append(block.reply())
    return replies


def _apply(block: _Block, directive: str, rest: str, line: int) -> None:
    if directive == "think":
        block.think.append(rest)
    elif directive == "text":
        block.text.append(rest)
    elif directive in ("tool", "tool_raw"):
        block.tools.append(_tool(directive, rest, line))
    elif directive == "leak":
        block.leak = _bool(rest, line)
    elif directive == "finish":
        if not re.fullmatch(r"[a-z_]+", rest.strip()):
            raise _fail(
                line,
                f"finish: expects a word such as stop, length or tool_calls, got {rest.strip()!r}",
            )
        block.finish = rest.strip()
    elif directive == "error":
        block.error = _error(rest, line)
        block.error_line = line
    else:
        block.fault = _fault(block.fault or StreamFault(), rest, line)


def _tool(directive: str, rest: str, line: int) -> ToolCallSpec:
    name, _, arguments = rest.strip().partition(" ")
    if not _NAME.fullmatch(name):
        raise _fail(
            line,
            f'{directive}: expects a tool name first, e.g. \'{directive}: code_interpreter {{"code": "print(1)"}}\'',
        )
    arguments = arguments.strip()
    if directive == "tool":
        arguments = arguments or "{}"
        if not arguments.startswith("{"):
            raise _fail(
                line,
                "tool: expects JSON arguments starting with '{' on the same line; "
                "use tool_raw: for arbitrary argument text",
            )
    return ToolCallSpec(name=name, arguments=arguments)


def _bool(rest: str, line: int) -> bool:
    value = rest.strip().lower()
    if value in ("true", "yes", "1", "on"):
        return True
    if value in ("false", "no", "0", "off"):
        return False
    raise _fail(line, f"expected true or false, got {rest.strip()!r}")


def _error(rest: str, line: int) -> HttpError:
    words = rest.split()
    if not words or not words[0].isdigit() or not 400 <= int(words[0]) <= 599:
        raise _fail(
            line,
            "error: expects an HTTP status 400-599 first, e.g. "
            "'error: 429 retry-after=1 code=engine_overloaded_error overloaded'",
        )
    status = int(words.pop(0))
    options: dict[str, str] = {}
    while words and re.fullmatch(r"(retry-after|code|type)=\S+", words[0]):
        key, _, value = words.pop(0).partition("=")
        options[key] = value
    retry_after = None
    if "retry-after" in options:
        try:
            retry_after = float(options["retry-after"])
        except ValueError:
            raise _fail(line, f"retry-after= expects seconds, got {options['retry-after']!r}") from None
    code = options.get("code")
    default_type = _ERROR_TYPES.get(status, "server_error")
    # Moonshot puts the specific reason (engine_overloaded_error, ...) in `type`: mirror `code`.
    error_type = options.get("type") or code or default_type
    message = " ".join(words) or _ERROR_MESSAGES.get(status, "Internal server error")
    return HttpError(status=status, message=message, type=error_type, code=code, retry_after=retry_after)


def _fault(fault: StreamFault, rest: str, line: int) -> StreamFault:
    for word in rest.replace("|", " ").split():
        key, _, value = word.partition("=")
        try:
            if key == "cut":
                fault = replace(fault, cut_after_chunks=int(value))
            elif key == "reset":
                fault = replace(fault, reset=True, cut_after_chunks=int(value or 0))
            elif key == "delay":
                fault = replace(fault, first_token_delay=float(value))
            elif key == "no-done" and not value:
                fault = replace(fault, omit_done=True)
            elif key == "interleave" and not value:
                fault = replace(fault, interleave_calls=True)
            else:
                raise ValueError(word)
        except ValueError:
            raise _fail(
                line,
                f"fault: cannot read {word!r}; expected cut=N, reset=N, delay=SECONDS, no-done or interleave",
            ) from None
    return fault


class ScriptedEngine:
    """A responder that replays replies in order, one per request."""

    def __init__(self, replies: Sequence[Reply]) -> None:
        self.replies = list(replies)
        self.position = 0
        self._lock = threading.Lock()

    @classmethod
    def from_text(cls, text: str) -> ScriptedEngine:
        return cls(parse_script(text))

    @classmethod
    def from_file(cls, path: str | Path) -> ScriptedEngine:
        return cls.from_text(Path(path).read_text(encoding="utf-8"))

    @property
    def remaining(self) -> int:
        return len(self.replies) - self.position

    def __call__(self, request: dict[str, Any]) -> Reply:
        with self._lock:  # the server calls from several threads
            if self.position >= len(self.replies):
                return Reply(turn=Turn(content=FINISHED))
            reply = self.replies[self.position]
            self.position += 1
            return reply
