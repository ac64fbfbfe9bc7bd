"""A conversation in one kernel: history, usage, approval state and the runs' transcripts.

The approval mode lives in one place, the session's :class:`ApprovalPolicy`: the user's
``%k2 approve``, "Always" and "ask again" change it there, and every run reads it from there.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from .core.transcript import Transcript
from .core.turn import Usage
from .tools.approval import ApprovalPolicy


@dataclass
class Session:
    policy: ApprovalPolicy = field(default_factory=lambda: ApprovalPolicy("ask"))
    messages: list[dict[str, Any]] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    transcripts: list[Transcript] = field(default_factory=list)
    # A stable per-session value: Moonshot's prompt cache hits more often with it.
    cache_key: str = field(default_factory=lambda: f"k2nb-{uuid.uuid4().hex}")

    def record(self, transcript: Transcript, messages: list[dict[str, Any]]) -> None:
        """Commit a finished run: its (always valid) history and its usage."""
        self.messages = messages
        self.usage = self.usage + transcript.usage
        self.transcripts.append(transcript)
