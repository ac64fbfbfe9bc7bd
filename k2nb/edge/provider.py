"""The HTTP edge: the openai SDK client, SSE lines, and error mapping.

The SDK sends the request and raises typed status errors; we read the raw SSE lines ourselves
so that ``[DONE]`` is observed (the SDK's iterator hides a missing one) and every extra field
(``reasoning_content``, ``reasoning_details`` …) reaches the accumulator untouched.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import httpx2
import openai

from ..config import ProviderSettings
from ..errors import ModelNotFound, ProviderError, TransientError


class ChatClient:
    """One provider endpoint. Owns its SDK client; SDK retries are off (the agent owns retries)."""

    def __init__(
        self,
        settings: ProviderSettings,
        *,
        connect_timeout: float = 10.0,
        read_timeout: float = 600.0,
        http_client: httpx2.Client | None = None,
    ) -> None:
        if settings.base_url is None:
            raise ValueError("ChatClient needs a base URL (start the toy engine first)")
        self.settings = settings
        self._client = openai.OpenAI(
            base_url=settings.base_url,
            api_key=settings.api_key or "not-needed",
            max_retries=0,
            timeout=httpx2.Timeout(read_timeout, connect=connect_timeout),
            http_client=http_client,
        )

    def close(self) -> None:
        self._client.close()

    @contextmanager
    def stream(self, body: dict[str, Any]) -> Iterator[Iterator[str]]:
        """POST a streaming chat request; yields the SSE ``data`` payloads as text."""
        known = {
            "model",
            "messages",
            "stream",
            "stream_options",
            "max_tokens",
            "temperature",
            "tools",
            "tool_choice",
        }
        # The SDK type-walks `messages` and `tools` on every call (measured: 0.4 s per request at
        # 200 messages, growing with the conversation). They are plain JSON already, so they go in
        # extra_body, which the SDK merges into the body unchanged, over the `messages=[]` stub.
        heavy = {"messages", "tools"}
        extra_body = {k: v for k, v in body.items() if k not in known or k in heavy}
        params = {k: v for k, v in body.items() if k in known and k not in heavy}
        try:
            with self._client.chat.completions.with_streaming_response.create(
                **params, messages=[], extra_body=extra_body or None
            ) as response:
                yield _guard(iter_sse_data(response.iter_lines()), self.settings)
        except openai.APIStatusError as error:
            raise self._status_error(error, str(body.get("model") or self.settings.model)) from None
        except openai.APIConnectionError as error:
            raise connection_error(error, self.settings) from None

    def list_models(self) -> list[str]:
        try:
            return sorted(model.id for model in self._client.models.list())
        except (openai.OpenAIError, httpx2.HTTPError):
            return []

    def _status_error(self, error: openai.APIStatusError, model: str) -> Exception:
        return status_error(
            error.status_code,
            error.body,
            error.response.headers,
            replace(self.settings, model=model),
            list_models=self.list_models,
        )


def _guard(lines: Iterator[str], settings: ProviderSettings) -> Iterator[str]:
    """Map transport failures mid-stream (reset, cut) to a retryable error."""
    try:
        yield from lines
    except (httpx2.HTTPError, OSError) as error:
        raise TransientError(
            f"the connection to {settings.base_url} broke mid-stream ({type(error).__name__})"
        ) from None


def _error_fields(body: object) -> tuple[str, str, str]:
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            return (
                str(inner.get("message") or ""),
                str(inner.get("type") or ""),
                str(inner.get("code") or ""),
            )
        return (str(inner), "", "")
    if isinstance(body, str):
        try:
            return _error_fields(json.loads(body))
        except ValueError:
            return (body, "", "")
    return ("", "", "")


def _retry_after(headers: Any) -> float | None:
    value = headers.get("retry-after") if headers is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def status_error(
    status: int,
    body: object,
    headers: Any,
    settings: ProviderSettings,
    *,
    list_models: Any = None,
) -> Exception:
    """Turn an HTTP error status into a k2nb error whose message says how to fix it."""
    message, kind, code = _error_fields(body)
    where = settings.base_url or settings.provider
    detail = f" (server said: {message})" if message else ""
    if status == 401:
        return ProviderError(
            f"the server at {where} rejected the API key (401){detail}. Check K2NB_API_KEY; "
            "keys from platform.moonshot.ai and platform.moonshot.cn are not interchangeable "
            "(use --provider moonshot-cn for the China platform).",
            status=401,
        )
    if status == 403:
        return ProviderError(f"access denied by {where} (403){detail}. Check the key's permissions.", status=403)
    if status == 404:
        models = list_models() if list_models else []
        offered = f" The server offers: {', '.join(models)}." if models else ""
        return ModelNotFound(
            f"model {settings.model!r} was not found at {where} (404).{offered} "
            "Pick one with --model NAME or K2NB_MODEL.",
            model=settings.model,
            offered=models,
        )
    if status == 429:
        if "quota" in kind or "quota" in code or "insufficient" in kind:
            return ProviderError(
                f"the account at {where} has no balance left (429 {kind or 'quota exceeded'}). "
                "Top up the account, or use another key.",
                status=429,
            )
        return TransientError(
            f"rate limited by {where} (429 {kind or code}){detail}",
            retry_after=_retry_after(headers),
        )
    if status >= 500:
        return TransientError(f"server error {status} from {where}{detail}", retry_after=_retry_after(headers))
    if status == 400 and ("content_filter" in kind or "content_filter" in code or "high risk" in message.lower()):
        return ProviderError(
            f"the provider's content filter refused this request (400){detail}. Rephrase the prompt.", status=400
        )
    return ProviderError(f"the server at {where} refused the request ({status}){detail}.", status=status)


def connection_error(error: Exception, settings: ProviderSettings) -> Exception:
    cause = error.__cause__ or error.__context__
    if isinstance(cause, httpx2.ConnectError) or (
        isinstance(error, openai.APIConnectionError) and ("connect" in repr(cause).lower())
    ):
        return ProviderError(
            f"cannot reach {settings.base_url}: connection refused or host unknown. "
            "Is the server running and the URL right? Set K2NB_BASE_URL or --base-url "
            "(for example http://localhost:8000/v1 for vLLM)."
        )
    if isinstance(error, openai.APITimeoutError):
        return TransientError(f"the request to {settings.base_url} timed out")
    return TransientError(f"the connection to {settings.base_url} failed ({type(cause).__name__})")


def iter_sse_data(lines: Iterable[str]) -> Iterator[str]:
    """Yield the ``data`` payload of each server-sent event (multi-line data joined by newlines)."""
    data: list[str] = []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data:
                yield "\n".join(data)
                data = []
            continue
        if line.startswith(":"):
            continue  # SSE comment / keep-alive
        name, _, value = line.partition(":")
        if name == "data":
            data.append(value[1:] if value.startswith(" ") else value)
