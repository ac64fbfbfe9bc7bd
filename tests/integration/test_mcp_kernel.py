"""MCP servers in a real kernel: `%k2 mcp`, `%%k2` runs on the toy engine calling MCP tools named in
backticks (as it calls `@k2nb.tool` functions), approvals on stdin, trust, a crash and a hang, the
settings, secrets in no artefact, and the servers ending with the kernel.

The servers are real processes (tests/harness/mcp_server.py, the SDK's MCPServer): stdio, started by
the kernel, and one over streamable HTTP on 127.0.0.1.
"""

from __future__ import annotations

import html
import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import psutil
import pytest

from tests.harness.kernel import Execution, Kernel, run_notebook
from tests.harness.mcp_processes import (
    HEADER_TOKEN,
    TOKEN,
    add_words,
    http_server,
    server_processes,
    stdio_entry,
    wait_until,
)
from tests.harness.outputs import cell_text, html_text

pytestmark = pytest.mark.kernel

HEADER = "# MCP server 'demo'"


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    """One kernel with k2nb and the demo server (stdio) added by `%k2 mcp add`; the toy engine answers."""
    home = tmp_path_factory.mktemp("mcp-kernel")
    kernel = Kernel({"K2NB_PROVIDER": "toy"}, cwd=home)
    try:
        kernel.run("%load_ext k2nb")
        yield kernel
    finally:
        kernel.close()


def _text(execution: Execution) -> str:
    return html_text(execution.text)


def _code(markup: str) -> str:
    """Highlighted code as it reads (its tokens are spans)."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def _ops(execution: Execution) -> list[dict[str, Any]]:
    return [op for batch in execution.batches for op in batch]


def test_add_lists_the_tools_and_a_run_calls_one_after_asking(kernel: Kernel) -> None:
    added = kernel.execute(add_words("demo"), timeout=60)
    assert added.status == "ok"
    assert "k2nb: MCP server 'demo' started (stdio). 10 tool(s): add (read-only hint), shout" in added.printed
    assert "Left out (Moonshot's tool rules): anything: parameter 'value' needs a 'type'" in added.printed
    assert TOKEN not in added.text

    listed = kernel.execute("%k2 mcp").printed
    assert "- demo · running · stdio:" in listed and "(env: DEMO_TOKEN)" in listed and TOKEN not in listed
    tools = kernel.execute("%k2 tools").printed
    assert re.search(r"^add\s+MCP demo\s+Add two integers\.$", tools, re.M), tools
    assert re.search(r"^demo__inspect_variable\s+MCP demo\s", tools, re.M), tools  # k2nb has an inspect_variable

    run = kernel.execute("%%k2\nUse `add` with a 2 and b 3", answer=lambda _prompt, _run: "r")
    assert run.status == "ok" and run.prompts == [
        "k2nb: run this add code (step 1)? [r]un / [e]dit / [s]kip / [a]lways: "
    ]
    ops = _ops(run)
    code = next(i for i, op in enumerate(ops) if op["op"] == "html" and HEADER in html_text(op["html"]))
    asked = next(i for i, op in enumerate(ops) if op["op"] == "approval")
    assert code < asked  # the call (server, hint, tool, arguments) is on screen before the question
    shown = _code(ops[code]["html"])
    assert (
        "the server marks this tool read-only (its hint; your approval decides)" in shown and "add(a=2, b=3)" in shown
    )
    assert "It returned: 5" in _text(run)
    assert re.search(r"add · ✓ · waited \d+\.\d s · ran \d+\.\d s", _text(run)), _text(run)


def test_never_declines_and_trust_runs_without_asking(kernel: Kernel) -> None:
    declined = kernel.execute("%%k2 --approve never\nUse `shout` with text hello")
    assert declined.prompts == [] and "declined" in _text(declined) and "HELLO" not in _text(declined)

    kernel.execute(add_words("loud", only="shout", trust=True), timeout=60)
    trusted = kernel.execute("%%k2\nUse `loud__shout` with text hello")  # `shout` is demo's too
    assert trusted.prompts == [] and "It returned: HELLO" in _text(trusted)
    assert "# MCP server 'loud' · trusted: runs without asking" in _text(trusted)
    assert "k2nb: MCP server 'loud' stopped and removed." in kernel.execute("%k2 mcp remove loud").printed


def test_a_crash_mid_call_then_the_next_call_restarts_the_server(kernel: Kernel) -> None:
    before = kernel.execute("%%k2 --approve auto\nUse `pid`")
    first = re.search(r"It returned: (\d+)", _text(before))
    crashed = kernel.execute("%%k2 --approve auto\nUse `crash` with message disk_full")
    said = _text(crashed)
    assert "the MCP server 'demo' exited during the call of crash" in said
    assert "Its last stderr line: 'crashing: disk_full'" in said and "Traceback" not in crashed.printed
    assert "demo · exited: it exited during a call." in kernel.execute("%k2 mcp").printed
    after = kernel.execute("%%k2 --approve auto\nUse `pid`")
    second = re.search(r"It returned: (\d+)", _text(after))
    assert first and second and first[1] != second[1]  # a new process answered


def test_a_hang_past_the_timeout_ends_the_call_not_the_run(kernel: Kernel) -> None:
    kernel.run("%config K2Magics.mcp_timeout = 1")
    try:
        hung = kernel.execute("%%k2 --approve auto\nUse `hang` with seconds 30", timeout=30)
    finally:
        kernel.run("%config K2Magics.mcp_timeout = 60")
    said = _text(hung)
    assert "hang on MCP server 'demo' did not answer within 1 s" in said and "timed out" in said
    assert hung.seconds < 20
    assert "It returned: 7" in _text(kernel.execute("%%k2 --approve auto\nUse `add` with a 3 and b 4"))


def test_the_kernels_interrupt_cancels_a_call_in_flight(kernel: Kernel) -> None:
    stopped = kernel.execute(
        "%%k2 --approve auto\nUse `hang` with seconds 60",
        interrupt_when=lambda run: any(op.get("title") == "hang · auto" for op in _ops(run)),  # it is running
        timeout=40,
    )
    assert stopped.interrupted_at is not None and stopped.seconds - stopped.interrupted_at < 10
    said = _text(stopped)
    assert "stopped by the user" in said and "hang · ⊘ stopped" in said and "Traceback" not in stopped.printed
    assert "It returned: 9" in _text(kernel.execute("%%k2 --approve auto\nUse `add` with a 4 and b 5"))


def test_images_from_a_streamable_http_server(kernel: Kernel) -> None:
    with http_server(only="square") as url:
        added = kernel.execute(f"%k2 mcp add web --url {url} --header X-Demo={HEADER_TOKEN}", timeout=60)
        assert "k2nb: MCP server 'web' started (http). 1 tool(s): square." in added.printed, added.printed
        run = kernel.execute("%%k2 --approve auto\nUse `web__square` with size 8")  # demo has a `square` too
        assert any("data:image/png;base64,iVBORw0KGgo" in op.get("html", "") for op in _ops(run))
        assert "[figure 8×8 shown to the user]" in _text(run)
        assert HEADER_TOKEN not in kernel.execute("%k2 mcp").text
        kernel.run("%k2 mcp remove web")


def test_settings_and_the_mcp_config_flag(kernel: Kernel, tmp_path: Path) -> None:
    config = {"mcpServers": {"cfg": stdio_entry(only="pid")}}
    started = kernel.execute(f"%config K2Magics.mcp_servers = {config!r}", timeout=60)
    assert "k2nb: MCP server 'cfg' started (stdio). 1 tool(s): pid." in started.printed, started.printed
    assert "- cfg · running" in kernel.execute("%k2 mcp").printed
    kernel.run("%config K2Magics.mcp_servers = {}")
    assert "- cfg" not in kernel.execute("%k2 mcp").printed  # no longer declared: stopped

    path = tmp_path / "servers.json"
    path.write_text(json.dumps({"mcpServers": {"filed": stdio_entry(only="pid")}}))
    run = kernel.execute(f"%%k2 --approve auto --mcp-config {shlex.quote(str(path))}\nUse `filed__pid`", timeout=60)
    assert "k2nb: MCP server 'filed' started (stdio)" in run.printed and re.search(r"It returned: \d+", _text(run))
    assert "- filed" not in kernel.execute("%%k2\nhello").text + kernel.execute("%k2 mcp").printed
    bad = kernel.execute("%%k2 --mcp-config /no/such/mcp.json\nhello")
    assert "k2nb: MCP config /no/such/mcp.json: cannot read it" in bad.printed and "Traceback" not in bad.printed


def test_the_values_a_server_is_given_appear_in_no_artefact(kernel: Kernel, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    kernel.run(f"%config K2Magics.log_dir = {str(logs)!r}")
    run = kernel.execute("%%k2 --approve auto\nUse `whoami`")
    assert "with token [redacted]" in _text(run)
    kernel.run(f"%k2 export {tmp_path / 'session.md'}\n%k2 export {tmp_path / 'session.json'}")
    listing = kernel.execute("%k2 mcp")
    log_path = re.search(r"log: (\S+demo-\d+\.log)", listing.printed)
    assert log_path, listing.printed
    artefacts = {
        "cell output": run.text,
        "listing": listing.text,
        "markdown export": (tmp_path / "session.md").read_text(),
        "json export": (tmp_path / "session.json").read_text(),
        "conversation log": "".join(p.read_text() for p in logs.glob("*.jsonl")),
        "server stderr log": Path(log_path[1]).read_text(),
    }
    assert "whoami: token is [redacted]" in artefacts["server stderr log"]
    for where, text in artefacts.items():
        assert TOKEN not in text, where


def test_a_saved_notebook_holds_no_value_a_server_was_given(tmp_path: Path) -> None:
    """Headless (nbclient), the token passed from the kernel's environment: not in one byte of the file."""
    nb = run_notebook(
        [
            "%load_ext k2nb",
            add_words("demo", only="whoami", token=None),  # `--env DEMO_TOKEN`: the kernel's value, unwritten
            "%%k2 --approve auto\nUse `whoami`",
            "%k2 mcp",
        ],
        env={"K2NB_PROVIDER": "toy", "DEMO_TOKEN": TOKEN},
        cwd=tmp_path,
    )
    saved = nbformat.writes(nb)
    assert "with token [redacted]" in cell_text(nb.cells[2]) and "- demo · running" in cell_text(nb.cells[3])
    assert TOKEN not in saved


def test_the_servers_end_with_the_extension_and_with_the_kernel(tmp_path: Path) -> None:
    kernel = Kernel({"K2NB_PROVIDER": "toy"}, cwd=tmp_path)
    try:
        kernel.run("%load_ext k2nb")
        kernel.execute(add_words("demo", only="pid"), timeout=60)
        unloaded = server_processes(kernel.pid())
        assert len(unloaded) == 1
        kernel.run("%unload_ext k2nb")
        assert wait_until(lambda: not any(_running(p) for p in unloaded))
        kernel.run("%load_ext k2nb")
        kernel.execute(add_words("demo", only="pid"), timeout=60)
        servers = server_processes(kernel.pid())
        assert len(servers) == 1
        kernel.client.stop_channels()
        kernel.manager.shutdown_kernel(now=False)  # the kernel's own shutdown: atexit stops the servers
        assert wait_until(lambda: not any(_running(p) for p in servers))
    finally:
        if kernel.manager.is_alive():
            kernel.manager.shutdown_kernel(now=True)


def _running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
