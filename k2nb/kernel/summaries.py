"""Bounded, safe summaries of kernel variables: what ``--context`` and the inspection tools show.

Pure functions over a namespace dict. Summaries never run user code beyond cheap attribute reads
(``shape``, ``dtypes``, ``head``) and bounded reprs, and secrets are masked by the rule of
``secrets.py``: a string whose name says it holds a credential, or a value shaped like a key, is
shown as ``[redacted]``.
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping
from typing import Any

from .namespace import user_variables
from .secrets import REDACTED, is_secret, mask_shapes

_repr = reprlib.Repr()
_repr.maxstring = 200
_repr.maxother = 200
_repr.maxlist = _repr.maxtuple = _repr.maxset = _repr.maxdict = 10
_repr.maxlevel = 3
_columns_repr = reprlib.Repr()  # a DataFrame's columns in list_variables: up to 20 names of up to 40 characters
_columns_repr.maxlist, _columns_repr.maxstring, _columns_repr.maxother = 20, 40, 40


def type_name(value: Any) -> str:
    kind = type(value)
    module = kind.__module__.split(".")[0]
    return kind.__name__ if module == "builtins" else f"{module}.{kind.__name__}"


def shape_of(value: Any) -> str:
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple) and all(isinstance(n, int) for n in shape):
        return "×".join(str(n) for n in shape) if shape else "scalar"
    if isinstance(value, str | bytes):
        return f"len {len(value)}"
    if isinstance(value, list | tuple | set | frozenset | dict):
        return f"len {len(value)}"
    return ""


def variable_row(name: str, value: Any) -> str:
    """One line for :func:`list_variables`: name, type, shape (values only for small scalars)."""
    if is_secret(name, value):
        return f"{name}: {type_name(value)} = {REDACTED} (masked: looks like a secret)"
    parts = [f"{name}: {type_name(value)}"]
    shape = shape_of(value)
    if shape:
        parts.append(f"({shape})")
    if isinstance(value, bool | int | float | complex) or (isinstance(value, str) and len(value) <= 60):
        parts.append(f"= {value!r}")
    elif callable(value) and not isinstance(value, type):
        parts.append(_signature(value))
    elif hasattr(value, "columns") and hasattr(value, "dtypes"):  # a DataFrame: which frame has column x
        parts.append(_safe(lambda: f"columns {_columns_repr.repr(list(value.columns))}"))
    return " ".join(parts)


def _signature(func: Any) -> str:
    import inspect

    try:
        return f"{getattr(func, '__name__', '')}{inspect.signature(func)}"
    except (TypeError, ValueError):
        return ""


def list_variables(namespace: Mapping[str, Any], hidden: Mapping[str, Any] | None = None, *, limit: int = 200) -> str:
    rows = [variable_row(n, v) for n, v in sorted(user_variables(namespace, hidden).items())]
    if not rows:
        return "The user's namespace has no variables yet."
    more = f"\n… and {len(rows) - limit} more" if len(rows) > limit else ""
    return "\n".join(rows[:limit]) + more


def _safe(call: Any, fallback: str = "") -> str:
    try:
        return str(call())
    except Exception as error:  # a broken __repr__ must not break the summary
        return fallback or f"<unavailable: {type(error).__name__}>"


def summarize(name: str, value: Any, *, limit: int = 2000) -> str:
    """A compact summary: type, shape/size, dtypes and head for frames and arrays, a bounded repr."""
    if is_secret(name, value):
        return f"{name}: {type_name(value)} = {REDACTED} (masked: looks like a secret; not shown to the model)"
    shape = shape_of(value)
    lines = [
        f"{name}: {type_name(value)}" + (f", {'' if shape.startswith('len') else 'shape '}{shape}" if shape else "")
    ]
    size = getattr(value, "memory_usage", None)
    if callable(size) and hasattr(value, "columns"):  # pandas DataFrame
        lines.append(_safe(lambda: f"memory: {int(value.memory_usage(deep=False).sum()):,} bytes"))
        lines.append("dtypes:\n" + _safe(value.dtypes.to_string))
        lines.append("head:\n" + _safe(lambda: value.head(5).to_string(max_colwidth=40)))
    elif hasattr(value, "dtype") and hasattr(value, "shape"):  # numpy array / pandas Series
        lines.append(f"dtype: {_safe(lambda: value.dtype)}")
        if hasattr(value, "head"):
            lines.append("head:\n" + _safe(lambda: value.head(5).to_string()))
        else:
            lines.append(_safe(lambda: _repr.repr(value.ravel()[:10].tolist())))
        nbytes = getattr(value, "nbytes", None)
        if isinstance(nbytes, int):
            lines.append(f"size: {nbytes:,} bytes")
    elif isinstance(value, dict):
        lines.append(f"keys: {_safe(lambda: _repr.repr(list(value)))}")
        lines.append(_safe(lambda: _repr.repr(value)))
    elif callable(value) and not isinstance(value, type):
        lines.append(_signature(value))
        doc = (getattr(value, "__doc__", None) or "").strip().split("\n\n")[0]
        if doc:
            lines.append(doc)
    else:
        lines.append(_safe(lambda: _repr.repr(value)))
    text = mask_shapes("\n".join(line for line in lines if line))
    return text if len(text) <= limit else text[: limit - 20] + "\n… [summary cut]"
