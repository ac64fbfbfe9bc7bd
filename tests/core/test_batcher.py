"""core/batcher.py: the one append batcher, bounded by size and by age, on an injected clock and timer."""

from __future__ import annotations

from collections.abc import Callable

from k2nb.core.batcher import AppendBatcher, Cadence, Op


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _batcher(cadence: Cadence, **kwargs: object) -> tuple[AppendBatcher, list[list[Op]], Clock]:
    clock = Clock()
    sent: list[list[Op]] = []
    return AppendBatcher(sent.append, cadence, clock=clock, **kwargs), sent, clock  # type: ignore[arg-type]


def test_appends_to_one_target_merge_until_the_batch_is_big_enough() -> None:
    batcher, sent, clock = _batcher(Cadence(min_interval=0.25, max_delay=2.0, batch_chars=10))
    clock.now = 1.0
    for piece in ("abc", "def", "ghi"):
        batcher.add({"op": "append", "id": "a", "text": piece})
    assert sent == []  # 9 characters: not worth a message yet
    batcher.add({"op": "append", "id": "a", "text": "j"})
    assert sent == [[{"op": "append", "id": "a", "text": "abcdefghij"}]]


def test_a_small_batch_goes_out_when_it_is_old_enough() -> None:
    batcher, sent, clock = _batcher(Cadence(min_interval=0.25, max_delay=2.0, batch_chars=2048))
    batcher.add({"op": "append", "id": "a", "text": "x"})
    clock.now = 1.9
    batcher.add({"op": "append", "id": "b", "text": "y"})
    assert sent == []
    clock.now = 2.0
    batcher.add({"op": "append", "id": "b", "text": "z"})
    assert sent == [[{"op": "append", "id": "a", "text": "x"}, {"op": "append", "id": "b", "text": "yz"}]]


def test_urgent_ops_go_at_once_after_the_text_before_them() -> None:
    batcher, sent, _ = _batcher(Cadence())
    batcher.add({"op": "append", "id": "a", "text": "x"})
    batcher.add({"op": "title", "id": "a", "title": "done"}, urgent=True)
    assert sent == [[{"op": "append", "id": "a", "text": "x"}, {"op": "title", "id": "a", "title": "done"}]]


def test_the_timer_sends_what_a_pause_would_strand() -> None:
    timers: list[tuple[float, Callable[[], None]]] = []
    batcher, sent, clock = _batcher(
        Cadence(min_interval=0.25, max_delay=2.0), schedule=lambda d, f: timers.append((d, f))
    )
    batcher.add({"op": "append", "id": "a", "text": "last words"})
    assert sent == [] and [delay for delay, _ in timers] == [2.0]
    clock.now = 2.0
    timers[0][1]()
    assert sent == [[{"op": "append", "id": "a", "text": "last words"}]]
