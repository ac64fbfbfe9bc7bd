"""``k2nb serve``: run the toy, a scripted or a recorded engine as a local OpenAI-compatible server."""

from __future__ import annotations

import argparse
import ipaddress
import signal
import sys
import threading
from types import FrameType
from typing import get_args

from .script import ScriptedEngine
from .server import ChatServer, Responder
from .toy import ToyEngine
from .wire import Dialect


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="k2nb serve", description="Serve an offline engine over the OpenAI Chat Completions API (K2 dialects)."
    )
    parser.add_argument(
        "--engine",
        default="toy",
        help="'toy' (the offline K2 in miniature), 'script:FILE' (a script, one reply per request) or "
        "'replay:FILE' (a recording made with %%%%k2 --record, at its recorded pace)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: loopback only)")
    parser.add_argument("--port", type=int, default=8000, help="port (0 picks a free one)")
    parser.add_argument(
        "--dialect", choices=get_args(Dialect), default="moonshot", help="which provider's wire quirks to reproduce"
    )
    parser.add_argument(
        "--speed", type=float, default=60.0, help="tokens per second to stream at (0 = as fast as possible)"
    )
    parser.add_argument(
        "--replay-speed",
        dest="replay_speed",
        type=float,
        default=1.0,
        help="replay:FILE pace, × the recorded one (0 = as fast as possible)",
    )
    parser.add_argument(
        "--model",
        action="append",
        dest="models",
        metavar="MODEL",
        help="model id to serve (repeatable; default kimi-k2-thinking)",
    )
    parser.add_argument("--api-key", default=None, help="require 'Authorization: Bearer KEY' (default: accept any)")
    parser.add_argument(
        "--lenient",
        action="store_true",
        help="accept assistant tool-call messages without reasoning (Moonshot rejects them with HTTP 400)",
    )
    return parser


def make_engine(spec: str, *, replay_speed: float = 1.0) -> Responder:
    """The responder named by ``--engine``; ValueError with the fix if it cannot be built."""
    if spec == "toy":
        return ToyEngine()
    if spec.startswith("replay:"):
        from ..edge.recording import load_recording
        from ..errors import K2Error
        from .replay import ReplayEngine

        try:
            return ReplayEngine(load_recording(spec[len("replay:") :]), speed=replay_speed)
        except K2Error as exc:
            raise ValueError(str(exc).removeprefix("k2nb: ")) from None
    if spec.startswith("script:"):
        path = spec[len("script:") :]
        try:
            return ScriptedEngine.from_file(path)
        except OSError as exc:
            raise ValueError(f"cannot read script {path!r}: {exc.strerror}") from None
    raise ValueError(f"unknown engine {spec!r}; use --engine toy, script:FILE or replay:FILE")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run_serve(argv: list[str] | None = None) -> int:
    """Serve until Ctrl-C or SIGTERM; return the process exit status."""
    args = build_parser().parse_args(argv)
    try:
        engine = make_engine(args.engine, replay_speed=args.replay_speed)
    except ValueError as exc:
        print(f"k2nb serve: {exc}", file=sys.stderr)
        return 2
    recorded = getattr(engine, "recording", None)
    models = args.models or [recorded.model if recorded is not None else "kimi-k2-thinking"]
    server = ChatServer(
        engine,
        dialect=args.dialect,
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        models=models,
        strict_reasoning=not args.lenient,
        tokens_per_second=args.speed or None,
    )
    try:
        server.start()
    except OSError as exc:
        print(
            f"k2nb serve: cannot listen on {args.host}:{args.port} ({exc.strerror}); "
            "try another --port, or --port 0 for a free one",
            file=sys.stderr,
        )
        return 2
    if not _is_loopback(args.host):
        print(f"k2nb serve: warning: listening on {args.host}, reachable from other machines", file=sys.stderr)
    print(f"k2nb serve: {args.engine} engine, {args.dialect} dialect, model {', '.join(models)}", flush=True)
    print(f"k2nb serve: base URL {server.base_url}  (Ctrl-C to stop)", flush=True)
    return _wait_then_stop(server)


def _wait_then_stop(server: ChatServer) -> int:
    stop = threading.Event()

    def on_term(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_term) if threading.current_thread() is threading.main_thread() else None
    try:
        stop.wait()  # a lock wait: Ctrl-C interrupts it on the main thread
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    print("k2nb serve: stopped", flush=True)
    return 0
