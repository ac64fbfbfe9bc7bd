"""``k2nb serve``: run the toy, a scripted or a recorded engine as a local OpenAI-compatible server."""

from __future__ import annotations

import argparse
import ipaddress
import json
import signal
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from types import FrameType
from typing import IO, Any, get_args

from ..core.models import MODELS
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
        help="model id to serve (repeatable; default: every model of k2nb's table, or a recording's)",
    )
    parser.add_argument(
        "--retire",
        action="append",
        default=[],
        metavar="MODEL",
        help="answer 404 for MODEL, as Moonshot does for a discontinued model (repeatable)",
    )
    parser.add_argument("--api-key", default=None, help="require 'Authorization: Bearer KEY' (default: accept any)")
    parser.add_argument(
        "--lenient",
        action="store_true",
        help="accept assistant tool-call messages without reasoning (the moonshot and openrouter dialects "
        "reject them with HTTP 400; vllm accepts them)",
    )
    parser.add_argument(
        "--log",
        metavar="FILE",
        default=None,
        help="append each request and each response to FILE as JSON lines (headers, so keys, are never written)",
    )
    return parser


class ExchangeLog:
    """``--log FILE``: one JSON line per request and per response, numbered in arrival order."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._started = time.monotonic()

    def __call__(self, record: dict[str, Any]) -> None:
        line = json.dumps({"t": round(time.monotonic() - self._started, 3), **record}, ensure_ascii=False)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()


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
    models = args.models or ([recorded.model] if recorded is not None else [m.id for m in MODELS])
    with ExitStack() as stack:
        try:
            log = ExchangeLog(stack.enter_context(Path(args.log).open("a", encoding="utf-8"))) if args.log else None
        except OSError as exc:
            print(f"k2nb serve: cannot write {args.log!r} ({exc.strerror}); choose another --log FILE", file=sys.stderr)
            return 2
        server = ChatServer(
            engine,
            dialect=args.dialect,
            host=args.host,
            port=args.port,
            api_key=args.api_key,
            models=models,
            retired=args.retire,
            strict_reasoning=False if args.lenient else None,
            tokens_per_second=args.speed or None,
            log=log,
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
        print(
            f"k2nb serve: {args.engine} engine, {args.dialect} dialect, models {', '.join(server.models)}", flush=True
        )
        if args.log:
            print(f"k2nb serve: logging requests and responses to {args.log}", flush=True)
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
