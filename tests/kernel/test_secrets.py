"""One secret rule and one mask: a secret-named variable's value is hidden wherever kernel data shows.

The bug this pins down: `auth_header` was masked by `list_variables` but went in full to the
notebook and the model when model code printed it. Here the same two values (held in variables named
`auth_header` and `session_cookie`, shaped like nothing in particular) are printed by model code,
echoed by a subprocess, listed, inspected, returned by a user tool and put into the prompt, in a
real kernel against a loopback server; none of it reaches the model, the notebook, the log or an export.
"""

from __future__ import annotations

import json
import secrets as random_secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import nbformat
import pytest

from k2nb.engines.script import ScriptedEngine
from k2nb.engines.server import ChatServer
from k2nb.kernel.secrets import REDACTED, Redactor, is_secret_name, mask_shapes
from tests.harness.kernel import run_notebook
from tests.harness.outputs import cell_text
from tests.harness.server import SECRET_KEY

AUTH = "Token " + random_secrets.token_hex(8)  # no secret shape: only its name makes it a secret
COOKIE = "sid=" + random_secrets.token_hex(8)
SECRETS = (AUTH, COOKIE, AUTH[::-1])  # the reversed one is made and printed by the model's own code


# -- the rule -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "auth_header",
        "session_cookie",
        "API_KEY",
        "db_password",
        "OPENAI_API_KEY",
        "github_token",
        "aws_secret_access_key",
        "GCP_CREDENTIALS",
        "authToken",
        "Authorization",
        "user_session",
        "session_id",
        "AWS_ACCESS_KEY_ID",
        "passwd",
    ],
)
def test_names_that_say_they_hold_a_secret(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    ["monkey", "author", "keyboard", "tokenizer", "sessions_count", "key_column", "JPY_SESSION_NAME", "PWD", "HOME"],
)
def test_names_that_only_contain_a_secret_word_are_not_secret(name: str) -> None:
    assert not is_secret_name(name)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("key sk-live-0123456789abcdef!", f"key {REDACTED}!"),
        ("Authorization: Bearer 9f8e7d6c5b4a3210", f"Authorization: Bearer {REDACTED}"),
        (
            "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U.",
            f"jwt {REDACTED}.",
        ),
        ("gh: ghp_abcdefgh12345678", f"gh: {REDACTED}"),
        ("slack xoxb-1234-5678-abcdefghij", f"slack {REDACTED}"),
        ("aws AKIAIOSFODNN7EXAMPLE", f"aws {REDACTED}"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\nafter", f"{REDACTED}\nafter"),
    ],
)
def test_secret_shaped_values_are_masked_in_any_text(text: str, shown: str) -> None:
    assert mask_shapes(text) == shown


@pytest.mark.parametrize(
    "text", ["sk-learn-compatible", "desk-0123456789", "pandas.core.frame", "the bearer of news", "www.example.com"]
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert mask_shapes(text) == text


def test_the_runs_redactor_reads_the_namespace_when_the_output_is_made() -> None:
    namespace: dict[str, Any] = {}
    redactor = Redactor.for_run(api_key=SECRET_KEY, namespace=namespace)  # made before the variable exists
    namespace["auth_header"] = AUTH
    namespace["_session_cookie"] = COOKIE  # private names are not the user's variables
    namespace["monkey"] = "a banana of a value"
    text = f"{SECRET_KEY} {AUTH} {COOKIE} a banana of a value"
    assert redactor.text(text) == f"{REDACTED} {REDACTED} {COOKIE} a banana of a value"
    del namespace["auth_header"]
    assert redactor.text(AUTH) == AUTH


# -- in a real kernel ---------------------------------------------------------------------------------
def _tool(name: str, arguments: dict[str, Any]) -> str:
    return f"tool: {name} {json.dumps(arguments)}"


MODEL_CODE = "\n".join(
    [
        "import os, subprocess",
        "print('AUTH=' + auth_header)",
        "print('COOKIE=' + session_cookie)",
        "os.system(f'echo SYS={session_cookie}')",
        "subprocess.run(['sh', '-c', 'echo SUB=$V'], env={**os.environ, 'V': auth_header}, check=True)",
        "fresh_token = auth_header[::-1]  # assigned and printed in the same call",
        "print('FRESH=' + fresh_token)",
    ]
)


@dataclass
class Run:
    notebook: Any
    requests: list[dict[str, Any]]
    files: dict[str, str]

    def tool_result(self, name: str, marker: str = "") -> str:
        """What the model read back from a call of ``name`` whose arguments contain ``marker``."""
        messages = self.requests[-1]["messages"]
        calls = {c["id"]: c for m in messages for c in m.get("tool_calls") or [] if c["function"]["name"] == name}
        for message in messages:
            call = calls.get(message.get("tool_call_id"))
            if message["role"] == "tool" and call and marker in call["function"]["arguments"]:
                return str(message["content"])
        raise AssertionError(f"no result of {name} {marker!r}")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    tmp = tmp_path_factory.mktemp("secrets")
    script = "\n---\n".join(
        [
            "\n".join(
                [
                    "think: I look at the request headers.",
                    _tool("code_interpreter", {"code": MODEL_CODE}),
                    _tool("list_variables", {}),
                    _tool("inspect_variable", {"name": "auth_header"}),
                    _tool("inspect_variable", {"name": "headers"}),
                    _tool("whoami", {}),
                ]
            ),
            "text: The headers are set.",
        ]
    )
    server = ChatServer(ScriptedEngine.from_text(script), api_key=SECRET_KEY).start()
    cells = [
        "%load_ext k2nb",
        f"%config K2Magics.log_dir = {str(tmp / 'logs')!r}",
        # From the environment under names that are not secret: only the variables' names make them secrets.
        "import os, k2nb\nauth_header = os.environ['T_A']\nsession_cookie = os.environ['T_C']\n"
        "headers = {'Authorization': auth_header}\n\n"
        "@k2nb.tool\ndef whoami() -> str:\n    'The session cookie in use.'\n    return session_cookie",
        "%%k2 --approve auto\nCheck that {auth_header} works.",
        f"%k2 export {tmp / 'run.md'}\n%k2 export {tmp / 'run.html'}\n%k2 export {tmp / 'run.json'}",
    ]
    env = {
        "K2NB_BASE_URL": server.base_url,
        "K2NB_API_KEY": SECRET_KEY,
        "K2NB_PROVIDER": "",
        "K2NB_MODEL": "",
        "K2NB_APPROVE": "",
        "T_A": AUTH,
        "T_C": COOKIE,
    }
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.delenv("PYTEST_CURRENT_TEST", raising=False)  # else ipykernel leaves subprocess output alone
            nb = run_notebook(cells, env=env)
    finally:
        server.stop()
    saved = tmp / "run.ipynb"
    nbformat.write(nb, saved)
    files = {p.name: p.read_text(encoding="utf-8") for p in [*tmp.glob("run.*"), *(tmp / "logs").glob("*.jsonl")]}
    yield Run(nb, server.requests, files)


def _assert_hidden(text: str) -> None:
    for value in (*SECRETS, SECRET_KEY):
        assert value not in text


@pytest.mark.kernel
def test_printed_output_of_model_code_is_masked(run: Run) -> None:
    result = run.tool_result("code_interpreter")
    assert f"AUTH={REDACTED}" in result and f"COOKIE={REDACTED}" in result
    assert f"FRESH={REDACTED}" in result  # a secret-named variable made by this very code
    _assert_hidden(result)


@pytest.mark.kernel
def test_subprocess_output_is_masked(run: Run) -> None:
    result = run.tool_result("code_interpreter")
    assert f"SYS={REDACTED}" in result and f"SUB={REDACTED}" in result


@pytest.mark.kernel
def test_variable_listing_and_inspection_mask_the_same_values(run: Run) -> None:
    listed = run.tool_result("list_variables")
    assert f"auth_header: str = {REDACTED}" in listed and f"session_cookie: str = {REDACTED}" in listed
    assert f"auth_header: str = {REDACTED}" in run.tool_result("inspect_variable", "auth_header")
    inspected = run.tool_result("inspect_variable", "headers")  # a plain dict holding the secret
    assert "Authorization" in inspected and REDACTED in inspected
    for text in (listed, inspected):
        _assert_hidden(text)


@pytest.mark.kernel
def test_a_user_tools_result_is_masked(run: Run) -> None:
    assert run.tool_result("whoami") == REDACTED


@pytest.mark.kernel
def test_the_prompt_masks_an_interpolated_secret(run: Run) -> None:
    prompt = next(m["content"] for m in run.requests[0]["messages"] if m["role"] == "user")
    assert prompt.startswith(f"Check that {REDACTED} works.")
    assert "looks like a secret" in cell_text(run.notebook.cells[3])  # the user is told


@pytest.mark.kernel
def test_the_model_never_receives_a_secret(run: Run) -> None:
    assert len(run.requests) == 2
    _assert_hidden(json.dumps(run.requests))


@pytest.mark.kernel
def test_the_notebook_the_log_and_the_exports_hold_no_secret(run: Run) -> None:
    assert "The headers are set." in cell_text(run.notebook.cells[3])
    for cell in run.notebook.cells[3:]:
        _assert_hidden(json.dumps(cell.get("outputs", [])))
    assert {"run.md", "run.html", "run.json"} <= set(run.files)
    assert any(name.endswith(".jsonl") for name in run.files)
    for name, text in run.files.items():  # the saved notebook too: its cells read the values from os.environ
        _assert_hidden(text)
        assert REDACTED in text, name
