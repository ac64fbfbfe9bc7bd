"""The kernel side of the link between k2nb and the notebook tabs running the labextension.

Two comms (see labextension/src/protocol.ts for the frontend side):

- ``k2nb`` — opened by each notebook tab (browser -> kernel). Its first message is
  ``{kind: "hello", clientId, version, materializeCells}``; later ones are ``{kind: ...}``
  (``approval``, ``stop``, ``next``, ``pong``...), each tagged with the tab's ``clientId``. JupyterLab
  opens it on a kernel subshell, so its messages reach Python *while a cell runs*, on the
  subshell's thread. The kernel never sends on it: ipykernel routes a comm's incoming messages to
  the shell that last sent on it, and a send from the main thread would make replies wait for the
  running cell to end.
- ``k2nb.frontend`` — opened here (kernel -> browser) and kept open. Opening it asks every tab to
  open its ``k2nb`` comm; the kernel sends ``{op: ...}`` operations on it, and an optional
  ``clientId`` restricts one to a single tab. The open at load says ``{loaded: true}``: a tab
  that still holds a ``k2nb`` comm then holds one of a kernel before a restart it did not hear
  (another client's, in a shared or collaborative notebook) and opens a new one.

Outside a Jupyter kernel (terminal IPython, a plain script) a link does nothing and stays
disconnected.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

COMM_TARGET = "k2nb"
FRONTEND_TARGET = "k2nb.frontend"
LOADED = "loaded"  # in the data of the first k2nb.frontend open: k2nb was just loaded here

TabHandler = Callable[[dict[str, Any]], None]

log = logging.getLogger(__name__)


class FrontendLink:
    """One per kernel (created by K2Magics at load).

    Registers the ``k2nb`` comm target (browser -> kernel) and opens ``k2nb.frontend``
    (kernel -> browser). Handlers registered with :meth:`on` run on whatever thread the message
    arrives on (usually a kernel subshell's), so they must be thread-safe.
    """

    def __init__(self, shell: Any) -> None:
        self._lock = threading.Lock()
        self._hello_arrived = threading.Condition(self._lock)
        self._handlers: dict[str, list[TabHandler]] = {}
        self._clients: dict[str, str] = {}  # comm id -> the tab's clientId (after hello)
        self._hello: dict[str, dict[str, Any]] = {}  # clientId -> its hello message
        self._comms: dict[str, Any] = {}  # comm id -> the tab's open `k2nb` comm
        self._manager: Any = None
        self._downlink: Any = None
        self._closed = False
        self._sent_once: set[str] = set()  # keys of what went out on the current downlink (first_on_downlink)
        if getattr(shell, "kernel", None) is None:
            return  # not in a Jupyter kernel: nothing to link to
        try:
            import comm

            self._manager = comm.get_comm_manager()
            self._manager.register_target(COMM_TARGET, self._on_open)
            self._downlink = comm.create_comm(target_name=FRONTEND_TARGET, data={LOADED: True})
        except Exception as error:  # a kernel without comm support: stay disconnected
            log.warning("k2nb: no link to the notebook frontend (%s); approvals fall back to stdin.", error)
            self._manager = self._downlink = None

    # -- public API -----------------------------------------------------------------------
    def on(self, kind: str, handler: TabHandler) -> None:
        """Call ``handler(message)`` for each ``{kind: kind, ...}`` message from a tab."""
        with self._lock:
            self._handlers.setdefault(kind, []).append(handler)

    def off(self, kind: str, handler: TabHandler) -> None:
        """Remove a handler added with :meth:`on` (no error if it is not there)."""
        with self._lock:
            handlers = self._handlers.get(kind, [])
            if handler in handlers:
                handlers.remove(handler)

    @property
    def available(self) -> bool:
        """Whether this kernel can talk to tabs at all (a Jupyter kernel with comms)."""
        return self._downlink is not None and not self._closed

    @property
    def connected(self) -> bool:
        """True while at least one notebook tab with the labextension has said hello."""
        with self._lock:
            return bool(self._clients)

    def client_ids(self) -> list[str]:
        """The ``clientId`` of each connected tab (the ``session`` of its execute requests)."""
        with self._lock:
            return list(dict.fromkeys(self._clients.values()))

    def hello(self, client_id: str) -> dict[str, Any] | None:
        """The hello message a tab sent (its version and settings, updated by later `settings` messages)."""
        with self._lock:
            return self._hello.get(client_id)

    def wait_for_tab(self, client_id: str, timeout: float) -> bool:
        """Wait until the tab ``client_id`` has said hello (it may still be opening its comm)."""
        if not self.available:
            return False
        with self._hello_arrived:
            return self._hello_arrived.wait_for(lambda: client_id in self._hello, timeout)

    def first_on_downlink(self, key: str) -> bool:
        """True the first time ``key`` is asked for on the current ``k2nb.frontend`` comm: every tab that
        holds the comm has been sent whatever went with that key since. A reopened comm (a tab that
        did not hold it linked) starts afresh; :meth:`forget_on_downlink` undoes one key."""
        with self._lock:
            if key in self._sent_once:
                return False
            self._sent_once.add(key)
            return True

    def forget_on_downlink(self, key: str) -> None:
        with self._lock:
            self._sent_once.discard(key)

    def send(self, op: dict[str, Any], client_id: str | None = None, *, buffers: list[bytes] | None = None) -> None:
        """Send ``{op: ...}`` (and binary ``buffers``) to every tab on ``k2nb.frontend``, or only to ``client_id``'s.

        Safe from any thread; does nothing when there is no frontend link.
        """
        downlink = self._downlink
        if downlink is None or self._closed:
            return
        message = dict(op)
        if client_id is not None:
            message["clientId"] = client_id
        try:
            downlink.send(message, buffers=buffers)
        except Exception as error:  # the kernel is shutting down
            log.debug("k2nb: could not send %s to the frontend: %s", op.get("op"), error)

    def request(
        self,
        op: dict[str, Any],
        *,
        reply: str,
        tabs: Sequence[str],
        timeout: float,
        to: str | None = None,
        buffers: list[bytes] | None = None,
        enough: Callable[[dict[str, dict[str, Any]]], bool] | None = None,
        stop: threading.Event | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Ask tabs and wait for their answers: the one way the kernel asks a tab something mid-cell.

        ``op`` goes out with a fresh ``token`` (to ``to`` only, or to every tab); each ``{kind:
        reply, token}`` from one of ``tabs`` is kept. Returns the answers by tab once ``enough`` of
        them came (default: all of ``tabs``), or what came by ``timeout`` seconds, or by ``stop``.
        The answers arrive on the comm's (subshell) thread while this waits on the caller's.
        """
        token = uuid.uuid4().hex
        wanted = set(tabs)
        answers: dict[str, dict[str, Any]] = {}
        done = threading.Event()
        is_enough = enough or (lambda got: set(got) >= wanted)

        def on_reply(message: dict[str, Any]) -> None:
            client = message.get("clientId")
            if message.get("token") != token or client not in wanted:
                return
            answers[str(client)] = message
            if is_enough(dict(answers)) or set(answers) >= wanted:
                done.set()

        self.on(reply, on_reply)
        try:
            self.send({**op, "token": token}, to, buffers=buffers)
            ends = time.monotonic() + timeout
            while not done.wait(0.05):
                if time.monotonic() >= ends or (stop is not None and stop.is_set()):
                    break
            return dict(answers)
        finally:
            self.off(reply, on_reply)

    def close(self) -> None:
        """Unregister the target and close every comm. Idempotent."""
        if self._closed:
            return
        self._closed = True
        with self._lock:
            comms = list(self._comms.values())
            self._comms.clear()
            self._clients.clear()
            self._hello.clear()
        if self._manager is not None:
            try:
                if self._manager.targets.get(COMM_TARGET) == self._on_open:
                    self._manager.unregister_target(COMM_TARGET, self._on_open)
            except Exception as error:
                log.debug("k2nb: unregistering the comm target failed: %s", error)
        for c in [*comms, self._downlink]:
            if c is None:
                continue
            try:
                c.close()
            except Exception as error:
                log.debug("k2nb: closing a comm failed: %s", error)
        self._downlink = None

    def _ensure_downlink(self, seen: object) -> None:
        """Reopen ``k2nb.frontend`` for a tab that does not hold it (opened after it was, e.g. a reload).

        A page learns of a kernel comm only from its ``comm_open``, so a page loaded later never
        receives what is sent on the old one. Every tab receives the new open and takes it (iopub
        keeps it ahead of anything sent after), and the old one is closed.
        """
        with self._lock:
            old = self._downlink
            if old is None or self._closed or seen == getattr(old, "comm_id", None):
                return
            try:
                import comm

                self._downlink = comm.create_comm(target_name=FRONTEND_TARGET, data={})
            except Exception as error:
                log.debug("k2nb: could not reopen the frontend link: %s", error)
                return
            self._sent_once.clear()  # the new tab has received nothing yet
        try:
            old.close()
        except Exception as error:
            log.debug("k2nb: closing the old frontend link failed: %s", error)

    # -- comm callbacks (run on the thread the message arrived on) -------------------------
    def _on_open(self, comm: Any, msg: dict[str, Any]) -> None:
        comm_id = str(comm.comm_id)
        with self._lock:
            self._comms[comm_id] = comm
        comm.on_msg(lambda m: self._on_msg(comm_id, m))
        comm.on_close(lambda _m: self._on_close(comm_id))
        data = msg.get("content", {}).get("data") or {}
        if isinstance(data, dict) and data:
            self._dispatch(comm_id, data)

    def _on_msg(self, comm_id: str, msg: dict[str, Any]) -> None:
        data = msg.get("content", {}).get("data")
        if isinstance(data, dict):
            self._dispatch(comm_id, data)

    def _on_close(self, comm_id: str) -> None:
        with self._lock:
            self._comms.pop(comm_id, None)
            client = self._clients.pop(comm_id, None)
            if client is not None and client not in self._clients.values():
                self._hello.pop(client, None)

    def _dispatch(self, comm_id: str, data: dict[str, Any]) -> None:
        kind = data.get("kind")
        if not isinstance(kind, str):
            log.debug("k2nb: ignored a frontend message without a kind: %r", data)
            return
        message = dict(data)
        with self._lock:
            if kind == "hello" and isinstance(data.get("clientId"), str):
                self._clients[comm_id] = data["clientId"]
                self._hello[data["clientId"]] = message
                self._hello_arrived.notify_all()
            if not isinstance(message.get("clientId"), str) and comm_id in self._clients:
                message["clientId"] = self._clients[comm_id]
            client = message.get("clientId")
            if kind == "settings" and isinstance(client, str) and client in self._hello:
                # the tab's settings changed: later runs read them from its hello
                updates = {k: v for k, v in message.items() if k not in ("kind", "clientId")}
                self._hello[client] = {**self._hello[client], **updates}
            handlers = list(self._handlers.get(kind, ()))
        if kind == "hello" and "downlink" in data:
            self._ensure_downlink(data.get("downlink"))
        for handler in handlers:
            try:
                handler(message)
            except Exception:
                log.exception("k2nb: a handler for %r frontend messages failed", kind)
