"""Help written once, in Markdown: rendered in a notebook, plain text (no markup) in a terminal."""

from __future__ import annotations

import argparse
import re
import textwrap
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

WIDTH = 100


def _inline(token: Token) -> str:
    """An inline token's text without its markup: code, emphasis and links keep only their words."""
    parts: list[str] = []
    href, start = "", 0
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "link_open":
            href = str(child.attrs.get("href", ""))
            start = len(parts)
        elif child.type == "link_close" and href:
            label = "".join(parts[start:])
            if not href.startswith("#") and href != label:
                parts.append(f" ({href})")
            href = ""
    return "".join(parts)


def markdown_to_plain(markdown: str, width: int = WIDTH) -> str:
    """Readable plain text: headings underlined, bullets as "•", code indented, no markup left."""
    lines: list[str] = []
    indent = ""  # the current list item's hanging indent
    bullet = ""  # the marker the next paragraph starts with
    depth: list[str] = []
    heading = 0
    for token in MarkdownIt("commonmark").enable("table").parse(markdown):
        kind = token.type
        if kind == "heading_open":
            heading = int(token.tag[1])
        elif kind == "inline" and heading:
            title = _inline(token)
            lines += [title, ("═" if heading <= 2 else "─") * min(len(title), width), ""]
            heading = 0
        elif kind in ("bullet_list_open", "ordered_list_open"):
            depth.append(indent)
        elif kind in ("bullet_list_close", "ordered_list_close"):
            indent = depth.pop()
            if not depth:
                lines.append("")
        elif kind == "list_item_open":
            base = depth[-1]
            bullet = base + ("• " if token.markup in ("-", "*", "+") else f"{token.info or 1}. ")
            indent = " " * len(bullet)
        elif kind == "inline":
            text = _inline(token)
            first = bullet or indent
            for n, paragraph in enumerate(text.split("\n")):
                lines.append(
                    textwrap.fill(
                        paragraph,
                        width,
                        initial_indent=first if n == 0 else indent,
                        subsequent_indent=indent,
                        break_long_words=False,
                        break_on_hyphens=False,
                    )
                )
            bullet = ""
            if not depth:
                lines.append("")
        elif kind in ("fence", "code_block"):
            lines += [indent + "    " + line for line in token.content.rstrip("\n").splitlines()]
            lines.append("")
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def _escape(text: str) -> str:
    """Help strings are plain text: keep a "$" from starting math in JupyterLab's Markdown."""
    return text.replace("$", "\\$")


def flag_items(parser: argparse.ArgumentParser) -> list[str]:
    """One Markdown list item per flag of ``parser``: the flag as code, then its help."""
    items = []
    for action in parser._actions:  # the parser's own list: the one source of the flags
        if not action.option_strings or action.help == argparse.SUPPRESS:
            continue
        flag = ", ".join(action.option_strings)
        if action.nargs != 0:
            value = "|".join(map(str, action.choices)) if action.choices else (action.metavar or action.dest.upper())
            flag += f" [{value}]" if action.nargs == "?" else f" {value}"
        items.append(f"- `{flag}` — {_escape(action.help or '')}")
    return items


_ARGS = re.compile(r"^([A-Z\[][^:]*): (.*)$")  # "FILE [--format …]: what it does"


def command_items(prefix: str, commands: dict[str, str]) -> list[str]:
    """One Markdown list item per line command: the command (with its arguments) as code, then its help."""
    items = []
    for name, text in commands.items():
        match = _ARGS.match(text)
        args, said = (f" {match[1]}", match[2]) if match else ("", text)
        items.append(f"- `{prefix}{name}{args}` — {_escape(said)}")
    return items


def show_help(markdown: str, shell: Any) -> None:
    """Rendered Markdown in a notebook (with the plain text beside it); plain text in a terminal."""
    plain = markdown_to_plain(markdown)
    if getattr(shell, "kernel", None) is None:
        print(plain)
        return
    from IPython.display import display

    display({"text/markdown": markdown, "text/plain": plain}, raw=True)  # type: ignore[no-untyped-call]


__all__ = ["command_items", "flag_items", "markdown_to_plain", "show_help"]
