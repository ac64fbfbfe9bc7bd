"""k2nb/kernel/state_diff.py: the kernel-state diff after a tool call (in a real kernel:
tests/integration/test_kernel_state.py)."""

from __future__ import annotations

from typing import Any

from k2nb.kernel.state_diff import diff, snapshot


def test_state_diff_names_added_changed_and_removed() -> None:
    import types

    ns: dict[str, Any] = {"keep": 1, "grow": [1, 2], "gone": "x", "_private": 1, "mod": types}
    before = snapshot(ns)
    ns["grow"].append(3)
    ns["new"] = {"a": 1}
    ns["keep"] = 1.5
    del ns["gone"]
    ns["_hidden"] = 2
    changes = diff(before, snapshot(ns))
    assert changes.added == (("new", "dict len 1"),)
    assert {n: (a, b) for n, a, b in changes.changed} == {
        "grow": ("list len 2", "list len 3"),
        "keep": ("int", "float"),
    }
    assert changes.removed == ("gone",)
    assert "mod" not in changes.text() and "_hidden" not in changes.text()
    assert not diff(snapshot(ns), snapshot(ns))
