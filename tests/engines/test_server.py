"""k2nb/engines/server.py: the loopback server over real HTTP: SDK round trips, strict-host errors, faults, shutdown."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from k2nb.engines import ChatServer, HttpError, Reply, StreamFault, ToolCallSpec, Turn
from k2nb.engines.wire import DIALECTS, Dialect

ROOT = Path(__file__).resolve().parents[2]
ARGS = '{"code": "print(6 * 7)"}'
TOOL_TURN = Turn(reasoning="I should compute 6 * 7 with code.", tool_calls=(ToolCallSpec("code_interpreter", ARGS),))
ANSWER = Turn(reasoning="The tool printed 42.", content="The answer is **42**.")
USER = {"role": "user", "content": "what is 6 * 7?"}


def client(server: ChatServer, key: str = "x") -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=key, max_retries=0, timeout=10)


def sdk_chat(sdk: openai.OpenAI, messages: list[Any], **kwargs: Any) -> Any:
    """One chat call; Any because the SDK's message TypedDicts don't know K2's extra fields."""
    kwargs.setdefault("model", "kimi-k2-thinking")
    return sdk.chat.completions.create(messages=messages, **kwargs)


def chat(server: ChatServer, key: str = "x", **kwargs: Any) -> Any:
    return sdk_chat(client(server, key), **kwargs)


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with ChatServer(lambda body: TOOL_TURN) as srv:
        yield srv


def history(
    reasoning: dict[str, Any] | None, call_id: str = "code_interpreter:0", answered: bool = True
) -> list[dict[str, Any]]:
    assistant = {
        "role": "assistant",
        "tool_calls": [
            {"id": call_id, "type": "function", "function": {"name": "code_interpreter", "arguments": ARGS}}
        ],
        **(reasoning or {}),
    }
    tool = {"role": "tool", "tool_call_id": call_id, "name": "code_interpreter", "content": "42"}
    return [
        {"role": "system", "content": "be brief"},
        USER,
        assistant,
        *([tool] if answered else []),
        {"role": "user", "content": "and now?"},
    ]


def raw_stream(
    server: ChatServer,
    body: dict[str, Any] | None = None,
) -> tuple[http.client.HTTPResponse, http.client.HTTPConnection]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    payload = body or {"model": "kimi-k2-thinking", "messages": [USER], "stream": True}
    conn.request("POST", "/v1/chat/completions", json.dumps(payload), {"Content-Type": "application/json"})
    return conn.getresponse(), conn


def events(text: str) -> list[str]:
    return [e[len("data: ") :] for e in text.split("\n\n") if e.startswith("data: ")]


# -- happy paths -------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_streaming_with_the_sdk(dialect: Dialect) -> None:
    with ChatServer(lambda body: TOOL_TURN, dialect=dialect) as srv:
        stream = chat(srv, messages=[USER], stream=True, stream_options={"include_usage": True})
        chunks = [c.model_dump() for c in stream]
    field = "reasoning_content" if dialect == "moonshot" else "reasoning"
    reasoning = "".join(c["choices"][0]["delta"].get(field) or "" for c in chunks if c["choices"])
    args = "".join(
        t["function"]["arguments"] or ""
        for c in chunks
        if c["choices"]
        for t in c["choices"][0]["delta"].get("tool_calls") or []
    )
    assert reasoning == TOOL_TURN.reasoning
    assert args == ARGS
    usage = chunks[-1]["choices"][0]["usage"] if dialect == "moonshot" else chunks[-1]["usage"]
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0


@pytest.mark.parametrize("dialect", DIALECTS)
def test_non_streaming_with_the_sdk(dialect: Dialect) -> None:
    with ChatServer(lambda body: ANSWER, dialect=dialect) as srv:
        done = chat(srv, messages=[USER])
    message = done.choices[0].message.model_dump()
    assert message["content"] == ANSWER.content
    assert message["reasoning_content" if dialect == "moonshot" else "reasoning"] == ANSWER.reasoning
    assert done.choices[0].finish_reason == "stop"
    assert done.usage is not None and done.usage.total_tokens > 0


def test_models_endpoint() -> None:
    with ChatServer(lambda body: ANSWER, models=("kimi-k2-thinking", "kimi-k2.6"), dialect="vllm") as srv:
        assert [m.id for m in client(srv).models.list()] == ["kimi-k2-thinking", "kimi-k2.6"]
        with urllib.request.urlopen(f"{srv.base_url}/models", timeout=5) as resp:
            body = json.load(resp)
    assert body["object"] == "list"
    assert body["data"][0] == {"id": "kimi-k2-thinking", "object": "model", "created": 0, "owned_by": "k2nb"}


def test_moonshots_model_list_says_what_each_model_takes_and_retired_ones_are_gone() -> None:
    """As kimi-cli reads Moonshot's /v1/models: context_length, supports_reasoning / image_in / video_in."""
    with ChatServer(lambda body: ANSWER, retired=("kimi-k2-thinking", "kimi-k2-thinking-turbo")) as srv:
        with urllib.request.urlopen(f"{srv.base_url}/models", timeout=5) as resp:
            entries = {e["id"]: e for e in json.load(resp)["data"]}
        with pytest.raises(openai.NotFoundError, match="Not found the model kimi-k2-thinking"):
            chat(srv, messages=[USER])
    assert list(entries) == ["kimi-k3", "kimi-k2.7-code", "kimi-k2.7-code-highspeed", "kimi-k2.6", "kimi-k2.5"]
    assert entries["kimi-k3"]["context_length"] == 1_048_576
    assert (entries["kimi-k2.6"]["supports_image_in"], entries["kimi-k2.6"]["supports_video_in"]) == (True, True)
    assert entries["kimi-k2.5"]["supports_reasoning"] is True


def test_requests_are_recorded(server: ChatServer) -> None:
    sdk = client(server)
    for text in ("one", "two"):
        sdk_chat(sdk, messages=[{"role": "user", "content": text}])
    assert [r["messages"][0]["content"] for r in server.requests] == ["one", "two"]
    assert server.requests[0]["model"] == "kimi-k2-thinking"


def test_moonshot_ids_count_across_the_conversation() -> None:
    with ChatServer(lambda body: TOOL_TURN, dialect="moonshot") as srv:
        messages = history({"reasoning_content": "r"})
        done = chat(srv, messages=messages)
    calls = done.choices[0].message.tool_calls
    assert calls is not None and calls[0].id == "code_interpreter:1"


def test_prompt_cache_reports_cached_tokens() -> None:
    with ChatServer(lambda body: ANSWER, dialect="vllm") as srv:
        sdk = client(srv)
        messages: list[Any] = [{"role": "system", "content": "long system prompt " * 50}, USER]
        first = sdk_chat(sdk, messages=messages)
        messages += [{"role": "assistant", "content": "ok"}, {"role": "user", "content": "more"}]
        second = sdk_chat(sdk, messages=messages)
    assert first.usage is not None and second.usage is not None
    assert first.usage.model_dump()["prompt_tokens_details"]["cached_tokens"] == 0
    cached = second.usage.model_dump()["prompt_tokens_details"]["cached_tokens"]
    assert 200 < cached < second.usage.prompt_tokens


# -- errors a strict host returns --------------------------------------------------------------


def test_wrong_key_is_401() -> None:
    with ChatServer(lambda body: ANSWER, api_key="sk-right") as srv:
        with pytest.raises(openai.AuthenticationError) as info:
            chat(srv, "sk-wrong", messages=[USER])
        assert info.value.status_code == 401
        assert info.value.body == {
            "message": "Invalid Authentication",
            "type": "invalid_authentication_error",
            "code": None,
        }
        ok = chat(srv, "sk-right", messages=[USER])
        assert ok.choices[0].message.content == ANSWER.content


def test_unknown_model_is_404(server: ChatServer) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        chat(server, model="kimi-k2-turbo-preview", messages=[USER])
    assert isinstance(info.value.body, dict)
    assert info.value.body["message"] == "Not found the model kimi-k2-turbo-preview or Permission denied"
    assert info.value.body["type"] == "resource_not_found_error"


def test_missing_reasoning_in_tool_call_history_is_400(server: ChatServer) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        chat(server, messages=history(None))
    assert isinstance(info.value.body, dict)
    assert info.value.body["message"] == (
        "thinking is enabled but reasoning_content is missing in assistant tool call message at index 2"
    )
    with pytest.raises(openai.BadRequestError):
        chat(server, messages=history({"reasoning_content": None}))
    # "" is reasoning the model gave: Moonshot's own client (kosong) echoes it so, and it is accepted
    assert chat(server, messages=history({"reasoning_content": ""})).choices[0].finish_reason == "tool_calls"


def test_vllm_accepts_a_history_without_reasoning_as_real_vllm_does() -> None:
    with ChatServer(lambda body: ANSWER, dialect="vllm") as srv:
        done = chat(srv, messages=history(None))
    assert done.choices[0].message.content == ANSWER.content
    with ChatServer(lambda body: ANSWER, dialect="openrouter") as srv, pytest.raises(openai.BadRequestError):
        chat(srv, messages=history(None))  # OpenRouter passes Moonshot's 400 through


@pytest.mark.parametrize(
    "field",
    [{"reasoning_content": "r"}, {"reasoning": "r"}, {"reasoning_details": [{"type": "reasoning.text", "text": "r"}]}],
)
def test_any_reasoning_field_satisfies_the_rule(server: ChatServer, field: dict[str, Any]) -> None:
    done = chat(server, messages=history(field))
    assert done.choices[0].finish_reason == "tool_calls"


def test_lenient_server_accepts_missing_reasoning() -> None:
    with ChatServer(lambda body: ANSWER, strict_reasoning=False) as srv:
        done = chat(srv, messages=history(None))
    assert done.choices[0].message.content == ANSWER.content


def test_unanswered_tool_call_is_400(server: ChatServer) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        chat(server, messages=history({"reasoning_content": "r"}, answered=False))
    assert "code_interpreter:0" in str(info.value)
    stray = [USER, {"role": "tool", "tool_call_id": "nope", "content": "x"}]
    with pytest.raises(openai.BadRequestError):
        chat(server, messages=stray)


def test_responder_error_reply_with_retry_after() -> None:
    error = HttpError(
        429,
        "The engine is currently overloaded",
        "engine_overloaded_error",
        code="engine_overloaded_error",
        retry_after=2,
    )
    with ChatServer(lambda body: Reply(error=error)) as srv:
        request = urllib.request.Request(
            f"{srv.base_url}/chat/completions",
            method="POST",
            data=json.dumps({"model": "kimi-k2-thinking", "messages": [USER]}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(request, timeout=5)
        assert info.value.code == 429
        assert info.value.headers["Retry-After"] == "2"
        assert json.load(info.value) == {
            "error": {
                "message": "The engine is currently overloaded",
                "type": "engine_overloaded_error",
                "code": "engine_overloaded_error",
            }
        }
        with pytest.raises(openai.RateLimitError):
            chat(srv, messages=[USER])


def test_responder_exception_is_500() -> None:
    def boom(body: dict[str, Any]) -> Turn:
        raise RuntimeError("engine broke")

    with ChatServer(boom) as srv:
        with pytest.raises(openai.InternalServerError) as info:
            chat(srv, messages=[USER])
        assert "engine broke" in str(info.value)
        assert isinstance(srv.errors[0], RuntimeError)


# -- stream faults, seen by a raw client -------------------------------------------------------


def test_complete_stream_ends_with_done(server: ChatServer) -> None:
    resp, conn = raw_stream(server)
    assert resp.status == 200
    assert resp.getheader("Content-Type", "").startswith("text/event-stream")
    data = events(resp.read().decode())
    conn.close()
    assert data[-1] == "[DONE]"
    assert json.loads(data[-2])["choices"][0]["finish_reason"] == "tool_calls"


def test_cut_stream() -> None:
    with ChatServer(lambda body: Reply(turn=TOOL_TURN, fault=StreamFault(cut_after_chunks=3))) as srv:
        resp, conn = raw_stream(srv)
        data = events(resp.read().decode())  # a clean end of body, but an incomplete stream
        conn.close()
    assert len(data) == 3
    assert "[DONE]" not in data
    assert all(json.loads(d)["choices"][0]["finish_reason"] is None for d in data)


def test_stream_without_done() -> None:
    with ChatServer(lambda body: Reply(turn=TOOL_TURN, fault=StreamFault(omit_done=True))) as srv:
        resp, conn = raw_stream(srv)
        data = events(resp.read().decode())
        conn.close()
    assert "[DONE]" not in data
    assert json.loads(data[-1])["choices"][0]["finish_reason"] == "tool_calls"


def test_reset_stream() -> None:
    fault = StreamFault(cut_after_chunks=2, reset=True)
    with ChatServer(lambda body: Reply(turn=TOOL_TURN, fault=fault)) as srv:
        sock = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        body = json.dumps({"model": "kimi-k2-thinking", "messages": [USER], "stream": True})
        sock.sendall(
            f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: "
            f"application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}".encode()
        )
        received = b""
        with pytest.raises(ConnectionResetError):
            while chunk := sock.recv(65536):
                received += chunk
                time.sleep(0.05)  # let the RST arrive while data is still unread
        sock.close()
    assert b"[DONE]" not in received


def test_faults_seen_by_the_sdk() -> None:
    reset = StreamFault(cut_after_chunks=2, reset=True)
    with ChatServer(lambda body: Reply(turn=TOOL_TURN, fault=reset)) as srv, pytest.raises(openai.APIConnectionError):
        for _ in chat(srv, messages=[USER], stream=True):
            pass
    # The quirk clients must know: the SDK hides [DONE], so a cut stream just ends quietly.
    # Only the missing finish_reason (or reading the raw events) reveals it.
    cut = StreamFault(cut_after_chunks=4)
    with ChatServer(lambda body: Reply(turn=TOOL_TURN, fault=cut)) as srv:
        chunks = list(chat(srv, messages=[USER], stream=True))
    assert len(chunks) == 4
    assert all(c.choices[0].finish_reason is None for c in chunks)


def test_first_token_delay() -> None:
    fault = StreamFault(first_token_delay=0.4)
    with ChatServer(lambda body: Reply(turn=ANSWER, fault=fault)) as srv:
        start = time.monotonic()
        resp, conn = raw_stream(srv)
        headers_at = time.monotonic() - start
        first = resp.readline()
        first_at = time.monotonic() - start
        rest = resp.read()
        conn.close()
    assert headers_at < 0.3  # headers at once, then silence
    assert first_at >= 0.4
    assert b"[DONE]" in first + rest


def test_tokens_per_second_paces_the_stream() -> None:
    turn = Turn(reasoning="r" * 200, content="c" * 200)  # about 100 tokens
    with ChatServer(lambda body: turn, tokens_per_second=250) as srv:
        start = time.monotonic()
        resp, conn = raw_stream(srv)
        resp.read()
        conn.close()
        elapsed = time.monotonic() - start
    assert 0.3 < elapsed < 3


# -- lifecycle ---------------------------------------------------------------------------------


def test_stop_is_prompt_even_mid_stream() -> None:
    slow = Turn(reasoning="thinking " * 400)
    srv = ChatServer(lambda body: slow, tokens_per_second=5).start()
    resp, conn = raw_stream(srv)

    def read_until_cut() -> None:
        with contextlib.suppress(http.client.IncompleteRead, OSError):
            resp.read()  # the server goes away mid-stream: an incomplete body

    reader = threading.Thread(target=read_until_cut, daemon=True)
    reader.start()
    time.sleep(0.2)
    start = time.monotonic()
    srv.stop()
    assert time.monotonic() - start < 1.0
    reader.join(timeout=2)
    conn.close()
    assert not reader.is_alive()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()


def test_serve_cli_rejects_a_bad_engine() -> None:
    from k2nb.engines.serve import run_serve

    assert run_serve(["--engine", "gpt5", "--port", "0"]) == 2
    assert run_serve(["--engine", "script:/does/not/exist", "--port", "0"]) == 2


# -- the moonshot dialect enforces each model's rules (k2nb/engines/moonshot_rules.py) --------------


def _refused(srv: ChatServer, **body: Any) -> str:
    with pytest.raises(openai.BadRequestError) as info:
        chat(srv, **body)
    assert isinstance(info.value.body, dict)
    return str(info.value.body["message"])


def test_a_fixed_sampling_model_refuses_another_temperature() -> None:
    with ChatServer(lambda body: ANSWER) as srv:
        assert _refused(srv, model="kimi-k2.6", messages=[USER], temperature=0.3) == (
            "invalid temperature: only 1 is allowed for this model"
        )
        thinking_off = {"thinking": {"type": "disabled"}}
        message = _refused(srv, model="kimi-k2.6", messages=[USER], temperature=1.0, extra_body=thinking_off)
        assert message == "invalid temperature: only 0.6 is allowed for this model"
        assert "top_p" in _refused(srv, model="kimi-k3", messages=[USER], top_p=0.5)
        assert chat(srv, model="kimi-k2.6", messages=[USER]).choices[0].message.content  # none sent: fine
        assert chat(srv, model="kimi-k2-thinking", messages=[USER], temperature=0.3)  # not fixed


def test_thinking_cannot_be_switched_off_for_a_model_that_always_thinks() -> None:
    with ChatServer(lambda body: ANSWER) as srv:
        off = {"thinking": {"type": "disabled"}}
        assert "always thinks" in _refused(srv, model="kimi-k2.7-code", messages=[USER], extra_body=off)
        assert chat(srv, model="kimi-k2.5", messages=[USER], extra_body=off)


def test_images_for_a_text_only_model_are_refused() -> None:
    picture = [{"type": "text", "text": "see"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}}]
    with ChatServer(lambda body: ANSWER) as srv:
        assert _refused(srv, messages=[{"role": "user", "content": picture}]) == (
            "image input is not supported by kimi-k2-thinking"
        )
        done = chat(srv, model="kimi-k2.6", messages=[{"role": "user", "content": picture}])
    assert done.usage.model_dump()["prompt_tokens_details"]["image_tokens"] > 0  # reported, as usage is read


def test_preserved_thinking_needs_every_earlier_turns_reasoning() -> None:
    earlier = [USER, {"role": "assistant", "content": "42"}, {"role": "user", "content": "and now?"}]
    keep = {"thinking": {"type": "enabled", "keep": "all"}}
    with ChatServer(lambda body: ANSWER) as srv:
        assert "missing in assistant message at index 1" in _refused(
            srv, model="kimi-k2.6", messages=earlier, extra_body=keep
        )
        assert chat(srv, model="kimi-k2.6", messages=earlier)  # without keep, as before
        assert "at index 1" in _refused(srv, model="kimi-k2.7-code", messages=earlier)  # required there
        earlier[1]["reasoning_content"] = ""
        assert chat(srv, model="kimi-k2.7-code", messages=earlier)


def test_thinking_and_reasoning_effort_are_accepted() -> None:
    with ChatServer(lambda body: ANSWER) as srv:
        extra = {"thinking": {"type": "enabled", "effort": "low"}, "reasoning_effort": "low"}
        assert chat(srv, model="kimi-k3", messages=[USER], extra_body=extra).choices[0].message.content
    assert srv.requests[-1]["reasoning_effort"] == "low"


@pytest.mark.parametrize("field", ["max_tokens", "max_completion_tokens"])
def test_the_output_budget_is_honoured_with_finish_reason_length(field: str) -> None:
    long = Turn(reasoning="r" * 2_000, content="never reached")
    with ChatServer(lambda body: long) as srv:
        done = chat(srv, messages=[USER], **{field: 100})
    assert done.choices[0].finish_reason == "length"
    assert done.choices[0].message.content == ""
    assert done.usage.completion_tokens == 100
