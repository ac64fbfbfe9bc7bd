"""Questions about the user's data: what exists (knowledge), the typed request (parse), its code and answer."""

from __future__ import annotations

import re

from ..core import Skill, Task
from ..names import backticked, guesses
from .sequence import inline_numbers
from .skill import DataSkill, InlineSkill

_DATA_WORDS = re.compile(
    r"\bmean\b|\baverage|\bavg\b|\bmedian|\bstd\b|standard deviation|\bvariance|\bmin(?:imum)?\b|\bmax(?:imum)?\b|"
    r"\bsum\b|\btotal\b|correlat|\bcorr\b|describe|summar|statistic|\bstats\b|\bgroup(?:ed)?\s+by\b|\bper\b|"
    r"\btop\s+\d+|\bbottom\s+\d+|\bfirst\s+\d+\s+rows|largest|smallest|highest|lowest|\bcount\b|how many rows|"
    r"\bunique\b|\bdistinct\b|histogram|scatter|\bplot|\bchart|\bgraph|analy[sz]|\binspect|\bexplore|\blook at\b|"
    r"\bshape\b|\bcolumns?\b|\brows?\b|\bdata\s*frames?\b|\bdataset\b|\bsort(?:ed)?\s+by\b|\border(?:ed)?\s+by\b|"
    r"\bwhere\b|\bfilter|\bpercent|\bproportion|\bregress|\bbest[- ]fit|\bt[- ]?test|\bsignifican|\bmissing values|"
    r"\bduplicat|\bpercentile|\bagainst\b|\bvs\.?\b|\bversus\b|\bhow\s+many\b|\beach\b|\bcompar|\brelat|"
    r"\bsort\b|\bfraction\b|\b(?:above|below|over|under)\s+-?\d|\bwho\b|\bwhich\b.*\b(?:highest|lowest|most|least)\b"
)


def data_skill(task: Task) -> Skill | None:
    """A question about the kernel's data: it names a variable, or asks a data question of one."""
    question = task.text
    named = [n for n in backticked(question) if n not in task.tools]
    if named or guesses(question) or _DATA_WORDS.search(question.lower()):
        return DataSkill(task)
    return None


def inline_skill(task: Task) -> Skill | None:
    """Statistics of numbers written in the prompt (``average of 3, 5, 8 and 13``)."""
    values = inline_numbers(task.text)
    return InlineSkill(task, values) if values else None


__all__ = ["DataSkill", "InlineSkill", "data_skill", "inline_skill"]
