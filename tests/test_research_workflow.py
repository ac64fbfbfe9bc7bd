"""Issue #7 in a real kernel against a loopback server: kernel context, inspection tools, user
tools, Moonshot request fields, $web_search, export, the conversation log, and the event iterators.

Two kernels in all (the features are batched into their cells), to keep the suite fast.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.conftest import SECRET_KEY, cell_text, run_notebook

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


def test_research_session_in_a_kernel(scripted_server: Any, tmp_path: Path) -> None:
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
    server = scripted_server(script, dialect="moonshot", api_key=SECRET_KEY, models=("kimi-k2-thinking", "kimi-k2.6"))
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
        "Find outliers using threshold {threshold} (the cell was {In[3]}); my error: {Err[4]}, the last one: {Err}. "
        "Token {api_token}; literal {{braces}} and {unknown_name} stay.",
        f"%%k2 --approve never --provider moonshot --base-url {server.base_url}\nNow summarize.",  # 7
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
    # every k2nb cell ran without a traceback; the bad tool failed at definition, in one line
    for i in (6, 7, 8, 9, 10, 11, 12, 13, 14):
        assert not any(o.get("output_type") == "error" for o in nb.cells[i].outputs), (i, cell_text(nb.cells[i]))
    bad = nb.cells[5].outputs[-1]
    assert bad["output_type"] == "error" and bad["ename"] == "ToolDefinitionError"
    assert bad["traceback"] == [f"ToolDefinitionError: {bad['evalue']}"]
    assert "parameter 'frame' needs a type hint" in bad["evalue"]

    first, second, third = server.requests[0], server.requests[1], server.requests[2]
    # request fields: the thinking switch for kimi-k2.6, one cache key per session, $web_search declared
    assert first["thinking"] == {"type": "enabled"}
    assert first["prompt_cache_key"] == second["prompt_cache_key"] == third["prompt_cache_key"]
    assert "thinking" not in third  # kimi-k2-thinking always thinks: no field
    assert {"type": "builtin_function", "function": {"name": "$web_search"}} in first["tools"]
    assert not any(t["function"]["name"] == "$web_search" for t in third["tools"])
    names = [t["function"]["name"] for t in first["tools"]]
    assert names[:3] == ["code_interpreter", "list_variables", "inspect_variable"]
    flag = next(t["function"] for t in first["tools"] if t["function"]["name"] == "flag_outliers")
    assert flag["parameters"]["properties"] == {
        "column": {"type": "string", "description": "a numeric column of sales"},
        "threshold": {"type": "number", "description": "how many standard deviations", "default": 3.0},
    }
    assert flag["parameters"]["required"] == ["column"]
    assert flag["description"].startswith("Rows of `sales` whose column")
    assert "bad_tool" not in names

    # the prompt: interpolation, In[n], Err, masked secret, --context summary
    prompt = next(m["content"] for m in first["messages"] if m["role"] == "user")
    assert f"using threshold {threshold} " in prompt
    assert "rng = np.random.default_rng(7)" in prompt  # {In[3]}: execution count 3 is the third code cell
    assert "    1 / 0\n" in prompt and "ZeroDivisionError: division by zero, the last one: " in prompt  # {Err[4]}
    assert "ToolDefinitionError: k2nb: @k2nb.tool bad_tool" in prompt  # {Err}: the latest error
    assert "Token ***" in prompt and STUDENT_TOKEN not in json.dumps(server.requests)
    assert "literal {braces} and {unknown_name} stay" in prompt
    assert f"sales: pandas.DataFrame, shape {rows}×3" in prompt
    assert "amount    float64" in prompt and "region" in prompt

    results = _tool_results(second)
    listed = dict(results)["list_variables"]
    assert f"sales: pandas.DataFrame ({rows}×3)" in listed
    assert f"threshold: float = {threshold}" in listed
    assert "api_token: str = ***" in listed and STUDENT_TOKEN not in listed
    assert "_private" not in listed and "math" not in listed.split() and "np:" not in listed
    assert "head:" in dict(results)["inspect_variable"]
    assert dict(results)["$web_search"] == json.dumps({"query": "kimi k2 thinking"})
    flagged = [content for name, content in results if name == "flag_outliers"]
    printed, mean = cell_text(nb.cells[15]).strip().splitlines()
    assert json.loads(flagged[0]) == json.loads(printed)  # the real function ran on the real data
    assert "argument 'column' must be of type string" in flagged[1]

    later = _tool_results(server.requests[3])[-2:]
    assert later[0][0] == "flag_outliers" and "declined" in later[0][1]
    assert later[1] == ("column_mean", mean)  # read-only: it ran even with --approve never

    usage = cell_text(nb.cells[8])
    assert "2 run(s)" in usage and "% cached" in usage
    tools = cell_text(nb.cells[9])
    assert "list_variables" in tools and "read-only" in tools and "flag_outliers" in tools and "needs approval" in tools

    # export: Markdown with thinking in <details>, HTML, JSON
    assert "exported 2 run(s) as md" in cell_text(nb.cells[10])
    md = (tmp_path / "session.md").read_text()
    assert "<details><summary>💭 Thinking" in md and "First I look at what the kernel holds." in md
    assert "**🔧 flag_outliers**" in md and "The sales data has some outliers." in md
    assert "<details" in (tmp_path / "session.html").read_text()
    exported = json.loads((tmp_path / "session.json").read_text())
    assert [r["answer"] for r in exported["runs"]] == ["The sales data has some outliers.", "Summarized."]
    assert "--format md|html|json|cells" in cell_text(nb.cells[12])
    assert "does not offer" in cell_text(nb.cells[13]) and "--provider moonshot" in cell_text(nb.cells[13])
    assert "no variable named nothing_here" in cell_text(nb.cells[14])

    # the conversation log: a header and one line per run; no key or token in it
    (log,) = logs.glob("*.jsonl")
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["type"] for r in lines] == ["session", "run", "run"]
    assert lines[1]["steps"][0]["reasoning"] == "First I look at what the kernel holds."
    assert SECRET_KEY not in log.read_text() and STUDENT_TOKEN not in log.read_text()

    # `k2nb export NOTEBOOK.ipynb` from the saved notebook
    saved = tmp_path / "research.ipynb"
    nbformat.write(nb, saved)
    out = subprocess.run(
        [sys.executable, "-m", "k2nb.cli", "export", str(saved), "-o", str(tmp_path / "from_nb.md")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "wrote 2 run(s)" in out.stdout
    from_nb = (tmp_path / "from_nb.md").read_text()
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
