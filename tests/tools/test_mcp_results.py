"""k2nb/tools/mcp_results.py: an MCP result as outputs — text, images, structured JSON once, resources."""

from __future__ import annotations

import base64

from k2nb.core.output_text import MODEL_TEXT_LIMIT, outputs_to_model_text
from k2nb.tools.mcp_results import result_outputs
from tests.harness.mcp_server import png

PNG = base64.b64encode(png(8)).decode()


def test_text_and_an_image_keep_their_order_and_the_model_reads_text_and_a_note() -> None:
    result = {
        "content": [
            {"type": "text", "text": "before"},
            {"type": "image", "data": PNG, "mime_type": "image/png"},
            {"type": "text", "text": "after"},
            {"type": "text", "text": "more"},
        ]
    }
    outputs = result_outputs(result)
    assert [o["output_type"] for o in outputs] == ["stream", "display_data", "stream"]
    assert outputs[1]["data"]["image/png"] == PNG  # a mime bundle: the trace shows the picture
    assert outputs[2]["text"] == "after\nmore\n"
    assert outputs_to_model_text(outputs) == "before\n[figure 8×8 shown to the user]\nafter\nmore"


def test_structured_content_is_shown_as_json_once() -> None:
    stats = {"count": 3, "mean": 2.0}
    # FastMCP sends the same JSON as text too: shown once, as JSON.
    same = result_outputs(
        {"content": [{"type": "text", "text": '{"count": 3, "mean": 2.0}'}], "structured_content": stats}
    )
    assert [o["output_type"] for o in same] == ["display_data"]
    assert same[0]["data"]["application/json"] == stats and '"mean": 2.0' in same[0]["data"]["text/plain"]
    # A scalar wrapped as {"result": …} says nothing the text does not: the text stays.
    wrapped = result_outputs({"content": [{"type": "text", "text": "5"}], "structured_content": {"result": 5}})
    assert [o["output_type"] for o in wrapped] == ["stream"] and wrapped[0]["text"] == "5\n"
    # The filesystem server wraps its text as {"content": …}: the text stays, once.
    text = "hello from a file\n"
    wrapped_text = result_outputs(
        {"content": [{"type": "text", "text": text}], "structured_content": {"content": text}}
    )
    assert [o["output_type"] for o in wrapped_text] == ["stream"] and wrapped_text[0]["text"] == text
    # Structured content that differs from the text: both.
    both = result_outputs({"content": [{"type": "text", "text": "3 numbers"}], "structured_content": stats})
    assert [o["output_type"] for o in both] == ["stream", "display_data"]
    alone = result_outputs({"content": [], "structured_content": stats})
    assert outputs_to_model_text(alone) == '{\n  "count": 3,\n  "mean": 2.0\n}'


def test_resources_audio_and_unshown_images_become_text_notes() -> None:
    outputs = result_outputs(
        {
            "content": [
                {"type": "resource", "resource": {"uri": "file:///a.txt", "text": "hello"}},
                {"type": "resource", "resource": {"uri": "file:///b.bin", "blob": base64.b64encode(b"1234").decode()}},
                {"type": "resource_link", "uri": "file:///c.csv", "name": "c.csv"},
                {"type": "audio", "data": "AAAA", "mime_type": "audio/wav"},
                {"type": "image", "data": "AAAA", "mime_type": "image/webp"},
            ]
        }
    )
    (text,) = outputs
    assert text["text"].splitlines() == [
        "[resource file:///a.txt]",
        "hello",
        "[resource file:///b.bin (binary), 4 bytes, not shown]",
        "[resource link: c.csv file:///c.csv]",
        "[audio (audio/wav) returned, not shown]",
        "[image (image/webp) returned, not shown]",
    ]


def test_long_text_is_capped_for_the_model_like_code_output() -> None:
    outputs = result_outputs({"content": [{"type": "text", "text": "x" * (MODEL_TEXT_LIMIT * 3)}]})
    read = outputs_to_model_text(outputs)
    assert len(read) < MODEL_TEXT_LIMIT + 200 and "characters" in read and "cut from the middle" in read
