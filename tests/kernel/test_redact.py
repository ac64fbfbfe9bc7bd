"""k2nb/kernel/secrets.py: secrets are replaced by [redacted] in text and in nbformat outputs before anyone
sees them."""

from __future__ import annotations

from k2nb.kernel.secrets import REDACTED, Redactor, is_secret_name, mask_value, secret_values

KEY = "sk-live-0123456789abcdef"


def test_secret_looking_names() -> None:
    for name in ("OPENAI_API_KEY", "github_token", "DB_PASSWORD", "aws_secret_access_key", "passwd", "GCP_CREDENTIALS"):
        assert is_secret_name(name), name
    for name in ("HOME", "PATH", "LANG", "frame", "n_rows"):
        assert not is_secret_name(name), name
    assert mask_value("MY_TOKEN", "abc") == REDACTED and mask_value("rows", "abc") == "abc"


def test_values_come_from_the_key_the_environment_and_the_namespace() -> None:
    env = {"SERVICE_TOKEN": "tok-ABCDEFGH1234", "HOME": "/home/someone", "SHORT_KEY": "1", "EMPTY_SECRET": "  "}
    namespace = {"db_password": "hunter2-hunter2", "password_len": 12, "_private_token": "not-listed-123"}
    values = secret_values(api_key=KEY, env=env, namespace=namespace)
    assert values == sorted([KEY, "tok-ABCDEFGH1234", "hunter2-hunter2"], key=len, reverse=True)


def test_text_and_outputs_are_redacted_everywhere_but_image_bytes() -> None:
    redact = Redactor([KEY, "tok-ABCDEFGH1234"])
    assert redact.text(f"key={KEY}; again {KEY}; token tok-ABCDEFGH1234.") == (
        f"key={REDACTED}; again {REDACTED}; token {REDACTED}."
    )
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": f"K2NB_API_KEY={KEY}\n"},
        {"output_type": "error", "ename": "KeyError", "evalue": KEY, "traceback": [f"line {KEY}"]},
        {
            "output_type": "execute_result",
            "data": {"text/plain": [f"'{KEY}'"], "text/html": f"<b>{KEY}</b>", "image/png": "iVBORw0K"},
            "metadata": {},
        },
    ]
    cleaned = [redact.output(o) for o in outputs]
    assert KEY not in repr(cleaned) and cleaned[2]["data"]["image/png"] == "iVBORw0K"
    assert cleaned[0]["text"] == f"K2NB_API_KEY={REDACTED}\n"


def test_a_key_that_contains_another_secret_is_hidden_whole() -> None:
    redact = Redactor(["abcdefgh", "xx-abcdefgh-yy"])
    assert redact.text("xx-abcdefgh-yy") == REDACTED


def test_nothing_to_hide_is_a_no_op() -> None:
    redact = Redactor([])
    output = {"output_type": "stream", "name": "stdout", "text": "hello"}
    assert not redact and redact.output(output) is output and redact.text("a") == "a"
