"""What the live view's messages look like on the wire, in a real kernel: deflated batches by
default, plain JSON ops with ``K2NB_LIVE_COMPRESSION=0`` (for a browser without DecompressionStream)."""

from __future__ import annotations

import pytest

from tests.harness.kernel import Kernel
from tests.harness.live import lane_text
from tests.harness.server import SECRET_KEY, provider_env, scripted

pytestmark = pytest.mark.kernel

THINKING = " ".join(f"thought {i}" for i in range(300))


@pytest.mark.parametrize("compression", ["1", "0"])
def test_live_batches_on_the_wire(compression: str) -> None:
    with (
        scripted(f"think: {THINKING}\ntext: Done.", api_key=SECRET_KEY) as server,
        Kernel({**provider_env(server), "K2NB_LIVE_COMPRESSION": compression}) as kernel,
    ):
        kernel.execute("%load_ext k2nb", check=True)
        run = kernel.execute("%%k2 --approve auto\nThink", check=True)
    custom = [m for m in run.of_type("comm_msg") if m.content["data"].get("method") == "custom"]
    assert custom
    for m in custom:
        content = m.content["data"]["content"]
        if compression == "1":
            assert content == {"z": 1} and len(m.buffers) == 1
        else:
            assert "z" not in content and not m.buffers
    assert lane_text(run.batches, "think") == THINKING
