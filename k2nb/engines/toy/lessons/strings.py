"""String algorithms step by step: palindromes, anagrams, vowels, reversing and counting, on the student's text."""

from __future__ import annotations

import re

from ..core import Answer, Observation, Skill, Task, lines, need
from ..parsing import quoted
from .common import Lesson, numbered, step_lines, teaching

_PRINTED = 30


def string_skill(task: Task) -> Skill | None:
    text, low = task.text, task.low
    if re.search(r"\banagrams?\b", low):
        pair = _anagram_pair(text)
        return AnagramLesson(*pair) if pair else None
    if not teaching(text) and not re.search(r"\bloop\b|\balgorithm\b|\bcharacter\s+by\s+character\b", low):
        return None
    pieces = quoted(text)
    if not pieces:
        return None
    subject = max(pieces, key=len)
    if re.search(r"palindrom", low):
        return PalindromeLesson(subject)
    if re.search(r"\bvowels?\b", low):
        return CountLesson(subject, "vowels")
    if re.search(r"\brevers|\bbackwards?\b", low):
        return ReverseLesson(subject)
    if re.search(r"\bwords?\b", low):
        return CountLesson(subject, "words")
    if re.search(r"\bletters?\b|\bcharacters?\b|\bcount\b", low):
        return CountLesson(subject, "letters")
    return None


def _anagram_pair(text: str) -> tuple[str, str] | None:
    pieces = [p for p in quoted(text) if p.strip()]
    if len(pieces) >= 2:
        return pieces[0], pieces[1]
    m = re.search(r"\b(?:are|is)\s+([A-Za-z]+)\s+(?:and|an\s+anagram\s+of)\s+([A-Za-z]+)", text, re.I)
    return (m[1], m[2]) if m else None


class PalindromeLesson(Lesson):
    def __init__(self, subject: str) -> None:
        self.subject = subject
        code = lines(
            f"text = {subject!r}",
            "cleaned = [c.lower() for c in text if c.isalnum()]",
            "print(f\"cleaned: {''.join(cleaned)}\")",
            "left, right = 0, len(cleaned) - 1",
            "palindrome = True",
            "steps = 0",
            "while left < right:",
            "    steps += 1",
            "    same = cleaned[left] == cleaned[right]",
            f"    if steps <= {_PRINTED}:",
            "        print(f\"step {steps}: position {left} '{cleaned[left]}' and position {right} "
            "'{cleaned[right]}': {'same' if same else 'different'}\")",
            "    if not same:",
            "        palindrome = False",
            "        break",
            "    left, right = left + 1, right - 1",
            'print(f"RESULT palindrome={palindrome}")',
            'print(f"RESULT comparisons={steps}")',
            'print(f"RESULT cleaned_length={len(cleaned)}")',
        )
        super().__init__(
            "show_palindrome",
            f"Is {subject!r} a palindrome? The two-pointer method: drop spaces and punctuation, lowercase, then "
            "compare the first and last characters, move both pointers inwards, and stop at the first mismatch. "
            "I'll print every comparison and explain them.",
            code,
        )

    def explain(self, obs: Observation) -> Answer:
        cleaned = step_lines(obs, r"cleaned: (.*)")
        steps = [
            f"position {m[1]} '{m[2]}' and position {m[3]} '{m[4]}': {m[5]}"
            + (" — not a palindrome, stop" if m[5] == "different" else "")
            for m in step_lines(obs, r"step \d+: position (\d+) '(.)' and position (\d+) '(.)': (same|different)")
        ]
        verdict, comparisons = need(obs, "palindrome"), need(obs, "comparisons")
        yes = verdict == "True"
        return Answer(
            f"The code printed palindrome={verdict} after {comparisons} comparisons.",
            f"You asked whether **{self.subject}** is a palindrome, step by step.\n\n"
            f"**The idea.** Ignore case, spaces and punctuation ({cleaned[0][1]!r} is what is left), then compare "
            "the two ends and walk inwards; one mismatch is enough to say no.\n\n"
            f"**What the code printed:**\n\n{numbered(steps)}\n\n"
            f"**Result:** {'yes' if yes else 'no'} — {self.subject!r} is {'' if yes else 'not '}a palindrome "
            f"({comparisons} comparisons).",
        )


class AnagramLesson(Lesson):
    def __init__(self, first: str, second: str) -> None:
        self.first, self.second = first, second
        code = lines(
            "from collections import Counter",
            "",
            f"first, second = {first!r}, {second!r}",
            "a = sorted(c.lower() for c in first if c.isalnum())",
            "b = sorted(c.lower() for c in second if c.isalnum())",
            "print(f\"sorted letters of {first!r}: {''.join(a)}\")",
            "print(f\"sorted letters of {second!r}: {''.join(b)}\")",
            "difference = (Counter(a) - Counter(b)) + (Counter(b) - Counter(a))",
            'print(f"RESULT anagram={a == b}")',
            'print(f"RESULT differ={dict(sorted(difference.items()))}")',
        )
        super().__init__(
            "show_anagram",
            f"Are {first!r} and {second!r} anagrams? Two words are anagrams when they use exactly the same "
            "letters the same number of times. Sorting the letters of each makes that easy to see; I'll print "
            "both sorted forms and, if they differ, which letters do not match.",
            code,
        )

    def explain(self, obs: Observation) -> Answer:
        forms = step_lines(obs, r"sorted letters of (.+?): (.*)")
        verdict, differ = need(obs, "anagram"), need(obs, "differ")
        yes = verdict == "True"
        steps = [f"the letters of {m[1]}, sorted: **{m[2]}**" for m in forms]
        why = (
            "they are the same, letter for letter"
            if yes
            else f"they differ: the unmatched letters (and how many) are {differ}"
        )
        return Answer(
            f"The code printed anagram={verdict}, differ={differ}.",
            f"You asked whether **{self.first}** and **{self.second}** are anagrams.\n\n"
            "**The idea.** Sort the letters of each (ignoring case and spaces): anagrams give the same sorted "
            f"string.\n\n{numbered(steps)}\n\n"
            f"**Result:** {'yes' if yes else 'no'} — {why}.",
        )


class CountLesson(Lesson):
    """Counting with a loop: vowels, words or letters."""

    def __init__(self, subject: str, what: str) -> None:
        self.subject, self.what = subject, what
        test = {
            "vowels": ("for position, c in enumerate(text):", "c.lower() in 'aeiou'", "c"),
            "letters": ("for position, c in enumerate(text):", "c.isalpha()", "c"),
            "words": ("for position, c in enumerate(text.split()):", "True", "c"),
        }[what]
        code = lines(
            f"text = {subject!r}",
            "count = 0",
            "printed = 0",
            test[0],
            f"    if {test[1]}:",
            "        count += 1",
            f"        if printed < {_PRINTED}:",
            "            printed += 1",
            f'            print(f"position {{position}}: {{{test[2]}!r}} -> count = {{count}}")',
            'print(f"RESULT count={count}")',
        )
        rule = {
            "vowels": "each character that is one of a, e, i, o, u (ignoring case)",
            "letters": "each character that is a letter (spaces, digits and punctuation are skipped)",
            "words": "each word (the text split at spaces)",
        }[what]
        super().__init__(
            "show_count",
            f"Count the {what} in {subject!r} with a loop: a counter starts at 0 and goes up by one for {rule}. "
            f"I'll print each match with the counter after it.",
            code,
        )

    def explain(self, obs: Observation) -> Answer:
        unit = "word" if self.what == "words" else "character"
        steps = [
            f"{unit} at position {m[1]} is {m[2]}: count becomes {m[3]}"
            for m in step_lines(obs, r"position (\d+): (.+?) -> count = (\d+)")
        ]
        count = need(obs, "count")
        return Answer(
            f"The code printed count={count}.",
            f"You asked how many {self.what} there are in **{self.subject}**, counted with a loop.\n\n"
            f"**The idea.** Start a counter at 0, look at each {unit} in turn, and add 1 whenever it counts.\n\n"
            f"**What the code printed:**\n\n{numbered(steps)}\n\n**Result:** **{count}** {self.what}.",
        )


class ReverseLesson(Lesson):
    def __init__(self, subject: str) -> None:
        self.subject = subject
        code = lines(
            f"text = {subject!r}",
            'built = ""',
            "for i, c in enumerate(text):",
            "    built = c + built",
            f"    if i < {_PRINTED}:",
            '        print(f"step {i + 1}: put {c!r} in front -> {built!r}")',
            'print(f"RESULT reversed={built!r}")',
            'print(f"RESULT same_as_slice={built == text[::-1]}")',
        )
        super().__init__(
            "show_reverse",
            f"Reverse {subject!r} one character at a time: start with an empty string and put each character in "
            "front of what has been built so far. I'll print each step and compare with Python's slice text[::-1].",
            code,
        )

    def explain(self, obs: Observation) -> Answer:
        steps = [f"put {m[1]} in front → {m[2]}" for m in step_lines(obs, r"step \d+: put (.+?) in front -> (.*)")]
        result, same = need(obs, "reversed"), need(obs, "same_as_slice")
        return Answer(
            f"The code printed reversed={result[:80]}, same_as_slice={same}.",
            f"You asked how to reverse **{self.subject}** step by step.\n\n"
            "**The idea.** Read the text from the start and put each character in front of the result: the first "
            f"character ends up last.\n\n**What the code printed:**\n\n{numbered(steps)}\n\n"
            f"**Result:** {result}"
            f"{' — the same as the slice `text[::-1]`' if same == 'True' else ' — different from `text[::-1]`!'}.",
        )
