"""The toy engine in a classroom: every lesson family and data question as a `%%k2` cell in a real kernel.

One notebook (one kernel start) holds all the cells. Its data and the lessons' inputs are drawn here
from a seed (printed in every failure), every value the code printed is checked against an
independent computation, and the cases that used to be confidently wrong are each right now or
declined plainly. The last cells hide scipy and ask for a t-test: it must say scipy is needed.
"""

from __future__ import annotations

import html
import math
import random
import re
from typing import Any

import pytest

from tests.harness.kernel import run_notebook

pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")
scipy_stats = pytest.importorskip("scipy.stats")
pytestmark = pytest.mark.kernel

SEED = random.randrange(10**6)
rng = random.Random(SEED)
N = rng.randint(80, 160)
FRAME = {
    "group": [rng.choice(["control", "treated"]) for _ in range(N)],
    "x": [round(rng.gauss(5, 2), 3) for _ in range(N)],
    "dose": [rng.choice([0, 1, 2, 5]) for _ in range(N)],
}
GRADES = {
    "student": [f"S{i:02d}" for i in range(30)],
    "class": [rng.choice(["7A", "7B", "7C"]) for _ in range(30)],
    "score": [rng.randint(35, 100) for _ in range(30)],
}
TO_SORT = rng.sample(range(1, 60), rng.randint(4, 7))
SORTED = sorted(rng.sample(range(1, 200), rng.randint(6, 14)))
TARGET = rng.choice(SORTED)
FACT, FIB = rng.randint(3, 9), rng.randint(4, 9)
GCD = (rng.randint(50, 5000), rng.randint(50, 5000))
ADD_UP = [rng.randint(-30, 30) for _ in range(rng.randint(3, 9))]
WORD = "".join(rng.choice("abcdr") for _ in range(rng.randint(2, 5)))
PALINDROME = WORD + WORD[::-1]
MILES = round(rng.uniform(1, 100), 1)
PART, WHOLE = rng.randint(1, 99), rng.randint(100, 400)
SAMPLE_A = [round(rng.gauss(10, 2), 1) for _ in range(rng.randint(5, 9))]
SAMPLE_B = [round(rng.gauss(12, 2), 1) for _ in range(rng.randint(5, 9))]
POINTS = [(i, round(2 * i + rng.uniform(-1, 1), 2)) for i in range(1, rng.randint(5, 9))]
M = rng.randint(60, 140)
SALES = {  # the lead's probe of prompts the toy had never seen (issue 16's follow-up)
    "region": [rng.choice(["north", "south", "east"]) for _ in range(M)],
    "price": [round(rng.uniform(1, 50), 2) for _ in range(M)],
    "qty": [rng.randint(1, 19) for _ in range(M)],
    "returned": [rng.random() < 0.45 for _ in range(M)],
}
SCORES = [rng.randint(40, 100) for _ in range(rng.randint(5, 10))]
FOUND = rng.choice(SCORES)
BASE, POWER = rng.randint(2, 30), rng.randint(2, 60)

CELLS = {
    # the cases issue 16 found confidently wrong: each right now, or declined plainly
    "remove": "remove rows where dose is 0 from df and tell me how many are left",
    "top3": "show me the top 3 rows of df sorted by x",
    "rows": "how many rows does df have?",
    "previous": "fix the error in the previous cell",
    "against": "plot x against dose in df",
    "corr_text": "correlation between score and class in `grades`",
    # lessons
    "bubble": f"explain step by step how bubble sort works and show it on {TO_SORT}",
    "merge": f"show merge sort on {TO_SORT}",
    "search": f"binary search for {TARGET} in {SORTED}",
    "factorial": f"explain recursion with the factorial of {FACT}",
    "fibonacci": f"show the call tree of recursive fibonacci of {FIB}",
    "gcd": f"gcd of {GCD[0]} and {GCD[1]} step by step with Euclid's algorithm",
    "loop": f"use a loop to add up {ADD_UP}",
    "palindrome": f"is '{PALINDROME}' a palindrome? explain step by step",
    "anagram": f"are '{WORD}ing' and 'gni{WORD[::-1]}' anagrams?",
    "miles": f"convert {MILES} miles to km",
    "percent": f"what percent of {WHOLE} is {PART}",
    "ttest_inline": f"t-test between {SAMPLE_A} and {SAMPLE_B}",
    "fit_inline": "fit a line through " + ", ".join(f"({x}, {y})" for x, y in POINTS),
    # data questions
    "histogram": "histogram of x",
    "group_mean": "What is the mean score by class in `grades`?",
    "ttest_frame": "t-test of x between control and treated in df",
    "regression": "linear regression of x on dose in df, and plot it",
    "share": "what percentage of the rows in df have dose above 1?",
    "filtered_mean": "mean x for rows where group is treated in df",
    "difference": "difference in mean x between control and treated in df",
    "builtin_max": "what is the max dose in df?",
    "builtin_sum": "sum of x in df",
    "builtin_list": "list the rows of df where dose is 5 and count them",
    # free phrasing
    "best_class": "which class has the highest average score?",
    "above": "how many students got more than 80 in grades?",
    "label": "what is the mean score of the 7B students?",
    "unread": "mean x for the treated patients at noon",
    # prompts it had never seen: each right, or declined accurately
    "sort_desc": "sort scores from highest to lowest",
    "percent_pure": f"what percentage is {PART} of {WHOLE}?",
    "fit_columns": "fit a line of qty on price",
    "items": "which region sold the most items in total?",
    "returned_share": "what fraction of sales were returned?",
    "returned_std": "what is the standard deviation of qty for returned sales only?",
    "expensive": "show the 5 most expensive sales",
    "expensive_price": "show me the 3 most expensive sales by price",
    "north_share": "what share of the north sales were returned?",
    "bubble_desc": f"bubble sort {TO_SORT} from highest to lowest, step by step",
    "six": "explain recursion with the factorial of six",
    "typo": "whats the avreage price per region?",
    # lessons on a list the prompt names in the kernel, never the example list
    "named_bubble": "bubble sort the list scores",
    "named_merge": "sort scores with merge sort",
    "named_loop": "explain what a for loop does by summing scores",
    "named_search": f"binary search for {FOUND} in scores",
    "named_column": "bubble sort the score column of grades",
    "named_missing": "insertion sort the list marks",
    # a frame's make-up, a True/False column's two sides, a power in words
    "columns": "what are the columns of sales?",
    "compare_sides": "compare the price of returned and kept sales",
    "power": f"What is {BASE} to the power {POWER}?",
}
LATE = {  # after `df2 = df.copy()`: a column in two frames
    "ambiguous": "what is the median x?",
}
NO_SCIPY = {"ttest_no_scipy": f"t-test between {SAMPLE_A} and {SAMPLE_B}"}
ASK_NEVER = {"one_approval": "mean x by group in df"}


@pytest.fixture(scope="module")
def traces() -> dict[str, str]:
    """Run the notebook once; each cell's trace as text (plain text of the trace, plus its HTML)."""
    setup = (
        f"import pandas as pd\ndf = pd.DataFrame({FRAME!r})\ngrades = pd.DataFrame({GRADES!r})\n"
        f"sales = pd.DataFrame({SALES!r})\nscores = {SCORES!r}"
    )
    cells = [
        "%load_ext k2nb",
        setup,
        *(f"%%k2 --approve auto\n{prompt}" for prompt in CELLS.values()),
        "df2 = df.copy()",
        *(f"%%k2 --approve auto\n{prompt}" for prompt in LATE.values()),
        "del df2",
        *(f"%%k2 --approve never\n{prompt}" for prompt in ASK_NEVER.values()),
        "import sys\nsys.modules['scipy'] = None  # as if scipy were not installed",
        *(f"%%k2 --approve auto\n{prompt}" for prompt in NO_SCIPY.values()),
    ]
    nb = run_notebook(cells, env={"K2NB_PROVIDER": "toy"}, timeout=240)
    names = [*CELLS, "_df2", *LATE, "_del", *ASK_NEVER, "_scipy", *NO_SCIPY]
    out = {}
    for name, cell in zip(names, nb.cells[2:], strict=True):
        plain = "\n".join(str(o.get("data", {}).get("text/plain", "")) + str(o.get("text", "")) for o in cell.outputs)
        html = "\n".join(str(o.get("data", {}).get("text/html", "")) for o in cell.outputs)
        out[name] = plain + "\n" + html
    return out


def printed(trace: str, key: str) -> str:
    found = re.findall(rf"RESULT {re.escape(key)}=(.*)", trace)
    assert found, f"seed {SEED}: {key!r} not printed in:\n{trace[:3000]}"
    return str(found[-1]).strip()


def answer(trace: str) -> str:
    """The whole answer: the plain text shortens a long one, so then it is read back from the HTML."""
    parts = re.split(r"^─{20,}$", trace.split("\n<", maxsplit=1)[0], flags=re.M)
    assert len(parts) >= 3, f"seed {SEED}:\n{trace[:3000]}"
    if "(the full answer is in the HTML output)" not in parts[-2]:
        return parts[-2]
    found = re.findall(r'<div class="k2nb-answer">(.*?)</div>', trace, flags=re.S)
    assert found, f"seed {SEED}: no HTML answer"
    marked = re.sub(r"</?code>", "`", re.sub(r"</?strong>", "**", found[-1]))
    return html.unescape(re.sub(r"<[^>]+>", "", marked))


def tools(trace: str) -> list[str]:
    return re.findall(r"^🔧 (\w+)", trace, flags=re.M)


def inspected(trace: str) -> set[str]:
    return set(re.findall(r"^🔧 inspect_variable.*\n\s+→ (\w+):", trace, flags=re.M))


@pytest.fixture(scope="module")
def df() -> Any:
    return pd.DataFrame(FRAME)


# -- the confidently-wrong cases ---------------------------------------------------------------


def test_removing_rows_counts_what_is_left(traces: dict[str, str], df: Any) -> None:
    left = int((df["dose"] != 0).sum())
    trace = traces["remove"]
    assert printed(trace, "rows") == str(left), SEED
    assert f"**rows left:** {left} of {len(df)}" in answer(trace)
    assert "`df` itself is unchanged" in answer(trace)


def test_top_rows_sorted_by_a_column(traces: dict[str, str], df: Any) -> None:
    trace = traces["top3"]
    assert "sorted" not in inspected(trace)
    assert printed(trace, "best") == str(round(df["x"].max(), 4)), SEED
    top = df.nlargest(3, "x")
    block = answer(trace).split("```text")[1]
    assert [int(line.split()[0]) for line in block.strip().splitlines()[1:4]] == list(top.index)


def test_how_many_rows(traces: dict[str, str], df: Any) -> None:
    trace = traces["rows"]
    assert inspected(trace) == {"df"}  # not "have"
    assert f"**rows:** {len(df)}" in answer(trace)


def test_the_previous_cell_is_read_not_looked_up_as_a_variable(traces: dict[str, str]) -> None:
    trace = traces["previous"]
    # the notebook tools read the cell (issue 13); "previous" is never a variable
    assert tools(trace)[:1] == ["read_cell"] and "previous" not in inspected(trace)
    assert "no variable named" not in answer(trace)


def test_x_against_dose_is_a_scatter_of_x_over_dose(traces: dict[str, str], df: Any) -> None:
    trace = traces["against"]
    assert "ax.scatter(rows['dose'], rows['x']" in trace
    assert printed(trace, "x_range") == f"{df['dose'].min():.4g} to {df['dose'].max():.4g}"
    assert '<img src="data:image/png;base64,' in trace
    assert "`dose` on the horizontal axis" in answer(trace)


def test_a_correlation_with_a_text_column_is_declined(traces: dict[str, str]) -> None:
    trace = traces["corr_text"]
    assert "code_interpreter" not in tools(trace)
    assert "`class` is not numeric" in answer(trace) and "mean score by class" in answer(trace)


# -- lessons ---------------------------------------------------------------------------------


def test_bubble_sort_pass_by_pass(traces: dict[str, str]) -> None:
    trace = traces["bubble"]
    assert printed(trace, "sorted") == str(sorted(TO_SORT)), SEED
    passes = re.findall(r"\*\*After pass (\d+): (\[.*?\])\*\*", answer(trace))
    assert passes and passes[-1][1] == str(sorted(TO_SORT))
    count = printed(trace, "passes")
    assert f"after {count} {'pass' if count == '1' else 'passes'}," in answer(trace)


def test_merge_sort_splits_and_merges(traces: dict[str, str]) -> None:
    trace = traces["merge"]
    assert printed(trace, "sorted") == str(sorted(TO_SORT)) and printed(trace, "correct") == "True"
    assert answer(trace).count("merge [") == len(TO_SORT) - 1  # n − 1 merges build the list back


def test_binary_search(traces: dict[str, str]) -> None:
    trace = traces["search"]
    assert printed(trace, "binary_found") == str(SORTED.index(TARGET)), SEED
    assert int(printed(trace, "binary_steps")) <= math.floor(math.log2(len(SORTED))) + 1


def test_recursion(traces: dict[str, str]) -> None:
    assert printed(traces["factorial"], "value") == str(math.factorial(FACT))
    assert f"factorial({FACT}) = **{math.factorial(FACT)}**" in answer(traces["factorial"])
    fibs = [0, 1]
    while len(fibs) <= FIB + 1:
        fibs.append(fibs[-1] + fibs[-2])
    assert printed(traces["fibonacci"], "value") == str(fibs[FIB])
    assert printed(traces["fibonacci"], "calls") == str(2 * fibs[FIB + 1] - 1)
    assert printed(traces["gcd"], "value") == str(math.gcd(*GCD)) and f"= **{math.gcd(*GCD)}**" in answer(traces["gcd"])


def test_loop_and_accumulator(traces: dict[str, str]) -> None:
    assert printed(traces["loop"], "result") == str(sum(ADD_UP)) and f"**{sum(ADD_UP)}**" in answer(traces["loop"])


def test_string_algorithms(traces: dict[str, str]) -> None:
    assert printed(traces["palindrome"], "palindrome") == "True" and "**Result:** yes" in answer(traces["palindrome"])
    assert printed(traces["anagram"], "anagram") == "True"


def test_units_and_percentages(traces: dict[str, str]) -> None:
    km = f"{MILES * 1.609344:.6g}"
    assert printed(traces["miles"], "result") == km and f"**{km} km**" in answer(traces["miles"])
    share = f"{PART / WHOLE * 100:.6g}"
    assert printed(traces["percent"], "result") == share and f"**{share}%**" in answer(traces["percent"])


def test_t_test_and_fit_on_numbers_in_the_prompt(traces: dict[str, str]) -> None:
    welch = scipy_stats.ttest_ind(SAMPLE_A, SAMPLE_B, equal_var=False)
    trace = traces["ttest_inline"]
    assert printed(trace, "t") == f"{welch.statistic:.4f}" and printed(trace, "p") == f"{welch.pvalue:.4g}", SEED
    xs, ys = zip(*POINTS, strict=True)
    slope, intercept = np.polyfit(xs, ys, 1)
    trace = traces["fit_inline"]
    assert (printed(trace, "slope"), printed(trace, "intercept")) == (f"{slope:.4f}", f"{intercept:.4f}")


# -- data questions --------------------------------------------------------------------------


def test_a_histogram_of_a_column_when_the_frame_is_not_named(traces: dict[str, str], df: Any) -> None:
    trace = traces["histogram"]
    assert tools(trace) == ["list_variables", "inspect_variable", "code_interpreter"]
    counts, edges = np.histogram(df["x"], bins=20)
    peak = counts.argmax()
    assert printed(trace, "peak[x]") == f"{edges[peak]:.4g} to {edges[peak + 1]:.4g} ({counts[peak]} rows)"
    assert printed(trace, "peak[x]") in answer(trace)


def test_group_means_cost_one_code_call(traces: dict[str, str]) -> None:
    trace = traces["group_mean"]
    assert tools(trace) == ["inspect_variable", "code_interpreter"]
    truth = pd.DataFrame(GRADES).groupby("class")["score"].mean().round(4).sort_values(ascending=False)
    assert f"**{truth.index[0]}** ({truth.iloc[0]})" in answer(trace)


def test_a_t_test_on_the_frame(traces: dict[str, str], df: Any) -> None:
    a = df.loc[df["group"] == "control", "x"]
    b = df.loc[df["group"] == "treated", "x"]
    welch = scipy_stats.ttest_ind(a, b, equal_var=False)
    trace = traces["ttest_frame"]
    assert printed(trace, "t") == f"{welch.statistic:.4f}" and printed(trace, "p") == f"{welch.pvalue:.4g}", SEED
    assert f"**t = {printed(trace, 't')}**" in answer(trace)


def test_a_regression_with_its_plot(traces: dict[str, str], df: Any) -> None:
    slope, intercept = np.polyfit(df["dose"], df["x"], 1)
    trace = traces["regression"]
    assert printed(trace, "slope") == f"{slope:.4f}" and printed(trace, "intercept") == f"{intercept:.4f}"
    r2 = np.corrcoef(df["dose"], df["x"])[0, 1] ** 2
    assert f"**r² = {r2:.4f}**" in answer(trace) and '<img src="data:image/png;base64,' in trace


def test_filters_shares_and_differences(traces: dict[str, str], df: Any) -> None:
    share = round(100 * (df["dose"] > 1).sum() / len(df), 2)
    assert printed(traces["share"], "share") == str(share) and f"{share}%" in answer(traces["share"])
    treated = round(df.loc[df["group"] == "treated", "x"].mean(), 4)
    assert f"**mean of `x`:** {treated}" in answer(traces["filtered_mean"])
    means = df.groupby("group")["x"].mean()
    assert printed(traces["difference"], "difference") == str(round(means["control"] - means["treated"], 4))


def test_builtin_names_in_the_prompt_are_words(traces: dict[str, str], df: Any) -> None:
    for name in ("builtin_max", "builtin_sum", "builtin_list"):
        assert inspected(traces[name]) <= {"df"}, (name, SEED)
    assert printed(traces["builtin_max"], "max[dose]") == str(df["dose"].max())
    assert printed(traces["builtin_sum"], "sum[x]") == str(round(df["x"].sum(), 4))
    assert printed(traces["builtin_list"], "rows") == str(int((df["dose"] == 5).sum()))


def test_free_phrasing(traces: dict[str, str]) -> None:
    grades = pd.DataFrame(GRADES)
    means = grades.groupby("class")["score"].mean().round(4).sort_values(ascending=False)
    assert f"highest: **{means.index[0]}** ({means.iloc[0]})" in answer(traces["best_class"]), SEED
    assert f"**matching rows:** {int((grades['score'] > 80).sum())} of 30" in answer(traces["above"])
    # "7B students": the label is not a student; the code finds the column that holds it, and says so
    trace = traces["label"]
    assert printed(trace, "where[0]") == "class" and "where `class` is '7B'" in answer(trace)
    truth = round(grades.loc[grades["class"] == "7B", "score"].mean(), 4)
    assert f"**mean of `score`:** {truth}" in answer(trace)
    # words it did not understand: named, and nothing computed
    assert "code_interpreter" not in tools(traces["unread"]) and "“patients”" in answer(traces["unread"])


def test_a_column_in_two_frames_is_asked_about(traces: dict[str, str]) -> None:
    trace = traces["ambiguous"]
    assert tools(trace) == ["list_variables"]
    assert "`df`" in answer(trace) and "`df2`" in answer(trace) and "Which one" in answer(trace)


def test_a_data_question_asks_for_one_approval(traces: dict[str, str]) -> None:
    trace = traces["one_approval"]
    # --approve never: the read-only inspection runs, the one code call is declined, nothing is made up
    assert tools(trace) == ["inspect_variable", "code_interpreter"]
    assert "declined" in trace and not re.search(r"→ RESULT|^\s*RESULT top_group=", trace, re.M)  # nothing ran
    assert "I didn't run anything" in answer(trace)


def test_without_scipy_the_p_value_is_said_to_need_it(traces: dict[str, str]) -> None:
    trace = traces["ttest_no_scipy"]
    assert printed(trace, "p") == "needs scipy" and "`%pip install scipy`" in answer(trace)
    welch = scipy_stats.ttest_ind(SAMPLE_A, SAMPLE_B, equal_var=False)
    assert printed(trace, "t") == f"{welch.statistic:.4f}"


# -- prompts it had never seen (the lead's probe): right, or declined accurately ----------------------


@pytest.fixture(scope="module")
def sales() -> Any:
    return pd.DataFrame(SALES)


def test_a_sort_honours_its_direction(traces: dict[str, str]) -> None:
    assert printed(traces["sort_desc"], "sorted") == str(sorted(SCORES, reverse=True)), SEED
    assert "largest first" in answer(traces["sort_desc"])
    trace = traces["bubble_desc"]
    assert printed(trace, "sorted") == str(sorted(TO_SORT, reverse=True)) and printed(trace, "correct") == "True"


def test_a_percentage_of_two_numbers_needs_no_data(traces: dict[str, str]) -> None:
    trace = traces["percent_pure"]
    assert tools(trace) == ["code_interpreter"]  # no data looked up
    assert printed(trace, "result") == f"{PART / WHOLE * 100:.6g}"


def test_a_fit_finds_its_frame_by_the_columns(traces: dict[str, str], sales: Any) -> None:
    trace = traces["fit_columns"]
    slope, intercept = np.polyfit(sales["price"], sales["qty"], 1)
    assert (printed(trace, "slope"), printed(trace, "intercept")) == (f"{slope:.4f}", f"{intercept:.4f}"), SEED


def test_true_false_columns_are_conditions(traces: dict[str, str], sales: Any) -> None:
    returned = sales["returned"]
    assert printed(traces["returned_share"], "share") == str(round(100 * returned.sum() / len(sales), 2)), SEED
    assert printed(traces["returned_std"], "std[qty]") == str(round(sales.loc[returned, "qty"].std(), 4))
    north = sales[sales["region"] == "north"]
    assert printed(traces["north_share"], "share") == str(round(100 * north["returned"].mean(), 2))
    assert f"of the {len(north)} where `region` is 'north'" in answer(traces["north_share"])


def test_a_word_with_no_column_is_declined_accurately(traces: dict[str, str]) -> None:
    for name, word in (("items", "items"), ("expensive", "expensive")):
        trace = traces[name]
        assert "code_interpreter" not in tools(trace), name
        text = answer(trace)
        assert f"“{word}”" in text and "`price`, `qty`" in text and "no numeric column" not in text
    truth = pd.DataFrame(SALES).nlargest(3, "price")
    assert printed(traces["expensive_price"], "best") == str(truth["price"].iloc[0])


def test_numbers_in_words_and_a_misspelling(traces: dict[str, str], sales: Any) -> None:
    assert printed(traces["six"], "value") == "720" and "factorial(6)" in answer(traces["six"])
    truth = sales.groupby("region")["price"].mean().round(4).sort_values(ascending=False)
    trace = traces["typo"]
    assert f"**{truth.index[0]}** ({truth.iloc[0]})" in answer(trace)
    assert "I read “avreage” as “average”" in answer(trace)


def test_lessons_run_on_the_kernel_list_they_name(traces: dict[str, str]) -> None:
    for name in ("named_bubble", "named_merge"):
        trace = traces[name]
        assert tools(trace)[0] == "list_variables", (SEED, name)
        assert printed(trace, "sorted") == str(sorted(SCORES)) and printed(trace, "correct") == "True"
        assert f"your list `scores`, whose values are {SCORES}" in answer(trace)
        assert "[5, 2, 9, 1, 7]" not in trace
    assert printed(traces["named_loop"], "result") == str(sum(SCORES)), SEED
    found = int(printed(traces["named_search"], "binary_found"))  # scores may repeat: any position holding it
    assert sorted(SCORES)[found] == FOUND, SEED
    column = traces["named_column"]  # 30 scores: the first 16, and the answer says so
    assert printed(column, "sorted") == str(sorted(GRADES["score"][:16])) and printed(column, "size") == "30"
    assert "the `score` column of `grades` (the first 16 of its 30 values" in answer(column)
    missing = answer(traces["named_missing"])
    assert "no variable named `marks`" in missing and "`scores` (list" in missing
    assert "code_interpreter" not in tools(traces["named_missing"])


def test_columns_sides_and_powers_in_words(traces: dict[str, str], sales: Any) -> None:
    text = answer(traces["columns"])
    assert f"{len(sales)} rows × 4 columns" in text, SEED
    assert all(column in text for column in sales.columns)
    means = sales.groupby("returned")["price"].mean().round(4)
    assert all(str(v) in answer(traces["compare_sides"]) for v in means)
    assert printed(traces["power"], "value") == str(BASE**POWER)
