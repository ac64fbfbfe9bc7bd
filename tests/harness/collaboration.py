"""jupyter-collaboration's server flags: on for the collaboration tests, off elsewhere (its files out of the repo)."""

from __future__ import annotations

from pathlib import Path


def collaboration_flags(state: Path, collaborative: bool) -> list[str]:
    """jupyter-collaboration's switch, and its files in the server's state directory (by default its
    databases go to the working directory and the user's data directory, and a session file to the
    root directory). With ``collaborative``, the server does not save on its own: the notebook file
    changes only when a client saves it (Ctrl+S), so a test can tell which client saved what."""
    flags = [
        f"--YDocExtension.disable_rtc={not collaborative}",
        f"--YDocExtension.session_store_path={state / 'collaboration_sessions.json'}",
        f"--SQLiteYStore.db_path={state / 'ystore.db'}",
        f"--BaseFileIdManager.db_path={state / 'file_id.db'}",
    ]
    return [*flags, "--YDocExtension.document_save_delay=None"] if collaborative else flags
