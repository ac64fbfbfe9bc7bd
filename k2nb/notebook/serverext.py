"""Jupyter server extension: the kernel reads Busy while a cell runs, whatever k2nb's tab sends meanwhile."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# Measured with JupyterLab 4.6.6 / Notebook 7.6.5 / ipykernel 7.4: JupyterLab (`commsOverSubshells`, default
# per comm target) sends every comm message to a kernel subshell, created by a control-channel request the
# first time a comm target is used (k2nb's link, the live view's widget). ipykernel publishes busy/idle for
# each such message with it as parent, and both the server (/api/kernels `execution_state`) and the
# frontends (status bar, toolbar indicator) apply every status whose parent type is not in
# `MappingKernelManager.untracked_message_types` — so one approval click turned a running kernel "Idle"
# until its cell ended. These types join that list; the trait's own rule (a superset of the types sent on
# any channel but shell) already asks for the subshell ones.
UNTRACKED = (
    "comm_open",
    "comm_msg",
    "comm_close",
    "create_subshell_request",
    "create_subshell_reply",
    "delete_subshell_request",
    "delete_subshell_reply",
    "list_subshell_request",
    "list_subshell_reply",
)


def untracked_types(configured: Iterable[str]) -> list[str]:
    """``configured`` (the server's defaults or the user's own list) followed by the types it lacks."""
    types = list(configured)
    return types + [name for name in UNTRACKED if name not in types]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "k2nb.notebook.serverext"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    manager = serverapp.kernel_manager
    configured = getattr(manager, "untracked_message_types", None)
    if configured is None:  # a kernel manager without activity tracking: nothing to adjust
        serverapp.log.info("k2nb: %s has no untracked_message_types; left as is", type(manager).__name__)
        return
    types = untracked_types(configured)
    # Extended at start, not repeated in a config file: a later jupyter_server's new defaults and a user's own
    # list are kept.
    manager.untracked_message_types = types
    # The frontends read the list from the page config, which jupyterlab_server fills from the kernel manager
    # when its extension loads; extensions load in name order (jupyterlab before us, notebook after), so
    # write it here as well.
    page_config = serverapp.web_app.settings.setdefault("page_config_data", {})
    page_config["untracked_message_types"] = list(types)
    serverapp.log.info("k2nb: comm and subshell messages no longer change the kernel's busy/idle status")
