"""Pure units around the loop: output cleaning, approval, tool registry, config, prices, HTTP
error mapping, XSS-safe rendering, and the batched live-view ops."""

from __future__ import annotations

import base64
import itertools
import json
import struct
import zlib
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import httpx2
import pytest
from IPython.core.error import StdinNotImplementedError

from k2nb.config import (
    DEFAULT_MODEL,
    PRESETS,
    ProviderSettings,
    cost_usd,
    resolve_provider,
)
from k2nb.core.events import (
    ContentDelta,
    Event,
    ModelTurnDone,
    Notice,
    ReasoningDelta,
    Retrying,
    RunFinished,
    RunStarted,
    StepStarted,
    ToolFinished,
    ToolStarted,
)
from k2nb.core.output_text import (
    cap_for_display,
    clean,
    collapse_carriage_returns,
    outputs_to_model_text,
    png_size,
    strip_ansi,
    summarize_rich,
    truncate_middle,
)
from k2nb.core.request import build_request
from k2nb.core.toolbox import (
    MAX_TOOLS,
    ToolBox,
    ToolContext,
    ToolOutcome,
    ToolSpec,
    check_spec,
    validate_arguments,
)
from k2nb.core.transcript import Transcript
from k2nb.core.turn import AssistantTurn, ToolCall, Usage
from k2nb.edge.provider import status_error
from k2nb.errors import ConfigError, ProviderError, TransientError
from k2nb.tools.approval import (
    HEADLESS_HINT,
    ApprovalPolicy,
    ApprovalRequest,
    StdinApprover,
    Verdict,
)
from k2nb.ui.live import Cadence, LiveOps, Op
from k2nb.ui.live_codec import OpsDecoder, OpsEncoder
from k2nb.ui.sanitize import markdown_to_html, sanitize_html
from k2nb.ui.static import output_html, render_html, render_plain


# == output_text ================================================================================
def test_strip_ansi_colors_cursor_and_titles() -> None:
    text = "\x1b[31mred\x1b[0m \x1b[1;32mbold green\x1b[39m\x1b[?25l\x1b]0;title\x07done\x1b[2K"
    assert strip_ansi(text) == "red bold greendone"


def test_carriage_returns_keep_what_the_terminal_shows() -> None:
    bar = "\r 10%|#         |\r 50%|#####     |\r100%|##########|\nnext line\n"
    assert collapse_carriage_returns(bar) == "100%|##########|\nnext line\n"
    assert collapse_carriage_returns("a\r\nb\r\n") == "a\nb\n"  # CRLF is a newline
    assert collapse_carriage_returns("no returns") == "no returns"


def test_a_trailing_carriage_return_does_not_erase_the_line() -> None:
    assert collapse_carriage_returns("step 1/3\rstep 3/3\r") == "step 3/3"


def test_clean_strips_ansi_before_collapsing_progress() -> None:
    assert clean("\x1b[32m 10%\x1b[0m\r\x1b[32m100%\x1b[0m\n") == "100%\n"


def test_truncate_middle_keeps_head_and_tail_and_says_what_was_cut() -> None:
    text = "".join(f"line {i:04d}\n" for i in range(1000))  # 10,000 characters
    out = truncate_middle(text, 300)
    head, tail = text[:200], text[-100:]
    assert out.startswith(head)
    assert out.endswith(tail)
    omitted = len(text) - 300
    cut_lines = text.count("\n", 200, len(text) - 100)
    assert f"[{omitted:,} characters ({cut_lines:,} lines) cut from the middle]" in out
    assert len(out) < 400
    assert truncate_middle("short", 300) == "short"
    assert truncate_middle("x" * 300, 300) == "x" * 300


def _png(width: int, height: int) -> str:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr
    chunk += struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return base64.b64encode(b"\x89PNG\r\n\x1a\n" + chunk + b"rest-of-file" * 20).decode()


def test_png_size_and_figure_summary() -> None:
    png = _png(640, 480)
    assert png_size(png) == (640, 480)
    assert png_size(base64.b64encode(b"GIF89a" + b"\0" * 40).decode()) is None
    assert png_size("not base64 at all!!") is None
    assert summarize_rich({"image/png": png, "text/plain": "<Figure>"}) == ("[figure 640×480 shown to the user]")
    assert summarize_rich({"image/svg+xml": "<svg/>"}) == "[SVG figure shown to the user]"


def test_rich_outputs_are_summarized_not_sent_as_html() -> None:
    table = {"text/html": "<table><tr><td>1</td></tr></table>", "text/plain": "   a\n0  1"}
    assert summarize_rich(table) == "[HTML table shown to the user]\n   a\n0  1"
    assert summarize_rich({"text/markdown": "**hi**", "text/plain": "hi"}) == "**hi**"
    assert summarize_rich({"text/latex": "$x$"}) == "$x$"
    assert summarize_rich({"text/plain": ["a", "b"]}) == "ab"


def test_outputs_to_model_text_pipeline() -> None:
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": "loading\r 50%\r100%\n"},
        {"output_type": "stream", "name": "stderr", "text": "\x1b[33mwarning: x\x1b[0m\n"},
        {"output_type": "display_data", "data": {"image/png": _png(10, 20)}},
        {"output_type": "execute_result", "data": {"text/plain": "42"}},
        {
            "output_type": "error",
            "ename": "ValueError",
            "evalue": "bad",
            "traceback": ["\x1b[31mTraceback\x1b[0m", "ValueError: bad"],
        },
    ]
    assert outputs_to_model_text(outputs) == (
        "100%\n[stderr]\nwarning: x\n[figure 10×20 shown to the user]\nOut: 42\nTraceback\nValueError: bad"
    )


def test_outputs_to_model_text_empty_error_and_limit() -> None:
    assert outputs_to_model_text([]) == "(no output)"
    assert outputs_to_model_text([{"output_type": "stream", "text": "  \n"}]) == "(no output)"
    error = {"output_type": "error", "ename": "KeyError", "evalue": "'k'", "traceback": []}
    assert outputs_to_model_text([error]) == "KeyError: 'k'"
    big = [{"output_type": "stream", "name": "stdout", "text": "y" * 50_000}]
    text = outputs_to_model_text(big, limit=1000)
    assert text.startswith("y" * 666)
    assert "cut from the middle" in text
    assert len(text) < 1100


def test_cap_for_display_bounds_huge_streams_only() -> None:
    huge = {"output_type": "stream", "name": "stdout", "text": "z" * 1000}
    capped = cap_for_display(huge, limit=100)
    assert capped["name"] == "stdout"
    assert len(capped["text"]) < 200
    assert huge["text"] == "z" * 1000  # not mutated
    small = {"output_type": "stream", "name": "stdout", "text": "ok"}
    assert cap_for_display(small, limit=100) == small
    err = {"output_type": "error", "traceback": ["e" * 1000, "short"]}
    assert [len(x) < 200 for x in cap_for_display(err, limit=100)["traceback"]] == [True, True]
    data = {"output_type": "display_data", "data": {"text/plain": "p" * 1000}}
    assert cap_for_display(data, limit=100) == data


# == approval ==================================================================================
REQUEST = ApprovalRequest(call_id="c1", tool="code_interpreter", code="import os", step=2)


class Script:
    """A scripted ``read``: returns answers in order, or raises an exception given as answer."""

    def __init__(self, *answers: str | BaseException) -> None:
        self.answers = list(answers)
        self.prompts: list[str] = []

    def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


def never_asked(request: ApprovalRequest) -> Verdict:
    raise AssertionError("the user must not be asked")


def test_policy_auto_and_never_do_not_ask() -> None:
    assert ApprovalPolicy("auto").decide(REQUEST, never_asked) == Verdict("auto", "import os")
    verdict = ApprovalPolicy("never").decide(REQUEST, never_asked)
    assert verdict.decision == "declined"
    assert not verdict.runs
    assert "--approve ask" in verdict.reason


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (("r",), Verdict("run", "import os")),
        ((" YES ",), Verdict("run", "import os")),
        (("s", "too risky"), Verdict("skip", "import os", "too risky")),
        (("n", ""), Verdict("skip", "import os", "")),
        (("e", "import sys", "print(1)", "."), Verdict("edit", "import sys\nprint(1)")),
        (("e", "."), Verdict("edit", "import os")),  # empty edit keeps the code
        (("what?", "", "run"), Verdict("run", "import os")),
    ],
)
def test_stdin_approver_answers(answers: tuple[str, ...], expected: Verdict) -> None:
    shown: list[str] = []
    read = Script(*answers)
    verdict = ApprovalPolicy("ask").decide(REQUEST, StdinApprover(read=read, show=shown.append))
    assert verdict == expected
    assert "run this code_interpreter code (step 2)?" in read.prompts[0]
    assert not read.answers
    if answers[0] == "what?":
        assert shown == ["Please answer r, e, s or a."] * 2


def test_always_switches_the_session_to_auto() -> None:
    policy = ApprovalPolicy("ask")
    verdict = policy.decide(REQUEST, StdinApprover(read=Script("a"), show=lambda _: None))
    assert verdict == Verdict("always", "import os")
    assert verdict.runs
    assert policy.mode == "auto"
    assert policy.decide(REQUEST, never_asked).decision == "auto"


@pytest.mark.parametrize(
    "failure",
    [EOFError(), StdinNotImplementedError("this frontend does not support input requests")],
    ids=["EOF", "StdinNotImplementedError"],
)
@pytest.mark.parametrize("at", [0, 1], ids=["at-prompt", "during-edit"])
def test_nobody_to_ask_declines_with_the_auto_hint(failure: BaseException, at: int) -> None:
    answers: list[str | BaseException] = ["e", failure] if at else [failure]
    policy = ApprovalPolicy("ask")
    verdict = policy.decide(REQUEST, StdinApprover(read=Script(*answers), show=lambda _: None))
    assert verdict.decision == "declined"
    assert verdict.reason == HEADLESS_HINT
    assert "--approve auto" in verdict.reason
    assert policy.mode == "ask"


def test_other_read_errors_propagate() -> None:
    approver = StdinApprover(read=Script(OSError("terminal gone")), show=lambda _: None)
    with pytest.raises(OSError, match="terminal gone"):
        ApprovalPolicy("ask").decide(REQUEST, approver)


# == tool registry =============================================================================
def _noop(args: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    return ToolOutcome("ok", "done")


def spec(name: str = "my_tool", parameters: dict[str, Any] | None = None) -> ToolSpec:
    params = {"type": "object", "properties": {}} if parameters is None else parameters
    return ToolSpec(name, "A tool.", params, _noop)


@pytest.mark.parametrize("name", ["abc", "_ab", "run_code", "a-b-c", "X9_", "a" * 64])
def test_allowed_tool_names(name: str) -> None:
    check_spec(spec(name))


@pytest.mark.parametrize("name", ["ab", "1abc", "$web_search", "has space", "a" * 65, "naïve", "dot.name", "-abc", ""])
def test_rejected_tool_names_say_the_rule(name: str) -> None:
    with pytest.raises(ValueError, match="3–64 letters") as info:
        check_spec(spec(name))
    assert "'$'" in str(info.value)


def test_a_name_with_a_trailing_newline_is_rejected() -> None:
    with pytest.raises(ValueError):
        check_spec(spec("abc\n"))


def test_parameters_root_must_be_an_object() -> None:
    with pytest.raises(ValueError, match="root must be type 'object'"):
        check_spec(spec(parameters={"type": "array", "items": {"type": "string"}}))
    with pytest.raises(ValueError, match="root must be type 'object'"):
        check_spec(spec(parameters={"properties": {"a": {"type": "string"}}}))


def test_every_property_needs_a_type() -> None:
    props = {"ok": {"type": "string"}, "bad": {"description": "x"}}
    params = {"type": "object", "properties": props}
    with pytest.raises(ValueError, match="parameter 'bad' needs a 'type'"):
        check_spec(spec(parameters=params))
    with pytest.raises(ValueError, match="parameter 'bad'"):
        check_spec(spec(parameters={"type": "object", "properties": {"bad": "string"}}))


def test_at_most_128_tools() -> None:
    box = ToolBox([spec(f"tool_{i}") for i in range(MAX_TOOLS)])
    box.add(spec("tool_0"))  # replacing one is fine
    with pytest.raises(ValueError, match="at most 128 tools"):
        box.add(spec("one_too_many"))


def test_schemas_are_declared_in_openai_shape() -> None:
    params = {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}
    box = ToolBox([spec("search", params)])
    assert box.schemas() == [
        {"type": "function", "function": {"name": "search", "description": "A tool.", "parameters": params}}
    ]
    assert box.names() == ["search"]


PARAMS = {
    "type": "object",
    "properties": {
        "n": {"type": "integer"},
        "x": {"type": "number"},
        "flag": {"type": "boolean"},
        "maybe": {"type": ["string", "null"]},
        "items": {"type": "array"},
    },
    "required": ["n"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"n": 1}, None),
        ({"n": 1, "x": 2, "flag": False, "maybe": None, "items": []}, None),
        ({"n": 1, "x": 2.5, "maybe": "s"}, None),
        ({}, "missing required argument(s): n"),
        ({"n": "1"}, "argument 'n' must be of type integer, got str"),
        ({"n": True}, "argument 'n' must be of type integer, got bool"),
        ({"n": 1, "x": True}, "argument 'x' must be of type number, got bool"),
        ({"n": 1, "flag": 1}, "argument 'flag' must be of type boolean, got int"),
        ({"n": 1, "maybe": 3}, "argument 'maybe' must be of type ['string', 'null'], got int"),
        ({"n": 1, "other": 0}, "unexpected argument(s): other (allowed: n, x, flag, maybe, items)"),
        ([1, 2], "arguments must be a JSON object, got list"),
    ],
)
def test_validate_arguments(arguments: Any, problem: str | None) -> None:
    assert validate_arguments(arguments, PARAMS) == problem


def test_parse_gives_the_model_a_readable_problem() -> None:
    box = ToolBox([spec("calc", PARAMS), spec("other")])
    assert box.parse(ToolCall("c", "calc", '{"n": 3}')) == (box.get("calc"), {"n": 3}, None)
    assert box.parse(ToolCall("c", "other", "")) == (box.get("other"), {}, None)

    _, args, problem = box.parse(ToolCall("c", "nope", "{}"))
    assert args is None
    assert problem == "Error: there is no tool named 'nope'. Available tools: calc, other."

    _, args, problem = box.parse(ToolCall("c", "calc", '{"n": 3'))
    assert args is None
    assert problem is not None
    assert problem.startswith("Error: the arguments of calc are not valid JSON (")
    assert "Send a JSON object matching the tool's schema." in problem

    _, _, problem = box.parse(ToolCall("c", "calc", '{"n": "3"}'))
    assert problem == ("Error: invalid arguments for calc: argument 'n' must be of type integer, got str.")


def test_run_turns_exceptions_into_results_but_lets_interrupts_through() -> None:
    def fails(args: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
        raise ZeroDivisionError("division by zero")

    def interrupted(args: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
        raise KeyboardInterrupt

    box = ToolBox()
    outcome = box.run(ToolSpec("fails", "d", {"type": "object"}, fails), {}, ToolContext(1, "c"))
    assert outcome == ToolOutcome("error", "Error: tool fails failed: ZeroDivisionError: division by zero")
    with pytest.raises(KeyboardInterrupt):
        box.run(ToolSpec("stops", "d", {"type": "object"}, interrupted), {}, ToolContext(1, "c"))


# == config ====================================================================================
def test_no_key_falls_back_to_the_toy_engine_with_a_notice() -> None:
    settings = resolve_provider(env={})
    assert settings.is_toy
    assert settings.base_url is None
    assert settings.model == DEFAULT_MODEL
    assert "K2NB_API_KEY" in settings.notice
    assert "MOONSHOT_API_KEY" in settings.notice
    assert "toy" in settings.notice


def test_a_moonshot_key_selects_moonshot() -> None:
    settings = resolve_provider(env={"MOONSHOT_API_KEY": "sk-moon"})
    assert (settings.provider, settings.base_url, settings.model, settings.api_key) == (
        "moonshot",
        "https://api.moonshot.ai/v1",
        "kimi-k2-thinking",
        "sk-moon",
    )
    assert settings.notice == ""
    assert "sk-moon" not in repr(settings)  # the key never reaches outputs or logs


def test_arguments_beat_environment_beat_preset() -> None:
    env = {
        "K2NB_PROVIDER": "moonshot-cn",
        "K2NB_MODEL": "kimi-k2-thinking-turbo",
        "K2NB_API_KEY": "sk-k2nb",
        "MOONSHOT_API_KEY": "sk-moon",
    }
    from_env = resolve_provider(env=env)
    assert (from_env.provider, from_env.base_url, from_env.model, from_env.api_key) == (
        "moonshot-cn",
        "https://api.moonshot.cn/v1",
        "kimi-k2-thinking-turbo",
        "sk-k2nb",
    )
    from_args = resolve_provider(
        provider="vllm",
        model="served-k2",
        base_url="http://gpu-node:8000/v1/",
        api_key="sk-arg",
        env=env,
    )
    assert (from_args.provider, from_args.base_url, from_args.model, from_args.api_key) == (
        "vllm",
        "http://gpu-node:8000/v1",
        "served-k2",
        "sk-arg",
    )


@pytest.mark.parametrize("name", sorted(set(PRESETS) - {"toy"}))
def test_each_preset_resolves(name: str) -> None:
    preset = PRESETS[name]
    env = {preset.key_env[0]: "sk-x"} if preset.key_env else {}
    settings = resolve_provider(provider=name, env=env)
    assert settings.provider == name
    assert settings.base_url == preset.base_url
    assert settings.model == preset.model
    assert settings.api_key == ("sk-x" if preset.key_env else None)


def test_openrouter_preset() -> None:
    settings = resolve_provider(provider="openrouter", env={"OPENROUTER_API_KEY": "sk-or"})
    assert (settings.base_url, settings.model, settings.api_key) == (
        "https://openrouter.ai/api/v1",
        "moonshotai/kimi-k2-thinking",
        "sk-or",
    )


def test_custom_base_url_needs_no_key() -> None:
    settings = resolve_provider(env={"K2NB_BASE_URL": "http://localhost:30000/v1"})
    assert (settings.provider, settings.base_url, settings.api_key) == (
        "custom",
        "http://localhost:30000/v1",
        None,
    )


def test_toy_provider_is_explicit_and_silent() -> None:
    settings = resolve_provider(provider="toy", env={"MOONSHOT_API_KEY": "sk"})
    assert settings.is_toy
    assert settings.notice == ""


@pytest.mark.parametrize(
    ("provider", "variable"),
    [("moonshot", "MOONSHOT_API_KEY"), ("openrouter", "OPENROUTER_API_KEY"), ("novita", "NOVITA_API_KEY")],
)
def test_missing_key_names_the_variable_to_set(provider: str, variable: str) -> None:
    with pytest.raises(ConfigError) as info:
        resolve_provider(provider=provider, env={})
    message = str(info.value)
    assert message.startswith("k2nb: no API key for " + provider)
    assert "K2NB_API_KEY" in message
    assert variable in message
    assert "--provider toy" in message


def test_a_moonshot_key_is_never_sent_to_another_host() -> None:
    with pytest.raises(ConfigError, match="OPENROUTER_API_KEY"):
        resolve_provider(provider="openrouter", env={"MOONSHOT_API_KEY": "sk-moon"})


def test_unknown_provider_lists_the_choices() -> None:
    with pytest.raises(ConfigError) as info:
        resolve_provider(provider="moonshoot", env={})
    message = str(info.value)
    assert "unknown provider 'moonshoot'" in message
    for name in ("moonshot", "moonshot-cn", "openrouter", "vllm", "sglang", "toy"):
        assert name in message
    assert "--base-url" in message


def test_cost_usd_uses_cache_hit_and_miss_prices() -> None:
    # 1M prompt tokens of which 200k cached, 100k out, at kimi-k2-thinking list prices
    assert cost_usd("kimi-k2-thinking", 1_000_000, 200_000, 100_000) == pytest.approx(
        0.2 * 0.15 + 0.8 * 0.60 + 0.1 * 2.50
    )
    assert cost_usd("kimi-k2-thinking-turbo", 1_000_000, 0, 1_000_000) == pytest.approx(9.15)
    assert cost_usd("moonshotai/kimi-k2-thinking", 0, 0, 1_000_000) == pytest.approx(2.50)
    assert cost_usd("some-other-model", 10, 0, 10) is None
    custom = {"my-k2": (1.0, 2.0, 3.0)}
    assert cost_usd("my-k2", 2_000_000, 1_000_000, 1_000_000, prices=custom) == pytest.approx(6.0)
    assert cost_usd("kimi-k2-thinking", 10, 10, 0, prices=custom) is None


# == provider errors ===========================================================================
MOONSHOT = ProviderSettings("moonshot", "https://api.moonshot.ai/v1", "kimi-k2-thinking", "sk")


def _error(kind: str, message: str = "", code: str | None = None) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message, "code": code}}


def test_401_mentions_the_key_and_both_platforms() -> None:
    err = status_error(
        401, _error("invalid_authentication_error", "Invalid Authentication"), httpx2.Headers(), MOONSHOT
    )
    assert isinstance(err, ProviderError)
    text = str(err)
    assert "K2NB_API_KEY" in text
    assert "platform.moonshot.ai" in text
    assert "platform.moonshot.cn" in text
    assert "--provider moonshot-cn" in text
    assert "Invalid Authentication" in text


def test_404_lists_the_models_the_server_offers() -> None:
    asked: list[bool] = []

    def list_models() -> list[str]:
        asked.append(True)
        return ["kimi-k2.6", "kimi-k3"]

    retired = ProviderSettings("moonshot", "https://api.moonshot.ai/v1", "kimi-k2-thinking-turbo")
    err = status_error(
        404, _error("resource_not_found_error", "Not found"), httpx2.Headers(), retired, list_models=list_models
    )
    assert isinstance(err, ProviderError)
    assert asked == [True]
    assert "'kimi-k2-thinking-turbo' was not found" in str(err)
    assert "The server offers: kimi-k2.6, kimi-k3." in str(err)
    assert "--model" in str(err)
    bare = status_error(404, "", None, retired, list_models=list)
    assert "offers" not in str(bare)


def test_429_quota_is_final_and_says_top_up() -> None:
    err = status_error(
        429,
        _error("exceeded_current_quota_error", "Your account is suspended"),
        httpx2.Headers({"Retry-After": "5"}),
        MOONSHOT,
    )
    assert isinstance(err, ProviderError)
    assert not isinstance(err, TransientError)
    assert "no balance" in str(err)
    assert "Top up" in str(err)


@pytest.mark.parametrize("kind", ["engine_overloaded_error", "rate_limit_reached_error"])
def test_429_overloaded_is_transient_with_retry_after(kind: str) -> None:
    err = status_error(429, _error(kind, "busy"), httpx2.Headers({"Retry-After": "12"}), MOONSHOT)
    assert isinstance(err, TransientError)
    assert err.retry_after == 12.0
    assert kind in str(err)
    without = status_error(429, _error(kind), httpx2.Headers(), MOONSHOT)
    assert isinstance(without, TransientError)
    assert without.retry_after is None
    http_date = status_error(429, _error(kind), {"retry-after": "Wed, 21 Oct 2026 07:28:00 GMT"}, MOONSHOT)
    assert isinstance(http_date, TransientError)
    assert http_date.retry_after is None


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_transient(status: int) -> None:
    err = status_error(status, "upstream connect error", httpx2.Headers({"retry-after": "1.5"}), MOONSHOT)
    assert isinstance(err, TransientError)
    assert err.retry_after == 1.5
    assert f"server error {status}" in str(err)
    assert "upstream connect error" in str(err)


def test_400_content_filter() -> None:
    err = status_error(
        400,
        json.dumps(_error("content_filter", "The request was rejected because it was considered high risk")),
        httpx2.Headers(),
        MOONSHOT,
    )
    assert isinstance(err, ProviderError)
    assert "content filter" in str(err)
    assert "Rephrase" in str(err)


def test_other_400_and_403_are_final_with_the_server_message() -> None:
    reasoning_missing = "thinking is enabled but reasoning_content is missing in assistant tool call message at index 2"
    err = status_error(400, _error("invalid_request_error", reasoning_missing), httpx2.Headers(), MOONSHOT)
    assert isinstance(err, ProviderError)
    assert not isinstance(err, TransientError)
    assert reasoning_missing in str(err)
    forbidden = status_error(403, _error("permission_denied_error"), httpx2.Headers(), MOONSHOT)
    assert isinstance(forbidden, ProviderError)
    assert "403" in str(forbidden)


def test_build_request_body() -> None:
    tools = [{"type": "function", "function": {"name": "echo", "parameters": {"type": "object"}}}]
    messages = [{"role": "user", "content": "hi"}]
    body = build_request("kimi-k2-thinking", messages, tools, extra={"prompt_cache_key": "session-1"})
    assert body == {
        "model": "kimi-k2-thinking",
        "messages": messages,
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": 32768,
        "temperature": 1.0,
        "tools": tools,
        "tool_choice": "auto",
        "prompt_cache_key": "session-1",
    }
    assert body["messages"] is not messages
    no_tools = build_request("m", messages, [], max_tokens=100, temperature=0.6)
    assert "tools" not in no_tools
    assert "tool_choice" not in no_tools
    assert (no_tools["max_tokens"], no_tools["temperature"]) == (100, 0.6)


# == static rendering and sanitizing ===========================================================
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
JS_LINK = "[click me](javascript:alert(1))"
EVIL = f"{SCRIPT} {IMG} {JS_LINK} <a href='javascript:alert(2)'>a</a> <svg onload=alert(3)>"


class Elements(HTMLParser):
    """Every element and attribute in an HTML string, as a browser's parser would see them."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))


def assert_inert(markup: str) -> None:
    for tag, attrs in Elements(markup).elements:
        assert tag not in ("script", "iframe", "object", "embed", "svg", "math", "form"), tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            url = value.strip().lower()
            if name in ("href", "src", "action", "formaction", "xlink:href"):
                assert not url.startswith(("javascript:", "vbscript:", "data:text")), (tag, value)


def test_markdown_shows_raw_html_and_js_links_as_text() -> None:
    out = markdown_to_html(EVIL)
    assert_inert(out)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out  # the user sees what the model wrote
    assert "&lt;img src=x onerror=alert(1)&gt;" in out


def test_markdown_still_renders_safe_markup() -> None:
    out = markdown_to_html("**bold** `code` [docs](https://example.com/x)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "<strong>bold</strong>" in out
    assert "<code>code</code>" in out
    assert '<a href="https://example.com/x" rel="noopener noreferrer nofollow">docs</a>' in out
    assert "<table>" in out
    assert "<td>2</td>" in out


def test_sanitize_html_removes_active_content() -> None:
    fragment = (
        f"{SCRIPT}{IMG}<a href='javascript:alert(2)'>a</a><a href='JaVaScRiPt:alert(4)'>b</a>"
        "<svg onload=alert(3)></svg><iframe src='https://evil'></iframe>"
        "<img src='data:text/html;base64,PHNjcmlwdD4='><a href='data:text/html,x'>d</a>"
        "<p onclick='x()' style='position:fixed'>kept text</p>"
        "<img src='data:image/png;base64,AAAA' alt='plot'>"
    )
    out = sanitize_html(fragment)
    assert_inert(out)
    assert "alert" not in out
    assert "<p>kept text</p>" in out
    assert '<img src="data:image/png;base64,AAAA" alt="plot">' in out


def test_figure_data_cannot_break_out_of_the_src_attribute() -> None:
    out = output_html({"output_type": "display_data", "data": {"image/png": 'AAAA"><script>alert(1)</script>'}})
    assert_inert(out)
    [(tag, attrs)] = Elements(out).elements[1:]
    assert tag == "img"
    assert attrs["src"] == 'data:image/png;base64,AAAA"><script>alert(1)</script>'


def _evil_run() -> list[Event]:
    answer = f"Final {EVIL}"
    tool_turn = AssistantTurn(
        reasoning=EVIL, content=f"Let me run {EVIL}", tool_calls=(ToolCall("c:0", "code_interpreter", "{}"),)
    )
    return [
        RunStarted("r1", "kimi-k2-thinking", "moonshot", 5, f"prompt {EVIL}", 0.0),
        StepStarted(1),
        ReasoningDelta(1, EVIL),
        ContentDelta(1, f"Let me run {EVIL}"),
        ModelTurnDone(1, tool_turn, 1.0, 0.5),
        ToolStarted(1, "c:0", "code_interpreter", {"code": SCRIPT}, code=SCRIPT),
        ToolFinished(
            1,
            "c:0",
            "code_interpreter",
            "ok",
            "ignored",
            outputs=(
                {"output_type": "stream", "name": "stdout", "text": SCRIPT},
                {"output_type": "display_data", "data": {"text/html": EVIL.replace(JS_LINK, ""), "text/plain": "x"}},
                {"output_type": "display_data", "data": {"text/markdown": EVIL}},
                {"output_type": "error", "ename": "E", "evalue": "v", "traceback": [IMG]},
            ),
        ),
        ToolStarted(1, "c:1", f"bad{IMG}", {"x": SCRIPT}),
        ToolFinished(1, "c:1", f"bad{IMG}", "invalid", f"Error: {SCRIPT}"),
        StepStarted(2),
        ContentDelta(2, answer),
        ModelTurnDone(2, AssistantTurn(content=answer), 1.0, 0.0),
        Notice("error", f"k2nb: {SCRIPT}"),
        RunFinished("done", answer, Usage(10, 5), 2.0, 2),
    ]


def test_static_html_of_a_whole_run_is_inert() -> None:
    transcript = Transcript()
    for event in _evil_run():
        transcript.apply(event)
    out = render_html(transcript)
    assert_inert(out)
    # everything the model and the tools said is still there, as text
    assert out.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 6
    assert "Final" in out
    plain = render_plain(transcript)
    assert "Final " + EVIL in plain
    assert "done" in plain.splitlines()[-1]


# == LiveOps ==================================================================================
class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Recorder:
    """The live view: sends go to a list; the transcript applies every event first."""

    def __init__(self, clock: Callable[[], float], cadence: Cadence | None = None) -> None:
        self.sends: list[list[Op]] = []
        self.transcript = Transcript()
        self.live = LiveOps(self.sends.append, self.transcript, cadence=cadence or Cadence(), clock=clock)

    def __call__(self, event: Event) -> None:
        self.transcript.apply(event)
        self.live(event)

    def ops(self) -> list[Op]:
        return [op for batch in self.sends for op in batch]

    def appended(self, block: str) -> str:
        ops = self.ops()
        return "".join(op["text"] for op in ops if op["op"] == "append" and op["id"] == block)


def _stream_run(
    rec: Recorder, clock: FakeClock, reasoning: list[str], content: list[str], tick: float
) -> AssistantTurn:
    turn = AssistantTurn(reasoning="".join(reasoning), content="".join(content), usage=Usage(100, 50))
    rec(RunStarted("r", "kimi-k2-thinking", "moonshot", 10, "p", 0.0))
    rec(StepStarted(1))
    for piece in reasoning:
        clock.now += tick
        rec(ReasoningDelta(1, piece))
    for piece in content:
        clock.now += tick
        rec(ContentDelta(1, piece))
    rec(ModelTurnDone(1, turn, 1.0, 0.5))
    rec(RunFinished("done", turn.content, Usage(100, 50), 2.0, 1))
    return turn


def test_many_deltas_become_few_sends_with_every_character_once() -> None:
    clock = FakeClock()
    rec = Recorder(clock, Cadence(min_interval=0.1))
    reasoning = [f"r{i:04d} " for i in range(2000)]
    content = [f"c{i:04d} " for i in range(1000)]
    turn = _stream_run(rec, clock, reasoning, content, tick=0.001)  # 1000 deltas (6,000 chars) a second

    # 3 s of streaming: a batch whenever 2,048 characters are waiting (every 0.34 s), plus urgent ones
    assert 8 <= len(rec.sends) <= 16
    assert rec.appended("s1a1-think") == turn.reasoning
    assert rec.appended("s1a1-text") == turn.content
    for batch in rec.sends:  # consecutive appends to one block are merged
        for a, b in itertools.pairwise(batch):
            assert not (a["op"] == b["op"] == "append" and a["id"] == b["id"])
    # no message re-sends accumulated text: bytes stay linear in the text
    sent = sum(len(json.dumps(batch, ensure_ascii=False)) for batch in rec.sends)
    text = len(turn.reasoning) + len(turn.content)
    assert sent < 2 * text + 20_000
    # the final answer is not re-sent as HTML: the static trace replaces the view when the run ends
    assert not [op for op in rec.ops() if op["op"] == "html" and op["id"] == "s1a1-text"]


def test_without_time_passing_deltas_wait_for_one_send() -> None:
    clock = FakeClock()
    rec = Recorder(clock)
    reasoning = ["a"] * 500
    _stream_run(rec, clock, reasoning, ["b"] * 300, tick=0.0)
    appends = [op for op in rec.ops() if op["op"] == "append"]
    assert [(op["id"], op["text"]) for op in appends] == [
        ("s1a1-think", "a" * 500),
        ("s1a1-text", "b" * 300),
    ]
    assert len(rec.sends) <= 3


def test_a_slow_stream_sends_a_batch_a_second_and_a_pause_strands_nothing() -> None:
    clock = FakeClock()
    timers: list[tuple[float, Callable[[], None]]] = []
    sends: list[tuple[float, list[Op]]] = []
    transcript = Transcript()
    live = LiveOps(
        lambda ops: sends.append((clock.now, ops)),
        transcript,
        clock=clock,
        schedule=lambda delay, fn: timers.append((clock.now + delay, fn)),
    )

    def feed(event: Event) -> None:
        transcript.apply(event)
        live(event)

    def advance(to: float) -> None:
        while timers and min(t for t, _ in timers) <= to:
            due = min(timers, key=lambda item: item[0])
            timers.remove(due)
            clock.now = due[0]
            due[1]()
        clock.now = to

    feed(RunStarted("r", "kimi-k2-thinking", "moonshot", 10, "p", 0.0))
    feed(StepStarted(1))
    for i in range(100):  # 10 s at 10 chars per 0.1 s (~25 tokens/s): far below a batch's worth
        advance(clock.now + 0.1)
        feed(ReasoningDelta(1, f"word{i:05d} "))
    text_sends = [t for t, ops in sends if any(op["op"] == "append" for op in ops)]
    assert text_sends[0] <= 0.35  # the lane's first words go out at once ...
    assert 5 <= len(text_sends) <= 7  # ... then a batch every 2 s, never more often than an envelope is worth
    assert all(b - a >= 1.9 for a, b in itertools.pairwise(text_sends[1:]))
    advance(clock.now + 2.0)  # the stream pauses: the timer flushes what is left within max_delay
    sent = "".join(op["text"] for _, ops in sends for op in ops if op["op"] == "append")
    assert sent == transcript.steps[0].reasoning


def test_structural_ops_go_out_at_once() -> None:
    clock = FakeClock()
    rec = Recorder(clock)
    rec(RunStarted("r", "kimi-k2-thinking", "moonshot", 10, "p", 0.0))
    rec(StepStarted(1))
    rec(ReasoningDelta(1, "thinking about it"))
    before = len(rec.sends)
    rec(ModelTurnDone(1, AssistantTurn(reasoning="thinking about it", content=""), 1.0, 0.5))
    assert len(rec.sends) == before + 1  # no clock advance: the fold and pending text went at once
    assert rec.appended("s1a1-think") == "thinking about it"


def test_the_live_codec_round_trips_batches_as_one_stream() -> None:
    encoder, decoder = OpsEncoder(), OpsDecoder()
    batches = [
        [{"op": "append", "id": "s1a1-think", "text": f'line {i}\nwith ünïcode ✓ and "quotes"\n' * 3}]
        for i in range(50)
    ]
    messages = [encoder.encode(batch) for batch in batches]
    decoded = [batch for message in messages for batch in decoder.decode(message)]
    assert decoded == batches  # each message decodes on arrival, in order
    raw = sum(len(json.dumps(b)) for b in batches)
    assert sum(map(len, messages)) < raw / 4  # the shared window pays off across small batches
    # a message split across reads decodes once complete
    whole = OpsEncoder().encode(batches[0])
    fresh = OpsDecoder()
    assert fresh.decode(whole[: len(whole) // 2]) == []
    assert fresh.decode(whole[len(whole) // 2 :]) == [batches[0]]


def test_a_retried_attempt_is_marked_and_the_next_one_gets_fresh_blocks() -> None:
    clock = FakeClock()
    rec = Recorder(clock)
    rec(RunStarted("r", "kimi-k2-thinking", "moonshot", 10, "p", 0.0))
    rec(StepStarted(1))
    rec(ReasoningDelta(1, "first try"))
    rec(Retrying(1, 1, "the stream ended before [DONE]", 2.0))
    rec(StepStarted(1, attempt=2))
    rec(ReasoningDelta(1, "second try"))
    rec.live.flush()
    titles = [op for op in rec.ops() if op["op"] == "title" and op["id"] == "s1a1-think"]
    assert titles == [
        {
            "op": "title",
            "id": "s1a1-think",
            "open": False,
            "kind": "retried",
            "title": "↻ discarded attempt: the stream ended before [DONE]",
        }
    ]
    assert rec.appended("s1a1-think") == "first try"
    assert rec.appended("s1a2-think") == "second try"
    status = [op["text"] for op in rec.ops() if op["op"] == "status"]
    assert any(s.startswith("retrying in 2.0 s") for s in status)
    assert rec.transcript.steps[0].reasoning == "second try"
    assert rec.transcript.steps[0].retried == ["the stream ended before [DONE]"]


def test_live_html_ops_are_sanitized() -> None:
    clock = FakeClock()
    rec = Recorder(clock)
    for event in _evil_run():
        clock.now += 1.0
        rec(event)
    html_ops = [op for op in rec.ops() if op["op"] == "html"]
    assert len(html_ops) >= 4
    for op in html_ops:
        assert_inert(op["html"])


def test_transcript_serializes_joined_text() -> None:
    transcript = Transcript()
    for event in _evil_run():
        transcript.apply(event)
    data = json.loads(json.dumps(transcript.to_dict()))
    assert data["status"] == "done"
    assert data["steps"][0]["reasoning"] == EVIL
    assert [t["status"] for t in data["steps"][0]["tools"]] == ["ok", "invalid"]
    assert "reasoning_parts" not in data["steps"][0]
