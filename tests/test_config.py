"""k2nb/config.py: which provider, model and key a run uses."""

from __future__ import annotations

import pytest

from k2nb.config import DEFAULT_MODEL, MOONSHOT_DEFAULT_MODEL, PRESETS, resolve_provider
from k2nb.core.models import model_info
from k2nb.errors import ConfigError


def test_no_key_falls_back_to_the_toy_engine_with_a_notice() -> None:
    settings = resolve_provider(env={})
    assert settings.is_toy
    assert settings.base_url is None
    assert settings.model == DEFAULT_MODEL
    assert "K2NB_API_KEY" in settings.notice
    assert "MOONSHOT_API_KEY" in settings.notice
    assert "toy" in settings.notice


def test_a_moonshot_key_selects_moonshot_and_its_recommended_model() -> None:
    settings = resolve_provider(env={"MOONSHOT_API_KEY": "sk-moon"})
    assert (settings.provider, settings.base_url, settings.model, settings.api_key) == (
        "moonshot",
        "https://api.moonshot.ai/v1",
        "kimi-k2.6",
        "sk-moon",
    )
    assert settings.model_is_default  # chosen by k2nb: a 404 may fall back to what the server offers
    assert settings.notice == ""
    assert "sk-moon" not in repr(settings)  # the key never reaches outputs or logs


def test_the_default_models_are_rows_of_the_model_table() -> None:
    """Moonshot's presets use its recommended model; OpenRouter, Novita and self-hosted K2 serve kimi-k2-thinking."""
    assert model_info(MOONSHOT_DEFAULT_MODEL).general and model_info(MOONSHOT_DEFAULT_MODEL).thinking != "optional"
    for preset in PRESETS.values():
        assert model_info(preset.model).known, preset.name
    assert {PRESETS["moonshot"].model, PRESETS["moonshot-cn"].model} == {"kimi-k2.6"}
    assert PRESETS["openrouter"].model == "moonshotai/kimi-k2-thinking"
    assert PRESETS["vllm"].model == DEFAULT_MODEL == "kimi-k2-thinking"


def test_a_model_the_user_names_is_never_default() -> None:
    for named in (
        resolve_provider(model="kimi-k2.6", env={"MOONSHOT_API_KEY": "k"}),
        resolve_provider(env={"MOONSHOT_API_KEY": "k", "K2NB_MODEL": "kimi-k2.6"}),
    ):
        assert not named.model_is_default


def test_arguments_beat_environment_beat_preset() -> None:
    env = {
        "K2NB_PROVIDER": "moonshot-cn",
        "K2NB_MODEL": "kimi-k2-thinking-turbo",
        "K2NB_API_KEY": "sk-k2nb",
        "MOONSHOT_API_KEY": "sk-moon",
    }
    from_env = resolve_provider(env=env)
    assert (from_env.provider, from_env.base_url, from_env.model, from_env.api_key) == (
        "moonshot-cn",
        "https://api.moonshot.cn/v1",
        "kimi-k2-thinking-turbo",
        "sk-k2nb",
    )
    from_args = resolve_provider(
        provider="vllm",
        model="served-k2",
        base_url="http://gpu-node:8000/v1/",
        api_key="sk-arg",
        env=env,
    )
    assert (from_args.provider, from_args.base_url, from_args.model, from_args.api_key) == (
        "vllm",
        "http://gpu-node:8000/v1",
        "served-k2",
        "sk-arg",
    )


@pytest.mark.parametrize("name", sorted(set(PRESETS) - {"toy"}))
def test_each_preset_resolves(name: str) -> None:
    preset = PRESETS[name]
    env = {preset.key_env[0]: "sk-x"} if preset.key_env else {}
    settings = resolve_provider(provider=name, env=env)
    assert settings.provider == name
    assert settings.base_url == preset.base_url
    assert settings.model == preset.model
    assert settings.api_key == ("sk-x" if preset.key_env else None)


def test_openrouter_preset() -> None:
    settings = resolve_provider(provider="openrouter", env={"OPENROUTER_API_KEY": "sk-or"})
    assert (settings.base_url, settings.model, settings.api_key) == (
        "https://openrouter.ai/api/v1",
        "moonshotai/kimi-k2-thinking",
        "sk-or",
    )


def test_custom_base_url_needs_no_key() -> None:
    settings = resolve_provider(env={"K2NB_BASE_URL": "http://localhost:30000/v1"})
    assert (settings.provider, settings.base_url, settings.api_key) == (
        "custom",
        "http://localhost:30000/v1",
        None,
    )


def test_toy_provider_is_explicit_and_silent() -> None:
    settings = resolve_provider(provider="toy", env={"MOONSHOT_API_KEY": "sk"})
    assert settings.is_toy
    assert settings.notice == ""


@pytest.mark.parametrize(
    ("provider", "variable"),
    [("moonshot", "MOONSHOT_API_KEY"), ("openrouter", "OPENROUTER_API_KEY"), ("novita", "NOVITA_API_KEY")],
)
def test_missing_key_names_the_variable_to_set(provider: str, variable: str) -> None:
    with pytest.raises(ConfigError) as info:
        resolve_provider(provider=provider, env={})
    message = str(info.value)
    assert message.startswith("k2nb: no API key for " + provider)
    assert "K2NB_API_KEY" in message
    assert variable in message
    assert "--provider toy" in message


def test_a_moonshot_key_is_never_sent_to_another_host() -> None:
    with pytest.raises(ConfigError, match="OPENROUTER_API_KEY"):
        resolve_provider(provider="openrouter", env={"MOONSHOT_API_KEY": "sk-moon"})


def test_unknown_provider_lists_the_choices() -> None:
    with pytest.raises(ConfigError) as info:
        resolve_provider(provider="moonshoot", env={})
    message = str(info.value)
    assert "unknown provider 'moonshoot'" in message
    for name in ("moonshot", "moonshot-cn", "openrouter", "vllm", "sglang", "toy"):
        assert name in message
    assert "--base-url" in message
