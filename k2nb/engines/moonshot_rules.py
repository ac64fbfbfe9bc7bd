"""The per-model rules a Moonshot host enforces (from the model table), as the 400s it answers.

Used by the loopback server's ``moonshot`` dialect, so clients meet what they would meet on
api.moonshot.ai: sampling the server fixes, thinking a model cannot switch off, preserved thinking that
needs every earlier turn's reasoning, images for a text-only model. Models outside the table pass.
"""

from __future__ import annotations

from typing import Any

from ..core.images import image_parts
from ..core.models import model_info

FIXED_TEMPERATURE = {True: 1.0, False: 0.6}  # with thinking on / off (Moonshot's guide)
FIXED_TOP_P = 0.95


def _thinking(body: dict[str, Any]) -> dict[str, Any]:
    value = body.get("thinking")
    return value if isinstance(value, dict) else {}


def has_reasoning(message: dict[str, Any]) -> bool:
    """The reasoning is there, in any of its fields: an empty string counts ("" is what the model gave, and
    Moonshot's own client echoes it so; a preserved-thinking server wants the field on every turn)."""
    reasoning = (message.get("reasoning_content"), message.get("reasoning"))
    return any(isinstance(r, str) for r in reasoning) or bool(message.get("reasoning_details"))


def refusal(body: dict[str, Any]) -> str | None:
    """The message of the 400 Moonshot answers ``body`` with, or None if it is accepted."""
    model = str(body.get("model") or "")
    info = model_info(model)
    if not info.known:
        return None
    thinking = _thinking(body)
    thinking_on = thinking.get("type") != "disabled"
    if not thinking_on and info.thinking == "always":
        return f"thinking cannot be disabled for {model}: it always thinks"
    if info.fixed_sampling:
        allowed = FIXED_TEMPERATURE[thinking_on]
        if "temperature" in body and body["temperature"] != allowed:
            return f"invalid temperature: only {allowed:g} is allowed for this model"
        if "top_p" in body and body["top_p"] != FIXED_TOP_P:
            return f"invalid top_p: only {FIXED_TOP_P:g} is allowed for this model"
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    if not info.images and any(True for m in messages for _ in image_parts(m.get("content"))):
        return f"image input is not supported by {model}"
    keeps = info.keep_thinking == "required" or (info.keep_thinking == "opt-in" and thinking.get("keep") == "all")
    if keeps and thinking_on:
        for index, message in enumerate(messages):
            if message.get("role") == "assistant" and not has_reasoning(message):
                return (
                    "thinking is enabled but reasoning_content is missing in assistant message "
                    f"at index {index} (preserved thinking keeps every earlier turn's reasoning)"
                )
    return None
