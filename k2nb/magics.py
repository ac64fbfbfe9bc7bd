"""``%%k2`` (run the agent on the cell's prompt) and ``%k2`` line commands.

One :class:`K2Magics` per shell holds that kernel's session and backends: two notebooks (two
kernels) never share state, and nothing lives in module globals.
"""

from __future__ import annotations

import dataclasses
import shlex
import sys
from typing import Any

from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from traitlets import Bool, Dict, Enum, Float, Int, Unicode, observe

from .api import Agent, RunOptions
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
from .session import Session
from .transcript import Transcript

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
        self.agent = Agent(shell, approve=self.approve)
        self._noticed = False

    @observe("approve")
    def _approve_changed(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self.agent.session.policy.mode = change["new"]
            self.agent.options.approve = change["new"]

    @property
    def session(self) -> Session:
        return self.agent.session

    @property
    def backends(self) -> Backends:
        return self.agent.backends

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

    def options(self, args: Any) -> RunOptions:
        """This cell's options: per-cell flags over ``%config K2Magics`` values."""
        return RunOptions(
            provider=args.provider or self.provider,
            base_url=args.base_url or self.base_url,
            model=args.model or self.model,
            approve=args.approve,
            max_steps=args.max_steps or self.max_steps,
            max_tokens=args.max_tokens or self.max_tokens,
            temperature=self.temperature,
            timeout=args.timeout if args.timeout is not None else self.timeout,
            retries=self.retries,
            backoff=self.backoff,
            max_cost=args.max_cost,
            prices={k: (float(v[0]), float(v[1]), float(v[2])) for k, v in self.prices.items()},
            toy_speed=self.toy_speed or None,
        )

    def run(self, prompt: str, args: Any) -> Transcript:
        if args.new:
            self.agent.new_session()
        options = self.options(args)
        settings = self.agent.resolve(options)
        if settings.notice and self.show_notice and not self._noticed:
            print(settings.notice)
            self._noticed = True
        self.agent.options = dataclasses.replace(options, approve=self.approve)
        overrides = {"approve": args.approve} if args.approve else {}
        transcript = Transcript()  # the view needs the live transcript the agent fills
        view = self._view(transcript)
        return self.agent.run(prompt, consumers=[view], transcript=transcript, **overrides)

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
            self.agent.new_session()
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
        magics.agent.close()
        del shell._k2nb_magics
