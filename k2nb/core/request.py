"""The request body: :func:`build_request`, from what the user asked and the model table's rules (``models``).

Per model and provider (each rule's source is in ``models``):

- the output budget goes in ``max_completion_tokens`` on Moonshot (its guide: the legacy ``max_tokens``
  shares its budget with the reasoning) and in ``max_tokens`` elsewhere, capped at the model's maximum;
- ``temperature`` only where the server does not fix sampling, unless the user set one;
- ``thinking: {"type": …}`` on Moonshot to models that take it (explicit ``enabled``, so a changed
  server default cannot silently drop the reasoning), anywhere with ``--thinking on|off``; ``off`` is
  refused for models that always think. ``keep: "all"`` rides in it with preserved thinking, and
  ``effort`` when ``effort_field`` puts it there; top-level ``reasoning_effort`` otherwise (or both);
- Moonshot's per-session ``prompt_cache_key``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..config import EFFORT_FIELD, MAX_TOKENS, THINKING, THINKING_MODES
from ..errors import ConfigError
from .models import model_info


def is_moonshot(provider: str) -> bool:
    return provider.startswith("moonshot")


@dataclass(frozen=True)
class RequestChoices:
    """What the user asked for, whatever the model; the table decides what each model is sent."""

    provider: str = "custom"
    thinking: str = THINKING.default
    effort: str | None = None
    effort_field: str = EFFORT_FIELD.default
    keep_thinking: bool = False
    temperature: float | None = None  # None: the model's (none where the server fixes sampling)
    web_search: bool = False
    cache_key: str = ""


def keeps_thinking(choices: RequestChoices, model: str) -> bool:
    """Preserved thinking for this model: required by it, or asked for where it is taken (and thinking is on)."""
    info = model_info(model)
    if choices.thinking == "off":
        return False
    return info.keep_thinking == "required" or (
        choices.keep_thinking and (info.keep_thinking == "opt-in" or not info.known)
    )


def check(choices: RequestChoices, model: str) -> list[str]:
    """Raise ``ConfigError`` for what cannot be sent; return one-line notes on what is left out."""
    info = model_info(model)
    if choices.thinking not in THINKING_MODES:
        raise ConfigError(f"--thinking must be one of {', '.join(THINKING_MODES)}, not {choices.thinking!r}.")
    if choices.web_search and not is_moonshot(choices.provider):
        raise ConfigError(
            f"--web-search uses Moonshot's built-in $web_search, which {choices.provider!r} does not offer. "
            "Use --provider moonshot (or moonshot-cn), or drop --web-search."
        )
    if choices.thinking == "off" and info.thinking == "always":
        raise ConfigError(f"{model} always thinks: --thinking off is not available for it (use auto or on).")
    notes = []
    if choices.effort and not info.takes_effort:
        notes.append(f"{model} has no effort levels: --effort {choices.effort} is not sent.")
    if choices.keep_thinking and not keeps_thinking(choices, model):
        why = "with --thinking off" if choices.thinking == "off" else f"{model} does not take thinking.keep"
        notes.append(f"--keep-thinking does not apply ({why}): earlier reasoning may be left out near the window.")
    return notes


def _effort_places(choices: RequestChoices) -> str:
    if choices.effort_field != "auto":
        return choices.effort_field
    # Sources differ on where Moonshot reads it (Kimi's client: inside `thinking`; its docs as quoted by
    # third parties: top-level). It ignores fields it does not know, so both go; other hosts: top-level.
    return "both" if is_moonshot(choices.provider) else "reasoning_effort"


def build_request(
    model: str,
    messages: Sequence[dict[str, Any]],
    tools: Sequence[dict[str, Any]],
    choices: RequestChoices | None = None,
    *,
    max_tokens: int = MAX_TOKENS.default,
) -> dict[str, Any]:
    choices = choices or RequestChoices()
    info = model_info(model)
    moonshot = is_moonshot(choices.provider)
    body: dict[str, Any] = {
        "model": model,
        "messages": list(messages),
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_completion_tokens" if moonshot else "max_tokens": min(max_tokens, info.max_output),
    }
    temperature = choices.temperature if choices.temperature is not None else info.temperature
    if temperature is not None:
        body["temperature"] = temperature
    if tools:  # declared on every request
        body["tools"] = list(tools)
        body["tool_choice"] = "auto"
    if moonshot:
        body["prompt_cache_key"] = choices.cache_key  # stable per session: more cache hits, cheaper input
    effort = choices.effort if choices.effort and info.takes_effort else None
    places = _effort_places(choices)
    thinking: dict[str, Any] = {}
    if choices.thinking in ("on", "off") or (moonshot and info.thinking_field):
        thinking["type"] = "disabled" if choices.thinking == "off" else "enabled"
    if effort and places in ("thinking", "both"):
        thinking = {"type": "enabled", **thinking, "effort": effort}
    if keeps_thinking(choices, model) and info.keep_thinking != "none" and thinking:
        thinking["keep"] = "all"
    if thinking:
        body["thinking"] = thinking
    if effort and places in ("reasoning_effort", "both"):
        body["reasoning_effort"] = effort
    return body


def refusal_hint(model: str, body: dict[str, Any]) -> str | None:
    """What to change when the server refused (400) a request: a sampling value the server fixes."""
    if model_info(model).fixed_sampling and "temperature" in body:
        return (
            f"{model}'s server fixes its sampling and k2nb sent temperature {body['temperature']:g}: "
            "unset it (`%config K2Magics.temperature = None`) and none is sent."
        )
    return None
