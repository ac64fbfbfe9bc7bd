"""Issue #7 in a real kernel against a loopback server: kernel context, inspection tools, user
tools, Moonshot request fields, $web_search, export, the conversation log, and the event iterators.

Two kernels in all: one notebook (``session``, run once for the module) batches the features into
its cells, and each test below reads one feature off it.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.harness.kernel import run_notebook
from tests.harness.outputs import cell_text
from tests.harness.server import SECRET_KEY, scripted

pytestmark = pytest.mark.kernel

STUDENT_TOKEN = "sk-student-DO-NOT-LEAK-987654321"


def _tool(name: str, arguments: dict[str, Any]) -> str:
    return f"tool: {name} {json.dumps(arguments)}"


def _tool_messages(request: dict[str, Any]) -> dict[str, str]:
    """tool_call_id -> content of the tool messages of a request."""
    return {m["tool_call_id"]: m["content"] for m in request["messages"] if m["role"] == "tool"}


def _tool_results(request: dict[str, Any]) -> list[tuple[str, str]]:
    calls = {c["id"]: c["function"]["name"] for m in request["messages"] for c in m.get("tool_calls") or []}
    return [(calls[i], content) for i, content in _tool_messages(request).items()]


@dataclass
class Session:
    """The research notebook, run once: its cells, what the server received, the files it wrote."""

    nb: nbformat.NotebookNode
    requests: list[dict[str, Any]]
    files: Path
    threshold: float
    rows: int

    def text(self, cell: int) -> str:
        return cell_text(self.nb.cells[cell])

    @property
    def prompt(self) -> str:
        """The first %%k2 cell's prompt as the model received it."""
        return str(next(m["content"] for m in self.requests[0]["messages"] if m["role"] == "user"))


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    tmp_path = tmp_path_factory.mktemp("research")
    threshold = round(random.uniform(1.5, 2.5), 2)
    rows = random.randint(30, 60)
    script = "\n---\n".join(
        [
            # cell A: context + inspection tools + web search + a user tool (valid and invalid call)
            "\n".join(
                [
                    "think: First I look at what the kernel holds.",
                    _tool("list_variables", {}),
                    _tool("inspect_variable", {"name": "sales"}),
                    _tool("$web_search", {"query": "kimi k2 thinking"}),
                    _tool("flag_outliers", {"column": "amount", "threshold": threshold}),
                    _tool("flag_outliers", {"column": 5}),
                ]
            ),
            "think: I have what I need.\ntext: The sales data has some outliers.",
            # cell B: --approve never declines a user tool that changes things but runs a read-only one
            "\n".join(
                [
                    "think: flag and summarize",
                    _tool("flag_outliers", {"column": "amount"}),
                    _tool("column_mean", {"column": "amount"}),
                ]
            ),
            "think: one ran, one was declined.\ntext: Summarized.",
        ]
    )
    models = ("kimi-k2-thinking", "kimi-k2.6")
    with scripted(script, dialect="moonshot", api_key=SECRET_KEY, models=models) as server:
        logs = tmp_path / "logs"
        cells = [
            "%load_ext k2nb",  # 0
            f"%config K2Magics.log_dir = {str(logs)!r}",  # 1
            "import math\nimport numpy as np\nimport pandas as pd\n"  # 2
            "rng = np.random.default_rng(7)\n"
            f"sales = pd.DataFrame({{'region': rng.choice(['north', 'south'], {rows}), "
            f"'amount': rng.normal(100, 15, {rows}).round(2), 'units': rng.integers(1, 9, {rows})}})\n"
            f"_private = 1\napi_token = {STUDENT_TOKEN!r}\nthreshold = {threshold}",
            "1 / 0",  # 3: an error to reference as {Err}
            "import k2nb\n\n"  # 4: user tools
            "@k2nb.tool\n"
            "def flag_outliers(column: str, threshold: float = 3.0) -> list:\n"
            '    """Rows of `sales` whose column is more than `threshold` standard deviations from its mean.\n\n'
            "    Args:\n        column: a numeric column of sales\n        threshold: how many standard deviations\n"
            '    """\n'
            "    z = (sales[column] - sales[column].mean()) / sales[column].std()\n"
            "    return sales.index[z.abs() > threshold].tolist()\n\n"
            "@k2nb.tool(read_only=True)\n"
            "def column_mean(column: str) -> float:\n"
            '    """The mean of one column of sales."""\n'
            "    return round(float(sales[column].mean()), 4)",
            "import k2nb\n@k2nb.tool\ndef bad_tool(frame) -> int:\n    'no hint'\n    return 1",  # 5
            f"%%k2 --approve auto --provider moonshot --base-url {server.base_url} --model kimi-k2.6 "  # 6
            "--context sales --web-search\n"
            "Find outliers using threshold {threshold} (the cell was {In[3]}); my error: {Err[4]}, "
            "the last one: {Err}. "
            "Token {api_token}; literal {{braces}} and {unknown_name} stay.",
            f"%%k2 --approve never --provider moonshot --base-url {server.base_url} --model kimi-k2-thinking\n"  # 7
            "Now summarize.",
            "%k2 usage",  # 8
            "%k2 tools",  # 9
            f"%k2 export {tmp_path / 'session.md'}",  # 10
            f"%k2 export {tmp_path / 'session.html'}\n%k2 export {tmp_path / 'session.json'}",  # 11
            f"%k2 export {tmp_path / 'session.txt'}",  # 12: unknown format: a clear message
            f"%%k2 --provider openrouter --base-url {server.base_url} --web-search\nsearch",  # 13: not Moonshot
            f"%%k2 --base-url {server.base_url} --context nothing_here\nhi",  # 14: unknown variable
            f"print(flag_outliers('amount', {threshold}))\nprint(column_mean('amount'))",  # 15: still plain functions
        ]
        env = {"K2NB_API_KEY": SECRET_KEY}
        nb = run_notebook(cells, env=env, allow_errors=True)
        yield Session(nb, list(server.requests), tmp_path, threshold, rows)


def test_every_k2nb_cell_runs_without_a_traceback(session: Session) -> None:
    for i in (6, 7, 8, 9, 10, 11, 12, 13, 14):
        outputs = session.nb.cells[i].outputs
        assert not any(o.get("output_type") == "error" for o in outputs), (i, session.text(i))


def test_a_tool_without_type_hints_fails_at_its_definition_in_one_line(session: Session) -> None:
    bad = session.nb.cells[5].outputs[-1]
    assert bad["output_type"] == "error" and bad["ename"] == "ToolDefinitionError"
    assert bad["traceback"] == [f"ToolDefinitionError: {bad['evalue']}"]
    assert "parameter 'frame' needs a type hint" in bad["evalue"]


def test_kimi_k2_6_gets_the_thinking_switch_and_the_session_one_cache_key(session: Session) -> None:
    first, second, third = session.requests[0], session.requests[1], session.requests[2]
    assert first["thinking"] == {"type": "enabled"}
    assert first["prompt_cache_key"] == second["prompt_cache_key"] == third["prompt_cache_key"]
    assert "thinking" not in third  # kimi-k2-thinking always thinks: no field


def test_web_search_is_declared_only_when_asked(session: Session) -> None:
    first, third = session.requests[0], session.requests[2]
    assert {"type": "builtin_function", "function": {"name": "$web_search"}} in first["tools"]
    assert not any(t["function"]["name"] == "$web_search" for t in third["tools"])
    assert dict(_tool_results(session.requests[1]))["$web_search"] == json.dumps({"query": "kimi k2 thinking"})


def test_user_tools_are_declared_from_their_hints_and_docstring(session: Session) -> None:
    tools = session.requests[0]["tools"]
    names = [t["function"]["name"] for t in tools]
    assert names[:3] == ["code_interpreter", "list_variables", "inspect_variable"]
    flag = next(t["function"] for t in tools if t["function"]["name"] == "flag_outliers")
    assert flag["parameters"]["properties"] == {
        "column": {"type": "string", "description": "a numeric column of sales"},
        "threshold": {"type": "number", "description": "how many standard deviations", "default": 3.0},
    }
    assert flag["parameters"]["required"] == ["column"]
    assert flag["description"].startswith("Rows of `sales` whose column")
    assert "bad_tool" not in names


def test_the_prompt_interpolates_variables_cells_and_errors(session: Session) -> None:
    prompt = session.prompt
    assert f"using threshold {session.threshold} " in prompt
    assert "rng = np.random.default_rng(7)" in prompt  # {In[3]}: execution count 3 is the third code cell
    assert "    1 / 0\n" in prompt and "ZeroDivisionError: division by zero, the last one: " in prompt  # {Err[4]}
    assert "ToolDefinitionError: k2nb: @k2nb.tool bad_tool" in prompt  # {Err}: the latest error
    assert "literal {braces} and {unknown_name} stay" in prompt


def test_a_secret_in_the_prompt_is_masked(session: Session) -> None:
    assert "Token [redacted]" in session.prompt and STUDENT_TOKEN not in json.dumps(session.requests)


def test_context_summarizes_the_dataframe(session: Session) -> None:
    assert f"sales: pandas.DataFrame, shape {session.rows}×3" in session.prompt
    assert "amount    float64" in session.prompt and "region" in session.prompt


def test_list_variables_masks_secrets_and_hides_private_names_and_modules(session: Session) -> None:
    listed = dict(_tool_results(session.requests[1]))["list_variables"]
    assert f"sales: pandas.DataFrame ({session.rows}×3)" in listed
    assert f"threshold: float = {session.threshold}" in listed
    assert "api_token: str = [redacted]" in listed and STUDENT_TOKEN not in listed
    assert "_private" not in listed and "math" not in listed.split() and "np:" not in listed


def test_inspect_variable_shows_the_head(session: Session) -> None:
    assert "head:" in dict(_tool_results(session.requests[1]))["inspect_variable"]


def test_a_user_tool_runs_on_the_real_data_and_a_bad_call_is_reported(session: Session) -> None:
    flagged = [content for name, content in _tool_results(session.requests[1]) if name == "flag_outliers"]
    printed, _ = session.text(15).strip().splitlines()
    assert json.loads(flagged[0]) == json.loads(printed)  # the real function ran on the real data
    assert "argument 'column' must be of type string" in flagged[1]


def test_approve_never_declines_a_user_tool_but_runs_a_read_only_one(session: Session) -> None:
    _, mean = session.text(15).strip().splitlines()
    later = _tool_results(session.requests[3])[-2:]
    assert later[0][0] == "flag_outliers" and "declined" in later[0][1]
    assert later[1] == ("column_mean", mean)  # read-only: it ran even with --approve never


def test_usage_and_tools_commands(session: Session) -> None:
    usage = session.text(8)
    assert "2 run(s)" in usage and "% cached" in usage
    tools = session.text(9)
    assert "list_variables" in tools and "read-only" in tools and "flag_outliers" in tools and "needs approval" in tools


def test_export_as_markdown_html_and_json(session: Session) -> None:
    assert "exported 2 run(s) as md" in session.text(10)
    md = (session.files / "session.md").read_text()
    assert "<details><summary>💭 Thought for" in md and "First I look at what the kernel holds." in md
    assert "**🔧 flag_outliers**" in md and "The sales data has some outliers." in md
    assert "<details" in (session.files / "session.html").read_text()
    exported = json.loads((session.files / "session.json").read_text())
    assert [r["answer"] for r in exported["runs"]] == ["The sales data has some outliers.", "Summarized."]


def test_mistakes_in_a_cell_get_one_line_that_says_the_fix(session: Session) -> None:
    assert "--format md|html|json|cells" in session.text(12)  # an unknown export format
    assert "does not offer" in session.text(13) and "--provider moonshot" in session.text(13)  # $web_search elsewhere
    assert "no variable named nothing_here" in session.text(14)  # --context of a missing variable


def test_the_conversation_log_has_a_line_per_run_and_no_secrets(session: Session) -> None:
    (log,) = (session.files / "logs").glob("*.jsonl")
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["type"] for r in lines] == ["session", "run", "run"]
    assert lines[1]["steps"][0]["reasoning"] == "First I look at what the kernel holds."
    assert SECRET_KEY not in log.read_text() and STUDENT_TOKEN not in log.read_text()


def test_k2nb_export_reads_the_saved_notebook(session: Session) -> None:
    saved = session.files / "research.ipynb"
    nbformat.write(session.nb, saved)
    out = subprocess.run(
        [sys.executable, "-m", "k2nb.cli", "export", str(saved), "-o", str(session.files / "from_nb.md")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "wrote 2 run(s)" in out.stdout
    from_nb = (session.files / "from_nb.md").read_text()
    assert "Find outliers using threshold {threshold}" in from_nb  # the cell's prompt
    assert "The sales data has some outliers." in from_nb and "Summarized." in from_nb
    assert SECRET_KEY not in from_nb and SECRET_KEY not in saved.read_text()


def test_event_iterators_run_tools_on_the_kernel_thread(scripted_server: Any) -> None:
    word = random.choice(["alpha", "bravo", "charlie"])
    script = "\n---\n".join(
        [
            "think: spin\n" + _tool("code_interpreter", {"code": "while True:\n    pass"}),
            "think: it timed out; go on\n" + _tool("code_interpreter", {"code": f"after = {word!r}\nprint(after)"}),
            f"text: Set after to {word}.",
            "think: async now\n"
            + _tool("code_interpreter", {"code": "import threading\nprint(threading.current_thread().name)"}),
            "text: async done",
        ]
    )
    server = scripted_server(script, dialect="vllm")
    cells = [
        "import k2nb, collections\n"
        f"agent = k2nb.Agent(get_ipython(), base_url={server.base_url!r}, approve='auto', timeout=1)\n"
        "kinds = collections.Counter(e.type for e in agent.events('spin then set'))\n"
        "t = agent.session.transcripts[-1]\n"
        "print(kinds['tool_finished'], kinds['run_finished'], t.status, t.answer, after)\n"
        "print([tool.status for step in t.steps for tool in step.tools])",
        "finished = [e async for e in agent.aevents('again')]\n"
        "print(finished[-1].type, finished[-1].answer)\n"
        "print(next(e.model_text for e in finished if e.type == 'tool_finished').strip())",
    ]
    nb = run_notebook(cells)
    first = cell_text(nb.cells[0]).splitlines()
    assert first[0] == f"2 1 done Set after to {word}. {word}"
    assert first[1] == "['timeout', 'ok']"  # SIGALRM worked: the tool ran on the kernel's main thread
    second = cell_text(nb.cells[1]).splitlines()
    assert second[0] == "run_finished async done"
    assert second[1] == "MainThread"
