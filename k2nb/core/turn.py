"""Value types of one model turn: tool calls, usage, and the assistant turn echoed into history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Sent when a tool-call turn has no reasoning to echo (imported history, servers that sent none):
# Moonshot-family endpoints reject an assistant tool-call message without it (HTTP 400).
REASONING_PLACEHOLDER = "(reasoning not available)"


@dataclass(frozen=True, slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # the exact argument text the model produced; echoed back unchanged
    index: int = 0


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0  # includes cached tokens (and image tokens)
    completion_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    image_tokens: int = 0  # of prompt_tokens, when the server reports them

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.cached_tokens + other.cached_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
            self.image_tokens + other.image_tokens,
        )

    @classmethod
    def from_payload(cls, usage: dict[str, Any]) -> Usage:
        """Read usage from either place providers put it (cached tokens in two spellings)."""
        details = usage.get("prompt_tokens_details") or {}
        completion_details = usage.get("completion_tokens_details") or {}
        cached = usage.get("cached_tokens")
        if cached is None:
            cached = details.get("cached_tokens")
        images = usage.get("image_tokens")
        if images is None:
            images = details.get("image_tokens")
        return cls(
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            cached_tokens=int(cached or 0),
            reasoning_tokens=int(completion_details.get("reasoning_tokens") or 0),
            image_tokens=int(images or 0),
        )


@dataclass(frozen=True, slots=True)
class AssistantTurn:
    """Everything one streamed response produced, ready to be echoed back exactly."""

    reasoning: str = ""
    # The field the reasoning arrived in ("reasoning_content" or "reasoning"); None if none came.
    reasoning_field: str | None = None
    # OpenRouter's structured reasoning, merged per (index, type); echoed back as an array.
    reasoning_details: tuple[dict[str, Any], ...] | None = None
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage | None = None
    finish_reason: str | None = None

    @property
    def is_empty(self) -> bool:
        """A reasoning-only turn: no answer and no tool call (a failed turn, retried once)."""
        return not self.content.strip() and not self.tool_calls

    def to_message(self) -> dict[str, Any]:
        """The assistant message for the next request: same calls, ids, arguments, reasoning."""
        message: dict[str, Any] = {"role": "assistant"}
        if self.content or not self.tool_calls:
            message["content"] = self.content
        if self.reasoning_details:
            message["reasoning_details"] = [dict(d) for d in self.reasoning_details]
        elif self.reasoning_field is not None:
            message[self.reasoning_field] = self.reasoning  # exactly as it came: "" stays "" (kosong does the same)
        elif self.reasoning or self.tool_calls:
            message["reasoning_content"] = self.reasoning or REASONING_PLACEHOLDER
        if self.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                }
                for call in self.tool_calls
            ]
        return message
