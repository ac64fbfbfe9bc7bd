"""Tools the model can call."""

from ..core.toolbox import ToolBox, ToolContext, ToolOutcome, ToolSpec

__all__ = ["ToolBox", "ToolContext", "ToolOutcome", "ToolSpec"]
