"""Record & replay: a run's whole exchange with the model, kept as JSONL and replayed offline.

A :class:`Recorder` sits at the HTTP edge. It wraps the chat client (every request body and
every SSE ``data`` payload, with its time since the request was sent) and listens to the run's
events (tool results, the answer). Replaying serves the recorded payloads verbatim from the
loopback server (:mod:`k2nb.engines.replay`), so a replay takes the same openai SDK / SSE /
accumulator path as a live run, and the code is re-executed in the kernel for real.

The file has one JSON object per line (``"version": 1``)::

    {"type": "header", "format": "k2nb-recording", "version": 1, "k2nb": "0.1.0",
     "created": "2025-01-31T10:00:00Z", "run_id": "…", "model": "…", "provider": "…", "prompt": "…"}
    {"type": "request", "n": 1, "t": 0.0, "body": {…}}          # as sent; keys travel in headers only
    {"type": "chunk", "n": 1, "dt": 0.012, "data": "{…}"}       # one SSE payload, dt s after the request
    {"type": "end", "n": 1, "dt": 0.31, "done": true}           # or "error" / "broken" / "stopped"
    {"type": "tool", "step": 1, "call_id": "…", "name": "code_interpreter", "status": "ok",
     "model_text": "…", "code": "…", "seconds": 0.02}
    {"type": "finish", "status": "done", "steps": 2, "answer": "…", "usage": {…}, "seconds": 1.4}

The compact copy (:meth:`Recording.compact`, kept in the cell's output metadata) is the same
without the request bodies (they only repeat the conversation), compressed.
"""

from __future__ import annotations

import base64
import dataclasses
import difflib
import html
import json
import pathlib
import re
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ._version import __version__
from .errors import ConfigError, RunStopped, TransientError
from .events import Event, Notice, RunFinished, RunStarted, ToolFinished

FORMAT = "k2nb-recording"
VERSION = 1
METADATA_KEY = "k2nb"  # output metadata: {"k2nb": {"recording": <compact copy>}}
DONE = "[DONE]"


@dataclass
class Exchange:
    """One request and the response that came back (or how it failed)."""

    n: int
    body: dict[str, Any] | None = None  # None in a compact copy
    messages: int = 0  # messages in the request
    last_role: str = ""  # role of the request's last message ("user" starts a turn)
    t: float = 0.0  # seconds since the run started
    chunks: list[tuple[float, str]] = field(default_factory=list)  # (seconds after the request, payload)
    end: dict[str, Any] = field(default_factory=dict)


@dataclass
class Recording:
    header: dict[str, Any] = field(default_factory=dict)
    exchanges: list[Exchange] = field(default_factory=list)
    tools: list[dict[str, Any]] = field(default_factory=list)
    finish: dict[str, Any] | None = None
    source: str = ""  # where it was loaded from (for messages)

    @property
    def model(self) -> str:
        return str(self.header.get("model") or "kimi-k2-thinking")

    @property
    def prompt(self) -> str:
        return str(self.header.get("prompt") or "")

    def tool(self, step: int, call_id: str) -> dict[str, Any] | None:
        for record in self.tools:
            if record.get("step") == step and record.get("call_id") == call_id:
                return record
        return None

    # -- serialization ------------------------------------------------------------------
    def records(self) -> Iterator[dict[str, Any]]:
        """The JSONL lines, in order (tools follow the exchange whose turn asked for them)."""
        yield {"type": "header", **self.header}
        tools = sorted(self.tools, key=lambda r: int(r.get("step") or 0))
        for exchange in self.exchanges:
            yield {"type": "request", "n": exchange.n, "t": exchange.t, "body": exchange.body}
            for dt, data in exchange.chunks:
                yield {"type": "chunk", "n": exchange.n, "dt": dt, "data": data}
            yield {"type": "end", "n": exchange.n, **exchange.end}
        for record in tools:
            yield {"type": "tool", **record}
        if self.finish is not None:
            yield {"type": "finish", **self.finish}

    @classmethod
    def from_records(cls, records: Iterable[dict[str, Any]], source: str = "") -> Recording:
        recording = cls(source=source)
        by_n: dict[int, Exchange] = {}
        for record in records:
            kind = record.get("type")
            rest = {k: v for k, v in record.items() if k != "type"}
            if kind == "header":
                recording.header = rest
            elif kind == "request":
                exchange = _exchange(int(rest["n"]), rest.get("body"), float(rest.get("t") or 0.0))
                by_n[exchange.n] = exchange
                recording.exchanges.append(exchange)
            elif kind == "chunk" and int(rest["n"]) in by_n:
                by_n[int(rest["n"])].chunks.append((float(rest["dt"]), str(rest["data"])))
            elif kind == "end" and int(rest["n"]) in by_n:
                by_n[int(rest["n"])].end = {k: v for k, v in rest.items() if k != "n"}
            elif kind == "tool":
                recording.tools.append(rest)
            elif kind == "finish":
                recording.finish = rest
        if recording.header.get("format") != FORMAT:
            raise ConfigError(f"{source or 'this file'} is not a k2nb recording (no k2nb-recording header line).")
        return recording

    @classmethod
    def load(cls, path: str | pathlib.Path) -> Recording:
        path = pathlib.Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigError(
                f"cannot read the recording {str(path)!r} ({error.strerror}). Record one with "
                "`%%k2 --record FILE`, or check the path (relative to the kernel's working directory)."
            ) from None
        try:
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
        except ValueError as error:
            raise ConfigError(f"the recording {str(path)!r} is not valid JSONL ({error}).") from None
        return cls.from_records(records, source=str(path))

    def save(self, path: str | pathlib.Path) -> None:
        with open(path, "w", encoding="utf-8") as file:
            for record in self.records():
                file.write(json.dumps(record, ensure_ascii=False) + "\n")

    def compact(self) -> dict[str, Any]:
        """A self-contained copy small enough for a notebook's metadata.

        The header stays readable; the exchanges (without request bodies, which only repeat the
        conversation), tool results and finish are JSON, zlib-compressed and base64-encoded
        (SSE chunks repeat their envelope, so this is about ten times smaller).
        """
        body = {
            "exchanges": [
                {
                    "n": e.n,
                    "t": round(e.t, 3),
                    "messages": e.messages,
                    "last_role": e.last_role,
                    "chunks": [[round(dt, 4), data] for dt, data in e.chunks],
                    "end": e.end,
                }
                for e in self.exchanges
            ],
            "tools": self.tools,
            "finish": self.finish,
        }
        packed = zlib.compress(json.dumps(body, ensure_ascii=False).encode("utf-8"), 9)
        return {
            "header": self.header,
            "responses": len(self.exchanges),
            "tool_results": len(self.tools),
            "encoding": "zlib+base64",
            "data": base64.b64encode(packed).decode("ascii"),
        }

    @classmethod
    def from_compact(cls, data: dict[str, Any], source: str = "") -> Recording:
        header = dict(data.get("header") or {})
        if header.get("format") != FORMAT:
            raise ConfigError(f"{source or 'this metadata'} holds no k2nb recording.")
        body = data
        if data.get("encoding") == "zlib+base64":
            try:
                body = json.loads(zlib.decompress(base64.b64decode(str(data.get("data") or ""))))
            except (ValueError, zlib.error) as error:
                raise ConfigError(f"the recording in {source or 'this metadata'} is damaged ({error}).") from None
        exchanges = [
            Exchange(
                n=int(e["n"]),
                messages=int(e.get("messages") or 0),
                last_role=str(e.get("last_role") or ""),
                t=float(e.get("t") or 0.0),
                chunks=[(float(dt), str(payload)) for dt, payload in e.get("chunks") or []],
                end=dict(e.get("end") or {}),
            )
            for e in body.get("exchanges") or []
        ]
        return cls(header, exchanges, list(body.get("tools") or []), body.get("finish"), source)


def _exchange(n: int, body: Any, t: float) -> Exchange:
    messages = (body or {}).get("messages") or [] if isinstance(body, dict) else []
    last = messages[-1].get("role", "") if messages and isinstance(messages[-1], dict) else ""
    return Exchange(n, body if isinstance(body, dict) else None, len(messages), str(last), t)


# -- loading what `--engine replay:SPEC` names ---------------------------------------------


def load_recording(spec: str, prompt: str | None = None) -> Recording:
    """A JSONL file, or ``NOTEBOOK.ipynb`` / ``NOTEBOOK.ipynb#N`` (the recordings saved in its outputs).

    From a notebook without ``#N``: the recording made from the same prompt, or its only one.
    """
    path, _, pick = spec.partition("#")
    if not path.endswith(".ipynb"):
        return Recording.load(path)
    found = notebook_recordings(path)
    if not found:
        raise ConfigError(
            f"{path!r} has no recordings in its outputs. Run a cell with `%%k2 --record`, save the "
            "notebook, then replay from it."
        )
    if pick:
        if not pick.isdigit() or not 1 <= int(pick) <= len(found):
            raise ConfigError(f"{path!r} has {len(found)} recording(s): use #1 … #{len(found)}.")
        return found[int(pick) - 1]
    same = [r for r in found if prompt is not None and r.prompt.strip() == prompt.strip()]
    if len(same) >= 1:
        return same[-1]
    if len(found) == 1:
        return found[0]
    listing = "; ".join(f"#{i}: {r.prompt[:40]!r}" for i, r in enumerate(found, 1))
    raise ConfigError(f"{path!r} has {len(found)} recordings and none has this cell's prompt; pick one: {listing}.")


def notebook_recordings(path: str | pathlib.Path) -> list[Recording]:
    """The compact recordings a saved notebook carries in its outputs' metadata, in cell order."""
    try:
        notebook = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read the notebook {str(path)!r} ({error.strerror}).") from None
    except ValueError:
        raise ConfigError(f"{str(path)!r} is not a notebook (invalid JSON).") from None
    found = []
    for number, cell in enumerate(notebook.get("cells") or [], 1):
        for output in cell.get("outputs") or []:
            data = ((output.get("metadata") or {}).get(METADATA_KEY) or {}).get("recording")
            if isinstance(data, dict):
                found.append(Recording.from_compact(data, source=f"{path} (cell {number})"))
    return found


def default_path(now: float | None = None) -> pathlib.Path:
    """``k2nb-recording-DATE-TIME-XXXX.jsonl`` in the working directory (never overwrites another)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    return pathlib.Path(f"k2nb-recording-{stamp}-{uuid.uuid4().hex[:4]}.jsonl")


# -- recording -----------------------------------------------------------------------------


class Recorder:
    """Records one run: pass it as a consumer of the run's events and wrap the run's client."""

    def __init__(self, path: str | pathlib.Path | None, *, clock: Callable[[], float] = time.perf_counter) -> None:
        self.path = pathlib.Path(path) if path else None
        self.recording = Recording()
        self.clock = clock
        self._started = clock()
        self._file: Any = None

    def wrap(self, client: Any) -> RecordingClient:
        return RecordingClient(client, self)

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._started = self.clock()
            self.recording.header = {
                "format": FORMAT,
                "version": VERSION,
                "k2nb": __version__,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(event.started_at)),
                "run_id": event.run_id,
                "model": event.model,
                "provider": event.provider,
                "prompt": event.prompt,
            }
            self._write({"type": "header", **self.recording.header})
        elif isinstance(event, ToolFinished):
            record = {
                "step": event.step,
                "call_id": event.call_id,
                "name": event.name,
                "status": event.status,
                "model_text": event.model_text,
                "code": event.code,
                "seconds": round(event.seconds, 4),
                "outputs": [_output_summary(o) for o in event.outputs],
            }
            self.recording.tools.append(record)
            self._write({"type": "tool", **record})
        elif isinstance(event, RunFinished):
            self.recording.finish = {
                "status": event.status,
                "steps": event.steps,
                "answer": event.answer,
                "usage": dataclasses.asdict(event.usage),
                "seconds": round(event.seconds, 3),
                "error": event.error,
            }
            self._write({"type": "finish", **self.recording.finish})

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    # -- called by RecordingClient --------------------------------------------------------
    def request(self, body: dict[str, Any]) -> Exchange:
        exchange = _exchange(len(self.recording.exchanges) + 1, json.loads(json.dumps(body)), self._since_start())
        self.recording.exchanges.append(exchange)
        self._write({"type": "request", "n": exchange.n, "t": exchange.t, "body": exchange.body})
        return exchange

    def chunk(self, exchange: Exchange, dt: float, data: str) -> None:
        exchange.chunks.append((dt, data))
        self._write({"type": "chunk", "n": exchange.n, "dt": round(dt, 5), "data": data})

    def end(self, exchange: Exchange, dt: float, **how: Any) -> None:
        exchange.end = {"dt": round(dt, 5), **how}
        self._write({"type": "end", "n": exchange.n, **exchange.end}, flush=True)

    def _since_start(self) -> float:
        return round(self.clock() - self._started, 4)

    def _write(self, record: dict[str, Any], *, flush: bool = False) -> None:
        if self.path is None:
            return
        if self._file is None:
            if self.path.parent != pathlib.Path():
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - closed by close()
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        if flush or record["type"] in ("header", "finish"):
            self._file.flush()


def recording_output(recorder: Recorder) -> tuple[dict[str, str], dict[str, Any]]:
    """The output that reports a recording: (mimebundle, metadata with the compact copy).

    The kernel cannot write a cell's metadata, but an output's metadata is saved with the cell:
    a saved notebook carries the recording and ``--engine replay:NOTEBOOK.ipynb`` reads it back.
    """
    r = recorder.recording
    where = str(recorder.path) if recorder.path else "memory"
    text = (
        f"⏺ k2nb: recorded {len(r.exchanges)} response(s) and {len(r.tools)} tool result(s) to {where}. "
        f"Replay offline with `%%k2 --engine replay:{where}`; a compact copy is saved in this output "
        "(`--engine replay:NOTEBOOK.ipynb` once the notebook is saved)."
    )
    shown = html.escape(where)
    markup = (
        '<div class="k2nb-recorded" style="font-size:12px;color:#666">'
        f"⏺ recorded {len(r.exchanges)} response(s) and {len(r.tools)} tool result(s) to "
        f"<code>{shown}</code> · replay with <code>%%k2 --engine replay:{shown}</code></div>"
    )
    return {"text/plain": text, "text/html": markup}, {METADATA_KEY: {"recording": r.compact()}}


class RecordingClient:
    """A chat client that records what passes through ``stream`` (same interface as ChatClient)."""

    def __init__(self, client: Any, recorder: Recorder) -> None:
        self._client = client
        self._recorder = recorder
        self.settings = getattr(client, "settings", None)

    @contextmanager
    def stream(self, body: dict[str, Any]) -> Iterator[Iterator[str]]:
        recorder, clock = self._recorder, self._recorder.clock
        exchange = recorder.request(body)
        start = clock()
        state: dict[str, Any] = {"opened": False, "done": False, "broken": None}

        def tap(payloads: Iterable[str]) -> Iterator[str]:
            iterator = iter(payloads)
            while True:
                try:
                    data = next(iterator)
                except StopIteration:
                    return
                except Exception as error:  # the transport broke mid-stream
                    state["broken"] = str(error)
                    raise
                recorder.chunk(exchange, clock() - start, data)
                if data.strip() == DONE:
                    state["done"] = True
                yield data

        how: dict[str, Any] = {}
        try:
            with self._client.stream(body) as payloads:
                state["opened"] = True
                yield tap(payloads)
        except BaseException as error:
            how = _failure(error, state)
            raise
        finally:
            recorder.end(exchange, clock() - start, done=state["done"], **how)

    def list_models(self) -> list[str]:
        return list(self._client.list_models())

    def close(self) -> None:
        self._client.close()


def _failure(error: BaseException, state: dict[str, Any]) -> dict[str, Any]:
    """How an exchange failed, in terms a replay can reproduce."""
    if isinstance(error, RunStopped | KeyboardInterrupt):
        return {"stopped": True}
    if state["broken"] is not None:
        return {"broken": state["broken"]}
    if state["opened"]:  # the client rejected what arrived (the same payloads reproduce it)
        return {"client_error": str(error)}
    status = error.__cause__ or error.__context__
    code = getattr(status, "status_code", None)
    if isinstance(code, int):
        body = getattr(status, "body", None)
        inner = body.get("error", body) if isinstance(body, dict) else {"message": str(body or "")}
        headers = getattr(getattr(status, "response", None), "headers", None) or {}
        retry_after = headers.get("retry-after") if hasattr(headers, "get") else None
        return {"error": {"status": code, "body": inner, "retry_after": retry_after}}
    return {"error": {"message": str(error), "transient": isinstance(error, TransientError)}}


def _output_summary(output: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {"output_type": output.get("output_type")}
    if "data" in output:
        summary["mime"] = sorted(output["data"])
    if "name" in output:
        summary["name"] = output["name"]
    return summary


# -- checking a replay against its recording -------------------------------------------------

_VOLATILE = (
    (re.compile(r"\n?\[kernel state\][^\n]*"), ""),  # depends on what the kernel held before
    (re.compile(r"\n?\(kernel state:[^\n]*\)"), ""),
    (re.compile(r"\bIn\s?\[\d+\]"), "In[_]"),  # execution counters in tracebacks
    (re.compile(r"0x[0-9a-fA-F]{6,}"), "0x_"),  # object addresses
    (re.compile(r"[ \t]+$", re.M), ""),
)


def normalize_output(text: str) -> str:
    """Tool output with what legitimately varies between identical runs taken out."""
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text.strip()


def first_difference(recorded: str, now: str, width: int = 120) -> tuple[str, str]:
    """The first differing line of two outputs (shortened), as (recorded, now)."""
    old, new = recorded.splitlines(), now.splitlines()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag != "equal":
            a = "\n".join(old[i1:i2]) or "(nothing)"
            b = "\n".join(new[j1:j2]) or "(nothing)"
            return _short(a, width), _short(b, width)
    return "", ""


def _short(text: str, width: int) -> str:
    text = " ⏎ ".join(line.strip() for line in text.splitlines() if line.strip())
    return text if len(text) <= width else text[: width - 1] + "…"


class ReplayChecker:
    """Watches a replayed run's events and reports, in the trace, where the kernel disagrees."""

    def __init__(self, recording: Recording, *, speed: float = 1.0) -> None:
        self.recording = recording
        self.speed = speed
        self.differences: list[str] = []

    def __call__(self, event: Event) -> Sequence[Event]:
        if isinstance(event, RunStarted):
            return self._started(event)
        if isinstance(event, ToolFinished):
            return self._compare(event)
        return ()

    def _started(self, event: RunStarted) -> list[Event]:
        r = self.recording
        pace = "instantly" if self.speed <= 0 else f"at {self.speed:g}× the recorded pace"
        when = r.header.get("created", "?")
        notices: list[Event] = [
            Notice(
                "info",
                f"replay: {r.source} ({len(r.exchanges)} recorded response(s) from {when}, "
                f"{r.header.get('provider', '?')}) {pace}; the code is re-executed in this kernel "
                "and its output compared with the recording.",
            )
        ]
        if r.prompt and event.prompt.strip() != r.prompt.strip():
            notices.append(
                Notice(
                    "warning",
                    f"replay: this cell's prompt differs from the recorded one ({_short(r.prompt, 80)!r}); "
                    "the recorded responses are replayed anyway.",
                )
            )
        return notices

    def _compare(self, event: ToolFinished) -> list[Event]:
        recorded = self.recording.tool(event.step, event.call_id)
        if recorded is None:
            text = f"replay: step {event.step} ran a tool call ({event.call_id}) that the recording does not have."
            self.differences.append(text)
            return [Notice("warning", text)]
        old, new = normalize_output(str(recorded.get("model_text") or "")), normalize_output(event.model_text)
        if old == new and recorded.get("status") == event.status:
            return []
        if recorded.get("status") != event.status:
            detail = f"it ended {event.status!r}, the recording {recorded.get('status')!r}"
        else:
            was, now = first_difference(old, new)
            detail = f"recorded: {was!r} · now: {now!r}"
        text = (
            f"replay: step {event.step}'s output differs from the recording ({detail}). The kernel's state "
            "is not what it was when this was recorded, so the replayed reasoning and answer may not "
            "match these results."
        )
        self.differences.append(text)
        return [Notice("warning", text)]
