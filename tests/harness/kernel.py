"""The one way tests and benchmarks start a Jupyter kernel, and what they read back from it.

Every kernel starts from :func:`kernel_env`: this process's environment without the developer's
provider settings, so no run reaches a real host by accident. Two drivers share it:

- :class:`Kernel` drives a kernel through jupyter_client as a frontend does: execute (with request
  metadata), answer ``input()``, interrupt mid-cell, restart, open a second client (another page).
  Each execution keeps every iopub frame of its cell with its size on the wire, what the user
  would read, and the live view's ops (read by :class:`tests.harness.live.LiveReader`).
- :func:`run_notebook` executes a whole notebook with nbclient and returns it as saved: outputs,
  display updates applied, metadata. nbclient can neither interrupt nor answer ``input()``.

A test that starts a kernel must carry the ``kernel`` marker (``make test-fast`` leaves those out);
tests/conftest.py tells this module which test runs, and starting a kernel in an unmarked one fails.
"""

from __future__ import annotations

import json
import os
import queue
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import nbformat
import zmq
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from jupyter_client.session import Session
from nbclient import NotebookClient

from tests.harness.live import LiveReader

KERNEL_NAME = "python3"  # ipykernel's own spec: this interpreter
# What selects a provider or changes a run's pace; a test's kernel gets these only when the test says so.
PROVIDER_ENV = (
    "K2NB_API_KEY",
    "MOONSHOT_API_KEY",
    "K2NB_BASE_URL",
    "K2NB_MODEL",
    "K2NB_PROVIDER",
    "K2NB_APPROVE",
    "OPENROUTER_API_KEY",
    "K2NB_TOY_SPEED",
)
# ipykernel turns its fd watcher (subprocess and os.write output -> the cell) off when it sees this.
PYTEST_VARIABLE = "PYTEST_CURRENT_TEST"

_unmarked_test: str | None = None


def forbid_kernels(test_id: str | None) -> None:
    """Called by tests/conftest.py before each test: the id of a test without the ``kernel`` marker, else None."""
    global _unmarked_test  # noqa: PLW0603 - one flag for the whole test session
    _unmarked_test = test_id


def _check_marked() -> None:
    if _unmarked_test is not None:
        raise RuntimeError(
            f"{_unmarked_test} starts a kernel: mark it `pytest.mark.kernel` (make test-fast leaves those out)"
        )


def kernel_env(extra: Mapping[str, str] | None = None, *, fd_watcher: bool = False) -> dict[str, str]:
    """A kernel's environment: ours without provider settings, the toy engine unpaced, then ``extra``.
    ``fd_watcher``: start the kernel as users have it, with subprocess output reaching the cell."""
    env = {name: value for name, value in os.environ.items() if name not in PROVIDER_ENV}
    env["K2NB_TOY_SPEED"] = "0"  # the default (60 tokens/s) is for people watching
    if fd_watcher:
        env.pop(PYTEST_VARIABLE, None)
    env.update(extra or {})
    return env


@dataclass
class WireMessage:
    """One iopub message of a cell, as it crossed the wire."""

    msg_type: str
    nbytes: int  # header, parent header, metadata, content and buffers, as sent
    at: float  # seconds since the execute request was sent, on this side
    sent: float  # the kernel's send time (header date), POSIX seconds
    content: dict[str, Any]
    buffers: list[bytes] = field(default_factory=list)
    content_bytes: int = 0  # the content frame alone, as sent

    @property
    def envelope_bytes(self) -> int:
        """What the Jupyter protocol adds around the content: header, parent header, metadata."""
        return self.nbytes - self.content_bytes - sum(len(b) for b in self.buffers)


@dataclass
class Execution:
    """One cell: its reply status and everything the kernel published for it, in order."""

    status: str = ""  # the execute_reply status: ok | error | aborted
    messages: list[WireMessage] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # what a user would read, in order (live ops included)
    batches: list[list[dict[str, Any]]] = field(default_factory=list)  # the live view's ops, inflated
    prompts: list[str] = field(default_factory=list)  # stdin prompts the kernel asked
    interrupted_at: float | None = None
    seconds: float = 0.0  # execute request sent -> status idle received
    live: LiveReader = field(default_factory=LiveReader)

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    @property
    def printed(self) -> str:
        """Only what the cell printed (streams) and its traceback, as a terminal would show it."""
        parts = []
        for m in self.messages:
            if m.msg_type == "stream":
                parts.append(m.content["text"])
            elif m.msg_type == "error":
                parts.append("\n".join(m.content["traceback"]))
        return "".join(parts)

    @property
    def nbytes(self) -> int:
        return sum(m.nbytes for m in self.messages)

    @property
    def comm_bytes(self) -> int:
        return sum(m.nbytes for m in self.of_type("comm_msg"))

    def of_type(self, msg_type: str) -> list[WireMessage]:
        return [m for m in self.messages if m.msg_type == msg_type]

    def take(self, message: WireMessage) -> None:
        self.messages.append(message)
        kind, content = message.msg_type, message.content
        if kind == "stream":
            self.texts.append(content["text"])
        elif kind in ("display_data", "update_display_data", "execute_result"):
            data = content.get("data", {})
            self.texts.extend(str(data[m]) for m in ("text/plain", "text/html") if m in data)
        elif kind == "error":
            self.texts.append(f"{content['ename']}: {content['evalue']}")
        elif kind == "comm_msg":
            batches = self.live.read(kind, content, message.buffers)
            self.batches.extend(batches)
            if batches:
                self.texts.extend(str(batch) for batch in batches)
            else:
                self.texts.append(str(content.get("data") or {}))


class Kernel:
    """A real kernel driven like a frontend (jupyter_client). ``python``: another interpreter's
    ipykernel (a spec written for it); ``cwd``: where it starts; ``fd_watcher``: see :func:`kernel_env`."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        python: str | None = None,
        cwd: str | Path | None = None,
        fd_watcher: bool = False,
    ) -> None:
        _check_marked()
        self._specs: tempfile.TemporaryDirectory[str] | None = None
        if python is None:
            self.manager = KernelManager(kernel_name=KERNEL_NAME)
        else:
            self._specs = tempfile.TemporaryDirectory(prefix="k2nb-kernels-")
            spec_dir = Path(self._specs.name) / "other"
            spec_dir.mkdir()
            argv = [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
            (spec_dir / "kernel.json").write_text(
                json.dumps({"argv": argv, "display_name": "other", "language": "python"})
            )
            specs = KernelSpecManager(kernel_dirs=[self._specs.name])
            self.manager = KernelManager(kernel_name="other", kernel_spec_manager=specs)
        self.manager.start_kernel(env=kernel_env(env, fd_watcher=fd_watcher), cwd=str(cwd) if cwd else None)
        self.client = self._connect()

    def _connect(self) -> Any:
        client = self.manager.client()
        client.start_channels()
        client.wait_for_ready(timeout=60)
        return client

    def new_client(self) -> Any:
        """A second client with its own session id: what another page (or a reloaded one) is to the kernel.
        The caller stops its channels."""
        session = Session(key=self.manager.session.key, signature_scheme=self.manager.session.signature_scheme)
        client = self.manager.client(session=session)
        client.start_channels()
        return client

    def restart(self) -> None:
        self.client.stop_channels()
        self.manager.restart_kernel(now=True)
        self.client = self._connect()

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)
        if self._specs is not None:
            self._specs.cleanup()

    def __enter__(self) -> Kernel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def pid(self) -> int:
        return int(self.manager.provisioner.process.pid)  # type: ignore[union-attr]

    def execute(
        self,
        code: str,
        *,
        metadata: Mapping[str, Any] | None = None,
        interrupt_when: Callable[[Execution], bool] | None = None,
        answer: Callable[[str, Execution], str | None] | None = None,
        while_running: Callable[[Execution], None] | None = None,
        on_message: Callable[[WireMessage], None] | None = None,
        timeout: float = 60,
        check: bool = False,
    ) -> Execution:
        """Run ``code`` (``metadata``: the execute request's, e.g. JupyterLab's ``cellId``).
        ``answer`` replies to stdin prompts (None: leave it unanswered); ``interrupt_when`` is polled
        while the cell runs and interrupts the kernel once; ``while_running`` is called as often
        (e.g. a stand-in tab sending comm messages); ``on_message`` sees each message as it arrives.
        ``check``: raise unless the cell ends ``ok``."""
        client = self.client
        iopub, stdin = client.iopub_channel.socket, client.stdin_channel.socket
        while iopub.poll(0):  # what earlier cells left unread
            iopub.recv_multipart()
        poller = zmq.Poller()
        poller.register(iopub, zmq.POLLIN)
        poller.register(stdin, zmq.POLLIN)
        request = client.session.msg(
            "execute_request",
            {
                "code": code,
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": True,
                "stop_on_error": True,
            },
        )
        request["metadata"].update(metadata or {})
        result = Execution()
        start = time.perf_counter()
        client.shell_channel.send(request)
        msg_id = request["header"]["msg_id"]
        while True:
            if time.perf_counter() - start > timeout:
                raise TimeoutError(f"the cell did not finish in {timeout:g} s; shown so far:\n{result.text[-3000:]}")
            if interrupt_when is not None and result.interrupted_at is None and interrupt_when(result):
                self.manager.interrupt_kernel()
                result.interrupted_at = time.perf_counter() - start
            if while_running is not None:
                while_running(result)
            ready = dict(poller.poll(50))
            if stdin in ready:
                self._prompted(client, result, answer)
            if iopub not in ready:
                continue
            message = self._receive(client, iopub, start)
            if message is None or message[0] != msg_id:
                continue
            wire = message[1]
            result.take(wire)
            if on_message is not None:
                on_message(wire)
            if wire.msg_type == "status" and wire.content.get("execution_state") == "idle":
                result.seconds = wire.at
                break
        # The channels' own reads: the client's get_*_msg run an asyncio loop, one per thread, never closed.
        reply = client.shell_channel.get_msg(timeout=30)
        while reply["parent_header"].get("msg_id") != msg_id:  # e.g. a kernel_info reply after a restart
            reply = client.shell_channel.get_msg(timeout=30)
        result.status = reply["content"]["status"]
        if check and result.status != "ok":
            raise RuntimeError(f"the cell failed: {reply['content'].get('evalue')}\n{result.text[-3000:]}")
        return result

    @staticmethod
    def _prompted(client: Any, result: Execution, answer: Callable[[str, Execution], str | None] | None) -> None:
        try:
            request = client.stdin_channel.get_msg(timeout=0)
        except queue.Empty:
            return
        prompt = request["content"]["prompt"]
        result.prompts.append(prompt)
        reply = answer(prompt, result) if answer else None
        if reply is not None:
            client.input(reply)

    @staticmethod
    def _receive(client: Any, iopub: Any, start: float) -> tuple[str, WireMessage] | None:
        """The next iopub message, read raw so its size is the frames the kernel sent."""
        frames = iopub.recv_multipart(copy=True)
        at = time.perf_counter() - start
        _, parts = client.session.feed_identities(frames, copy=True)
        message = client.session.deserialize(parts, content=True, copy=True)
        date = message["header"].get("date")
        sent = date.timestamp() if isinstance(date, datetime) else at
        wire = WireMessage(
            message["msg_type"],
            sum(len(p) for p in parts[1:]),
            at,
            sent,
            message["content"],
            [bytes(b) for b in message["buffers"]],
            len(parts[4]),
        )
        return str(message["parent_header"].get("msg_id", "")), wire

    def run(self, code: str, timeout: float = 30) -> str:
        """Execute ``code``; what it printed (an error fails the test with its traceback)."""
        done = self.execute(code, timeout=timeout)
        assert done.status == "ok", done.printed
        return done.printed

    def drain(self, seconds: float = 0.5) -> list[dict[str, Any]]:
        """Every iopub message that arrives within ``seconds``, whatever caused it."""
        messages = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                messages.append(self.client.iopub_channel.get_msg(timeout=0.05))
            except queue.Empty:
                continue
        return messages


def new_notebook(cells: list[str]) -> nbformat.NotebookNode:
    """A notebook of code cells, with the kernelspec the kernels here run."""
    nb: nbformat.NotebookNode = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    return nb


def run_notebook(
    cells: list[str] | nbformat.NotebookNode,
    env: Mapping[str, str] | None = None,
    *,
    cwd: str | Path | None = None,
    timeout: int = 120,
    allow_errors: bool = False,
    fd_watcher: bool = False,
) -> nbformat.NotebookNode:
    """Execute a notebook (or code cells) in a fresh kernel with nbclient; the executed notebook."""
    _check_marked()
    nb = cells if isinstance(cells, nbformat.NotebookNode) else new_notebook(cells)
    resources = {"metadata": {"path": str(cwd)}} if cwd else {}
    client = NotebookClient(
        nb, timeout=timeout, kernel_name=KERNEL_NAME, allow_errors=allow_errors, resources=resources
    )
    client.execute(env=kernel_env(env, fd_watcher=fd_watcher))
    return nb
