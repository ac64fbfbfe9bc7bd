"""The Python API: :class:`Agent` is the engine behind ``%%k2``, usable from scripts and tools.

    agent = k2nb.Agent(provider="toy", approve="auto")
    transcript = agent.run("How many primes are below 1000?")
    print(transcript.answer)

One Agent is one conversation (history, usage, approvals) with its own backends; the magic
holds one per kernel. Consumers (live view, recorders, loggers) receive every event of a run.
"""

from __future__ import annotations

import builtins
import dataclasses
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .backends import Backends, engine_settings
from .config import (
    APPROVE_MODES,
    DEFAULT_MAX_STEPS,
    DEFAULT_MAX_TOKENS,
    DEFAULT_TEMPERATURE,
    DEFAULT_TOOL_TIMEOUT,
    ApproveMode,
    ProviderSettings,
    resolve_provider,
)
from .core import loop
from .core.context_window import DEFAULT_CONTEXT_BUDGET
from .core.events import Event, RunFinished
from .core.request import extra_body
from .core.toolbox import ToolBox, ToolRunner, ToolSpec, on_runner, validate_arguments
from .core.transcript import Transcript
from .errors import ConfigError
from .kernel.secrets import Redactor
from .session import Session
from .stream import EventStream
from .tools.approval import ApprovalPolicy, Approver, StdinApprover
from .tools.builtins import web_search
from .tools.code_interpreter import code_interpreter
from .tools.inspect_tools import inspection_tools
from .tools.user import bind as bind_user_tool
from .tools.user import collect as collect_user_tools
from .tools.user import spec_from_function, tool_spec

SYSTEM_PROMPT = (
    "You are Kimi K2 Thinking working inside the user's live Jupyter notebook. Use the "
    "code_interpreter tool to run Python in their kernel: variables you create persist and are "
    "shared with the user. Inspect data before computing, check your results, and answer in "
    "Markdown quoting the values your code actually produced."
)

Consumer = Callable[[Event], None]


@dataclass
class RunOptions:
    """Everything a run can be told. Per-run overrides are ``dataclasses.replace`` of these."""

    provider: str | None = None
    base_url: str | None = None
    model: str | None = None
    api_key: str | None = field(default=None, repr=False)
    approve: ApproveMode | None = None  # None: the session's policy
    max_steps: int = DEFAULT_MAX_STEPS
    max_tokens: int = DEFAULT_MAX_TOKENS
    temperature: float = DEFAULT_TEMPERATURE
    timeout: float = DEFAULT_TOOL_TIMEOUT
    retries: int = 4
    backoff: float = 1.0
    max_cost: float | None = None
    prices: dict[str, tuple[float, float, float]] | None = None
    toy_speed: float | None = None  # tokens/s; None: K2NB_TOY_SPEED, else 60 (0 = instant)
    engine: str | None = None  # "toy" | "replay:FILE.jsonl" | "replay:NOTEBOOK.ipynb[#N]" (overrides provider)
    record: str | None = None  # record the run to this JSONL file ("" = a timestamped name)
    replay_speed: float | None = None  # × the recorded pace; None: K2NB_REPLAY_SPEED, else 1 (0 = instant)
    system_prompt: str | None = SYSTEM_PROMPT
    context_budget: int = DEFAULT_CONTEXT_BUDGET  # estimated tokens per request (context_window.py)
    thinking: str = "auto"  # auto | on | off: the `thinking` field of kimi-k2.6 / kimi-k3 (request_extras.py)
    web_search: bool = False  # declare Moonshot's built-in $web_search
    inspection_tools: bool = True  # list_variables / inspect_variable (read-only)


def default_approve() -> ApproveMode:
    mode = os.environ.get("K2NB_APPROVE") or "ask"
    return mode if mode in APPROVE_MODES else "ask"  # type: ignore[return-value]


class Agent:
    """A conversation with K2 whose code runs in an IPython shell (the live kernel's, or a new one)."""

    def __init__(
        self,
        shell: Any = None,
        *,
        approver: Approver | None = None,
        tools: Sequence[ToolSpec | Callable[..., Any]] = (),
        **options: Any,
    ) -> None:
        if shell is None:
            from IPython.core.interactiveshell import InteractiveShell

            shell = InteractiveShell.instance()
        self.shell = shell
        self.options = RunOptions(**options)
        self.backends = Backends()
        self.approver: Approver = approver or StdinApprover(read=lambda prompt: builtins.input(prompt))  # noqa: PLW0108 - the kernel swaps input per request
        self.extra_tools: list[ToolSpec] = [t for t in tools if isinstance(t, ToolSpec)]
        # Plain functions become tools like @k2nb.tool ones (schema from their type hints).
        self.user_tools: list[Callable[..., Any]] = []
        for function in tools:
            if not isinstance(function, ToolSpec):
                self.add_tool(function)
        self.stop_requested = threading.Event()
        self.session = Session(approve=self.options.approve or default_approve())

    def new_session(self) -> None:
        self.session = Session(approve=self.options.approve or default_approve())

    def resolve(self, options: RunOptions | None = None) -> ProviderSettings:
        o = options or self.options
        engine = engine_settings(o.engine, o.model)
        if engine is not None:
            return engine
        return resolve_provider(provider=o.provider, base_url=o.base_url, model=o.model, api_key=o.api_key)

    def add_tool(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """Offer ``function`` to the model in this Agent's runs (``@k2nb.tool`` ones in the namespace need not be)."""
        if tool_spec(function) is None:
            spec_from_function(function)  # a bad tool fails here, with the fix, not at the first run
        self.user_tools.append(function)
        return function

    def toolbox(self, policy: ApprovalPolicy, options: RunOptions) -> ToolBox:
        timeout = options.timeout
        key = self.resolve(options).api_key  # redacted from tool outputs (code can print os.environ)
        code = code_interpreter(
            self.shell, policy, self.approver, timeout=lambda: timeout, api_key=lambda: key, stop=self.stop_requested
        )
        specs = [code]
        if options.inspection_tools:
            specs += inspection_tools(self.shell, api_key=lambda: key)

        def redact(text: str) -> str:
            return Redactor.from_environment(api_key=key, namespace=self.shell.user_ns).text(text)

        # User tools are found afresh each run: redefining a @k2nb.tool function updates it.
        for spec, function in collect_user_tools(self.shell.user_ns, self.user_tools):
            specs.append(bind_user_tool(spec, function, policy, self.approver, validate_arguments, redact))
        if options.web_search:
            specs.append(web_search())
        return ToolBox([*specs, *self.extra_tools])

    def run(
        self,
        prompt: str,
        *,
        consumers: Sequence[Consumer] = (),
        transcript: Transcript | None = None,
        tool_runner: ToolRunner | None = None,
        **overrides: Any,
    ) -> Transcript:
        """Run one prompt to completion; returns the transcript (``.answer``, ``.status``, steps)."""
        options = dataclasses.replace(self.options, **overrides) if overrides else self.options
        if options.toy_speed is not None:
            self.backends.toy_speed = options.toy_speed
        connection = self.backends.connect(
            self.resolve(options),
            prompt=prompt,
            engine=options.engine,
            record=options.record,
            speed=options.replay_speed,
        )
        settings, client = connection.settings, connection.client
        # A per-run approve applies to this run only; "Always" in an ask run upgrades the session.
        policy = ApprovalPolicy(options.approve or "ask") if overrides.get("approve") else self.session.policy
        try:
            extra = extra_body(
                provider=settings.provider,
                model=settings.model,
                cache_key=self.session.cache_key,
                thinking=options.thinking,
                web_search=options.web_search,
            )
        except ConfigError:  # e.g. --web-search on a provider without it: release the connection first
            connection.close()
            raise
        run_settings = loop.AgentSettings(
            model=settings.model,
            provider=settings.provider,
            max_steps=options.max_steps,
            max_tokens=options.max_tokens,
            temperature=options.temperature,
            retries=options.retries,
            backoff=options.backoff,
            max_cost=options.max_cost,
            prices=options.prices,
            extra_body=extra,
            system_prompt=options.system_prompt,
            context_budget=options.context_budget,
            approve=policy.label,
        )
        transcript = transcript if transcript is not None else Transcript()
        sinks = [transcript.apply, *consumers, *connection.consumers]

        def emit(event: Event) -> None:
            if isinstance(event, RunFinished):  # "ask again" may have come mid-run: the policy knows
                event = dataclasses.replace(event, approve=policy.label)
            for sink in sinks:
                sink(event)
            for watcher in connection.watchers:  # e.g. a replay reporting output that differs
                for follow_up in watcher(event):
                    emit(follow_up)

        self.stop_requested.clear()
        try:
            result = loop.run(
                client=client,
                history=self.session.messages,
                prompt=prompt,
                tools=on_runner(self.toolbox(policy, options), tool_runner),
                settings=run_settings,
                emit=emit,
                stop=self.stop_requested,
            )
        finally:
            connection.close()
        if policy is not self.session.policy and options.approve == "ask" and policy.mode == "auto":
            self.session.policy.mode = "auto"
            self.session.policy.by_always = policy.by_always
        self.session.record(transcript, result.messages)
        return transcript

    def events(self, prompt: str, **overrides: Any) -> Iterator[Event]:
        """Run ``prompt``, yielding every event as it happens (``for event in agent.events(…)``).

        Tools run on the calling thread (the kernel's main thread: timeouts and the shell need it);
        only the HTTP streaming runs on a worker. The finished transcript is ``agent.session.transcripts[-1]``.
        """
        return self._event_stream(prompt, overrides).sync()

    def aevents(self, prompt: str, **overrides: Any) -> AsyncIterator[Event]:
        """The same stream for ``async for event in agent.aevents(…)``; tools run on the event loop's thread."""
        return self._event_stream(prompt, overrides).asynchronous()

    def _event_stream(self, prompt: str, overrides: dict[str, Any]) -> EventStream:
        def run(consumer: Consumer, runner: ToolRunner) -> None:
            self.run(prompt, consumers=[consumer], tool_runner=runner, **overrides)

        return EventStream(run, self.stop)

    def stop(self) -> None:
        """Ask the running loop to stop at the next chunk or between tool calls (thread-safe)."""
        self.stop_requested.set()

    def close(self) -> None:
        self.backends.close()
