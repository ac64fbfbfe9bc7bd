"""k2nb/tools/mcp.py with real MCP servers (processes, stdio and streamable HTTP) and a real Agent.

The model is the loopback K2 server playing a script (strict about the history), so each test says
exactly which MCP call the model makes; the servers are tests/harness/mcp_server.py, written with
the official SDK. A kernel and the toy engine take the same path in tests/integration/test_mcp_kernel.py.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest

from k2nb.api import Agent
from k2nb.core.transcript import ToolRecord, Transcript
from k2nb.engines.server import ChatServer
from k2nb.tools.approval import ApprovalRequest, Verdict
from k2nb.tools.mcp import INSTALL_HINT, MCPServers
from k2nb.tools.mcp_config import ServerConfig
from tests.harness.mcp_processes import HEADER_TOKEN, TOKEN, http_server, server_processes, stdio_entry, wait_until
from tests.harness.server import SECRET_KEY, scripted

READ_ONLY_HEADER = "# MCP server 'demo' · the server marks this tool read-only (its hint; your approval decides)\n"


class Answers:
    """The user, answering approval questions: each answer in turn (then "run"); every question kept."""

    def __init__(self) -> None:
        self.asked: list[ApprovalRequest] = []
        self.next: list[Verdict] = []

    def __call__(self, request: ApprovalRequest) -> Verdict:
        self.asked.append(request)
        return self.next.pop(0) if self.next else Verdict("run", request.code)


@pytest.fixture(scope="module")
def answers() -> Answers:
    return Answers()


@pytest.fixture(scope="module")
def agent(answers: Answers) -> Iterator[Agent]:
    """One Agent (one kernel's worth) with the demo server over stdio, for the whole module."""
    from IPython.core.interactiveshell import InteractiveShell

    agent = Agent(
        InteractiveShell.instance(),
        approver=answers,
        api_key=SECRET_KEY,
        mcp_servers={"mcpServers": {"demo": stdio_entry()}},
    )
    yield agent
    agent.close()


def _calls(*calls: tuple[str, dict[str, Any]]) -> str:
    """A script: one MCP call per run (the model's tool turn, then its answer after reading the result)."""
    runs = [
        f"think: I'll call {name}.\ntool: {name} {json.dumps(args)}\n---\ntext: Done with {name}."
        for name, args in calls
    ]
    return "\n---\n".join(runs)


def _server(script: str) -> AbstractContextManager[ChatServer]:
    return scripted(script, api_key=SECRET_KEY)


def _run(agent: Agent, server: ChatServer, **overrides: Any) -> tuple[Transcript, ToolRecord]:
    transcript = agent.run("go", base_url=server.base_url, **overrides)
    (tool,) = [t for step in transcript.steps for t in step.tools]
    return transcript, tool


def _tool_message(server: ChatServer) -> str:
    """What the model read of the call: the tool message of the last request."""
    return str([m for m in server.requests[-1]["messages"] if m["role"] == "tool"][-1]["content"])


def test_a_server_starts_with_its_tools_listed_and_a_bad_schema_left_out(agent: Agent) -> None:
    listing = agent.mcp.listing()
    assert "- demo · running · stdio:" in listing and "asks before each call" in listing
    assert "add (read-only hint)" in listing and "square" in listing
    assert "Left out (Moonshot's tool rules): anything: parameter 'value' needs a 'type' in its schema." in listing
    assert "(env: DEMO_TOKEN)" in listing and TOKEN not in listing  # the value the server got is never shown
    assert f"log: {agent.mcp.log_dir}" in listing


def test_tools_keep_their_own_names_and_a_clash_is_prefixed(agent: Agent) -> None:
    box = agent.toolbox(agent.session.policy, agent.options)
    names = box.names()
    assert names[:3] == ["code_interpreter", "list_variables", "inspect_variable"]
    assert {"add", "shout", "square", "stats", "crash", "hang"} <= set(names) and "anything" not in names
    assert "demo__inspect_variable" in names  # its own name is k2nb's inspection tool
    add = box.get("add")
    assert add is not None and add.origin == "MCP demo"
    assert add.schema()["function"]["parameters"]["required"] == ["a", "b"]


def test_a_call_asks_first_showing_the_server_and_its_read_only_hint(agent: Agent, answers: Answers) -> None:
    with _server(_calls(("add", {"a": 2, "b": 3}))) as server:
        transcript, tool = _run(agent, server)
    asked = answers.asked[-1]
    assert asked.tool == "add" and asked.code == READ_ONLY_HEADER + "add(a=2, b=3)"  # the hint is shown...
    assert tool.approval == "run" and tool.status == "ok"  # ...and it was the user's answer that ran it
    assert tool.code == READ_ONLY_HEADER + "add(a=2, b=3)" and tool.outputs[0]["text"] == "5\n"
    assert _tool_message(server) == "5" and transcript.status == "done"


def test_edit_changes_the_arguments_and_skip_tells_the_model_why(agent: Agent, answers: Answers) -> None:
    answers.next = [
        Verdict("edit", READ_ONLY_HEADER + "add(a=40, b=2)"),
        Verdict("skip", "", "not now"),
    ]
    with _server(_calls(("add", {"a": 2, "b": 3}), ("shout", {"text": "hi"}))) as server:
        _, edited = _run(agent, server)
        assert edited.status == "ok" and edited.outputs[0]["text"] == "42\n"
        assert edited.original_code == READ_ONLY_HEADER + "add(a=2, b=3)"
        _, skipped = _run(agent, server)
    assert skipped.status == "declined" and "Their reason: not now" in _tool_message(server)
    assert answers.asked[-1].code.startswith("# MCP server 'demo' · the server marks this tool destructive\n")


def test_never_declines_and_a_trusted_server_runs_without_asking(agent: Agent, answers: Answers) -> None:
    with _server(_calls(("add", {"a": 1, "b": 1}))) as server:
        _, declined = _run(agent, server, approve="never")
    assert declined.status == "declined" and "--approve never" in _tool_message(server)
    report = agent.mcp.add(
        ServerConfig("mine", command=sys.executable, args=(*stdio_entry()["args"], "--only", "pid"), trust=True)
    )
    assert report.ok, report.text
    try:
        before = len(answers.asked)
        with _server(_calls(("mine__pid", {}))) as server:  # `pid` is the demo server's too
            _, trusted = _run(agent, server)
        assert len(answers.asked) == before and trusted.status == "ok"  # nobody was asked
        assert trusted.code == "# MCP server 'mine' · trusted: runs without asking\nmine__pid()"
        assert int(_tool_message(server)) > 0
    finally:
        agent.mcp.remove("mine")


def test_images_and_structured_content(agent: Agent) -> None:
    with _server(_calls(("square", {"size": 8}), ("stats", {"numbers": [1, 2, 6]}))) as server:
        _, image = _run(agent, server)
        assert image.outputs[0]["data"]["image/png"].startswith("iVBORw0KGgo")  # a PNG, shown in the trace
        assert _tool_message(server) == "[figure 8×8 shown to the user]"
        _, stats = _run(agent, server)
    (shown,) = stats.outputs
    assert shown["data"]["application/json"] == {"count": 3, "mean": 3.0, "max": 6.0}
    assert json.loads(_tool_message(server)) == {"count": 3, "mean": 3.0, "max": 6.0}


def test_an_error_result_is_the_calls_result(agent: Agent) -> None:
    with _server(_calls(("fail", {"reason": "no"}))) as server:
        transcript, failed = _run(agent, server)
    assert failed.status == "error" and "refused: no" in failed.outputs[0]["text"]
    assert _tool_message(server).startswith("Error: fail on MCP server 'demo' returned an error:")
    assert transcript.status == "done"


def test_a_crash_mid_call_is_its_result_and_the_next_call_starts_the_server_again(agent: Agent) -> None:
    with _server(_calls(("pid", {}), ("crash", {"message": "out of memory"}), ("pid", {}))) as server:
        _run(agent, server)
        first_pid = int(_tool_message(server))
        transcript, crashed = _run(agent, server)
        assert crashed.status == "error" and transcript.status == "done"  # the run went on; the model was told
        said = _tool_message(server)
        assert "the MCP server 'demo' exited during the call of crash" in said
        assert "Its last stderr line: 'crashing: out of memory'" in said  # why, in the server's words
        assert "demo · exited: it exited during a call." in agent.mcp.listing()
        _, again = _run(agent, server)  # the strict server accepted the history: it stayed valid
    assert again.status == "ok" and int(_tool_message(server)) != first_pid
    assert "demo · running" in agent.mcp.listing()


def test_a_hang_past_the_timeout_is_timed_out_and_the_server_still_answers(agent: Agent) -> None:
    with _server(_calls(("hang", {"seconds": 30}), ("add", {"a": 1, "b": 2}))) as server:
        started = time.monotonic()
        _, hung = _run(agent, server, mcp_timeout=1.0)
        assert time.monotonic() - started < 15
        assert hung.status == "timeout" and "did not answer within 1 s" in _tool_message(server)
        assert "%config K2Magics.mcp_timeout" in _tool_message(server)
        _, after = _run(agent, server)
    assert after.status == "ok" and _tool_message(server) == "3"


def test_stop_cancels_a_call_in_flight(agent: Agent) -> None:
    with _server(_calls(("hang", {"seconds": 60}))) as server:
        timer = threading.Timer(1.5, agent.stop)  # the live view's Stop, from another thread
        started = time.monotonic()
        timer.start()
        transcript = agent.run("go", base_url=server.base_url)
        timer.join()
    (tool,) = transcript.steps[0].tools
    assert transcript.status == "stopped" and tool.status == "stopped"
    assert time.monotonic() - started < 10
    assert tool.code is not None and tool.code.endswith("hang(seconds=60)")
    with _server(_calls(("add", {"a": 2, "b": 2}))) as server:
        _, after = _run(agent, server)
    assert after.status == "ok"


def test_the_values_a_server_is_given_appear_nowhere(agent: Agent, tmp_path: Any) -> None:
    with _server(_calls(("whoami", {}))) as server:
        transcript, _ = _run(agent, server)
        sent = json.dumps(server.requests)
    seen = {
        "tool result the model read": _tool_message(server),
        "requests": sent,
        "transcript": json.dumps(transcript.to_dict()),
        "listing": agent.mcp.listing(),
        "stderr log": (agent.mcp.log_dir / f"demo-{__import__('os').getpid()}.log").read_text(),
    }
    assert "with token [redacted]" in seen["tool result the model read"]
    assert "whoami: token is [redacted]" in seen["stderr log"]  # the server's own stderr, redacted on the way in
    for where, text in seen.items():
        assert TOKEN not in text, where


def test_a_streamable_http_server_with_a_header_and_a_name_shared_with_another_server(agent: Agent) -> None:
    with http_server(only="add,pid") as url:
        report = agent.mcp.add(ServerConfig("web", url=url, headers={"X-Demo": HEADER_TOKEN}))
        assert report.ok and "2 tool(s): add (read-only hint), pid" in report.text, report.text
        try:
            names = agent.toolbox(agent.session.policy, agent.options).names()
            assert {"demo__add", "web__add", "demo__pid", "web__pid"} <= set(names) and "add" not in names
            with _server(_calls(("web__add", {"a": 20, "b": 22}))) as server:
                _, added = _run(agent, server)
            assert added.status == "ok" and _tool_message(server) == "42"
            assert added.code is not None and added.code.startswith("# MCP server 'web'")
            assert HEADER_TOKEN not in agent.mcp.listing() and "(headers: X-Demo)" in agent.mcp.listing()
        finally:
            agent.mcp.remove("web")
    assert "add" in agent.toolbox(agent.session.policy, agent.options).names()  # no clash left


def test_a_server_that_cannot_start_says_why_in_one_line(tmp_path: Any) -> None:
    servers = MCPServers(tmp_path)
    try:
        missing = servers.add(ServerConfig("gone", command="k2nb-no-such-mcp-server"))
        assert not missing.ok and "the command 'k2nb-no-such-mcp-server' was not found" in missing.text
        script = "import sys; print('config.json: no such file', file=sys.stderr); sys.exit(2)"
        dies = servers.add(ServerConfig("dies", command=sys.executable, args=("-c", script)))
        assert not dies.ok and "\n" not in dies.text
        assert "could not be started: it exited before it listed its tools." in dies.text
        assert "Its last stderr line: 'config.json: no such file'" in dies.text
        assert "- dies · failed: it exited before it listed its tools." in servers.listing()
        http = servers.add(ServerConfig("nobody", url="http://127.0.0.1:9/mcp"))
        assert not http.ok and "cannot connect to http://127.0.0.1:9/mcp (is the server running?)" in http.text
    finally:
        servers.close()


def test_remove_and_close_end_the_server_processes(tmp_path: Any) -> None:
    servers = MCPServers(tmp_path)
    entry = stdio_entry(only="pid")
    config = ServerConfig("one", command=entry["command"], args=tuple(entry["args"]))
    others = {p.pid for p in server_processes()}  # the module's demo server

    def started() -> set[int]:
        return {p.pid for p in server_processes()} - others

    try:
        assert servers.add(config).ok and len(started()) == 1
        servers.remove("one")
        assert wait_until(lambda: not started())
        assert servers.add(config).ok and len(started()) == 1
    finally:
        servers.close()
    assert wait_until(lambda: not started())


def test_without_the_sdk_the_command_says_what_to_install(monkeypatch: Any, capsys: Any) -> None:
    import importlib.util

    from IPython.core.interactiveshell import InteractiveShell

    from k2nb.magics import K2Magics

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mcp" else real(name, *a))
    magics = K2Magics(InteractiveShell.instance())
    try:
        magics._line_command("mcp")
        magics._line_command("mcp add files -- npx server")
    finally:
        magics.agent.close()
    printed = capsys.readouterr().err.splitlines()
    assert printed == [f"k2nb: {INSTALL_HINT}"] * 2
