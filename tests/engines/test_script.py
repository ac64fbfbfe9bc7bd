"""k2nb/engines/script.py: the script line language and ScriptedEngine, alone and behind the server."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from k2nb.engines import ChatServer, HttpError, Reply, ScriptedEngine, StreamFault, ToolCallSpec, Turn, parse_script
from k2nb.engines.script import FINISHED

FULL = """\
# a demo with every directive
think: First I need the data.
think: Then I'll count.
text: Running code now.
tool: code_interpreter {"code": "print(1 + 1)"}
tool_raw: code_interpreter {"code": "print(   <- broken on purpose
---
think: Leaking this time.
tool: code_interpreter {"code": "print(2)"}
leak: true
---
think: ran out of budget
finish: length
---
error: 429 retry-after=1.5 code=engine_overloaded_error The engine is currently overloaded
---
error: 401
---
text: slow and broken
fault: delay=0.5 cut=5
fault: no-done
---
text: reset
fault: reset=3
"""


def test_every_directive() -> None:
    replies = parse_script(FULL)
    assert len(replies) == 7
    first = replies[0].turn
    assert first == Turn(
        reasoning="First I need the data.\nThen I'll count.",
        content="Running code now.",
        tool_calls=(
            ToolCallSpec("code_interpreter", '{"code": "print(1 + 1)"}'),
            ToolCallSpec("code_interpreter", '{"code": "print(   <- broken on purpose'),
        ),
    )
    assert replies[1].turn is not None and replies[1].turn.leak_native_tool_tokens
    assert replies[2].turn is not None and replies[2].turn.finish_reason == "length"
    assert replies[3] == Reply(
        error=HttpError(
            429,
            "The engine is currently overloaded",
            "engine_overloaded_error",
            code="engine_overloaded_error",
            retry_after=1.5,
        )
    )
    assert replies[4] == Reply(error=HttpError(401, "Invalid Authentication", "invalid_authentication_error"))
    assert replies[5].fault == StreamFault(cut_after_chunks=5, omit_done=True, first_token_delay=0.5)
    assert replies[6].fault == StreamFault(cut_after_chunks=3, reset=True)


def test_blank_blocks_and_comments_are_skipped() -> None:
    assert parse_script("---\n# only a comment\n---\n\ntext: hi\n---\n") == [Reply(turn=Turn(content="hi"))]
    assert parse_script("") == []


def test_error_type_defaults_by_status() -> None:
    (reply,) = parse_script("error: 500")
    assert reply.error == HttpError(500, "Internal server error", "server_error")
    (reply,) = parse_script("error: 400 type=content_filter Sensitive content")
    assert reply.error == HttpError(400, "Sensitive content", "content_filter")


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("text: ok\nsay: hello", 2, "unknown directive 'say'"),
        ("just words", 1, "unknown directive"),
        ("---\nerror: 99 nope", 2, "HTTP status 400-599"),
        ("error: 429 retry-after=soon busy", 1, "retry-after= expects seconds"),
        ("tool: 9bad {}", 1, "tool name"),
        ("tool: code_interpreter print(1)", 1, "use tool_raw:"),
        ("leak: maybe", 1, "true or false"),
        ("finish: not a word!", 1, "finish:"),
        ("text: a\n\nfault: cut=x", 3, "fault: cannot read 'cut=x'"),
        ("fault: explode", 1, "expected cut=N"),
        ("text: hi\nerror: 429", 2, "cannot be combined"),
    ],
)
def test_errors_name_the_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(ValueError, match=f"script line {line}:") as info:
        parse_script(text)
    assert fragment in str(info.value)


def test_engine_replies_in_order_then_finishes() -> None:
    engine = ScriptedEngine.from_text("text: one\n---\ntext: two")
    request: dict[str, Any] = {"messages": []}
    assert [engine(request).turn for _ in range(3)] == [
        Turn(content="one"),
        Turn(content="two"),
        Turn(content=FINISHED),
    ]
    assert engine.remaining == 0


def test_script_behind_the_server(tmp_path: Any) -> None:
    path = tmp_path / "demo.k2"
    path.write_text(
        "error: 429 retry-after=0 code=engine_overloaded_error busy\n---\n"
        'think: fine now\ntool: code_interpreter {"code": "print(1)"}\n'
    )
    with ChatServer(ScriptedEngine.from_file(path)) as server:
        sdk = openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0)
        messages: Any = [{"role": "user", "content": "go"}]
        with pytest.raises(openai.RateLimitError) as info:
            sdk.chat.completions.create(model="kimi-k2-thinking", messages=messages)
        assert info.value.response.headers["Retry-After"] == "0"
        done = sdk.chat.completions.create(model="kimi-k2-thinking", messages=messages)
    calls = done.choices[0].message.tool_calls
    assert calls is not None and calls[0].id == "code_interpreter:0"
    assert done.choices[0].message.model_dump()["reasoning_content"] == "fine now"
