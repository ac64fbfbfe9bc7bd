"""The ``k2nb`` command: ``k2nb serve`` (an offline OpenAI-compatible engine) and ``k2nb demo``."""

from __future__ import annotations

import sys

COMMANDS = {
    "serve": "serve the toy or a scripted engine over the OpenAI Chat Completions API (loopback)",
    "demo": "execute a notebook headless on the offline toy engine and write it + HTML to build/",
    "export": "write the %%k2 runs saved in NOTEBOOK.ipynb as Markdown, HTML or JSON (-o FILE, --format)",
}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help", "help"):
        print("usage: k2nb COMMAND [ARGS]\n\ncommands:")
        for name, text in COMMANDS.items():
            print(f"  {name:<6} {text}")
        return 0
    command, rest = args[0], args[1:]
    if command == "serve":
        from .engines.serve import run_serve

        return run_serve(rest)
    if command == "demo":
        from .demo import main as demo

        return demo(rest)
    if command == "export":
        from .ui.export import main as export

        return export(rest)
    print(f"k2nb: unknown command {command!r}; try `k2nb --help`.", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
