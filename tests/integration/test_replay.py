"""Record & replay: a run's exchange kept as JSONL (and in the output's metadata), replayed offline.

In-process tests drive ``k2nb.Agent`` on an IPython shell (code really runs in it); one test runs
``%%k2 --record`` / ``--engine replay:`` in a real kernel and replays its saved notebook.
"""

from __future__ import annotations

import inspect
import json
import pathlib
import random
import re
import time
from collections.abc import Iterator
from typing import Any

import nbformat
import openai
import pytest

from k2nb.api import Agent
from k2nb.core.pause import NOBODY_TO_PRESS
from k2nb.core.transcript import Transcript
from k2nb.edge.recorder import Recorder
from k2nb.edge.recording import METADATA_KEY, Recording, load_recording
from k2nb.engines import ChatServer, ReplayEngine
from k2nb.engines.serve import make_engine
from k2nb.ui.recording_output import recording_output
from tests.harness.kernel import run_notebook
from tests.harness.outputs import cell_text
from tests.harness.server import SECRET_KEY


def structure(t: Transcript) -> list[Any]:
    """What a trace is made of, without timings: thinking, tool calls (code, status), answer."""
    steps = [
        {
            "step": s.step,
            "reasoning": s.reasoning,
            "content": s.content,
            "tools": [(tool.name, tool.code, tool.status) for tool in s.tools],
            "retried": len(s.retried),
        }
        for s in t.steps
    ]
    return [steps, t.status, t.answer]


def warnings(t: Transcript) -> list[str]:
    return [text for level, text in t.notices if level == "warning"]


@pytest.fixture
def agent() -> Iterator[Agent]:
    a = Agent(provider="toy", approve="auto")
    yield a
    a.close()


def read_jsonl(path: pathlib.Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_record_then_replay_gives_the_same_trace_and_reports_a_changed_kernel(
    agent: Agent, tmp_path: pathlib.Path
) -> None:
    rng = random.Random()
    name = f"readings_{rng.randint(100, 999)}"
    values = [rng.randint(-50, 50) for _ in range(rng.randint(8, 20))]
    agent.shell.user_ns[name] = list(values)
    prompt = f"median and average of `{name}`"
    path = tmp_path / "run.jsonl"

    recorded = agent.run(prompt, record=str(path))
    assert recorded.status == "done" and len(recorded.steps) == 3  # inspect, compute, answer

    lines = read_jsonl(path)
    assert lines[0]["type"] == "header" and lines[0]["format"] == "k2nb-recording" and lines[0]["prompt"] == prompt
    requests = [line for line in lines if line["type"] == "request"]
    assert len(requests) == 3 and all(r["body"]["stream"] for r in requests)
    chunks = [line for line in lines if line["type"] == "chunk"]
    assert chunks and all(isinstance(c["dt"], float) and c["dt"] >= 0 for c in chunks)
    ends = [line for line in lines if line["type"] == "end"]
    assert [e["done"] for e in ends] == [True, True, True]
    tools = [line for line in lines if line["type"] == "tool"]
    assert [t["status"] for t in tools] == ["ok", "ok"] and "RESULT median=" in tools[1]["model_text"]
    assert lines[-1]["type"] == "finish" and lines[-1]["answer"] == recorded.answer

    del agent.shell.user_ns["_k2nb_compute"]  # defined by the recorded code: the replay must define it again
    started = time.perf_counter()
    replayed = agent.run(prompt, engine=f"replay:{path}")
    assert time.perf_counter() - started < 5
    assert structure(replayed) == structure(recorded)
    assert replayed.provider == "replay" and warnings(replayed) == []
    assert any("replay:" in text and "re-executed" in text for _, text in replayed.notices)
    assert callable(agent.shell.user_ns["_k2nb_compute"])  # the replayed code really ran in the shell

    agent.shell.user_ns[name].append(10_000)  # the kernel now holds different data
    changed = agent.run(prompt, engine=f"replay:{path}", replay_speed=0)
    assert structure(changed)[0][0]["tools"] == structure(recorded)[0][0]["tools"]
    differs = warnings(changed)
    assert differs and "step 1's output differs from the recording" in differs[0]
    # step 1 looked at the list with inspect_variable: its length is what changed
    assert f"len {len(values)}" in differs[0] and f"len {len(values) + 1}" in differs[0]


def test_a_recording_never_holds_the_api_key(scripted_server: Any, tmp_path: pathlib.Path) -> None:
    server = scripted_server(
        'think: Run it.\ntool: code_interpreter {"code": "print(6 * 7)"}\n---\nthink: 42.\ntext: **42**',
        api_key=SECRET_KEY,
    )
    agent = Agent(base_url=server.base_url, api_key=SECRET_KEY, approve="auto")
    recorder = Recorder(tmp_path / "keyed.jsonl")  # the caller keeps it, to report the recording
    try:
        transcript = agent.run("six times seven", recorder=recorder)
    finally:
        agent.close()
    assert transcript.answer == "**42**"
    text = (tmp_path / "keyed.jsonl").read_text()
    assert SECRET_KEY not in text and "Authorization" not in text and "Bearer" not in text
    data, metadata = recording_output(recorder)
    assert SECRET_KEY not in json.dumps([data, metadata])
    # ...and the compact copy decodes to the same exchange, minus the request bodies.
    compact = Recording.from_compact(metadata[METADATA_KEY]["recording"])
    full = Recording.load(tmp_path / "keyed.jsonl")
    assert [[d for _, d in e.chunks] for e in compact.exchanges] == [[d for _, d in e.chunks] for e in full.exchanges]
    times = [
        (a, b)
        for c, f in zip(compact.exchanges, full.exchanges, strict=True)
        for (a, _), (b, _) in zip(c.chunks, f.chunks, strict=True)
    ]
    assert all(abs(a - b) < 1e-3 for a, b in times)
    assert SECRET_KEY not in json.dumps(compact.tools) and compact.exchanges[0].body is None


def test_faults_replay_as_they_were_recorded(scripted_server: Any, tmp_path: pathlib.Path) -> None:
    """A 429, a cut stream and a stream without [DONE] come back the same way (same retries)."""
    script = "\n---\n".join(
        [
            "error: 429 retry-after=0 code=engine_overloaded_error The engine is overloaded",
            "think: Let me compute.\ntext: partial\nfault: cut=3",
            'think: Let me compute.\ntool: code_interpreter {"code": "print(\'RESULT x=\' + str(2 ** 10))"}',
            "think: It printed 1024.\ntext: never finished\nfault: no-done",
            "think: It printed 1024.\ntext: The value is **1024**.",
        ]
    )
    server = scripted_server(script, dialect="openrouter")
    agent = Agent(base_url=server.base_url, approve="auto", backoff=0.01)
    path = tmp_path / "faults.jsonl"
    try:
        recorded = agent.run("two to the ten", record=str(path))
        ends = [line for line in read_jsonl(path) if line["type"] == "end"]
        assert ends[0]["error"]["status"] == 429 and ends[0]["error"]["retry_after"] == "0"
        assert [e["done"] for e in ends[1:]] == [False, True, False, True]
        replayed = agent.run("two to the ten", engine=f"replay:{path}", replay_speed=0)
    finally:
        agent.close()
    assert recorded.answer == "The value is **1024**."
    assert len(recorded.steps[0].retried) == 2  # the 429 and the cut stream
    assert structure(replayed) == structure(recorded)
    assert [len(s.retried) for s in replayed.steps] == [2, 1]


def test_a_run_that_leaves_the_recording_says_so(agent: Agent, tmp_path: pathlib.Path) -> None:
    path = tmp_path / "short.jsonl"
    agent.run("How many primes are there below 500?", record=str(path))
    lines = [line for line in read_jsonl(path) if not (line["type"] in ("chunk", "end", "request") and line["n"] == 2)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))  # drop the answer
    replayed = agent.run("How many primes are there below 500?", engine=f"replay:{path}")
    assert replayed.status == "failed" and "left the recorded path" in replayed.error


def _synthetic(gaps: list[float]) -> Recording:
    """A one-response recording whose content chunks arrive ``gaps`` seconds apart."""
    envelope = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "kimi-k2-thinking"}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        return json.dumps({**envelope, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

    payloads = [chunk({"role": "assistant", "reasoning_content": "Pacing."})]
    payloads += [chunk({"content": f"word{i} "}) for i in range(len(gaps) - 3)]
    payloads += [chunk({}, "stop"), "[DONE]"]
    t, chunks = 0.0, []
    for gap, payload in zip(gaps, payloads, strict=True):
        t += gap
        chunks.append({"type": "chunk", "n": 1, "dt": t, "data": payload})
    records = [
        {"type": "header", "format": "k2nb-recording", "version": 1, "model": "kimi-k2-thinking", "prompt": "p"},
        {"type": "request", "n": 1, "t": 0.0, "body": {"messages": [{"role": "user", "content": "p"}]}},
        *chunks,
        {"type": "end", "n": 1, "done": True},
    ]
    return Recording.from_records(records, source="synthetic")


def test_replay_keeps_the_recorded_pace_times_the_speed_factor(tmp_path: pathlib.Path) -> None:
    recording = _synthetic([0.1] * 6)  # 0.6 s in all
    assert [round(d, 3) for d, _ in ReplayEngine(recording, speed=2).paced(recording.exchanges[0].chunks)] == [0.05] * 6
    assert {d for d, _ in ReplayEngine(recording, speed=0).paced(recording.exchanges[0].chunks)} == {0.0}
    path = tmp_path / "paced.jsonl"
    recording.save(path)
    agent = Agent(approve="auto")
    try:
        timings = {}
        for speed in (1.0, 4.0):
            started = time.perf_counter()
            t = agent.run("p", engine=f"replay:{path}", replay_speed=speed)
            timings[speed] = time.perf_counter() - started
            assert t.answer == "word0 word1 word2 "
    finally:
        agent.close()
    assert timings[1.0] >= 0.55 and timings[4.0] < 0.45


def test_replay_from_a_saved_notebook_and_from_k2nb_serve(agent: Agent, tmp_path: pathlib.Path) -> None:
    prompts = ["What is the 30th Fibonacci number?", "How many primes are there below 300?"]
    nb = nbformat.v4.new_notebook()
    for i, prompt in enumerate(prompts):
        recorder = Recorder(tmp_path / f"{i}.jsonl")
        agent.run(prompt, recorder=recorder)
        data, metadata = recording_output(recorder)
        output = nbformat.v4.new_output("display_data", data=data, metadata=metadata)
        nb.cells.append(nbformat.v4.new_code_cell(f"%%k2 --record\n{prompt}", outputs=[output]))
    saved = tmp_path / "lesson.ipynb"
    nbformat.write(nb, saved)

    assert load_recording(str(saved), prompts[1]).prompt == prompts[1]  # picked by the cell's prompt
    assert load_recording(f"{saved}#1", "anything").prompt == prompts[0]
    replayed = agent.run(prompts[1], engine=f"replay:{saved}")
    assert replayed.status == "done" and "**62**" in replayed.answer and warnings(replayed) == []
    with pytest.raises(Exception, match="#1 … #2"):
        load_recording(f"{saved}#7")

    # `k2nb serve --engine replay:FILE` serves the same stream to a plain openai client.
    jsonl = tmp_path / "fib.jsonl"
    load_recording(f"{saved}#1").save(jsonl)
    with ChatServer(make_engine(f"replay:{jsonl}", replay_speed=0)) as server:
        sdk = openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0)
        stream = sdk.chat.completions.create(
            model="kimi-k2-thinking", messages=[{"role": "user", "content": prompts[0]}], stream=True
        )
        arguments = ""
        for chunk in stream:
            for call in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
                arguments += (call.function.arguments or "") if call.function else ""
    assert "RESULT fib=" in json.loads(arguments)["code"]


@pytest.mark.kernel
def test_record_and_replay_in_a_real_kernel(tmp_path: pathlib.Path) -> None:
    rng = random.Random()
    values = [round(rng.uniform(0, 100), 2) for _ in range(rng.randint(10, 30))]
    prompt = "What is the median and the mean of `scores`?"
    path = tmp_path / "lesson.jsonl"
    dump = (
        f"import json\n{inspect.getsource(structure)}\n"
        "print(json.dumps([structure(t) for t in get_ipython()._k2nb_magics.session.transcripts]))"
    )
    nb = run_notebook(
        [
            "%load_ext k2nb",
            f"scores = {values!r}",
            f"%%k2 --approve auto --record {path}\n{prompt}",
            f"%%k2 --approve auto --engine replay:{path}\n{prompt}",
            "scores.append(1000.0)",
            f"%%k2 --approve auto --engine replay:{path} --replay-speed 0\n{prompt}",
            f"from typing import Any\nfrom k2nb.core.transcript import Transcript\n{dump}",
        ],
        env={"K2NB_PROVIDER": "toy"},
    )
    outputs = nb.cells[2].outputs
    saved = [o for o in outputs if METADATA_KEY in (o.get("metadata") or {})]
    assert len(saved) == 1 and "replay:" in cell_text(nb.cells[2])
    recorded, replayed, changed = json.loads(cell_text(nb.cells[6]))
    assert replayed == recorded
    assert changed[0][0]["tools"] == recorded[0][0]["tools"]
    assert "output differs from the recording" not in cell_text(nb.cells[3])
    assert "output differs from the recording" in cell_text(nb.cells[5])

    # The saved notebook carries the recording: replay it with no JSONL file at all.
    path.unlink()
    notebook = tmp_path / "saved.ipynb"
    nbformat.write(nb, notebook)
    agent = Agent(provider="toy", approve="auto")
    agent.shell.user_ns["scores"] = list(values)
    try:
        again = agent.run(prompt, engine=f"replay:{notebook}")
    finally:
        agent.close()
    assert json.loads(json.dumps(structure(again))) == recorded
    assert warnings(again) == []


@pytest.mark.kernel
def test_teaching_demo_runs_offline_and_replays(tmp_path: pathlib.Path) -> None:
    source = pathlib.Path(__file__).resolve().parents[2] / "examples" / "teaching-demo.ipynb"
    nb = nbformat.read(source, as_version=4)
    # The kernel knows its notebook's file, as under Jupyter's server (and `make demo`): read as last saved.
    run_notebook(nb, {"JPY_SESSION_NAME": str(source)}, cwd=tmp_path, timeout=300)
    code = {c.source.splitlines()[-1]: c for c in nb.cells if c.cell_type == "code"}

    def trace(last_line: str, nth: int = 0) -> str:
        cells = [c for c in nb.cells if c.cell_type == "code" and c.source.splitlines()[-1] == last_line]
        return cell_text(cells[nth])

    for cell in code.values():
        expected = "raises-exception" in cell.metadata.get("tags", [])  # the student's typo, for %k2 fix
        assert bool([o for o in cell.outputs if o.output_type == "error"]) == expected, cell.source
    # %k2 fix, headless: no extension to change the cell, so the corrected cell comes as code to paste,
    # the name found with list_variables; the failing cell is explained from the notebook as saved.
    fix = trace("%k2 fix")
    assert "list_variables" in fix and 'print("total points:", total)' in fix
    assert "`print()`" in trace("What does the previous cell do?")
    digits = trace("How many numbers from 1 to 1000 have a prime digit sum?")
    count = re.search(r"RESULT count=(\d+)", digits)
    assert count and f"**{count[1]}**" in digits
    bubble = trace("Explain step by step how bubble sort works and show it on [5, 3, 8, 1, 4]")
    assert "RESULT sorted=[1, 3, 4, 5, 8]" in bubble and "RESULT correct=True" in bubble
    passes = re.search(r"RESULT passes=(\d+)", bubble)
    assert passes and f"after {passes[1]} passes" in bubble and "**After pass 1: [3, 5, 1, 4, 8]**" in bubble
    merge = trace("show merge sort on [5, 3, 8, 1, 4]")
    assert "merge [3, 5] and [1, 4, 8] into [1, 3, 4, 5, 8]" in merge
    declined = trace("What is the correlation between score and class in `grades`?")
    assert "`class` is not numeric" in declined and "🔧 code_interpreter" not in declined
    by_class = trace("What is the mean score by class in `grades`?")
    assert "🔧 inspect_variable" in by_class and by_class.count("🔧 code_interpreter") == 1
    check = trace('grades.groupby("class")["score"].mean().round(4).sort_values(ascending=False)')
    top_class, top_mean = check.split("\n")[1].split()
    assert f"**{top_class}** ({top_mean})" in by_class
    assert "data:image/png;base64," in trace("Plot sin(x) and cos(x) from 0 to 2pi")
    fixed = trace("How many primes are there below 10000? Make a mistake first and self-correct.")
    assert "Traceback" in fixed or "Error" in fixed
    assert "**1229**" in fixed and "deliberate bug" in fixed

    prompt = "What is the median and the standard deviation of score in `grades`?"
    recorded, replayed, changed = (trace(prompt, i) for i in range(3))
    record_cell = next(c for c in nb.cells if c.cell_type == "code" and "--record" in c.source)
    assert any(METADATA_KEY in (o.get("metadata") or {}) for o in record_cell.outputs)
    assert (tmp_path / "lesson-recording.jsonl").exists()
    assert "replay:" in replayed and "differs from the recording" not in replayed
    assert "differs from the recording" in changed
    assert not re.search(r"\b3 run\(s\)", trace("%k2 usage")) and "run(s)" in trace("%k2 usage")
    median = re.search(r"RESULT median\[score\]=(-?[\d.]+)", recorded)
    assert median and f"median of `score`:** {median[1]}" in recorded  # the answer quotes the printed median
    # Presenter mode, headless: nobody can press Next, so the runs say so and go on; `%k2 present` replays
    # section 7's recording, whose changed output is flagged above the answer written for the old one.
    presented = trace("What is the mean score by class in `grades`?", 1)
    assert NOBODY_TO_PRESS in presented and "k2nb-present" in presented
    again = trace("%k2 present")
    assert NOBODY_TO_PRESS in again and "lesson-recording.jsonl" in again
    assert again.index("differs from the recording") < again.index("median of `score`:**")
