"""k2nb/kernel/summaries.py: what list_variables and --context say about a value (secrets masked, modules hidden)."""

from __future__ import annotations

from k2nb.kernel.summaries import list_variables, summarize


def test_summaries_mask_secrets_and_hide_modules() -> None:
    import math

    ns = {"math": math, "_hidden": 1, "password": "hunter2hunter2", "values": list(range(100)), "f": len}
    listed = list_variables(ns)
    assert "math" not in listed and "_hidden" not in listed
    assert "password: str = [redacted]" in listed and "hunter2" not in listed
    assert "values: list (len 100)" in listed
    assert "hunter2" not in summarize("password", "hunter2hunter2")
    assert len(summarize("values", list(range(10**5)), limit=300)) <= 300


def test_only_secret_looking_strings_are_masked() -> None:
    listed = list_variables(
        {"token_counts": [1, 2, 3], "api_key": "abc123abc123", "keys": ["a"], "note": "sk-abcdefgh1234"}
    )
    assert "token_counts: list (len 3)" in listed and "keys: list (len 1)" in listed
    assert "api_key: str = [redacted]" in listed and "note: str = [redacted]" in listed
