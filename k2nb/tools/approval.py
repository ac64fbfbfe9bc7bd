"""Approval of code before it runs. Decisions come only from the user or their configuration.

Every tool that needs approval calls :meth:`ApprovalPolicy.ask`: it applies the session's mode,
asks the user through an :class:`Approver` when the mode is "ask", emits ``ApprovalNeeded`` /
``ApprovalDecided`` (titled with the tool's own name) and returns a :class:`Verdict`. An approver
declares its channel: stdin (a prompt, in every frontend) or in-output buttons (through the
``k2nb`` comm where the labextension is present); the magic picks one for the frontend.
"""

from __future__ import annotations

import builtins
import contextlib
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Generic, Literal, Protocol, TypeVar, runtime_checkable

from ..config import ApproveMode
from ..core.events import ApprovalDecided, ApprovalNeeded, CellChange, Decision, Event
from ..core.notebook_view import source_diff
from ..core.page_answers import opened_before_shown
from ..core.transcript import ALWAYS
from ..errors import RunStopped

HEADLESS_HINT = (
    "nobody can answer the approval prompt here (no stdin, e.g. a headless nbclient/papermill run). "
    "Re-run with `%%k2 --approve auto` (or set K2NB_APPROVE=auto) to let the model's code run."
)


@dataclass(frozen=True)
class ApprovalRequest:
    call_id: str
    tool: str
    code: str  # what runs, or a notebook change's proposed source (what Edit changes)
    step: int
    change: CellChange | None = None  # a notebook tool's change: the diff, the new cell or the cell to run


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    code: str
    reason: str = ""

    @property
    def runs(self) -> bool:
        return self.decision in ("auto", "run", "edit", "always")


Channel = Literal["buttons", "stdin"]  # where the user answers: the live view's buttons or a stdin prompt
Answer = Callable[[ApprovalRequest], Verdict]  # a plain function that answers (tests, scripts)


@runtime_checkable
class Approver(Protocol):
    """Who answers an approval question, and where: the live view shows buttons or points at the prompt."""

    @property
    def channel(self) -> Channel: ...

    def __call__(self, request: ApprovalRequest) -> Verdict: ...


@dataclass(frozen=True)
class FunctionApprover:
    """A plain function as an approver (``Agent(approver=fn)``): it answers outside the live view."""

    answer: Answer
    channel: Channel = "stdin"

    def __call__(self, request: ApprovalRequest) -> Verdict:
        return self.answer(request)


def as_approver(ask: Approver | Answer) -> Approver:
    """An :class:`Approver` as is; a plain function wrapped as one (its channel: stdin)."""
    return ask if isinstance(ask, Approver) else FunctionApprover(ask)


class Unanswerable(Exception):
    """Raised by an approver when nobody can answer (no stdin)."""


def kernel_input(prompt: str) -> str:
    """``input()``, looked up at each call: ipykernel swaps ``builtins.input`` for each execute request."""
    return builtins.input(prompt)


def read_stdin(read: Callable[[str], str], prompt: str) -> str:
    """One answer typed on stdin (``input()`` works mid-cell in every frontend); :class:`Unanswerable`
    where there is no stdin (a headless nbclient/papermill run)."""
    try:
        return read(prompt)
    except EOFError as error:
        raise Unanswerable from error
    except Exception as error:
        # IPython's StdinNotImplementedError when the frontend does not allow stdin.
        if type(error).__name__ == "StdinNotImplementedError":
            raise Unanswerable from error
        raise


T = TypeVar("T")


class Clicks(Generic[T]):
    """Answers from the live view, awaited by id: a click relayed on the comm's (subshell) thread
    answers the question the run waits on, on the main thread, in short slices, so a kernel
    interrupt or the Stop button still ends the wait. A click for no open question is dropped
    (stale); a second click for one question too (one answer each)."""

    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop
        self._lock = threading.Lock()
        self._open: dict[str, queue.Queue[T]] = {}

    def deliver(self, key: str, answer: T) -> None:
        with self._lock:
            slot = self._open.get(key)
        if slot is not None:
            with contextlib.suppress(queue.Full):
                slot.put_nowait(answer)

    @contextlib.contextmanager
    def expecting(self, key: str) -> Iterator[None]:
        """The question ``key`` is open from here (before the page shows it), so an answer that comes
        before :meth:`wait` is kept, not dropped as stale."""
        slot: queue.Queue[T] = queue.Queue(maxsize=1)
        with self._lock:
            self._open[key] = slot
        try:
            yield
        finally:
            with self._lock:
                if self._open.get(key) is slot:
                    del self._open[key]

    def wait(self, key: str) -> T:
        with self._lock:
            slot = self._open.get(key)
            if slot is None:  # not opened by expecting(): open for this wait alone
                slot = self._open[key] = queue.Queue(maxsize=1)
        try:
            while True:
                if self._stop.is_set():
                    raise RunStopped("stopped by the user")
                try:
                    return slot.get(timeout=0.2)
                except queue.Empty:
                    continue
        finally:
            with self._lock:
                self._open.pop(key, None)


class ApprovalPolicy:
    """Session state: the mode, which "Always" upgrades to auto for the rest of the session.

    Only the user changes it: their click (Always, "ask again"), their ``%k2 approve`` or config.
    The session's policy is the one owner of the mode; a cell's ``--approve`` gets a policy of its
    own for that run (:meth:`for_run`), whose "Always" upgrades the session's.
    """

    def __init__(self, mode: ApproveMode, *, session: ApprovalPolicy | None = None) -> None:
        self._mode: ApproveMode = mode
        self.by_always = False  # auto because the user clicked Always (shown on every later run)
        self._session = session

    def for_run(self, mode: ApproveMode | None) -> ApprovalPolicy:
        """The policy one run uses: this one, or ``mode`` for that run only (a cell's ``--approve``)."""
        return self if mode is None else ApprovalPolicy(mode, session=self)

    def always(self) -> None:
        """The user clicked Always: auto from now on, here and in the session this run belongs to."""
        self._mode, self.by_always = "auto", True
        if self._session is not None:
            self._session.always()

    @property
    def mode(self) -> ApproveMode:
        return self._mode

    @mode.setter
    def mode(self, mode: ApproveMode) -> None:
        self._mode, self.by_always = mode, False

    @property
    def label(self) -> str:
        """The mode as the status line shows it: ask / auto / never / "auto (Always)"."""
        return ALWAYS if self.by_always and self._mode == "auto" else self._mode

    def ask(self, request: ApprovalRequest, approver: Approver | Answer, emit: Callable[[Event], None]) -> Verdict:
        """The verdict on one call, with its events; the user's answer time is measured here.

        Every tool that needs approval goes through this, so "waited" (the answer) and "ran" (the
        call) are told apart the same way everywhere, and each approval carries its tool's name.
        """
        approver = as_approver(approver)
        asking = self.mode == "ask"
        with opened_before_shown(approver, request.call_id) if asking else contextlib.nullcontext():
            if asking:
                emit(
                    ApprovalNeeded(
                        request.step,
                        request.call_id,
                        request.code,
                        channel=approver.channel,
                        tool=request.tool,
                        change=request.change,
                    )
                )
            started = time.perf_counter()
            verdict = self.decide(request, approver)
            waited = time.perf_counter() - started if asking else 0.0
        emit(
            ApprovalDecided(
                request.step,
                request.call_id,
                verdict.decision,
                verdict.code,
                verdict.reason,
                waited,
                tool=request.tool,
            )
        )
        return verdict

    def decide(self, request: ApprovalRequest, ask: Approver | Answer) -> Verdict:
        """The verdict alone (no events): the mode's, or the user's answer when the mode is "ask"."""
        if self.mode == "auto":
            return Verdict("auto", request.code)
        if self.mode == "never":
            return Verdict(
                "declined",
                request.code,
                "code execution is disabled (--approve never); use --approve ask or auto to allow it",
            )
        try:
            verdict = ask(request)
        except Unanswerable:
            return Verdict("declined", request.code, HEADLESS_HINT)
        if verdict.decision == "always":
            self.always()
        return verdict


CHANGE_QUESTION = {"edit": "apply this edit", "insert": "insert this cell", "run": "run this cell in the kernel"}


def change_text(change: CellChange) -> str:
    """A notebook change as plain text, for a stdin prompt: the diff, the new cell or the cell to run."""
    if change.kind == "edit":
        return f"edit {change.label}:\n{source_diff(change.before, change.after)}"
    if change.kind == "insert":
        return f"{change.label} ({change.cell_type}):\n{change.after}"
    return f"run {change.label}:\n{change.after}"


class StdinApprover:
    """Asks on stdin: works mid-cell in every frontend (``input()`` goes over the stdin channel)."""

    channel: Channel = "stdin"

    def __init__(self, read: Callable[[str], str] = kernel_input, show: Callable[[str], None] = print) -> None:
        self._read = read
        self._show = show

    def _input(self, prompt: str) -> str:
        return read_stdin(self._read, prompt)

    def __call__(self, request: ApprovalRequest) -> Verdict:
        question = f"k2nb: run this {request.tool} code (step {request.step})? [r]un / [e]dit / [s]kip / [a]lways: "
        if request.change is not None:
            self._show(change_text(request.change))
            question = f"k2nb: {CHANGE_QUESTION[request.change.kind]}? [r]un / [e]dit / [s]kip / [a]lways: "
        while True:
            answer = self._input(question).strip().lower()
            if answer in ("r", "run", "y", "yes"):
                return Verdict("run", request.code)
            if answer in ("a", "always"):
                return Verdict("always", request.code)
            if answer in ("s", "skip", "n", "no"):
                reason = self._input("reason for the model (optional): ").strip()
                return Verdict("skip", request.code, reason)
            if answer in ("e", "edit"):
                self._show("Enter the new code; finish with a line containing only a single '.':")
                lines: list[str] = []
                while (line := self._input("")) != ".":
                    lines.append(line)
                return Verdict("edit", "\n".join(lines) or request.code)
            self._show("Please answer r, e, s or a.")


class ButtonApprover:
    """Waits for the user's click in the live view, relayed by the labextension over the comm.

    ``deliver`` runs on the comm's (subshell) thread; ``__call__`` waits on the main thread in
    short slices so a kernel interrupt or the Stop button still ends the wait.
    """

    channel: Channel = "buttons"
    _DECISIONS: frozenset[str] = frozenset({"run", "edit", "skip", "always"})

    def __init__(self, stop: threading.Event) -> None:
        self._clicks: Clicks[Verdict] = Clicks(stop)

    def deliver(self, message: dict[str, object]) -> None:
        call_id, decision = str(message.get("call_id", "")), str(message.get("decision", ""))
        if decision not in self._DECISIONS:
            return
        code = message.get("code")
        verdict = Verdict(
            decision,  # type: ignore[arg-type]
            str(code) if decision == "edit" and isinstance(code, str) else "",
            str(message.get("reason") or "") if decision == "skip" else "",
        )
        self._clicks.deliver(call_id, verdict)  # dropped when that call no longer waits (a stale click)

    def expecting(self, key: str) -> AbstractContextManager[None]:
        return self._clicks.expecting(key)

    def __call__(self, request: ApprovalRequest) -> Verdict:
        verdict = self._clicks.wait(request.call_id)
        return Verdict(verdict.decision, verdict.code or request.code, verdict.reason)


class RoutingApprover:
    """Buttons in the output when a frontend with the labextension is connected; stdin otherwise."""

    def __init__(self, connected: Callable[[], bool], buttons: ButtonApprover, fallback: Approver | Answer) -> None:
        self._connected = connected
        self._buttons = buttons
        self._fallback = as_approver(fallback)

    @property
    def channel(self) -> Channel:
        return self._buttons.channel if self._connected() else self._fallback.channel

    def expecting(self, key: str) -> AbstractContextManager[None]:
        return self._buttons.expecting(key) if self._connected() else contextlib.nullcontext()

    def __call__(self, request: ApprovalRequest) -> Verdict:
        return self._buttons(request) if self._connected() else self._fallback(request)
