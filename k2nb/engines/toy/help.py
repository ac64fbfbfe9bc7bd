"""``toy_help``: what the toy engine can do, in Markdown (shown by ``%k2 help toy``)."""

from __future__ import annotations


def toy_help() -> str:
    """What the toy engine can do, in Markdown."""
    return _HELP


_HELP = """\
## The k2nb toy engine

An offline stand-in for Kimi K2 Thinking (`k2nb serve --engine toy`). It behaves like K2 in
miniature: it thinks out loud, writes real Python, calls `code_interpreter` with
`{"code": "..."}`, reads what the code printed and answers with those values. It never computes
an answer itself: every number in its reply was printed by the code.

It routes by keywords, so phrasing is flexible; numbers, variable names and column names are
taken from your prompt.

- **Digit sums** (*digit sum*, *sum of digits* + a range or a value): *How many numbers from
  1 to 1000 have a prime digit sum?* · *numbers 1..500 whose digit sum is divisible by 7* ·
  *digit sum of 2**100*
- **Primes** (*prime(s)*, *factorize*, *prime factors*): *How many primes below 10000?* ·
  *list primes between 50 and 100* · *the 100th prime* · *is 97 prime?* · *prime factors of 360*
- **GCD / LCM**: *gcd and lcm of 84, 126 and 210*
- **Fibonacci**: *the 90th Fibonacci number* · *first 15 Fibonacci numbers* ·
  *Fibonacci numbers below 1000*
- **Factorials**: *100!* · *how many digits does 500! have* · *trailing zeros of 1000!*
- **Sums and products of ranges** (*sum* / *product* + a range or *first N*): *sum of squares
  from 1 to 100* · *sum of multiples of 3 or 5 below 1000* · *product of 1..20*
- **Arithmetic and big integers** (an expression, or words): *What is 2**200 - 1?* ·
  *compute 17 * 23 + 5* · *what is sqrt(2) * pi* · *what is 15% of 80* · *multiply 123 by 456* ·
  *subtract 17 from 100* · *raise 3 to the power of 40*
- **Statistics on your data**: a kernel variable (*`df`*, *the sales DataFrame*, *in prices*,
  *of my_list*) plus *mean, median, std, min, max, sum, describe, group by / per, top N,
  correlation, count, unique*: *mean price by region in `sales`* · *describe df* ·
  *top 5 rows of df by revenue* · *correlation between price and qty in df* ·
  *median of my_list* · *average of 3, 5, 8 and 13*
- **Plots** (*plot*, *graph*, *draw* + a function of x, or a column): *plot sin(x) and cos(x)
  from 0 to 2pi* · *plot y = x^2 - 3x + 2 between -5 and 5* · *histogram of price in df*
- **Text** (quoted text + *words, characters, palindrome, reverse, frequency, vowels*):
  *count the words in "to be or not to be"* · *is "Never odd or even" a palindrome?* ·
  *letter frequency of 'mississippi'* · *reverse the words in "one two three"*
- **Simulation** (*Monte Carlo*, *estimate pi*): *estimate pi with Monte Carlo using 200000
  points and seed 7*
- **Your tools** (a declared tool named in backticks: a `@k2nb.tool` function or an MCP server's
  tool): *Use `outliers` on yield_kg* ·
  *call `outliers` with column yield_kg and z 3*. The arguments come from the tool's JSON schema
  and the prompt: strings from a column, quoted word or identifier (*column X* / *name=X* pick
  one explicitly), numbers from the numbers in the prompt (an optional one only when named, e.g.
  *z 3*, else the function's default applies), an enum value the prompt mentions, booleans false
  unless the prompt says *name true*. It calls the tool (no code, so a read-only tool needs no
  approval) and quotes its result as returned. If a required argument is not in the prompt, it
  says which one is missing instead of guessing.
- **Your variables** (*what variables do I have*, *list my variables*): calls the read-only
  `list_variables` tool and lists names, types and shapes.
- **Your notebook** (a cell named as *the previous cell*, *cell 3*, *In [5]*, *the first markdown
  cell*): *What does the previous cell do?* reads it with `read_cell` and explains it from its
  source and outputs. `%k2 fix` or *fix the error in the previous cell* reads the failing cell,
  corrects a misspelt name, key or attribute from the traceback and the names the kernel has,
  proposes the fixed cell (`edit_cell`), re-runs it (`run_cell`) and reports the new output.
  *Add a markdown cell that explains the result of the previous cell* quotes the output it read;
  *add a new cell that plots sin(x) from 0 to 6 and run it* inserts the code and runs it. Without
  the k2nb extension it cannot change cells and gives the code instead.

**Statistics** take two calls: the first inspects the variable (type, shape or length, columns
and dtypes), the second computes what you asked about the columns it found. Name the read-only
inspection tool to inspect without code: *mean price by region in `sales` — look at it with
`inspect_variable` first* calls `inspect_variable` with `{"name": "sales"}`, reads the columns and
dtypes from its summary, then computes with `code_interpreter`.

**Self-correction.** Add *make a mistake and self-correct* (or *TypeError*) to any task: the first
code has a real bug (a misspelt variable, or `str + int`), the engine reads the traceback from the
tool result, explains the fix in its reasoning and reruns. Whenever code fails unexpectedly it
reads the error and retries once with a fix (missing variable → lists what exists; non-numeric
column → converts; typo → renames) or explains what went wrong.

**Declined calls.** If you decline the code, it says that nothing ran and how to allow it.

**Output conventions.** The code prints its results as `RESULT key=value` lines (tables between
`BEGIN name` and `END name`); the engine reads the tool result text for those lines, for a
traceback's final `SomeError: message` line, and for the word *declined*.

Anything else gets a short explanation of these abilities instead of a tool call.

**Pace.** It streams at 60 tokens/s, like the real model (`%config K2Magics.toy_speed = N` or
`K2NB_TOY_SPEED`; 0 = instant). **Record & replay**: `%%k2 --record FILE` keeps a run (any
engine, real K2 included) and `%%k2 --engine replay:FILE` replays it offline at the recorded pace,
re-running the code in your kernel and saying so if its output differs from the recording.
"""
