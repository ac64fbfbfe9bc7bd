"""Keep secrets out of what the model reads and what the user's notebook stores.

A :class:`Redactor` replaces known secret values with ``[redacted]``: the provider's API key,
the values of environment variables whose names look secret (``*KEY*``, ``*TOKEN*``,
``*SECRET*``, ``*PASSWORD*`` …) and string variables with such names in the user's namespace.
Code the model writes can print ``os.environ``; this is what stops the key from travelling back
to the provider in a tool result, or into a saved notebook. It is a last line of defence for
literal values, not a sandbox: code that encodes a secret (base64, reversed) is not caught.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[redacted]"
SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSW(OR)?D|CREDENTIAL", re.IGNORECASE)
MIN_SECRET_CHARS = 8  # shorter values ("1", "true") are not secrets and would mangle ordinary text
_BINARY_MIMES = ("image/png", "image/jpeg", "image/gif")


def is_secret_name(name: str) -> bool:
    """Whether a variable or environment name looks like it holds a secret."""
    return bool(SECRET_NAME.search(name))


def mask_value(name: str, value: str) -> str:
    """``value``, or ``[redacted]`` if ``name`` looks secret (for kernel summaries and state diffs)."""
    return REDACTED if is_secret_name(name) else value


def secret_values(
    *,
    api_key: str | None = None,
    env: Mapping[str, str] | None = None,
    namespace: Mapping[str, Any] | None = None,
) -> list[str]:
    """The literal values to hide, longest first (so a key containing another is hidden whole)."""
    found = {api_key} if api_key else set()
    for name, value in (os.environ if env is None else env).items():
        if is_secret_name(name):
            found.add(value)
    for name, value in (namespace or {}).items():
        if isinstance(value, str) and not name.startswith("_") and is_secret_name(name):
            found.add(value)
    return sorted((v for v in found if len(v.strip()) >= MIN_SECRET_CHARS), key=len, reverse=True)


class Redactor:
    """Replaces each secret value in text (and in nbformat output dicts) with ``[redacted]``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        values = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(v) for v in values)) if values else None

    @classmethod
    def from_environment(cls, *, api_key: str | None = None, namespace: Mapping[str, Any] | None = None) -> Redactor:
        return cls(secret_values(api_key=api_key, namespace=namespace))

    def __bool__(self) -> bool:
        return self._pattern is not None

    def text(self, text: str) -> str:
        return text if self._pattern is None else self._pattern.sub(REDACTED, text)

    def value(self, value: Any) -> Any:
        """Strings inside lists and dicts too (nbformat keeps multi-line text as lists)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        return value

    def output(self, output: dict[str, Any]) -> dict[str, Any]:
        """An nbformat output with every text field redacted (image bytes are left alone)."""
        if self._pattern is None:
            return output
        out = {k: self.value(v) for k, v in output.items() if k != "data"}
        if "data" in output:
            data = output["data"] or {}
            out["data"] = {m: (v if m in _BINARY_MIMES else self.value(v)) for m, v in data.items()}
        return out
