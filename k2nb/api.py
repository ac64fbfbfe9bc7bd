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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import agent as loop
from .backends import Backends
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
from .events import Event
from .session import Session
from .tools.approval import ApprovalPolicy, Approver, StdinApprover
from .tools.code_interpreter import code_interpreter
from .tools.registry import ToolBox, ToolSpec
from .transcript import Transcript

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
    toy_speed: float | None = None
    system_prompt: str | None = SYSTEM_PROMPT


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
        tools: Sequence[ToolSpec] = (),
        **options: Any,
    ) -> None:
        if shell is None:
            from IPython.core.interactiveshell import InteractiveShell

            shell = InteractiveShell.instance()
        self.shell = shell
        self.options = RunOptions(**options)
        self.backends = Backends()
        self.approver: Approver = approver or StdinApprover(read=lambda prompt: builtins.input(prompt))  # noqa: PLW0108 - the kernel swaps input per request
        self.extra_tools: list[ToolSpec] = list(tools)
        self.stop_requested = threading.Event()
        self.session = Session(approve=self.options.approve or default_approve())

    def new_session(self) -> None:
        self.session = Session(approve=self.options.approve or default_approve())

    def resolve(self, options: RunOptions | None = None) -> ProviderSettings:
        o = options or self.options
        return resolve_provider(provider=o.provider, base_url=o.base_url, model=o.model, api_key=o.api_key)

    def toolbox(self, policy: ApprovalPolicy, options: RunOptions) -> ToolBox:
        timeout = options.timeout
        return ToolBox(
            [code_interpreter(self.shell, policy, self.approver, timeout=lambda: timeout), *self.extra_tools]
        )

    def run(
        self,
        prompt: str,
        *,
        consumers: Sequence[Consumer] = (),
        transcript: Transcript | None = None,
        **overrides: Any,
    ) -> Transcript:
        """Run one prompt to completion; returns the transcript (``.answer``, ``.status``, steps)."""
        options = dataclasses.replace(self.options, **overrides) if overrides else self.options
        settings = self.resolve(options)
        if options.toy_speed:
            self.backends.toy_speed = options.toy_speed
        client = self.backends.client(settings)
        # A per-run approve applies to this run only; "Always" in an ask run upgrades the session.
        policy = ApprovalPolicy(options.approve or "ask") if overrides.get("approve") else self.session.policy
        extra: dict[str, Any] = {}
        if settings.provider.startswith("moonshot"):
            extra["prompt_cache_key"] = self.session.cache_key
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
        )
        transcript = transcript if transcript is not None else Transcript()
        sinks = [transcript.apply, *consumers]

        def emit(event: Event) -> None:
            for sink in sinks:
                sink(event)

        self.stop_requested.clear()
        result = loop.run(
            client=client,
            history=self.session.messages,
            prompt=prompt,
            tools=self.toolbox(policy, options),
            settings=run_settings,
            emit=emit,
            stop=self.stop_requested,
        )
        if policy is not self.session.policy and options.approve == "ask" and policy.mode == "auto":
            self.session.policy.mode = "auto"
        self.session.record(transcript, result.messages)
        return transcript

    def stop(self) -> None:
        """Ask the running loop to stop at the next chunk or between tool calls (thread-safe)."""
        self.stop_requested.set()

    def close(self) -> None:
        self.backends.close()
