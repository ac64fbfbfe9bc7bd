"""`k2nb serve` as a real process, read by clients written as others write them (k2nb/engines/serve.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import openai
import pytest

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-serve-test-SECRET"
FIRST = {"code": "print('the first call: ' + 'a' * 60)"}
SECOND = {"code": "print('the second call: ' + 'b' * 60)"}
TWO_CALLS = "\n".join(
    [
        "think: Two independent snippets.",
        f"tool: code_interpreter {json.dumps(FIRST)}",
        f"tool: code_interpreter {json.dumps(SECOND)}",
    ]
)


@contextmanager
def serve(tmp_path: Path, script: str, *flags: str) -> Iterator[str]:
    """``k2nb serve --engine script:…`` in its own process; yields its base URL, stops it with Ctrl-C."""
    path = tmp_path / "engine.k2"
    path.write_text(script)
    command = [sys.executable, "-m", "k2nb.cli", "serve", "--engine", f"script:{path}", "--port", "0", "--speed", "0"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen([*command, *flags], stdout=subprocess.PIPE, text=True, env=env) as proc:
        try:
            assert proc.stdout is not None
            line = ""
            for _ in range(5):  # it prints what it serves, then the base URL
                line = proc.stdout.readline()
                if "base URL" in line:
                    break
            yield line.split("base URL ")[1].split()[0]
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=10) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def index_blind_calls(url: str) -> list[dict[str, str]]:
    """Tool calls read the way kosong (Moonshot's own client) reads them: a fragment with a name starts a
    call, any other fragment appends to the latest call; ``index`` is never looked at."""
    sdk = openai.OpenAI(base_url=url, api_key=KEY, max_retries=0, timeout=10)
    stream = sdk.chat.completions.create(
        model="kimi-k2.6", messages=[{"role": "user", "content": "two snippets"}], stream=True
    )
    calls: list[dict[str, str]] = []
    for chunk in stream:
        for fragment in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            function = fragment.function
            if function is None:
                continue
            if function.name:
                calls.append({"id": str(fragment.id), "name": function.name, "arguments": function.arguments or ""})
            elif function.arguments:
                calls[-1]["arguments"] += function.arguments
    return calls


def test_serve_prints_its_url_answers_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    with serve(tmp_path, "think: scripted\ntext: hello from the script", "--dialect", "vllm") as url:
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        sdk = openai.OpenAI(base_url=url, api_key="x", max_retries=0, timeout=10)
        done = sdk.chat.completions.create(model="kimi-k2-thinking", messages=[{"role": "user", "content": "hi"}])
        assert done.choices[0].message.content == "hello from the script"
    # leaving the block sent SIGINT and saw the process exit with status 0


def test_a_two_call_turn_is_read_right_by_a_client_that_ignores_index(tmp_path: Path) -> None:
    with serve(tmp_path, TWO_CALLS, "--dialect", "moonshot") as url:
        calls = index_blind_calls(url)
    assert [(c["id"], json.loads(c["arguments"])) for c in calls] == [
        ("code_interpreter:0", FIRST),
        ("code_interpreter:1", SECOND),
    ]


def test_interleaving_stays_available_as_a_fault_and_mixes_such_a_client_up(tmp_path: Path) -> None:
    with serve(tmp_path, TWO_CALLS + "\nfault: interleave", "--dialect", "vllm") as url:
        calls = index_blind_calls(url)
    assert [c["id"] for c in calls] == ["functions.code_interpreter:0", "functions.code_interpreter:1"]
    assert calls[0]["arguments"] == ""  # every argument piece went to the latest call
    mixed = calls[1]["arguments"]
    assert sorted(mixed) == sorted(json.dumps(FIRST) + json.dumps(SECOND))  # both calls' text, shuffled
    with pytest.raises(json.JSONDecodeError):
        json.loads(mixed)


def test_log_writes_each_request_and_response_and_never_the_key(tmp_path: Path) -> None:
    log = tmp_path / "serve.jsonl"
    with serve(tmp_path, TWO_CALLS, "--log", str(log), "--api-key", KEY, "--retire", "kimi-k2-thinking") as url:
        sdk = openai.OpenAI(base_url=url, api_key=KEY, max_retries=0, timeout=10)
        assert index_blind_calls(url)
        with pytest.raises(openai.NotFoundError):
            sdk.chat.completions.create(model="kimi-k2-thinking", messages=[{"role": "user", "content": "x"}])
        listed = [m.id for m in sdk.models.list()]
    text = log.read_text()
    assert KEY not in text
    records: list[dict[str, Any]] = [json.loads(line) for line in text.splitlines()]
    by_number: dict[int, dict[str, dict[str, Any]]] = {}
    for record in records:
        by_number.setdefault(record["n"], {})[record["type"]] = record
    first, retired, models = (by_number[n] for n in sorted(by_number))
    assert first["request"]["body"]["model"] == "kimi-k2.6" and first["request"]["body"]["stream"] is True
    assert first["response"]["status"] == 200 and first["response"]["end"] == "[DONE]"
    assert first["response"]["chunks"][-1]["choices"][0]["finish_reason"] == "tool_calls"
    assert retired["response"]["status"] == 404
    assert models["request"]["path"] == "/v1/models" and "kimi-k2-thinking" not in listed
