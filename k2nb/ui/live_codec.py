"""The live view's wire format: its batches of ops as one deflate stream, sync-flushed per message.

Each batch is one line of JSON. The compressor keeps its window across batches, so even a short
batch compresses well (a model's text repeats its own words), and ``Z_SYNC_FLUSH`` makes every
message decodable on arrival — by the browser's ``DecompressionStream("deflate")`` in the widget,
and by :class:`OpsDecoder` in tests and benchmarks.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

Op = dict[str, Any]


class OpsEncoder:
    def __init__(self, level: int = 6) -> None:
        self._z = zlib.compressobj(level)

    def encode(self, ops: list[Op]) -> bytes:
        # json.dumps escapes newlines inside strings, so "\n" frames the batches.
        line = json.dumps(ops, ensure_ascii=False, separators=(",", ":")) + "\n"
        return self._z.compress(line.encode()) + self._z.flush(zlib.Z_SYNC_FLUSH)


class OpsDecoder:
    """Feed it the messages' bytes in order; it returns the batches each one completes."""

    def __init__(self) -> None:
        self._z = zlib.decompressobj()
        self._rest = b""

    def decode(self, data: bytes) -> list[list[Op]]:
        *lines, self._rest = (self._rest + self._z.decompress(data)).split(b"\n")
        return [json.loads(line) for line in lines]
