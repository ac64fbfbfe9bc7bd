"""k2nb/reference.py: the README's reference is generated from the code."""

from __future__ import annotations

import pathlib

from k2nb.reference import BEGIN, END, reference_markdown

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_readme_reference_matches_the_code() -> None:
    readme = (ROOT / "README.md").read_text()
    current = readme[readme.index(BEGIN) : readme.index(END) + len(END)]
    assert current == reference_markdown(), "run: python -m k2nb.reference and paste into README.md"
    assert "make demo" in readme and "make test" in readme
