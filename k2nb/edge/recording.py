"""The recording format: a run's whole exchange with the model, kept as JSONL and replayed offline.

The :class:`~k2nb.edge.recorder.Recorder` sits at the HTTP edge. It wraps the chat client (every
request body and every SSE ``data`` payload, with its time since the request was sent) and listens to the run's
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
import json
import pathlib
import time
import uuid
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError

FORMAT = "k2nb-recording"
VERSION = 1
METADATA_KEY = "k2nb"  # output metadata: {"k2nb": {"recording": <compact copy>}}


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
                exchange = exchange_at(int(rest["n"]), rest.get("body"), float(rest.get("t") or 0.0))
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


def exchange_at(n: int, body: Any, t: float) -> Exchange:
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


# -- checking a replay against its recording -------------------------------------------------
