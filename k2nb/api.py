"""The Python API: :class:`Agent` is the engine behind ``%%k2``, usable from scripts and tools.

    agent = k2nb.Agent(provider="toy", approve="auto")
    transcript = agent.run("How many primes are below 1000?")
    print(transcript.answer)

One Agent is one conversation (history, usage, approvals) with its own backends; the magic
holds one per kernel. Consumers (live view, recorders, loggers) receive every event of a run.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .backends import Backends, engine_settings, recorder_for
from .config import (
    APPROVE,
    APPROVE_MODES,
    BACKOFF,
    BASE_URL,
    CONTEXT_BUDGET,
    EFFORT,
    EFFORT_FIELD,
    ENGINE,
    IMAGES,
    KEEP_THINKING,
    MAX_COST,
    MAX_STEPS,
    MAX_TOKENS,
    MCP_TIMEOUT,
    MODEL,
    NOTEBOOK_TOKENS,
    PRESENT,
    PRICES,
    PROVIDER,
    RECORD,
    REPLAY_SPEED,
    RETRIES,
    TEMPERATURE,
    THINKING,
    TIMEOUT,
    TOY_SPEED,
    WEB_SEARCH,
    ApproveMode,
    ProviderSettings,
    resolve_provider,
)
from .core import loop
from .core.events import Event, RunFinished
from .core.pause import Pacer, StepGate
from .core.request import check
from .core.toolbox import ToolBox, ToolRunner, ToolSpec, on_runner, validate_arguments
from .core.transcript import Transcript
from .edge.recorder import Recorder
from .errors import ConfigError
from .kernel.secrets import Redactor
from .session import Session
from .stream import EventStream
from .tools.approval import Answer, ApprovalPolicy, Approver, StdinApprover, as_approver
from .tools.builtins import web_search
from .tools.code_interpreter import code_interpreter
from .tools.inspect_tools import inspection_tools
from .tools.mcp import MCPServers, RunCalls
from .tools.mcp_config import ServerConfig, servers_from_file, servers_from_json
from .tools.notebook_tools import Notebook, notebook_tools
from .tools.presenter import StdinPacer
from .tools.user import bind as bind_user_tool
from .tools.user import collect as collect_user_tools
from .tools.user import spec_from_function, tool_spec

SYSTEM_PROMPT = (
    "You are Kimi K2 Thinking working inside the user's live Jupyter notebook. Use the "
    "code_interpreter tool to run Python in their kernel: variables you create persist and are "
    "shared with the user. Inspect data before computing, check your results, and answer in "
    "Markdown quoting the values your code actually produced. When notebook tools are offered, "
    "read the cells the user means (read_notebook, read_cell) before answering about them, and "
    "change the notebook only through edit_cell / insert_cell / run_cell: the user accepts each change."
)

Consumer = Callable[[Event], None]
# A view reads the run as it goes: each event comes with the run's state after it (the transcript).
View = Callable[[Event, Transcript], None]


@dataclass
class RunOptions:
    """Everything a run can be told. Per-run overrides are ``dataclasses.replace`` of these.

    One field per run option of the settings table (``k2nb.config.SETTINGS``: name, default and
    meaning are there), then the Python API's own (no flag, no ``%config``).
    """

    provider: str | None = PROVIDER.default
    base_url: str | None = BASE_URL.default
    model: str | None = MODEL.default
    approve: ApproveMode | None = APPROVE.default  # None: the session's policy
    max_steps: int = MAX_STEPS.default
    max_tokens: int = MAX_TOKENS.default
    temperature: float | None = TEMPERATURE.default
    timeout: float = TIMEOUT.default
    retries: int = RETRIES.default
    backoff: float = BACKOFF.default
    max_cost: float | None = MAX_COST.default
    prices: dict[str, tuple[float, float, float]] | None = field(default_factory=lambda: dict(PRICES.default))
    toy_speed: float | None = TOY_SPEED.default
    engine: str | None = ENGINE.default  # overrides provider
    record: str | None = RECORD.default
    replay_speed: float | None = REPLAY_SPEED.default
    context_budget: int | None = CONTEXT_BUDGET.default
    thinking: str = THINKING.default
    effort: str | None = EFFORT.default
    effort_field: str = EFFORT_FIELD.default
    keep_thinking: bool = KEEP_THINKING.default
    images: str = IMAGES.default
    web_search: bool = WEB_SEARCH.default
    notebook_tokens: int = NOTEBOOK_TOKENS.default
    present: bool = PRESENT.default
    mcp_timeout: float = MCP_TIMEOUT.default
    # The Python API's own:
    api_key: str | None = field(default=None, repr=False)
    system_prompt: str | None = SYSTEM_PROMPT
    inspection_tools: bool = True  # list_variables / inspect_variable (read-only)


def default_approve() -> ApproveMode:
    mode = os.environ.get(APPROVE.env) or "ask"
    return mode if mode in APPROVE_MODES else "ask"  # type: ignore[return-value]


class Agent:
    """A conversation with K2 whose code runs in an IPython shell (the live kernel's, or a new one)."""

    def __init__(
        self,
        shell: Any = None,
        *,
        approver: Approver | Answer | None = None,
        pacer: Pacer | None = None,
        tools: Sequence[ToolSpec | Callable[..., Any]] = (),
        mcp_servers: Mapping[str, Any] | str | Sequence[ServerConfig] | None = None,
        **options: Any,
    ) -> None:
        if shell is None:
            from IPython.core.interactiveshell import InteractiveShell

            shell = InteractiveShell.instance()
        self.shell = shell
        self.options = RunOptions(**options)
        self.backends = Backends()
        # A plain function answers too (its channel: stdin); by default the user is asked on stdin.
        self.approver: Approver = as_approver(approver) if approver is not None else StdinApprover()
        # Presenter mode's Next (``present=True``): by default Enter on stdin.
        self.pacer: Pacer = pacer if pacer is not None else StdinPacer()
        self.extra_tools: list[ToolSpec] = [t for t in tools if isinstance(t, ToolSpec)]
        # Plain functions become tools like @k2nb.tool ones (schema from their type hints).
        self.user_tools: list[Callable[..., Any]] = []
        for function in tools:
            if not isinstance(function, ToolSpec):
                self.add_tool(function)
        self.stop_requested = threading.Event()
        self.session: Session
        self.new_session()
        # MCP servers live as long as the Agent (the magic's: the kernel), not one conversation.
        self.mcp = MCPServers()
        if mcp_servers is not None:
            for report in self.mcp.sync("agent", mcp_configs(mcp_servers)):
                report.show()

    def new_session(self, approve: ApproveMode | None = None) -> None:
        """A fresh conversation. Its approval mode starts as ``approve``, else as configured (the
        ``approve`` option, else K2NB_APPROVE, else ask); from then on the session's policy holds it."""
        self.session = Session(ApprovalPolicy(approve or self.options.approve or default_approve()))

    def resolve(self, options: RunOptions | None = None) -> ProviderSettings:
        """Where this run goes; a default model the server did not offer earlier this session is replaced."""
        o = options or self.options
        engine = engine_settings(o.engine, o.model)
        if engine is not None:
            return engine
        resolved = resolve_provider(provider=o.provider, base_url=o.base_url, model=o.model, api_key=o.api_key)
        return self.backends.fallback(resolved)

    def add_tool(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """Offer ``function`` to the model in this Agent's runs (``@k2nb.tool`` ones in the namespace need not be)."""
        if tool_spec(function) is None:
            spec_from_function(function)  # a bad tool fails here, with the fix, not at the first run
        self.user_tools.append(function)
        return function

    def redactor(self, resolved: ProviderSettings) -> Redactor:
        """A run's one redactor, handed to its tools and logs: the provider's key (code can print
        ``os.environ``), secret environment values and secret-named variables, read at each use."""
        return Redactor.for_run(api_key=resolved.api_key, namespace=self.shell.user_ns, values=self.mcp.secrets())

    def toolbox(
        self,
        policy: ApprovalPolicy,
        options: RunOptions,
        resolved: ProviderSettings | None = None,
        redactor: Redactor | None = None,
        notebook: Notebook | None = None,
    ) -> ToolBox:
        """The run's tools; ``resolved`` is the run's provider, ``redactor`` its redactor (made here if not
        given), ``notebook`` the notebook the run belongs to (its tools read it, and change it where they can)."""
        timeout = options.timeout
        redactor = redactor if redactor is not None else self.redactor(resolved or self.resolve(options))
        code = code_interpreter(
            self.shell, policy, self.approver, timeout=lambda: timeout, redactor=redactor, stop=self.stop_requested
        )
        specs = [code]
        if options.inspection_tools:
            specs += inspection_tools(self.shell, redactor)
        if notebook is not None:
            budget = options.notebook_tokens
            specs += notebook_tools(
                self.shell,
                notebook,
                policy,
                self.approver,
                budget_tokens=lambda: budget,
                timeout=lambda: timeout,
                redactor=redactor,
                stop=self.stop_requested,
            )
        # User tools are found afresh each run: redefining a @k2nb.tool function updates it.
        for spec, function in collect_user_tools(self.shell.user_ns, self.user_tools):
            specs.append(bind_user_tool(spec, function, policy, self.approver, validate_arguments, redactor))
        if options.web_search:
            specs.append(web_search())
        specs += self.extra_tools
        calls = RunCalls(policy, self.approver, redactor, options.mcp_timeout, self.stop_requested, validate_arguments)
        specs += self.mcp.specs([spec.name for spec in specs], calls)
        return ToolBox(specs)

    def run(
        self,
        prompt: str,
        *,
        consumers: Sequence[Consumer] = (),
        views: Sequence[View] = (),
        transcript: Transcript | None = None,
        tool_runner: ToolRunner | None = None,
        resolved: ProviderSettings | None = None,
        redactor: Redactor | None = None,
        recorder: Recorder | None = None,
        notebook: Notebook | None = None,
        note: str = "",
        **overrides: Any,
    ) -> Transcript:
        """Run one prompt to completion; returns the transcript (``.answer``, ``.status``, steps).

        ``consumers`` get each event; ``views`` get each event with the run's state after it (the
        transcript, which has applied it). ``recorder``: records the run, for a caller that reports
        the recording (``record=FILE`` records without one).

        ``resolved``: the provider these options resolve to, if the caller has it already (the magic
        resolves once per cell: it shows the resolution's notice first). ``redactor``: the run's
        (``Agent.redactor``), when the caller uses it too (the magic: for the prompt and the log).
        ``notebook``: the notebook the run belongs to (the magic finds it); its tools join the run's,
        and what the model may do with it goes with the prompt. ``note``: more for the model alone,
        sent with the prompt but not shown as it (``%k2 fix``: the failing cell and its traceback).
        """
        options = dataclasses.replace(self.options, **overrides) if overrides else self.options
        if options.toy_speed is not None:
            self.backends.toy_speed = options.toy_speed
        resolved = resolved or self.resolve(options)
        redactor = redactor if redactor is not None else self.redactor(resolved)
        connection = self.backends.connect(
            resolved,
            prompt=prompt,
            engine=options.engine,
            recorder=recorder if recorder is not None else recorder_for(options.record),
            speed=options.replay_speed,
        )
        settings, client = connection.settings, connection.client
        # A per-run approve applies to this run only; "Always" in it upgrades the session.
        policy = self.session.policy.for_run(options.approve if overrides.get("approve") else None)
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
            system_prompt=options.system_prompt,
            context_budget=options.context_budget,
            approve=policy.label,
            thinking=options.thinking,
            effort=options.effort,
            effort_field=options.effort_field,
            keep_thinking=options.keep_thinking,
            images=options.images,
            web_search=options.web_search,
            cache_key=self.session.cache_key,
            model_is_default=settings.model_is_default,
        )
        try:
            check(run_settings.request_choices(), settings.model)  # e.g. --web-search where it is not offered
        except ConfigError:  # said before anything runs: release the connection first
            connection.close()
            raise
        transcript = transcript if transcript is not None else Transcript()
        sinks = [*consumers, *connection.consumers]

        def emit(event: Event) -> None:
            if isinstance(event, RunFinished):  # "ask again" may have come mid-run: the policy knows
                event = dataclasses.replace(event, approve=policy.label)
            transcript.apply(event)  # first: the views read the run as it is after this event
            for view in views:
                view(event, transcript)
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
                tools=on_runner(self.toolbox(policy, options, resolved, redactor, notebook), tool_runner),
                settings=run_settings,
                emit=emit,
                stop=self.stop_requested,
                note="\n\n".join(n for n in (note, notebook.note() if notebook is not None else "") if n),
                gate=StepGate(self.pacer) if options.present else None,
            )
        finally:
            connection.close()
        self.session.record(transcript, result.messages)
        if result.model != settings.model:  # the default fell back: keep the replacement for the session
            self.backends.keep_fallback(settings, result.model)
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
        """Release the Agent's connections and stop its MCP servers."""
        self.backends.close()
        self.mcp.close()


def mcp_configs(servers: Mapping[str, Any] | str | Sequence[ServerConfig]) -> list[ServerConfig]:
    """``Agent(mcp_servers=…)``: a ``{"mcpServers": …}`` mapping, the path of such a JSON file, or ServerConfigs."""
    if isinstance(servers, str):
        return servers_from_file(servers)
    if isinstance(servers, Mapping):
        return servers_from_json(servers, "mcp_servers")
    return list(servers)
