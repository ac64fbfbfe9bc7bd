"""An optional conversation log: one JSONL file per session, one line per run.

For teachers reviewing students' work (``%config K2Magics.log_dir = "logs"``). Each line holds the
prompt, the thinking, every tool call with its code and the text the model read, the answer, usage
and timing. Images are replaced by a placeholder; the API key is never part of a transcript.
"""

from __future__ import annotations

import getpass
import json
import pathlib
import time
from typing import Any

from ..core.events import Event, RunFinished
from ..core.transcript import Transcript
from ..errors import ConfigError
from ..kernel.secrets import Redactor


def _strip_binary(output: dict[str, Any]) -> dict[str, Any]:
    data = output.get("data")
    if not isinstance(data, dict):
        return output
    kept = {k: (v if k.startswith("text/") or k.endswith("json") else f"[{k} omitted]") for k, v in data.items()}
    return {**output, "data": kept}


def log_record(transcript: Transcript, session_id: str) -> dict[str, Any]:
    record = transcript.to_dict()
    for step in record["steps"]:
        for tool in step["tools"]:
            tool["outputs"] = [_strip_binary(o) for o in tool["outputs"]]
    return {"type": "run", "session": session_id, "logged_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **record}


class ConversationLog:
    """A view of a run that appends the finished run to ``<dir>/k2nb-<date>-<session>.jsonl``."""

    def __init__(self, directory: str, session_id: str, redactor: Redactor | None = None) -> None:
        """``redactor``: the run's (default: one for the environment's secrets and secret shapes)."""
        self.directory = pathlib.Path(directory).expanduser()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigError(
                f"cannot create the log directory {directory!r} ({error}); set K2Magics.log_dir"
            ) from None
        day = time.strftime("%Y%m%d")
        self.path = self.directory / f"k2nb-{day}-{session_id.removeprefix('k2nb-')[:12]}.jsonl"
        self.session_id = session_id
        self.redactor = redactor if redactor is not None else Redactor.for_run()

    def __call__(self, event: Event, run: Transcript) -> None:
        if not isinstance(event, RunFinished):
            return
        new = not self.path.exists()
        with self.path.open("a", encoding="utf-8") as log:
            if new:
                header = {"type": "session", "session": self.session_id, "user": _user(), "started": time.time()}
                log.write(json.dumps(header) + "\n")
            line = json.dumps(log_record(run, self.session_id), ensure_ascii=False, default=str)
            log.write(self.redactor.text(line) + "\n")  # the key, secret env values and variables, key shapes


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return ""
