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
an answer itself: every number in its reply was printed by the code. The code runs inside one
small function, so it never overwrites your variables (a list it computed, like `primes`, is
returned into the kernel under that name). Every answer starts with the question it
answered; what it cannot do, it says plainly rather than answer something else.

Phrasing is free; numbers, lists, variable names and column names are taken from your prompt.
Numbers may be written in words (*the top five rows*, *from one to one hundred*); a misspelt request
word (*avreage*, *medain*) is read as the word it is closest to, and the answer says so. A word that
would change the question and that it cannot read (*the **second** highest price in the north*,
*4 **random** rows*, *rounded*) is named in a decline, never passed over.

### Lessons (real code on your input, its printed trace explained step by step)

- **Sorting** (*bubble*, *insertion*, *selection*, *merge*, *quick sort*): *explain step by step
  how bubble sort works on [5, 3, 1]* · *show merge sort on 8, 3, 5, 1* · *how does quick sort
  work?* (no list: an example list, said so) · *quick sort [9, 2, 7, 4] from highest to lowest*
  (largest first: every comparison turned round). Pass by pass, with comparisons and swaps counted
  and the result checked against `sorted()`.
- **On a list of yours in the kernel**, named with or without backticks: *bubble sort the list
  scores* · *sort scores with merge sort* · *show bubble sort step by step on scores* · *bubble
  sort the score column of grades* · *binary search for 81 in scores* · *explain a for loop by
  summing scores*. It checks what exists first (`list_variables`), the lesson's code reads the
  variable itself, and the answer says which list it used (a long one: its first 16 values, said
  so). A name that does not exist, a DataFrame without one named column, or values that are not
  numbers are declined, naming what it found — never replaced by the example list.
- **Searching**: *binary search for 7 in [1, 3, 5, 7, 9]* · *compare linear and binary search for
  4 in [9, 4, 2, 7]* (binary search sorts first when it must)
- **Recursion with its call trace**: *explain recursion with the factorial of 5* · *the call tree
  of recursive fibonacci of 6* (and how often each call repeats) · *gcd of 84 and 126 step by step
  with Euclid's algorithm*
- **Loops and accumulators**: *use a loop to add up [3, 5, 8]* · *count the even numbers from 1
  to 20 with a loop* · *find the largest value in [4, 9, 2] with a loop* · *use a while loop to count
  down from 5* (the test that ends it, and the value that failed it) · *count up from 3 to 9 with a for
  loop* · *the multiplication table of 7*
- **String algorithms**: *is "Never odd or even" a palindrome? explain step by step* · *are
  'listen' and 'silent' anagrams?* · *count the vowels in 'banana split' step by step* · *reverse
  'hello' step by step*
- **Units and percentages**: *convert 5 miles to km* · *100 fahrenheit in celsius* · *how many
  feet are in 3 m* · *what percent of 80 is 20* · *what percentage is 45 of 180* · *45 out of 180
  as a percentage* · *percentage change from 80 to 100* · *by what percent did 80 increase to 100*
  · *increase 50 by 20%* · *20 is 25% of what* · *the ratio of 45 to 180* (in lowest terms)
- **t-test and least squares** on numbers in the prompt: *t-test between [5.1, 4.9, 6.2] and
  [7.0, 6.8, 7.4]* (Welch; the p-value needs scipy, and says so without it) · *fit a line through
  (1, 2), (2, 4.1), (3, 5.9)* (slope, intercept, r², each sum shown)

### Your data (a DataFrame or a list in the kernel)

It first finds out what exists with the read-only inspection tools — `inspect_variable` when the
prompt names a variable, `list_variables` when it does not (a DataFrame's columns are in the
listing) — so **a data question asks for one approval**: the single `code_interpreter` call that
computes. Words of the prompt name a variable only if one of that name exists; builtins
(`sorted`, `len`), keywords and ordinary words (*have*, *previous*, *rows*) never do unless written
in backticks; the singular names one row or value (*the cheapest sale* of `sales`) unless a column
is called so. A column named without a frame picks the one DataFrame that has it; if several do,
it asks which; if none does, it says so. With `--context df` the summary comes with the prompt and
it skips the inspection.

It reads the question into a small request and computes exactly that:
- **Filter and remove rows**: *remove rows where dose is 0 from df and tell me how many are left*
  (on a filtered view: `df` stays as it is, and the answer says how to keep the result) · *mean x
  for rows where group is treated* · *the lowest price in the south* · *mean price of sales not in
  the north* · *excluding the north region* · *in the east or the south* · *qty between 5 and 10*
  (a label with no column named: the code finds the column that holds it, and says so if none
  does). Conditions are all kept together: two values of one column joined by *and* (*north and
  south*), or two different conditions joined by *or*, are declined, never answered with the rows
  that are both.
- **True/False columns** are conditions: *what fraction of sales were returned?* · *the mean price
  of sales that weren't returned* · *returned is False* · *t-test of price between returned and not
  returned sales*
- **Sort and top n**, in the order asked (*highest to lowest*, *descending*, *reverse order*,
  *ascending*, *largest first*…): *show me the top 3 rows of df sorted by x* · *sort sales by price
  from highest to lowest* · *which row has the highest x?* · *the 5 sales with the highest price* ·
  *the 3 most expensive sales by price* · *the last 3 rows*. A superlative without its column (*the
  5 most expensive sales*, *the most items*) is declined naming the likely column and the numeric
  ones; two orders at once are declined too.
- **Group by, count, percentages**: *mean score by class in `grades`* · *how many rows per
  region* · *what percentage of rows have dose above 1?* · *which site has the most rows?* ·
  *which region has the fewest sales?* · *average price per region, lowest first* · *the 3 regions
  with the lowest total qty* · *percentage of returned sales per region* · *what share of the north
  sales were returned?* (the north sales are the whole)
- **What it holds**: *what are the columns of sales?* · *what columns does df have* · *how many
  rows in sales* · *the shape of df* (columns with their types, rows × columns; *describe df* adds
  them to its summary statistics)
- **Statistics**: *mean, median, std, min, max, sum* of columns · *describe df* · *distinct
  values of site* · *missing values in df* · *duplicated rows* · *the 90th percentile of x* ·
  *median of my_list* · *average of 3, 5, 8 and 13* (numbers in the prompt)
- **A list**: *sort scores from highest to lowest* · *the 2 lowest scores* · *mean of scores above
  80* · *how many scores are between 70 and 90?* · *what fraction of scores are below 80?* · *the
  mean of the 3 highest scores* · *the second highest score* (and what it is when a value repeats) ·
  *the mean of scores without the lowest one* · *the sum of scores dropping the 2 lowest* · *the range
  of scores* (maximum − minimum) · *the sum of the even scores* · *how many scores are odd?* — and
  the same of one numeric column, read as a list of its values: *the second highest price in sales*,
  *the range of qty*, *the mean price without the lowest one*
- **Two columns**: *correlation between price and qty* (both must be numeric, else it says why) ·
  *linear regression of x on dose* · *fit a line of qty on price* · *t-test of x between control
  and treated* · *t test comparing qty in north vs south* · *difference in mean x between control
  and treated* · *compare price between regions* (the mean of each) · *compare the price of
  returned and kept sales* (a True/False column's two sides: the mean for each) · *revenue per
  unit* (total over total)
- **Plots**: *plot x against dose in df* (a scatter, x on the vertical axis) · *line plot of y
  versus t* · *histogram of x* (*with 10 bins*) · *mean x by group, plot it* (a bar chart)

What it does not do (*merge*, *pivot*, *forecast*, *rename*…) it names, and computes nothing.

### Everything else

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
  *compute 17 * 23 + 5* · *what is sqrt(2) * pi* · *multiply 123 by 456* ·
  *subtract 17 from 100* · *raise 3 to the power of 40* · *2 to the power 10* · *3 to the 4th* ·
  *3 squared* · *square root of 144* · *cube root of 27* (a whole root exact in integers, else a
  float, said so)
- **Rounding and leap years**: *round 2.675 to 2 decimal places* (halves up, as taught, with
  `decimal`; where Python's `round()` differs, it says why) · *round 1234 to the nearest hundred* ·
  *is 1900 a leap year?* · *list the leap years between 1990 and 2030*
- **Plots of a function**: *plot sin(x) and cos(x) from 0 to 2pi* · *plot y = x^2 - 3x + 2
  between -5 and 5*
- **Text** (quoted text + *words, characters, palindrome, reverse, frequency, vowels, a letter or
  word to count, sort, upper/lower/title case*): *count the words in "to be or not to be"* ·
  *is "Never odd or even" a palindrome?* · *letter frequency of 'mississippi'* · *reverse the words
  in "one two three"* · *how many times does the letter s appear in "Mississippi"?* · *how often does
  "the" occur in "…"?* · *sort the letters of "banana"* · *make "hello world" uppercase*
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
  the k2nb extension it cannot change cells and gives the code instead; where no notebook tool is
  declared at all, it says it cannot read cells here.

**Self-correction.** Add *make a mistake and self-correct* (or *TypeError*) to any task: the first
code has a real bug (a misspelt variable, or `str + int`), the engine reads the traceback from the
tool result, explains the fix in its reasoning and reruns. Whenever code fails unexpectedly it
reads the error and retries once with a fix (missing variable → lists what exists; typo →
renames) or explains what went wrong.

**Declined calls.** If you decline the code, it says that nothing ran and how to allow it.

**Output conventions.** The code prints its results as `RESULT key=value` lines (tables between
`BEGIN name` and `END name`); the engine reads the tool result text for those lines, for a
traceback's final `SomeError: message` line, and for the word *declined*. Long printed values are
quoted in its thinking by their head and size. Code about your data runs inside a small function,
so its temporaries never overwrite your variables.

Anything else gets a short explanation of these abilities instead of a tool call.

**Pace.** It streams at 60 tokens/s, like the real model (`%config K2Magics.toy_speed = N` or
`K2NB_TOY_SPEED`; 0 = instant). **Record & replay**: `%%k2 --record FILE` keeps a run (any
engine, real K2 included) and `%%k2 --engine replay:FILE` replays it offline at the recorded pace,
re-running the code in your kernel and saying so if its output differs from the recording.
"""
