"""Routing and policy: which skill, deliberate bugs and their fixes, errors, declines, the engine."""

from __future__ import annotations

import difflib
import json
import keyword
import re
from dataclasses import replace
from typing import Any

from ..wire import ToolCallSpec, Turn
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
    Unreadable,
    assigned_names,
    gist,
    lines,
    literal,
    need,
    read_conversation,
)
from .notebook import strip_note
from .parsing import shorten
from .routes import route
from .shell import as_code_calls, shell_tool, through_shell
from .tools import BUILTIN_READERS, INSPECT_TOOL, ToolSkill
from .vision import look
from .wording import corrected, digits_for_words, read_as_note


def _typo(name: str) -> str:
    if name.endswith("es"):
        return name[:-2] + "s"
    return name[:-1] if name.endswith("s") and len(name) > 2 else name + "s"


def inject_bug(step: CodeStep, task: Task) -> CodeStep | None:
    """The self-correction demo: the same code with one realistic mistake in a RESULT line."""
    assigned = set(assigned_names(step.code))
    out = step.code.splitlines()
    found = _concat_bug(out, assigned) if task.wants_type_error else None
    found = found or _typo_bug(out, assigned)
    if found is None:
        return None
    index, line, why = found
    out[index] = line
    return CodeStep(
        step.thought + "\n\nYou asked me to demonstrate a mistake and its fix, so this "
        f"first version contains a deliberate bug ({why}). I'll read the traceback "
        "and correct it.",
        lines(*out),
    )


def _concat_bug(out: list[str], assigned: set[str]) -> tuple[int, str, str] | None:
    for i, line in enumerate(out):
        simple = re.search(r"print\(f\"(RESULT [^\"{]*)\{([A-Za-z_]\w*)\}\"\)", line)
        if simple and simple[2] in assigned:
            return (
                i,
                line.replace(simple[0], f'print("{simple[1]}" + {simple[2]})'),
                (
                    "concatenating the label and the value with + instead of formatting, which "
                    "Python refuses for a str and a number"
                ),
            )
    return None


def _typo_bug(out: list[str], assigned: set[str]) -> tuple[int, str, str] | None:
    for i, line in enumerate(out):
        if "RESULT" not in line:
            continue
        for inner in re.findall(r"\{([^{}]*)\}", line):
            for name in re.findall(r"\b[A-Za-z_]\w*\b", inner):
                wrong = _typo(name)
                if name in assigned and len(name) >= 3 and wrong not in assigned and not keyword.iskeyword(wrong):
                    fixed = "{" + re.sub(rf"\b{name}\b", wrong, inner, count=1) + "}"
                    return (
                        i,
                        line.replace("{" + inner + "}", fixed, 1),
                        (f"writing `{wrong}` where the variable is called `{name}`"),
                    )
    return None


def fix_name_error(failed: Observation, skill: Skill) -> CodeStep | None:
    err = failed.error
    assert err is not None
    m = re.search(r"name '(\w+)' is not defined", err.message)
    if err.kind != "NameError" or not m or m[1] == skill.kernel_var:
        return None
    wrong = m[1]
    close = difflib.get_close_matches(wrong, assigned_names(failed.code), n=1, cutoff=0.6)
    if not close:
        return None
    fixed = re.sub(rf"\b{re.escape(wrong)}\b", close[0], failed.code)
    return CodeStep(
        f"The traceback ends with `{err.line}`. Looking at my code, the variable I "
        f"assigned is `{close[0]}`, but I referred to it as `{wrong}` — a typo. "
        f"Renaming `{wrong}` to `{close[0]}` fixes it; everything else was fine, so "
        "I'll rerun the corrected code.",
        fixed,
    )


def fix_concatenation(failed: Observation) -> CodeStep | None:
    err = failed.error
    assert err is not None
    if err.kind != "TypeError" or "concatenate" not in err.message:
        return None
    pattern = re.compile(r"print\(\"(RESULT [^\"]*)\" \+ ([A-Za-z_]\w*)\)")
    if not pattern.search(failed.code):
        return None
    fixed = pattern.sub(lambda m: f'print(f"{m[1]}{{{m[2]}}}")', failed.code)
    return CodeStep(
        f"The traceback says `{err.line}`: I joined a string and a number with `+`. "
        "An f-string formats the number instead; I'll switch to that and rerun.",
        fixed,
    )


def list_variables_step(name: str, err: ErrorInfo) -> CodeStep:
    code = lines(
        "candidates = {",
        "    name: type(value).__name__",
        "    for name, value in globals().items()",
        '    if not name.startswith("_") and name not in ("In", "Out")',
        '    and (hasattr(value, "shape") or isinstance(value, (list, tuple, dict, set)))',
        "}",
        f'print(f"RESULT missing={name!r}")',
        'print(f"RESULT kernel_variables={sorted(candidates.items())[:30]}")',
    )
    return CodeStep(
        f"`{err.line}`: there is no `{name}` in the kernel. Before answering I'll look "
        "for data-like variables that do exist, so I can suggest the right name.",
        code,
    )


def missing_variable_answer(obs: Observation) -> Answer:
    name = literal(need(obs, "missing"))
    found = literal(need(obs, "kernel_variables"))
    if isinstance(found, list) and found:
        listing = ", ".join(f"`{n}` ({t})" for n, t in found)
        hint = f"Data-like variables in the kernel: {listing}. Did you mean one of those?"
    else:
        hint = "I found no DataFrames or lists in the kernel; create or load the data first."
    return Answer(
        f"The listing printed {gist(str(found))}. `{name}` does not exist; I'll say so and offer the alternatives.",
        f"There is no variable named `{name}` in your kernel (`NameError`).\n\n{hint}",
    )


def missing_tool_variable_answer(failed: Observation) -> Answer:
    """``inspect_variable`` found no such variable: its message lists the ones that exist."""
    name = failed.arguments.get("name", "?")
    m = re.search(r"Variables: (.*?)\.?$", failed.output.strip())
    known = [v.strip() for v in m[1].split(",")] if m and m[1] != "(none)" else []
    hint = (
        f"The variables in your kernel: {', '.join(f'`{v}`' for v in known)}. Did you mean one of those?"
        if known
        else "Your kernel has no variables yet; create or load the data first."
    )
    return Answer(
        f"`inspect_variable` says: {failed.output.strip()} I'll say so and offer the names it listed.",
        f"There is no variable named `{name}` in your kernel (`inspect_variable` found none).\n\n{hint}",
    )


def explain_error(failed: Observation, gave_up: bool) -> Answer:
    err = failed.error
    assert err is not None
    advice = {
        "ModuleNotFoundError": "The package is not installed in this kernel; install it with "
        "`%pip install <package>` and ask again.",
        "KeyError": "A column or key I used does not exist; check the names and ask again with the exact column name.",
        "ZeroDivisionError": "The inputs lead to a division by zero, so there is no value to report.",
        "MemoryError": "The computation needs more memory than the kernel has; try a smaller range.",
        "KeyboardInterrupt": "The code was interrupted (it ran too long or was stopped); try a smaller "
        "input or a longer timeout.",
    }.get(err.kind, "Rephrase the request or adjust the inputs and ask again.")
    tried = (
        "My corrected attempt failed too, so I'm stopping here rather than guessing."
        if gave_up
        else "I don't see a safe automatic fix for this one."
    )
    return Answer(
        f"The code failed with `{err.line}`. {tried}", f"I couldn't finish: the code raised `{err.line}`.\n\n{advice}"
    )


def decline_answer(failed: Observation) -> Answer:
    return Answer(
        "The code_interpreter call was declined, so nothing ran and I have no result. "
        "I must not make up numbers; I'll explain how to let it run.",
        "I didn't run anything — the `code_interpreter` call was **declined**, so I have "
        "no result to report, and I won't guess one.\n\nTo let me compute it, ask again and "
        "choose **run** (or **always**) when k2nb asks, or run the cell with `%%k2 --approve auto`. "
        "This is the code I wanted to run:\n\n```python\n" + failed.code + "\n```",
    )


def unreadable_answer(obs: Observation, key: str) -> Answer:
    return Answer(
        f"The code ran but I can't find `{key}` in its output; I won't invent a value.",
        f"The code ran, but its output did not contain the value I needed (`{key}`), "
        "so I can't give a reliable answer. This is what it printed:\n\n```text\n"
        + shorten(obs.output.strip(), 1500)
        + "\n```",
    )


def fallback_answer(task: Task) -> Answer:
    return Answer(
        "This request doesn't match anything the toy engine can do with code (it routes by "
        "keywords: numbers, lessons, questions about the kernel's data, plots, quoted text, Monte Carlo). "
        "Better to say so plainly and show what works than to call a tool pointlessly.",
        "I'm the k2nb **toy engine**, a small offline stand-in for Kimi K2 Thinking, and I "
        "couldn't match that request to one of my skills.\n\n"
        + _EXAMPLES
        + "\n\nConnect a real K2 endpoint for open-ended questions.",
    )


_EXAMPLES = """Things I can do (each runs real Python in your kernel; `%k2 help toy` has the full list):
- *How many numbers from 1 to 1000 have a prime digit sum?*
- *How many primes are there below 10000?* · *Factorize 360* · *gcd of 84 and 126*
- *What is the 100th Fibonacci number?* · *What is 2**200 - 1?* · *sum of squares from 1 to 100*
- *Mean price by region in `sales`* · *top 3 rows of df sorted by x* · *plot x against dose in df*
- *Explain bubble sort on [5, 3, 1]* · *binary search for 7 in [1, 3, 5, 7, 9]* · *factorial of 5 with recursion*
- *Use a loop to add up [3, 5, 8]* · *are 'listen' and 'silent' anagrams?* · *convert 5 miles to km*
- *t-test between [5.1, 4.9, 6.2] and [7.0, 6.8, 7.4]* · *fit a line through (1, 2), (2, 4), (3, 5)*
- *Plot sin(x) and cos(x) from 0 to 10*
- *Count the words in "the quick brown fox"* · *Is "racecar" a palindrome?*
- *Estimate pi with Monte Carlo, 100000 points, seed 7*
- *What variables do I have?* · *Use `my_tool` on price* (calls your `@k2nb.tool` function, named in backticks)
- Add *"make a mistake and self-correct"* to see a bug fixed from its traceback."""


_GREETING = re.compile(
    r"\s*(?:hi|hello|hey|hallo|good (?:morning|afternoon|evening)|yo|"
    r"greetings|help|what can you do)\b[\s!?.,\w]{0,20}"
)


def decide(task: Task | None, observations: list[Observation], *, tools_ok: bool) -> Action:
    """The next action for this conversation: the whole policy of the engine."""
    if task is None or not task.text or _GREETING.fullmatch(task.low):
        return Answer(
            "A greeting, no task yet: introduce myself and show what I can do.",
            "Hi! I'm the k2nb toy engine, an offline stand-in for Kimi K2 Thinking. " + _EXAMPLES,
        )
    skill = route(task)
    if skill is None:  # a misspelt request word ("avreage"): read as the word it is closest to, and say so
        fixed, fixes = corrected(task.text)
        if fixes and (skill := route(replace(task, text=fixed))) is not None:
            task = replace(task, text=fixed, read_as=fixes)
    if skill is None and task.named_tools():  # e.g. "use `inspect_variable` on sales"
        skill = ToolSkill(task, task.named_tools()[0])
    if skill is None and task.self_correct:
        skill = route(Task("sum of the squares from 1 to 100"))
    if skill is None:
        return fallback_answer(task)
    if not tools_ok and skill.needs_code:
        return Answer(
            "I would need to run code for this, but no code_interpreter tool is available in this request.",
            "I need the `code_interpreter` tool to answer this, and it isn't enabled for this request.",
        )

    def knowledge(o: Observation) -> bool:  # what an inspection tool said, failures included
        return skill.learns and o.tool in BUILTIN_READERS

    if observations:
        last = observations[-1]
        if last.declined and not skill.handles_errors:
            return decline_answer(last)
        if last.error is not None and not skill.handles_errors and not knowledge(last):
            return _recover(skill, observations)
    done = [o for o in observations if skill.handles_errors or knowledge(o) or (o.error is None and not o.declined)]
    if done and "kernel_variables" in done[-1].results:
        try:
            return missing_variable_answer(done[-1])
        except Unreadable as exc:
            return unreadable_answer(done[-1], str(exc))
    try:
        action = skill.next(done)
    except Unreadable as exc:
        return unreadable_answer(done[-1], str(exc))
    errors = [o.error for o in observations if o.error is not None and not knowledge(o)]
    if isinstance(action, CodeStep) and task.self_correct and not errors:
        action = inject_bug(action, task) or action
    fixes = task.read_as + skill.read_as
    if isinstance(action, Answer) and fixes:
        action = Answer(action.thought, f"{action.text}\n\n{read_as_note(fixes)}")
    if isinstance(action, Answer) and errors and not skill.handles_errors:
        note = (
            f"As you asked, my first attempt contained a deliberate bug: it failed with "
            f"`{errors[0].line}`, and I fixed it from the traceback and reran it."
            if task.self_correct
            else f"My first attempt failed with `{errors[0].line}`; I fixed the code and reran it."
        )
        action = Answer(action.thought, f"{action.text}\n\n*({note})*")
    return action


def _recover(skill: Skill, observations: list[Observation]) -> Action:
    failed = observations[-1]
    err = failed.error
    assert err is not None
    if failed.tool == INSPECT_TOOL and "no user variable named" in failed.output:
        return missing_tool_variable_answer(failed)
    if len(observations) >= 2 and observations[-2].error is not None:
        return explain_error(failed, gave_up=True)
    if err.kind == "NameError" and skill.kernel_var and f"'{skill.kernel_var}'" in err.message:
        return list_variables_step(skill.kernel_var, err)
    done = [o for o in observations if o.error is None and not o.declined]
    step = fix_name_error(failed, skill) or fix_concatenation(failed) or skill.repair(failed, done)
    return step or explain_error(failed, gave_up=False)


def tools_available(request: dict[str, Any]) -> bool:
    if request.get("tool_choice") == "none":
        return False
    names = {(t.get("function") or {}).get("name") for t in request.get("tools") or [] if isinstance(t, dict)}
    return TOOL_NAME in names


def declared_tools(request: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The function tools of the request, name → parameters schema (none with ``tool_choice: none``)."""
    if request.get("tool_choice") == "none":
        return {}
    found: dict[str, dict[str, Any]] = {}
    for t in request.get("tools") or []:
        function = (t.get("function") or {}) if isinstance(t, dict) and t.get("type") == "function" else {}
        if isinstance(function.get("name"), str):
            params = function.get("parameters")
            found[function["name"]] = params if isinstance(params, dict) else {}
    return found


def to_turn(action: Action) -> Turn:
    if isinstance(action, Answer):
        return Turn(reasoning=action.thought, content=action.text)
    if isinstance(action, ToolStep):
        arguments = json.dumps(action.arguments, ensure_ascii=False)
        return Turn(reasoning=action.thought, tool_calls=(ToolCallSpec(action.name, arguments),))
    arguments = json.dumps({"code": action.code}, ensure_ascii=False)
    return Turn(reasoning=action.thought, tool_calls=(ToolCallSpec(TOOL_NAME, arguments),))


class ToyEngine:
    """A responder: decides the next turn from the request's messages alone."""

    def __call__(self, request: dict[str, Any]) -> Turn:
        messages, tools = request.get("messages") or [], declared_tools(request)
        shell = shell_tool(tools)  # a client without code_interpreter: the Python goes through its shell tool
        if shell is not None:
            messages = as_code_calls(messages, shell)
        task, observations = read_conversation(messages, tools)
        if task is not None:  # k2nb's notes (the notebook, the error to fix) are not the task's words
            words = strip_note(task.text)
            task = replace(task, text=digits_for_words(words), notes=task.text[len(words) :].strip())
        action = decide(task, observations, tools_ok=tools_available(request) or shell is not None)
        turn = to_turn(look(action, messages))  # a vision model's request carries the figures: quote them
        return through_shell(turn, shell) if shell is not None else turn
