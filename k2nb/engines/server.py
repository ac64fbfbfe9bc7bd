"""A loopback OpenAI-compatible chat server that behaves like a strict K2 host.

It enforces the rules real hosts enforce (key, model, answered tool calls; in the ``moonshot`` dialect
the missing-reasoning 400 and each model's rules from the table, ``moonshot_rules``), honours the
output budget (``finish_reason: "length"``), streams a responder's turns in a chosen dialect, and can
break the stream on purpose (cut, missing ``[DONE]``, reset, slow first token, interleaved tool calls)
so clients can be tested. ``log`` receives every request and response (``k2nb serve --log``).
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..core.context_window import estimate_tokens  # the budget's estimate: the toy reports what k2nb fits
from ..core.images import IMAGE_TOKENS, image_parts
from ..core.models import MODELS, model_info
from ..core.tokens import text_tokens
from .moonshot_rules import has_reasoning, refusal
from .wire import (
    Dialect,
    Turn,
    resolve_calls,
    turn_to_chunks,
    turn_to_completion,
    within,
)


@dataclass(frozen=True)
class HttpError:
    """Reply with this status and an OpenAI-style error body."""

    status: int
    message: str
    type: str = "invalid_request_error"
    code: str | None = None
    retry_after: float | None = None  # sets the Retry-After header


@dataclass(frozen=True)
class StreamFault:
    """Stream the turn but break it."""

    cut_after_chunks: int | None = None  # end the body after N chunks (no [DONE])
    omit_done: bool = False  # send all chunks, then end without "data: [DONE]"
    reset: bool = False  # abort the TCP connection (RST) after cut_after_chunks (0 if unset)
    first_token_delay: float = 0.0  # seconds between the response headers and the first chunk
    interleave_calls: bool = False  # a later call's header before an earlier call's arguments (no real host)


@dataclass(frozen=True)
class RawStream:
    """SSE ``data`` payloads sent verbatim (a recording), each after its delay in seconds.

    ``[DONE]`` is sent only if it is among the payloads; ``reset`` aborts the connection after
    the last one (a recorded transport failure).
    """

    payloads: tuple[tuple[float, str], ...]
    reset: bool = False


@dataclass(frozen=True)
class Reply:
    turn: Turn | None = None
    error: HttpError | None = None
    fault: StreamFault | None = None
    raw: RawStream | None = None  # takes precedence over ``turn`` (streaming requests only)


Responder = Callable[[dict[str, Any]], "Reply | Turn"]
ExchangeLog = Callable[[dict[str, Any]], None]  # one record per request and per response


def image_count(body: dict[str, Any]) -> int:
    return sum(1 for m in body.get("messages") or [] if isinstance(m, dict) for _ in image_parts(m.get("content")))


def estimate_prompt_tokens(body: dict[str, Any]) -> int:
    messages = body.get("messages") or []
    tools = body.get("tools")
    return sum(estimate_tokens(m) for m in messages) + (text_tokens(json.dumps(tools)) if tools else 0)


def count_history_calls(messages: Sequence[dict[str, Any]]) -> int:
    """Tool calls already in the history: Moonshot ids keep counting across the conversation."""
    return sum(len(m.get("tool_calls") or []) for m in messages if m.get("role") == "assistant")


def check_history(messages: list[Any], *, strict_reasoning: bool) -> HttpError | None:
    """The 400s a strict host returns for a malformed tool-call history; None if it is fine."""
    open_ids: set[str] = set()  # ids of the latest assistant turn still allowed to be answered
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            return HttpError(400, f"message at index {index} must be an object")
        role = message.get("role")
        if role == "tool":
            if message.get("tool_call_id") not in open_ids:
                return HttpError(
                    400,
                    f"tool message at index {index} answers tool_call_id "
                    f"{message.get('tool_call_id')!r}, which no preceding "
                    "assistant message with tool_calls asked for",
                )
            continue
        open_ids = set()
        calls = (message.get("tool_calls") or []) if role == "assistant" else []
        if not calls:
            continue
        if strict_reasoning and not has_reasoning(message):
            return HttpError(
                400,
                f"thinking is enabled but reasoning_content is missing in assistant tool call message at index {index}",
            )
        open_ids = {c.get("id") for c in calls}
        answered = set()
        for later in messages[index + 1 :]:
            if not isinstance(later, dict) or later.get("role") != "tool":
                break
            answered.add(later.get("tool_call_id"))
        missing = [c.get("id") for c in calls if c.get("id") not in answered]
        if missing:
            return HttpError(
                400,
                "an assistant message with 'tool_calls' must be followed by "
                "tool messages responding to each 'tool_call_id'. The following "
                f"tool_call_ids did not have response messages: "
                f"{', '.join(map(str, missing))}",
            )
    return None


class ChatServer:
    """``with ChatServer(responder) as server:`` then point a client at ``server.base_url``."""

    def __init__(
        self,
        responder: Responder,
        *,
        dialect: Dialect = "moonshot",
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        models: Sequence[str] | None = None,
        retired: Sequence[str] = (),
        strict_reasoning: bool | None = None,
        tokens_per_second: float | None = None,
        fragment_chars: int = 12,
        log: ExchangeLog | None = None,
    ) -> None:
        """``models``: what the server offers (default: every model of the table) less ``retired`` ones,
        which answer 404 as a discontinued model does. ``strict_reasoning`` (default: every dialect but
        vllm, which silently loses missing reasoning instead): Moonshot's 400 for a tool-call turn without it."""
        self.responder = responder
        self.dialect: Dialect = dialect
        self.host = host
        self.port = port
        self.api_key = api_key
        offered = tuple(models) if models is not None else tuple(m.id for m in MODELS)
        self.models = tuple(m for m in offered if m not in retired)
        self.strict_reasoning = dialect != "vllm" if strict_reasoning is None else strict_reasoning
        self.tokens_per_second = tokens_per_second
        self.fragment_chars = fragment_chars
        self.log = log
        self.base_url = ""
        self.requests: list[dict[str, Any]] = []
        self.errors: list[BaseException] = []  # exceptions the responder raised (replied 500)
        self._lock = threading.Lock()
        self._served = 0
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> ChatServer:
        if self._httpd is not None:
            return self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        httpd = _HTTPServer((self.host, self.port), _Handler, self, family)
        self._httpd = httpd
        self.port = httpd.server_address[1]
        shown = f"[{self.host}]" if family == socket.AF_INET6 else self.host
        self.base_url = f"http://{shown}:{self.port}/v1"
        # A short poll interval keeps stop() prompt.
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"k2nb-chat-server-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers that are pacing or delaying a stream
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ChatServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- called from handler threads -------------------------------------------------------

    def record(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """Append ``body`` and return the requests that came before it."""
        with self._lock:
            earlier = list(self.requests)
            self.requests.append(body)
        return earlier

    def next_number(self) -> int:
        with self._lock:
            self._served += 1
            return self._served

    def model_entry(self, model: str) -> dict[str, Any]:
        """A ``/v1/models`` entry; Moonshot's carries what its own client reads (kimi-cli's ModelInfo)."""
        entry: dict[str, Any] = {"id": model, "object": "model", "created": 0, "owned_by": "k2nb"}
        info = model_info(model)
        if self.dialect == "moonshot" and info.known:
            entry.update(
                context_length=info.context_window,
                supports_reasoning=True,
                supports_image_in=info.images,
                supports_video_in=info.video,
            )
        return entry

    def wait(self, seconds: float) -> bool:
        """Sleep ``seconds``; True if the server is stopping meanwhile."""
        if seconds > 0:
            return self._stopping.wait(seconds)
        return self._stopping.is_set()

    def cached_tokens(self, body: dict[str, Any], earlier: list[dict[str, Any]]) -> int:
        """Tokens of the longest message prefix shared with an earlier request (a prompt cache)."""
        messages = body.get("messages") or []
        best = 0
        for old in earlier:
            same = 0
            for a, b in zip(old.get("messages") or [], messages, strict=False):
                if a != b:
                    break
                same += 1
            best = max(best, same)
        return sum(estimate_tokens(m) for m in messages[: min(best, len(messages) - 1)])


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        app: ChatServer,
        family: socket.AddressFamily,
    ) -> None:
        self.address_family = family
        self.app = app
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # needed for chunked streaming
    server: _HTTPServer

    exchange: dict[str, Any]  # what this response sent, for the log
    number = 0  # this request's number in arrival order (the log pairs each response with its request)

    def log_message(self, format: str, *args: Any) -> None:
        return  # keep test output clean

    @property
    def app(self) -> ChatServer:
        return self.server.app

    def _log(self, record: dict[str, Any]) -> None:
        if self.app.log is not None:
            self.app.log({"n": self.number, **record})

    # -- routing ---------------------------------------------------------------------------

    def do_GET(self) -> None:
        self.exchange, self.number = {}, self.app.next_number()
        path = self.path.split("?")[0].rstrip("/")
        self._log({"type": "request", "method": "GET", "path": path})
        try:
            self._get(path)
        finally:
            self._log({"type": "response", "path": path, **self.exchange})

    def _get(self, path: str) -> None:
        if not self._authorized():
            return
        if path == "/v1/models":
            self._send_json(200, {"object": "list", "data": [self.app.model_entry(m) for m in self.app.models]})
        elif path.startswith("/v1/models/") and path[len("/v1/models/") :] in self.app.models:
            self._send_json(200, self.app.model_entry(path[len("/v1/models/") :]))
        else:
            self._send_error(HttpError(404, f"no route for GET {path}", "resource_not_found_error"))

    def do_POST(self) -> None:
        self.exchange, self.number = {}, self.app.next_number()
        path = self.path.split("?")[0].rstrip("/")
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            self._post(path, raw)
        finally:
            self._log({"type": "response", "path": path, **self.exchange})

    def _post(self, path: str, raw: bytes) -> None:
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        self._log(
            {
                "type": "request",
                "method": "POST",
                "path": path,
                "body": body if body is not None else raw.decode(errors="replace"),
            }
        )
        if path != "/v1/chat/completions":
            self._send_error(HttpError(404, f"no route for POST {path}", "resource_not_found_error"))
            return
        if body is None:
            self._send_error(HttpError(400, "request body is not valid JSON"))
            return
        if not isinstance(body, dict):
            self._send_error(HttpError(400, "request body must be a JSON object"))
            return
        earlier = self.app.record(body)
        if self._authorized():
            self._chat(body, earlier)

    # -- chat ------------------------------------------------------------------------------

    def _chat(self, body: dict[str, Any], earlier: list[dict[str, Any]]) -> None:
        app = self.app
        model = body.get("model")
        if model not in app.models:
            self._send_error(
                HttpError(
                    404,
                    f"Not found the model {model} or Permission denied",
                    "resource_not_found_error",
                )
            )
            return
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            self._send_error(HttpError(400, "messages must be a non-empty list"))
            return
        problem = check_history(messages, strict_reasoning=app.strict_reasoning)
        if problem is None and app.dialect == "moonshot":
            refused = refusal(body)  # the model's own rules: sampling, thinking, images, preserved thinking
            problem = HttpError(400, refused) if refused else None
        if problem is not None:
            self._send_error(problem)
            return
        try:
            reply = app.responder(body)
        except Exception as exc:  # the engine is user code here: report it, keep serving
            app.errors.append(exc)
            self._send_error(HttpError(500, f"engine error: {type(exc).__name__}: {exc}", "server_error"))
            return
        if isinstance(reply, Turn):
            reply = Reply(turn=reply)
        if reply.error is not None:
            self._send_error(reply.error)
            return
        if reply.raw is not None:
            if not body.get("stream"):
                self._send_error(HttpError(400, "this engine serves recorded streams: send stream=true"))
                return
            self._stream_raw(reply.raw)
            return
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        turn = within(reply.turn or Turn(), limit if isinstance(limit, int) else None)
        fault = reply.fault or StreamFault()
        start = count_history_calls(messages)
        calls = resolve_calls(turn, app.dialect, start)
        common: dict[str, Any] = {
            "dialect": app.dialect,
            "model": model,
            "prompt_tokens": estimate_prompt_tokens(body),
            "cached_tokens": app.cached_tokens(body, earlier),
            "call_index_start": start,
            "calls": calls,
            "image_tokens": IMAGE_TOKENS * image_count(body),
        }
        if body.get("stream"):
            self._stream(turn, fault, body, common)
        else:
            self._complete(turn, fault, common)

    def _complete(self, turn: Turn, fault: StreamFault, common: dict[str, Any]) -> None:
        if self.app.wait(fault.first_token_delay):
            return
        if fault.reset:
            self._reset()
            return
        self._send_json(200, turn_to_completion(turn, **common))

    def _start_event_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def _stream_raw(self, raw: RawStream) -> None:
        self._start_event_stream()
        self.exchange.update(status=200, payloads=[])
        try:
            for delay, payload in raw.payloads:
                if self.app.wait(delay):
                    return
                lines = "".join(f"data: {line}\n" for line in payload.split("\n"))
                self._write_chunk(lines + "\n")
                self.exchange["payloads"].append(payload)
            if raw.reset:
                self._reset()
                return
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            return

    def _stream(self, turn: Turn, fault: StreamFault, body: dict[str, Any], common: dict[str, Any]) -> None:
        app = self.app
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        chunks = turn_to_chunks(
            turn,
            fragment_chars=app.fragment_chars,
            include_usage=include_usage,
            interleave_calls=fault.interleave_calls,
            **common,
        )
        self.exchange.update(status=200, chunks=[])
        limit = fault.cut_after_chunks
        if fault.reset and limit is None:
            limit = 0
        self._start_event_stream()
        try:
            if app.wait(fault.first_token_delay):
                return
            for n, chunk in enumerate(chunks):
                if limit is not None and n >= limit:
                    break
                if app.wait(_pace(chunk, app.tokens_per_second)):
                    return
                self._write_chunk(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n")
                self.exchange["chunks"].append(chunk)
            if fault.reset:
                self._reset()
                self.exchange["end"] = "reset"
                return
            if limit is None and not fault.omit_done:
                self._write_chunk("data: [DONE]\n\n")
                self.exchange["end"] = "[DONE]"
            self.wfile.write(b"0\r\n\r\n")  # end of the chunked body
        except (BrokenPipeError, ConnectionResetError):
            return  # the client went away; nothing to clean up

    # -- low level -------------------------------------------------------------------------

    def _authorized(self) -> bool:
        key = self.app.api_key
        if key is None or self.headers.get("Authorization") == f"Bearer {key}":
            return True
        self._send_error(HttpError(401, "Invalid Authentication", "invalid_authentication_error"))
        return False

    def _write_chunk(self, text: str) -> None:
        data = text.encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    def _send_json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self.exchange.update(status=status, body=payload)
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.close_connection = True
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            return

    def _send_error(self, error: HttpError) -> None:
        headers = {}
        if error.retry_after is not None:
            headers["Retry-After"] = f"{error.retry_after:g}"
        body = {"error": {"message": error.message, "type": error.type, "code": error.code}}
        self._send_json(error.status, body, headers)

    def _reset(self) -> None:
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN. The read file
        # holds a reference to the socket, so close it too or the descriptor stays open.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()
        self.connection.close()
        self.close_connection = True


def _pace(chunk: dict[str, Any], tokens_per_second: float | None) -> float:
    """Seconds to wait before sending ``chunk`` at the configured generation speed."""
    if not tokens_per_second or not chunk["choices"]:
        return 0.0
    delta = chunk["choices"][0]["delta"]
    text = "".join(str(delta.get(k) or "") for k in ("reasoning_content", "reasoning", "content"))
    for call in delta.get("tool_calls") or []:
        text += call["function"].get("arguments", "") + call["function"].get("name", "")
    return text_tokens(text) / tokens_per_second
