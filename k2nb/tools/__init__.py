"""Tools the model can call."""

from .registry import ToolBox, ToolContext, ToolOutcome, ToolSpec

__all__ = ["ToolBox", "ToolContext", "ToolOutcome", "ToolSpec"]
