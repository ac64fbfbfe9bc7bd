"""The fault matrix in a real kernel: every fault a network, a model or model code produces.

One notebook per group (a kernel start is the expensive part): each ``%%k2`` cell meets one fault
from a strict loopback server (it answers 400 to any invalid history, so every later cell also
proves the history stayed valid), and the README's reliability table points at these tests.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import nbformat
import pytest
from nbconvert import HTMLExporter

from k2nb.engines.script import ScriptedEngine
from k2nb.engines.server import ChatServer
from k2nb.kernel.secrets import REDACTED
from tests.harness.kernel import run_notebook
from tests.harness.outputs import cell_text
from tests.harness.server import SECRET_KEY

pytestmark = pytest.mark.kernel
OTHER_SECRET = "tok-service-0123456789"  # an environment entry with a secret-looking name


def tool(code: str, name: str = "code_interpreter") -> str:
    return f"tool: {name} " + json.dumps({"code": code})


class TimedServer:
    """A strict loopback server replaying ``blocks``; remembers when each request arrived."""

    def __init__(self, blocks: list[str]) -> None:
        self.engine = ScriptedEngine.from_text("\n---\n".join(blocks))
        self.arrivals: list[float] = []
        self.server = ChatServer(
            self._respond,
            dialect="moonshot",
            api_key=SECRET_KEY,
            strict_reasoning=True,
            models=("kimi-k2-thinking", "kimi-k2.6"),
        ).start()

    def _respond(self, body: dict[str, Any]) -> Any:
        self.arrivals.append(time.monotonic())
        return self.engine(body)

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.server.requests

    def tool_result(self, marker: str) -> str:
        """What the model read back for the call whose arguments contain ``marker`` (latest request)."""
        messages = self.requests[-1]["messages"]
        for index, message in enumerate(messages):
            for call in message.get("tool_calls") or []:
                if marker in call["function"]["arguments"]:
                    return next(m["content"] for m in messages[index + 1 :] if m.get("tool_call_id") == call["id"])
        raise AssertionError(f"no tool call with {marker!r} in the history")


@pytest.fixture
def timed_server() -> Iterator[Any]:
    made: list[TimedServer] = []

    def start(blocks: list[str]) -> TimedServer:
        made.append(TimedServer(blocks))
        return made[-1]

    yield start
    for server in made:
        server.server.stop()


SETUP = ["%load_ext k2nb", "%config K2Magics.backoff = 0.01\n%config K2Magics.approve = 'auto'"]


def no_tracebacks(cell: Any) -> None:
    assert not any(o.get("output_type") == "error" for o in cell.outputs), cell_text(cell)


def test_network_and_provider_faults(timed_server: Any) -> None:
    cut_call = tool("cut_hits = globals().get('cut_hits', 0) + 1  # cut-call")
    long_thought = "I am thinking about this for a good while before I answer. " * 4
    cases = [  # (cell prompt, script blocks)
        (
            "retry-after",
            [
                "error: 429 retry-after=0.6 code=rate_limit_reached_error Rate limit reached",
                "think: ok\ntext: answer after retry-after",
            ],
        ),
        (
            "overloaded",
            [
                "error: 429 code=engine_overloaded_error The engine is currently overloaded",
                "think: ok\ntext: answer after overloaded",
            ],
        ),
        ("5xx", ["error: 500", "error: 503", "think: ok\ntext: answer after 5xx"]),
        ("reset", ["think: partial\ntext: lost\nfault: reset=3", "think: ok\ntext: answer after reset"]),
        ("cut thinking", [f"think: {long_thought}\nfault: cut=4", "think: ok\ntext: answer after cut thinking"]),
        ("cut answer", [f"think: ok\ntext: {long_thought}\nfault: cut=5", "think: ok\ntext: answer after cut answer"]),
        (
            "cut tool call",
            [
                f"think: a\n{cut_call}\nfault: cut=5",
                f"think: a\n{cut_call}",
                "think: ran once\ntext: answer after cut tool call",
            ],
        ),
        (
            "no done",
            ["think: ok\ntext: complete text but no DONE\nfault: no-done", "think: ok\ntext: answer after no done"],
        ),
        ("quota", ["error: 429 code=exceeded_current_quota_error Your account is suspended, check your plan"]),
        ("after quota", ["think: ok\ntext: answer after quota"]),
        (
            "content filter",
            ["error: 400 code=content_filter The request was rejected because it was considered high risk"],
        ),
        ("after filter", ["think: ok\ntext: answer after filter"]),
        ("unauthorized", ["error: 401 Invalid Authentication"]),
        ("after 401", ["think: ok\ntext: answer after 401"]),
        ("not found", ["error: 404 Not found the model kimi-k2-thinking or Permission denied"]),
        ("after 404", ["think: ok\ntext: answer after 404"]),
        ("refused", []),  # this cell goes to a closed port
        ("after refused", ["think: ok\ntext: answer after refused"]),
    ]
    server = timed_server([b for _, blocks in cases for b in blocks])
    cells = [*SETUP]
    for prompt, _ in cases:
        # A model the user named: its 404 is final (k2nb's default model would fall back to kimi-k2.6).
        flags = {"refused": " --base-url http://127.0.0.1:9/v1", "not found": " --model kimi-k2-thinking"}.get(
            prompt, ""
        )
        cells.append(f"%%k2{flags}\n{prompt}")
    cells.append("print(cut_hits)")
    nb = run_notebook(cells, env={"K2NB_BASE_URL": server.server.base_url, "K2NB_API_KEY": SECRET_KEY})
    out = {prompt: cell_text(nb.cells[len(SETUP) + i]) for i, (prompt, _) in enumerate(cases)}
    for cell in nb.cells[len(SETUP) :]:
        no_tracebacks(cell)

    # Retried faults: the answer arrives, the retry is shown with its reason.
    for prompt, reason in [
        ("retry-after", "rate limited"),
        ("overloaded", "rate limited"),
        ("5xx", "server error 50"),
        ("reset", "broke mid-stream"),
        ("cut thinking", "[DONE]"),
        ("cut answer", "[DONE]"),
        ("cut tool call", "[DONE]"),
        ("no done", "[DONE]"),
    ]:
        assert f"answer after {prompt}" in out[prompt], out[prompt]
        assert "retried" in out[prompt] and reason in out[prompt], (prompt, out[prompt])
    assert out["5xx"].count("retried") >= 2
    # Retry-After honoured: the retry came no sooner than the server asked (backoff is only 0.01 s).
    assert server.arrivals[1] - server.arrivals[0] >= 0.55
    # A cut tool call never ran; its complete retry ran exactly once.
    assert cell_text(nb.cells[-1]).strip() == "1"
    assert "complete text but no DONE" not in out["after quota"]

    # Final faults: one clear line, no retry, and the next cell works.
    finals = {
        "quota": "no balance left",
        "content filter": "content filter refused",
        "unauthorized": "rejected the API key (401)",
        "not found": "was not found",
        "refused": "cannot reach http://127.0.0.1:9/v1",
    }
    for prompt, phrase in finals.items():
        assert phrase in out[prompt], out[prompt]
        assert "retried" not in out[prompt]
    assert "kimi-k2.6" in out["not found"]  # the server's model list is offered
    prompts = [m["content"] for r in server.requests for m in r["messages"][-1:] if m["role"] == "user"]
    for prompt in ("quota", "content filter", "unauthorized", "not found"):
        assert prompts.count(prompt) == 1, prompt  # exactly one request: not retried
    for prompt in ("after quota", "after filter", "after 401", "after 404", "after refused"):
        assert f"answer {prompt}" in out[prompt]
    assert all(SECRET_KEY not in text for text in out.values())


def test_model_output_faults(timed_server: Any) -> None:
    blocks = [
        # 1: tool arguments that are not JSON, of the wrong type, or for a tool that does not exist
        'think: call it\ntool_raw: code_interpreter {"code": "print(\'not json\')  # raw-args',
        'think: wrong type\ntool: code_interpreter {"code": 5, "note": "wrong-type"}',
        'think: a tool that is not there\ntool: run_shell {"cmd": "ls  # ghost-tool"}',
        "think: all three came back as errors\ntext: answer after bad arguments",
        # 2: native tool-call tokens leaking into the reasoning
        "think: I will run it natively.\n" + tool("leaked_ran = 7 * 6  # leaked\nprint(leaked_ran)") + "\nleak: true",
        "think: it printed 42\ntext: answer after leaked tokens",
        # 3: a reasoning-only turn, then finish_reason length with empty content
        "think: I only think and never answer",
        "think: now I answer\ntext: answer after reasoning-only",
        "think: I ran out of tokens\nfinish: length",
        "think: with more room\ntext: answer after length",
    ]
    server = timed_server(blocks)
    nb = run_notebook(
        [*SETUP, "%%k2\nbad arguments", "%%k2\nleak", "%%k2\nreasoning only", "%%k2\nlength", "print(leaked_ran)"],
        env={"K2NB_BASE_URL": server.server.base_url, "K2NB_API_KEY": SECRET_KEY},
    )
    bad, leak, empty, length = (cell_text(c) for c in nb.cells[2:6])
    for cell in nb.cells[2:]:
        no_tracebacks(cell)
    assert "not valid JSON" in server.tool_result("raw-args")
    assert "'code' must be of type string" in server.tool_result("wrong-type")
    ghost = server.tool_result("ghost-tool")
    assert "no tool named 'run_shell'" in ghost and "code_interpreter" in ghost
    assert "answer after bad arguments" in bad and "invalid call" in bad

    assert cell_text(nb.cells[-1]).strip() == "42" and "42" in server.tool_result("leaked")
    assert "answer after leaked tokens" in leak and "<|tool_call" not in leak and "I will run it natively." in leak

    assert "answer after reasoning-only" in empty and "retried" in empty and "no answer" in empty
    assert "answer after length" in length and "retried" in length
    tokens = [r["max_tokens"] for r in server.requests[-2:]]
    assert tokens[1] == 2 * tokens[0]  # after `length`, the retry asks for more room


def test_model_code_faults_and_secrets(timed_server: Any, tmp_path: Any) -> None:
    huge = "import sys\nfor _ in range(50):\n    sys.stdout.write('y' * 1_000_000)\nprint('# fifty-mb')"
    weird = (
        "import sys, os\n"
        "print('bytes:', b'\\xff\\xfe\\x80'.decode('utf-8', 'surrogateescape'), '\\x00\\x07\\x1b[31mred')\n"
        "sys.stdout.flush()\nos.write(1, b'\\xff\\xfe raw fd\\n')  # undecodable"
    )
    evil = (
        "<script>alert('xss-4242')</script><img src=x onerror=alert('xss-4242')>[click](javascript:alert('xss-4242'))"
    )
    blocks = [
        "think: raise\n" + tool("1 / 0  # raises"),
        "think: print a lot\n" + tool(huge),
        "think: print bytes\n" + tool(weird),
        "think: loop\n" + tool("while True:\n    pass  # forever"),
        "think: exit in three ways\n" + tool("import sys\nsys.exit(3)  # sys-exit"),
        tool("exit()  # plain-exit"),
        tool("quit()  # plain-quit"),
        "think: tidy up\n" + tool("del precious  # delete"),
        "think: environment\n"
        + tool(
            "import os, subprocess\nprint(dict(os.environ))\nprint(os.environ['K2NB_API_KEY'])\n"
            "os.system('echo SYS=$K2NB_API_KEY')\nsubprocess.run(['sh', '-c', 'echo SUB=$MY_SERVICE_TOKEN'])\n"
            "os.environ['MY_SERVICE_TOKEN']  # env"
        ),
        f"think: all survived\ntext: answer after code faults {evil}",
    ]
    server = timed_server(blocks)
    nb = run_notebook(
        [
            *SETUP,
            "precious = {'rows': 3}",
            "%%k2 --timeout 0.5\ncode faults",
            "print('alive', 'precious' in globals())",
            "import json; print(json.dumps(get_ipython()._k2nb_magics.session.transcripts[-1].to_dict(), default=str))",
        ],
        env={"K2NB_BASE_URL": server.server.base_url, "K2NB_API_KEY": SECRET_KEY, "MY_SERVICE_TOKEN": OTHER_SECRET},
        timeout=180,
        fd_watcher=True,  # as users have it: os.system and subprocess output reach the step too
    )
    trace = cell_text(nb.cells[3])
    no_tracebacks(nb.cells[3])
    assert "answer after code faults" in trace
    assert "ZeroDivisionError" in server.tool_result("raises") and "ZeroDivisionError" in trace

    fifty = server.tool_result("fifty-mb")
    assert len(fifty) < 13_000 and "cut from the middle" in fifty and "# fifty-mb" not in fifty[:100]
    assert sum(len(json.dumps(o)) for o in nb.cells[3].outputs) < 2_000_000  # the notebook stays small

    assert "bytes:" in server.tool_result("undecodable") and "\x1b[" not in server.tool_result("undecodable")
    assert "interrupted after 0.5 s" in server.tool_result("forever")
    assert "SystemExit" in server.tool_result("sys-exit")
    for marker in ("plain-exit", "plain-quit"):
        assert "kernel keeps running" in server.tool_result(marker)
    assert cell_text(nb.cells[4]).strip() == "alive False"  # the kernel survived; the deletion is real
    assert "removed: precious" in server.tool_result("delete")  # the state diff tells the model

    env_result = server.tool_result("env")
    assert SECRET_KEY not in env_result and OTHER_SECRET not in env_result and REDACTED in env_result
    assert "HOME" in env_result or "PATH" in env_result  # the rest of the environment is still there
    # output of subprocesses (written to the fds, not sys.stdout) is part of the step, redacted too
    assert f"SYS={REDACTED}" in env_result and f"SUB={REDACTED}" in env_result

    # The key is in no request, no output, not the transcript, the saved notebook or its HTML export.
    assert not any(SECRET_KEY in json.dumps(r) or OTHER_SECRET in json.dumps(r) for r in server.requests)
    path = tmp_path / "faults.ipynb"
    nbformat.write(nb, path)
    html, _ = HTMLExporter().from_notebook_node(nbformat.read(path, as_version=4))
    for text in (path.read_text(), html, cell_text(nb.cells[5])):
        assert SECRET_KEY not in text and OTHER_SECRET not in text
    assert "answer after code faults" in html and "1 / 0" in re.sub(r"<[^>]+>", "", html)
    assert_no_active_content(html, "xss-4242")


def assert_no_active_content(html: str, marker: str) -> None:
    """The model's markup reaches the exported page only as inert text."""
    from html.parser import HTMLParser

    found: list[str] = []

    class Scan(HTMLParser):
        in_script = False

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.in_script = tag == "script"
            for name, value in attrs:
                if (name.startswith("on") or name in ("href", "src")) and marker in (value or ""):
                    found.append(f"<{tag} {name}={value}>")

        def handle_data(self, data: str) -> None:
            if self.in_script and marker in data:
                found.append(f"<script>{data}")

        def handle_endtag(self, tag: str) -> None:
            self.in_script = False

    Scan().feed(html)
    assert not found, found
    assert marker in html  # it is shown, as text
