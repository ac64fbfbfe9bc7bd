"""The offline toy engine: Kimi K2 Thinking in miniature.

Stateless: every request is decided from its messages alone. The latest user message is the task;
the tool results after it are what the code printed (or what another declared tool returned). The
engine thinks out loud, writes real Python for ``code_interpreter``, reads the printed
``RESULT key=value`` lines back and answers with those values. It never computes an answer itself:
every number it reports was printed by code or returned by a tool.

Layout: ``core`` (actions, reading the conversation and tool output, skills), ``parsing``
(numbers, ranges, quoted text, expressions), ``wording`` (numbers written in words, misspelt request
words), ``order`` (which way a sort goes: *highest to lowest*, *ascending*…), ``names`` (which prompt
words may name a variable),
``routes`` (the ordered routes: the one place to add behaviour), one module or package per family
(``numbers``, ``simulation``, ``plots``, ``text``, ``lessons/`` — sorting, searching, recursion,
loops, strings, units and percentages, fits, each on a list written in the prompt or named in the
kernel — and ``data/`` — questions about the kernel's data:
what exists, the typed request, its code and its answer), ``declines`` (what it cannot do yet,
said plainly), ``tools`` (calls of the other declared tools), ``policy`` (declines, errors,
retries, the deliberate self-correction demo, the engine) and ``help`` (``toy_help``).
"""

from __future__ import annotations

from .core import (
    TOOL_NAME,
    Action,
    Answer,
    CodeStep,
    ErrorInfo,
    Observation,
    Skill,
    Task,
    ToolStep,
    observe,
    read_conversation,
)
from .help import toy_help
from .policy import ToyEngine, decide, to_turn, tools_available
from .routes import ROUTES, route

__all__ = [
    "ROUTES",
    "TOOL_NAME",
    "Action",
    "Answer",
    "CodeStep",
    "ErrorInfo",
    "Observation",
    "Skill",
    "Task",
    "ToolStep",
    "ToyEngine",
    "decide",
    "observe",
    "read_conversation",
    "route",
    "to_turn",
    "tools_available",
    "toy_help",
]
