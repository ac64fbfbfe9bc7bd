"""An MCP server for the tests, written with the official SDK's MCPServer (FastMCP in mcp 1.x).

    python tests/harness/mcp_server.py                      # stdio
    python tests/harness/mcp_server.py --http PORT          # streamable HTTP on 127.0.0.1:PORT/mcp
    python tests/harness/mcp_server.py --only add,shout     # a subset of the tools

Its tools cover what k2nb must handle: a read-only hint, a plain call, the server's environment (for
the secrets test), a crash mid-call, a hang, a schema Moonshot rejects, an image, structured
content, an error result, and a name that clashes with a k2nb tool. It writes to stderr as real
servers do. Run as a script (by path), so it needs nothing from the k2nb package.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
import zlib
from collections.abc import Callable
from typing import Any

import anyio
from mcp.server.mcpserver import Image, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations


def png(size: int, rgb: tuple[int, int, int] = (220, 40, 40)) -> bytes:
    """A solid square PNG, made by hand so the server needs no imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * size
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * size))
        + chunk(b"IEND", b"")
    )


def build(only: set[str] | None) -> MCPServer:
    server = MCPServer("k2nb-test")

    def tool(**options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def register(function: Callable[..., Any]) -> Callable[..., Any]:
            if only is None or function.__name__ in only:
                server.tool(**options)(function)
            return function

        return register

    @tool(annotations=ToolAnnotations(read_only_hint=True))
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @tool(annotations=ToolAnnotations(destructive_hint=True))
    def shout(text: str) -> str:
        """The text in capitals."""
        print(f"shouting {len(text)} characters", file=sys.stderr, flush=True)
        return text.upper()

    @tool()
    def whoami() -> str:
        """The token this server was started with (it also logs it to stderr, as careless servers do)."""
        token = os.environ.get("DEMO_TOKEN", "")
        print(f"whoami: token is {token}", file=sys.stderr, flush=True)
        return f"I run as pid {os.getpid()} with token {token}"

    @tool()
    def pid() -> int:
        """This server process's id."""
        return os.getpid()

    @tool()
    def crash(message: str) -> str:
        """Exit the server process in the middle of the call."""
        print(f"crashing: {message}", file=sys.stderr, flush=True)
        os._exit(3)

    @tool()
    async def hang(seconds: float) -> str:
        """Take this long to answer."""
        print(f"hanging for {seconds} s", file=sys.stderr, flush=True)
        await anyio.sleep(seconds)
        return "woke up"

    @tool()
    def anything(value: Any) -> str:
        """A parameter without a JSON type: Moonshot's rules reject this schema."""
        return repr(value)

    @tool()
    def square(size: int) -> Image:
        """A red square PNG of this many pixels a side."""
        return Image(data=png(size), format="png")

    @tool()
    def stats(numbers: list[float]) -> dict[str, float]:
        """Count, mean and maximum of the numbers (structured content)."""
        return {"count": len(numbers), "mean": sum(numbers) / len(numbers), "max": max(numbers)}

    @tool()
    def fail(reason: str) -> str:
        """Always fails with the reason (an error result, not a crash)."""
        raise ToolError(f"refused: {reason}")

    @tool()
    def inspect_variable(name: str) -> str:
        """Clashes with k2nb's own inspect_variable: offered under the server's name."""
        return f"the server's own inspection of {name}"

    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", type=int, metavar="PORT")
    parser.add_argument("--only", help="comma-separated tool names")
    args = parser.parse_args()
    server = build(set(args.only.split(",")) if args.only else None)
    print(f"k2nb-test MCP server starting (pid {os.getpid()})", file=sys.stderr, flush=True)
    if args.http:
        server.run("streamable-http", host="127.0.0.1", port=args.http)
    else:
        server.run()


if __name__ == "__main__":
    main()
