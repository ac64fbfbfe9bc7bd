"""The notebook a run belongs to, for the notebook tools: the tab's live model, or the file as last saved.

Where the k2nb labextension runs, the tab that ran the ``%%k2`` cell answers over the link mid-cell
(labextension/src/workspace.ts): it reads its live notebook model (unsaved edits count) and makes
changes in it, so undo, collaboration and other open tabs see them; k2nb never writes the file of
an open notebook. Elsewhere the saved ``.ipynb`` is read when the kernel knows its path (Jupyter
sets ``JPY_SESSION_NAME`` in the kernel's environment; VS Code puts ``__vsc_ipynb_file__`` in the
namespace), and nothing can be changed.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..core.notebook_view import NOTE_PREFIX, NotebookSnapshot, snapshot_from_json
from ..tools.notebook_tools import CANNOT_CHANGE, DONE, READ_OP, NotebookUnavailable
from .link import FrontendLink

CAPABILITY = "workspace"  # announced in the tab's hello
TIMEOUT = 10.0  # seconds to wait for the tab's answer (it takes milliseconds; a busy page more)
TAB_WAIT = 2.0  # seconds a run waits, once per kernel, for a Jupyter tab still opening its link
TOOLS = "read_notebook / read_cell"
CHANGE_TOOLS = "edit_cell / insert_cell / run_cell"


class TabNotebook:
    """The live notebook in the tab that ran the cell; only that tab reads and applies (it answers once)."""

    can_change = True

    def __init__(
        self,
        link: FrontendLink,
        client: str,
        running_id: str | None,
        *,
        stop: threading.Event | None = None,
        timeout: float = TIMEOUT,
    ) -> None:
        self._link = link
        self._client = client
        self._running = running_id
        self._stop = stop
        self._timeout = timeout

    @property
    def running_id(self) -> str | None:
        return self._running

    def _ask(self, op: dict[str, Any]) -> dict[str, Any]:
        answers = self._link.request(
            op, reply=DONE, tabs=[self._client], to=self._client, timeout=self._timeout, stop=self._stop
        )
        answer = answers.get(self._client)
        if answer is None:
            raise NotebookUnavailable(
                f"the notebook tab did not answer within {self._timeout:g} s (was it closed or reloaded?)"
            )
        if answer.get("ok") is not True:
            raise NotebookUnavailable(str(answer.get("error") or "the notebook tab refused the change"))
        return answer

    def read(self, *, full: Sequence[str] = ()) -> NotebookSnapshot:
        answer = self._ask({"op": READ_OP, "full": list(full)})
        cells = answer.get("cells")
        if not isinstance(cells, list):
            raise NotebookUnavailable("the notebook tab sent no cells")
        return snapshot_from_json(cells, running_id=self._running, path=str(answer.get("path") or ""), live=True)

    def apply(self, op: dict[str, Any]) -> dict[str, Any]:
        return self._ask(op)

    def note(self) -> str:
        where = f"the cell with id {self._running}" if self._running else "a cell"
        return (
            f"{NOTE_PREFIX} This prompt runs in {where} of the user's open notebook (read_notebook marks it ▶). "
            f"{TOOLS} read the live notebook, unsaved edits included; {CHANGE_TOOLS} change it, each only "
            "after the user accepts the change you propose."
        )


class SavedNotebook:
    """The notebook's file as last saved (no labextension here): read-only."""

    can_change = False

    def __init__(self, path: Path, running_id: str | None, running_source: str = "") -> None:
        self._path = path
        self._running = running_id
        self._source = running_source.strip()  # finds the running cell where no frontend said its id

    @property
    def running_id(self) -> str | None:
        return self._running

    def read(self, *, full: Sequence[str] = ()) -> NotebookSnapshot:
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise NotebookUnavailable(f"the notebook file {self._path.name} could not be read ({error})") from None
        cells = data.get("cells") if isinstance(data, dict) else None
        if not isinstance(cells, list):
            raise NotebookUnavailable(f"{self._path.name} is not a notebook (no cells)")
        running = self._running
        if running is None and self._source:
            running = next(
                (
                    str(c.get("id"))
                    for c in cells
                    if isinstance(c, dict) and _joined(c.get("source")).strip() == self._source
                ),
                None,
            )
        return snapshot_from_json(cells, running_id=running, path=self._path.name, live=False)

    def apply(self, op: dict[str, Any]) -> dict[str, Any]:
        raise NotebookUnavailable(CANNOT_CHANGE)

    def note(self) -> str:
        return (
            f"{NOTE_PREFIX} This prompt runs in the notebook {self._path.name}. {TOOLS} read it as last saved "
            "(unsaved edits are not seen). Its cells cannot be changed from this frontend (the k2nb JupyterLab "
            "extension is not running here): to change a cell, show the user the new code instead."
        )


def _joined(source: object) -> str:
    return "".join(str(s) for s in source) if isinstance(source, list) else str(source or "")


class UnreadableNotebook:
    """No tab and no known file (e.g. nbclient or papermill): the read tools say so in one line."""

    can_change = False

    def __init__(self, running_id: str | None) -> None:
        self._running = running_id

    @property
    def running_id(self) -> str | None:
        return self._running

    def read(self, *, full: Sequence[str] = ()) -> NotebookSnapshot:
        raise NotebookUnavailable(UNREADABLE)

    def apply(self, op: dict[str, Any]) -> dict[str, Any]:
        raise NotebookUnavailable(UNREADABLE)

    def note(self) -> str:
        return ""  # the read tools say it, in one line, if the model asks


UNREADABLE = (
    "the notebook cannot be read here: this frontend has no k2nb JupyterLab extension and the kernel does not "
    "know the notebook's file (JupyterLab, Notebook 7 and VS Code tell it; nbclient and papermill do not)."
)


def saved_path(shell: Any, environ: dict[str, str] | None = None) -> Path | None:
    """The ``.ipynb`` this kernel belongs to, when its frontend said (Jupyter's server, VS Code)."""
    env = os.environ if environ is None else environ
    candidates = [getattr(shell, "user_ns", {}).get("__vsc_ipynb_file__"), env.get("JPY_SESSION_NAME")]
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.endswith(".ipynb"):
            path = Path(candidate)
            if not path.is_absolute():
                path = Path.cwd() / path.name  # an API path: the kernel starts in the notebook's folder
            if path.is_file():
                return path
    return None


class NotebookFinder:
    """Which notebook each run belongs to; one per kernel (it remembers whether a tab ever linked)."""

    def __init__(self, link: FrontendLink) -> None:
        self._link = link
        self._waited = False

    def for_current_cell(
        self, shell: Any, *, stop: threading.Event | None = None
    ) -> TabNotebook | SavedNotebook | UnreadableNotebook | None:
        """The running cell's notebook, or None outside a kernel (terminal IPython, scripts)."""
        kernel = getattr(shell, "kernel", None)
        if kernel is None:
            return None
        try:
            parent = kernel.get_parent()
        except Exception:
            parent = {}
        running = (parent.get("metadata") or {}).get("cellId")
        running = running if isinstance(running, str) and running else None
        client = (parent.get("header") or {}).get("session")
        path = saved_path(shell)
        if isinstance(client, str) and self._link.available:
            if self._link.hello(client) is None and path is not None and running and not self._waited:
                # Run right after `%load_ext k2nb` (run all): a Jupyter tab may still be opening its link.
                self._waited = not self._link.wait_for_tab(client, TAB_WAIT)
            capabilities = (self._link.hello(client) or {}).get("capabilities")
            if isinstance(capabilities, list) and CAPABILITY in capabilities:
                return TabNotebook(self._link, client, running, stop=stop)
        if path is not None:
            code = (parent.get("content") or {}).get("code")
            return SavedNotebook(path, running, code if isinstance(code, str) else "")
        # nbclient and papermill say neither which cell nor which file: the read tools say so if asked.
        return UnreadableNotebook(running)
