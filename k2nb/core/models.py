"""The K2 family's rules, one row per model: thinking, preserved thinking, sampling, effort, context, input, prices.

Request building (``request``), context fitting (``context_window``), cost, ``%k2 models``, the fallback
from a retired default and the README's model table all read this table; nothing else names a model's
rules. :func:`model_info` understands provider prefixes (``moonshotai/kimi-k2.6``) and variant suffixes
(``-turbo``, ``-highspeed``, dated ids); an id it does not know gets :data:`UNKNOWN`, whose defaults are
the safe ones (no fields it may not take, text only, a 128k window).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Literal

Thinking = Literal["always", "on-by-default", "optional"]
Keep = Literal["none", "opt-in", "required"]
Prices = tuple[float, float, float]  # USD per 1M tokens: input cache hit, input cache miss, output


@dataclass(frozen=True)
class Model:
    """What k2nb knows about one model id, each rule with its source (the README's model table)."""

    id: str
    released: str  # "YYYY-MM": the fallback from a retired default picks the newest
    thinking: Thinking  # always thinks / thinks unless switched off / the user decides (unknown models)
    thinking_field: bool  # takes `thinking: {"type": "enabled" | "disabled"}`
    keep_thinking: Keep  # preserved thinking: `thinking.keep = "all"`
    fixed_sampling: bool  # the server fixes temperature, top_p, n and penalties: send none
    temperature: float | None  # what k2nb sends when the user sets none (None: nothing)
    effort_levels: tuple[str, ...] = ()
    context_window: int = 262_144
    max_output: int = 262_144
    images: bool = False
    video: bool = False
    prices: Prices | None = None
    general: bool = True  # False: a specialist (coding), a fallback only when no general model is offered
    source: str = ""
    known: bool = True

    @property
    def takes_effort(self) -> bool:
        return bool(self.effort_levels) or not self.known  # an unknown model: the user knows best


K2_THINKING = Model(
    "kimi-k2-thinking",
    released="2025-11",
    thinking="always",  # a thinking-only model; it predates the `thinking` switch (Moonshot's guide)
    thinking_field=False,
    keep_thinking="none",
    fixed_sampling=False,
    temperature=1.0,  # "temperature 1.0 recommended for the thinking series" (Moonshot's guide)
    max_output=65_536,  # hosts' model cards list 64k (OpenRouter, Puter)
    prices=(0.15, 0.60, 2.50),  # Moonshot list price
    source="Moonshot guide; third-party docs (promptfoo) say discontinued on Moonshot in 2026",
)
K2_THINKING_TURBO = replace(K2_THINKING, id="kimi-k2-thinking-turbo", prices=(0.15, 1.15, 8.00))
K2_5 = Model(
    "kimi-k2.5",
    released="2026-01",
    thinking="on-by-default",  # `thinking: {"type": "disabled"}` switches it off (Moonshot's guide)
    thinking_field=True,
    keep_thinking="none",
    fixed_sampling=True,  # 400 "invalid temperature: only 1 is allowed for this model" (0.6 without thinking)
    temperature=None,
    images=True,  # Moonshot's vision guide: content arrays with image_url parts
    prices=(0.10, 0.60, 3.00),  # Moonshot pay-as-you-go rates as quoted by third parties (OpenClaw)
    source="Moonshot guide; temperature 400s reported in client trackers (opencode, hermes-agent)",
)
K2_6 = Model(
    "kimi-k2.6",
    released="2026-04",
    thinking="on-by-default",
    thinking_field=True,
    keep_thinking="opt-in",  # `thinking.keep = "all"` (kosong's ThinkingConfig.keep)
    fixed_sampling=True,  # temperature, top_p, n and penalties "cannot be modified" (Moonshot's guide)
    temperature=None,
    images=True,
    video=True,  # kimi-cli's capabilities for K2 ids: image_in, video_in
    prices=(0.16, 0.95, 4.00),  # Moonshot pay-as-you-go rates as quoted by third parties (OpenClaw)
    source="Moonshot guide (its recommended model); kosong (thinking.keep)",
)
K2_7_CODE = Model(
    "kimi-k2.7-code",
    released="2026-06",
    thinking="always",  # the `thinking` field takes only "enabled"; "disabled" is an error
    thinking_field=True,
    keep_thinking="required",  # every earlier turn's reasoning_content must come back as it was
    fixed_sampling=True,
    temperature=None,
    images=True,  # text + vision (gateway model cards)
    prices=(0.16, 0.95, 4.00),  # gateways list K2.6's rates; Moonshot's own not confirmed
    general=False,  # a coding model
    source="Moonshot guide; always-on thinking verified by a third party against api.moonshot.ai (synaps-engine)",
)
K2_7_CODE_HIGHSPEED = replace(K2_7_CODE, id="kimi-k2.7-code-highspeed", prices=None)  # price not published
K3 = Model(
    "kimi-k3",
    released="2026-07",
    thinking="always",  # reasoning cannot be disabled
    thinking_field=True,  # Kimi's own client sends `thinking: {"type": "enabled"}` to always-thinking models
    keep_thinking="none",
    fixed_sampling=True,  # 400 "invalid temperature: only 1 is allowed" reported for K3
    temperature=None,
    effort_levels=("low", "high", "max"),  # the server's default is max
    context_window=1_048_576,
    max_output=131_072,
    images=True,  # native vision
    prices=(0.30, 3.00, 15.00),  # Together AI's flat rate; Moonshot's own not confirmed
    source="Moonshot (July 2026); effort levels per Together AI and synaps-engine; see `effort_field`",
)
UNKNOWN = Model(
    "",
    released="",
    thinking="optional",  # nothing is sent unless the user asks (--thinking on|off)
    thinking_field=False,
    keep_thinking="none",
    fixed_sampling=False,
    temperature=1.0,  # k2nb's default before the table (the K2 thinking recommendation)
    context_window=131_072,  # a small window fits every server; set context_budget for more
    max_output=131_072,
    source="safe defaults for ids not in this table",
    known=False,
)

# Newest first: the order of the README's table and of `%k2 models`.
MODELS: tuple[Model, ...] = (K3, K2_7_CODE, K2_7_CODE_HIGHSPEED, K2_6, K2_5, K2_THINKING, K2_THINKING_TURBO)
BY_ID: dict[str, Model] = {m.id: m for m in MODELS}


def model_info(model: str) -> Model:
    """The row for ``model``: exact id, then a provider prefix dropped, then a variant of a known id."""
    name = model.rsplit("/", 1)[-1].lower()  # moonshotai/kimi-k2.6, moonshotai/Kimi-K3
    if name in BY_ID:
        return BY_ID[name]
    for known in sorted(BY_ID, key=len, reverse=True):  # kimi-k2.6-20260420, kimi-k3-preview
        if name.startswith(known + "-"):
            return BY_ID[known]
    return UNKNOWN


def fallback_model(offered: Iterable[str]) -> str | None:
    """The model to use when the default one is not offered: the newest K2-family thinking model on the
    server's list, general models before specialists (coding), base ids before their variants."""
    candidates = [m for m in offered if model_info(m).known]
    if not candidates:
        return None

    def rank(model: str) -> tuple[bool, str, int]:
        info = model_info(model)
        return (info.general, info.released, -len(model))

    return max(candidates, key=rank)


# -- cost ------------------------------------------------------------------------------------------


def price_of(model: str, overrides: Mapping[str, Prices] | None = None) -> Prices | None:
    """``%config K2Magics.prices`` for this id (with or without its provider prefix), else the table's."""
    overrides = overrides or {}
    return overrides.get(model) or overrides.get(model.rsplit("/", 1)[-1]) or model_info(model).prices


def cost_usd(
    model: str,
    prompt_tokens: int,
    cached_tokens: int,
    completion_tokens: int,
    prices: Mapping[str, Prices] | None = None,
) -> float | None:
    """What the tokens cost (cache hits at their own price); None when no price is known."""
    return tokens_cost(price_of(model, prices), prompt_tokens, cached_tokens, completion_tokens)


def tokens_cost(price: Prices | None, prompt_tokens: int, cached_tokens: int, completion_tokens: int) -> float | None:
    """What the tokens cost at ``price`` (cache hit, cache miss, output per 1M); None without a price."""
    if price is None:
        return None
    hit, miss, out = price
    uncached = max(prompt_tokens - cached_tokens, 0)
    return (cached_tokens * hit + uncached * miss + completion_tokens * out) / 1_000_000


# -- context ---------------------------------------------------------------------------------------

ESTIMATE_MARGIN = 0.9  # the token estimate is rough (about four characters a token): keep 10% spare


def context_budget(model: str, max_tokens: int) -> int:
    """Estimated prompt tokens a request may carry: the window, less room for the answer, less a margin."""
    window = model_info(model).context_window
    return int((window - min(max_tokens, window // 4)) * ESTIMATE_MARGIN)


# -- how the table reads -----------------------------------------------------------------------------

_THINKING_TEXT = {"always": "always thinks", "on-by-default": "thinks (can switch off)", "optional": "you decide"}


def _tokens(n: int) -> str:
    return f"{n // 1_048_576}M" if n >= 1_048_576 and n % 1_048_576 == 0 else f"{n // 1024}k"


def inputs(info: Model) -> str:
    return ", ".join(["text", *(["images"] if info.images else []), *(["video"] if info.video else [])])


def price_text(prices: Prices | None) -> str:
    return "—" if prices is None else " / ".join(f"${p:.2f}" for p in prices)


def describe(model: str) -> str:
    """One line for ``%k2 models``: what k2nb will send and what it costs."""
    info = model_info(model)
    if not info.known:
        return f"not in k2nb's model table: safe defaults ({_tokens(info.context_window)} context, text only)"
    parts = [f"{_tokens(info.context_window)} context", _THINKING_TEXT[info.thinking]]
    if info.keep_thinking != "none":
        parts.append(f"keeps thinking ({info.keep_thinking})")
    if info.effort_levels:
        parts.append("effort " + "/".join(info.effort_levels))
    parts.append(inputs(info))
    if info.prices:
        parts.append(f"{price_text(info.prices)} per 1M (cache hit / miss / output)")
    return " · ".join(parts)


def table_markdown() -> str:
    """The README's model table: what k2nb sends to each model and where each rule comes from."""
    head = ("model", "thinking", "`thinking.keep`", "sampling", "effort", "context", "input", "USD / 1M", "source")
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for m in (*MODELS, UNKNOWN):
        name = f"`{m.id}`" if m.known else "any other id"
        if m.thinking_field:
            field = "`enabled` sent on Moonshot" + (
                "" if m.thinking == "always" else ", `disabled` with `--thinking off`"
            )
        else:
            field = "no `thinking` field" if m.known else "the field only with `--thinking on` / `off`"
        thinking = f"{_THINKING_TEXT[m.thinking]}; {field}"
        keep = {"none": "—", "opt-in": "`--keep-thinking`", "required": "always"}[m.keep_thinking]
        sampling = "fixed by the server: none sent" if m.fixed_sampling else f"`temperature` {m.temperature:g}"
        effort = "/".join(m.effort_levels) if m.effort_levels else ("sent if asked" if not m.known else "—")
        lines.append(
            f"| {name} | {thinking} | {keep} | {sampling} | {effort} | {_tokens(m.context_window)} | "
            f"{inputs(m)} | {price_text(m.prices)} | {m.source} |"
        )
    return "\n".join(lines)
