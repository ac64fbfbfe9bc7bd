"""k2nb/engines/toy.py: the toy engine driven through the loopback server by a tiny agent loop.

The loop calls the API (streaming, with the strict Moonshot history rule), runs the requested code
with ``exec`` capturing stdout (or the traceback) into the tool message, and feeds it back. Inputs
are chosen by the test; answers must quote what the code printed, and the printed values are
checked against an independent computation.
"""

from __future__ import annotations

import calendar
import json
import math
import random
import re
import statistics
import types
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from k2nb.engines import ChatServer, ToyEngine, toy_help
from k2nb.engines.toy import observe
from k2nb.engines.wire import Dialect
from tests.harness.toy import declined, drive, drive_tools, k2nb_tools

pd = pytest.importorskip("pandas")
matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")


def digit_sum(n: int) -> int:
    return sum(int(d) for d in str(n))


def is_prime(n: int) -> bool:
    return n >= 2 and all(n % p for p in range(2, math.isqrt(n) + 1))


# -- number families ---------------------------------------------------------------------------


def test_quickstart_digit_sum(server: ChatServer) -> None:
    run = drive(server, "numbers 1..1000 whose digit sum is prime, how many")
    count = run.printed("count")
    assert count == str(sum(is_prime(digit_sum(n)) for n in range(1, 1001)))
    assert f"**{count}**" in run.answer
    assert len(run.codes) == 1
    assert "digit" in run.reasoning[0] and "prime" in run.reasoning[0]


@pytest.mark.parametrize(
    "template",
    [
        "How many numbers from 1 to {n} have a digit sum that is prime?",
        "How many integers between 1 and {n} have a digit sum divisible by {k}?",
        "count the numbers below {n} whose sum of digits equals {k}",
    ],
)
def test_digit_sum_other_ranges(server: ChatServer, rng: random.Random, template: str) -> None:
    n, k = rng.randint(200, 5000), rng.randint(3, 9)
    run = drive(server, template.format(n=n, k=k))
    numbers = range(1, n) if "below" in template else range(1, n + 1)
    if "prime" in template:
        expected = sum(is_prime(digit_sum(i)) for i in numbers)
    elif "divisible" in template:
        expected = sum(digit_sum(i) % k == 0 for i in numbers)
    else:
        expected = sum(digit_sum(i) == k for i in numbers)
    assert run.printed("count") == str(expected)
    assert str(expected) in run.answer


def test_primes(server: ChatServer, rng: random.Random) -> None:
    n = rng.randint(1000, 50000)
    run = drive(server, f"How many primes are there below {n}?")
    assert run.printed("count") == str(sum(is_prime(i) for i in range(n)))
    assert run.printed("count") in run.answer

    lo, hi = sorted(rng.sample(range(10, 400), 2))
    run = drive(server, f"list the primes between {lo} and {hi}")
    assert run.printed("primes") == str([i for i in range(lo, hi + 1) if is_prime(i)])

    k = rng.randint(10, 300)
    run = drive(server, f"what is the {k}th prime?")
    assert run.printed("nth") == str([i for i in range(2, 10**5) if is_prime(i)][k - 1])
    assert run.printed("nth") in run.answer

    composite = rng.randint(10, 99) * rng.randint(10, 99)
    run = drive(server, f"Is {composite} a prime number?")
    assert "not prime" in run.answer and run.printed("divisor") in run.answer

    run = drive(server, f"prime factors of {composite}")
    factors = json.loads(run.printed("factors"))
    assert math.prod(factors) == composite and " × ".join(map(str, factors)) in run.answer


def test_gcd_fibonacci_factorial(server: ChatServer, rng: random.Random) -> None:
    a, b = rng.randint(100, 10**6), rng.randint(100, 10**6)
    run = drive(server, f"gcd and lcm of {a} and {b}")
    assert run.printed("gcd") == str(math.gcd(a, b)) and run.printed("lcm") == str(math.lcm(a, b))
    assert run.printed("gcd") in run.answer and run.printed("lcm") in run.answer

    k = rng.randint(50, 150)
    run = drive(server, f"What is the {k}th Fibonacci number?")
    x, y = 0, 1
    for _ in range(k):
        x, y = y, x + y
    assert run.printed("fib") == str(x) and str(x) in run.answer

    m = rng.randint(100, 900)
    run = drive(server, f"how many digits does {m}! have")
    assert run.printed("digits") == str(len(str(math.factorial(m))))
    assert f"**{run.printed('digits')}**" in run.answer

    small = rng.randint(5, 9)  # 1 trailing zero: the words agree with the number
    run = drive(server, f"What is the factorial of {small}?")
    assert f"**{math.factorial(small)}**" in run.answer and "1 trailing zero." in run.answer


def test_big_integers_and_arithmetic(server: ChatServer, rng: random.Random) -> None:
    e = rng.randint(200, 600)
    run = drive(server, f"What is 2**{e} - 1?")
    assert run.printed("value") == str(2**e - 1)
    assert str(2**e - 1) in run.answer

    e = rng.randint(5000, 9000)
    run = drive(server, f"how many digits does 2^{e} have?")
    assert run.printed("digits") == str(len(str(2**e)))  # past Python's 4300-digit str limit
    assert run.printed("digits") in run.answer

    a, b, c = rng.randint(10, 999), rng.randint(10, 999), rng.randint(2, 9)
    run = drive(server, f"compute ({a} + {b}) * {c} - {a} % {c}")
    assert run.printed("value") == str((a + b) * c - a % c)
    assert f"**{run.printed('value')}**" in run.answer


def test_arithmetic_in_words(server: ChatServer, rng: random.Random) -> None:
    a, b = rng.randint(100, 999), rng.randint(100, 999)
    for prompt, expected in (
        (f"yo what do u get if u multiply {a} by {b}", a * b),
        (f"subtract {a} from {a + b}", b),
        (f"raise {a} to the power of 7", a**7),
    ):
        run = drive(server, prompt)
        assert run.printed("value") == str(expected), prompt
        assert str(expected) in run.answer


def test_range_sums_and_products(server: ChatServer, rng: random.Random) -> None:
    n = rng.randint(50, 500)
    run = drive(server, f"sum of the squares from 1 to {n}")
    assert run.printed("total") == str(sum(i * i for i in range(1, n + 1)))
    assert run.printed("total") in run.answer

    run = drive(server, f"sum of all multiples of 3 or 5 below {n}")
    assert run.printed("total") == str(sum(i for i in range(n) if i % 3 == 0 or i % 5 == 0))

    k = rng.randint(5, 20)
    run = drive(server, f"product of 1..{k}")
    assert run.printed("total") == str(math.factorial(k)) and str(math.factorial(k)) in run.answer


# -- statistics on kernel data -----------------------------------------------------------------


def sales_frame(rng: random.Random, rows: int = 40) -> Any:
    return pd.DataFrame(
        {
            "region": [rng.choice(["North", "South", "East", "West"]) for _ in range(rows)],
            "price": [round(rng.uniform(5, 500), 2) for _ in range(rows)],
            "qty": [rng.randint(1, 50) for _ in range(rows)],
        }
    )


def test_dataframe_group_mean_lists_first_without_inspection_tools(server: ChatServer, rng: random.Random) -> None:
    sales = sales_frame(rng)
    run = drive(server, "What is the mean price by region in `sales`?", {"sales": sales})
    assert len(run.codes) == 2  # no inspection tool declared: list the data with code, then compute
    assert "globals()" in run.codes[0] and "groupby" not in run.codes[0]
    assert "'price': 'float64'" in run.outputs[0]  # the listing shows the frame's dtypes
    assert "groupby('region')" in run.codes[1]
    truth = sales.groupby("region")["price"].mean().round(4).sort_values(ascending=False)
    assert run.printed("top_group") == truth.index[0]
    assert run.printed("top_value") == str(truth.iloc[0])
    assert f"**{truth.index[0]}** ({truth.iloc[0]})" in run.answer
    assert "You asked for the mean of `price` for each `region` in `sales`" in run.answer
    assert "40 rows and 3 columns" in run.answer  # the listed shape, as printed


@pytest.mark.parametrize(
    ("prompt", "check"),
    [
        ("top 5 rows of df by price", "best"),
        ("correlation between price and qty in df", "corr"),
        ("describe the DataFrame df", "describe"),
        ("median and standard deviation of qty in df", "median[qty]"),
        ("how many rows per region in df", "top_group"),
    ],
)
def test_dataframe_questions(server: ChatServer, rng: random.Random, prompt: str, check: str) -> None:
    df = sales_frame(rng)
    run = drive(server, prompt, {"df": df})
    assert len(run.codes) == 2
    if check == "best":
        assert run.printed("best") == str(df["price"].max())
        assert run.printed("best") in run.answer
    elif check == "corr":
        assert run.printed("corr") == str(round(df["price"].corr(df["qty"]), 4))
        assert run.printed("corr") in run.answer
    elif check == "describe":
        assert "BEGIN describe" in run.outputs[1]
        assert df.describe().round(3).to_string() in run.answer
    elif check == "median[qty]":
        assert run.printed("median[qty]") == str(round(df["qty"].median(), 4))
        assert run.printed("std[qty]") == str(round(df["qty"].std(), 4))
        assert run.printed("std[qty]") in run.answer
    else:
        top = df["region"].value_counts()
        assert run.printed("top_value") == str(top.iloc[0])


def test_user_variables_named_like_temporaries_survive(server: ChatServer, rng: random.Random) -> None:
    table, top = sales_frame(rng), [rng.randint(0, 99) for _ in range(8)]
    namespace = {"table": table, "top": list(top)}
    run = drive(server, "mean price by region in `table`", namespace)
    assert run.printed("groups") == str(table["region"].nunique())
    run = drive(server, "top 3 of `top`", namespace)
    assert run.printed("top") == str(sorted(top, reverse=True)[:3])
    assert namespace["table"] is table and namespace["top"] == top


def test_list_statistics(server: ChatServer, rng: random.Random) -> None:
    values = [rng.randint(-100, 100) for _ in range(rng.randint(10, 60))]
    run = drive(server, "median and average of my_values", {"my_values": values})
    assert "globals()" in run.codes[0] and "_k2nb_compute(my_values)" in run.codes[1]
    assert run.printed("median") == str(round(statistics.median(values), 4))
    assert run.printed("mean") == str(round(statistics.mean(values), 4))
    assert run.printed("median") in run.answer and run.printed("mean") in run.answer

    inline = [rng.randint(1, 99) for _ in range(5)]
    run = drive(server, f"average of {', '.join(map(str, inline[:-1]))} and {inline[-1]}")
    assert len(run.codes) == 1  # data in the prompt: nothing to inspect
    assert run.printed("mean") == str(round(statistics.mean(inline), 4))


# -- plots -------------------------------------------------------------------------------------


def test_plot_function(server: ChatServer, rng: random.Random) -> None:
    plt.close("all")
    hi = rng.randint(5, 20)
    run = drive(server, f"plot sin(x) and x^2/100 from 0 to {hi}")
    assert "plt.show()" in run.codes[0]
    assert plt.get_fignums(), "the code drew a figure"
    assert run.printed("max_1") == f"{hi * hi / 100:.4f}"
    assert run.printed("max_1") in run.answer and run.printed("min_0") in run.answer
    plt.close("all")


def test_plot_column_histogram(server: ChatServer, rng: random.Random) -> None:
    plt.close("all")
    df = sales_frame(rng)
    run = drive(server, "plot a histogram of price in df", {"df": df})
    assert "ax.hist(rows['price']" in run.codes[1] and plt.get_fignums()
    assert "shown above" in run.answer and run.printed("peak[price]") in run.answer
    plt.close("all")


def test_the_toys_code_never_overwrites_the_class_variables(server: ChatServer) -> None:
    """Every family's code runs as one function: the class's `text`, `result`, `x`… stay as they were."""
    mine = {"text": "my essay", "result": -1, "x": [1, 2], "n": 7, "words": ["mine"], "total": 0.5, "gcd": "g"}
    namespace: dict[str, Any] = dict(mine)
    prompts = [
        'reverse the string "notebook"',
        'count the words in "to be or not to be"',
        "what is 7 times 8?",
        "what is the factorial of 6?",
        "square root of 144",
        "gcd of 48 and 18",
        "sum the numbers from 1 to 100",
        "the first 10 fibonacci numbers",
        "how many primes are below 100?",
        "round 2.675 to 2 decimal places",
        "is 2024 a leap year?",
        "explain step by step how bubble sort works on [5, 3, 1]",
        "average of 3, 5, 8 and 13",
    ]
    for prompt in prompts:
        run = drive(server, prompt, namespace)
        assert run.outputs and "Traceback" not in run.outputs[-1], (prompt, run.outputs)
    assert {name: namespace[name] for name in mine} == mine
    added = set(namespace) - set(mine) - {"__builtins__"}
    # the kernel gains the functions, their imports, and what was computed under its own name
    kept = {name for name in added if not callable(namespace[name])} - {
        name for name in added if isinstance(namespace[name], types.ModuleType)
    }
    assert kept == {"primes", "fibs"}, added
    assert namespace["fibs"] == [0, 1, 1, 2, 3, 5, 8, 13, 21, 34] and len(namespace["primes"]) == 25

    drive(server, "among the numbers 1..1000, how many have a prime digit sum?", namespace)
    assert len(namespace["matches"]) == sum(is_prime(sum(map(int, str(n)))) for n in range(1, 1001))


# -- school arithmetic ----------------------------------------------------------------------------


def test_rounding_halves_up_and_leap_years(server: ChatServer, rng: random.Random) -> None:
    for _ in range(4):
        places = rng.randint(0, 3)
        number = f"{rng.randint(-999, 999)}.{rng.randint(0, 9999):04d}5"[: 6 + places]  # often an exact half
        run = drive(server, f"round {number} to {places} decimal places")
        expected = Decimal(number).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        assert Decimal(run.printed("rounded")) == expected and f"**{run.printed('rounded')}**" in run.answer
        if float(run.printed("python_round")) != float(expected):  # Python's round() differs: said so
            assert "Python's built-in `round(" in run.answer
    run = drive(server, "round 1250 to the nearest hundred")
    assert run.printed("rounded") == "1300"

    year = rng.randint(1600, 2400)
    run = drive(server, f"Is {year} a leap year?")
    assert (f"**{year} is a leap year.**" in run.answer) == calendar.isleap(year)
    assert (f"**{year} is not a leap year.**" in run.answer) == (not calendar.isleap(year))
    first = rng.randint(1800, 2100)
    run = drive(server, f"list the leap years between {first} and {first + 60}")
    leap = [y for y in range(first, first + 61) if calendar.isleap(y)]
    assert run.printed("leap") == str(leap) and f"**{len(leap)}**" in run.answer


# -- text --------------------------------------------------------------------------------------


def test_text_tasks(server: ChatServer, rng: random.Random) -> None:
    words = [rng.choice(["alpha", "beta", "gamma", "noon", "level", "kayak", "x"]) for _ in range(rng.randint(5, 15))]
    sentence = " ".join(words)
    run = drive(server, f'count the words in "{sentence}"')
    assert run.printed("words") == str(len(words)) and f"**{len(words)}**" in run.answer

    run = drive(server, f"which words in '{sentence}' are palindromes?")
    found = list(dict.fromkeys(w for w in words if len(w) > 1 and w == w[::-1]))
    assert run.printed("palindromes") == str(found)

    run = drive(server, 'Is "Never odd or even" a palindrome? And "hello"?')
    assert run.printed("palindrome_0") == "True" and run.printed("palindrome_1") == "False"

    run = drive(server, f'reverse the words in "{sentence}"')
    assert " ".join(reversed(words)) in run.answer

    run = drive(server, f"letter frequency of '{sentence}'")
    top = re.search(r"\| (\w) \| (\d+) \|", run.answer)
    assert top and sentence.count(top[1]) == int(top[2])


def ordinal(k: int) -> str:
    return f"{k}{'th' if 10 <= k % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(k % 10, 'th')}"


def test_a_rank_and_a_list_without_its_extremes(server: ChatServer, rng: random.Random) -> None:
    values = [rng.randint(40, 100) for _ in range(rng.randint(5, 9))]
    values.append(rng.choice(values))  # a repeat: the k-th largest may differ from the k-th distinct one
    k = rng.randint(2, 4)
    run = drive(server, f"what is the {ordinal(k)} highest of {', '.join(map(str, values))}?")
    ranked, distinct = sorted(values, reverse=True), sorted(set(values), reverse=True)
    assert run.printed("nth") == str(ranked[k - 1]) and f"**{ordinal(k)} largest:** {ranked[k - 1]}" in run.answer
    if len(distinct) >= k and distinct[k - 1] != ranked[k - 1]:
        assert f"the {ordinal(k)} largest is {distinct[k - 1]}" in run.answer

    drop = rng.randint(1, 2)
    run = drive(server, f"the mean of {values} without the {drop} lowest")
    kept = sorted(values)[drop:]
    assert run.printed("left_out") == str(sorted(values)[:drop])
    assert float(run.printed("mean")) == pytest.approx(statistics.mean(kept), abs=1e-4)
    parity = rng.choice(["even", "odd"])
    chosen = [v for v in values if v % 2 == (parity == "odd")]
    run = drive(server, f"the sum of the {parity} numbers of {values}")
    assert run.printed("kept") == str(len(chosen)) and run.printed("sum") == str(sum(chosen))
    run = drive(server, f"what is the range of {values}?")
    assert run.printed("range") == str(max(values) - min(values))
    run = drive(server, f"what is the {ordinal(len(values) + 1)} lowest of {values}?")
    assert "none — there are fewer than" in run.answer


def test_counting_sorting_and_recasing_quoted_text(server: ChatServer, rng: random.Random) -> None:
    words = [rng.choice(["Alpha", "beta", "the", "The", "gamma", "then", "other"]) for _ in range(rng.randint(4, 12))]
    sentence = " ".join(words)
    letter = rng.choice("aehtm")
    run = drive(server, f'How many times does the letter {letter} appear in "{sentence}"?')
    count = sentence.lower().count(letter)
    assert run.printed("count") == str(count) and f"**{count}**" in run.answer

    run = drive(server, f"how many {letter}'s are in '{sentence}'?")
    assert run.printed("count") == str(count)

    # a word counts whole words only, ignoring case ("then" and "other" hold no "the")
    run = drive(server, f'How often does "the" occur in "{sentence}"?')
    whole = sum(w.lower() == "the" for w in words)
    assert run.printed("count") == str(whole) and f"**{whole}** time" in run.answer

    run = drive(server, f'sort the letters of "{words[0]}" alphabetically')
    assert run.printed("sorted") == repr("".join(sorted(words[0], key=lambda c: (c.lower(), c))))

    for asked, expected in (("uppercase", sentence.upper()), ("lower case", sentence.lower())):
        run = drive(server, f'Make "{sentence}" {asked}')
        assert f"> {expected}" in run.answer

    # two quoted texts to count in are not "count one inside the other"
    run = drive(server, f'count the words in "{sentence}" and "x y"')
    assert "appears" not in run.answer and run.printed("words") == str(len(words))


# -- simulation --------------------------------------------------------------------------------


def test_monte_carlo_pi(server: ChatServer, rng: random.Random) -> None:
    seed, n = rng.randint(0, 10**6), rng.randint(10_000, 60_000)
    run = drive(server, f"Estimate pi with a Monte Carlo simulation using {n} points and seed {seed}")
    twin = random.Random(seed)
    inside = sum(twin.random() ** 2 + twin.random() ** 2 <= 1.0 for _ in range(n))
    assert run.printed("inside") == str(inside)
    assert run.printed("estimate") == str(4 * inside / n)
    assert run.printed("estimate") in run.answer and str(seed) in run.codes[0]


# -- mistakes, failures, refusals --------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "error"),
    [
        ("How many primes below 5000? Make a mistake first and self-correct.", "NameError"),
        ("sum of squares from 1 to 30, demonstrate self-correction with a TypeError", "TypeError"),
        ("mean price by region in sales -- make a deliberate mistake", "NameError"),
    ],
)
def test_self_correction(server: ChatServer, rng: random.Random, prompt: str, error: str) -> None:
    run = drive(server, prompt, {"sales": sales_frame(rng)})
    failed = next(i for i, out in enumerate(run.outputs) if "Traceback" in out)
    assert re.search(rf"^{error}: ", run.outputs[failed], re.M)
    assert "Traceback" not in run.outputs[-1]
    error_line = [ln for ln in run.outputs[failed].splitlines() if ln.startswith(error)][-1]
    assert error_line in run.reasoning[failed + 1]  # it read the traceback before fixing
    assert "deliberate bug" in run.answer and error_line in run.answer


def test_missing_variable_lists_what_exists(server: ChatServer, rng: random.Random) -> None:
    run = drive(server, "mean price by region in orders", {"sales": sales_frame(rng)})
    assert len(run.codes) == 1 and "globals()" in run.codes[0]  # it listed what exists, and computed nothing
    assert "no variable named `orders`" in run.answer and "`sales` (DataFrame 40×3: region, price, qty)" in run.answer


def test_a_text_column_is_converted_before_computing(server: ChatServer) -> None:
    costs = pd.DataFrame({"item": ["a", "b", "c", "d"], "cost": ["1.5", "2", "n/a", "4"]})
    run = drive(server, "what is the average cost in costs?", {"costs": costs})
    assert "pd.to_numeric" in run.codes[1] and "Traceback" not in run.outputs[1]
    assert run.printed("mean[cost]") == str(round((1.5 + 2 + 4) / 3, 4))
    assert run.printed("mean[cost]") in run.answer
    assert "stored as text" in run.answer and "1 value(s) could not be converted" in run.answer


def test_a_columns_rank_range_and_extremes_read_as_a_list(server: ChatServer, rng: random.Random) -> None:
    """What only a list's reading has, asked of one numeric column, is computed on that column's values."""
    prices = [round(rng.uniform(1, 90), 2) for _ in range(rng.randint(8, 30))]
    qty = [rng.randint(1, 25) for _ in prices]
    shop = pd.DataFrame({"item": [f"i{i}" for i in range(len(prices))], "price": prices, "qty": qty})
    shop.loc[0, "price"] = None  # missing values are left out
    values = sorted(p for p in shop["price"].dropna())
    run = drive(server, "what is the second highest price in shop?", {"shop": shop})
    assert run.printed("nth") == str(values[-2]) and "2nd largest" in run.answer
    run = drive(server, "what's the range of qty in shop?", {"shop": shop})
    assert run.printed("range") == str(max(qty) - min(qty))
    run = drive(server, "the mean price in shop without the lowest one", {"shop": shop})
    assert run.printed("left_out") == str([values[0]])
    assert float(run.printed("mean")) == pytest.approx(statistics.mean(values[1:]), abs=1e-4)
    run = drive(server, "the sum of the even qty in shop", {"shop": shop})
    assert run.printed("sum") == str(sum(q for q in qty if q % 2 == 0))
    run = drive(server, "the mean price in shop", {"shop": shop})  # a frame's own question stays the frame's
    assert "mean[price]" in run.outputs[-1]


def test_gives_up_after_one_failed_fix(server: ChatServer) -> None:
    def always_typo(code: str, namespace: dict[str, Any]) -> str:
        return "Traceback (most recent call last):\nNameError: name 'matche' is not defined\n"

    run = drive(server, "How many numbers from 1 to 100 have a prime digit sum?", execute=always_typo)
    assert len(run.codes) == 2  # the original and one fix, then an explanation
    assert "couldn't finish" in run.answer and "NameError" in run.answer


def test_unexpected_error_is_explained(server: ChatServer) -> None:
    def no_module(code: str, namespace: dict[str, Any]) -> str:
        return (
            'Traceback (most recent call last):\n  File "<cell>", line 1\n'
            "ModuleNotFoundError: No module named 'matplotlib'\n"
        )

    run = drive(server, "plot cos(x) from 0 to 3", execute=no_module)
    assert len(run.codes) == 1
    assert "ModuleNotFoundError" in run.answer and "%pip install" in run.answer


def test_declined_call(server: ChatServer) -> None:
    run = drive(server, "How many primes are there below 1000?", execute=declined)
    assert len(run.codes) == 1
    assert "declined" in run.answer and "--approve auto" in run.answer
    assert "168" not in run.answer  # no made-up result


def test_unknown_request_gets_a_graceful_answer(server: ChatServer) -> None:
    run = drive(server, "Write me a sonnet about the sea")
    assert run.codes == []
    assert "toy engine" in run.answer and "digit sum" in run.answer


def test_without_tools_it_does_not_call_one(server: ChatServer) -> None:
    run = drive(server, "What is 2**100?", tools=None)
    assert run.codes == [] and "code_interpreter" in run.answer


@pytest.mark.parametrize("dialect", ["vllm", "openrouter"])
def test_other_dialects(dialect: Dialect) -> None:
    with ChatServer(ToyEngine(), dialect=dialect) as srv:
        run = drive(srv, "How many numbers from 1 to 300 have a prime digit sum?")
    assert run.printed("count") == str(sum(is_prime(digit_sum(n)) for n in range(1, 301)))
    assert run.printed("count") in run.answer


def test_reasoning_grows_with_the_task(server: ChatServer, rng: random.Random) -> None:
    simple = drive(server, "compute 6 * 7")
    involved = drive(server, "mean price by region in sales", {"sales": sales_frame(rng)})
    assert sum(map(len, involved.reasoning)) > 2 * sum(map(len, simple.reasoning))


# -- reading tool output -----------------------------------------------------------------------


def test_observe_ipython_traceback_with_ansi() -> None:
    text = (
        "\x1b[0;31m----------------------------------------------------------------\x1b[0m\n"
        "\x1b[0;31mNameError\x1b[0m                                 Traceback (most recent "
        "call last)\nCell \x1b[0;32mIn[3], line 1\x1b[0m\n----> 1 x\n\n"
        "\x1b[0;31mNameError\x1b[0m: name 'x' is not defined\n"
    )
    obs = observe("x", text)
    assert obs.error is not None and obs.error.line == "NameError: name 'x' is not defined"


def test_observe_sections_and_wrappers() -> None:
    ok = observe("", "RESULT count=3\nRESULT first=[1, 2]\n\n[figure displayed]\n")
    assert ok.error is None and ok.results == {"count": "3", "first": "[1, 2]"}
    wrapped = observe("", "Error: ZeroDivisionError: division by zero")
    assert wrapped.error is not None and wrapped.error.kind == "ZeroDivisionError"
    late = observe("", "RESULT a=1\nTypeError: unsupported operand")
    assert late.error is not None and late.error.kind == "TypeError"
    assert observe("", "Execution declined by the user.").declined


def test_toy_help_documents_the_repertoire() -> None:
    text = toy_help()
    for word in (
        "Digit sums",
        "Primes",
        "Fibonacci",
        "Statistics",
        "Plots",
        "Text",
        "Monte Carlo",
        "self-correct",
        "RESULT key=value",
        "declined",
        "Sorting",
        "Searching",
        "Recursion with its call trace",
        "Loops and accumulators",
        "String algorithms",
        "Units and percentages",
        "t-test and least squares",
        "a data question asks for one approval",
        "Your notebook",
    ):
        assert word in text


# -- declared tools: inspection tools and user tools --------------------------------------------


@pytest.mark.parametrize(
    "prompt",
    [
        "What is the mean price by region in `sales`?",
        "mean price by region in sales, look at it with `inspect_variable` first",
    ],
)
def test_a_data_question_inspects_with_the_read_only_tool(server: ChatServer, rng: random.Random, prompt: str) -> None:
    sales = sales_frame(rng)
    run = drive_tools(server, prompt, k2nb_tools({"sales": sales}))
    # one call that needs approval: inspect_variable is read-only
    assert [name for name, _ in run.calls] == ["inspect_variable", "code_interpreter"]
    assert run.calls[0][1] == {"name": "sales"}
    assert "globals()" not in run.calls[1][1]["code"]  # no inspection code: the columns came from the tool
    truth = sales.groupby("region")["price"].mean().round(4).sort_values(ascending=False)
    assert f"RESULT top_group={truth.index[0]}" in run.outputs[1]
    assert f"**{truth.index[0]}** ({truth.iloc[0]})" in run.answer


def test_inspect_variable_reads_columns_and_dtypes(server: ChatServer, rng: random.Random) -> None:
    frame = pd.DataFrame({"city code": [f"c{i}" for i in range(20)], "temp": [rng.uniform(-5, 30) for _ in range(20)]})
    frame["count"] = [rng.randint(0, 9) for _ in range(20)]
    prompt = "max of count in `weather`, use `inspect_variable`"
    run = drive_tools(server, prompt, k2nb_tools({"weather": frame}))
    assert [name for name, _ in run.calls] == ["inspect_variable", "code_interpreter"]
    assert f"RESULT max[count]={frame['count'].max()}" in run.outputs[1]
    assert f"**maximum of `count`:** {frame['count'].max()}" in run.answer


def test_inspect_variable_names_what_exists_when_missing(server: ChatServer, rng: random.Random) -> None:
    names = rng.sample(["alpha", "beta_2", "gamma_frame", "delta"], 2)
    run = drive_tools(server, "mean of x in `nothere`, use `inspect_variable`", k2nb_tools({n: [1, 2] for n in names}))
    assert [name for name, _ in run.calls] == ["inspect_variable", "list_variables"]  # then what the others hold
    assert "no variable named `nothere`" in run.answer
    assert "`nothere`" in run.answer and all(f"`{n}`" in run.answer for n in names)


def outliers_tool(frame: Any) -> Callable[..., Any]:
    def outliers(column: str, z: float = 2.5) -> list[int]:
        """Row labels whose `column` is more than `z` standard deviations from the mean.

        Args:
            column: a numeric column
        """
        values = frame[column]
        return frame.index[((values - values.mean()) / values.std()).abs() > z].tolist()

    return outliers


@pytest.mark.parametrize(
    "template",
    [
        "Use `outliers` on {col} with z {z}",
        "call `outliers` with column {col} and z={z}",
        "`outliers` of '{col}', z: {z}",
    ],
)
def test_a_user_tool_named_in_the_prompt_is_called(server: ChatServer, rng: random.Random, template: str) -> None:
    frame = sales_frame(rng, rows=60)
    col, z = rng.choice(["price", "qty"]), rng.choice([1, 1.5, 2])
    run = drive_tools(server, template.format(col=col, z=z), k2nb_tools({"sales": frame}, outliers_tool(frame)))
    assert run.calls == [("outliers", {"column": col, "z": float(z)})]
    expected = json.dumps(frame.index[((frame[col] - frame[col].mean()) / frame[col].std()).abs() > z].tolist())
    assert run.outputs[0] == expected
    assert expected in run.answer  # quoted as the tool returned it


def test_a_user_tool_keeps_its_defaults_and_needs_code_interpreter_for_nothing(
    server: ChatServer, rng: random.Random
) -> None:
    frame = sales_frame(rng)
    box = k2nb_tools({}, outliers_tool(frame))
    only_user_tool = [s for s in box.schemas() if s["function"]["name"] == "outliers"]
    sdk_box = type(box)([box.get("outliers")])
    assert sdk_box.schemas() == only_user_tool
    run = drive_tools(server, "Use `outliers` on price", sdk_box)
    assert run.calls == [("outliers", {"column": "price"})]  # z keeps the function's default
    expected = frame.index[((frame["price"] - frame["price"].mean()) / frame["price"].std()).abs() > 2.5].tolist()
    assert json.dumps(expected) in run.answer


def test_a_user_tool_with_a_missing_argument_is_not_called(server: ChatServer, rng: random.Random) -> None:
    run = drive_tools(server, "Use `outliers` please", k2nb_tools({}, outliers_tool(sales_frame(rng))))
    assert run.calls == []
    assert "`column`" in run.answer and "string" in run.answer


def test_a_failing_user_tool_is_reported_not_retried(server: ChatServer, rng: random.Random) -> None:
    run = drive_tools(server, "Use `outliers` on no_such_col", k2nb_tools({}, outliers_tool(sales_frame(rng))))
    assert [name for name, _ in run.calls] == ["outliers"]
    assert "KeyError" in run.outputs[0] and "KeyError" in run.answer and "failed" in run.answer


@pytest.mark.parametrize("prompt", ["what variables do I have?", "List my variables", "what's in my kernel?"])
def test_list_variables(server: ChatServer, rng: random.Random, prompt: str) -> None:
    frame = sales_frame(rng, rows=rng.randint(5, 30))
    threshold = rng.randint(1, 99)
    run = drive_tools(server, prompt, k2nb_tools({"sales": frame, "threshold": threshold, "_hidden": 1}))
    assert run.calls == [("list_variables", {})]
    assert f"`sales`: pandas.DataFrame ({len(frame)}×3)" in run.answer
    assert f"`threshold`: int = {threshold}" in run.answer and "_hidden" not in run.answer
