"""k2nb/engines/replay_check.py: what may differ between identical runs when a replay compares outputs."""

from __future__ import annotations

from k2nb.engines.replay_check import normalize_output


def test_normalize_output_ignores_what_varies_between_identical_runs() -> None:
    a = "Cell In[3], line 1\nNameError: x\n<object at 0x7f3a2b4c5d6e>\n[kernel state] added: x (int)"
    b = "Cell In[12], line 1\nNameError: x\n<object at 0x7f00aa11bb22>\n[kernel state] changed: x (reassigned)"
    assert normalize_output(a) == normalize_output(b)
    assert normalize_output("RESULT n=3") != normalize_output("RESULT n=4")
