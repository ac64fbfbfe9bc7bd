"""The recorder: wraps the chat client at the HTTP edge and writes a run's exchange (recording.py's format).

Every request body and every SSE ``data`` payload is kept with its time since the request was sent,
and the run's events add the tool results and the finish line.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from .._version import __version__
from ..core.accumulator import SSE_DONE
from ..core.events import Event, RunFinished, RunStarted, ToolFinished
from ..errors import RunStopped, TransientError
from .recording import FORMAT, VERSION, Exchange, Recording, exchange_at


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
        exchange = exchange_at(len(self.recording.exchanges) + 1, json.loads(json.dumps(body)), self._since_start())
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
                if data.strip() == SSE_DONE:
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
