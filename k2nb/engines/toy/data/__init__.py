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
    r"\btop\s+\d+|\bbottom\s+\d+|\b(?:first|last)\s+\d+\s+rows|\bcount\b|how many rows|"
    r"\bunique\b|\bdistinct\b|histogram|scatter|\bplot|\bchart|\bgraph|analy[sz]|\binspect|\bexplore|\blook at\b|"
    r"\bshape\b|\bcolumns?\b|\brows?\b|\bdata\s*frames?\b|\bdataset\b|\bsort(?:ed)?\s+by\b|\border(?:ed)?\s+by\b|"
    r"\bwhere\b|\bfilter|\bpercent|\bproportion|\bregress|\bbest[- ]fit|\bt[- ]?test|\bsignifican|\bmissing values|"
    r"\bduplicat|\bpercentile|\bagainst\b|\bvs\.?\b|\bversus\b|\bhow\s+many\b|\beach\b|\bcompar|\brelat|"
    r"\bsort\b|\bfraction\b|\bshare\b|\bratio\b|\b(?:above|below|over|under)\s+-?\d|\bwho\b|"
    # superlatives and orders: "the 5 most expensive sales", "which region has the fewest sales", "highest to lowest"
    r"\b(?:largest|smallest|highest|lowest|biggest|greatest|fewest|cheapest|priciest|least|most)\b|"
    r"\b(?:ascending|descending|increasing|decreasing)\b|\breverse\s+order\b|"
    # fits: "fit a line of qty on price", "trend line", "least squares", "slope"
    r"\bfit\s+a\s+(?:straight\s+)?line|\btrend\s*line|\bleast\s+squares|\bslope\b|\bintercept\b|\br²|\br-?squared"
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
    found = inline_numbers(task.text)
    return InlineSkill(task, *found) if found else None


__all__ = ["DataSkill", "InlineSkill", "data_skill", "inline_skill"]
