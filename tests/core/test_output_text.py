"""k2nb/core/output_text.py: what the model reads of a cell's outputs (ANSI and progress bars cleaned,
the middle of long text cut, figures and HTML summarized) and what the notebook keeps of huge streams."""

from __future__ import annotations

import base64
import struct
import zlib

from k2nb.core.output_text import (
    cap_for_display,
    clean,
    collapse_carriage_returns,
    figure_size,
    outputs_to_model_text,
    strip_ansi,
    summarize_rich,
    truncate_middle,
)


def test_strip_ansi_colors_cursor_and_titles() -> None:
    text = "\x1b[31mred\x1b[0m \x1b[1;32mbold green\x1b[39m\x1b[?25l\x1b]0;title\x07done\x1b[2K"
    assert strip_ansi(text) == "red bold greendone"


def test_carriage_returns_keep_what_the_terminal_shows() -> None:
    bar = "\r 10%|#         |\r 50%|#####     |\r100%|##########|\nnext line\n"
    assert collapse_carriage_returns(bar) == "100%|##########|\nnext line\n"
    assert collapse_carriage_returns("a\r\nb\r\n") == "a\nb\n"  # CRLF is a newline
    assert collapse_carriage_returns("no returns") == "no returns"


def test_a_trailing_carriage_return_does_not_erase_the_line() -> None:
    assert collapse_carriage_returns("step 1/3\rstep 3/3\r") == "step 3/3"


def test_clean_strips_ansi_before_collapsing_progress() -> None:
    assert clean("\x1b[32m 10%\x1b[0m\r\x1b[32m100%\x1b[0m\n") == "100%\n"


def test_truncate_middle_keeps_head_and_tail_and_says_what_was_cut() -> None:
    text = "".join(f"line {i:04d}\n" for i in range(1000))  # 10,000 characters
    out = truncate_middle(text, 300)
    head, tail = text[:200], text[-100:]
    assert out.startswith(head)
    assert out.endswith(tail)
    omitted = len(text) - 300
    cut_lines = text.count("\n", 200, len(text) - 100)
    assert f"[{omitted:,} characters ({cut_lines:,} lines) cut from the middle]" in out
    assert len(out) < 400
    assert truncate_middle("short", 300) == "short"
    assert truncate_middle("x" * 300, 300) == "x" * 300


def _png(width: int, height: int) -> str:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr
    chunk += struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return base64.b64encode(b"\x89PNG\r\n\x1a\n" + chunk + b"rest-of-file" * 20).decode()


def test_figure_size_and_figure_summary() -> None:
    png = _png(640, 480)
    assert figure_size(png) == (640, 480)
    assert figure_size(base64.b64encode(b"GIF89a" + b"\0" * 40).decode()) is None
    assert figure_size("not base64 at all!!") is None
    assert figure_size(png[:64]) == (640, 480)  # the head a tab sends of a figure it was not asked for
    jpeg = b"\xff\xd8\xff\xc0\x00\x11\x08" + struct.pack(">HH", 300, 400) + b"\x03" + b"\0" * 9
    assert figure_size(base64.b64encode(jpeg).decode()) == (400, 300)
    assert summarize_rich({"image/jpeg": base64.b64encode(jpeg).decode()}) == "[figure 400×300 shown to the user]"
    assert summarize_rich({"image/png": png, "text/plain": "<Figure>"}) == ("[figure 640×480 shown to the user]")
    assert summarize_rich({"image/svg+xml": "<svg/>"}) == "[SVG figure shown to the user]"


def test_rich_outputs_are_summarized_not_sent_as_html() -> None:
    table = {"text/html": "<table><tr><td>1</td></tr></table>", "text/plain": "   a\n0  1"}
    assert summarize_rich(table) == "[HTML table shown to the user]\n   a\n0  1"
    assert summarize_rich({"text/markdown": "**hi**", "text/plain": "hi"}) == "**hi**"
    assert summarize_rich({"text/latex": "$x$"}) == "$x$"
    assert summarize_rich({"text/plain": ["a", "b"]}) == "ab"


def test_outputs_to_model_text_pipeline() -> None:
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": "loading\r 50%\r100%\n"},
        {"output_type": "stream", "name": "stderr", "text": "\x1b[33mwarning: x\x1b[0m\n"},
        {"output_type": "display_data", "data": {"image/png": _png(10, 20)}},
        {"output_type": "execute_result", "data": {"text/plain": "42"}},
        {
            "output_type": "error",
            "ename": "ValueError",
            "evalue": "bad",
            "traceback": ["\x1b[31mTraceback\x1b[0m", "ValueError: bad"],
        },
    ]
    assert outputs_to_model_text(outputs) == (
        "100%\n[stderr]\nwarning: x\n[figure 10×20 shown to the user]\nOut: 42\nTraceback\nValueError: bad"
    )


def test_outputs_to_model_text_empty_error_and_limit() -> None:
    assert outputs_to_model_text([]) == "(no output)"
    assert outputs_to_model_text([{"output_type": "stream", "text": "  \n"}]) == "(no output)"
    error = {"output_type": "error", "ename": "KeyError", "evalue": "'k'", "traceback": []}
    assert outputs_to_model_text([error]) == "KeyError: 'k'"
    big = [{"output_type": "stream", "name": "stdout", "text": "y" * 50_000}]
    text = outputs_to_model_text(big, limit=1000)
    assert text.startswith("y" * 666)
    assert "cut from the middle" in text
    assert len(text) < 1100


def test_cap_for_display_bounds_huge_streams_only() -> None:
    huge = {"output_type": "stream", "name": "stdout", "text": "z" * 1000}
    capped = cap_for_display(huge, limit=100)
    assert capped["name"] == "stdout"
    assert len(capped["text"]) < 200
    assert huge["text"] == "z" * 1000  # not mutated
    small = {"output_type": "stream", "name": "stdout", "text": "ok"}
    assert cap_for_display(small, limit=100) == small
    err = {"output_type": "error", "traceback": ["e" * 1000, "short"]}
    assert [len(x) < 200 for x in cap_for_display(err, limit=100)["traceback"]] == [True, True]
    data = {"output_type": "display_data", "data": {"text/plain": "p" * 1000}}
    assert cap_for_display(data, limit=100) == data
