"""``python -m k2nb.demo NOTEBOOK``: execute an example headless on the offline toy engine.

Prints a readable trace to the terminal and writes the executed notebook and an HTML rendering.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time


def main(argv: list[str] | None = None) -> int:
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    parser = argparse.ArgumentParser(prog="python -m k2nb.demo", description=__doc__)
    parser.add_argument("notebook", type=pathlib.Path)
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("build"))
    parser.add_argument("--timeout", type=int, default=600)
    args = parser.parse_args(argv)

    # Offline by construction: the toy engine, whatever keys the machine has.
    os.environ["K2NB_PROVIDER"] = "toy"
    for name in ("K2NB_API_KEY", "MOONSHOT_API_KEY", "K2NB_BASE_URL"):
        os.environ.pop(name, None)
    # Headless, nobody watches the stream: answer instantly unless asked otherwise.
    os.environ.setdefault("K2NB_TOY_SPEED", "0")

    # As Jupyter's server does: the kernel knows its notebook's file (its cells are read as last saved).
    os.environ["JPY_SESSION_NAME"] = str(args.notebook.resolve())

    notebook = nbformat.read(args.notebook, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        notebook,
        timeout=args.timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(args.notebook.parent)}},
    ).execute()
    seconds = time.perf_counter() - start

    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        print(f"\n\033[1mIn:\033[0m {cell.source}")
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                print(output.get("text", ""), end="")
            elif "data" in output:
                print(output["data"].get("text/plain", ""))
            elif output.get("output_type") == "error":
                print(f"{output.get('ename')}: {output.get('evalue')}")

    args.out.mkdir(parents=True, exist_ok=True)
    executed = args.out / args.notebook.name
    nbformat.write(notebook, executed)
    html, _ = HTMLExporter().from_notebook_node(notebook)
    html_path = executed.with_suffix(".html")
    html_path.write_text(html, encoding="utf-8")
    print(f"\nk2nb demo: executed in {seconds:.1f} s → {executed} and {html_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
