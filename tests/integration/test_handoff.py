"""The finished trace handed to the tab compressed (k2nb/notebook/tracestatic.py), in a real kernel.

A stand-in tab (jupyter_client with a subshell, as the labextension) announces the
`trace-static` capability; the kernel then sends the saved bundle deflated on `k2nb.frontend`
instead of an uncompressed `update_display`, and falls back to `update_display` whenever the tab
does not confirm: it did not find the output, it is an older extension, or it stays silent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.harness.kernel import Kernel, WireMessage
from tests.harness.server import SECRET_KEY, provider_env, scripted
from tests.harness.tab import Tab, handoff_bundle

pytestmark = pytest.mark.kernel

THINKING = " ".join(f"weighing option {i}" for i in range(400))
ANSWER = "The answer is forty-two, " + " ".join(f"because {i}." for i in range(200))
WIDGET = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def kernel() -> Iterator[Kernel]:
    script = "\n---\n".join([f"think: {THINKING}\ntext: {ANSWER}"] * 8)
    with scripted(script, api_key=SECRET_KEY) as server, Kernel(provider_env(server)) as k:
        k.run("%load_ext k2nb")
        yield k


def k2_cell(
    kernel: Kernel, on_handoff: Callable[[dict[str, Any], Any], None], *, all_buffers: bool = False
) -> tuple[list[WireMessage], float]:
    """Run a %%k2 cell; call ``on_handoff(data, buffer)`` for each trace-static op (mid-cell), or
    with ``all_buffers`` ``on_handoff(data, buffers)``. Returns the cell's iopub messages and the
    seconds it took."""

    def hook(message: WireMessage) -> None:
        data = message.content.get("data") if message.msg_type == "comm_msg" else None
        if isinstance(data, dict) and data.get("op") == "trace-static":
            on_handoff(data, message.buffers if all_buffers else message.buffers[0])

    started = time.monotonic()
    run = kernel.execute("%%k2 --new --approve auto\nAnswer", on_message=hook)
    assert run.status == "ok", run.text[-3000:]
    return run.messages, time.monotonic() - started


def saved_bundles(messages: list[WireMessage]) -> list[dict[str, Any]]:
    return [m.content["data"] for m in messages if m.msg_type == "update_display_data"]


def connect(kernel: Kernel, **hello: Any) -> Tab:
    tab = Tab(kernel.client)
    tab.hello(**hello)
    deadline = time.monotonic() + 10
    while tab.client_id not in kernel.run("print(get_ipython()._k2nb_magics.frontend.client_ids())"):
        assert time.monotonic() < deadline, "the stand-in tab never linked"
        time.sleep(0.1)
    return tab


def test_a_capable_tab_gets_the_saved_trace_deflated_and_no_update_display(kernel: Kernel) -> None:
    tab = connect(kernel, capabilities=["trace-static"])
    received: list[tuple[dict[str, Any], dict[str, Any], int]] = []

    def write_it(data: dict[str, Any], buffer: bytes) -> None:
        bundle = handoff_bundle(buffer)
        received.append((data, bundle, len(buffer)))
        tab.send({"kind": "trace-static-done", "token": data["token"], "found": True})

    messages, _ = k2_cell(kernel, write_it)
    tab.close()
    assert len(received) == 1
    data, bundle, size = received[0]
    widget_ids = [
        m.content["comm_id"] for m in messages if m.msg_type == "comm_open" and "run_id" in m.content["data"]["state"]
    ]
    assert data["model_id"] in widget_ids  # names the live view's widget, whose output the tab replaces
    assert data["writer"] == tab.client_id  # the tab that ran the cell writes a collaborative notebook's output
    html = " ".join(bundle["text/html"].split())
    assert THINKING in html and ANSWER in html and "text/plain" in bundle  # the full saved trace
    assert size < len(bundle["text/html"]) / 2  # and it crossed the wire deflated
    assert saved_bundles(messages) == []  # the kernel did not also send it uncompressed


@pytest.mark.parametrize("tab_does", ["not-found", "old-extension", "silent"])
def test_without_the_tabs_confirmation_the_kernel_saves_the_trace_itself(kernel: Kernel, tab_does: str) -> None:
    tab = connect(kernel, **({} if tab_does == "old-extension" else {"capabilities": ["trace-static"]}))
    asked: list[str] = []

    def answer(data: dict[str, Any], _buffer: bytes) -> None:
        asked.append(data["token"])
        if tab_does == "not-found":
            tab.send({"kind": "trace-static-done", "token": data["token"], "found": False})

    messages, seconds = k2_cell(kernel, answer)
    tab.close()
    assert len(asked) == (0 if tab_does == "old-extension" else 1)
    bundles = saved_bundles(messages)
    assert len(bundles) == 1 and WIDGET not in bundles[0]
    html = " ".join(bundles[0]["text/html"].split())
    assert THINKING in html and ANSWER in html
    if tab_does == "not-found":
        assert seconds < 2.5  # a "not here" answer does not wait out the timeout


def test_the_trace_style_goes_once_per_link_and_the_tab_puts_it_back(kernel: Kernel) -> None:
    tab = connect(kernel, capabilities=["trace-static", "trace-style"])
    sent: list[tuple[dict[str, Any], int, int]] = []  # op, buffers, bytes

    def write_it(data: dict[str, Any], buffers: list[bytes]) -> None:
        sent.append((data, len(buffers), sum(len(b) for b in buffers)))
        tab.answer_handoff(data, buffers)

    first, _ = k2_cell(kernel, write_it, all_buffers=True)
    second, _ = k2_cell(kernel, write_it, all_buffers=True)
    assert [n for _, n, _ in sent] == [2, 1]  # the style with the first run only, then its key
    assert sent[0][0]["style"] == sent[1][0]["style"]
    assert sent[1][2] < sent[0][2] - 300  # what that saves each later run (deflated)
    for bundle in tab.handoffs:  # the tab put it back: the saved trace is whole
        page = bundle["text/html"]
        assert page.startswith("<style>\n") and "div.k2nb-trace{" in page and "</style><div class=" in page
        assert THINKING in " ".join(page.split()) and ANSWER in " ".join(page.split())
    assert saved_bundles(first) == saved_bundles(second) == []

    # A tab that does not hold it says so; the kernel saves the trace itself, and sends the style again.
    tab.styles.clear()
    third, _ = k2_cell(kernel, write_it, all_buffers=True)
    [fallback] = saved_bundles(third)
    assert fallback["text/html"].startswith("<style>\n") and THINKING in " ".join(fallback["text/html"].split())
    k2_cell(kernel, write_it, all_buffers=True)
    assert [n for _, n, _ in sent] == [2, 1, 1, 2]

    # A tab that links later gets the link reopened: the style goes again, for it.
    late = Tab(kernel.client)
    late.hello(capabilities=["trace-static", "trace-style"], downlink=None)
    k2_cell(kernel, write_it, all_buffers=True)
    assert [n for _, n, _ in sent][-1] == 2
    late.close()
    tab.close()
