"""The README's generated parts match the code: the reference, the module tree and every figure it restates."""

from __future__ import annotations

import pathlib
import re
import subprocess

import pytest

from k2nb.reference import FIGURE, figures, fill_figures, tree_markdown, update_readme

ROOT = pathlib.Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FIX = "run: .venv/bin/python -m k2nb.reference --write README.md"


def test_the_readme_is_what_the_code_generates() -> None:
    assert update_readme(README) == README, FIX


def test_every_figure_is_quoted_and_every_quote_is_known() -> None:
    quoted = {m["name"] for m in FIGURE.finditer(README)}
    assert quoted == set(figures()), (
        f"figures never quoted: {set(figures()) - quoted}; unknown: {quoted - set(figures())}"
    )


def test_a_stale_figure_is_caught() -> None:
    # the README once said "1 KB / 1 s" for batches while the code sent 2 KB / 2 s
    first = next(FIGURE.finditer(README))
    stale = README[: first.start("text")] + "a stale value" + README[first.end("text") :]
    assert update_readme(stale) != stale
    assert fill_figures(stale) == README


def test_an_unknown_figure_name_says_which_exist() -> None:
    with pytest.raises(KeyError, match="batch_size"):
        fill_figures("<!-- fig:nonsense -->1<!-- /fig -->")


def test_the_tree_names_every_module_of_the_package() -> None:
    tree = tree_markdown()
    for path in (ROOT / "k2nb").rglob("*.py"):
        if (
            "labextension" in path.parts or path.stem == "__init__" or "toy" in path.parts
        ):  # the toy is one line; its modules are listed in its docstring
            continue
        assert f"`{path.stem}` — " in tree, f"{path} is missing from the README's module tree"


def test_every_file_the_readme_names_exists() -> None:
    named = set(re.findall(r"`((?:[\w-]+/)*[\w-]+\.(?:py|ts|json|ipynb))(?:::\w+)?`", README))
    named |= set(re.findall(r"\b(k2nb/[\w/]+\.py)\b", README))
    ours = ("k2nb/", "tests/", "benchmarks/", "labextension/", "examples/", "browser/", "test_")
    named = {name for name in named if name.startswith(ours) or "/test_" in name}
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    files = set(tracked.split())
    missing = sorted(name for name in named if not any(f == name or f.endswith("/" + name) for f in files))
    assert not missing, f"the README names files that do not exist: {missing}"
