"""MCP server definitions: the `{"mcpServers": …}` JSON shape and the `%k2 mcp add` words, checked.

The JSON is the shape Claude Desktop, Cursor and kimi-cli write: ``{"mcpServers": {NAME: {"command",
"args", "env", "cwd"} | {"url", "headers"}}}`` (a bare ``{NAME: {…}}`` mapping is taken too), plus
k2nb's own ``"trust": true``; values may name the kernel's environment (``${NAME}``), so a secret
need not be written down. No process is started here.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..kernel.secrets import MIN_SECRET_CHARS

# A server's name prefixes its tools' names on a clash (``NAME__tool``), so it obeys the tool-name rule's alphabet.
SERVER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,31}$")
_HTTP_TYPES = frozenset({"http", "streamable-http", "streamable_http", "streamableHttp"})
ADD_USAGE = (
    "`%k2 mcp add NAME [--trust] [--env K=V | --env K …] [--cwd DIR] -- COMMAND ARGS…` (stdio) or "
    "`%k2 mcp add NAME --url URL [--header K=V …] [--trust]` (streamable HTTP)"
)


@dataclass(frozen=True)
class ServerConfig:
    """One MCP server: a command to start (stdio) or a URL to connect to (streamable HTTP)."""

    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    trust: bool = False  # the user's: its calls run without asking

    @property
    def transport(self) -> str:
        return "http" if self.url else "stdio"

    def secrets(self) -> tuple[str, ...]:
        """Values the server is given that never appear anywhere (env and header values)."""
        values = [*self.env.values(), *self.headers.values()]
        words = [word for value in self.headers.values() for word in value.split()]  # "Bearer TOKEN": the token too
        return tuple(v for v in dict.fromkeys([*values, *words]) if len(v.strip()) >= MIN_SECRET_CHARS)

    def describe(self) -> str:
        """How it is reached, without a secret: env and header values are never shown."""
        if self.url:
            headers = f" (headers: {', '.join(self.headers)})" if self.headers else ""
            return f"{self.url}{headers}"
        env = f" (env: {', '.join(self.env)})" if self.env else ""
        return " ".join([self.command or "", *self.args]) + env


def check_name(name: str) -> str:
    if not SERVER_NAME.fullmatch(name):
        raise ConfigError(
            f"MCP server name {name!r} is not allowed: use 1–32 letters, digits, '_' or '-', starting with a "
            "letter or '_' (it prefixes the server's tool names when two tools share a name)."
        )
    return name


_REFERENCE = re.compile(r"\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)\}")


def expand(value: str, where: str, environ: Mapping[str, str]) -> str:
    """``${NAME}`` (or Cursor's ``${env:NAME}``) from the kernel's environment: secrets need not be written
    into a notebook or a config file."""

    def look_up(match: re.Match[str]) -> str:
        if match[1] not in environ:
            raise ConfigError(f"{where}: {match[0]} is not set in the kernel's environment (set it with %env).")
        return environ[match[1]]

    return _REFERENCE.sub(look_up, value)


def check_url(url: Any, where: str) -> str:
    if not isinstance(url, str) or not re.match(r"https?://", url):
        raise ConfigError(f"{where}: the URL must start with http:// or https://.")
    return url


def _pairs(values: Any, what: str, where: str, environ: Mapping[str, str]) -> dict[str, str]:
    if values is None:
        return {}
    if not isinstance(values, Mapping) or not all(isinstance(k, str) for k in values):
        raise ConfigError(f"{where}: '{what}' must be an object of names to strings.")
    return {k: expand(str(v), where, environ) for k, v in values.items()}


def server_from_json(name: str, entry: Any, where: str, environ: Mapping[str, str] | None = None) -> ServerConfig:
    """One ``mcpServers`` entry; ConfigError (one line, naming ``where`` and the server) if it is unusable."""
    here = f"{where}: MCP server {name!r}"
    environ = os.environ if environ is None else environ
    check_name(name)
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{here} must be an object with 'command' (stdio) or 'url' (streamable HTTP).")
    kind = str(entry.get("type") or entry.get("transport") or "")
    if kind == "sse":
        raise ConfigError(f"{here} uses the old SSE transport, which k2nb does not speak; use its streamable HTTP URL.")
    command, url = entry.get("command"), entry.get("url") or entry.get("serverUrl")
    trust = entry.get("trust", False)
    if not isinstance(trust, bool):
        raise ConfigError(f"{here}: 'trust' must be true or false.")
    if url is not None and (command is None or kind in _HTTP_TYPES):
        return ServerConfig(
            name, url=check_url(url, here), headers=_pairs(entry.get("headers"), "headers", here, environ), trust=trust
        )
    if not isinstance(command, str) or not command.strip():
        raise ConfigError(f"{here} needs a 'command' (stdio) or a 'url' (streamable HTTP).")
    args = entry.get("args") or []
    if not isinstance(args, list | tuple):
        raise ConfigError(f"{here}: 'args' must be a list of strings.")
    cwd = entry.get("cwd")
    return ServerConfig(
        name,
        command=command,
        args=tuple(str(a) for a in args),
        env=_pairs(entry.get("env"), "env", here, environ),
        cwd=str(cwd) if cwd else None,
        trust=trust,
    )


def servers_from_json(data: Any, where: str, environ: Mapping[str, str] | None = None) -> list[ServerConfig]:
    """``{"mcpServers": {…}}`` or a bare ``{NAME: {…}}``; servers marked ``"disabled": true`` are left out."""
    if isinstance(data, Mapping) and "mcpServers" in data:
        data = data["mcpServers"]
    if not isinstance(data, Mapping):
        raise ConfigError(f'{where}: expected {{"mcpServers": {{NAME: {{"command": …}} | {{"url": …}}}}}}.')
    return [
        server_from_json(str(name), entry, where, environ)
        for name, entry in data.items()
        if not (isinstance(entry, Mapping) and entry.get("disabled") is True)
    ]


def servers_from_file(path: str) -> list[ServerConfig]:
    """The servers of a JSON config file (``--mcp-config FILE``), or ConfigError saying what is wrong with it."""
    where = f"MCP config {path}"
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{where}: cannot read it ({error.strerror or error}).") from None
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ConfigError(f"{where} is not valid JSON: {error}.") from None
    return servers_from_json(data, where)


def _pair(word: str, flag: str, environ: Mapping[str, str]) -> tuple[str, str]:
    key, sep, value = word.partition("=")
    if not sep and flag == "--header":
        key, sep, value = word.partition(":")
    if not sep and flag == "--env" and key.strip():  # `--env NAME`: the kernel's own value, never typed out
        if key not in environ:
            raise ConfigError(f"`--env {key}`: {key} is not set in the kernel's environment; %env {key}=… first.")
        return key, environ[key]
    if not sep or not key.strip():
        raise ConfigError(f"`{flag} {word}`: write {flag} NAME=VALUE. Usage: {ADD_USAGE}.")
    value = expand(value, f"`{flag} {word}`", environ)
    return key.strip(), value.strip() if flag == "--header" else value


def parse_add(words: Sequence[str], environ: Mapping[str, str] | None = None) -> ServerConfig:
    """``%k2 mcp add``'s words (after ``add``) as a server definition."""
    environ = os.environ if environ is None else environ
    if "--" in words:
        at = list(words).index("--")
        options, command = list(words[:at]), list(words[at + 1 :])
    else:
        options, command = list(words), []
    if not options or options[0].startswith("-"):
        raise ConfigError(f"name the server first. Usage: {ADD_USAGE}.")
    name, rest = check_name(options[0]), options[1:]
    env: dict[str, str] = {}
    headers: dict[str, str] = {}
    url: str | None = None
    cwd: str | None = None
    trust = False
    while rest:
        flag = rest.pop(0)
        if flag == "--trust":
            trust = True
            continue
        if flag not in ("--env", "--header", "--url", "--cwd") or not rest:
            raise ConfigError(f"`%k2 mcp add {' '.join(words)}`: unexpected {flag!r}. Usage: {ADD_USAGE}.")
        value = rest.pop(0)
        if flag == "--url":
            url = value
        elif flag == "--cwd":
            cwd = value
        else:
            key, text = _pair(value, flag, environ)
            (env if flag == "--env" else headers)[key] = text
    if url is not None:
        if command or env or cwd:
            raise ConfigError(f"a server has a URL or a command, not both. Usage: {ADD_USAGE}.")
        return ServerConfig(name, url=check_url(url, f"`%k2 mcp add {name}`"), headers=headers, trust=trust)
    if headers:
        raise ConfigError(f"--header is for servers reached by --url. Usage: {ADD_USAGE}.")
    if not command:
        raise ConfigError(f"give the command that starts the server after `--`. Usage: {ADD_USAGE}.")
    return ServerConfig(name, command=command[0], args=tuple(command[1:]), env=env, cwd=cwd, trust=trust)
