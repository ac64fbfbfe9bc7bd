"""k2nb/core/transcript.py: the run's record, built from its events."""

from __future__ import annotations

import json

from k2nb.core.transcript import Transcript
from tests.harness.hostile import EVIL, evil_run


def test_transcript_serializes_joined_text() -> None:
    transcript = Transcript()
    for event in evil_run():
        transcript.apply(event)
    data = json.loads(json.dumps(transcript.to_dict()))
    assert data["status"] == "done"
    assert data["steps"][0]["reasoning"] == EVIL
    assert [t["status"] for t in data["steps"][0]["tools"]] == ["ok", "invalid"]
    assert "reasoning_parts" not in data["steps"][0]
