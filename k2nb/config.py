"""Settings: provider presets, environment variables, defaults and the price table.

Resolution order for each setting: per-cell flag > ``%config K2Magics.…`` > environment > preset.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from .errors import ConfigError

ApproveMode = Literal["auto", "ask", "never"]
APPROVE_MODES: tuple[ApproveMode, ...] = ("auto", "ask", "never")

DEFAULT_MODEL = "kimi-k2-thinking"
DEFAULT_MAX_TOKENS = 32768  # reasoning counts against it; Moonshot's default (~1k) ends in empty answers
DEFAULT_TEMPERATURE = 1.0
DEFAULT_MAX_STEPS = 50
DEFAULT_TOOL_TIMEOUT = 120.0


@dataclass(frozen=True)
class Preset:
    name: str
    base_url: str | None
    model: str
    key_env: tuple[str, ...] = ()
    needs_key: bool = True
    note: str = ""


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "moonshot",
            "https://api.moonshot.ai/v1",
            DEFAULT_MODEL,
            ("MOONSHOT_API_KEY",),
            note="platform.moonshot.ai (international)",
        ),
        Preset(
            "moonshot-cn",
            "https://api.moonshot.cn/v1",
            DEFAULT_MODEL,
            ("MOONSHOT_API_KEY",),
            note="platform.moonshot.cn (China); keys differ from the international platform",
        ),
        Preset(
            "openrouter",
            "https://openrouter.ai/api/v1",
            "moonshotai/kimi-k2-thinking",
            ("OPENROUTER_API_KEY",),
        ),
        Preset(
            "novita",
            "https://api.novita.ai/openai/v1",
            "moonshotai/kimi-k2-thinking",
            ("NOVITA_API_KEY",),
        ),
        Preset(
            "vllm",
            "http://localhost:8000/v1",
            DEFAULT_MODEL,
            (),
            needs_key=False,
            note="self-hosted vLLM (--reasoning-parser kimi_k2 --tool-call-parser kimi_k2)",
        ),
        Preset(
            "sglang",
            "http://localhost:30000/v1",
            DEFAULT_MODEL,
            (),
            needs_key=False,
            note="self-hosted SGLang",
        ),
        Preset(
            "toy",
            None,
            DEFAULT_MODEL,
            (),
            needs_key=False,
            note="offline toy engine on loopback: no key, no network",
        ),
    )
}

# USD per 1M tokens: (input cache hit, input cache miss, output). Moonshot list prices.
DEFAULT_PRICES: dict[str, tuple[float, float, float]] = {
    "kimi-k2-thinking": (0.15, 0.60, 2.50),
    "kimi-k2-thinking-turbo": (0.15, 1.15, 8.00),
    "moonshotai/kimi-k2-thinking": (0.15, 0.60, 2.50),
}


@dataclass(frozen=True)
class ProviderSettings:
    """Where requests go. The key is never part of the repr (it must not reach outputs or logs)."""

    provider: str
    base_url: str | None
    model: str
    api_key: str | None = field(default=None, repr=False)
    notice: str = ""  # one line shown to the user (e.g. "using the offline toy engine")

    @property
    def is_toy(self) -> bool:
        return self.provider == "toy"

    def with_base_url(self, base_url: str) -> ProviderSettings:
        return replace(self, base_url=base_url)


def resolve_provider(
    *,
    provider: str | None = None,
    base_url: str | None = None,
    model: str | None = None,
    api_key: str | None = None,
    env: Mapping[str, str] | None = None,
) -> ProviderSettings:
    """Decide provider, URL, model and key from flags/config (arguments) and the environment."""
    env = os.environ if env is None else env
    base_url = base_url or env.get("K2NB_BASE_URL") or None
    model = model or env.get("K2NB_MODEL") or None
    provider = provider or env.get("K2NB_PROVIDER") or None
    if provider is not None and provider not in PRESETS:
        raise ConfigError(
            f"unknown provider {provider!r}. Choose one of: {', '.join(PRESETS)} "
            "(or give --base-url for any OpenAI-compatible server)."
        )
    preset = PRESETS.get(provider) if provider else None
    key = api_key or env.get("K2NB_API_KEY") or None
    if key is None:
        # A provider's own key variable only; MOONSHOT_API_KEY is the default provider's.
        fallback = preset.key_env if preset else (() if base_url else ("MOONSHOT_API_KEY",))
        for name in fallback:
            if env.get(name):
                key = env[name]
                break

    if preset is None and base_url is None:
        if key is None:
            return ProviderSettings(
                "toy",
                None,
                model or DEFAULT_MODEL,
                notice="k2nb: no API key set (K2NB_API_KEY or MOONSHOT_API_KEY): using the offline toy engine.",
            )
        preset = PRESETS["moonshot"]
    if preset is not None and preset.name == "toy":
        return ProviderSettings("toy", None, model or preset.model)
    url = base_url or (preset.base_url if preset else None)
    assert url is not None
    if key is None and preset is not None and preset.needs_key and base_url is None:
        names = " or ".join(("K2NB_API_KEY", *preset.key_env))
        raise ConfigError(
            f"no API key for {preset.name}: set {names} in the kernel's environment "
            "(e.g. %env K2NB_API_KEY=…), or run with --provider toy to try k2nb offline."
        )
    return ProviderSettings(
        provider=preset.name if preset else "custom",
        base_url=url.rstrip("/"),
        model=model or (preset.model if preset else DEFAULT_MODEL),
        api_key=key,
    )


def price_of(model: str, prices: Mapping[str, tuple[float, float, float]]) -> tuple[float, float, float] | None:
    return prices.get(model) or prices.get(model.rsplit("/", 1)[-1])


def cost_usd(
    model: str,
    prompt_tokens: int,
    cached_tokens: int,
    completion_tokens: int,
    prices: Mapping[str, tuple[float, float, float]] = DEFAULT_PRICES,
) -> float | None:
    price = price_of(model, prices)
    if price is None:
        return None
    hit, miss, out = price
    uncached = max(prompt_tokens - cached_tokens, 0)
    return (cached_tokens * hit + uncached * miss + completion_tokens * out) / 1_000_000


# Offline engines spend nothing: their figures are what the same tokens would cost on Moonshot.
SIMULATED_PROVIDERS = frozenset({"toy", "replay"})


def cost_text(cost: float | None, provider: str) -> str:
    """A cost as every view shows it: "$0.0012", or "$0.0012 simulated" for the offline engines."""
    if cost is None:
        return ""
    return f"${cost:.4f}" + (" simulated" if provider in SIMULATED_PROVIDERS else "")
