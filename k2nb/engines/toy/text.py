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
