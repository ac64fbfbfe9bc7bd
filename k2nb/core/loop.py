"""The agent: :func:`step` is one model call (no history mutation); :func:`run` is the loop.

The loop iterates (never recurses), owns the working history, enforces limits, retries
transient failures with backoff, and turns every tool failure into a tool result. Whatever
stops it (answer, limit, error, the user), the history it commits is valid for the next run.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..config import (
    BACKOFF,
    CONTEXT_BUDGET,
    EFFORT,
    EFFORT_FIELD,
    IMAGES,
    KEEP_THINKING,
    MAX_STEPS,
    MAX_TOKENS,
    PRICES,
    RETRIES,
    TEMPERATURE,
    THINKING,
    WEB_SEARCH,
)
from ..errors import K2Error, ModelNotFound, ProviderError, RunStopped, TransientError
from .accumulator import StreamAccumulator
from .context_window import SizeCache, fit_context
from .events import (
    ContentDelta,
    Event,
    ModelTurnDone,
    Notice,
    Retrying,
    RunFinished,
    RunStarted,
    RunStatus,
    StepStarted,
    ToolCallDelta,
    ToolFinished,
    ToolStarted,
)
from .images import PER_STEP, StepImages
from .models import Keep, context_budget, cost_usd, fallback_model, model_info, price_of
from .pause import StepGate
from .request import RequestChoices, build_request, check, keeps_thinking, refusal_hint
from .toolbox import ToolBox, ToolContext, ToolOutcome, ToolSpec, ToolStopped, call_text
from .turn import AssistantTurn, Usage

Emit = Callable[[Event], None]
STOPPED_TOOL_TEXT = "The user stopped the run before this tool call completed; it did not finish."


class StreamingClient(Protocol):
    def stream(self, body: dict[str, Any]) -> Any: ...


@dataclass
class AgentSettings:
    model: str  # the run may switch it once: a default model the server does not offer falls back
    provider: str = "custom"
    # The defaults are the settings table's (k2nb.config.SETTINGS).
    max_steps: int = MAX_STEPS.default
    max_tokens: int = MAX_TOKENS.default
    temperature: float | None = TEMPERATURE.default  # None: the model's (models.py)
    retries: int = RETRIES.default
    backoff: float = BACKOFF.default  # seconds; doubles per attempt, with jitter
    max_backoff: float = 30.0
    max_retry_after: float = 120.0  # a server asking for longer is not waited for in a cell
    max_cost: float | None = None
    prices: dict[str, tuple[float, float, float]] | None = field(default_factory=lambda: dict(PRICES.default))
    system_prompt: str | None = None
    context_budget: int | None = CONTEXT_BUDGET.default  # estimated tokens per request; None: the model's
    approve: str = ""  # the approval mode as the run starts (shown in its status line)
    thinking: str = THINKING.default
    effort: str | None = EFFORT.default
    effort_field: str = EFFORT_FIELD.default
    keep_thinking: bool = KEEP_THINKING.default
    images: str = IMAGES.default
    web_search: bool = WEB_SEARCH.default
    cache_key: str = ""  # Moonshot's prompt_cache_key: one per session
    model_is_default: bool = False  # the preset chose the model: a 404 falls back (models.fallback_model)

    def request_choices(self) -> RequestChoices:
        return RequestChoices(
            provider=self.provider,
            thinking=self.thinking,
            effort=self.effort,
            effort_field=self.effort_field,
            keep_thinking=self.keep_thinking,
            temperature=self.temperature,
            web_search=self.web_search,
            cache_key=self.cache_key,
        )

    @property
    def keep(self) -> Keep:
        """How context fitting treats earlier reasoning for this model (context_window.fit_context)."""
        if not keeps_thinking(self.request_choices(), self.model):
            return "none"
        return "required" if model_info(self.model).keep_thinking == "required" else "opt-in"

    @property
    def budget(self) -> int:
        return self.context_budget or context_budget(self.model, self.max_tokens)

    def step_images(self) -> StepImages:
        """The image budget of a step: figures go back only to models that take images (and --images on)."""
        return StepImages(PER_STEP if self.images == "on" and model_info(self.model).images else 0)


def step(
    client: StreamingClient,
    body: dict[str, Any],
    step_no: int,
    emit: Emit,
    stop: threading.Event | None = None,
) -> tuple[AssistantTurn, float]:
    """One streamed model call. Returns the turn and how long the reasoning phase took."""
    accumulator = StreamAccumulator(step_no)
    start = time.perf_counter()
    reasoning_end: float | None = None
    with client.stream(body) as payloads:
        for data in payloads:
            for event in accumulator.feed_data(data):
                if reasoning_end is None and isinstance(event, ContentDelta | ToolCallDelta):
                    reasoning_end = time.perf_counter()
                emit(event)
            if stop is not None and stop.is_set():
                raise RunStopped("stopped by the user")
            if accumulator.done:
                break
    turn, tail = accumulator.finish()
    for event in tail:
        emit(event)
    return turn, (reasoning_end or time.perf_counter()) - start


@dataclass
class RunResult:
    status: RunStatus
    answer: str
    usage: Usage
    steps: int
    error: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)
    model: str = ""  # the model the run ended on (another one if the default fell back)


def run(
    *,
    client: StreamingClient,
    history: Sequence[dict[str, Any]],
    prompt: str,
    tools: ToolBox,
    settings: AgentSettings,
    emit: Emit,
    stop: threading.Event | None = None,
    run_id: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
    note: str = "",
    gate: StepGate | None = None,
) -> RunResult:
    """Run the loop until the model answers or a limit/error/stop ends it.

    ``gate``: presenter mode, a pause before each step (each request: none is sent while it waits).

    ``RunResult.messages`` is the new history (the caller commits it); it is valid in every
    outcome: a partial streamed turn is dropped, unanswered tool calls get a "stopped" result.
    """
    started = time.perf_counter()
    run_id = run_id or uuid.uuid4().hex[:12]
    working: list[dict[str, Any]] = list(history)
    if settings.system_prompt and not any(m.get("role") == "system" for m in working):
        working.insert(0, {"role": "system", "content": settings.system_prompt})
    # ``note``: facts of this run for the model (e.g. which notebook cell it runs in), sent with the
    # prompt rather than in the system prompt, which stays the same so the provider's cache keeps hitting.
    working.append({"role": "user", "content": f"{prompt}\n\n{note}" if note else prompt})
    s = settings
    emit(
        RunStarted(
            run_id,
            s.model,
            s.provider,
            s.max_steps,
            prompt,
            time.time(),
            approve=s.approve,
            present=gate is not None,
            prices=price_of(s.model, s.prices),
        )
    )

    usage = Usage()
    answer = ""
    step_no = 0
    pending_calls: list[dict[str, Any]] = []  # tool messages still owed if we stop mid-tools
    in_flight: tuple[str, str, float] | None = None  # call id, name, when it started
    billed: list[Usage] = []  # usage of attempts discarded from history (the provider bills them)
    fit_kind = (False, False, False)  # what context fitting last did; the user hears of changes only
    sizes = SizeCache()

    def finish(status: RunStatus, error: str = "") -> RunResult:
        for message in pending_calls:
            working.append(message)
        cost = cost_usd(settings.model, usage.prompt_tokens, usage.cached_tokens, usage.completion_tokens, s.prices)
        seconds = time.perf_counter() - started
        emit(RunFinished(status, answer, usage, seconds, step_no, error, cost, model=settings.model))
        return RunResult(status, answer, usage, step_no, error, working, settings.model)

    try:
        for left_out in check(s.request_choices(), s.model):  # what this model is not sent, said once
            emit(Notice("info", left_out))
        while True:
            if step_no >= settings.max_steps:
                emit(
                    Notice(
                        "warning",
                        f"stopped after {settings.max_steps} steps (--max-steps). "
                        "Run %%k2 again (e.g. 'continue') to go on, or raise --max-steps.",
                    )
                )
                return finish("max_steps")
            if gate is not None:
                if stop is not None and stop.is_set():
                    raise RunStopped("stopped by the user")
                gate(run_id, step_no + 1, emit)
            step_no += 1
            # Only the request is fitted to the context window; `working` (the history) keeps everything.
            fitted = fit_context(working, settings.budget, cache=sizes, keep=settings.keep)
            if fitted.kind != fit_kind and fitted.note:
                emit(Notice("warning" if fitted.over_budget else "info", fitted.note))
            fit_kind = fitted.kind
            turn = _call_with_retries(client, fitted.messages, tools, settings, step_no, emit, stop, sleep, billed)
            for extra in billed:
                usage = usage + extra
            billed.clear()
            if turn.usage:
                usage = usage + turn.usage
            working.append(turn.to_message())
            if not turn.tool_calls:
                answer = turn.content
                return finish("done")
            pending_calls = [
                {"role": "tool", "tool_call_id": c.id, "name": c.name, "content": STOPPED_TOOL_TEXT}
                for c in turn.tool_calls
            ]
            images = settings.step_images()
            for call in turn.tool_calls:
                if stop is not None and stop.is_set():
                    raise RunStopped("stopped by the user")
                in_flight = (call.id, call.name, time.perf_counter())
                outcome = _dispatch(tools, call.id, call.name, call.arguments, step_no, emit, run_id)
                in_flight = None
                pending_calls.pop(0)
                working.append(
                    {
                        "role": "tool",
                        "tool_call_id": call.id,
                        "name": call.name,
                        "content": images.tool_content(outcome.model_text, outcome.outputs),
                    }
                )
            cost = cost_usd(settings.model, usage.prompt_tokens, usage.cached_tokens, usage.completion_tokens, s.prices)
            if settings.max_cost is not None and cost is not None and cost >= settings.max_cost:
                emit(
                    Notice(
                        "warning",
                        f"stopped: cost ${cost:.4f} reached --max-cost ${settings.max_cost:g}.",
                    )
                )
                return finish("max_cost")
    except (KeyboardInterrupt, RunStopped) as stopped:
        if in_flight is not None:
            call_id, name, since = in_flight
            # A tool stopped mid-call keeps what it showed so far in the trace; the model reads STOPPED_TOOL_TEXT.
            shown = stopped if isinstance(stopped, ToolStopped) else ToolStopped()
            emit(
                ToolFinished(
                    step_no,
                    call_id,
                    name,
                    "stopped",
                    STOPPED_TOOL_TEXT,
                    shown.outputs,
                    time.perf_counter() - since,
                    shown.code,
                    state_diff=shown.state_diff,
                )
            )
        emit(Notice("warning", "stopped by the user; the conversation so far is kept."))
        return finish("stopped")
    except K2Error as err:
        emit(Notice("error", str(err)))
        return finish("failed", str(err))


def _call_with_retries(
    client: StreamingClient,
    working: list[dict[str, Any]],
    tools: ToolBox,
    settings: AgentSettings,
    step_no: int,
    emit: Emit,
    stop: threading.Event | None,
    sleep: Callable[[float], None],
    billed: list[Usage],
) -> AssistantTurn:
    max_tokens = settings.max_tokens
    retried_empty = False
    attempt = 1
    while True:
        emit(StepStarted(step_no, attempt))
        body = build_request(
            settings.model, working, tools.schemas(), settings.request_choices(), max_tokens=max_tokens
        )
        try:
            started = time.perf_counter()
            turn, reasoning_seconds = step(client, body, step_no, emit, stop)
        except ModelNotFound as err:
            if not _fall_back(settings, err, emit):
                raise
            continue  # the same step, asked of the model the server offers
        except ProviderError as err:
            hint = refusal_hint(settings.model, body) if err.status == 400 else None
            if hint is None:
                raise
            raise ProviderError(f"{err.args[0]} {hint}", status=err.status) from None
        except TransientError as err:
            if attempt > settings.retries:
                raise
            delay = (
                err.retry_after
                if err.retry_after is not None
                else min(
                    settings.max_backoff,
                    settings.backoff * 2 ** (attempt - 1) * (1 + random.random() / 4),
                )
            )
            emit(Retrying(step_no, attempt, str(err), delay))
            sleep(delay)
            attempt += 1
            continue
        if turn.is_empty and not retried_empty:
            # Reasoning only, no answer, no tool call: a failed turn, retried once.
            retried_empty = True
            if turn.usage:
                billed.append(turn.usage)
            if turn.finish_reason == "length":
                max_tokens = max_tokens * 2
            emit(Retrying(step_no, attempt, "the model returned reasoning but no answer", 0.0))
            attempt += 1
            continue
        emit(ModelTurnDone(step_no, turn, time.perf_counter() - started, reasoning_seconds))
        if turn.is_empty:
            raise K2Error(
                "the model returned no answer twice"
                + (" (it ran out of tokens: raise --max-tokens)" if turn.finish_reason == "length" else "")
            )
        return turn


def _fall_back(settings: AgentSettings, err: ModelNotFound, emit: Emit) -> bool:
    """A default model the server does not offer: switch to the newest K2 model it does, once, and say so.
    A model the user named is never replaced (its 404 lists the server's models)."""
    if not settings.model_is_default:
        return False
    replacement = fallback_model(err.offered)
    if replacement is None:
        return False
    emit(
        Notice(
            "info",
            f"{settings.model} is not offered by this server; using {replacement} — set --model to choose.",
        )
    )
    settings.model, settings.model_is_default = replacement, False
    for note in check(settings.request_choices(), replacement):
        emit(Notice("info", note))
    return True


def _shown(spec: ToolSpec | None, name: str, parsed: dict[str, Any] | None) -> str | None:
    """A call that is not code as the user sees it when it starts: the tool's own way, else (a
    read-only tool) the call as Python; tools that show a change (a notebook edit) show nothing here."""
    if spec is None or parsed is None:
        return None
    if spec.shown is not None:
        return spec.shown(parsed)
    return call_text(name, parsed) if spec.read_only and not spec.builtin else None


def _dispatch(
    tools: ToolBox, call_id: str, name: str, arguments: str, step_no: int, emit: Emit, run_id: str = ""
) -> ToolOutcome:
    from .turn import ToolCall

    spec, parsed, problem = tools.parse(ToolCall(call_id, name, arguments))
    emit(
        ToolStarted(
            step_no,
            call_id,
            name,
            parsed,
            code=str(parsed.get("code")) if parsed and "code" in parsed else None,
            call=_shown(spec, name, parsed),
        )
    )
    started = time.perf_counter()
    if problem is not None or spec is None or parsed is None:
        outcome = ToolOutcome("invalid", problem or "Error: unusable tool call")
    else:
        outcome = tools.run(spec, parsed, ToolContext(step_no, call_id, emit, run_id))
    emit(
        ToolFinished(
            step_no,
            call_id,
            name,
            outcome.status,
            outcome.model_text,
            outcome.outputs,
            time.perf_counter() - started,
            outcome.code,
            state_diff=outcome.state_diff,
            change=outcome.change,
        )
    )
    return outcome
