"""k2nb/core/models.py: one table of the K2 family's rules; lookups, the fallback choice, cost and the budget."""

from __future__ import annotations

import pytest

from k2nb.core.models import (
    MODELS,
    UNKNOWN,
    context_budget,
    cost_usd,
    describe,
    fallback_model,
    model_info,
    table_markdown,
)


@pytest.mark.parametrize(
    ("name", "row"),
    [
        ("kimi-k2.6", "kimi-k2.6"),
        ("moonshotai/kimi-k2.6", "kimi-k2.6"),  # OpenRouter / Novita prefix
        ("moonshotai/Kimi-K3", "kimi-k3"),  # Together's casing
        ("kimi-k2-thinking-turbo", "kimi-k2-thinking-turbo"),
        ("kimi-k2.7-code-highspeed", "kimi-k2.7-code-highspeed"),
        ("kimi-k2.6-20260420", "kimi-k2.6"),  # a dated id of a known model
        ("kimi-k3-preview", "kimi-k3"),
    ],
)
def test_lookup_understands_prefixes_and_suffixes(name: str, row: str) -> None:
    assert model_info(name).id == row


@pytest.mark.parametrize("name", ["served-k2", "kimi-k2-0905-preview", "moonshot-v1-8k", "gpt-4o", ""])
def test_unknown_ids_get_the_safe_defaults(name: str) -> None:
    info = model_info(name)
    assert info is UNKNOWN
    assert not info.images and not info.thinking_field and not info.fixed_sampling
    assert info.context_window == 131_072  # fits every server; context_budget widens it
    assert info.temperature == 1.0


def test_each_rule_of_the_family() -> None:
    k2, k25, k26, code, k3 = (
        model_info(m) for m in ("kimi-k2-thinking", "kimi-k2.5", "kimi-k2.6", "kimi-k2.7-code", "kimi-k3")
    )
    assert (k2.thinking, k2.thinking_field, k2.fixed_sampling, k2.temperature) == ("always", False, False, 1.0)
    assert (k25.thinking, k25.keep_thinking, k25.fixed_sampling, k25.images) == ("on-by-default", "none", True, True)
    assert (k26.keep_thinking, k26.images, k26.video) == ("opt-in", True, True)
    assert (code.thinking, code.keep_thinking, code.general) == ("always", "required", False)
    assert (k3.thinking, k3.effort_levels, k3.context_window) == ("always", ("low", "high", "max"), 1_048_576)
    assert all(m.source for m in (*MODELS, UNKNOWN))  # every row says where its rules come from


def test_fallback_picks_the_newest_general_thinking_model_offered() -> None:
    moonshot_2026 = ["moonshot-v1-8k", "kimi-k2.5", "kimi-k2.6", "kimi-k2.7-code", "kimi-k2.7-code-highspeed"]
    assert fallback_model(moonshot_2026) == "kimi-k2.6"  # the coding model is a specialist
    assert fallback_model([*moonshot_2026, "kimi-k3"]) == "kimi-k3"
    assert fallback_model(["kimi-k2.7-code-highspeed", "kimi-k2.7-code"]) == "kimi-k2.7-code"  # base before variant
    assert fallback_model(["moonshot-v1-8k", "moonshot-v1-128k"]) is None  # nothing of the K2 family
    assert fallback_model([]) is None


def test_cost_uses_cache_hit_and_miss_prices_and_the_users_overrides() -> None:
    # 1M prompt tokens of which 200k cached, 100k out, at kimi-k2-thinking list prices
    assert cost_usd("kimi-k2-thinking", 1_000_000, 200_000, 100_000) == pytest.approx(
        0.2 * 0.15 + 0.8 * 0.60 + 0.1 * 2.50
    )
    assert cost_usd("kimi-k2-thinking-turbo", 1_000_000, 0, 1_000_000) == pytest.approx(9.15)
    assert cost_usd("moonshotai/kimi-k2-thinking", 0, 0, 1_000_000) == pytest.approx(2.50)
    assert cost_usd("kimi-k2.6", 0, 0, 1_000_000) == pytest.approx(4.00)
    assert cost_usd("some-other-model", 10, 0, 10) is None
    custom = {"my-k2": (1.0, 2.0, 3.0), "kimi-k2.6": (0.0, 0.0, 1.0)}
    assert cost_usd("my-k2", 2_000_000, 1_000_000, 1_000_000, prices=custom) == pytest.approx(6.0)
    assert cost_usd("moonshotai/kimi-k2.6", 0, 0, 1_000_000, prices=custom) == pytest.approx(1.0)  # override wins
    assert cost_usd("kimi-k2-thinking", 0, 0, 1_000_000, prices=custom) == pytest.approx(2.50)  # the table's


def test_the_context_budget_follows_the_window_and_leaves_room_for_the_answer() -> None:
    k2 = context_budget("kimi-k2.6", 32_768)
    assert 190_000 < k2 < 262_144 - 32_768
    assert context_budget("kimi-k3", 32_768) > 4 * k2 - 100_000  # 1M window
    assert context_budget("served-k2", 32_768) < 131_072 - 32_768
    assert context_budget("kimi-k2.6", 10**9) > 0  # a huge --max-tokens cannot eat the window


def test_describe_says_what_k2nb_knows() -> None:
    assert describe("kimi-k3") == (
        "1M context · always thinks · effort low/high/max · text, images · $0.30 / $3.00 / $15.00 per 1M "
        "(cache hit / miss / output)"
    )
    assert "keeps thinking (opt-in)" in describe("moonshotai/kimi-k2.6")
    assert describe("moonshot-v1-8k").startswith("not in k2nb's model table")


def test_the_readme_table_has_a_row_per_model_and_one_for_the_rest() -> None:
    table = table_markdown()
    for model in MODELS:
        assert f"| `{model.id}` |" in table
    assert "| any other id |" in table
    assert len(table.splitlines()) == 2 + len(MODELS) + 1
