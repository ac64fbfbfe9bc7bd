"""k2nb/kernel/prompt_context.py: {name}, In[n], Err[n] in the prompt, and the --context block."""

from __future__ import annotations

import pytest

from k2nb.errors import ConfigError
from k2nb.kernel.prompt_context import ErrorLog, context_block, interpolate, parse_names


def test_interpolation_and_context_block() -> None:
    ns = {"n": 42, "name": "Ada", "In": ["", "x = 1"], "Out": {1: 99}, "github_token": "ghp_abcdefgh12345678"}
    errors = ErrorLog()
    errors.errors[3], errors.last = "ValueError: bad", "KeyError: 'k'"
    text, notes = interpolate(
        "{n} {name} {In[1]} {Out[1]} {Err[3]} {Err} {{n}} {missing} {github_token} {n:>3} {'x': 1}", ns, errors
    )
    assert text == "42 Ada x = 1 99 ValueError: bad KeyError: 'k' {n} {missing} [redacted] {n:>3} {'x': 1}"
    assert notes and "github_token" in notes[0]
    block = context_block(parse_names("n, name"), ns, budget_tokens=100)
    assert "n: int" in block and "name: str" in block
    with pytest.raises(ConfigError, match="no variable named nope"):
        context_block(["nope"], ns)
    with pytest.raises(ConfigError, match="variable names separated by commas"):
        parse_names("df,1x")
