"""k2nb/ui/live_codec.py: the live view's batches, deflated as one stream."""

from __future__ import annotations

import json

from k2nb.ui.live_codec import OpsDecoder, OpsEncoder


def test_the_live_codec_round_trips_batches_as_one_stream() -> None:
    encoder, decoder = OpsEncoder(), OpsDecoder()
    batches = [
        [{"op": "append", "id": "s1a1-think", "text": f'line {i}\nwith ünïcode ✓ and "quotes"\n' * 3}]
        for i in range(50)
    ]
    messages = [encoder.encode(batch) for batch in batches]
    decoded = [batch for message in messages for batch in decoder.decode(message)]
    assert decoded == batches  # each message decodes on arrival, in order
    raw = sum(len(json.dumps(b)) for b in batches)
    assert sum(map(len, messages)) < raw / 4  # the shared window pays off across small batches
    # a message split across reads decodes once complete
    whole = OpsEncoder().encode(batches[0])
    fresh = OpsDecoder()
    assert fresh.decode(whole[: len(whole) // 2]) == []
    assert fresh.decode(whole[len(whole) // 2 :]) == [batches[0]]
