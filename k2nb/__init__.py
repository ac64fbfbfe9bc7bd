"""k2nb: Kimi K2 Thinking in Jupyter.

``%load_ext k2nb`` registers the ``%%k2`` cell magic. The Python API (``Agent``) runs the same
engine outside a notebook. Heavy modules are imported lazily so ``import k2nb`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

__all__ = ["Agent", "__version__", "load_ipython_extension", "tool", "unload_ipython_extension"]


def __getattr__(name: str) -> Any:
    # Lazy: `import k2nb` must stay cheap (no openai, no IPython) until the API is used.
    if name == "Agent":
        from .api import Agent

        return Agent
    if name == "tool":  # @k2nb.tool: a typed function becomes a tool the model can call
        from .tools.user import tool

        return tool
    raise AttributeError(f"module 'k2nb' has no attribute {name!r}")


def load_ipython_extension(ipython: InteractiveShell) -> None:
    from .magics import load

    load(ipython)


def unload_ipython_extension(ipython: InteractiveShell) -> None:
    from .magics import unload

    unload(ipython)


def _jupyter_labextension_paths() -> list[dict[str, Any]]:
    return [{"src": "labextension", "dest": "k2nb"}]
