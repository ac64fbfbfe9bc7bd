"""k2nb/kernel/fd_capture.py: subprocess output reaches the step through ipykernel's fd watcher; the sync
marker never shows."""

from __future__ import annotations

import io

from k2nb.kernel.fd_capture import _Redirect


def test_the_marker_is_removed_even_when_split_across_reads() -> None:
    target = io.StringIO()
    redirect = _Redirect(object(), 1, target)
    marker = redirect.marker
    for piece in ("SYS=one\n" + marker[:5], marker[5:12], marker[12:] + "after\n"):
        redirect.write(piece)
    assert redirect.seen.is_set()
    assert target.getvalue() == "SYS=one\nafter\n"


def test_text_that_only_looks_like_the_start_of_the_marker_is_kept() -> None:
    target = io.StringIO()
    redirect = _Redirect(object(), 1, target)
    redirect.write("progress \x1b]")
    redirect.write("0;title\x07 done\n")
    assert target.getvalue() == "progress \x1b]0;title\x07 done\n" and not redirect.seen.is_set()
