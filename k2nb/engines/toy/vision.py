"""The toy looks at the images tool results carry (a vision model's input): size and dominant colours, quoted.

So the path that sends figures to vision models (``core/images``) is tested offline end to end: the toy's
answer says what it saw, and only if it was sent. Colours are read with Pillow (matplotlib installs it);
without it the toy reports the size alone.
"""

from __future__ import annotations

import base64
import binascii
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ...core.images import image_parts, image_size
from .core import Action, Answer

# Named colours a plot is made of (matplotlib's default cycle first); each pixel counts for the nearest.
PALETTE = {
    "white": (255, 255, 255),
    "black": (0, 0, 0),
    "grey": (128, 128, 128),
    "light grey": (210, 210, 210),
    "blue": (31, 119, 180),
    "orange": (255, 127, 14),
    "green": (44, 160, 44),
    "red": (214, 39, 40),
    "purple": (148, 103, 189),
    "brown": (140, 86, 75),
    "pink": (227, 119, 194),
    "olive": (188, 189, 34),
    "cyan": (23, 190, 207),
    "yellow": (255, 255, 0),
}


@dataclass(frozen=True)
class Seen:
    """One image the toy received: its size and its colours, most common first, with their share."""

    width: int
    height: int
    colours: tuple[tuple[str, float], ...] = ()

    def text(self) -> str:
        size = f"{self.width}×{self.height}"
        if not self.colours:
            return f"a {size} image"
        main, share = self.colours[0]
        rest = [name for name, part in self.colours[1:5] if part >= 0.001]
        also = f", with {_and(rest)}" if rest else ""
        return f"a {size} image, mostly {main} ({share:.0%}){also}"


def _and(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _nearest(rgb: tuple[int, int, int]) -> str:
    return min(PALETTE, key=lambda name: sum((a - b) ** 2 for a, b in zip(PALETTE[name], rgb, strict=True)))


def _colours(data: bytes) -> tuple[tuple[str, float], ...]:
    try:
        from PIL import Image
    except ImportError:
        return ()
    with Image.open(io.BytesIO(data)) as image:
        rgb_image = image.convert("RGB")  # every pixel: a thin plot line is a fraction of a percent
        width, height = rgb_image.size
        counts: Counter[str] = Counter()
        for count, rgb in rgb_image.getcolors(width * height) or []:
            counts[_nearest(rgb)] += count
    total = sum(counts.values()) or 1
    return tuple((name, n / total) for name, n in counts.most_common())


def look_at(url: str) -> Seen | None:
    """What a ``data:image/…;base64,`` URL shows; None for anything else."""
    head, _, payload = url.partition(",")
    if not head.startswith("data:image/") or not head.endswith(";base64"):
        return None
    try:
        data = base64.b64decode(payload)
    except (binascii.Error, ValueError):
        return None
    size = image_size(data)
    return Seen(size[0], size[1], _colours(data)) if size else None


def seen_since_the_task(messages: Sequence[dict[str, Any]]) -> list[Seen]:
    """The images of the tool results after the latest user message, in order."""
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    found = []
    for message in messages[last_user + 1 :]:
        if message.get("role") == "tool":
            for part in image_parts(message.get("content")):
                seen = look_at(str((part.get("image_url") or {}).get("url") or ""))
                if seen is not None:
                    found.append(seen)
    return found


def look(action: Action, messages: Sequence[dict[str, Any]]) -> Action:
    """An answer quotes the images the tool results carried (a text-only model's request has none)."""
    seen = seen_since_the_task(messages)
    if not isinstance(action, Answer) or not seen:
        return action
    described = "; ".join(s.text() for s in seen)
    several = f"{len(seen)} images" if len(seen) > 1 else "the image"
    return replace(
        action,
        thought=f"{action.thought}\n\nThe tool result came with {several}; looking at it: {described}.",
        text=f"{action.text}\n\nI looked at the figure the code drew: {described}.",
    )
