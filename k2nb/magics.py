"""``%%k2`` (run the agent on the cell's prompt) and ``%k2`` line commands.

One :class:`K2Magics` per shell holds that kernel's session and backends: two notebooks (two
kernels) never share state, and nothing lives in module globals.
"""

from __future__ import annotations

import builtins
import os
import shlex
import sys
from typing import Any

from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from traitlets import Bool, Dict, Enum, Float, Int, Unicode

from . import agent
from .backends import Backends
from .config import (
    APPROVE_MODES,
    DEFAULT_MAX_STEPS,
    DEFAULT_MAX_TOKENS,
    DEFAULT_PRICES,
    DEFAULT_TEMPERATURE,
    DEFAULT_TOOL_TIMEOUT,
    PRESETS,
    resolve_provider,
)
from .errors import ConfigError, K2Error
from .events import Event
from .session import Session
from .tools.approval import ApprovalPolicy, StdinApprover
from .tools.code_interpreter import code_interpreter
from .tools.registry import ToolBox
from .transcript import Transcript

SYSTEM_PROMPT = (
    "You are Kimi K2 Thinking working inside the user's live Jupyter notebook. Use the "
    "code_interpreter tool to run Python in their kernel: variables you create persist and are "
    "shared with the user. Inspect data before computing, check your results, and answer in "
    "Markdown quoting the values your code actually produced."
)

LINE_COMMANDS = {
    "new": "start a fresh conversation (history and approvals reset)",
    "usage": "tokens and cost of this session",
    "history": "the conversation messages so far (roles and sizes)",
    "models": "list the models the configured server offers",
    "config": "the resolved settings (the API key is never shown)",
    "help": "this help; `%k2 help toy` for what the offline toy engine can do",
}


@magics_class
class K2Magics(Magics):  # type: ignore[misc]
    """Configure with ``%config K2Magics.<name> = value`` or in ``ipython_config.py``."""

    model = Unicode(None, allow_none=True, help="Model id (default: K2NB_MODEL or the preset's).").tag(config=True)
    provider = Unicode(
        None,
        allow_none=True,
        help=f"Provider preset: {', '.join(PRESETS)} (default: from the environment).",
    ).tag(config=True)
    base_url = Unicode(None, allow_none=True, help="OpenAI-compatible base URL (default: K2NB_BASE_URL).").tag(
        config=True
    )
    approve = Enum(
        list(APPROVE_MODES),
        default_value=None,
        allow_none=True,
        help="Approval of model code: auto, ask or never (default: K2NB_APPROVE, else ask).",
    ).tag(config=True)
    max_steps = Int(DEFAULT_MAX_STEPS, help="Model calls per %%k2 run.").tag(config=True)
    max_tokens = Int(DEFAULT_MAX_TOKENS, help="max_tokens per request (reasoning counts).").tag(config=True)
    temperature = Float(DEFAULT_TEMPERATURE, help="Sampling temperature (1.0 recommended).").tag(config=True)
    timeout = Float(DEFAULT_TOOL_TIMEOUT, help="Seconds before model code is interrupted.").tag(config=True)
    retries = Int(4, help="Retries of a step after a transient failure (429, 5xx, cut stream).").tag(config=True)
    backoff = Float(1.0, help="First retry delay in seconds (doubles per retry, with jitter).").tag(config=True)
    toy_speed = Float(0.0, help="Toy engine pacing in tokens/s (0 = instant).").tag(config=True)
    prices = Dict(
        default_value={k: list(v) for k, v in DEFAULT_PRICES.items()},
        help="USD per 1M tokens per model: [input cache hit, input cache miss, output].",
    ).tag(config=True)
    show_notice = Bool(True, help="Say once when the offline toy engine is used.").tag(config=True)

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.backends = Backends()
        self.session = self._new_session()
        self._noticed = False

    def _new_session(self) -> Session:
        mode = self.approve or os.environ.get("K2NB_APPROVE") or "ask"
        if mode not in APPROVE_MODES:
            mode = "ask"
        return Session(approve=mode)  # type: ignore[arg-type]

    # -- the magic -----------------------------------------------------------------------
    @magic_arguments()
    @argument("--model", help="model id for this cell")
    @argument("--provider", help=f"provider preset: {', '.join(PRESETS)}")
    @argument("--base-url", dest="base_url", help="OpenAI-compatible base URL")
    @argument("--max-steps", dest="max_steps", type=int, help="cap on model calls in this run")
    @argument("--max-cost", dest="max_cost", type=float, help="stop when the run's cost reaches USD")
    @argument("--max-tokens", dest="max_tokens", type=int, help="max_tokens per request")
    @argument("--approve", choices=APPROVE_MODES, help="approval of model code: auto, ask or never")
    @argument("--timeout", type=float, help="seconds before model code is interrupted")
    @argument("--new", action="store_true", help="start a fresh conversation first")
    @line_cell_magic
    def k2(self, line: str, cell: str | None = None) -> None:
        """Run Kimi K2 Thinking on the cell's text. See `%k2 help`."""
        if cell is None:
            self._line_command(line)
            return
        try:
            args = parse_argstring(self.k2, line)
        except Exception as error:  # UsageError from argparse: show it, no traceback
            print(f"k2nb: {error}. See `%k2 help`.", file=sys.stderr)
            return
        prompt = cell.strip()
        if not prompt:
            print("k2nb: the cell is empty: write your request below %%k2.", file=sys.stderr)
            return
        try:
            self.run(prompt, args)
        except K2Error as error:
            print(str(error), file=sys.stderr)

    def run(self, prompt: str, args: Any) -> Transcript:
        if args.new:
            self.session = self._new_session()
        settings = resolve_provider(
            provider=args.provider or self.provider,
            base_url=args.base_url or self.base_url,
            model=args.model or self.model,
        )
        if settings.notice and self.show_notice and not self._noticed:
            print(settings.notice)
            self._noticed = True
        # A per-cell --approve applies to this cell only; "Always" still upgrades the session.
        policy = ApprovalPolicy(args.approve) if args.approve else self.session.policy
        if self.toy_speed:
            self.backends.toy_speed = self.toy_speed
        client = self.backends.client(settings)
        prices = {k: (float(v[0]), float(v[1]), float(v[2])) for k, v in self.prices.items()}
        tool_timeout = args.timeout if args.timeout is not None else self.timeout
        tools = ToolBox(
            [
                code_interpreter(
                    self.shell,
                    policy,
                    StdinApprover(read=lambda prompt: builtins.input(prompt)),  # noqa: PLW0108 - the kernel swaps input per request
                    timeout=lambda: tool_timeout,
                )
            ]
        )
        extra: dict[str, Any] = {}
        if settings.provider.startswith("moonshot"):
            extra["prompt_cache_key"] = self.session.cache_key
        run_settings = agent.AgentSettings(
            model=settings.model,
            provider=settings.provider,
            max_steps=args.max_steps or self.max_steps,
            max_tokens=args.max_tokens or self.max_tokens,
            temperature=self.temperature,
            retries=self.retries,
            backoff=self.backoff,
            max_cost=args.max_cost,
            prices=prices,
            extra_body=extra,
            system_prompt=SYSTEM_PROMPT,
        )
        transcript = Transcript()
        view = self._view(transcript)

        def emit(event: Event) -> None:
            transcript.apply(event)
            view(event)

        result = agent.run(
            client=client,
            history=self.session.messages,
            prompt=prompt,
            tools=tools,
            settings=run_settings,
            emit=emit,
        )
        if policy is not self.session.policy and args.approve == "ask" and policy.mode == "auto":
            self.session.policy.mode = "auto"
        self.session.record(transcript, result.messages)
        return transcript

    def _view(self, transcript: Transcript) -> Any:
        if getattr(self.shell, "kernel", None) is not None:
            from .ui.widget import LiveDisplay

            return LiveDisplay(transcript)
        from .ui.terminal import TerminalPrinter

        return TerminalPrinter(transcript)

    # -- line commands -------------------------------------------------------------------
    def _line_command(self, line: str) -> None:
        words = shlex.split(line)
        command = words[0] if words else "help"
        if command in ("--help", "-h"):
            command = "help"
        if command == "new":
            self.session = self._new_session()
            print("k2nb: new conversation.")
        elif command == "usage":
            print(self.usage_text())
        elif command == "history":
            for i, m in enumerate(self.session.messages):
                size = len(str(m.get("content") or "")) + len(str(m.get("reasoning_content") or ""))
                calls = f", {len(m['tool_calls'])} tool call(s)" if m.get("tool_calls") else ""
                print(f"{i:3d} {m['role']:<9} {size:>7,} chars{calls}")
        elif command == "models":
            try:
                settings = resolve_provider(provider=self.provider, base_url=self.base_url, model=self.model)
                models = self.backends.client(settings).list_models()
            except ConfigError as error:
                print(str(error), file=sys.stderr)
                return
            print("\n".join(models) if models else "k2nb: the server listed no models.")
        elif command == "config":
            try:
                s = resolve_provider(provider=self.provider, base_url=self.base_url, model=self.model)
            except ConfigError as error:
                print(str(error), file=sys.stderr)
                return
            print(
                f"provider: {s.provider}\nbase_url: {s.base_url or '(toy engine on loopback)'}\n"
                f"model: {s.model}\napi key: {'set' if s.api_key else 'not set'}\n"
                f"approve: {self.session.policy.mode}\nmax_steps: {self.max_steps}\ntimeout: {self.timeout:g} s"
            )
        elif command == "help":
            if len(words) > 1 and words[1] == "toy":
                from .engines.toy import toy_help

                print(toy_help())
            else:
                print(help_text())
        else:
            print(
                f"k2nb: unknown command {command!r}. Commands: {', '.join(LINE_COMMANDS)}.",
                file=sys.stderr,
            )

    def usage_text(self) -> str:
        u = self.session.usage
        from .config import cost_usd

        models = {t.model for t in self.session.transcripts}
        model = next(iter(models)) if models else (self.model or "kimi-k2-thinking")
        cost = cost_usd(model, u.prompt_tokens, u.cached_tokens, u.completion_tokens)
        money = f" · ${cost:.4f}" if cost is not None else ""
        cached = f" ({100 * u.cached_tokens / u.prompt_tokens:.0f}% cached)" if u.prompt_tokens else ""
        return (
            f"k2nb session: {len(self.session.transcripts)} run(s) · {u.prompt_tokens:,} input tokens"
            f"{cached} · {u.completion_tokens:,} output tokens{money}"
        )


def help_text() -> str:
    """Reference text, generated from the magic's own argument parser."""
    usage = K2Magics.k2.__doc__ or ""
    lines = [
        "%%k2 [flags]  — run Kimi K2 Thinking on the cell's text",
        usage.strip(),
        "",
        "Line commands:",
    ]
    lines += [f"  %k2 {name:<8} {text}" for name, text in LINE_COMMANDS.items()]
    return "\n".join(lines)


def load(shell: Any) -> None:
    magics = K2Magics(shell)
    shell.register_magics(magics)
    shell._k2nb_magics = magics  # one per shell; lets unload find it


def unload(shell: Any) -> None:
    magics = getattr(shell, "_k2nb_magics", None)
    if magics is not None:
        magics.backends.close()
        del shell._k2nb_magics
