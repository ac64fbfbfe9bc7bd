"""The look of a k2nb trace in JupyterLab and Notebook 7: the finished (saved) trace against the live one.

Measured with computed styles in Chromium: code and its output are separate boxes, highlighted
tokens and traceback colours are coloured, secondary text reaches WCAG AA (4.5:1) in the dark
theme, the trace follows JupyterLab's font-size settings, and all of it also holds in a reopened,
untrusted copy (JupyterLab strips its <style>; the labextension's CSS carries the look). Then the
notebook-level thinking toggle: hidden during a live run, still hidden (with a note) after it,
shown again by clicking the note, and saved with the notebook.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import JupyterServer, open_notebook, screenshot
from tests.browser.harness import (
    Switchboard,
    run_cell,
    wait_for_link,
    wait_idle,
)

pytestmark = [pytest.mark.browser]

CODE = "total = sum(range(10))\nprint('total is', total)  # a comment"
SCRIPT = "\n---\n".join(
    [
        "think: First I add the numbers in the kernel.\ntool: code_interpreter " + json.dumps({"code": CODE}),
        "think: Now the division the user asked about.\ntool: code_interpreter " + json.dumps({"code": "total / 0"}),
        "think: Division by zero fails, as expected.\n"
        "text: **The total is 45.**\ntext: \ntext: - dividing by zero raises",
    ]
)
# Emoji pictographs (💭, 🔧, ⏱, …): blank boxes on a machine without an emoji font, as this one is.
PICTOGRAPH = re.compile("[\U0001f300-\U0001faff\u23f0-\u23fa\u2600-\u26ff]")

_STYLE = """(sel) => { const el = document.querySelector(sel); if (!el) return null;
  const s = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {color: s.color, bg: s.backgroundColor, fontSize: parseFloat(s.fontSize),
          borderLeft: parseFloat(s.borderLeftWidth), borderTop: parseFloat(s.borderTopWidth), display: s.display,
          top: box.top, bottom: box.bottom, width: box.width, mask: s.maskImage || s.webkitMaskImage || ""}; }"""

# WCAG contrast of an element's text against what is painted behind it (backgrounds composited upwards).
_CONTRAST = """([sel, pseudo]) => { const el = document.querySelector(sel); if (!el) return null;
  const parse = (c) => { const p = c.match(/[\\d.]+/g).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat([1]);
  const chain = []; for (let n = el; n; n = n.parentElement) chain.unshift(n);
  let bg = [255, 255, 255, 1];
  for (const n of chain) { const c = parse(getComputedStyle(n).backgroundColor); if (c[3] > 0) bg = over(c, bg); }
  const fg = over(parse(getComputedStyle(el, pseudo || null).color), bg);
  const lum = (c) => { const [r, g, b] = c.slice(0, 3).map((v) => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05); }"""

STATIC = ".k2nb-static"
CODE_BOX = f"{STATIC} pre.k2nb-code"
OUT_BOX = f"{STATIC} pre.k2nb-out:not(.k2nb-error)"
ERROR_BOX = f"{STATIC} pre.k2nb-out.k2nb-error"
THINK_SUMMARY = f"{STATIC} .k2nb-thinking-block > summary"
TOOL_SUMMARY = f"{STATIC} .k2nb-tool > summary"
SECONDARY = {  # what must reach 4.5:1: summaries, the status line, the thinking text, kernel-state lines
    "thinking summary": THINK_SUMMARY,
    "tool summary": TOOL_SUMMARY,
    "status line": f"{STATIC} > .k2nb-status",
    "thinking text": f"{STATIC} .k2nb-thinking",
    "kernel state": f"{STATIC} .k2nb-state",
}


@pytest.fixture(scope="module")
def approve_mode() -> str:
    return "auto"


def style(page: Any, selector: str) -> dict[str, Any]:
    found = page.evaluate(_STYLE, selector)
    assert found is not None, f"nothing matches {selector}"
    return dict(found)


def contrast(page: Any, selector: str, pseudo: str = "") -> float:
    value = page.evaluate(_CONTRAST, [selector, pseudo])
    assert value is not None, f"nothing matches {selector}"
    return float(value)


def command(page: Any, name: str, args: dict[str, Any] | None = None) -> None:
    page.evaluate("([n, a]) => window.jupyterapp.commands.execute(n, a)", [name, args or {}])


def set_theme(page: Any, theme: str) -> None:
    command(page, "apputils:change-theme", {"theme": theme})
    light = "true" if "Light" in theme else "false"
    page.wait_for_function(f"() => document.body.dataset.jpThemeLight === '{light}'", timeout=30_000)
    time.sleep(0.5)  # the theme's stylesheet applies a frame later


def save(page: Any) -> None:
    command(page, "docmanager:save")
    page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=30_000)


def visible_labels(page: Any) -> str:
    """What a person reads in the outputs and the notebook toolbar."""
    return str(
        page.evaluate("""() => { const nb = window.jupyterapp.shell.currentWidget;
        const outputs = [...nb.node.querySelectorAll('.jp-OutputArea')].map(o => o.innerText);
        return [nb.toolbar.node.innerText, ...outputs].join('\\n'); }""")
    )


def assert_the_look(page: Any) -> None:
    """The finished trace's look, whatever delivered its CSS."""
    code, out, error = style(page, CODE_BOX), style(page, OUT_BOX), style(page, ERROR_BOX)
    # code and output: two boxes, one after the other, told apart by fill and border
    assert code["bottom"] <= out["top"] + 0.5
    assert code["bg"] != out["bg"] and code["borderTop"] >= 1 and out["borderLeft"] >= 2
    assert error["bg"] not in (out["bg"], "rgba(0, 0, 0, 0)")
    # highlighted code: keywords/builtins/strings/comments in colours other than the plain text
    plain = style(page, CODE_BOX)["color"]
    for token in (".nb", ".s1", ".c1", ".mi"):
        assert style(page, f"{CODE_BOX} {token}")["color"] != plain, token
    # the traceback keeps its ANSI colours
    assert page.locator(f"{ERROR_BOX} span[class*='ansi-']").count() >= 2
    colours = page.evaluate(f"""() => [...document.querySelectorAll("{ERROR_BOX} span[class*='-fg']")]
        .map((span) => getComputedStyle(span).color)""")
    assert len(set(colours) - {error["color"]}) >= 2, colours  # at least two colours besides the plain text
    assert "ZeroDivisionError" in page.locator(ERROR_BOX).inner_text()
    # the Markdown answer is rendered
    assert page.locator(f"{STATIC} .k2nb-answer strong", has_text="The total is 45.").count() == 1
    # icons: drawn (an SVG mask), beside text labels; no emoji pictographs left anywhere visible
    for icon in (f"{THINK_SUMMARY} .k2nb-icon-thinking", f"{TOOL_SUMMARY} .k2nb-icon-tool"):
        drawn = style(page, icon)
        assert drawn["width"] > 4 and "svg" in drawn["mask"], icon
    assert "Thought for" in page.locator(THINK_SUMMARY).first.inner_text()
    assert "code_interpreter" in page.locator(TOOL_SUMMARY).first.inner_text()
    assert not PICTOGRAPH.findall(visible_labels(page))


def finished_trace(page: Any, server: JupyterServer, board: Switchboard, name: str) -> None:
    board.script(SCRIPT)
    open_notebook(page, server, name, ["%load_ext k2nb", "%%k2\nAdd 0..9, then divide it by zero"])
    wait_for_link(page)
    run_cell(page, 1)
    page.locator(STATIC).first.wait_for(state="attached", timeout=60_000)
    wait_idle(page)
    unfold(page)


def unfold(page: Any) -> None:
    """The run folds its lanes; open them, as a reader would, to see every part."""
    closed = page.locator(f"{STATIC} details:not([open]) > summary")
    for _ in range(20):
        if closed.count() == 0:
            return
        closed.first.click()
    raise AssertionError("the trace's lanes do not unfold")


def test_the_finished_trace_keeps_its_look(page: Any, jupyter_server: JupyterServer, board: Switchboard) -> None:
    ui = jupyter_server.ui
    finished_trace(page, jupyter_server, board, "look.ipynb")
    assert_the_look(page)
    screenshot(page, f"trace-look-light-{ui}")

    # Settings → font size: the content size scales the trace, the code size its code
    before_text, before_code = style(page, THINK_SUMMARY)["fontSize"], style(page, CODE_BOX)["fontSize"]
    for key, selector in [("content-font-size1", THINK_SUMMARY), ("code-font-size", CODE_BOX)] * 2:
        grown = style(page, selector)["fontSize"]
        command(page, "apputils:incr-font-size", {"key": key})
        page.wait_for_function(
            "([sel, size]) => parseFloat(getComputedStyle(document.querySelector(sel)).fontSize) > size",
            arg=[selector, grown],
            timeout=10_000,
        )
    after_text, after_code = style(page, THINK_SUMMARY)["fontSize"], style(page, CODE_BOX)["fontSize"]
    # (each increase is a settings round trip; a quick second one may read the old value, so only "grew")
    assert after_text > before_text and after_code > before_code
    assert style(page, f"{STATIC} .k2nb-thinking")["fontSize"] == after_text  # the whole trace, not one line
    screenshot(page, f"trace-look-larger-font-{ui}")
    for key in ("content-font-size1", "content-font-size1", "code-font-size", "code-font-size"):
        command(page, "apputils:decr-font-size", {"key": key})

    # dark theme: still two boxes, and the secondary text readable (WCAG AA)
    set_theme(page, "JupyterLab Dark")
    try:
        assert_the_look(page)
        ratios = {name: round(contrast(page, sel), 2) for name, sel in SECONDARY.items()}
        assert min(ratios.values()) >= 4.5, ratios
        print(f"contrast, dark, {ui}: {ratios}")  # shown with pytest -s
        screenshot(page, f"trace-look-dark-{ui}")
    finally:
        set_theme(page, "JupyterLab Light")
    light = {name: round(contrast(page, sel), 2) for name, sel in SECONDARY.items()}
    assert min(light.values()) >= 4.5, light
    print(f"contrast, light, {ui}: {light}")

    # the saved notebook, reopened as an untrusted copy: no <style> survives, the look does
    save(page)
    saved = json.loads((jupyter_server.root_dir / "look.ipynb").read_text())
    assert "<style>" in "".join(saved["cells"][1]["outputs"][0]["data"]["text/html"])
    saved["metadata"]["copied"] = True  # no longer matches its signature: untrusted
    (jupyter_server.root_dir / "look-copy.ipynb").write_text(json.dumps(saved))
    open_notebook(page, jupyter_server, "look-copy.ipynb")
    page.locator(STATIC).first.wait_for(state="attached", timeout=60_000)
    assert page.evaluate("() => document.querySelectorAll('.jp-OutputArea style').length") == 0
    unfold(page)
    assert_the_look(page)
    screenshot(page, f"trace-look-untrusted-{ui}")


def test_no_emoji_font_needed(page: Any, jupyter_server: JupyterServer, board: Switchboard) -> None:
    """This machine has no emoji font (fc-list): every label must still read, the icons be drawn."""
    finished_trace(page, jupyter_server, board, "fonts.ipynb")
    page.add_style_tag(content='* { font-family: "DejaVu Sans" !important; }')
    assert not PICTOGRAPH.findall(visible_labels(page))
    toolbar = page.locator(".k2nb-thinking-lanes")
    assert toolbar.inner_text().strip() == "Thinking: shown"
    assert style(page, ".k2nb-thinking-lanes .k2nb-icon-thinking")["width"] >= 12
    screenshot(page, f"trace-look-no-emoji-font-{jupyter_server.ui}")


def _note(page: Any, lane: str) -> str:
    """The text a hidden lane shows instead of itself ('' when the lane shows)."""
    return str(
        page.evaluate(
            "(sel) => { const s = document.querySelector(sel); "
            "return s ? getComputedStyle(s, '::after').content : ''; }",
            lane,
        )
    )


def _lane_text_shown(page: Any, selector: str) -> bool:
    return bool(
        page.evaluate(
            "(sel) => [...document.querySelectorAll(sel)].some((e) => e.getBoundingClientRect().height > 0)", selector
        )
    )


def test_hide_thinking_is_a_notebook_toggle_that_survives_the_run(
    page: Any, jupyter_server: JupyterServer, board: Switchboard
) -> None:
    long_thought = " ".join(f"step{i}" for i in range(1500))
    board.script(f"think: {long_thought}\ntext: Done thinking.", speed=200)
    open_notebook(page, jupyter_server, "hide.ipynb", ["%load_ext k2nb", "%%k2\nThink a while"])
    wait_for_link(page)
    toolbar = page.locator(".k2nb-thinking-lanes")
    assert toolbar.inner_text().strip() == "Thinking: shown"
    run_cell(page, 1)
    live_lane = ".k2nb-live .k2nb-kind-thinking"
    page.wait_for_function(
        f"() => (document.querySelector('{live_lane} .k2nb-body')?.textContent || '').includes('step30 ')",
        timeout=30_000,
    )
    # hide it from the live view's button while the thinking streams
    page.locator(".k2nb-live button.k2nb-thinking-toggle").click()
    # the notebook's state goes through the labextension (metadata), so the note follows a moment later
    page.wait_for_function(
        "(sel) => { const s = document.querySelector(sel);"
        " return !!s && getComputedStyle(s, '::after').content.includes('thinking hidden'); }",
        arg=f"{live_lane} > summary",
        timeout=10_000,
    )
    assert not _lane_text_shown(page, f"{live_lane} .k2nb-body")
    assert page.locator(".k2nb-live button.k2nb-thinking-toggle").inner_text().strip() == "show thinking"
    assert toolbar.inner_text().strip() == "Thinking: hidden"
    screenshot(page, f"hide-thinking-live-{jupyter_server.ui}")

    # the run ends: the saved trace replaces the live view, its thinking still hidden behind a note
    page.locator(STATIC).first.wait_for(state="attached", timeout=90_000)
    wait_idle(page)
    assert page.locator(".k2nb-live").count() == 0
    assert "thinking hidden — show" in _note(page, THINK_SUMMARY)
    assert not _lane_text_shown(page, f"{STATIC} .k2nb-thinking")
    assert "Done thinking." in page.locator(STATIC).inner_text()
    assert toolbar.inner_text().strip() == "Thinking: hidden"
    screenshot(page, f"hide-thinking-after-run-{jupyter_server.ui}")

    # a click on the note shows thinking again (the lane's usual summary, foldable as before)
    page.locator(THINK_SUMMARY).first.click()
    assert _note(page, THINK_SUMMARY) in ("none", "normal", "")
    assert "Thought for" in page.locator(THINK_SUMMARY).first.inner_text()
    assert toolbar.inner_text().strip() == "Thinking: shown"
    page.locator(THINK_SUMMARY).first.click()  # now it unfolds the lane
    assert _lane_text_shown(page, f"{STATIC} .k2nb-thinking")

    # the toolbar button hides it again; the state is saved with the notebook and comes back on reload
    toolbar.locator("button").click()
    assert toolbar.inner_text().strip() == "Thinking: hidden"
    assert not _lane_text_shown(page, f"{STATIC} .k2nb-thinking")
    save(page)
    saved = json.loads(Path(jupyter_server.root_dir / "hide.ipynb").read_text())
    assert saved["metadata"]["k2nb"]["hide_thinking"] is True
    page.reload()
    page.locator(STATIC).first.wait_for(state="attached", timeout=60_000)
    toolbar = page.locator(".k2nb-thinking-lanes")
    toolbar.wait_for(timeout=30_000)
    page.wait_for_function("() => document.querySelector('.jp-Notebook.k2nb-hide-thinking') !== null", timeout=30_000)
    assert toolbar.inner_text().strip() == "Thinking: hidden"
    assert "thinking hidden" in _note(page, THINK_SUMMARY)
    toolbar.locator("button").click()
    assert toolbar.inner_text().strip() == "Thinking: shown"
    assert _note(page, THINK_SUMMARY) in ("none", "normal", "")
    save(page)
    saved = json.loads(Path(jupyter_server.root_dir / "hide.ipynb").read_text())
    assert "hide_thinking" not in saved["metadata"].get("k2nb", {})


_STANDALONE = """async ([esm, css]) => {
  const style = document.createElement('style'); style.textContent = css; document.head.append(style);
  const mod = (await import(URL.createObjectURL(new Blob([esm], {type: 'text/javascript'})))).default;
  const handlers = [];
  const model = {get: () => 'run-1', on: (name, fn) => handlers.push(fn), off: () => {}};
  mod.initialize({model});
  const el = document.createElement('div'); document.querySelector('.jp-Notebook').append(el);
  mod.render({model, el});
  const ops = [{op: 'block', id: 't', kind: 'thinking', title: 'Thinking…', open: true},
               {op: 'append', id: 't', text: 'a private chain of thought'},
               {op: 'status', phase: 'thinking', text: 'thinking · step 1/50'}];
  for (const fn of handlers) fn({ops});
}"""


def test_without_the_labextension_the_live_button_toggles_its_own_view(page: Any) -> None:
    """VS Code, Colab: nobody answers the view's event, so the view hides (and shows) its own lanes."""
    from k2nb.ui.widget import TraceWidget

    page.set_content('<div class="jp-Notebook"></div>')
    page.evaluate(_STANDALONE, [TraceWidget._esm, TraceWidget._css])
    lane = ".k2nb-live .k2nb-kind-thinking"
    page.wait_for_function(f"() => document.querySelector('{lane} .k2nb-body').textContent.includes('private')")
    toggle = page.locator("button.k2nb-thinking-toggle")
    assert toggle.inner_text().strip() == "hide thinking"
    toggle.click()
    assert "thinking hidden" in _note(page, f"{lane} > summary")
    assert not _lane_text_shown(page, f"{lane} .k2nb-body")
    assert toggle.inner_text().strip() == "show thinking"
    # the view only: the notebook node is not marked, so nothing outlives the run
    marked = "() => document.querySelector('.jp-Notebook').classList.contains('k2nb-hide-thinking')"
    assert page.evaluate(marked) is False
    page.locator(f"{lane} > summary").click()  # the note
    assert _lane_text_shown(page, f"{lane} .k2nb-body")
    assert toggle.inner_text().strip() == "hide thinking"
    assert style(page, f"{lane} > summary .k2nb-icon-thinking")["width"] > 4
    # Stop: nothing carries the click to the kernel here, so the button says what does stop the run.
    stop = page.locator(".k2nb-live button", has_text="Stop")
    stop.click()
    assert "interrupt the kernel" in stop.inner_text()
    assert stop.is_enabled()
