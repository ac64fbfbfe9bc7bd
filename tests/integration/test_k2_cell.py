"""%%k2 in a real kernel (nbclient) against a loopback server speaking each K2 dialect."""

from __future__ import annotations

import json
import random
import re
from html import unescape
from typing import Any

import nbformat
import pytest
from nbconvert import HTMLExporter

from tests.harness.kernel import run_notebook
from tests.harness.outputs import cell_text
from tests.harness.server import SECRET_KEY

pytestmark = pytest.mark.kernel


def _tool(code: str) -> str:
    return "tool: code_interpreter " + json.dumps({"code": code})


def two_step_script(n: int, var: str) -> str:
    code = (
        f"{var} = [k for k in range(2, {n}) if all(k % d for d in range(2, int(k**0.5) + 1))]\n"
        f"print(f'found {{len({var})}} primes below {n}')"
    )
    return "\n".join(
        [
            f"think: I need the primes below {n}. I'll compute them in the kernel.",
            _tool(code),
            "---",
            "think: The tool printed the count; I'll report it.",
            f"text: The kernel found the primes below **{n}** (see `{var}`).",
        ]
    )


@pytest.mark.parametrize("dialect", ["moonshot", "vllm", "openrouter"])
def test_k2_cell_runs_code_in_user_namespace(scripted_server: Any, dialect: str) -> None:
    n = random.randint(50, 500)
    var = f"primes_{dialect}"
    server = scripted_server(two_step_script(n, var), dialect=dialect, api_key=SECRET_KEY, fragment_chars=5)
    expected = sum(1 for k in range(2, n) if all(k % d for d in range(2, int(k**0.5) + 1)))
    nb = run_notebook(
        ["%load_ext k2nb", "%%k2 --approve auto\nFind the primes.", f"print(len({var}))"],
        env={"K2NB_BASE_URL": server.base_url, "K2NB_API_KEY": SECRET_KEY},
    )
    trace = cell_text(nb.cells[1])
    assert f"I need the primes below {n}" in trace  # thinking shown
    assert f"found {expected} primes below {n}" in trace  # tool output shown
    assert "The kernel found the primes below" in trace  # the answer
    assert cell_text(nb.cells[2]).strip() == str(expected)  # variable lives in the user's kernel

    second = server.requests[1]["messages"]
    assistant = next(m for m in second if m["role"] == "assistant")
    field = {"moonshot": "reasoning_content", "vllm": "reasoning", "openrouter": "reasoning_details"}[dialect]
    assert field in assistant, assistant
    tool_msg = next(m for m in second if m["role"] == "tool")
    assert tool_msg["tool_call_id"] == assistant["tool_calls"][0]["id"]
    assert f"found {expected} primes below {n}" in tool_msg["content"]
    if dialect == "moonshot":
        assert assistant["tool_calls"][0]["id"] == "code_interpreter:0"
    if dialect == "openrouter":
        assert assistant["tool_calls"][0]["id"].startswith("functions.code_interpreter:")


def test_five_step_run_never_triggers_missing_reasoning_400(scripted_server: Any, tmp_path: Any) -> None:
    blocks = []
    for i in range(5):
        blocks.append(
            f"think: step {i}: I will add {i} to the total.\n"
            + _tool(f"total = globals().get('total', 0) + {i}\nprint('total', total)")
        )
    blocks.append("think: done adding.\ntext: The total is ten.")
    server = scripted_server("\n---\n".join(blocks), dialect="moonshot", api_key=SECRET_KEY, strict_reasoning=True)
    nb = run_notebook(
        ["%load_ext k2nb", "%%k2 --approve auto\nAdd 0..4", "print(total)", "%%k2\nAnd again?"],
        env={"K2NB_BASE_URL": server.base_url, "K2NB_API_KEY": SECRET_KEY},
    )
    assert cell_text(nb.cells[2]).strip() == "10"
    assert "The total is ten." in cell_text(nb.cells[1])
    assert len(server.requests) == 7  # 6 steps + the follow-up cell's request, none refused
    assert "reasoning_content is missing" not in cell_text(nb.cells[1]) + cell_text(nb.cells[3])
    # the follow-up continued the same conversation: all earlier turns were sent back
    follow_up = server.requests[-1]["messages"]
    assert sum(1 for m in follow_up if m["role"] == "tool") == 5
    assert all(m.get("reasoning_content") for m in follow_up if m.get("tool_calls"))

    # The saved notebook, converted with nbconvert, keeps the whole trace; the key is nowhere.
    path = tmp_path / "run.ipynb"
    nbformat.write(nb, path)
    html, _ = HTMLExporter().from_notebook_node(nbformat.read(path, as_version=4))
    text = unescape(re.sub(r"<[^>]+>", "", html))  # code is syntax-highlighted into spans
    for expected in ("step 3: I will add 3", "total = globals().get", "total 6", "The total is ten."):
        assert expected in text, expected
    raw = path.read_text()
    assert SECRET_KEY not in raw and SECRET_KEY not in html


def test_model_errors_timeouts_and_headless_approval(scripted_server: Any) -> None:
    script = "\n---\n".join(
        [
            "think: try something that fails\n" + _tool("undefined_name + 1"),
            "think: the traceback says NameError; loop forever next\n" + _tool("while True:\n    pass"),
            "think: that timed out\n" + _tool("after_timeout = 'ok'\nprint(after_timeout)"),
            "think: all done\ntext: Recovered from errors.",
            # second cell, default approval 'ask' in a headless run: declined
            "think: run more code\n" + _tool("should_not_exist = 1"),
            "think: it was declined\ntext: I could not run the code.",
        ]
    )
    server = scripted_server(script, dialect="moonshot", api_key=SECRET_KEY)
    nb = run_notebook(
        [
            "%load_ext k2nb",
            "%%k2 --approve auto --timeout 1\nDo risky things",
            "print(after_timeout)",
            "%%k2\nOnce more",
            "print('should_not_exist' in globals())",
        ],
        env={"K2NB_BASE_URL": server.base_url, "K2NB_API_KEY": SECRET_KEY},
    )
    trace = cell_text(nb.cells[1])
    assert "NameError" in trace and "timed out" in trace and "Recovered from errors." in trace
    assert cell_text(nb.cells[2]).strip() == "ok"  # kernel usable after the timeout
    tool_texts = [m["content"] for m in server.requests[3]["messages"] if m["role"] == "tool"]
    assert "NameError" in tool_texts[0]
    assert "interrupted after 1 s" in tool_texts[1]
    declined = cell_text(nb.cells[3])
    assert "--approve auto" in declined
    last_tool = [m for m in server.requests[-1]["messages"] if m["role"] == "tool"][-1]
    assert "--approve auto" in last_tool["content"]
    assert cell_text(nb.cells[4]).strip() == "False"


def test_clear_errors_without_tracebacks(scripted_server: Any) -> None:
    server = scripted_server("text: hi", api_key=SECRET_KEY, models=("kimi-k2-thinking", "kimi-k2.6"))
    nb = run_notebook(
        [
            "%load_ext k2nb",
            "%%k2 --provider moonshot\nhello",  # no key anywhere
            "import os; os.environ['K2NB_API_KEY'] = 'sk-wrong-key'",
            f"%%k2 --base-url {server.base_url}\nhello",  # wrong key
            f"import os; os.environ['K2NB_API_KEY'] = '{SECRET_KEY}'",
            f"%%k2 --base-url {server.base_url} --model kimi-nonexistent\nhello",
            "%%k2 --base-url http://127.0.0.1:9/v1\nhello",  # nothing listens on port 9
        ],
    )
    for cell in nb.cells[1:]:
        assert not any(o.get("output_type") == "error" for o in cell.outputs), cell_text(cell)
    missing = cell_text(nb.cells[1])
    assert "no API key for moonshot" in missing and "MOONSHOT_API_KEY" in missing
    wrong = cell_text(nb.cells[3])
    assert "rejected the API key (401)" in wrong and "sk-wrong-key" not in wrong
    unknown = cell_text(nb.cells[5])
    assert "'kimi-nonexistent' was not found" in unknown and "kimi-k2.6" in unknown
    unreachable = cell_text(nb.cells[6])
    assert "cannot reach http://127.0.0.1:9/v1" in unreachable
    for cell in nb.cells[1:]:
        assert SECRET_KEY not in cell_text(cell)


def test_rich_outputs_reach_the_user_and_a_summary_reaches_the_model(scripted_server: Any) -> None:
    plot = (
        "import matplotlib\nmatplotlib.use('module://matplotlib_inline.backend_inline')\n"
        "import matplotlib.pyplot as plt\nimport pandas as pd\n"
        "frame = pd.DataFrame({'x': [1, 2, 3], 'y': [4, 5, 6]})\n"
        "plt.plot(frame.x, frame.y)\nplt.show()\nframe"
    )
    script = "\n---\n".join(
        [
            "think: plot and show a table\n" + _tool(plot),
            "think: the user saw the plot\ntext: Plotted.",
        ]
    )
    server = scripted_server(script, dialect="vllm")
    nb = run_notebook(
        ["%load_ext k2nb", "%%k2 --approve auto\nPlot it", "print(In[-1] if In else '', len(In))"],
        env={"K2NB_BASE_URL": server.base_url},
    )
    html = next(o["data"]["text/html"] for o in nb.cells[1].outputs if "text/html" in o.get("data", {}))
    assert 'src="data:image/png;base64,' in html  # the figure is in the trace
    assert "<table" in html  # the DataFrame's HTML table too
    tool = next(m for m in server.requests[1]["messages"] if m["role"] == "tool")["content"]
    assert "[figure" in tool and "shown to the user]" in tool
    assert "base64" not in tool and "<table" not in tool  # the model gets text, not pixels or HTML
    # the model's code did not enter the user's In/Out history
    assert "frame = pd.DataFrame" not in cell_text(nb.cells[2])
