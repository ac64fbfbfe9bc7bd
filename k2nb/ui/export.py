"""Export a session's runs as Markdown (thinking in ``<details>``), HTML or JSON.

``%k2 export FILE [--format md|html|json|cells]`` exports the kernel's session;
``k2nb export NOTEBOOK.ipynb`` exports the runs saved in a notebook. In a saved notebook each
``%%k2`` cell's run is read from output metadata ``k2nb.transcript`` when the view wrote it, and
otherwise from the saved static trace (``text/html`` and ``text/plain``), so older notebooks
export too. ``--format cells`` writes notebook cells (``cells_export.py``, the plan ``--cells`` uses live).
"""

from __future__ import annotations

import argparse
import html
import json
import pathlib
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from .._version import __version__
from ..core.events import CellChange
from ..core.output_text import summarize_rich
from ..core.transcript import StepRecord, ToolRecord, Transcript
from ..core.turn import Usage
from ..errors import ConfigError
from .static import EDITED_NOTE, render_html, step_title

FORMATS = ("md", "html", "json", "cells")
_SUFFIX = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".json": "json", ".ipynb": "cells"}


# -- one run -------------------------------------------------------------------------------------
def _fence(text: str, lang: str = "") -> str:
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return f"{ticks}{lang}\n{text.rstrip()}\n{ticks}"


def _output_text(output: dict[str, Any]) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        return str(output.get("text", ""))
    if kind == "error":
        return f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
    return summarize_rich(output.get("data") or {})


def _tool_markdown(tool: ToolRecord) -> list[str]:
    lines = [f"**🔧 {tool.name}** · {tool.status}" + (f" · {tool.approval}" if tool.approval else "")]
    if tool.code:
        lines.append(_fence(tool.code, "python"))
        if tool.original_code is not None:
            lines += [
                f"<details><summary>{EDITED_NOTE}</summary>",
                "",
                _fence(tool.original_code, "python"),
                "",
                "</details>",
            ]
    elif tool.arguments:
        lines.append(_fence(json.dumps(tool.arguments, ensure_ascii=False, indent=1), "json"))
    shown = "\n".join(_output_text(o) for o in tool.outputs).strip() or tool.model_text.strip()
    if shown:
        lines.append(_fence(shown, "text"))
    return lines


def _notices_markdown(notices: Sequence[tuple[str, str]]) -> list[str]:
    return [line for level, text in notices for line in ("", f"*{level}: {text}*")]


def transcript_markdown(t: Transcript, *, heading: str = "##") -> str:
    lines = [
        f"{heading} {t.prompt.splitlines()[0][:80] if t.prompt else 'Run'}",
        "",
        "> " + t.prompt.replace("\n", "\n> "),
    ]
    places = t.placed_notices()
    lines += _notices_markdown(places[0])
    for place, step in enumerate(t.steps, 1):
        if step.reasoning:
            summary = f"💭 {step_title(step, t.status)}"
            lines += [
                "",
                f"<details><summary>{summary}</summary>",
                "",
                html.escape(step.reasoning.strip()),
                "",
                "</details>",
            ]
        if step.content and step.tools:
            lines += ["", step.content.strip()]
        for tool in step.tools:
            lines += ["", *_tool_markdown(tool)]
        lines += _notices_markdown(places[place])
    if t.answer:
        lines += ["", t.answer.strip()]
    u = t.usage
    lines += [
        "",
        f"<sub>{t.status} · {len(t.steps)} step(s) · {u.prompt_tokens:,} in ({u.cached_tokens:,} cached) / "
        f"{u.completion_tokens:,} out tokens · {t.model} via {t.provider}</sub>",
    ]
    return "\n".join(lines)


# -- a whole session -----------------------------------------------------------------------------
@dataclass
class SavedRun:
    """A run found in a saved notebook without its transcript: the prompt and the static trace."""

    prompt: str
    html: str = ""
    plain: str = ""


Run = Transcript | SavedRun


def to_markdown(runs: Sequence[Run], title: str = "k2nb session") -> str:
    parts = [f"# {title}", ""]
    for run in runs:
        if isinstance(run, Transcript):
            parts.append(transcript_markdown(run))
        else:
            parts += [
                f"## {run.prompt.splitlines()[0][:80] if run.prompt else 'Run'}",
                "",
                "> " + run.prompt.replace("\n", "\n> "),
                "",
                _fence(run.plain or "(no text trace saved)", "text"),
            ]
        parts.append("")
    return "\n".join(parts)


def to_html(runs: Sequence[Run], title: str = "k2nb session") -> str:
    body = []
    for run in runs:
        body.append(
            render_html(run) if isinstance(run, Transcript) else run.html or f"<pre>{html.escape(run.plain)}</pre>"
        )
    return (
        f'<!doctype html>\n<html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>\n'
        f"<body><h1>{html.escape(title)}</h1>\n" + "\n<hr>\n".join(body) + "\n</body></html>\n"
    )


def to_json(runs: Sequence[Run]) -> str:
    items = [
        r.to_dict() if isinstance(r, Transcript) else {"prompt": r.prompt, "html": r.html, "plain": r.plain}
        for r in runs
    ]
    return json.dumps({"k2nb_version": __version__, "runs": items}, ensure_ascii=False, indent=1, default=str)


def transcript_from_dict(data: dict[str, Any]) -> Transcript:
    """The inverse of ``Transcript.to_dict`` (fields it does not know are ignored)."""
    names = {f.name for f in fields(Transcript)}
    t = Transcript(**{k: v for k, v in data.items() if k in names and k not in ("steps", "usage", "notices")})
    t.usage = Usage(**data.get("usage") or {})
    t.notices = [(str(a), str(b)) for a, b in data.get("notices") or []]
    t.notice_at = [int(n) for n in data.get("notice_at") or []]
    tool_names = {f.name for f in fields(ToolRecord)}
    step_names = {f.name for f in fields(StepRecord)} - {"tools", "usage", "reasoning_parts", "content_parts"}
    for s in data.get("steps") or []:
        step = StepRecord(**{k: v for k, v in s.items() if k in step_names})
        step.reasoning_parts, step.content_parts = [s.get("reasoning", "")], [s.get("content", "")]
        step.usage = Usage(**s["usage"]) if s.get("usage") else None
        step.tools = [_tool_record(tool, tool_names) for tool in s.get("tools") or []]
        t.steps.append(step)
    return t


def _tool_record(data: dict[str, Any], names: set[str]) -> ToolRecord:
    record = ToolRecord(**{k: v for k, v in data.items() if k in names and k != "change"})
    change = data.get("change")
    if isinstance(change, dict):
        known = {f.name for f in fields(CellChange)}
        record.change = CellChange(**{k: v for k, v in change.items() if k in known})
    return record


def write(runs: Sequence[Run], path: str, fmt: str | None = None) -> tuple[pathlib.Path, str]:
    """Write ``runs`` to ``path`` in ``fmt`` (default: from the file's suffix). Returns (path, format)."""
    target = pathlib.Path(path).expanduser()
    fmt = fmt or _SUFFIX.get(target.suffix.lower())
    if fmt not in FORMATS:
        raise ConfigError(
            f"cannot tell the export format of {path!r}: add --format md|html|json|cells (or use .md/.html/.json)."
        )
    if not runs:
        raise ConfigError("nothing to export yet: run a %%k2 cell first.")
    if fmt == "cells":
        from .cells_export import export_cells  # nbformat, imported on use

        export_cells([r for r in runs if isinstance(r, Transcript)], str(target))
        return target, fmt
    text = to_markdown(runs) if fmt == "md" else to_html(runs) if fmt == "html" else to_json(runs)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot write {target}: {error.strerror or error}.") from None
    return target, fmt


# -- saved notebooks -----------------------------------------------------------------------------
def runs_from_notebook(nb: Any) -> list[Run]:
    runs: list[Run] = []
    for cell in nb.get("cells", []):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if cell.get("cell_type") != "code" or not source.lstrip().startswith("%%k2"):
            continue
        prompt = source.lstrip().split("\n", 1)[1].strip() if "\n" in source.lstrip() else ""
        found: Run | None = None
        for output in cell.get("outputs", []):
            meta = (output.get("metadata") or {}).get("k2nb") or {}
            if isinstance(meta, dict) and isinstance(meta.get("transcript"), dict):
                found = transcript_from_dict(meta["transcript"])
        if found is None:
            saved = SavedRun(prompt)
            for output in cell.get("outputs", []):
                data = output.get("data") or {}
                if "text/html" in data and "k2nb" in str(data["text/html"]):
                    saved.html, saved.plain = _joined(data["text/html"]), _joined(data.get("text/plain", ""))
            if saved.html or saved.plain:
                found = saved
        if found is not None:
            runs.append(found)
    return runs


def _joined(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def main(argv: Sequence[str]) -> int:
    """``k2nb export NOTEBOOK.ipynb [-o OUT] [--format md|html|json]``."""
    import sys

    import nbformat

    parser = argparse.ArgumentParser(prog="k2nb export", description="Export the %%k2 runs saved in a notebook.")
    parser.add_argument("notebook", help="a saved .ipynb with %%k2 cells")
    parser.add_argument("-o", "--output", help="output file (default: NOTEBOOK.k2nb.md / .html / .json)")
    parser.add_argument("--format", choices=("md", "html", "json"), help="default: from -o's suffix, else md")
    args = parser.parse_args(list(argv))
    source = pathlib.Path(args.notebook)
    try:
        nb = nbformat.read(source, as_version=4)  # type: ignore[no-untyped-call]
    except (OSError, ValueError) as error:
        print(f"k2nb: cannot read {source}: {error}", file=sys.stderr)
        return 1
    fmt = args.format or (_SUFFIX.get(pathlib.Path(args.output).suffix.lower()) if args.output else None) or "md"
    out = args.output or str(source.with_suffix(f".k2nb.{fmt}"))
    runs = runs_from_notebook(nb)
    if not runs:
        print(f"k2nb: {source} has no %%k2 cells with saved output (run it, save it, then export).", file=sys.stderr)
        return 1
    try:
        path, _ = write(runs, out, fmt)
    except ConfigError as error:
        print(str(error), file=sys.stderr)
        return 1
    print(f"k2nb: wrote {len(runs)} run(s) to {path}")
    return 0


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would exit the kernel's process; say how instead
        raise ConfigError(f"%k2 export: {message}. Usage: %k2 export FILE [--format md|html|json|cells]")


def export_command(words: Sequence[str], transcripts: Sequence[Transcript]) -> str:
    """``%k2 export FILE [--format md|html|json|cells]`` (``--cells`` = ``--format cells``)."""
    parser = _Parser(prog="%k2 export", add_help=False)
    parser.add_argument("file")
    parser.add_argument("--format", choices=FORMATS)
    parser.add_argument("--cells", action="store_true")
    args = parser.parse_args(list(words))
    path, fmt = write(list(transcripts), args.file, "cells" if args.cells else args.format)
    return f"k2nb: exported {len(transcripts)} run(s) as {fmt} to {path}"
