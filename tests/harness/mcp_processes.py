"""The tests' MCP servers as real processes: tests/harness/mcp_server.py over stdio or streamable HTTP."""

from __future__ import annotations

import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

SERVER = Path(__file__).with_name("mcp_server.py")
TOKEN = "tok-mcp-SECRET-4f9a2c71"  # what the server is given in its environment: it must show up nowhere
HEADER_TOKEN = "hdr-mcp-SECRET-8b3e1d07"  # the same, as an HTTP header value


def stdio_entry(*, only: str | None = None, token: str = TOKEN) -> dict[str, Any]:
    """The server as an ``mcpServers`` entry (the JSON shape Claude Desktop and kimi-cli use)."""
    args = [str(SERVER), *(["--only", only] if only else [])]
    return {"command": sys.executable, "args": args, "env": {"DEMO_TOKEN": token}}


def add_words(name: str, *, only: str | None = None, trust: bool = False, token: str | None = TOKEN) -> str:
    """``%k2 mcp add …`` for the stdio server (``token=None``: DEMO_TOKEN passed from the kernel's environment)."""
    flags = " --trust" if trust else ""
    extra = f" --only {only}" if only else ""
    env = "--env DEMO_TOKEN" if token is None else f"--env DEMO_TOKEN={token}"
    return f"%k2 mcp add {name}{flags} {env} -- {shlex.quote(sys.executable)} {shlex.quote(str(SERVER))}{extra}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def http_server(*, only: str | None = None) -> Iterator[str]:
    """The server on 127.0.0.1 over streamable HTTP; yields its URL; killed afterwards."""
    port = free_port()
    command = [sys.executable, str(SERVER), "--http", str(port), *(["--only", only] if only else [])]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the MCP test server did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.kill()
        process.wait(timeout=10)


def server_processes(parent: int | None = None) -> list[psutil.Process]:
    """The stdio test servers running under ``parent`` (default: this process), at any depth."""
    root = psutil.Process(parent)
    found = []
    for child in root.children(recursive=True):
        try:
            if str(SERVER) in child.cmdline() and child.status() != psutil.STATUS_ZOMBIE:
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def wait_until(condition: Any, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())
