"""Context from the kernel for a ``%%k2`` prompt.

``{name}`` is replaced by the variable's value (as jupyter-ai's magics do); ``{In[n]}``,
``{Out[n]}`` and ``{Err[n]}`` by a cell's source, result and error (``{Err}``: the latest error).
Unknown names stay as they are, so prompts that contain code or JSON braces are safe; ``{{x}}``
gives a literal ``{x}``. ``--context df,model`` appends compact summaries of those variables
within a character budget (≈ 4 characters per token).
"""

from __future__ import annotations

import contextlib
import re
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core.output_text import truncate_middle
from ..core.tokens import CHARS_PER_TOKEN
from ..errors import ConfigError
from .namespace import user_variables
from .secrets import REDACTED, is_secret, mask_shapes
from .summaries import summarize

_FIELD = re.compile(r"\{\{([^{}]*)\}\}|\{([A-Za-z_]\w*)(?:\[(-?\d+)\])?\}")
VALUE_LIMIT = 4000  # characters one interpolated value may take


@dataclass(frozen=True)
class CellError:
    """A cell whose latest run raised: what ``%k2 fix`` repairs."""

    source: str
    text: str  # the traceback, the user's frames only
    name: str  # e.g. "KeyError"
    message: str
    execution_count: int | None = None
    cell_id: str | None = None  # the notebook cell (the execute request's cellId), when a frontend sent it

    @property
    def line(self) -> str:
        return f"{self.name}: {self.message}" if self.message else self.name


@dataclass
class ErrorLog:
    """The kernel's recent errors by execution count (IPython keeps In/Out but not Err), and which
    cells still fail: a cell's error is forgotten once that cell runs without one."""

    errors: dict[int, str] = field(default_factory=dict)
    last: str | None = None
    keep: int = 50
    failing: dict[str, CellError] = field(default_factory=dict)  # by cell id (or "In[n]"), oldest first

    def latest(self) -> CellError | None:
        """The most recent error of a cell that has not run cleanly since (``%%k2`` cells left out)."""
        return next(reversed(self.failing.values()), None)

    def register(self, shell: Any) -> None:
        shell.events.register("post_run_cell", self._post_run_cell)

    def unregister(self, shell: Any) -> None:
        with contextlib.suppress(ValueError):
            shell.events.unregister("post_run_cell", self._post_run_cell)

    def _post_run_cell(self, result: Any) -> None:
        error = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
        info = getattr(result, "info", None)
        cell_id = getattr(info, "cell_id", None)
        source = str(getattr(info, "raw_cell", "") or "")
        count = getattr(info, "execution_count", None) or getattr(result, "execution_count", None)
        key = cell_id if isinstance(cell_id, str) and cell_id else f"In[{count}]"
        self.failing.pop(key, None)  # ran again: an error now is the latest; none clears it
        if error is None:
            return
        text = "".join(traceback.format_exception_only(type(error), error)).strip()
        tb = getattr(error, "__traceback__", None)
        if tb is not None:
            # The user's frames only: IPython's own (run_code/exec) say nothing about the error.
            frames = [f for f in traceback.extract_tb(tb) if "/IPython/" not in f.filename.replace("\\", "/")]
            text = "Traceback (most recent call last):\n" + "".join(traceback.format_list(frames[-3:])) + text
        self.last = text
        if not source.lstrip().startswith(("%%k2", "%k2")):  # k2nb's own cells are not code to fix
            self.failing[key] = CellError(
                source,
                text,
                type(error).__name__,
                str(error),
                count if isinstance(count, int) else None,
                cell_id if isinstance(cell_id, str) and cell_id else None,
            )
            for old_key in list(self.failing)[: -self.keep]:
                del self.failing[old_key]
        if isinstance(count, int):
            self.errors[count] = text
            for old in sorted(self.errors)[: -self.keep]:
                del self.errors[old]


def _value_text(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return truncate_middle(text, VALUE_LIMIT)


def interpolate(prompt: str, namespace: Mapping[str, Any], errors: ErrorLog | None = None) -> tuple[str, list[str]]:
    """The prompt with ``{…}`` references filled in, and notes for the user (masked secrets)."""
    notes: list[str] = []

    def replace(match: re.Match[str]) -> str:
        if match[1] is not None:  # {{literal}}
            return "{" + match[1] + "}"
        name, index = match[2], match[3]
        if name == "Err" and errors is not None:
            if index is None:
                return errors.last if errors.last is not None else match[0]
            return errors.errors.get(int(index), match[0])
        if name not in namespace:
            return match[0]
        value = namespace[name]
        if index is not None:
            try:
                value = value[int(index)]
            except (LookupError, TypeError, ValueError):
                return match[0]
        elif is_secret(name, value):
            notes.append(f"k2nb: {{{name}}} looks like a secret and was not put into the prompt.")
            return REDACTED
        text = _value_text(value)
        masked = mask_shapes(text)
        if masked != text:
            notes.append(f"k2nb: {match[0]} contains something that looks like a key; it was masked.")
        return masked

    return _FIELD.sub(replace, prompt), notes


def parse_names(spec: str) -> list[str]:
    names = [n.strip() for n in spec.split(",") if n.strip()]
    bad = [n for n in names if not n.isidentifier()]
    if bad:
        raise ConfigError(f"--context takes variable names separated by commas (e.g. --context df,model), not {bad}.")
    return names


CONTEXT_HEADER = "[Context from the user's kernel (summaries, not full data)]"  # the toy engine reads it too


def context_block(names: list[str], namespace: Mapping[str, Any], *, budget_tokens: int = 2000) -> str:
    """Summaries of the named variables, sharing a budget; a missing name is a clear error."""
    missing = [n for n in names if n not in namespace]
    if missing:
        known = ", ".join(sorted(user_variables(namespace))[:20]) or "(none yet)"
        raise ConfigError(f"--context: no variable named {', '.join(missing)} in the kernel. Variables: {known}.")
    if not names:
        return ""
    share = max(200, budget_tokens * CHARS_PER_TOKEN // len(names))
    parts = [summarize(name, namespace[name], limit=share) for name in names]
    return CONTEXT_HEADER + "\n" + "\n\n".join(parts)
