"""The `--cells` heading default is written once, in the labextension's settings schema."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from k2nb.notebook import settings_schema
from k2nb.notebook.cells import DEFAULT_HEADING

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO / "labextension" / "schema" / "plugin.json"


def schema_default(path: Path, name: str) -> object:
    return json.loads(path.read_text(encoding="utf-8"))["properties"][name]["default"]


def test_the_kernel_heading_default_is_the_schema_default() -> None:
    assert schema_default(SCHEMA, "headingFormat") == DEFAULT_HEADING


def test_an_installed_package_reads_the_copy_the_build_puts_in_it(tmp_path: Path) -> None:
    # A wheel's layout: site-packages/k2nb/... with the built labextension inside, no checkout beside it.
    package = tmp_path / "site" / "k2nb"
    (package / "notebook").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "notebook" / "__init__.py").write_text("")
    shutil.copy(settings_schema.__file__, package / "notebook" / "settings_schema.py")
    built = package / "labextension" / "schemas" / "k2nb"
    built.mkdir(parents=True)
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    schema["properties"]["headingFormat"]["default"] = "Pondered {seconds}"  # tells the copies apart
    (built / "plugin.json").write_text(json.dumps(schema), encoding="utf-8")
    code = "from k2nb.notebook.settings_schema import setting_default; print(setting_default('headingFormat'))"
    # -S: no site-packages, so this copy is the k2nb imported (not the checkout's editable install).
    out = subprocess.run(
        [sys.executable, "-S", "-c", code], cwd=tmp_path / "site", capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "Pondered {seconds}"
