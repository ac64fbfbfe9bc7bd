"""Reusable browser-test fixtures: a JupyterLab or Notebook 7 server started by the test, and a Playwright page.

Use in a test module:

    pytestmark = pytest.mark.browser

    def test_x(jupyter_server, page, board):   # runs in JupyterLab and in Notebook 7
        board.script("think: ...\ntext: ...")  # what the loopback K2 server answers

Override `jupyter_env` (extra environment for the server and its kernels) or `approve_mode`
("ask" by default) in a module to change what its kernels see, and `collaborative` (False by
default) to run its servers with real-time collaboration (jupyter-collaboration is a test
dependency; every other module's servers start with it switched off, as without it).

One server per module (it takes a few seconds to start); a fresh page per test. Chromium is
Debian's (/usr/bin/chromium); nothing downloads a browser. Servers listen on loopback only, with a
token, in a temporary root directory, with their own settings and workspaces directories.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import nbformat
import pytest

from tests.harness.collaboration import collaboration_flags

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
KERNEL_IDLE = "() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel?.status === 'idle'"


class JupyterServer(NamedTuple):
    base_url: str
    token: str
    root_dir: Path
    ui: str = "lab"

    def url(self, notebook: str) -> str:
        """The address that opens ``notebook`` (relative to root_dir) in this UI."""
        path = "lab/tree" if self.ui == "lab" else "notebooks"
        # `reset`: a fresh workspace, so notebooks of earlier tests in the module are not reopened.
        return f"{self.base_url}/{path}/{notebook}?reset&token={self.token}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_jupyter(
    ui: str,
    root: Path,
    env: dict[str, str] | None = None,
    token: str = "k2nb-browser-test",
    *,
    collaborative: bool = False,
) -> tuple[subprocess.Popen[bytes], JupyterServer]:
    """Start ``jupyter lab`` or ``jupyter notebook`` (Notebook 7) and wait until it answers."""
    port = _free_port()
    state = root.parent / f"{root.name}-jupyter-state"
    (state / "settings").mkdir(parents=True, exist_ok=True)
    (state / "workspaces").mkdir(parents=True, exist_ok=True)
    app = "LabApp" if ui == "lab" else "JupyterNotebookApp"
    # The server writes its own copy of the log's descriptor; ours closes once it has started.
    with (state / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter",
                ui,
                "--allow-root",
                "--no-browser",
                "--ip=127.0.0.1",
                f"--port={port}",
                f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={root}",
                f"--{app}.expose_app_in_browser=True",
                f"--{app}.user_settings_dir={state / 'settings'}",
                f"--{app}.workspaces_dir={state / 'workspaces'}",
                *collaboration_flags(state, collaborative),
            ],
            env={**os.environ, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = JupyterServer(f"http://127.0.0.1:{port}", token, root, ui)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter {ui} exited early; see {state / 'server.log'}")
        try:
            with urllib.request.urlopen(f"{server.base_url}/api/status?token={token}", timeout=1):
                return process, server
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"jupyter {ui} did not answer within 60 s; see {state / 'server.log'}")


@pytest.fixture(scope="module", params=["lab", "notebook"])
def jupyter_ui(request: Any) -> str:
    """Which UI `jupyter_server` starts: each module runs in JupyterLab and in Notebook 7."""
    return str(request.param)


@pytest.fixture(scope="module")
def board() -> Iterator[Any]:
    """The loopback K2 server every kernel of the module talks to; tests swap its script."""
    from tests.browser.harness import Switchboard

    board = Switchboard()
    yield board
    board.server.stop()


@pytest.fixture(scope="module")
def approve_mode() -> str:
    """The kernels' K2NB_APPROVE: override in a module."""
    return "ask"


@pytest.fixture(scope="module")
def jupyter_env(board: Any, approve_mode: str) -> dict[str, str]:
    """Extra environment for the server and its kernels (override in a module): by default every
    %%k2 talks to the module's `board`."""
    return {"K2NB_BASE_URL": board.server.base_url, "K2NB_API_KEY": "sk-browser-test", "K2NB_APPROVE": approve_mode}


@pytest.fixture(scope="module")
def collaborative() -> bool:
    """Whether the module's servers run with real-time collaboration: override in a module."""
    return False


@pytest.fixture(scope="module")
def jupyter_server(
    jupyter_ui: str, jupyter_env: dict[str, str], collaborative: bool, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JupyterServer]:
    root = tmp_path_factory.mktemp(f"root-{jupyter_ui}")
    process, server = start_jupyter(jupyter_ui, root, jupyter_env, collaborative=collaborative)
    try:
        yield server
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian chromium is not installed (`make test` installs it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A fresh page; its console lines are kept in ``page.k2nb_console``."""
    context = chromium.new_context(viewport={"width": 1280, "height": 1400})
    new_page = context.new_page()
    lines: list[str] = []
    new_page.on("console", lambda message: lines.append(f"{message.type}: {message.text}"))
    new_page.k2nb_console = lines
    yield new_page
    context.close()


def write_notebook(server: JupyterServer, name: str, cells: list[str]) -> Path:
    """A notebook of code cells (with a kernelspec, so no kernel picker appears)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    path = server.root_dir / name
    nbformat.write(nb, path)
    return path


def open_notebook(page: Any, server: JupyterServer, name: str, cells: list[str] | None = None) -> Any:
    """Write (if cells are given) and open a notebook; return once its kernel is idle."""
    if cells is not None:
        write_notebook(server, name, cells)
    page.goto(server.url(name))
    page.wait_for_function(KERNEL_IDLE, timeout=90_000)
    return page


def screenshot(page: Any, name: str) -> Path:
    """Save a screenshot under test-artifacts/ (gitignored) and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
