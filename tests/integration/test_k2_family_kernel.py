"""The K2 family in a real kernel against the loopback server in the Moonshot dialect (its rules enforced):
a retired default falls back, effort, preserved thinking across two cells, figures to a vision model and
none to a text-only one, and the toy looking at the figure it drew."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest

from k2nb.core.images import image_parts, image_size
from tests.harness.kernel import run_notebook
from tests.harness.outputs import cell_text
from tests.harness.server import SECRET_KEY, provider_env

pytestmark = pytest.mark.kernel

MOONSHOT_2026 = ("kimi-k2.5", "kimi-k2.6", "kimi-k2.7-code", "moonshot-v1-8k")  # kimi-k2-thinking retired
PLOT = (
    "import matplotlib\nmatplotlib.use('module://matplotlib_inline.backend_inline')\n"
    "import matplotlib.pyplot as plt\nplt.plot([0, 1, 2], [0, 1, 4])\nplt.show()"
)


def tool(code: str) -> str:
    return "tool: code_interpreter " + json.dumps({"code": code})


def tool_messages(request: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in request["messages"] if m["role"] == "tool"]


def test_a_retired_default_model_falls_back_once_and_a_named_one_never(scripted_server: Any) -> None:
    answer = "think: fine\ntext: answered by the replacement"
    server = scripted_server(f"{answer}\n---\n{answer}", api_key=SECRET_KEY, models=MOONSHOT_2026)
    nb = run_notebook(
        [
            "%load_ext k2nb",
            "%%k2\nhello",  # K2NB_BASE_URL: k2nb's default, kimi-k2-thinking, which this server retired
            "%%k2\nagain",
            "%%k2 --model kimi-k2-thinking\nthis one I named",
            "%k2 models",
        ],
        env=provider_env(server),
    )
    first, second, named, models = (cell_text(c) for c in nb.cells[1:])
    notice = "kimi-k2-thinking is not offered by this server; using kimi-k2.6 — set --model to choose."
    assert notice in first and "answered by the replacement" in first
    assert notice not in second and "answered by the replacement" in second  # kept for the kernel
    assert [r["model"] for r in server.requests] == ["kimi-k2-thinking", "kimi-k2.6", "kimi-k2.6", "kimi-k2-thinking"]
    assert "temperature" not in server.requests[1]  # the replacement's own rules, from its first request
    assert "'kimi-k2-thinking' was not found" in named and "kimi-k2.6" in named  # listed, not replaced
    assert "using kimi-k2.6" not in named
    assert re.search(r"\* kimi-k2\.6 +256k context · thinks \(can switch off\)", models), models
    assert "moonshot-v1-8k" in models and "not in k2nb's model table" in models
    assert SECRET_KEY not in first + second + named + models


def test_effort_goes_where_moonshot_reads_it_and_only_to_models_with_levels(scripted_server: Any) -> None:
    server = scripted_server("\n---\n".join(["think: ok\ntext: done"] * 3), api_key=SECRET_KEY)
    moonshot = f"--provider moonshot --base-url {server.base_url}"
    nb = run_notebook(
        [
            "%load_ext k2nb",
            f"%%k2 {moonshot} --model kimi-k3 --effort low\nthink a little",
            "%config K2Magics.effort = 'max'",
            f"%%k2 {moonshot} --model kimi-k3\nthink a lot",
            f"%%k2 {moonshot} --model kimi-k2.6\nno levels here",
        ],
        env={"K2NB_API_KEY": SECRET_KEY},
    )
    low, high, none = server.requests
    assert low["thinking"] == {"type": "enabled", "effort": "low"} and low["reasoning_effort"] == "low"
    assert low["max_completion_tokens"] == 32768 and "max_tokens" not in low
    assert "temperature" not in low and low["prompt_cache_key"].startswith("k2nb-")
    assert high["thinking"]["effort"] == "max" == high["reasoning_effort"]
    assert "reasoning_effort" not in none and "effort" not in none["thinking"]
    assert "kimi-k2.6 has no effort levels: --effort max is not sent." in cell_text(nb.cells[4])


def test_preserved_thinking_keeps_every_turn_across_two_cells(scripted_server: Any) -> None:
    script = "\n---\n".join(
        [
            "think:\ntext: Hello! (no reasoning this time)",  # the reasoning field arrives as ""
            "think: I'll compute it.\n" + tool("kept = 6 * 7\nprint(kept)"),
            "think: It printed 42.\ntext: The answer is **42**.",
        ]
    )
    server = scripted_server(script, api_key=SECRET_KEY)  # enforces: every assistant turn carries reasoning
    moonshot = f"--provider moonshot --base-url {server.base_url} --approve auto"
    nb = run_notebook(
        [
            "%load_ext k2nb",
            "%config K2Magics.keep_thinking = True",
            f"%%k2 {moonshot}\nhi",
            f"%%k2 {moonshot}\nwhat is 6 * 7?",
            "print(kept)",
        ],
        env={"K2NB_API_KEY": SECRET_KEY},
    )
    assert "The answer is **42**" in cell_text(nb.cells[3]) or "The answer is 42" in cell_text(nb.cells[3])
    assert cell_text(nb.cells[4]).strip() == "42"
    last = server.requests[-1]
    assert last["model"] == "kimi-k2.6" and last["thinking"] == {"type": "enabled", "keep": "all"}
    reasoning = [m.get("reasoning_content") for m in last["messages"] if m["role"] == "assistant"]
    assert reasoning == ["", "I'll compute it."]  # "" stays "", as it came


def test_figures_go_to_a_vision_model_and_stay_text_for_a_text_only_one(scripted_server: Any) -> None:
    blocks = ["think: plot it\n" + tool(PLOT), "think: I see it\ntext: Plotted."]
    server = scripted_server("\n---\n".join(blocks * 2), api_key=SECRET_KEY)
    moonshot = f"--provider moonshot --base-url {server.base_url} --approve auto"
    nb = run_notebook(
        [
            "%load_ext k2nb",
            f"%%k2 {moonshot} --model kimi-k2.6\nplot it",
            "%k2 usage",
            f"%%k2 {moonshot} --model kimi-k2-thinking --new\nplot it",
        ],
        env={"K2NB_API_KEY": SECRET_KEY},
    )
    assert "Plotted." in cell_text(nb.cells[1]) and "Plotted." in cell_text(nb.cells[3])
    assert "of them for images" in cell_text(nb.cells[2])  # the server reported image tokens
    vision = tool_messages(server.requests[1])[-1]["content"]
    assert isinstance(vision, list) and [p["type"] for p in vision] == ["text", "image_url"]
    assert re.search(
        r"\[figure \d+×\d+ shown to the user\]\n\[figure 1 is attached below as an image", vision[0]["text"]
    )
    (picture,) = image_parts(vision)
    data = base64.b64decode(picture["image_url"]["url"].split(",", 1)[1])
    width, height = image_size(data) or (0, 0)
    assert width * height <= 1_000_000 and len(data) <= 1_000_000
    text_only = tool_messages(server.requests[3])[-1]["content"]
    assert isinstance(text_only, str) and re.search(r"\[figure \d+×\d+ shown to the user\]", text_only)
    assert "attached" not in text_only


def test_the_toy_looks_at_the_figure_a_vision_model_is_sent() -> None:
    nb = run_notebook(
        [
            "%load_ext k2nb",
            "%%k2 --provider toy --model kimi-k2.6 --approve auto\nplot sin(x) from 0 to 3",
            "%%k2 --provider toy --approve auto --new\nplot sin(x) from 0 to 3",
        ]
    )
    seen = cell_text(nb.cells[1])
    assert re.search(
        r"I looked at the figure the code drew: a \d+×\d+ image, mostly white \(\d+%\), with [a-z ,]*blue", seen
    )
    assert "I looked at the figure" not in cell_text(nb.cells[2])  # kimi-k2-thinking reads text only
