"""k2nb/edge/provider.py: HTTP errors mapped to what the user should do, and the SSE line decoder."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest

from k2nb.config import ProviderSettings
from k2nb.core.accumulator import StreamAccumulator
from k2nb.core.events import ContentDelta, Event
from k2nb.edge.provider import iter_sse_data, status_error
from k2nb.engines.wire import Turn
from k2nb.errors import ProviderError, TransientError
from tests.harness.stream import text_of, wire

# -- errors ------------------------------------------------------------------------------------
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


# -- SSE --------------------------------------------------------------------------------------
def test_sse_comments_multiline_data_and_crlf() -> None:
    raw = (
        ": OPENROUTER PROCESSING\r\n"
        "\r\n"
        "event: message\r\n"
        "id: 1\r\n"
        'data: {"a":\r\n'
        "data:  1}\r\n"
        "\r\n"
        "retry: 100\r\n"
        "data:no-space\r\n"
        "\r\n"
        ":keep-alive\r\n"
        "\r\n"
        "data: [DONE]\r\n"
        "\r\n"
    )
    assert list(iter_sse_data(raw.splitlines(keepends=True))) == [
        '{"a":\n 1}',
        "no-space",
        "[DONE]",
    ]


def test_sse_lines_without_line_endings_as_httpx_iter_lines_gives_them() -> None:
    lines = ['data: {"x": 1}', "", "", 'data: {"x": 2}', ""]
    assert list(iter_sse_data(lines)) == ['{"x": 1}', '{"x": 2}']


def test_sse_to_turn_end_to_end() -> None:
    chunks = wire(Turn(reasoning="think", content="hello"), "moonshot")
    body = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
    acc = StreamAccumulator()
    events: list[Event] = []
    for data in iter_sse_data(body.splitlines(keepends=True)):
        events += acc.feed_data(data)
    turn, _ = acc.finish()
    assert (turn.reasoning, turn.content) == ("think", "hello")
    assert text_of(events, ContentDelta) == "hello"


def test_sse_unterminated_last_event_is_discarded() -> None:
    lines = ['data: {"x": 1}', "", 'data: {"choices": [{"del']
    assert list(iter_sse_data(lines)) == ['{"x": 1}']
