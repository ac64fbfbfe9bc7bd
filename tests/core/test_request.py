"""k2nb/core/request.py: the request body, and the provider-specific fields."""

from __future__ import annotations

import pytest

from k2nb.core.request import build_request, extra_body
from k2nb.errors import ConfigError


def test_build_request_body() -> None:
    tools = [{"type": "function", "function": {"name": "echo", "parameters": {"type": "object"}}}]
    messages = [{"role": "user", "content": "hi"}]
    body = build_request("kimi-k2-thinking", messages, tools, extra={"prompt_cache_key": "session-1"})
    assert body == {
        "model": "kimi-k2-thinking",
        "messages": messages,
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": 32768,
        "temperature": 1.0,
        "tools": tools,
        "tool_choice": "auto",
        "prompt_cache_key": "session-1",
    }
    assert body["messages"] is not messages
    no_tools = build_request("m", messages, [], max_tokens=100, temperature=0.6)
    assert "tools" not in no_tools
    assert "tool_choice" not in no_tools
    assert (no_tools["max_tokens"], no_tools["temperature"]) == (100, 0.6)


def test_request_fields_for_successor_models_and_web_search() -> None:
    body = extra_body(provider="moonshot", model="kimi-k2.6", cache_key="k")
    assert body == {"prompt_cache_key": "k", "thinking": {"type": "enabled"}}
    assert "thinking" not in extra_body(provider="moonshot-cn", model="kimi-k2-thinking", cache_key="k")
    assert extra_body(provider="moonshot", model="kimi-k2.6", cache_key="k", thinking="off")["thinking"] == {
        "type": "disabled"
    }
    assert extra_body(provider="moonshot", model="kimi-k3", cache_key="k")["thinking"] == {"type": "enabled"}
    with pytest.raises(ConfigError, match="kimi-k3 always thinks"):
        extra_body(provider="moonshot", model="kimi-k3", cache_key="k", thinking="off")
    assert extra_body(provider="vllm", model="kimi-k2.6", cache_key="k") == {}  # auto: Moonshot only
    assert extra_body(provider="vllm", model="x", cache_key="k", thinking="on") == {"thinking": {"type": "enabled"}}
    with pytest.raises(ConfigError, match="does not offer"):
        extra_body(provider="openrouter", model="m", cache_key="k", web_search=True)
