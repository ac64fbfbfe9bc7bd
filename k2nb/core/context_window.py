"""Keep each request inside the model's context window (the budget: ``models.context_budget``). Pure, no I/O.

:func:`fit_context` returns the messages to *send*; the history itself is never changed, so the
notebook, ``%k2 history`` and exports keep everything. What it gives up, in this order:

1. the reasoning of turns before the current tool chain (the server only uses the current
   chain's reasoning, per the K2 protocol). All of it at once: the request's prefix then stays
   identical from step to step, which keeps the provider's prompt cache hitting. Tool-call turns
   keep a short placeholder, because Moonshot rejects a tool-call turn without reasoning;
2. large tool outputs (and their images), oldest first, cut to head + tail; the latest tool round is
   never cut (the model is about to read it);
3. nothing else: the current chain's reasoning is never dropped. If the request is still too
   large, the note says so and the provider decides.

With preserved thinking (``keep="opt-in"``: the user's ``--keep-thinking``) the model reads every
earlier turn's reasoning, so 2 comes before 1; with ``keep="required"`` (the model needs it back)
reasoning is never left out, and the note says when the request still cannot fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .images import IMAGE_TOKENS, image_parts, without_images
from .models import Keep
from .output_text import truncate_middle
from .tokens import chars_to_tokens

DEFAULT_BUDGET = 200_000  # estimated tokens; the loop passes the model's (models.context_budget)

SHORTENED_TOOL_CHARS = 2_000
DROPPED_REASONING = "(earlier reasoning omitted to fit the context window)"
SHORTENED_MARK = "\n[shortened in the request history to fit the context window]"
IMAGES_LEFT_OUT = "\n[its images were left out of the request history to fit the context window]"
_REASONING_FIELDS = ("reasoning_content", "reasoning", "reasoning_details")


def _text(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list | tuple):
        return sum(_text(v) for v in value)
    if isinstance(value, dict):
        if value.get("type") == "image_url":
            return 0  # counted as an image, not as its base64 text
        return sum(_text(v) for v in value.values())
    return len(str(value))


def estimate_tokens(message: dict[str, Any]) -> int:
    """A cheap estimate of one message's tokens: its text's (``tokens.py``), its images', plus framing."""
    content = message.get("content")
    chars = _text(content) + sum(_text(message.get(f)) for f in _REASONING_FIELDS)
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        chars += _text(function.get("name")) + _text(function.get("arguments")) + _text(call.get("id"))
    return 4 + chars_to_tokens(chars) + IMAGE_TOKENS * sum(1 for _ in image_parts(content))


def chain_start(messages: Sequence[dict[str, Any]]) -> int:
    """Index of the first message of the current tool chain (the turns after the last user message)."""
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].get("role") == "user":
            return index + 1
    return 0


def _latest_round_start(messages: Sequence[dict[str, Any]]) -> int:
    """Index of the first tool message answering the latest assistant turn (never shortened)."""
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].get("role") == "assistant":
            return index + 1
    return len(messages)


class SizeCache:
    """Per-message token estimates, reused from step to step.

    The loop's history only grows by appending, and messages are never mutated, so the estimate
    of an earlier message is still right if the same object sits at the same index. Without this
    the estimate costs O(history) per step and per-step overhead grows with the run.
    """

    def __init__(self) -> None:
        self._seen: list[tuple[dict[str, Any], int]] = []

    def sizes(self, messages: Sequence[dict[str, Any]]) -> list[int]:
        keep = 0
        for (message, _), current in zip(self._seen, messages, strict=False):
            if message is not current:
                break
            keep += 1
        del self._seen[keep:]
        self._seen += [(m, estimate_tokens(m)) for m in messages[keep:]]
        return [size for _, size in self._seen]


@dataclass(frozen=True)
class Fitted:
    messages: list[dict[str, Any]]
    tokens: int  # estimated tokens of ``messages``
    budget: int
    dropped_reasoning: int = 0  # turns whose reasoning was left out
    shortened_outputs: int = 0  # tool outputs cut to head + tail (or their images left out)
    kept_reasoning: bool = False  # preserved thinking: reasoning is left out last, or never

    @property
    def over_budget(self) -> bool:
        return self.tokens > self.budget

    @property
    def changed(self) -> bool:
        return bool(self.dropped_reasoning or self.shortened_outputs)

    @property
    def kind(self) -> tuple[bool, bool, bool]:
        """What was done, coarsely: the loop notifies the user when this changes, not every step."""
        return (self.dropped_reasoning > 0, self.shortened_outputs > 0, self.over_budget)

    @property
    def note(self) -> str | None:
        if not self.changed and not self.over_budget:
            return None
        done = []
        if self.dropped_reasoning:
            done.append(f"left out the reasoning of {self.dropped_reasoning} earlier turn(s)")
        if self.shortened_outputs:
            done.append(f"shortened {self.shortened_outputs} old tool output(s)")
        head = f"the conversation is near the model's context window (~{self.tokens:,} of {self.budget:,} tokens"
        text = head + (f" after this): {' and '.join(done)} in what is sent" if done else ")")
        text += "; the notebook keeps everything."
        if self.over_budget:
            kept = " (preserved thinking: every earlier turn's reasoning is kept)" if self.kept_reasoning else ""
            text += f" It is still too long{kept}: start a fresh conversation with `%k2 new`."
        return text


def fit_context(
    messages: Sequence[dict[str, Any]],
    budget_tokens: int = DEFAULT_BUDGET,
    *,
    cache: SizeCache | None = None,
    keep: Keep = "none",
) -> Fitted:
    """The messages to send so that their estimated size fits ``budget_tokens`` (see module doc)."""
    sizes = cache.sizes(messages) if cache is not None else [estimate_tokens(m) for m in messages]
    total = sum(sizes)
    out = list(messages)
    if total <= budget_tokens:
        return Fitted(out, total, budget_tokens, kept_reasoning=keep != "none")
    if keep == "none":
        total, dropped = _drop_reasoning(out, sizes, total)
        total, shortened = _shorten_outputs(out, sizes, total, budget_tokens)
    else:
        total, shortened = _shorten_outputs(out, sizes, total, budget_tokens)
        dropped = 0
        if total > budget_tokens and keep == "opt-in":
            total, dropped = _drop_reasoning(out, sizes, total)
    return Fitted(out, total, budget_tokens, dropped, shortened, kept_reasoning=keep != "none" and not dropped)


def _drop_reasoning(out: list[dict[str, Any]], sizes: list[int], total: int) -> tuple[int, int]:
    """Leave out the reasoning of every turn before the current chain (in place); the new total and count."""
    dropped = 0
    for index in range(chain_start(out)):
        message = out[index]
        if message.get("role") != "assistant" or not any(message.get(f) for f in _REASONING_FIELDS):
            continue
        slim = {k: v for k, v in message.items() if k not in _REASONING_FIELDS}
        if message.get("tool_calls"):
            field = "reasoning_content" if "reasoning_content" in message else "reasoning"
            slim[field] = DROPPED_REASONING
        out[index] = slim
        new_size = estimate_tokens(slim)
        total += new_size - sizes[index]
        sizes[index] = new_size
        dropped += 1
    return total, dropped


def _shorten_outputs(out: list[dict[str, Any]], sizes: list[int], total: int, budget: int) -> tuple[int, int]:
    """Cut old tool outputs (oldest first, images first) until the total fits; the new total and count."""
    shortened = 0
    for index in range(_latest_round_start(out)):
        if total <= budget:
            break
        message = out[index]
        if message.get("role") != "tool":
            continue
        content = without_images(message.get("content"), IMAGES_LEFT_OUT)
        if isinstance(content, str) and len(content) > SHORTENED_TOOL_CHARS:
            content = truncate_middle(content, SHORTENED_TOOL_CHARS) + SHORTENED_MARK
        if content is message.get("content"):
            continue
        slim = {**message, "content": content}
        out[index] = slim
        new_size = estimate_tokens(slim)
        total += new_size - sizes[index]
        sizes[index] = new_size
        shortened += 1
    return total, shortened
