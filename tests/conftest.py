"""Shared fixtures: a loopback K2-shaped server and a real kernel that runs notebooks."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from k2nb.engines.script import ScriptedEngine
from k2nb.engines.server import ChatServer

SECRET_KEY = "sk-k2nb-test-SECRET-0123456789"
_PROVIDER_ENV = (
    "K2NB_API_KEY",
    "MOONSHOT_API_KEY",
    "K2NB_BASE_URL",
    "K2NB_MODEL",
    "K2NB_PROVIDER",
    "K2NB_APPROVE",
    "OPENROUTER_API_KEY",
)


@pytest.fixture(autouse=True)
def clean_provider_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's real keys or endpoints; the toy engine answers instantly."""
    for name in _PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("K2NB_TOY_SPEED", "0")  # the default (60 tokens/s) is for people watching


@pytest.fixture
def scripted_server() -> Iterator[Any]:
    servers: list[ChatServer] = []

    def start(script: str, **kwargs: Any) -> ChatServer:
        server = ChatServer(ScriptedEngine.from_text(script), **kwargs).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@contextmanager
def scripted_kernel(script: str, **env: str) -> Iterator[Any]:
    """A real kernel (jupyter_client) whose %%k2 talks to a loopback server playing ``script``."""
    from jupyter_client.manager import start_new_kernel

    server = ChatServer(ScriptedEngine.from_text(script), api_key=SECRET_KEY).start()
    full_env = {**os.environ, "K2NB_BASE_URL": server.base_url, "K2NB_API_KEY": SECRET_KEY, **env}
    km, kc = start_new_kernel(kernel_name="python3", env=full_env)
    try:
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        server.stop()


def run_notebook(
    cells: list[str], env: dict[str, str] | None = None, *, timeout: int = 120, allow_errors: bool = False
) -> nbformat.NotebookNode:
    """Execute code cells in a real kernel (nbclient); the kernel inherits ``env``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    saved = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors).execute()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return nb


def cell_text(cell: Any) -> str:
    """Everything a user would read in a cell's outputs (plain text, HTML and streams)."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        elif output.get("output_type") == "error":
            parts.append(f"{output.get('ename')}: {output.get('evalue')}")
        for mime in ("text/plain", "text/html"):
            if mime in output.get("data", {}):
                # The trace's <style> (trace.css) is not read by anyone; its class names would match words.
                parts.append(re.sub(r"<style>.*?</style>", "", str(output["data"][mime]), flags=re.S))
    return "\n".join(parts)
