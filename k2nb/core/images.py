"""Figures a tool produced, sent back with its result to models that take images: found, downscaled, counted.

Every tool's outcome carries what it showed as Jupyter mime bundles (``ToolOutcome.outputs``), so any tool
gets this for free: a PNG or JPEG among them goes back to a vision model (``models``) as an ``image_url``
part of that tool's message. That is how Moonshot's own client (kosong) sends tool results with images:
a content array, text first, in the ``tool`` message itself; a following user message would end the
tool chain, whose reasoning the server keeps. Each image is cut to :data:`MAX_PIXELS` and
:data:`MAX_BYTES` with Pillow (matplotlib installs it); without Pillow an image already within budget
still goes and a larger one is described in words. A step sends at most :data:`PER_STEP` images.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

MAX_PIXELS = 1_000_000  # a figure the model can read, at a fraction of the tokens of a 4 MP screenshot
MAX_BYTES = 1_000_000
PER_STEP = 3  # images a step sends, across its tool calls
# Estimated prompt tokens of one image for context fitting: Kimi's vision encoder (MoonViT) reads 14-pixel
# patches merged 2×2, about 28×28 pixels a token, so a 1 MP image is ~1,300; kimi-cli estimates 2,000.
IMAGE_TOKENS = 1_600
MIMES = ("image/png", "image/jpeg")


@dataclass(frozen=True)
class Figure:
    mime: str
    data: bytes


@dataclass(frozen=True)
class Prepared:
    """An image as it is sent: a data URL, its size, and the size it had before downscaling."""

    url: str
    size: tuple[int, int]
    original: tuple[int, int]


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG or JPEG header (no decoding, no Pillow)."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:2] != b"\xff\xd8":
        return None
    pos = 2
    while pos + 9 < len(data):  # JPEG segments up to a start-of-frame marker
        if data[pos] != 0xFF:
            return None
        marker, length = data[pos + 1], struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return int(width), int(height)
        pos += 2 + length
    return None


def _decoded(value: Any) -> bytes | None:
    text = "".join(value) if isinstance(value, list) else value
    if not isinstance(text, str):
        return None
    try:
        return base64.b64decode(text, validate=False)
    except (binascii.Error, ValueError):
        return None


def figures(outputs: Iterable[dict[str, Any]]) -> list[Figure]:
    """The PNG and JPEG images among a tool's outputs, in order (one per output: PNG first)."""
    found = []
    for output in outputs:
        data = output.get("data") if output.get("output_type") in ("display_data", "execute_result") else None
        if not isinstance(data, dict):
            continue
        for mime in MIMES:
            raw = _decoded(data.get(mime)) if mime in data else None
            if raw and image_size(raw):
                found.append(Figure(mime, raw))
                break
    return found


def data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def prepare(figure: Figure, *, max_pixels: int = MAX_PIXELS, max_bytes: int = MAX_BYTES) -> Prepared | str:
    """The figure within budget, or why it cannot be sent (a note for the model)."""
    size = image_size(figure.data)
    assert size is not None  # figures() keeps only readable images
    width, height = size
    if width * height <= max_pixels and len(figure.data) <= max_bytes:
        return Prepared(data_url(figure.mime, figure.data), size, size)
    try:
        from PIL import Image
    except ImportError:
        return f"[figure {width}×{height} not sent as an image: larger than the budget, and Pillow is not installed]"
    with Image.open(io.BytesIO(figure.data)) as image:
        image.load()
        scale = min(1.0, math.sqrt(max_pixels / (width * height)))
        for _ in range(8):  # shrink until it also fits the byte budget
            target = (max(1, int(width * scale)), max(1, int(height * scale)))
            small = image.resize(target, Image.Resampling.LANCZOS) if target != size else image
            mime, data = _encode(small)
            if len(data) <= max_bytes:
                return Prepared(data_url(mime, data), target, size)
            scale *= 0.75
    return f"[figure {width}×{height} not sent as an image: it does not compress below {max_bytes:,} bytes]"


def _encode(image: Any) -> tuple[str, bytes]:
    """PNG keeps plots crisp; a photo-like image that stays large goes as JPEG."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    png = buffer.getvalue()
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=85)
    jpeg = buffer.getvalue()
    return ("image/png", png) if len(png) <= len(jpeg) * 2 else ("image/jpeg", jpeg)


class StepImages:
    """The images of one step: at most ``limit`` across its tool calls (0: a text-only model)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.sent = 0

    def tool_content(self, text: str, outputs: Iterable[dict[str, Any]]) -> str | list[dict[str, Any]]:
        """A tool message's content: the text alone, or the text then the images it showed."""
        if self.limit <= 0:
            return text
        found = figures(outputs)
        if not found:
            return text
        notes: list[str] = []
        parts: list[dict[str, Any]] = []
        for number, figure in enumerate(found, start=1):
            if self.sent >= self.limit:
                notes.append(f"[{len(found) - number + 1} more figure(s) not sent: {self.limit} images a step at most]")
                break
            prepared = prepare(figure)
            if isinstance(prepared, str):
                notes.append(prepared)
                continue
            self.sent += 1
            (w, h), (ow, oh) = prepared.size, prepared.original
            scaled = f", downscaled from {ow}×{oh}" if (w, h) != (ow, oh) else ""
            notes.append(f"[figure {number} is attached below as an image ({w}×{h}{scaled})]")
            parts.append({"type": "image_url", "image_url": {"url": prepared.url}})
        joined = text + "\n" + "\n".join(notes)
        return [{"type": "text", "text": joined}, *parts] if parts else joined


def image_parts(content: Any) -> Iterator[dict[str, Any]]:
    """The ``image_url`` parts of a message's content."""
    if isinstance(content, list):
        yield from (p for p in content if isinstance(p, dict) and p.get("type") == "image_url")


def content_text(content: Any) -> str:
    """A message content's text: a string, or its text parts joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def without_images(content: Any, note: str) -> Any:
    """The content with its images left out (said in ``note``); a string stays as it is."""
    if not any(True for _ in image_parts(content)):
        return content
    return content_text(content) + note
