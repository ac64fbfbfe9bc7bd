"""k2nb/cli.py: `k2nb serve` as a user runs it: a subprocess any OpenAI client can talk to, stopped by Ctrl-C."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from typing import Any

import openai


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_k2nb_serve_answers_the_openai_sdk_and_stops_on_ctrl_c() -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "k2nb.cli", "serve", "--engine", "toy", "--port", str(port), "--speed", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="x", max_retries=0)
        for _ in range(100):
            try:
                models = [m.id for m in client.models.list()]
                break
            except openai.APIConnectionError:
                time.sleep(0.1)
        assert "kimi-k2-thinking" in models
        reply = client.chat.completions.create(
            model="kimi-k2-thinking", messages=[{"role": "user", "content": "what can you do?"}]
        )
        assert reply.choices[0].message.content
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0, out
    assert "Traceback" not in out


def test_k2nb_serve_replay_of_a_missing_recording_says_how_to_fix_it(capsys: Any) -> None:
    from k2nb.engines.serve import run_serve

    assert run_serve(["--engine", "replay:no-such-recording.jsonl", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "no-such-recording.jsonl" in err and "--record" in err and "Traceback" not in err
