"""Tools the model can call, and the user's answers a run waits for: approvals, presenter mode's Next."""

from ..core.toolbox import ToolBox, ToolContext, ToolOutcome, ToolSpec

__all__ = ["ToolBox", "ToolContext", "ToolOutcome", "ToolSpec"]
