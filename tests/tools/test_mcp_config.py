"""k2nb/tools/mcp_config.py: the {"mcpServers": …} shape and `%k2 mcp add`'s words, with one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from k2nb.errors import ConfigError
from k2nb.tools.mcp_config import ServerConfig, parse_add, servers_from_file, servers_from_json

CLAUDE_DESKTOP = {
    "mcpServers": {
        "filesystem": {
            "command": "npx",
            "args": ["-y", "@modelcontextprotocol/server-filesystem", "/home/me/data"],
        },
        "github": {
            "command": "docker",
            "args": ["run", "-i", "ghcr.io/github/github-mcp-server"],
            "env": {"GITHUB_TOKEN": "ghp_0123456789abcdef"},
        },
        "context7": {"url": "https://mcp.context7.com/mcp", "headers": {"Authorization": "Bearer ctx7-0123456789"}},
        "old": {"command": "x", "disabled": True},
    }
}


def test_the_claude_desktop_cursor_and_kimi_cli_shape() -> None:
    servers = {s.name: s for s in servers_from_json(CLAUDE_DESKTOP, "test")}
    assert list(servers) == ["filesystem", "github", "context7"]  # "disabled": true is left out
    files = servers["filesystem"]
    assert files.transport == "stdio" and files.command == "npx" and files.args[-1] == "/home/me/data"
    assert servers["context7"].transport == "http" and servers["context7"].url == "https://mcp.context7.com/mcp"
    # A bare mapping of servers (for %config) means the same.
    assert servers_from_json(CLAUDE_DESKTOP["mcpServers"], "test") == list(servers.values())


def test_values_given_to_a_server_are_its_secrets_and_never_described() -> None:
    servers = {s.name: s for s in servers_from_json(CLAUDE_DESKTOP, "test")}
    assert servers["github"].secrets() == ("ghp_0123456789abcdef",)
    # "Bearer TOKEN": the whole value and the token alone (a server may echo either).
    assert set(servers["context7"].secrets()) == {"Bearer ctx7-0123456789", "ctx7-0123456789"}
    assert "ghp_" not in servers["github"].describe() and "GITHUB_TOKEN" in servers["github"].describe()
    assert "ctx7" not in servers["context7"].describe().split("(")[1]
    short = ServerConfig("s", command="x", env={"DEBUG": "1"})
    assert short.secrets() == ()  # "1" is no secret, and masking it would mangle every output


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"mcpServers": {"bad name": {"command": "x"}}}, "MCP server name 'bad name' is not allowed"),
        ({"mcpServers": {"s": {"args": ["x"]}}}, "needs a 'command' (stdio) or a 'url'"),
        ({"mcpServers": {"s": {"url": "ftp://x"}}}, "the URL must start with http:// or https://"),
        ({"mcpServers": {"s": {"url": "https://x/sse", "type": "sse"}}}, "old SSE transport"),
        ({"mcpServers": {"s": {"command": "x", "env": ["A=1"]}}}, "'env' must be an object"),
        ({"mcpServers": {"s": {"command": "x", "trust": "yes"}}}, "'trust' must be true or false"),
        (["not", "servers"], 'expected {"mcpServers"'),
    ],
)
def test_a_bad_entry_is_one_line_naming_it(data: object, message: str) -> None:
    with pytest.raises(ConfigError, match=r"^k2nb: ") as raised:
        servers_from_json(data, "mcp.json")
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_a_config_file(tmp_path: Path) -> None:
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps(CLAUDE_DESKTOP))
    assert [s.name for s in servers_from_file(str(path))] == ["filesystem", "github", "context7"]
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="is not valid JSON"):
        servers_from_file(str(path))
    with pytest.raises(ConfigError, match="cannot read it"):
        servers_from_file(str(tmp_path / "missing.json"))


def test_add_words_for_stdio_and_http() -> None:
    stdio = parse_add(["files", "--trust", "--env", "TOKEN=a=b", "--", "npx", "-y", "server", "--flag"])
    assert stdio == ServerConfig(
        "files", command="npx", args=("-y", "server", "--flag"), env={"TOKEN": "a=b"}, trust=True
    )
    http = parse_add(
        ["web", "--url", "http://127.0.0.1:9/mcp", "--header", "Authorization: Bearer x", "--header", "X=1"]
    )
    assert http.url == "http://127.0.0.1:9/mcp" and dict(http.headers) == {"Authorization": "Bearer x", "X": "1"}


@pytest.mark.parametrize(
    ("words", "message"),
    [
        ([], "name the server first"),
        (["files"], "give the command that starts the server after `--`"),
        (["files", "--url", "http://x/mcp", "--header", "NOVALUE"], "write --header NAME=VALUE"),
        (["files", "--url", "http://x/mcp", "--", "cmd"], "a URL or a command, not both"),
        (["files", "--header", "A=1", "--", "cmd"], "--header is for servers reached by --url"),
        (["files", "--verbose", "--", "cmd"], "unexpected '--verbose'"),
    ],
)
def test_bad_add_words_say_the_usage(words: list[str], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_add(words)
    assert message in str(raised.value) and "Usage: `%k2 mcp add NAME" in str(raised.value)


def test_values_can_come_from_the_kernels_environment_so_no_secret_is_typed_out() -> None:
    environ = {"GITHUB_TOKEN": "ghp_fromtheenvironment1", "HOST": "example.org"}
    passed = parse_add(["gh", "--env", "GITHUB_TOKEN", "--", "server"], environ)
    assert dict(passed.env) == {"GITHUB_TOKEN": "ghp_fromtheenvironment1"}
    header = parse_add(["web", "--url", "https://x/mcp", "--header", "Authorization=Bearer ${GITHUB_TOKEN}"], environ)
    assert dict(header.headers) == {"Authorization": "Bearer ghp_fromtheenvironment1"}
    entry = {"command": "s", "env": {"TOKEN": "${env:GITHUB_TOKEN}", "URL": "https://${HOST}/api"}}
    assert dict(servers_from_json({"s": entry}, "test", environ)[0].env) == {
        "TOKEN": "ghp_fromtheenvironment1",
        "URL": "https://example.org/api",
    }
    with pytest.raises(ConfigError, match=r"`--env MISSING`: MISSING is not set in the kernel's environment"):
        parse_add(["gh", "--env", "MISSING", "--", "server"], environ)
    with pytest.raises(ConfigError, match=r"\$\{NOPE\} is not set in the kernel's environment"):
        servers_from_json({"s": {"command": "s", "env": {"A": "${NOPE}"}}}, "test", environ)
