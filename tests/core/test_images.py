"""k2nb/core/images.py: figures a tool showed, within budget, in its tool message for vision models."""

from __future__ import annotations

import base64
import io
import random
import sys
from typing import Any

import pytest
from PIL import Image

from k2nb.core.images import (
    MAX_BYTES,
    MAX_PIXELS,
    PER_STEP,
    Figure,
    StepImages,
    figures,
    image_size,
    prepare,
)


def picture(width: int, height: int, fmt: str = "PNG", noise: bool = False) -> bytes:
    image = Image.new("RGB", (width, height), (255, 255, 255))
    if noise:  # a photo-like image that does not compress
        image = Image.frombytes("RGB", (width, height), random.Random(7).randbytes(width * height * 3))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def shown(data: bytes, mime: str = "image/png", kind: str = "display_data") -> dict[str, Any]:
    """An output as code_interpreter (or any tool) puts it in its outcome: a Jupyter mime bundle."""
    return {"output_type": kind, "data": {mime: base64.b64encode(data).decode(), "text/plain": "<Figure>"}}


def test_sizes_are_read_from_png_and_jpeg_headers() -> None:
    assert image_size(picture(640, 480)) == (640, 480)
    assert image_size(picture(33, 17, "JPEG")) == (33, 17)
    assert image_size(b"GIF89a....") is None


def test_figures_are_the_png_and_jpeg_outputs_of_any_tool() -> None:
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": "hi"},
        shown(picture(10, 10)),
        shown(picture(20, 10, "JPEG"), "image/jpeg", "execute_result"),
        {"output_type": "display_data", "data": {"image/svg+xml": "<svg/>"}},
        {"output_type": "display_data", "data": {"image/png": "not base64 of an image"}},
    ]
    assert [(f.mime, image_size(f.data)) for f in figures(outputs)] == [
        ("image/png", (10, 10)),
        ("image/jpeg", (20, 10)),
    ]


def test_a_figure_within_budget_goes_as_it_is() -> None:
    data = picture(640, 480)
    prepared = prepare(Figure("image/png", data))
    assert not isinstance(prepared, str)
    assert prepared.url == "data:image/png;base64," + base64.b64encode(data).decode()
    assert prepared.size == prepared.original == (640, 480)


def test_a_large_figure_is_downscaled_to_a_megapixel_and_a_megabyte() -> None:
    prepared = prepare(Figure("image/png", picture(2400, 1800)))
    assert not isinstance(prepared, str)
    width, height = prepared.size
    assert width * height <= MAX_PIXELS and abs(width / height - 4 / 3) < 0.01
    assert prepared.original == (2400, 1800)
    noisy = prepare(Figure("image/png", picture(1000, 1000, noise=True)), max_bytes=200_000)
    assert not isinstance(noisy, str)
    data = base64.b64decode(noisy.url.split(",", 1)[1])
    assert len(data) <= 200_000 <= MAX_BYTES
    assert noisy.url.startswith("data:image/jpeg;base64,")  # noise compresses better as JPEG


def test_without_pillow_a_large_figure_is_described_not_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    small, large = picture(100, 100), picture(2000, 1000)
    monkeypatch.setitem(sys.modules, "PIL", None)  # import PIL fails, as where Pillow is not installed
    assert not isinstance(prepare(Figure("image/png", small)), str)  # within budget: no Pillow needed
    said = prepare(Figure("image/png", large))
    assert said == "[figure 2000×1000 not sent as an image: larger than the budget, and Pillow is not installed]"


def test_a_vision_models_tool_message_carries_text_then_its_images() -> None:
    step = StepImages(PER_STEP)
    content = step.tool_content("[figure 640×480 shown to the user]", [shown(picture(640, 480))])
    assert isinstance(content, list)
    assert content[0] == {
        "type": "text",
        "text": "[figure 640×480 shown to the user]\n[figure 1 is attached below as an image (640×480)]",
    }
    assert content[1]["type"] == "image_url" and content[1]["image_url"]["url"].startswith("data:image/png;base64,")


def test_a_step_sends_at_most_a_few_images_across_its_calls() -> None:
    step = StepImages(PER_STEP)
    first = step.tool_content("a", [shown(picture(10, 10)), shown(picture(11, 11))])
    second = step.tool_content("b", [shown(picture(12, 12)), shown(picture(13, 13))])
    assert isinstance(first, list) and isinstance(second, list)
    assert sum(p["type"] == "image_url" for p in [*first, *second]) == PER_STEP == 3
    assert "[1 more figure(s) not sent: 3 images a step at most]" in second[0]["text"]
    assert step.tool_content("c", [shown(picture(14, 14))]) == "c\n[1 more figure(s) not sent: 3 images a step at most]"


def test_a_text_only_model_keeps_the_text() -> None:
    assert StepImages(0).tool_content("[figure 640×480 shown to the user]", [shown(picture(640, 480))]) == (
        "[figure 640×480 shown to the user]"
    )
    assert StepImages(PER_STEP).tool_content("no figure", [{"output_type": "stream", "text": "x"}]) == "no figure"


def test_the_figures_read_cell_returns_go_to_a_vision_model_too() -> None:
    """Generic: any tool's outcome outputs, here a saved cell's figure as the notebook tools hand it on."""
    from k2nb.core.notebook_view import image_outputs

    cell_outputs = [
        {"output_type": "display_data", "data": {"image/png": base64.b64encode(picture(300, 200)).decode()}},
        {"output_type": "stream", "name": "stdout", "text": "done"},
    ]
    content = StepImages(PER_STEP).tool_content("cell 3 …", image_outputs(cell_outputs))
    assert isinstance(content, list) and [p["type"] for p in content] == ["text", "image_url"]
    assert "(300×200)" in content[0]["text"]
