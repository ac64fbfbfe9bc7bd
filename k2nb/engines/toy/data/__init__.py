"""Questions about the user's data: what exists (knowledge), the typed request (parse), its code and answer."""

from __future__ import annotations

import re

from ..core import Skill, Task
from ..names import backticked, guesses
from .request import Unclear
from .sequence import inline_numbers, read_sequence_request
from .skill import DataSkill, InlineSkill
from .words import leftovers

_DATA_WORDS = re.compile(
    r"\bmean\b|\baverage|\bavg\b|\bmedian|\bstd\b|standard deviation|\bvariance|\bmin(?:imum)?\b|\bmax(?:imum)?\b|"
    r"\bsum\b|\btotal\b|correlat|\bcorr\b|describe|summar|statistic|\bstats\b|\bgroup(?:ed)?\s+by\b|\bper\b|"
    r"\btop\s+\d+|\bbottom\s+\d+|\b(?:first|last)\s+\d+\s+rows|\bcount\b|how many rows|"
    r"\bunique\b|\bdistinct\b|histogram|scatter|\bplot|\bchart|\bgraph|analy[sz]|\binspect|\bexplore|\blook at\b|"
    r"\bshape\b|\bcolumns?\b|\brows?\b|\bdata\s*frames?\b|\bdataset\b|\bsort(?:ed)?\s+by\b|\border(?:ed)?\s+by\b|"
    r"\bwhere\b|\bfilter|\bpercent|\bproportion|\bregress|\bbest[- ]fit|\bt[- ]?test|\bsignifican|\bmissing values|"
    r"\bduplicat|\bpercentile|\bagainst\b|\bvs\.?\b|\bversus\b|\bhow\s+many\b|\beach\b|\bcompar|\brelat|"
    r"\bsort\b|\bfraction\b|\bshare\b|\bratio\b|\brange\s+of\s+(?!-?\d)|\b(?:above|below|over|under)\s+-?\d|\bwho\b|"
    # superlatives and orders: "the 5 most expensive sales", "which region has the fewest sales", "highest to lowest"
    r"\b(?:largest|smallest|highest|lowest|biggest|greatest|fewest|cheapest|priciest|least|most)\b|"
    r"\b(?:ascending|descending|increasing|decreasing)\b|\breverse\s+order\b|"
    # rows picked out: "show me sales with price > 45", "which sales have a price of 9.83"
    r"[<>]=?\s*-?\d|==|!=|\bwhich\s+\w+\s+(?:have|has|had|are|were|cost|costs)\b|"
    r"^\s*(?:list|name)\s+(?:all\s+)?(?:the\s+)?(?:different\s+|distinct\s+)?\w+s\s*[?.!]?\s*$|"
    r"\b(?:show|list|give|find)\s+(?:me\s+)?(?:all\s+)?(?:the\s+)?\w+\s+(?:with|where|whose)\b|"
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
    """Statistics of numbers written in the prompt (``average of 3, 5, 8 and 13``); a prompt with words the
    statistics do not read ("… of price with qty 5, 6") is left to the data questions."""
    found = inline_numbers(task.text)
    if found is None:
        return None
    values, written = found
    others = task.text[: written[0]] + " " + task.text[written[1] :]
    if isinstance(read_sequence_request(task.text, [written], "them"), Unclear) and leftovers(others, set()):
        return None  # words no statistic reads, maybe a column's: a data question
    return InlineSkill(task, values, written)


__all__ = ["DataSkill", "InlineSkill", "data_skill", "inline_skill"]
