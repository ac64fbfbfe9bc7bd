"""A question the user answers on the page opens before the page shows it.

An approval's buttons and presenter mode's Next ▶ are clicks relayed from the tab over the comm.
A fast tab (or a kernel thread busy elsewhere) can answer the moment the question is shown, before
the run starts waiting; were the question opened only by the wait, that answer would be dropped as
stale and the run would wait for a click already given. So whoever asks opens the question first.
"""

from __future__ import annotations

import contextlib
from contextlib import AbstractContextManager
from typing import Protocol, runtime_checkable


@runtime_checkable
class AnsweredFromPage(Protocol):
    """An answerer whose answers are clicks relayed from the page, kept from ``expecting(key)`` on."""

    def expecting(self, key: str) -> AbstractContextManager[None]: ...


def opened_before_shown(answerer: object, key: str) -> AbstractContextManager[None]:
    """Open question ``key`` while showing and awaiting it, when answers come from the page."""
    return answerer.expecting(key) if isinstance(answerer, AnsweredFromPage) else contextlib.nullcontext()
