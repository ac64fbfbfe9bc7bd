"""In a real kernel: Always stays visible in later runs, `%k2 approve` shows and sets the mode, waits are apart."""

from __future__ import annotations

import json
import re
import time

import pytest

from k2nb.engines.script import ScriptedEngine
from k2nb.engines.server import ChatServer
from tests.harness.kernel import Execution, Kernel, run_notebook
from tests.harness.outputs import cell_text
from tests.harness.server import SECRET_KEY

pytestmark = pytest.mark.kernel

OFF = "approve: auto (Always)"


def _run(n: int) -> str:
    code = json.dumps({"code": f"ran_{n} = {n}\nprint('RESULT n={n}')"})
    return f"think: step {n}\ntool: code_interpreter {code}\n---\ntext: Answer {n}."


def test_always_then_ask_again_in_a_real_kernel() -> None:
    server = ChatServer(
        ScriptedEngine.from_text("\n---\n".join(_run(n) for n in (1, 2, 3))), dialect="moonshot", api_key=SECRET_KEY
    ).start()
    kernel = Kernel({"K2NB_BASE_URL": server.base_url, "K2NB_API_KEY": SECRET_KEY})
    try:
        kernel.execute("%load_ext k2nb")
        shown = kernel.execute("%k2 approve")
        assert "approve: ask for this session" in shown.text, shown.text

        def always_after_a_while(_prompt: str, _result: Execution) -> str:
            time.sleep(1.5)  # the user reads the code before answering
            return "a"

        first = kernel.execute("%%k2\nrun one", answer=always_after_a_while)
        assert len(first.prompts) == 1 and "RESULT n=1" in first.text
        waited = [float(s) for s in re.findall(r"waited (\d+\.\d) s · ran \d+\.\d s", first.text)]
        assert waited and max(waited) >= 1.5, first.text  # the wait is not counted as run time
        assert OFF in first.text  # from the click on, this run's status says so

        second = kernel.execute("%%k2\nrun two")
        assert second.prompts == [] and "RESULT n=2" in second.text
        assert OFF in second.text and "%k2 approve ask" in second.text, second.text
        assert "ran_2" in kernel.execute("print(sorted(k for k in dir() if k.startswith('ran_')))").text

        assert OFF in kernel.execute("%k2 approve").text
        bad = kernel.execute("%k2 approve sometimes")
        assert "use one of `%k2 approve ask|auto|never`" in bad.text and "Traceback" not in bad.text
        assert "approve: ask for this session" in kernel.execute("%k2 approve ask").text

        third = kernel.execute("%%k2\nrun three", answer=lambda _p, _r: "r")
        assert len(third.prompts) == 1 and "RESULT n=3" in third.text
        assert OFF not in third.text
    finally:
        kernel.close()
        server.stop()


def test_toy_costs_read_simulated_and_help_is_markdown_in_a_kernel() -> None:
    nb = run_notebook(
        [
            "%load_ext k2nb",
            "%%k2 --approve auto\nHow many primes are below 100?",
            "%k2 usage",
            "%k2 help",
            "%k2 help toy",
        ],
        env={"K2NB_PROVIDER": "toy", "K2NB_TOY_SPEED": "0"},
    )
    run, usage, help_, toy = nb.cells[1:]
    assert re.search(r"\$\d+\.\d{4} simulated · kimi-k2-thinking via toy", cell_text(run)), cell_text(run)
    assert re.search(r"output tokens · \$\d+\.\d{4} simulated$", cell_text(usage).strip()), cell_text(usage)
    for cell, heading in ((help_, "#### Flags"), (toy, "## The k2nb toy engine")):
        (shown,) = [o for o in cell.outputs if o.get("output_type") == "display_data"]
        assert heading in shown["data"]["text/markdown"]
        assert "`" not in shown["data"]["text/plain"] and "::" not in shown["data"]["text/plain"]
