"""Keep secrets out of what the model reads and what the user's notebook stores: the one rule.

Everything that shows kernel data (printed and subprocess output of model code, variable summaries,
the inspection tools, user tools' results, the prompt's ``{name}`` fields, the conversation log)
masks with this module's rule and the one mask, :data:`REDACTED`:

- **secret names** (:func:`is_secret_name`): environment variables and string variables whose
  name says it holds a credential. The name is split into words (``snake_case``, ``kebab-case``,
  ``dotted.names``, ``camelCase``, ``SCREAMING_CASE``); it is secret when one word is in
  :data:`SECRET_WORDS` (``token``, ``secret``, ``password``, ``credential``, ``auth``, ``cookie`` …:
  ``db_password``, ``auth_header``, ``session_cookie``, ``authToken``), or when ``key`` or
  ``session`` is the name's last word or comes before ``id`` (``API_KEY``, ``user_session``,
  ``session_id``, ``AWS_ACCESS_KEY_ID``). Whole words only: ``monkey``, ``author``,
  ``keyboard``, ``tokenizer`` are not secret; nor are ``key_column``, ``sessions_count`` or
  ``JPY_SESSION_NAME`` (a key column, a count, the notebook's name). ``pwd`` is not a password
  word: ``$PWD`` is the working directory.
- **secret shapes** (:data:`SECRET_SHAPES`): substrings shaped like a credential wherever they
  appear: ``sk-…`` API keys, ``Bearer …`` tokens, JWTs (``eyJ….eyJ….…``), GitHub (``ghp_…``,
  ``github_pat_…``), Slack (``xoxb-…``), AWS (``AKIA…``), Google (``AIza…``) and Stripe keys,
  and PEM private-key blocks.

A :class:`Redactor` is made once per run (``Agent.redactor``) and handed to the tools and logs.
It reads the secret values when it is used, not when it is made: the provider's API key, the
values of secret-named environment variables, and the values of secret-named string variables in
the user's namespace at that moment (at least :data:`MIN_SECRET_CHARS` long). So a token the model's
code assigns and prints in the same call is hidden in that call's output. It is a last line of
defence for literal values, not a sandbox: code that encodes a secret (base64, reversed) is not
caught.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .namespace import user_variables

REDACTED = "[redacted]"  # the one mask, wherever a secret would have been shown
MIN_SECRET_CHARS = 8  # shorter values ("1", "true") are not secrets and would mangle ordinary text
_BINARY_MIMES = ("image/png", "image/jpeg", "image/gif")

SECRET_WORDS = frozenset(
    {
        "token",
        "secret",
        "secrets",
        "password",
        "passwords",
        "passwd",
        "passphrase",
        "credential",
        "credentials",
        "creds",
        "auth",
        "authorization",
        "oauth",
        "cookie",
        "cookies",
        "apikey",
        "bearer",
        "jwt",
        "sessionid",
        "privatekey",
    }
)
# Secret only as the name's last word or before "id": `api_key`, `session_id`, not `key_column`.
_QUALIFIED_WORDS = frozenset({"key", "session"})
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")

# Each shape starts with a literal (its prefix), so that finding it in a large output is a fast
# substring search; a left word boundary, where needed, is checked after the prefix. The "keep"
# group is what stays in front of the mask ("Bearer [redacted]").
SECRET_SHAPES = tuple(
    re.compile(shape)
    for shape in (
        r"sk-(?<![A-Za-z0-9_]sk-)(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{8,}",  # OpenAI-style keys (Moonshot, OpenAI…)
        r"sk_(?:live|test)_[A-Za-z0-9]{10,}",  # Stripe
        r"rk_(?:live|test)_[A-Za-z0-9]{10,}",
        r"(?P<keep>Bearer )(?=[A-Za-z0-9._~+/=-]*\d)[A-Za-z0-9._~+/=-]{8,}",  # the token after "Bearer "
        r"(?P<keep>bearer )(?=[A-Za-z0-9._~+/=-]*\d)[A-Za-z0-9._~+/=-]{8,}",
        r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",  # JWT: base64url JSON header.payload.sig
        r"gh[pousr]_[A-Za-z0-9]{8,}",  # GitHub tokens
        r"github_pat_[A-Za-z0-9_]{20,}",
        r"xox[abeoprs]-[A-Za-z0-9-]{10,}",  # Slack
        r"(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Z])",  # AWS access key ids
        r"AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])",  # Google API keys
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----",
    )
)


@functools.lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """Whether a variable or environment name says it holds a secret (the rule in the module doc)."""
    words = [w.lower() for w in _WORD.findall(name)]
    for i, word in enumerate(words):
        if word in SECRET_WORDS:
            return True
        if word in _QUALIFIED_WORDS and (i == len(words) - 1 or words[i + 1] == "id"):
            return True
    return False


def is_secret(name: str, value: Any) -> bool:
    """A string (or bytes) with a secret name, or a string that contains a secret shape.

    Only text counts by name: a ``token_counts`` DataFrame is not a secret; an ``api_token`` string is.
    """
    if isinstance(value, str | bytes) and is_secret_name(name):
        return True
    return isinstance(value, str) and any(shape.search(value) for shape in SECRET_SHAPES)


def mask_value(name: str, value: str) -> str:
    """``value``, or the mask if ``name`` looks secret."""
    return REDACTED if is_secret_name(name) else value


def mask_shapes(text: str) -> str:
    """Secret-shaped substrings of free text replaced by the mask (no known values needed)."""
    return _masked((), text)


def secret_values(
    *,
    api_key: str | None = None,
    env: Mapping[str, str] | None = None,
    namespace: Mapping[str, Any] | None = None,
) -> list[str]:
    """The literal values to hide now, longest first (so a key containing another is hidden whole)."""
    found = {api_key} if api_key else set()
    for name, value in list((os.environ if env is None else env).items()):
        if is_secret_name(name):
            found.add(value)
    for name, value in user_variables(namespace or {}).items():
        if isinstance(value, str) and is_secret_name(name):
            found.add(value)
    return sorted((v for v in found if len(v.strip()) >= MIN_SECRET_CHARS), key=len, reverse=True)


class Redactor:
    """Replaces secret values and secret shapes in text (and in nbformat output dicts) with the mask.

    ``Redactor(values)`` hides exactly those values (and the shapes); :meth:`for_run` hides what
    :func:`secret_values` finds at each use, reading the environment and the namespace live.
    """

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._fixed = tuple(v for v in values if v)
        self._live: tuple[str | None, Mapping[str, Any] | None] | None = None  # (key, namespace), read at each use

    @classmethod
    def for_run(
        cls, *, api_key: str | None = None, namespace: Mapping[str, Any] | None = None, values: Iterable[str] = ()
    ) -> Redactor:
        """The run's redactor: the key, secret environment values and secret-named variables, read at each use,
        and ``values`` (e.g. what MCP servers are given in their environment and headers)."""
        redactor = cls(values)
        redactor._live = (api_key, namespace)
        return redactor

    def values(self) -> tuple[str, ...]:
        """The literal values hidden right now, longest first."""
        found = set(self._fixed)
        if self._live is not None:
            api_key, namespace = self._live
            found.update(secret_values(api_key=api_key, namespace=namespace))
        return tuple(sorted(found, key=len, reverse=True))

    def __bool__(self) -> bool:
        """Whether there are literal values to hide (the shapes are always hidden)."""
        return bool(self.values())

    def text(self, text: str) -> str:
        return _masked(self.values(), text)

    def value(self, value: Any) -> Any:
        """Strings inside lists and dicts too (nbformat keeps multi-line text as lists)."""
        return _walk(self.values(), value)

    def output(self, output: dict[str, Any]) -> dict[str, Any]:
        """An nbformat output with every text field redacted (image bytes are left alone).

        The same dict when nothing in it was secret, as :meth:`value` keeps unchanged parts.
        """
        values = self.values()
        out = {k: (v if k == "data" else _walk(values, v)) for k, v in output.items()}
        data = output.get("data")
        if isinstance(data, dict):
            shown = {m: (v if m in _BINARY_MIMES else _walk(values, v)) for m, v in data.items()}
            out["data"] = data if _same(shown, data) else shown
        return output if _same(out, output) else out


def _masked(values: tuple[str, ...], text: str) -> str:
    """``text`` with each value (longest first, so a key containing another goes whole) and each shape masked.

    One ``str.replace`` per value and one prefix-led search per shape: fast on the largest outputs.
    """
    for value in values:
        if value in text and value not in REDACTED:  # a value inside the mask would mask the mask
            text = text.replace(value, REDACTED)
    for shape in SECRET_SHAPES:
        if shape.search(text):
            text = shape.sub(lambda m: (m.group("keep") if "keep" in m.re.groupindex else "") + REDACTED, text)
    return text


def _walk(values: tuple[str, ...], value: Any) -> Any:
    if isinstance(value, str):
        return _masked(values, value)
    if isinstance(value, list):
        items = [_walk(values, v) for v in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    if isinstance(value, dict):
        entries = {k: _walk(values, v) for k, v in value.items()}
        return value if _same(entries, value) else entries
    return value


def _same(new: dict[Any, Any], old: dict[Any, Any]) -> bool:
    return all(new[k] is v for k, v in old.items())
