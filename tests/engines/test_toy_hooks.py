"""The toy's hooks (k2nb/engines/toy/vision.py, shell.py): it reads the figures it is sent, runs its Python
through a client's shell tool, and fills only the arguments a tool requires unless the prompt gives one."""

from __future__ import annotations

import base64
import io
import json
import shlex
import subprocess
import sys
from typing import Any

from PIL import Image

from k2nb.core.images import StepImages
from k2nb.engines.toy import ToyEngine
from k2nb.engines.toy.shell import code_of, command_for, shell_tool
from k2nb.engines.toy.vision import look_at


def png(width: int, height: int, lines: tuple[tuple[int, int, int], ...] = ()) -> bytes:
    """A white figure with a few coloured horizontal lines, like a matplotlib plot."""
    image = Image.new("RGB", (width, height), (255, 255, 255))
    for n, colour in enumerate(lines):
        for x in range(width):
            for dy in range(3):
                image.putpixel((x, 10 + 20 * n + dy), colour)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def function(name: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    parameters = {"type": "object", "properties": properties, "required": required}
    return {"type": "function", "function": {"name": name, "description": name, "parameters": parameters}}


CODE = function("code_interpreter", {"code": {"type": "string"}}, ["code"])
PLOT = "plot sin(x) from 0 to 3"


def plot_conversation(content: Any) -> list[dict[str, Any]]:
    """The toy's own plot call, answered by a tool message with ``content``."""
    first = ToyEngine()({"messages": [{"role": "user", "content": PLOT}], "tools": [CODE]})
    call = first.tool_calls[0]
    assistant = {
        "role": "assistant",
        "reasoning_content": first.reasoning,
        "tool_calls": [{"id": "c:0", "type": "function", "function": {"name": call.name, "arguments": call.arguments}}],
    }
    tool = {"role": "tool", "tool_call_id": "c:0", "name": call.name, "content": content}
    return [{"role": "user", "content": PLOT}, assistant, tool]


def test_the_toy_quotes_the_size_and_colours_of_a_figure_it_is_sent() -> None:
    figure = {
        "output_type": "display_data",
        "data": {"image/png": base64.b64encode(png(320, 90, ((31, 119, 180),))).decode()},
    }
    text = "RESULT x_min=0.0\nRESULT x_max=3.0\n[figure 320×90 shown to the user]"
    content = StepImages(3).tool_content(text, [figure])  # what k2nb sends a vision model
    answer = ToyEngine()({"messages": plot_conversation(content), "tools": [CODE]})
    assert "I looked at the figure the code drew: a 320×90 image, mostly white" in answer.content
    assert "with blue" in answer.content
    assert "looking at it" in answer.reasoning
    text_only = ToyEngine()({"messages": plot_conversation(text), "tools": [CODE]})
    assert "looked at" not in text_only.content  # a text-only model's request has no image to look at


def test_look_at_reads_data_urls_only() -> None:
    seen = look_at("data:image/png;base64," + base64.b64encode(png(40, 70, ((255, 127, 14),))).decode())
    assert seen is not None and (seen.width, seen.height) == (40, 70)
    assert [name for name, _ in seen.colours[:2]] == ["white", "orange"]
    assert look_at("https://example.com/a.png") is None


# -- a client without code_interpreter --------------------------------------------------------------
SHELL = function("Shell", {"command": {"type": "string"}, "timeout": {"type": "integer"}}, ["command"])


def test_a_shell_like_tool_is_one_required_command_string() -> None:
    tools = {t["function"]["name"]: t["function"]["parameters"] for t in (SHELL,)}
    assert shell_tool(tools) is not None and shell_tool(tools).parameter == "command"  # type: ignore[union-attr]
    assert shell_tool({"bash": {"properties": {"cmd": {"type": "string"}}, "required": ["cmd"]}}) is not None
    assert shell_tool({"lookup": {"properties": {"query": {"type": "string"}}, "required": ["query"]}}) is None
    both = {**tools, "code_interpreter": CODE["function"]["parameters"]}
    assert shell_tool(both) is None  # code_interpreter is declared: the toy uses it
    code = "print('it''s', {\"a\": 1})\nprint(2)"
    assert code_of(command_for(code)) == code and code_of("ls -la") is None


def test_the_toy_runs_its_python_through_the_shell_tool_and_reads_what_it_printed() -> None:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "How many primes are there below 500?"}]
    for _ in range(4):
        turn = ToyEngine()({"messages": messages, "tools": [SHELL]})
        if not turn.tool_calls:
            break
        (call,) = turn.tool_calls
        arguments = json.loads(call.arguments)
        assert call.name == "Shell" and list(arguments) == ["command"]  # only the required argument
        ran = subprocess.run(
            shlex.split(arguments["command"].replace("python3", sys.executable, 1)),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        messages += [
            {
                "role": "assistant",
                "reasoning_content": turn.reasoning,
                "tool_calls": [
                    {
                        "id": f"Shell:{len(messages)}",
                        "type": "function",
                        "function": {"name": "Shell", "arguments": call.arguments},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": f"Shell:{len(messages)}", "content": ran.stdout + ran.stderr},
        ]
    assert "python3 -c" in messages[1]["tool_calls"][0]["function"]["arguments"]
    assert "through `Shell`" in messages[1]["reasoning_content"]
    assert "**95**" in turn.content  # the count its code printed


def test_an_optional_argument_is_filled_only_when_the_prompt_gives_it() -> None:
    lookup = function(
        "lookup",
        {"column": {"type": "string"}, "label": {"type": "string"}, "limit": {"type": "integer"}},
        ["column"],
    )
    plain = ToyEngine()(
        {"messages": [{"role": "user", "content": "Use `lookup` on yield_kg for site_b"}], "tools": [lookup]}
    )
    assert json.loads(plain.tool_calls[0].arguments) == {"column": "yield_kg"}  # label and limit keep their defaults
    named = ToyEngine()(
        {
            "messages": [{"role": "user", "content": "Use `lookup` on yield_kg with label=north limit 5"}],
            "tools": [lookup],
        }
    )
    assert json.loads(named.tool_calls[0].arguments) == {"column": "yield_kg", "label": "north", "limit": 5}


def test_a_quoted_argument_is_taken_whole() -> None:
    """`Use word_count on the text 'the cat sat'` passes the whole phrase, not its first word."""
    count = function("word_count", {"text": {"type": "string"}}, ["text"])
    for prompt in (
        "Use `word_count` on the text 'the cat sat on the mat'",
        'call `word_count` with text="the cat sat on the mat"',
        "Use `word_count` with text: “the cat sat on the mat”",
    ):
        turn = ToyEngine()({"messages": [{"role": "user", "content": prompt}], "tools": [count]})
        assert json.loads(turn.tool_calls[0].arguments) == {"text": "the cat sat on the mat"}, prompt
