"""The one token estimate: about four characters a token, rounded up. No tokenizer is needed.

Used for the context-window budget, the offline engines' usage and pacing, and the character
budget of variable summaries, so that they all count alike.
"""

from __future__ import annotations

CHARS_PER_TOKEN = 4  # the usual figure for English text and code


def chars_to_tokens(chars: int) -> int:
    """Estimated tokens in ``chars`` characters of text (0 for none, at least 1 for any)."""
    return -(-max(chars, 0) // CHARS_PER_TOKEN)


def text_tokens(text: str) -> int:
    """Estimated tokens of ``text``."""
    return chars_to_tokens(len(text))
