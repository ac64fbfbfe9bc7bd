"""The request body: :func:`build_request`, and the provider-specific fields (Moonshot's
``prompt_cache_key`` and the ``thinking`` switch).

``kimi-k2-thinking`` always thinks. Its successors on Moonshot take ``thinking: {"type": …}``:
``kimi-k2.5`` / ``kimi-k2.6`` think by default and can be switched off; ``kimi-k3`` and
``kimi-k2.7-code`` always think (Moonshot ignores the field or refuses "disabled" there). k2nb
sends ``enabled`` to successors on Moonshot by default (``thinking="auto"``: explicit, so a
changed server default cannot silently drop the reasoning), ``--thinking on|off`` sends it to
any provider, and ``off`` for a model that always thinks is refused with a message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..config import MAX_TOKENS, TEMPERATURE, THINKING_MODES
from ..errors import ConfigError

# Models after kimi-k2-thinking that switch thinking with a request field.
SUCCESSOR = re.compile(r"(?:^|/)kimi-k(?:2\.\d+|[3-9])(?:[.-]|$)", re.I)
ALWAYS_THINKS = re.compile(r"(?:^|/)kimi-k(?:[3-9]|2\.7-code|2-thinking)", re.I)


def is_moonshot(provider: str) -> bool:
    return provider.startswith("moonshot")


def takes_thinking_field(model: str) -> bool:
    return SUCCESSOR.search(model) is not None


def extra_body(
    *, provider: str, model: str, cache_key: str, thinking: str = "auto", web_search: bool = False
) -> dict[str, Any]:
    """Fields added to every chat request of a run, beyond the standard ones."""
    if thinking not in THINKING_MODES:
        raise ConfigError(f"--thinking must be one of {', '.join(THINKING_MODES)}, not {thinking!r}.")
    if web_search and not is_moonshot(provider):
        raise ConfigError(
            f"--web-search uses Moonshot's built-in $web_search, which {provider!r} does not offer. "
            "Use --provider moonshot (or moonshot-cn), or drop --web-search."
        )
    extra: dict[str, Any] = {}
    if is_moonshot(provider):
        extra["prompt_cache_key"] = cache_key  # stable per session: more cache hits, cheaper input
    if thinking == "on" or (thinking == "auto" and is_moonshot(provider) and takes_thinking_field(model)):
        extra["thinking"] = {"type": "enabled"}
    elif thinking == "off":
        if ALWAYS_THINKS.search(model):
            raise ConfigError(f"{model} always thinks: --thinking off is not available for it (use auto or on).")
        extra["thinking"] = {"type": "disabled"}
    return extra


def build_request(
    model: str,
    messages: Sequence[dict[str, Any]],
    tools: Sequence[dict[str, Any]],
    *,
    max_tokens: int = MAX_TOKENS.default,
    temperature: float = TEMPERATURE.default,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": model,
        "messages": list(messages),
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": max_tokens,
        "temperature": temperature,
    }
    if tools:  # declared on every request
        body["tools"] = list(tools)
        body["tool_choice"] = "auto"
    if extra:
        body.update(extra)
    return body
