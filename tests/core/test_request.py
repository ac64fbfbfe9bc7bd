"""k2nb/core/request.py: the request body per model and provider, one test per quirk (sources in core/models.py)."""

from __future__ import annotations

from typing import Any

import pytest

from k2nb.config import MAX_TOKENS
from k2nb.core.request import RequestChoices, build_request, check, keeps_thinking, refusal_hint
from k2nb.errors import ConfigError

MESSAGES = [{"role": "user", "content": "hi"}]
TOOLS = [{"type": "function", "function": {"name": "echo", "parameters": {"type": "object"}}}]


def body(model: str, provider: str = "moonshot", **asked: Any) -> dict[str, Any]:
    return build_request(model, MESSAGES, TOOLS, RequestChoices(provider=provider, cache_key="session-1", **asked))


def test_the_body_every_provider_gets() -> None:
    sent = build_request("kimi-k2-thinking", MESSAGES, TOOLS, RequestChoices(provider="vllm"))
    assert sent == {
        "model": "kimi-k2-thinking",
        "messages": MESSAGES,
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": 32768,
        "temperature": 1.0,
        "tools": TOOLS,
        "tool_choice": "auto",
    }
    assert sent["messages"] is not MESSAGES
    no_tools = build_request("m", MESSAGES, [], max_tokens=100)
    assert "tools" not in no_tools and "tool_choice" not in no_tools


# -- the output budget ----------------------------------------------------------------------------
def test_moonshot_gets_max_completion_tokens_not_the_legacy_max_tokens() -> None:
    sent = body("kimi-k2.6")
    assert sent["max_completion_tokens"] == MAX_TOKENS.default
    assert MAX_TOKENS.default >= 16_000  # Moonshot's guide: at least 16,000
    assert "max_tokens" not in sent


@pytest.mark.parametrize("provider", ["openrouter", "novita", "vllm", "sglang", "custom"])
def test_other_providers_keep_max_tokens(provider: str) -> None:
    sent = body("kimi-k2.6", provider)
    assert sent["max_tokens"] == 32768
    assert "max_completion_tokens" not in sent


def test_the_budget_is_capped_at_the_models_maximum_output() -> None:
    capped = build_request("kimi-k2-thinking", MESSAGES, [], RequestChoices(provider="vllm"), max_tokens=10**6)
    assert capped["max_tokens"] == 65_536


# -- sampling ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("model", ["kimi-k2.5", "kimi-k2.6", "kimi-k2.7-code", "kimi-k3"])
def test_no_temperature_for_models_whose_server_fixes_sampling(model: str) -> None:
    for provider in ("moonshot", "openrouter", "vllm"):
        sent = body(model, provider)
        assert not {"temperature", "top_p", "n", "presence_penalty", "frequency_penalty"} & set(sent)


def test_kimi_k2_thinking_gets_its_recommended_temperature() -> None:
    assert body("kimi-k2-thinking")["temperature"] == 1.0
    assert body("moonshotai/kimi-k2-thinking", "openrouter")["temperature"] == 1.0


def test_a_temperature_the_user_set_is_sent_even_where_sampling_is_fixed() -> None:
    sent = body("kimi-k2.6", temperature=0.3)
    assert sent["temperature"] == 0.3
    hint = refusal_hint("kimi-k2.6", sent)
    assert hint is not None and "K2Magics.temperature = None" in hint
    assert refusal_hint("kimi-k2-thinking", body("kimi-k2-thinking", temperature=0.3)) is None
    assert refusal_hint("kimi-k2.6", body("kimi-k2.6")) is None


# -- thinking ---------------------------------------------------------------------------------------
def test_kimi_k2_thinking_gets_no_thinking_field() -> None:
    assert "thinking" not in body("kimi-k2-thinking")
    assert "thinking" not in body("kimi-k2-thinking-turbo", "moonshot-cn")


@pytest.mark.parametrize("model", ["kimi-k2.5", "kimi-k2.6", "kimi-k2.7-code", "kimi-k3"])
def test_successors_on_moonshot_get_thinking_enabled_explicitly(model: str) -> None:
    assert body(model)["thinking"]["type"] == "enabled"


def test_thinking_auto_sends_nothing_beyond_moonshot() -> None:
    assert "thinking" not in body("kimi-k2.6", "vllm")
    assert "thinking" not in body("moonshotai/kimi-k2.6", "openrouter")


def test_thinking_on_or_off_is_sent_to_any_provider() -> None:
    assert body("x", "vllm", thinking="on")["thinking"] == {"type": "enabled"}
    assert body("kimi-k2.6", "vllm", thinking="off")["thinking"] == {"type": "disabled"}
    assert body("kimi-k2.6", thinking="off")["thinking"] == {"type": "disabled"}


@pytest.mark.parametrize("model", ["kimi-k2-thinking", "kimi-k2.7-code", "kimi-k3"])
def test_thinking_off_is_refused_for_models_that_always_think(model: str) -> None:
    with pytest.raises(ConfigError, match=f"{model} always thinks"):
        check(RequestChoices(provider="moonshot", thinking="off"), model)


# -- preserved thinking -----------------------------------------------------------------------------
def test_keep_thinking_sends_keep_all_to_kimi_k2_6() -> None:
    assert body("kimi-k2.6", keep_thinking=True)["thinking"] == {"type": "enabled", "keep": "all"}
    assert body("kimi-k2.6")["thinking"] == {"type": "enabled"}  # opt-in


def test_keep_is_always_on_for_kimi_k2_7_code() -> None:
    assert body("kimi-k2.7-code")["thinking"] == {"type": "enabled", "keep": "all"}
    assert keeps_thinking(RequestChoices(), "kimi-k2.7-code-highspeed")


def test_keep_thinking_where_the_model_has_no_keep_is_a_note_not_a_field() -> None:
    choices = RequestChoices(provider="moonshot", keep_thinking=True)
    assert "keep" not in body("kimi-k2.5", keep_thinking=True)["thinking"]
    assert check(choices, "kimi-k2.5") == [
        "--keep-thinking does not apply (kimi-k2.5 does not take thinking.keep): "
        "earlier reasoning may be left out near the window."
    ]
    assert not keeps_thinking(choices, "kimi-k2.5")
    assert not keeps_thinking(RequestChoices(keep_thinking=True, thinking="off"), "kimi-k2.6")
    assert keeps_thinking(RequestChoices(keep_thinking=True), "served-k2")  # unknown: the user knows best


# -- effort -----------------------------------------------------------------------------------------
def test_effort_goes_inside_thinking_and_top_level_on_moonshot() -> None:
    sent = body("kimi-k3", effort="low")
    assert sent["thinking"] == {"type": "enabled", "effort": "low"}  # where Kimi's own client sends it
    assert sent["reasoning_effort"] == "low"  # where Moonshot's docs put it, as third parties quote them


def test_effort_is_top_level_reasoning_effort_on_other_providers() -> None:
    sent = body("moonshotai/kimi-k3", "openrouter", effort="high")
    assert sent["reasoning_effort"] == "high"
    assert "thinking" not in sent


@pytest.mark.parametrize(
    ("field", "inside", "top"), [("thinking", True, False), ("reasoning_effort", False, True), ("both", True, True)]
)
def test_effort_field_chooses_the_place(field: str, inside: bool, top: bool) -> None:
    for provider in ("moonshot", "vllm"):
        sent = body("kimi-k3", provider, effort="max", effort_field=field)
        assert ("effort" in sent.get("thinking", {})) == inside
        assert ("reasoning_effort" in sent) == top


def test_effort_for_a_model_without_levels_is_not_sent_and_says_so() -> None:
    sent = body("kimi-k2.6", effort="low")
    assert "reasoning_effort" not in sent and "effort" not in sent["thinking"]
    assert check(RequestChoices(provider="moonshot", effort="low"), "kimi-k2.6") == [
        "kimi-k2.6 has no effort levels: --effort low is not sent."
    ]


# -- Moonshot's other fields ------------------------------------------------------------------------
def test_moonshot_gets_the_sessions_prompt_cache_key() -> None:
    assert body("kimi-k2.6", "moonshot-cn")["prompt_cache_key"] == "session-1"
    assert "prompt_cache_key" not in body("kimi-k2.6", "openrouter")


def test_web_search_is_refused_beyond_moonshot() -> None:
    assert check(RequestChoices(provider="moonshot", web_search=True), "kimi-k2.6") == []
    with pytest.raises(ConfigError, match="does not offer"):
        check(RequestChoices(provider="openrouter", web_search=True), "m")
    with pytest.raises(ConfigError, match="--thinking must be one of"):
        check(RequestChoices(thinking="maybe"), "m")
