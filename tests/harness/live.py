"""The one reader of the live view's traffic, as the browser reads it.

Two streams carry the view's ops (k2nb/ui/live_codec.py): the widget's own comm (``custom``
messages: deflated batches, or plain JSON ops with ``K2NB_LIVE_COMPRESSION=0``), and, for a tab that
links mid-run, the ``run-attach`` / ``run-ops`` operations on ``k2nb.frontend`` (k2nb/ui/reattach.py).
Each stream is one deflate window, so each gets its own decoder, fed in arrival order. A stream with a
gap cannot be inflated past it: ipykernel 7 can file a message under another request's parent while a
subshell handles a tab's message, so a reader that follows one cell may miss one. Such a stream is
named in ``broken`` and read no further.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Any

from k2nb.ui.live_codec import Op, OpsDecoder

CATCH_UP = ("run-attach", "run-ops")  # the operations that bring a late tab the run so far, then the rest


class LiveReader:
    """Feed it every comm message of a run; it returns the batches of ops each one carried."""

    def __init__(self) -> None:
        self._streams: dict[str, OpsDecoder] = {}
        self.broken: set[str] = set()

    def read(self, msg_type: str, content: dict[str, Any], buffers: Iterable[bytes]) -> list[list[Op]]:
        """The batches in one iopub message (none for anything that is not live-view traffic)."""
        if msg_type != "comm_msg":
            return []
        data = content.get("data") or {}
        chunks = [bytes(b) for b in buffers]
        if data.get("method") == "custom":  # the widget's comm
            body = data.get("content") or {}
            if body.get("z"):
                return [batch for chunk in chunks for batch in self._inflate(content["comm_id"], chunk)]
            return [body["ops"]] if "ops" in body else []
        if data.get("op") in CATCH_UP and chunks:  # one stream per linked tab, opened by its run-attach
            stream = f"{content['comm_id']}:{data.get('clientId')}"
            if data["op"] == "run-attach":
                self._streams[stream] = OpsDecoder()
            elif stream not in self._streams:
                return []  # a stream whose start went by unseen (e.g. a cell's view of another tab's catch-up)
            return self._inflate(stream, chunks[0])
        return []

    def _inflate(self, stream: str, chunk: bytes) -> list[list[Op]]:
        if stream in self.broken:
            return []
        try:
            return self._streams.setdefault(stream, OpsDecoder()).decode(chunk)
        except zlib.error:
            self.broken.add(stream)
            return []


def block_texts(batches: Iterable[list[Op]]) -> dict[str, str]:
    """Each block's text, reassembled from the append ops in arrival order."""
    blocks: dict[str, str] = {}
    for batch in batches:
        for op in batch:
            if op.get("op") == "append":
                blocks[op["id"]] = blocks.get(op["id"], "") + op["text"]
    return blocks


def lane_text(batches: Iterable[list[Op]], lane: str) -> str:
    """All text appended to one kind of block: ``think`` (the thinking) or ``text`` (the answer)."""
    return "".join(text for block, text in block_texts(batches).items() if block.endswith(f"-{lane}"))
