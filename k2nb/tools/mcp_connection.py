"""One MCP server's session on the kernel's MCP event-loop thread: start, call (timeout, Stop), stop.

The official ``mcp`` SDK is asyncio, and the kernel's main thread runs the tool calls (and IPython's
own loop). So every session of a kernel lives on one background event loop (:class:`LoopThread`);
the main thread submits a call there and waits for it in short slices, so a kernel interrupt or the
live view's Stop cancels a call in flight. A server's stderr goes through a pipe into a log file
(redacted: the values the server was given never reach it), and its last line explains a failure.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import io
import logging
import os
import threading
import time
from collections.abc import Callable, Coroutine
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn, TypeVar

from .mcp_config import ServerConfig

if TYPE_CHECKING:
    from mcp import Client

T = TypeVar("T")
START_SECONDS = 60.0  # a server that has not listed its tools by then failed to start (npx may install first)
GRACE_SECONDS = 2.0  # beyond the SDK's own per-call timeout, before the wait gives up on its own
STOP_SECONDS = 8.0  # the SDK closes stdin, waits 2 s, then SIGTERM and SIGKILL 2 s apart
PING_SECONDS = 3.0
SLICE = 0.1  # the main thread's wait slice: how soon Stop or ■ is noticed
ServerState = Literal["starting", "running", "stopped", "exited", "failed"]


class MCPFault(Exception):
    """A server fault, as one line the model and the user read; ``timeout`` when it did not answer in time."""

    def __init__(self, message: str, *, timeout: bool = False) -> None:
        super().__init__(message)
        self.timeout = timeout


class CallStopped(KeyboardInterrupt):
    """The user stopped the wait (Stop, or the kernel's ■); the call in flight was cancelled."""


@dataclass(frozen=True)
class RemoteTool:
    """A tool as the server lists it."""

    name: str
    description: str
    parameters: dict[str, Any]
    read_only_hint: bool | None = None
    destructive_hint: bool | None = None


class LoopThread:
    """One asyncio event loop on a daemon thread: where every MCP session of one kernel lives."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=loop.run_forever, name="k2nb-mcp", daemon=True)
                self._thread.start()
                self._loop = loop
            return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    def call_soon(self, callback: Callable[[], Any]) -> None:
        with self._lock:
            if self._loop is not None:
                self._loop.call_soon_threadsafe(callback)

    def close(self) -> None:
        with self._lock:
            loop, thread, self._loop, self._thread = self._loop, self._thread, None, None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=STOP_SECONDS)
        if not thread.is_alive():
            loop.close()


def wait(future: concurrent.futures.Future[T], seconds: float, stop: threading.Event | None) -> T:
    """The future's result, waited for in slices on the calling thread; Stop and ■ cancel it.

    Raises ``concurrent.futures.TimeoutError`` after ``seconds`` (the future is cancelled then too).
    """
    deadline = time.monotonic() + seconds
    try:
        while True:
            if stop is not None and stop.is_set():
                raise CallStopped("stopped by the user")
            left = deadline - time.monotonic()
            if left <= 0:
                future.cancel()
                raise concurrent.futures.TimeoutError
            with contextlib.suppress(concurrent.futures.TimeoutError):
                return future.result(timeout=min(SLICE, left))
    except KeyboardInterrupt:
        future.cancel()
        raise CallStopped("stopped by the user") from None


def innermost(error: BaseException) -> BaseException:
    """The first exception inside (nested) exception groups: what actually went wrong."""
    while isinstance(getattr(error, "exceptions", None), tuple) and error.exceptions:  # type: ignore[attr-defined]
        error = error.exceptions[0]  # type: ignore[attr-defined]
    return error


def one_line(error: BaseException) -> str:
    """An exception (or the innermost of an exception group) as one line."""
    error = innermost(error)
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 300 else text[:300] + "…"


class StderrLog:
    """A server's stderr: a pipe whose lines go, redacted, into a log file; the last line is kept."""

    def __init__(self, path: Path, redact: Callable[[str], str]) -> None:
        self.path = path
        self._redact = redact
        self._reader: threading.Thread | None = None
        self.last_line = ""

    def open(self) -> io.TextIOWrapper:
        """A new pipe's write end for the server process (close it once the process has started)."""
        read_fd, write_fd = os.pipe()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._reader = threading.Thread(target=self._copy, args=(read_fd,), name="k2nb-mcp-stderr", daemon=True)
        self._reader.start()
        return open(write_fd, "w", encoding="utf-8", closefd=True)

    def _copy(self, read_fd: int) -> None:
        with open(read_fd, encoding="utf-8", errors="replace") as pipe, self.path.open("a", encoding="utf-8") as log:
            for line in pipe:  # ends when the server and its children have closed stderr
                shown = self._redact(line.rstrip("\n"))
                log.write(shown + "\n")
                log.flush()
                if shown.strip():
                    self.last_line = shown.strip()

    def note(self, *, ended: bool = True) -> str:
        """ " Its last stderr line: …" (or "" when it wrote nothing), for a fault's message."""
        reader = self._reader
        if ended and reader is not None:
            reader.join(timeout=1.0)  # a server that just ended: its last lines may still be in the pipe
        return f" Its last stderr line: {self.last_line!r}." if self.last_line else ""


def route_sdk_logs(path: Path) -> None:
    """The SDK's own log lines go to a file next to the servers' logs, never to the notebook."""
    logger = logging.getLogger("mcp")
    if any(getattr(h, "k2nb", False) for h in logger.handlers):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8", delay=True)
    handler.k2nb = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.propagate = False


def _is_loopback(url: str) -> bool:
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


class MCPConnection:
    """One server: started on demand (again after a crash), called from the main thread, stopped cleanly."""

    def __init__(self, config: ServerConfig, loop: LoopThread, log: StderrLog) -> None:
        self.config = config
        self.log = log
        self._loop = loop
        self.state: ServerState = "stopped"
        self.reason = ""  # why it failed or exited
        self.tools: tuple[RemoteTool, ...] = ()
        self._client: Client | None = None
        self._closing: asyncio.Event | None = None
        self._runner: concurrent.futures.Future[None] | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.config.name

    # -- the session, on the loop thread -------------------------------------------------------
    async def _session(self, ready: concurrent.futures.Future[tuple[RemoteTool, ...]]) -> None:
        from mcp import Client

        from .._version import __version__

        try:
            async with AsyncExitStack() as stack:
                transport = await self._transport(stack)
                client = await stack.enter_async_context(Client(transport, client_info=_client_info(__version__)))
                tools = await _list_tools(client)
                self._client, self._closing = client, asyncio.Event()
                if not ready.set_running_or_notify_cancel():
                    return
                ready.set_result(tools)
                await self._closing.wait()
        except Exception as error:
            if not ready.done():
                ready.set_exception(error)
            else:
                raise
        finally:
            self._client = None

    async def _transport(self, stack: AsyncExitStack) -> Any:
        config = self.config
        if config.url:
            import httpx2
            from mcp.client.streamable_http import streamable_http_client

            http = await stack.enter_async_context(
                httpx2.AsyncClient(
                    headers=dict(config.headers),
                    follow_redirects=True,
                    timeout=httpx2.Timeout(30.0, read=300.0),
                    trust_env=not _is_loopback(config.url),  # loopback never goes through a proxy
                )
            )
            return streamable_http_client(config.url, http_client=http)
        from mcp import StdioServerParameters
        from mcp.client.stdio import stdio_client

        params = StdioServerParameters(
            command=config.command or "", args=list(config.args), env=dict(config.env) or None, cwd=config.cwd
        )
        errlog = self.log.open()
        stack.callback(errlog.close)  # the child has its own copy; ours must close for the log to end

        @contextlib.asynccontextmanager
        async def spawned() -> Any:
            async with stdio_client(params, errlog=errlog) as streams:
                errlog.close()
                yield streams

        return spawned()

    # -- the main thread's side ----------------------------------------------------------------
    def start(self, stop: threading.Event | None = None, seconds: float = START_SECONDS) -> tuple[RemoteTool, ...]:
        """Start the server and list its tools; MCPFault (one line, with its last stderr line) if it cannot."""
        self.stop()
        ready: concurrent.futures.Future[tuple[RemoteTool, ...]] = concurrent.futures.Future()
        self.state, self.reason, self.log.last_line = "starting", "", ""
        runner = self._loop.submit(self._session(ready))
        runner.add_done_callback(self._ended)
        self._runner = runner
        try:
            self.tools = wait(ready, seconds, stop)
        except CallStopped:
            self.stop()
            self.state, self.reason = "failed", "stopped by the user while it started."
            raise
        except concurrent.futures.TimeoutError:
            self._fail(f"it did not list its tools within {seconds:g} s")
        except Exception as error:
            self._fail(_start_problem(self.config, error))
        self.state = "running"
        return self.tools

    def _fail(self, why: str) -> NoReturn:
        self.stop()
        self.state, self.reason = "failed", f"{why}.{self.log.note()}"
        raise MCPFault(f"MCP server {self.name!r} could not be started: {self.reason}")

    def _ended(self, runner: concurrent.futures.Future[None]) -> None:
        """The session ended on its own (the server went away): the next call starts it again."""
        if self._runner is runner and self.state == "running":
            error = None if runner.cancelled() else runner.exception()
            self._exited(f"its session ended ({one_line(error)})" if error else "its session ended")

    def _exited(self, why: str) -> None:
        self.state, self.reason = "exited", f"{why}.{self.log.note()}"

    def call(self, tool: str, arguments: dict[str, Any], *, seconds: float, stop: threading.Event | None) -> Any:
        """The server's ``CallToolResult``, started again first if it is not running; MCPFault on a fault."""
        from mcp import MCPError
        from mcp.types import CONNECTION_CLOSED, REQUEST_TIMEOUT

        if self.state != "running" or self._client is None:
            again = self.state in ("exited", "failed")
            try:
                self.start(stop)
            except MCPFault as fault:
                raise MCPFault(f"{fault} (tried again for this call)" if again else str(fault)) from None
        client = self._client
        assert client is not None
        future = self._loop.submit(client.call_tool(tool, arguments, read_timeout_seconds=seconds))
        try:
            return wait(future, seconds + GRACE_SECONDS, stop)
        except concurrent.futures.TimeoutError:
            raise self._timed_out(tool, seconds) from None
        except MCPError as error:
            if error.code == REQUEST_TIMEOUT:
                raise self._timed_out(tool, seconds) from None
            if error.code == CONNECTION_CLOSED or not self.alive():
                self.stop()
                self._exited("it exited during a call")
                raise MCPFault(
                    f"the MCP server {self.name!r} exited during the call of {tool}; "
                    f"the next call starts it again.{self.log.note()}"
                ) from None
            raise MCPFault(f"the MCP server {self.name!r} refused the call of {tool}: {one_line(error)}") from None
        except (CallStopped, MCPFault):
            raise
        except Exception as error:  # the transport's own failures (HTTP, a malformed result)
            raise MCPFault(f"the call of {tool} on MCP server {self.name!r} failed: {one_line(error)}") from None

    def _timed_out(self, tool: str, seconds: float) -> MCPFault:
        return MCPFault(
            f"{tool} on MCP server {self.name!r} did not answer within {seconds:g} s (the MCP call timeout: "
            f"%config K2Magics.mcp_timeout); the call was cancelled.{self.log.note(ended=False)}",
            timeout=True,
        )

    def alive(self, seconds: float = PING_SECONDS) -> bool:
        """Whether the running session still answers (``%k2 mcp`` checks before it says "running")."""
        client = self._client
        if self.state != "running" or client is None:
            return False
        try:  # a fresh tool listing: ping is gone from the 2026-07-28 protocol
            wait(self._loop.submit(client.list_tools(cache_mode="refresh")), seconds, None)
        except Exception:
            self.stop()
            self._exited("it no longer answers")
            return False
        return True

    def stop(self) -> None:
        """End the session (a stdio server's process is stopped: stdin closed, then SIGTERM, then SIGKILL)."""
        with self._lock:
            runner, closing, self._runner = self._runner, self._closing, None
            self._closing = None
        if runner is None:
            return
        if self.state in ("running", "starting"):
            self.state = "stopped"
        if closing is not None:
            self._loop.call_soon(closing.set)
        else:
            runner.cancel()
        with contextlib.suppress(Exception, concurrent.futures.CancelledError):
            runner.result(timeout=STOP_SECONDS)


def _client_info(version: str) -> Any:
    from mcp.types import Implementation

    return Implementation(name="k2nb", version=version)


async def _list_tools(client: Client) -> tuple[RemoteTool, ...]:
    tools: list[RemoteTool] = []
    cursor: str | None = None
    for _page in range(100):  # a paginator that never ends cannot hang the start
        page = await client.list_tools(cursor=cursor)
        for tool in page.tools:
            hints = tool.annotations
            tools.append(
                RemoteTool(
                    tool.name,
                    tool.description or tool.title or "",
                    dict(tool.input_schema),
                    hints.read_only_hint if hints else None,
                    hints.destructive_hint if hints else None,
                )
            )
        cursor = page.next_cursor
        if cursor is None:
            break
    return tuple(tools)


def _start_problem(config: ServerConfig, error: BaseException) -> str:
    error = innermost(error)
    if isinstance(error, FileNotFoundError) and config.command:
        return f"the command {config.command!r} was not found (is it installed and on the kernel's PATH?)"
    if config.url and "connect" in type(error).__name__.lower():
        return f"cannot connect to {config.url} (is the server running?)"
    text = one_line(error)
    if text == "Connection closed":
        return "it exited before it listed its tools"
    return text
