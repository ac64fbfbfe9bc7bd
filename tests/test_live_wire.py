"""What the live view's messages look like on the wire, in a real kernel: deflated batches by
default, plain JSON ops with ``K2NB_LIVE_COMPRESSION=0`` (for a browser without DecompressionStream)."""

from __future__ import annotations

from typing import Any

import pytest

from k2nb.ui.live_codec import OpsDecoder
from tests.conftest import scripted_kernel

pytestmark = pytest.mark.kernel

THINKING = " ".join(f"thought {i}" for i in range(300))


@pytest.mark.parametrize("compression", ["1", "0"])
def test_live_batches_on_the_wire(compression: str) -> None:
    messages: list[dict[str, Any]] = []
    with scripted_kernel(f"think: {THINKING}\ntext: Done.", K2NB_LIVE_COMPRESSION=compression) as kc:
        kc.execute_interactive("%load_ext k2nb", timeout=60)
        kc.execute_interactive("%%k2 --approve auto\nThink", timeout=60, output_hook=messages.append)
    custom = [m for m in messages if m["msg_type"] == "comm_msg" and m["content"]["data"].get("method") == "custom"]
    assert custom
    decoder, ops = OpsDecoder(), []
    for m in custom:
        content = m["content"]["data"]["content"]
        if compression == "1":
            assert content == {"z": 1} and len(m["buffers"]) == 1
            ops += [op for batch in decoder.decode(bytes(m["buffers"][0])) for op in batch]
        else:
            assert "z" not in content and not m["buffers"]
            ops += content["ops"]
    thinking = "".join(op["text"] for op in ops if op["op"] == "append" and op["id"].endswith("-think"))
    assert thinking == THINKING
