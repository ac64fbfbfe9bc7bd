"""The k2nb labextension is built and installed where JupyterLab and Notebook 7 load it.

These tests check the installed result of `pip install .` / `pip install -e .`: they run the
venv's own `jupyter` (the one next to `sys.executable`) and read the labextensions directories
JupyterLab reads.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from jupyter_core.paths import jupyter_path

ROOT = Path(__file__).resolve().parents[2]
JUPYTER = Path(sys.executable).with_name("jupyter")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
LISTED = re.compile(r"^\s*k2nb v(?P<version>\S+)\s+(?P<enabled>\S+)\s+(?P<status>\S+)", re.MULTILINE)


def _source_version() -> str:
    text = (ROOT / "k2nb" / "_version.py").read_text(encoding="utf-8")
    match = re.search(r"""__version__\s*=\s*["']([^"']+)["']""", text)
    assert match, "k2nb/_version.py defines no __version__"
    return match.group(1)


def _installed_extension_dir() -> Path:
    """The first labextensions directory holding k2nb, in JupyterLab's lookup order."""
    for base in jupyter_path("labextensions"):
        candidate = Path(base) / "k2nb"
        if (candidate / "package.json").is_file():
            return candidate
    searched = "\n  ".join(jupyter_path("labextensions"))
    raise AssertionError(
        f"k2nb is not installed in any labextensions directory:\n  {searched}\n"
        "Fix: pip install -e . (or pip install .) in this environment."
    )


def test_labextension_list_shows_k2nb_enabled_and_ok() -> None:
    assert JUPYTER.is_file(), f"no jupyter next to {sys.executable}: pip install jupyterlab"
    result = subprocess.run(
        [str(JUPYTER), "labextension", "list"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = ANSI.sub("", result.stdout + result.stderr)
    assert result.returncode == 0, output
    match = LISTED.search(output)
    assert match, f"k2nb is not in `jupyter labextension list`:\n{output}"
    assert (match["enabled"], match["status"]) == ("enabled", "OK"), match.group(0)
    assert match["version"] == _source_version(), match.group(0)


def test_installed_extension_has_its_remote_entry_schema_and_install_json() -> None:
    ext_dir = _installed_extension_dir()
    meta = json.loads((ext_dir / "package.json").read_text(encoding="utf-8"))
    load = meta["jupyterlab"]["_build"]["load"]
    assert re.fullmatch(r"static/remoteEntry\.[0-9a-f]+\.js", load), load
    assert (ext_dir / load).is_file(), f"{ext_dir / load} is missing"
    assert list((ext_dir / "static").glob("remoteEntry.*.js")), f"no remoteEntry in {ext_dir}"

    schema = json.loads((ext_dir / "schemas" / "k2nb" / "plugin.json").read_text("utf-8"))
    assert schema["additionalProperties"] is False
    assert schema["properties"]["materializeCells"]["default"] is False

    if ext_dir.is_symlink():
        # `jupyter-builder develop` links the build output itself, which has no install.json.
        return
    install = json.loads((ext_dir / "install.json").read_text(encoding="utf-8"))
    assert install["packageManager"] == "python"
    assert install["packageName"] == "k2nb"


def test_versions_agree() -> None:
    """package.json, labextension/src/version.ts and k2nb/_version.py name one version."""
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    version_ts = (ROOT / "labextension" / "src" / "version.ts").read_text(encoding="utf-8")
    match = re.search(r"VERSION = '([^']+)'", version_ts)
    assert match, "labextension/src/version.ts defines no VERSION"
    assert package["version"] == match.group(1) == _source_version()
