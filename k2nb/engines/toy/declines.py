"""What the toy cannot do yet, said plainly: a decline beats answering a different question."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .core import Action, Answer, Observation, Skill, Task

_CELLS = re.compile(
    r"\b(?:previous|last|above|next|below|earlier|preceding|following|first|second|third|other|that|this|my)\s+cells?\b"
    r"|\bcells?\s+(?:above|below|before|after|\d+)\b|(?-i:\bIn\s?\[\s*\d+\s*\])|\b(?:this|the|my)\s+notebook\b"
    r"|\bfix\s+(?:the|my|this|that)\s+(?:error|bug|exception|traceback|code)\b|\bwhy\s+(?:did|does)\s+(?:it|my\s+code)\s+fail",
    re.I,
)


class Decline(Skill):
    """Say plainly what the toy can't do with this prompt, and how to ask instead; no tool call."""

    needs_code = False

    def __init__(self, thought: str, text: str) -> None:
        self.thought, self.text = thought, text

    def next(self, done: Sequence[Observation]) -> Action:
        return Answer(self.thought, self.text)


class NotebookCellsDecline(Skill):
    """Questions about the notebook's cells in a run that declared no notebook tool (``read_cell`` …):
    the toy sees only the prompt and, through tools, the variables."""

    needs_code = False

    def next(self, done: Sequence[Observation]) -> Action:
        return Answer(
            "The question is about the notebook's cells (an error, a previous cell), and no notebook tool "
            "(read_cell) is declared in this request, so I can't read them: I see this prompt and, through the "
            "inspection tools, the kernel's variables. Treating a word like 'previous' as a variable name would "
            "answer a different question, so I'll say what works instead.",
            "I can't read the notebook's cells here (no notebook tool is available in this run), so I can't see "
            "that cell or its error. Two ways that work anyway:\n\n"
            "- put the cell or the error into the prompt: `{In[3]}` is cell 3's source, `{Err}` the latest "
            "error (k2nb fills them in before I see the prompt);\n"
            "- or paste the code in a ```python``` block.",
        )


def cells_decline(task: Task) -> Skill | None:
    """Questions about cells that the notebook route could not take (no notebook tools): declined honestly."""
    return NotebookCellsDecline() if _CELLS.search(task.text) else None
