"""The labextension's settings schema, the one source of the settings' defaults.

The tab compiles it in (``labextension/src/index.ts`` imports it); the kernel reads it here. A
source checkout (an editable install) has it at ``labextension/schema/plugin.json``; the build
copies it into the package, at ``k2nb/labextension/schemas/k2nb/plugin.json``, which wheels ship.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

_PACKAGE = Path(__file__).resolve().parent.parent

# The source first: in a checkout the built copy lags behind an edit until the next build.
SCHEMA_PATHS = (
    _PACKAGE.parent / "labextension" / "schema" / "plugin.json",
    _PACKAGE / "labextension" / "schemas" / "k2nb" / "plugin.json",
)


@functools.cache
def settings_schema() -> dict[str, Any]:
    for path in SCHEMA_PATHS:
        if path.is_file():
            schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            return schema
    looked = " or ".join(str(p) for p in SCHEMA_PATHS)
    raise FileNotFoundError(
        f"k2nb: the labextension's settings schema is missing (looked for {looked}); "
        "reinstall k2nb (`pip install --force-reinstall k2nb`), or in a checkout restore "
        "labextension/schema/plugin.json (`git checkout labextension/schema`)."
    )


def setting_default(name: str) -> Any:
    """The default of the labextension setting ``name`` (a key of the schema's properties)."""
    return settings_schema()["properties"][name]["default"]
