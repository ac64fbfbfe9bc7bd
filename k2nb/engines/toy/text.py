"""Text tasks on quoted text: words, characters, palindromes, reversal, frequencies."""

from __future__ import annotations

import re

from .core import Answer, Observation, OneShot, Skill, Task, Unreadable, gist, lines, literal, need
from .parsing import text_subject


def text_skill(task: Task) -> Skill | None:
    low = task.low
    subjects = text_subject(task.text)
    if not subjects:
        return None
    text = max(subjects, key=len)
    if re.search(r"palindrom", low):
        if len(subjects) == 1 and re.search(r"\bwords\b|which|find", low) and " " in text:
            return _palindrome_words(text)
        if len(subjects) == 1 and "," in text and " " not in text.replace(", ", ""):
            subjects = [s.strip() for s in text.split(",")]
        return _palindromes(subjects)
    if re.search(r"\brevers|\bbackwards?\b", low):
        return _reverse(text, by_words=re.search(r"\bwords?\b|word order", low) is not None)
    target = _counted_target(task.text, subjects, low)
    if target is not None:
        return _occurrences(text, target)
    if re.search(r"\bsort|alphabetic", low):
        return _sorted(text, letters=re.search(r"\bletters?\b|\bcharacters?\b", low) is not None or " " not in text)
    case = _case(low)
    if case is not None:
        return _recased(text, case)
    if re.search(r"frequen|most common|how often|occurrences|tally|count (?:each|every)", low):
        letters = re.search(r"\b(?:letters?|characters?|chars?)\b", low) is not None
        k = re.search(r"top\s+(\d+)", low)
        return _frequency(text, letters, int(k[1]) if k else 10)
    if re.search(r"\bvowels?\b", low):
        return _count_text(text)
    if re.search(r"\bwords?\b|\bcharacters?\b|\bletters?\b|\bchars\b", low) and re.search(
        r"\bcount|how many|number of|length", low
    ):
        return _count_text(text)
    return None


def _palindromes(candidates: list[str]) -> Skill:
    code = lines(
        "def is_palindrome(s: str) -> bool:",
        "    cleaned = [c.lower() for c in s if c.isalnum()]",
        "    return bool(cleaned) and cleaned == cleaned[::-1]",
        "",
        "",
        f"candidates = {candidates!r}",
        "for i, s in enumerate(candidates):",
        '    print(f"RESULT palindrome_{i}={is_palindrome(s)}")',
    )

    def answer(obs: Observation) -> Answer:
        verdicts = [need(obs, f"palindrome_{i}") for i in range(len(candidates))]
        rows = "\n".join(
            f"| {c} | {'yes' if v == 'True' else 'no'} |" for c, v in zip(candidates, verdicts, strict=True)
        )
        return Answer(
            f"Printed verdicts {gist(str(verdicts))}.",
            f"| text | palindrome? |\n|---|---|\n{rows}\n\n(Ignoring case, spaces and punctuation.)",
        )

    return OneShot(
        "Palindrome check: normalise each string (lowercase, keep letters and digits) "
        "and compare it with its reverse. That treats 'A man, a plan…' fairly.",
        code,
        answer,
    )


def _palindrome_words(text: str) -> Skill:
    code = lines(
        "import re",
        "",
        f"text = {text!r}",
        'words = re.findall(r"\\w+", text)',
        "found = []",
        "for w in words:",
        "    if len(w) > 1 and w.lower() == w.lower()[::-1] and w.lower() not in found:",
        "        found.append(w.lower())",
        'print(f"RESULT palindromes={found}")',
        'print(f"RESULT count={len(found)}")',
    )

    def answer(obs: Observation) -> Answer:
        found, count = literal(need(obs, "palindromes")), need(obs, "count")
        listing = ", ".join(f"*{w}*" for w in found) if isinstance(found, list) else str(found)
        return Answer(
            f"Printed palindromes={gist(str(found))}.", f"I found **{count}** palindromic words: {listing or 'none'}."
        )

    return OneShot(
        "Find the words in the text that read the same backwards (case-insensitive, longer than one letter).",
        code,
        answer,
    )


def _reverse(text: str, *, by_words: bool) -> Skill:
    expr = '" ".join(reversed(text.split()))' if by_words else "text[::-1]"
    code = lines(f"text = {text!r}", f"reversed_text = {expr}", 'print(f"RESULT reversed={reversed_text!r}")')

    def answer(obs: Observation) -> Answer:
        value = literal(need(obs, "reversed"))
        return Answer(
            f"Printed reversed={gist(repr(value))}.", f"Reversed{' word by word' if by_words else ''}:\n\n> {value}"
        )

    what = "the order of the words" if by_words else "the characters (slice with step -1)"
    return OneShot(f"Reverse {what}.", code, answer)


def _frequency(text: str, letters: bool, k: int) -> Skill:
    source = (
        "(c for c in text.lower() if c.isalpha())"
        if letters
        else '(w.lower() for w in re.findall(r"\\w+(?:\'\\w+)?", text))'
    )
    code = lines(
        *(() if letters else ("import re",)),
        "from collections import Counter",
        "",
        f"text = {text!r}",
        f"counts = Counter{source}",
        f'print(f"RESULT top={{counts.most_common({k})}}")',
        'print(f"RESULT distinct={len(counts)}")',
        'print(f"RESULT total={sum(counts.values())}")',
    )
    unit = "letter" if letters else "word"

    def answer(obs: Observation) -> Answer:
        top, distinct, total = literal(need(obs, "top")), need(obs, "distinct"), need(obs, "total")
        if not isinstance(top, list):
            raise Unreadable("top")
        rows = "\n".join(f"| {item} | {n} |" for item, n in top)
        return Answer(
            f"Printed the top {unit}s {gist(str(top))}; {distinct} distinct out of {total}.",
            f"{unit.title()} frequencies ({total} {unit}s, {distinct} distinct):\n\n"
            f"| {unit} | count |\n|---|---|\n{rows}",
        )

    return OneShot(
        f"Count {unit} frequencies with collections.Counter"
        f"{' (letters only, lowercased)' if letters else ' (lowercased words)'} and "
        f"show the {k} most common.",
        code,
        answer,
    )


def _count_text(text: str) -> Skill:
    code = lines(
        "import re",
        "",
        f"text = {text!r}",
        'words = re.findall(r"\\w+(?:\'\\w+)?", text)',
        'print(f"RESULT words={len(words)}")',
        'print(f"RESULT characters={len(text)}")',
        'print(f"RESULT letters={sum(c.isalpha() for c in text)}")',
        "print(f\"RESULT vowels={sum(c in 'aeiou' for c in text.lower())}\")",
    )

    def answer(obs: Observation) -> Answer:
        words, chars = need(obs, "words"), need(obs, "characters")
        letters, vowels = need(obs, "letters"), need(obs, "vowels")
        return Answer(
            f"Printed words={words}, characters={chars}, letters={letters}, vowels={vowels}.",
            f"You asked me to count in “{gist(text, 80)}”:\n\n- words: **{words}**\n"
            f"- characters (with spaces): **{chars}**\n- letters: **{letters}**\n- vowels: **{vowels}**",
        )

    return OneShot(
        "Count words (runs of word characters, keeping contractions together), "
        "characters, letters and vowels of the quoted text.",
        code,
        answer,
    )


# "the letter a", "the character '#'": one character counted in the quoted text.
_LETTER = re.compile(r"\b(?:letter|character|char)\s+[\"'“‘]?([^\s\"'“”‘’])(?:[\"'”’](?!s\b))?(?=[\s?.,!;:]|$)", re.I)
_MANY = re.compile(r"\bhow\s+many\s+([A-Za-z])'?s\b", re.I)  # "how many a's"


def _counted_target(prompt: str, subjects: list[str], low: str) -> str | None:
    """What to count inside the quoted text: a named letter ("how many a's"), or the shorter of two quoted
    pieces when the question asks how often it occurs (not "count the words in 'x' and 'y'")."""
    letter = _LETTER.search(prompt) or _MANY.search(prompt)
    if letter and re.search(r"how many|how often|\bcount|number of|occurrences|appear|occur", low):
        return letter[1]
    shorter, longer = min(subjects, key=len), max(subjects, key=len)
    asks_often = re.search(r"how many times|how often|\bappear|\boccur", low) is not None
    if len(subjects) == 2 and len(shorter) < len(longer) and asks_often:
        return shorter
    return None


def _occurrences(text: str, target: str) -> Skill:
    """How often one letter, word or phrase occurs in the text, ignoring case (a word counts whole words only)."""
    whole_word = len(target) > 1 and re.fullmatch(r"\w+", target) is not None
    found = (
        "len(re.findall(r'\\b' + re.escape(target) + r'\\b', text, flags=re.IGNORECASE))"
        if whole_word
        else "text.lower().count(target.lower())"
    )
    code = lines(
        *(("import re", "") if whole_word else ()),
        f"text = {text!r}",
        f"target = {target!r}",
        f"found = {found}",
        'print(f"RESULT count={found}")',
    )
    kind = "the word" if whole_word else "the letter" if len(target) == 1 and target.isalpha() else ""
    named = f"{kind} “{target}”".strip()
    casing = " (ignoring case)" if target.lower() != target.upper() else ""

    def answer(obs: Observation) -> Answer:
        count = int(need(obs, "count"))
        return Answer(
            f"Printed count={count}.",
            f"{named[0].upper()}{named[1:]} appears **{count}** {'time' if count == 1 else 'times'} "
            f"in “{gist(text, 80)}”{casing}.",
        )

    how = "whole words only, with a regular expression" if whole_word else "str.count on the lowercased text"
    return OneShot(f"Count how often {named} occurs in the quoted text: {how}.", code, answer)


def _sorted(text: str, *, letters: bool) -> Skill:
    if letters:
        expr = "''.join(sorted((c for c in text if c.isalnum()), key=lambda c: (c.lower(), c)))"
        unit = "letters"
    else:
        expr = 'sorted(re.findall(r"\\w+(?:\'\\w+)?", text), key=str.lower)'
        unit = "words"
    code = lines(
        *(() if letters else ("import re", "")),
        f"text = {text!r}",
        f"ordered = {expr}",
        'print(f"RESULT sorted={ordered!r}")',
    )

    def answer(obs: Observation) -> Answer:
        ordered = literal(need(obs, "sorted"))
        shown = ", ".join(ordered) if isinstance(ordered, list) else str(ordered)
        return Answer(
            f"Printed sorted={gist(repr(ordered))}.",
            f"The {unit} of “{gist(text, 80)}” in alphabetical order (ignoring case):\n\n> {shown}",
        )

    how = "letters and digits (spaces and punctuation left out)" if letters else "words (capitals with their lowercase)"
    return OneShot(f"Sort the {how}, alphabetically.", code, answer)


_CASES = (
    ("upper", r"\bupper\s*-?\s*case|\buppercase|\ball\s+caps|\bcapital\s+letters"),
    ("title", r"\btitle\s*-?\s*case|\bcapitali[sz]e\s+(?:each|every|all)\s+(?:the\s+)?words?"),
    ("lower", r"\blower\s*-?\s*case|\blowercase|\bsmall\s+letters"),
)


def _case(low: str) -> str | None:
    return next((method for method, pattern in _CASES if re.search(pattern, low)), None)


def _recased(text: str, method: str) -> Skill:
    code = lines(f"text = {text!r}", f"changed = text.{method}()", 'print(f"RESULT changed={changed!r}")')
    words = {"upper": "upper case", "lower": "lower case", "title": "title case (each word capitalised)"}

    def answer(obs: Observation) -> Answer:
        changed = literal(need(obs, "changed"))
        return Answer(f"Printed changed={gist(repr(changed))}.", f"In {words[method]}:\n\n> {changed}")

    return OneShot(f"Python's str.{method}() gives the text in {words[method]}.", code, answer)
