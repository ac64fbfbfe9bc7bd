"""The ``code_interpreter`` tool: Python the model writes runs in the user's live kernel.

Name and single ``code`` argument are fixed (K2 is trained on them). Approval first, then
execution with a timeout; the user sees rich outputs, the model reads a cleaned text rendering.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

from ..core.output_text import cap_for_display, outputs_to_model_text
from ..core.toolbox import ToolContext, ToolOutcome, ToolSpec, ToolStopped
from ..kernel.run_code import CodeStopped, run_code
from ..kernel.secrets import Redactor
from ..kernel.state_diff import diff, snapshot
from .approval import Answer, ApprovalPolicy, ApprovalRequest, Approver

NAME = "code_interpreter"
DESCRIPTION = (
    "Run Python code in the user's live Jupyter kernel (IPython). Variables, imports and data "
    "persist between calls and are shared with the user's notebook. Returns stdout, stderr, the "
    "value of the last expression, summaries of displayed figures/tables, and tracebacks."
)
PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {"code": {"type": "string", "description": "The Python code to execute."}},
    "required": ["code"],
}


def run_for_model(
    shell: Any,
    code: str,
    *,
    redact: Redactor,
    timeout: float | None,
    stop: threading.Event | None = None,
    store_history: bool = False,
    cell_id: str | None = None,
) -> tuple[ToolOutcome, int | None]:
    """Run ``code`` in the live kernel; the outcome the model and the trace get, and its execution count.

    Code can print os.environ: the key and secret-named values must reach neither the model nor the
    notebook, so both renderings are built from redacted outputs. The redactor reads the namespace
    after the run: a secret-named variable this code assigned is hidden too.
    """
    before = snapshot(shell.user_ns)
    try:
        execution = run_code(shell, code, timeout=timeout, stop=stop, store_history=store_history, cell_id=cell_id)
    except CodeStopped as stopped:
        # What the code showed before the stop stays in the trace, redacted like any output.
        shown = tuple(cap_for_display(redact.output(o)) for o in stopped.outputs)
        raise ToolStopped(shown, code, diff(before, snapshot(shell.user_ns)).text()) from None
    changes = diff(before, snapshot(shell.user_ns))
    outputs = [redact.output(o) for o in execution.outputs]
    text = outputs_to_model_text(outputs)
    if changes:
        text += f"\n[kernel state] {changes.text()}"
    if execution.exit_requested:
        text += "\n[exit()/quit() is ignored here: the user's kernel keeps running]"
    status = {"ok": "ok", "error": "error", "timeout": "timeout"}[execution.status]
    if execution.status == "timeout" and timeout:
        text += f"\n[The code was interrupted after {timeout:g} s; the kernel is still usable.]"
    outcome = ToolOutcome(
        status,  # type: ignore[arg-type]
        text,
        outputs=tuple(cap_for_display(o) for o in outputs),
        code=code,
        state_diff=changes.text(),
    )
    return outcome, execution.execution_count


def code_interpreter(
    shell: Any,
    policy: ApprovalPolicy,
    ask: Approver | Answer,
    *,
    timeout: Callable[[], float | None],
    redactor: Redactor | None = None,
    stop: threading.Event | None = None,
) -> ToolSpec:
    """The tool; ``redactor`` is the run's (default: one for this shell's namespace and environment)."""
    redact = redactor if redactor is not None else Redactor.for_run(namespace=shell.user_ns)

    def handle(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
        code = str(arguments["code"])
        verdict = policy.ask(ApprovalRequest(context.call_id, NAME, code, context.step), ask, context.emit)
        if not verdict.runs:
            if verdict.decision == "skip":
                why = f" Their reason: {verdict.reason}" if verdict.reason else ""
                text = f"The user declined to run this code (skipped).{why}"
            else:
                text = f"The code was declined and did not run: {verdict.reason}"
            return ToolOutcome("declined", text, code=code)

        outcome, _count = run_for_model(shell, verdict.code, redact=redact, timeout=timeout(), stop=stop)
        if verdict.decision == "edit":
            text = f"[The user edited the code before running it. Code that ran:]\n{verdict.code}\n[Output:]\n"
            return dataclasses.replace(outcome, model_text=text + outcome.model_text)
        return outcome

    return ToolSpec(NAME, DESCRIPTION, PARAMETERS, handle, read_only=False)
