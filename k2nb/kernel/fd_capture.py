"""Route output written straight to file descriptors 1 and 2 into a step's capture.

The step's capture (step_capture.py) swaps ``sys.stdout``/``sys.stderr``, but a subprocess (``os.system``,
``subprocess.run``) writes to the process's fds. ipykernel pipes those fds to a watcher thread
that calls ``write`` on its own stream objects, which publish to the cell directly: the output
would bypass the step, the model, and the redaction of secrets. While a step runs, those streams'
``write`` goes to the step's buffers instead. The watcher reads asynchronously, so on the way out
a marker is written to each fd and awaited: everything written before it is in the step.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any, TextIO

SYNC_SECONDS = 0.5  # at most this long waiting for the watcher to deliver what is in the pipe


def _watched(stream: Any) -> int | None:
    """The fd whose pipe ``stream``'s watcher thread reads, if it is an ipykernel stream that does."""
    thread = getattr(stream, "watch_fd_thread", None)
    fd = getattr(stream, "_original_stdstream_fd", None)
    if isinstance(fd, int) and thread is not None and thread.is_alive():
        return fd
    return None


class _Redirect:
    def __init__(self, stream: Any, fd: int, target: TextIO) -> None:
        self.stream, self.fd, self.target = stream, fd, target
        # An OSC escape sequence: the watcher also copies it to the kernel's own terminal, which ignores it.
        self.marker = f"\x1b]k2nb-sync;{uuid.uuid4().hex}\x07"
        self.seen = threading.Event()
        self._tail = ""

    def write(self, text: str) -> int:
        # Called on the watcher thread. The marker may arrive split across reads.
        text = self._tail + text
        self._tail = ""
        if self.marker in text:
            text = text.replace(self.marker, "")
            self.seen.set()
        else:
            keep = next((n for n in range(len(self.marker) - 1, 0, -1) if text.endswith(self.marker[:n])), 0)
            text, self._tail = (text[:-keep], text[-keep:]) if keep else (text, "")
        if text:
            self.target.write(text)
        return len(text)

    def sync(self) -> None:
        try:
            os.write(self.fd, self.marker.encode())
        except OSError:
            return
        self.seen.wait(SYNC_SECONDS)
        if self._tail:
            self.target.write(self._tail)


@contextmanager
def fd_output_into(originals: tuple[Any, Any], targets: tuple[TextIO, TextIO]) -> Iterator[None]:
    """While active, fd-level writes that ``originals`` (the kernel's stdout/stderr) would publish
    go to ``targets`` (the step's capture buffers). Outside ipykernel this does nothing."""
    redirects = [
        _Redirect(stream, fd, target)
        for stream, target in zip(originals, targets, strict=True)
        if (fd := _watched(stream)) is not None
    ]
    with ExitStack() as stack:
        for redirect in redirects:
            stack.callback(_restore, redirect.stream, vars(redirect.stream).get("write"))
            redirect.stream.write = redirect.write  # an instance attribute shadows the method
        try:
            yield
        finally:
            for redirect in redirects:
                redirect.sync()


def _restore(stream: Any, previous: Any) -> None:
    if previous is None:
        del stream.write
    else:
        stream.write = previous
