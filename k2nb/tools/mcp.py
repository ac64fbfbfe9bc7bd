"""MCP servers as K2's tools: a kernel's servers (`%k2 mcp`), their tools' names, checks and approvals.

:class:`MCPServers` owns one kernel's (one Agent's) servers and their event-loop thread: a server
starts when it is added (its tools are listed and checked then), lives as long as the kernel, is
stopped on remove, on close and at exit, and starts again on the next call after a crash. Each run
offers the servers' tools under their own names (``SERVER__tool`` only when a name clashes); a call
asks for the user's approval like a ``@k2nb.tool`` call unless the server is trusted. A fault (a
crash, a hang past the timeout) is the call's result; the run goes on.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.output_text import cap_for_display, outputs_to_model_text
from ..core.toolbox import MAX_TOOLS, NAME_RULE, ToolContext, ToolOutcome, ToolSpec, ToolStopped, call_text, check_spec
from ..errors import ConfigError
from ..kernel.secrets import Redactor
from .approval import Answer, ApprovalPolicy, Approver
from .mcp_config import ServerConfig
from .mcp_connection import CallStopped, LoopThread, MCPConnection, MCPFault, RemoteTool, StderrLog, route_sdk_logs
from .mcp_results import result_outputs
from .user import ask_to_call

INSTALL_HINT = 'MCP servers need the official MCP SDK: pip install "k2nb[mcp]" (then restart the kernel).'
LOG_DIR = Path(tempfile.gettempdir()) / f"k2nb-mcp-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
SEPARATOR = "__"  # NAME__tool: a tool offered under its server's name when its own name clashes


def require_sdk() -> None:
    """ConfigError with the one line that says what to install, if the ``mcp`` package is missing."""
    if importlib.util.find_spec("mcp") is None:
        raise ConfigError(INSTALL_HINT)


@dataclass(frozen=True)
class RunCalls:
    """What one run's MCP calls go through: its approval policy and approver, its redactor, the call
    timeout, its Stop, and the argument check (the toolbox's)."""

    policy: ApprovalPolicy
    ask: Approver | Answer
    redactor: Redactor
    seconds: float
    stop: threading.Event | None
    validate: Callable[..., str | None]


@dataclass(frozen=True)
class Report:
    """What adding a server did, as one line for the user (printed to stderr when it failed)."""

    ok: bool
    text: str

    def show(self) -> None:
        print(self.text, file=sys.stdout if self.ok else sys.stderr)


@dataclass
class Server:
    """A server the user declared, where from, and which of its tools the model may be offered."""

    config: ServerConfig
    connection: MCPConnection
    source: str  # "add" (%k2 mcp add), "config" (%config K2Magics.mcp_servers), "file" (--mcp-config), "agent"
    usable: tuple[RemoteTool, ...] = ()
    left_out: list[str] = field(default_factory=list)  # "tool: why", one per tool that breaks Moonshot's rules

    @property
    def name(self) -> str:
        return self.config.name

    def check(self, tools: Sequence[RemoteTool]) -> None:
        """Keep the tools that pass Moonshot's rules (``check_spec``); the others are left out with a reason."""
        usable, self.left_out = [], []
        for tool in tools:
            try:
                check_spec(ToolSpec(tool.name, tool.description, tool.parameters, _unbound))
            except ValueError as error:
                why = str(error).removeprefix("k2nb: ").removeprefix(f"tool {tool.name!r}: ").rstrip(".")
                self.left_out.append(f"{tool.name}: {why}")
            else:
                usable.append(tool)
        self.usable = tuple(usable)


def _unbound(_arguments: dict[str, Any], _context: ToolContext) -> ToolOutcome:
    return ToolOutcome("error", "not bound")


def call_header(server: Server, tool: RemoteTool) -> str:
    """The comment line above an MCP call, wherever the call is shown: which server, its hints, trust."""
    parts = [f"# MCP server {server.name!r}"]
    if server.config.trust:
        parts.append("trusted: runs without asking")
    if tool.read_only_hint:
        parts.append("the server marks this tool read-only (its hint; your approval decides)")
    elif tool.destructive_hint:
        parts.append("the server marks this tool destructive")
    return " · ".join(parts) + "\n"


class MCPServers:
    """The MCP servers of one kernel (held by the Agent, as the session is): add, remove, list, offer, close."""

    def __init__(self, log_dir: Path = LOG_DIR) -> None:
        self.log_dir = log_dir
        self._servers: dict[str, Server] = {}
        self._loop = LoopThread()
        self._at_exit = False

    # -- declaring servers -----------------------------------------------------------------------
    def names(self) -> list[str]:
        return list(self._servers)

    def get(self, name: str) -> Server | None:
        return self._servers.get(name)

    def add(self, config: ServerConfig, *, source: str = "add", stop: threading.Event | None = None) -> Report:
        """Start ``config``'s server (replacing one of that name) and list its tools; what to tell the user.

        A server that fails to start is kept, marked failed with the reason (``%k2 mcp`` shows it).
        """
        require_sdk()
        replaced = self._servers.pop(config.name, None)
        if replaced is not None:
            replaced.connection.stop()
        if not self._at_exit:  # servers end with the kernel, cleanly
            atexit.register(self.close)
            self._at_exit = True
        route_sdk_logs(self.log_dir / "k2nb-mcp-sdk.log")
        log = StderrLog(self.log_dir / f"{config.name}-{os.getpid()}.log", Redactor(config.secrets()).text)
        server = Server(config, MCPConnection(config, self._loop, log), source)
        self._servers[config.name] = server
        verb = "restarted" if replaced is not None else "started"
        try:
            tools = server.connection.start(stop)
        except MCPFault as fault:
            return Report(False, f"k2nb: {fault}")
        except CallStopped:
            return Report(False, f"k2nb: MCP server {config.name!r}: stopped by you while it started.")
        server.check(tools)
        return Report(True, f"k2nb: MCP server {config.name!r} {verb} ({config.transport}). {self.tools_line(server)}")

    def remove(self, name: str) -> str:
        server = self._servers.pop(name, None)
        if server is None:
            known = ", ".join(self._servers) or "none"
            raise ConfigError(f"there is no MCP server {name!r} (servers: {known}). `%k2 mcp` lists them.")
        server.connection.stop()
        again = {
            "config": " It is still in %config K2Magics.mcp_servers: the next run starts it again unless you "
            "remove it there.",
            "file": " It is still in the --mcp-config file: a run with that file starts it again.",
        }.get(server.source, "")
        return f"k2nb: MCP server {name!r} stopped and removed.{again}"

    def sync(self, source: str, configs: Iterable[ServerConfig], stop: threading.Event | None = None) -> list[Report]:
        """Make the servers declared by ``source`` exactly ``configs``: start the new and the changed ones,
        stop those no longer declared. Servers added by another source with the same name win."""
        wanted = {c.name: c for c in configs}
        lines = []
        for name, server in list(self._servers.items()):
            if server.source == source and name not in wanted:
                server.connection.stop()
                del self._servers[name]
        for name, config in wanted.items():
            known = self._servers.get(name)
            if known is not None and (known.source != source or known.config == config):
                continue
            lines.append(self.add(config, source=source, stop=stop))
        return lines

    def secrets(self) -> tuple[str, ...]:
        """Every value the servers were given (env, headers): the run's redactor hides them."""
        return tuple(v for server in self._servers.values() for v in server.config.secrets())

    # -- what the model is offered ---------------------------------------------------------------
    def specs(self, taken: Iterable[str], run: RunCalls) -> list[ToolSpec]:
        """The servers' tools for one run, named so that no two tools share a name."""
        offered, _left_out = self.offered(taken)
        return [_bind(server, tool, name, run) for server, tool, name in offered]

    def offered(self, taken: Iterable[str]) -> tuple[list[tuple[Server, RemoteTool, str]], list[str]]:
        """(server, tool, name offered) for each tool a run offers, and why the others are not.

        A tool keeps its own name unless it clashes with ``taken`` (k2nb's and the user's tools) or
        another server's tool; then it is offered as ``SERVER__tool``.
        """
        taken = set(taken)
        entries = [(server, tool) for server in self._servers.values() for tool in server.usable]
        counts = Counter(tool.name for _, tool in entries)
        offered: list[tuple[Server, RemoteTool, str]] = []
        left_out: list[str] = []
        for server, tool in entries:
            clash = tool.name in taken or counts[tool.name] > 1
            name = f"{server.name}{SEPARATOR}{tool.name}" if clash else tool.name
            if not NAME_RULE.fullmatch(name) or name in taken:
                left_out.append(f"{server.name}/{tool.name}: its name clashes and {name!r} cannot be used either")
            elif len(taken) >= MAX_TOOLS:
                left_out.append(f"{server.name}/{tool.name}: a request declares at most {MAX_TOOLS} tools")
            else:
                offered.append((server, tool, name))
                taken.add(name)
        return offered, left_out

    # -- `%k2 mcp` -------------------------------------------------------------------------------
    def tools_line(self, server: Server) -> str:
        if not server.usable and not server.left_out:
            return "It offers no tools."
        names = [t.name + (" (read-only hint)" if t.read_only_hint else "") for t in server.usable]
        text = f"{len(names)} tool(s): {', '.join(names)}." if names else "None of its tools can be offered."
        if server.left_out:
            text += " Left out (Moonshot's tool rules): " + "; ".join(server.left_out) + "."
        return text

    def listing(self) -> str:
        if not self._servers:
            return (
                "k2nb: no MCP servers. Add one with `%k2 mcp add NAME -- COMMAND ARGS…` (stdio) or "
                "`%k2 mcp add NAME --url URL` (streamable HTTP); `%k2 help` has the rest."
            )
        lines = [f"k2nb: {len(self._servers)} MCP server(s); their stderr goes to {self.log_dir}/NAME-PID.log"]
        for server in self._servers.values():
            connection = server.connection
            if connection.state == "running":
                connection.alive()  # a server that died since its last call reads "exited", not "running"
            state = connection.state + (f": {connection.reason}" if connection.reason else "")
            asks = "trusted (runs without asking)" if server.config.trust else "asks before each call"
            lines.append(f"- {server.name} · {state} · {server.config.transport}: {server.config.describe()} · {asks}")
            lines.append(f"  {self.tools_line(server)}")
            if server.config.command:
                lines.append(f"  log: {connection.log.path}")
        return "\n".join(lines)

    def close(self) -> None:
        """Stop every server (the kernel shuts down, the extension unloads)."""
        for server in list(self._servers.values()):
            server.connection.stop()
        self._servers.clear()
        self._loop.close()
        if self._at_exit:
            atexit.unregister(self.close)
            self._at_exit = False


def _bind(server: Server, tool: RemoteTool, name: str, run: RunCalls) -> ToolSpec:
    """One MCP tool as a run's tool: approval (unless the server is trusted), the call, its outputs."""
    header = call_header(server, tool)

    def handle(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
        shown = header + call_text(name, arguments)
        if not server.config.trust:
            approved = ask_to_call(
                name, tool.parameters, arguments, run.policy, run.ask, context, run.validate, header=header
            )
            if isinstance(approved, ToolOutcome):
                return approved
            arguments, shown = approved
        try:
            result = server.connection.call(tool.name, arguments, seconds=run.seconds, stop=run.stop)
        except CallStopped:
            raise ToolStopped(code=shown) from None
        except MCPFault as fault:
            return ToolOutcome(
                "timeout" if fault.timeout else "error", run.redactor.text(f"Error: {fault}"), code=shown
            )
        outputs = [run.redactor.output(o) for o in result_outputs(result.model_dump(mode="json"))]
        text = outputs_to_model_text(outputs)
        if result.is_error:
            text = f"Error: {tool.name} on MCP server {server.name!r} returned an error:\n{text}"
        return ToolOutcome(
            "error" if result.is_error else "ok",
            text,
            outputs=tuple(cap_for_display(o) for o in outputs),
            code=shown,
        )

    description = tool.description or f"{tool.name}, a tool of the MCP server {server.name!r}."
    origin = f"MCP {server.name}" + (", trusted" if server.config.trust else "")
    return ToolSpec(
        name,
        description,
        tool.parameters,
        handle,
        origin=origin,
        shown=lambda arguments: header + call_text(name, arguments),
    )
