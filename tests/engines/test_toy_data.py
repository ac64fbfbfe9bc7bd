"""k2nb/engines/toy/data and names.py: data questions read against what exists, never against a guess.

The parser's tests are pure (a Variable as the inspection tools describe it); the rest drive the toy
over the loopback server with k2nb's own tool box, and check each value against pandas here.
"""

from __future__ import annotations

import builtins
import random
import re
from typing import Any

import pytest

from k2nb.engines import ChatServer
from k2nb.engines.toy.data.knowledge import Variable, read_row, read_summary
from k2nb.engines.toy.data.parse import parse
from k2nb.engines.toy.data.request import Request, Unclear
from k2nb.engines.toy.names import guesses, may_name
from k2nb.kernel.prompt_context import context_block
from k2nb.kernel.summaries import list_variables, summarize
from tests.harness.toy import ToolRun, drive_tools, k2nb_tools

pd = pytest.importorskip("pandas")

DF = Variable(
    "df", "pandas.DataFrame", "200×3", ("group", "x", "dose"), True, {"group": "str", "x": "float64", "dose": "int64"}
)
GRADES = Variable(
    "grades", "pandas.DataFrame", "30×3", ("student", "class", "score"), True,
    {"student": "str", "class": "str", "score": "int64"},
)  # fmt: skip


@pytest.mark.parametrize(
    ("prompt", "question"),
    [
        (
            "remove rows where dose is 0 from df and tell me how many are left",
            "how many rows are left in `df` without the rows where `dose` is 0",
        ),
        ("show me the top 3 rows of df sorted by x", "the top 3 rows sorted by `x` (largest first) in `df`"),
        ("the first 4 rows of df sorted by dose", "the bottom 4 rows sorted by `dose` (smallest first) in `df`"),
        ("how many rows does df have?", "how many rows `df` has"),
        ("plot x against dose in df", "a scatter plot of `x` against `dose` in `df`"),
        ("a line plot of x versus dose", "a line plot of `x` against `dose` in `df`"),
        ("histogram of x", "a histogram of `x` (20 bins) in `df`"),
        ("mean x for rows where group is control", "the mean of `x` in the rows of `df` where `group` is 'control'"),
        (
            "what percentage of rows have dose above 2?",
            "what percentage of the rows of `df` are those where `dose` is above 2",
        ),
        ("median and standard deviation of x", "the median and standard deviation of `x` in `df`"),
        ("mean x per group", "the mean of `x` for each `group` in `df`"),
        ("linear regression of x on dose", "a least-squares line of `x` against `dose` (slope, intercept, r²) in `df`"),
        (
            "t-test of x between control and treated",
            "a t-test of `x` between 'control' and 'treated' of `group` in `df`",
        ),
        (
            "difference in mean x between control and treated",
            "the difference in the mean of `x` between 'control' and 'treated' of `group` in `df`",
        ),
        ("x per dose", "`x` per `dose` (total over total) in `df`"),
        ("which row has the highest x?", "the row with the largest `x` in `df`"),
        ("how many distinct groups are there?", "the distinct values of `group` in `df`"),
        ("missing values in df", "the missing values in each column in `df`"),
        ("the 90th percentile of x", "the 90th percentile of `x` in `df`"),
    ],
)
def test_a_question_becomes_the_request_it_asks_for(prompt: str, question: str) -> None:
    request = parse(prompt, DF)
    assert isinstance(request, Request), request
    assert request.question() == question


@pytest.mark.parametrize(
    ("prompt", "variable", "question"),
    [
        ("give me the average score per class", GRADES, "the mean of `score` for each `class` in `grades`"),
        ("which class has the highest average score?", GRADES, "the mean of `score` for each `class` in `grades`"),
        (
            "which class has the lowest mean score?",
            GRADES,
            "the mean of `score` for each `class`, lowest first in `grades`",
        ),
        (
            "how many students are in each class?",
            GRADES,
            "the number of distinct values of `student` for each `class` in `grades`",
        ),
        (
            "what fraction of students scored below 50?",
            GRADES,
            "what percentage of the rows of `grades` are those where `score` is below 50",
        ),
        (
            "how many students got more than 80 in grades?",
            GRADES,
            "how many rows of `grades` there are where `score` is above 80",
        ),
        (
            "show me the students with a score above 90",
            GRADES,
            "how many rows of `grades` there are where `score` is above 90 and the rows themselves",
        ),
        (
            "plot score by class",
            GRADES,
            "the mean of `score` for each `class` and a bar chart of that table in `grades`",
        ),
        (
            "what is the standard deviation of x for the treated group?",
            DF,
            "the standard deviation of `x` in the rows of `df` where `group` is 'treated'",
        ),
        (
            "compare x between control and treated",
            DF,
            "the difference in the mean of `x` between 'control' and 'treated' of `group` in `df`",
        ),
        (
            "how does x relate to dose?",
            DF,
            "the correlation between `x` and `dose` and a scatter plot of `x` against `dose` in `df`",
        ),
        ("mean and max of x grouped by dose", DF, "the mean and maximum of `x` for each `dose` in `df`"),
        ("correlation matrix of df", DF, "the correlations between all numeric columns in `df`"),
    ],
)
def test_free_phrasings_become_the_request_they_ask_for(prompt: str, variable: Variable, question: str) -> None:
    request = parse(prompt, variable)
    assert isinstance(request, Request), request
    assert request.question() == question


@pytest.mark.parametrize(
    ("prompt", "variable", "reason"),
    [
        ("correlation between score and class in `grades`", GRADES, "`class` is not numeric"),
        ("mean of height in df", DF, "`df` has no column named `height`"),
        ("average weight by group", DF, "no column named `weight`"),
        ("merge df with grades", DF, "I can't **merge** yet"),
        ("forecast x for next year", DF, "I can't **forecast** yet"),
        ("what is wrong with df", DF, "I couldn't tell what to compute"),
        ("mean x for the treated patients in the morning", DF, "understand “patients”"),
        ("mean x of the 3 groups", DF, "but not “3”"),  # a number it did not use: not silently dropped
        ("how many rows have more than 3", GRADES, None),  # one numeric column: `score` > 3
        ("how many rows have more than 3", DF, "of which column?"),  # two numeric columns: ask
        ("t-test of score between 7A and 7B", GRADES, None),  # a real request: the code finds the column
    ],
)
def test_what_cannot_be_done_is_said_not_guessed(prompt: str, variable: Variable, reason: str | None) -> None:
    request = parse(prompt, variable)
    if reason is None and "t-test" in prompt:
        assert isinstance(request, Request) and request.ttest and request.ttest.candidates == ("student", "class")
    elif reason is None:
        assert isinstance(request, Request) and request.where and request.where[0].column == "score"
    else:
        assert isinstance(request, Unclear) and reason in request.reason


@pytest.mark.parametrize(
    ("prompt", "named"),
    [
        ("how many rows does df have?", ["df"]),
        ("show me the top 3 rows of df sorted by x", ["df"]),
        ("fix the error in the previous cell", []),
        ("what is the max of the list called sorted", []),  # a builtin, not backticked
        ("mean price by region in `sales`", ["sales"]),
        ("describe the sales DataFrame", ["sales"]),
        ("give me the len of every row", []),
        ("what do the rows have in common", []),
    ],
)
def test_only_plausible_names_are_looked_up(prompt: str, named: list[str]) -> None:
    assert guesses(prompt) == named


def test_an_existing_variable_is_named_only_where_prompts_name_data() -> None:
    assert not may_name("have", "how many rows does df have")  # a verb, even if a variable is called so
    assert not may_name("sorted", "the top rows of df sorted by x")  # a builtin
    assert may_name("sorted", "the mean of `sorted`")  # backticks make anything a name
    assert may_name("data", "the mean x in data")  # a noun, where data is named
    assert not may_name("data", "data is what I have")
    assert may_name("sales", "mean price by region of sales")


def test_knowledge_reads_the_listing_and_the_summaries() -> None:
    frame = pd.DataFrame({"city code": ["a", "b"], "temp": [1.5, 2.0], "n": [1, 2]})
    rows = list_variables({"weather": frame, "values": [1, 2, 3]}).splitlines()
    weather, values = read_row(rows[1]), read_row(rows[0])
    assert weather and weather.frame and weather.columns == ("city code", "temp", "n") and weather.dtypes is None
    assert values and values.sequence and values.size == "len 3"
    wide = read_row(list_variables({"wide": pd.DataFrame({f"c{i}": [i] for i in range(30)})}))
    assert wide and not wide.complete and len(wide.columns or ()) == 20  # the listing cut it: inspect to be sure
    summary = read_summary(summarize("weather", frame))
    assert summary and summary.dtypes == {name: str(dtype) for name, dtype in frame.dtypes.items()}
    assert summary.numeric("temp") and summary.numeric("n") and not summary.numeric("city code")


# -- over the loopback server, with k2nb's tools -----------------------------------------------


def frame(rng: random.Random, rows: int = 60) -> Any:
    return pd.DataFrame(
        {
            "group": [rng.choice(["control", "treated"]) for _ in range(rows)],
            "x": [round(rng.uniform(0, 10), 3) for _ in range(rows)],
            "dose": [rng.choice([0, 1, 2, 5]) for _ in range(rows)],
        }
    )


def calls(run: ToolRun) -> list[str]:
    return [name for name, _ in run.calls]


def printed(run: ToolRun, key: str) -> str:
    code_out = [out for (name, _), out in zip(run.calls, run.outputs, strict=True) if name == "code_interpreter"]
    found = re.findall(rf"^RESULT {re.escape(key)}=(.*)$", code_out[-1], re.M)
    assert found, f"{key!r} not printed: {code_out[-1]}"
    return str(found[-1])


def test_a_column_in_one_frame_picks_that_frame(server: ChatServer, rng: random.Random) -> None:
    df = frame(rng)
    run = drive_tools(server, "what is the median x?", k2nb_tools({"df": df, "other": pd.DataFrame({"y": [1]})}))
    assert calls(run) == ["list_variables", "inspect_variable", "code_interpreter"]  # only the last needs approval
    assert run.calls[1][1] == {"name": "df"}
    assert printed(run, "median[x]") == str(round(df["x"].median(), 4)) and printed(run, "median[x]") in run.answer


def test_a_column_in_several_frames_is_asked_about(server: ChatServer, rng: random.Random) -> None:
    run = drive_tools(server, "what is the median x?", k2nb_tools({"df": frame(rng), "df2": frame(rng)}))
    assert calls(run) == ["list_variables"]  # nothing computed on a guess
    assert "`df`" in run.answer and "`df2`" in run.answer and "Which one" in run.answer


def test_a_column_in_no_frame_is_said_so(server: ChatServer, rng: random.Random) -> None:
    run = drive_tools(server, "mean height in df", k2nb_tools({"df": frame(rng)}))
    assert "code_interpreter" not in calls(run)
    assert "no column named `height`" in run.answer and "`group`, `x`, `dose`" in run.answer


def test_a_named_variable_that_does_not_exist_is_said_so(server: ChatServer, rng: random.Random) -> None:
    run = drive_tools(server, "mean x by group in orders", k2nb_tools({"df": frame(rng)}))
    assert "code_interpreter" not in calls(run)
    assert "no variable named `orders`" in run.answer and "`df` (DataFrame 60×3: group, x, dose)" in run.answer


def test_the_context_block_saves_the_inspection(server: ChatServer, rng: random.Random) -> None:
    df = frame(rng)
    prompt = "mean x by group in df\n\n" + context_block(["df"], {"df": df})
    run = drive_tools(server, prompt, k2nb_tools({"df": df}))
    assert calls(run) == ["code_interpreter"]  # the dtypes came with the prompt
    truth = df.groupby("group")["x"].mean().round(4).sort_values(ascending=False)
    assert printed(run, "top_group") == truth.index[0] and f"**{truth.index[0]}** ({truth.iloc[0]})" in run.answer


def test_the_temporaries_never_overwrite_the_users_variables(server: ChatServer, rng: random.Random) -> None:
    df = frame(rng)
    namespace = {"df": df, "rows": "mine", "data": "mine too", "x": [1, 2], "table": 7}
    run = drive_tools(server, "linear regression of x on dose in df", k2nb_tools(namespace))
    assert printed(run, "slope")
    assert (namespace["rows"], namespace["data"], namespace["x"], namespace["table"]) == ("mine", "mine too", [1, 2], 7)


# Phrasings full of builtin names and common words: each is answered right or declined plainly, and
# only real variables are ever looked up.
BUILTIN_WORDS = [
    ("what is the max dose in df?", lambda df: str(df["dose"].max()), "max[dose]"),
    ("what is the sum of x in df?", lambda df: str(round(df["x"].sum(), 4)), "sum[x]"),
    ("how many rows does df have?", lambda df: str(len(df)), "total_rows"),
    ("list the rows of df where dose is 5 and count them", lambda df: str(int((df["dose"] == 5).sum())), "rows"),
    ("filter df to the rows where x is above 6, how many are there?", lambda df: str(int((df["x"] > 6).sum())), "rows"),
    ("show me the top 3 rows of df sorted by x", lambda df: str(round(df["x"].max(), 4)), "best"),
    ("what's the min of x for each group in df?", lambda df: str(df.groupby("group")["x"].min().max()), "top_value"),
    ("which type of group has the most rows in df?", lambda df: str(df["group"].value_counts().iloc[0]), "top_value"),
    ("what is the range of x in df", lambda df: str(round(df["x"].max() - df["x"].min(), 4)), "range"),  # max − min
    ("what is the zip of x and dose in df", None, None),  # not supported: an honest decline, not a guess
    ("fix the error in the previous cell", None, None),
]


@pytest.mark.parametrize(("prompt", "truth", "key"), BUILTIN_WORDS)
def test_builtin_names_and_common_words_never_become_variables(
    server: ChatServer, rng: random.Random, prompt: str, truth: Any, key: str | None
) -> None:
    df = frame(rng)
    run = drive_tools(server, prompt, k2nb_tools({"df": df, "grades": pd.DataFrame({"score": [1]})}))
    looked_up = {args.get("name") for name, args in run.calls if name == "inspect_variable"}
    assert looked_up <= {"df"}, looked_up
    assert not (looked_up & set(dir(builtins)))
    if truth is None:
        assert "code_interpreter" not in calls(run)
        assert re.search(r"can't|couldn't", run.answer), run.answer
    else:
        assert printed(run, key) == truth(df) and truth(df) in run.answer
        assert run.answer.startswith("You asked for")  # every answer states the question it answered


def test_long_outputs_are_thought_about_briefly(server: ChatServer, rng: random.Random) -> None:
    values = [rng.randint(0, 10**6) for _ in range(3000)]
    run = drive_tools(server, "top 2000 of `big`", k2nb_tools({"big": values}))
    assert len(run.outputs[-1]) > 10_000  # the code printed a long list
    assert max(len(r) for r in run.reasoning) < 1500  # the thinking quotes its head and size
    assert "characters)" in run.reasoning[-1]
