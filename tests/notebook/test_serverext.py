"""k2nb.notebook.serverext is shipped, enabled by the install, and adds the comm and subshell types to its list.

The list is read from the installed jupyter_server's own default, so a change there shows up here.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from jupyter_core.paths import jupyter_config_path
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager, MappingKernelManager

from k2nb.notebook.serverext import UNTRACKED, _load_jupyter_server_extension, untracked_types

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "jupyter-config" / "jupyter_server_config.d" / "k2nb.json"
INSTALLED = Path(sys.prefix) / "etc" / "jupyter" / "jupyter_server_config.d" / "k2nb.json"
DEFAULTS: list[str] = list(MappingKernelManager.class_traits()["untracked_message_types"].default())

# A real ServerApp as `jupyter lab` / `jupyter notebook` start it: the extensions enabled by the installed
# config files (JupyterLab's and Notebook 7's load before and after ours, by name). In a subprocess, so its
# singletons and event loop stay out of this test process.
_SERVER = """
import json, sys, tempfile
from jupyter_server.serverapp import ServerApp
app = ServerApp()
app.initialize(argv=[f"--ServerApp.root_dir={tempfile.mkdtemp()}", *sys.argv[1:]], new_httpserver=False)
print(json.dumps({"extensions": sorted(app.extension_manager.extensions),
                  "manager": list(app.kernel_manager.untracked_message_types),
                  "page": app.web_app.settings["page_config_data"].get("untracked_message_types")}))
"""


def _server_lists(*argv: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _SERVER, *argv], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lists = dict(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "k2nb.notebook.serverext" in lists["extensions"], (
        f"the installed config did not enable k2nb.notebook.serverext (loaded: {lists['extensions']}). "
        "Fix: pip install -e . (or pip install .) in this environment."
    )
    return lists


def test_the_shipped_config_enables_the_extension_and_the_wheel_installs_it() -> None:
    tomllib = pytest.importorskip("tomllib")
    assert json.loads(SHIPPED.read_text()) == {"ServerApp": {"jpserver_extensions": {"k2nb.notebook.serverext": True}}}
    shared = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert shared["shared-data"]["jupyter-config/jupyter_server_config.d/k2nb.json"] == (
        "etc/jupyter/jupyter_server_config.d/k2nb.json"
    )


def test_this_environment_has_it_where_the_server_looks() -> None:
    assert INSTALLED.is_file() and INSTALLED.read_text() == SHIPPED.read_text(), (
        f"{INSTALLED} is missing or stale. Fix: pip install -e . (or pip install .) in this environment."
    )
    assert str(INSTALLED.parent.parent) in jupyter_config_path()


def test_the_server_and_the_page_config_get_the_defaults_plus_the_comm_and_subshell_types() -> None:
    assert "kernel_info_request" in DEFAULTS and "status" in DEFAULTS  # jupyter_server's trait, as installed
    expected = DEFAULTS + [name for name in UNTRACKED if name not in DEFAULTS]
    lists = _server_lists()
    assert lists["manager"] == expected
    assert lists["page"] == expected  # what JupyterLab and Notebook 7 read
    assert {"jupyterlab", "notebook"} <= set(lists["extensions"])


def test_a_users_own_list_is_extended_not_replaced() -> None:
    # A real kernel manager configured as a user would; the server app around it reduced to what the
    # extension touches.
    manager = AsyncMappingKernelManager(untracked_message_types=["comm_msg", "my_custom_request"])
    app = SimpleNamespace(kernel_manager=manager, web_app=SimpleNamespace(settings={}), log=logging.getLogger("test"))
    _load_jupyter_server_extension(app)
    expected = ["comm_msg", "my_custom_request", *[t for t in UNTRACKED if t != "comm_msg"]]
    assert manager.untracked_message_types == expected
    assert app.web_app.settings["page_config_data"]["untracked_message_types"] == expected


def test_untracked_types_keeps_order_and_adds_each_type_once() -> None:
    assert untracked_types([]) == list(UNTRACKED)
    assert untracked_types(["status", "comm_close"]) == [
        "status",
        "comm_close",
        *[t for t in UNTRACKED if t != "comm_close"],
    ]
    assert untracked_types(untracked_types(DEFAULTS)) == untracked_types(DEFAULTS)
