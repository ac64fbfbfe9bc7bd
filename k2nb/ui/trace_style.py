"""The saved trace's ``<style>``: trace.css minified, keeping only the rules a trace's markup can match.

Every saved run carries its stylesheet (nbviewer, GitHub and nbconvert run no labextension), so
it holds only the rules whose classes occur in that run's HTML: a run with no code needs no
token colours, one without tracebacks no ANSI palette, one not presented none of present.css.
The rest is for the live view and for classes the labextension sets on the notebook (hidden
thinking), and the labextension loads the whole files itself.
"""

from __future__ import annotations

import functools
import pathlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_HERE = pathlib.Path(__file__).parent
TRACE = ("trace.css",)  # a saved trace's stylesheets; a presented run's adds present.css
_CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
_IS = re.compile(r":is\(([^()]*)\)")
_NOT = re.compile(r":not\([^()]*\)")  # what must be absent asks nothing of the markup
_CLASS_ATTRIBUTE = re.compile(r'class="([^"]*)"')


def trace_css(name: str = "trace.css") -> str:
    """A stylesheet of this folder (trace.css, present.css) without comments and spaces (spaces
    before ":" are descendant combinators: kept)."""
    text = re.sub(r"/\*.*?\*/", "", (_HERE / name).read_text(encoding="utf-8"), flags=re.S)
    text = re.sub(r"\s*([{};])\s*", r"\1", re.sub(r"([:,])\s+", r"\1", text))
    return text.replace(";}", "}").strip()


@dataclass(frozen=True)
class Selector:
    """One selector of a rule: the classes it needs all of, and ``:is()`` groups it needs one of each."""

    text: str
    needs: frozenset[str]
    any_of: tuple[tuple[frozenset[str], ...], ...]

    @classmethod
    def parse(cls, text: str) -> Selector:
        plain = _NOT.sub("", text)
        groups = tuple(
            tuple(frozenset(_CLASS.findall(alternative)) for alternative in group.split(","))
            for group in _IS.findall(plain)
        )
        return cls(text, frozenset(_CLASS.findall(_IS.sub("", plain))), groups)

    def can_match(self, classes: frozenset[str] | set[str]) -> bool:
        return self.needs <= classes and all(any(alt <= classes for alt in group) for group in self.any_of)


@dataclass(frozen=True)
class Rule:
    selectors: tuple[Selector, ...]
    body: str  # "{...}"


def _split_selectors(prelude: str) -> list[str]:
    """Split a selector list at its top-level commas (not those inside ``:is(...)``)."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(prelude):
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            parts.append(prelude[start:i])
            start = i + 1
    return [*parts, prelude[start:]]


@functools.cache
def rules(name: str = "trace.css") -> tuple[Rule, ...]:
    """A stylesheet's rules, minified. The files are flat (no at-rules, no braces in values): a test checks it."""
    out = []
    for chunk in trace_css(name).split("}"):
        if "{" in chunk:
            prelude, body = chunk.split("{", 1)
            out.append(Rule(tuple(Selector.parse(s) for s in _split_selectors(prelude)), "{" + body + "}"))
    return tuple(out)


def classes_in(markup: str) -> set[str]:
    """Every class the markup's elements carry (over-counting, e.g. from text that quotes markup, only keeps more)."""
    return {name for value in _CLASS_ATTRIBUTE.findall(markup) for name in value.split()}


def style_for(markup: Iterable[str] | str, sheets: Sequence[str] = TRACE) -> str:
    """The ``<style>`` element for a saved trace whose HTML is ``markup`` (or its parts): the rules of
    ``sheets``, in their order, that its classes can match."""
    classes = classes_in(markup if isinstance(markup, str) else "".join(markup))
    kept = []
    for rule in (rule for name in sheets for rule in rules(name)):
        selectors = [s.text for s in rule.selectors if s.can_match(classes)]
        if selectors:
            kept.append(",".join(selectors) + rule.body)
    return f"<style>\n{''.join(kept)}\n</style>" if kept else ""
