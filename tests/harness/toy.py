"""The toy engine driven as a model client drives it: a small agent loop over the loopback server.

``drive`` runs the requested code with ``exec`` (stdout, or the traceback, is the tool result);
``drive_tools`` declares every tool k2nb declares (code_interpreter, the inspection tools, user
tools) and dispatches them through k2nb's own ToolBox. Both replay each assistant turn with its
reasoning in the field it came in, so the server's strict history rule holds.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import openai

from k2nb.engines import ChatServer
from k2nb.engines.wire import Dialect

TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "code_interpreter",
            "description": "Run Python in the user's kernel.",
            "parameters": {"type": "object", "properties": {"code": {"type": "string"}}, "required": ["code"]},
        },
    }
]
REASONING_FIELD = {"moonshot": "reasoning_content", "vllm": "reasoning", "openrouter": "reasoning"}
Executor = Callable[[str, dict[str, Any]], str]


@dataclass
class Run:
    answer: str = ""
    reasoning: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)

    def printed(self, key: str, call: int = -1) -> str:
        """A value the code printed on a ``RESULT key=value`` line."""
        match = re.search(rf"^RESULT {re.escape(key)}=(.*)$", self.outputs[call], re.M)
        assert match, f"{key!r} not printed in:\n{self.outputs[call]}"
        return match[1]


def exec_code(code: str, namespace: dict[str, Any]) -> str:
    """What a code_interpreter tool message carries: stdout, then the traceback if it raised."""
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer):
            exec(compile(code, "<k2nb-cell>", "exec"), namespace)
    except Exception:
        return buffer.getvalue() + traceback.format_exc()
    return buffer.getvalue()


def declined(code: str, namespace: dict[str, Any]) -> str:
    return "The user declined to run this code."


def stream_turn(
    sdk: openai.OpenAI, messages: list[Any], dialect: Dialect, tools: list[Any] | None
) -> tuple[str, str, list[dict[str, Any]]]:
    extra: dict[str, Any] = {"tools": tools} if tools else {}
    stream: Any = sdk.chat.completions.create(
        model="kimi-k2-thinking", messages=messages, stream=True, stream_options={"include_usage": True}, **extra
    )
    reasoning, content = "", ""
    calls: dict[int, dict[str, Any]] = {}
    for chunk in stream:
        for choice in chunk.model_dump()["choices"]:
            delta = choice["delta"]
            reasoning += delta.get(REASONING_FIELD[dialect]) or ""
            content += delta.get("content") or ""
            for frag in delta.get("tool_calls") or []:
                call = calls.setdefault(
                    frag["index"], {"id": "", "type": "function", "function": {"name": "", "arguments": ""}}
                )
                call["id"] = frag.get("id") or call["id"]
                call["function"]["name"] += (frag.get("function") or {}).get("name") or ""
                call["function"]["arguments"] += (frag.get("function") or {}).get("arguments") or ""
    return reasoning, content, [calls[i] for i in sorted(calls)]


def drive(
    server: ChatServer,
    prompt: str,
    namespace: dict[str, Any] | None = None,
    *,
    execute: Executor = exec_code,
    tools: list[Any] | None = TOOLS,
    max_steps: int = 6,
) -> Run:
    """The test-only agent loop."""
    sdk = openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0, timeout=30)
    namespace = {} if namespace is None else namespace
    messages: list[Any] = [
        {"role": "system", "content": "You are K2 in a notebook."},
        {"role": "user", "content": prompt},
    ]
    run = Run()
    for _ in range(max_steps):
        reasoning, content, calls = stream_turn(sdk, messages, server.dialect, tools)
        run.reasoning.append(reasoning)
        if not calls:
            run.answer = content
            return run
        # Replay the turn exactly, reasoning in the field it came in (the server checks).
        messages.append({"role": "assistant", REASONING_FIELD[server.dialect]: reasoning, "tool_calls": calls})
        for call in calls:
            assert call["function"]["name"] == "code_interpreter"
            code = json.loads(call["function"]["arguments"])["code"]
            output = execute(code, namespace)
            run.codes.append(code)
            run.outputs.append(output)
            messages.append({"role": "tool", "tool_call_id": call["id"], "name": "code_interpreter", "content": output})
    raise AssertionError(f"no answer after {max_steps} steps: {run}")


@dataclass
class ToolRun:
    answer: str = ""
    reasoning: list[str] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)


def k2nb_tools(namespace: dict[str, Any], *functions: Callable[..., Any]) -> Any:
    """k2nb's own tool box over ``namespace``: code_interpreter (exec here), the inspection tools, user tools."""
    from types import SimpleNamespace

    from k2nb.core.toolbox import ToolBox, ToolOutcome, ToolSpec, validate_arguments
    from k2nb.tools.approval import ApprovalPolicy
    from k2nb.tools.inspect_tools import inspection_tools
    from k2nb.tools.user import bind, spec_from_function

    def never_asked(_request: Any) -> Any:
        raise AssertionError("a read-only tool asked for approval")

    def run_code(arguments: dict[str, Any], _context: Any) -> ToolOutcome:
        return ToolOutcome("ok", exec_code(arguments["code"], namespace))

    box = ToolBox([ToolSpec("code_interpreter", "Run Python.", TOOLS[0]["function"]["parameters"], run_code)])
    for spec in inspection_tools(SimpleNamespace(user_ns=namespace, user_ns_hidden={})):
        box.add(spec)
    for func in functions:
        spec = spec_from_function(func, read_only=True)  # read-only: the approver is never asked
        box.add(bind(spec, func, ApprovalPolicy("auto"), never_asked, validate_arguments))
    return box


def drive_tools(server: ChatServer, prompt: str, box: Any, *, max_steps: int = 6) -> ToolRun:
    """The test-only loop with every tool k2nb declares, dispatched through k2nb's own ToolBox."""
    from k2nb.core.toolbox import ToolContext
    from k2nb.core.turn import ToolCall

    sdk = openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0, timeout=30)
    messages: list[Any] = [{"role": "user", "content": prompt}]
    run = ToolRun()
    for _ in range(max_steps):
        reasoning, content, calls = stream_turn(sdk, messages, server.dialect, box.schemas())
        run.reasoning.append(reasoning)
        if not calls:
            run.answer = content
            return run
        messages.append({"role": "assistant", "reasoning_content": reasoning, "tool_calls": calls})
        for call in calls:
            name, arguments = call["function"]["name"], call["function"]["arguments"]
            spec, parsed, problem = box.parse(ToolCall(call["id"], name, arguments))
            text = problem if problem else box.run(spec, parsed, ToolContext(1, call["id"])).model_text
            run.calls.append((name, json.loads(arguments)))
            run.outputs.append(text)
            messages.append({"role": "tool", "tool_call_id": call["id"], "name": name, "content": text})
    raise AssertionError(f"no answer after {max_steps} steps: {run}")
