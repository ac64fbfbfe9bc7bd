"""``%%k2`` (run the agent on the cell's prompt) and ``%k2`` line commands.

One :class:`K2Magics` per shell holds that kernel's session and backends: two notebooks (two
kernels) never share state, and nothing lives in module globals.
"""

from __future__ import annotations

import builtins
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
from .core.context_window import DEFAULT_CONTEXT_BUDGET
from .core.request import THINKING_MODES
from .core.transcript import Transcript
from .errors import ConfigError, K2Error
from .kernel.prompt_context import ErrorLog, context_block, interpolate, parse_names
from .kernel.run_code import interrupt_running_code
from .kernel.secrets import Redactor
from .notebook.link import FrontendLink
from .session import Session
from .tools.approval import ButtonApprover, RoutingApprover, StdinApprover
from .ui.helptext import show_help
from .ui.reattach import LiveRuns

LINE_COMMANDS = {
    "new": "start a fresh conversation (history and approvals reset)",
    "usage": "tokens and cost of this session",
    "history": "the conversation messages so far (roles and sizes)",
    "models": "list the models the configured server offers",
    "config": "the resolved settings (the API key is never shown)",
    "tools": "the tools the model can call (built-in, inspection, and your @k2nb.tool functions)",
    "export": "FILE [--format md|html|json|cells]: write this session's runs (format from the suffix)",
    "approve": "[ask|auto|never]: show or set approval of model code for this session (after Always: `ask` asks again)",
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
    toy_speed = Float(
        None, allow_none=True, help="Toy engine pacing in tokens/s (default: K2NB_TOY_SPEED, else 60; 0 = instant)."
    ).tag(config=True)
    replay_speed = Float(
        None, allow_none=True, help="Replay pace, × the recorded one (default: K2NB_REPLAY_SPEED, else 1; 0 = instant)."
    ).tag(config=True)
    prices = Dict(
        default_value={k: list(v) for k, v in DEFAULT_PRICES.items()},
        help="USD per 1M tokens per model: [input cache hit, input cache miss, output].",
    ).tag(config=True)
    show_notice = Bool(True, help="Say once when the offline toy engine is used.").tag(config=True)
    thinking = Enum(
        list(THINKING_MODES),
        default_value="auto",
        help="Send `thinking` to models that take it (kimi-k2.6, kimi-k3 on Moonshot): auto, on or off.",
    ).tag(config=True)
    web_search = Bool(False, help="Declare Moonshot's built-in $web_search (Moonshot providers only).").tag(config=True)
    context_tokens = Int(2000, help="Token budget for the variable summaries of --context.").tag(config=True)
    log_dir = Unicode(
        None, allow_none=True, help="Directory for a JSONL conversation log per session (for review)."
    ).tag(config=True)
    context_budget = Int(
        DEFAULT_CONTEXT_BUDGET,
        help="Estimated tokens per request; beyond it older reasoning, then old tool outputs, are left out.",
    ).tag(config=True)

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.agent = Agent(shell, approve=self.approve)
        self.frontend = FrontendLink(None)  # the real link is made by load(), once per kernel
        self.live_runs = LiveRuns(self.frontend, _view_code)
        self._noticed = False
        self.errors = ErrorLog()  # Err[n] for prompts; registered on the shell by load()

    def _wire_frontend(self) -> None:
        """Approvals and Stop from the live view (through the labextension's comm), once per link."""
        link = self.frontend
        if getattr(self, "_wired_link", None) is link:
            return
        buttons = ButtonApprover(self.agent.stop_requested)
        link.on("approval", buttons.deliver)
        link.on("stop", lambda _message: self._stop())
        link.on("approvals", self._approvals_from_view)
        stdin = StdinApprover(read=lambda prompt: builtins.input(prompt))  # noqa: PLW0108 - the kernel swaps input per request
        self.agent.approver = RoutingApprover(lambda: link.connected, buttons, stdin)
        self._wired_link = link

    def _approvals_from_view(self, message: dict[str, Any]) -> None:
        """The live view's "ask again" (the user's click): approvals back on for the session.

        Only "ask" is taken from the view: turning approvals off takes the user's own command.
        """
        if message.get("mode") == "ask":
            self.session.policy.mode = "ask"

    def approve_command(self, words: list[str]) -> str:
        """``%k2 approve [ask|auto|never]``: the session's approval mode, shown or set by the user."""
        policy = self.session.policy
        if not words:
            return f"k2nb: approve: {policy.label} for this session. Set it with `%k2 approve ask|auto|never`."
        mode = words[0].lower()
        if mode not in APPROVE_MODES or len(words) > 1:
            raise ConfigError(f"`%k2 approve {' '.join(words)}`: use one of `%k2 approve ask|auto|never`.")
        policy.mode = mode  # type: ignore[assignment]  # checked just above
        said = {
            "ask": "each call of model code asks first",
            "auto": "model code runs without asking",
            "never": "model code is declined",
        }[mode]
        return f"k2nb: approve: {mode} for this session: {said}."

    def _stop(self) -> None:
        """Stop button: end the loop at the next chunk/approval; interrupt model code that is running."""
        self.agent.stop()
        interrupt_running_code(self.shell)

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
    @argument("--engine", metavar="ENGINE", help="toy, or replay:FILE.jsonl / replay:NOTEBOOK.ipynb[#N] (offline)")
    @argument("--record", nargs="?", const="", metavar="FILE", help="record this run to a JSONL file for replay")
    @argument("--replay-speed", dest="replay_speed", type=float, metavar="X", help="replay at X× the recorded pace")
    @argument("--context", metavar="NAMES", help="comma-separated variables whose summaries go with the prompt")
    @argument("--no-interpolate", dest="no_interpolate", action="store_true", help="send {name} in the prompt as is")
    @argument("--thinking", choices=THINKING_MODES, help="the thinking field for kimi-k2.6/kimi-k3: auto, on, off")
    @argument("--web-search", dest="web_search", action="store_true", help="allow Moonshot's built-in $web_search")
    @argument("--cells", action="store_true", help="also write the steps as notebook cells below this one")
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
            toy_speed=self.toy_speed,
            engine=getattr(args, "engine", None),
            record=getattr(args, "record", None),
            replay_speed=args.replay_speed if getattr(args, "replay_speed", None) is not None else self.replay_speed,
            context_budget=self.context_budget,
            thinking=getattr(args, "thinking", None) or self.thinking,
            web_search=bool(getattr(args, "web_search", False)) or self.web_search,
        )

    def with_context(self, prompt: str, args: Any) -> str:
        """{var}/In[n]/Out[n]/Err[n] filled in and --context summaries appended (context.py)."""
        namespace = self.agent.shell.user_ns
        if not getattr(args, "no_interpolate", False):
            prompt, notes = interpolate(prompt, namespace, self.errors)
            for note in notes:
                print(note, file=sys.stderr)
        if getattr(args, "context", None):
            block = context_block(parse_names(args.context), namespace, budget_tokens=self.context_tokens)
            prompt = f"{prompt}\n\n{block}"
        return Redactor.from_environment(namespace=namespace).text(prompt)  # secret env values, literally

    def run(self, prompt: str, args: Any) -> Transcript:
        prompt = self.with_context(prompt, args)
        if args.new:
            self.agent.new_session()
        options = self.options(args)
        settings = self.agent.resolve(options)
        if settings.notice and self.show_notice and not self._noticed:
            print(settings.notice)
            self._noticed = True
        # Engine and recording are this cell's only: passed per run, not kept in the agent's options.
        self.agent.options = dataclasses.replace(options, approve=self.approve, engine=None, record=None)
        overrides: dict[str, Any] = {"approve": args.approve} if args.approve else {}
        if options.engine is not None or options.record is not None:
            overrides.update(engine=options.engine, record=options.record)
        self._wire_frontend()
        transcript = Transcript()  # the view needs the live transcript the agent fills
        cells = self._cells(transcript, forced=bool(getattr(args, "cells", False)))
        view = self._view(transcript, cells=bool(cells))  # with cells, the output is a status line and a link
        consumers = [view]
        if self.log_dir:
            from .ui.convlog import ConversationLog

            consumers.append(ConversationLog(self.log_dir, self.session.cache_key, transcript))
        consumers.extend(cells)
        result = self.agent.run(prompt, consumers=consumers, transcript=transcript, **overrides)
        if options.record is not None and self.backends.last_recorder is not None:
            self._show_recording(self.backends.last_recorder)
        return result

    def _show_recording(self, recorder: Any) -> None:
        """Say where the recording went; the output's metadata keeps a compact copy in the notebook."""
        from .ui.recording_output import recording_output

        data, metadata = recording_output(recorder)
        if getattr(self.shell, "kernel", None) is not None:
            from IPython.display import display

            display(data, raw=True, metadata=metadata)
        else:
            print(data["text/plain"])

    def _cells(self, transcript: Transcript, *, forced: bool) -> list[Any]:
        """The cell materializer for --cells (or the tab's "materialize cells" setting), if it can run."""
        from .notebook.cells import NO_EXTENSION, CellMaterializer

        materializer = CellMaterializer.for_current_cell(self.frontend, self.shell, transcript, forced=forced)
        if materializer is None:
            if forced:
                print(NO_EXTENSION, file=sys.stderr)
            return []
        return [materializer]

    def _view(self, transcript: Transcript, *, cells: bool = False) -> Any:
        if getattr(self.shell, "kernel", None) is not None:
            from .notebook.tracestatic import TabHandoff
            from .ui.widget import LiveDisplay

            parent = _parent_request(self.shell)
            cell_id = (parent.get("metadata") or {}).get("cellId")
            origin = (parent.get("header") or {}).get("session")
            return LiveDisplay(
                transcript,
                handoff=TabHandoff.for_current_cell(self.frontend, self.shell),
                runs=self.live_runs if self.frontend.available else None,
                cell_id=cell_id if isinstance(cell_id, str) else None,
                origin=origin if isinstance(origin, str) else None,
                cells=cells,
            )
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
                f"approve: {self.session.policy.mode}\nmax_steps: {self.max_steps}\ntimeout: {self.timeout:g} s\n"
                f"thinking: {self.thinking}\nweb_search: {'on' if self.web_search else 'off'}\n"
                f"log_dir: {self.log_dir or '(no conversation log)'}"
            )
        elif command == "tools":
            try:
                box = self.agent.toolbox(self.session.policy, self.agent.options)
            except K2Error as error:
                print(str(error), file=sys.stderr)
                return
            for name in box.names():
                spec = box.get(name)
                assert spec is not None
                kind = "read-only" if spec.read_only else "needs approval"
                print(f"{name:<20} {kind:<15} {spec.description.splitlines()[0][:70]}")
        elif command == "export":
            try:
                from .ui.export import export_command

                print(export_command(words[1:], self.session.transcripts))
            except K2Error as error:
                print(str(error), file=sys.stderr)
        elif command == "approve":
            try:
                print(self.approve_command(words[1:]))
            except ConfigError as error:
                print(str(error), file=sys.stderr)
        elif command == "help":
            if len(words) > 1 and words[1] == "toy":
                from .engines.toy import toy_help

                show_help(toy_help(), self.shell)
            else:
                show_help(help_markdown(), self.shell)
        else:
            print(
                f"k2nb: unknown command {command!r}. Commands: {', '.join(LINE_COMMANDS)}.",
                file=sys.stderr,
            )

    def usage_text(self) -> str:
        u = self.session.usage
        from .config import SIMULATED_PROVIDERS, cost_text, cost_usd

        models = {t.model for t in self.session.transcripts}
        model = next(iter(models)) if models else (self.model or "kimi-k2-thinking")
        cost = cost_usd(model, u.prompt_tokens, u.cached_tokens, u.completion_tokens)
        offline = [t.provider in SIMULATED_PROVIDERS for t in self.session.transcripts]
        money = f" · {cost_text(cost, 'toy' if offline and all(offline) else '')}" if cost is not None else ""
        if cost is not None and any(offline) and not all(offline):
            money += " (the toy / replay runs' share simulated)"
        cached = f" ({100 * u.cached_tokens / u.prompt_tokens:.0f}% cached)" if u.prompt_tokens else ""
        return (
            f"k2nb session: {len(self.session.transcripts)} run(s) · {u.prompt_tokens:,} input tokens"
            f"{cached} · {u.completion_tokens:,} output tokens{money}"
        )


def help_markdown() -> str:
    """``%k2 help`` and the README's reference, from the magic's own argument parser and commands."""
    from .ui.helptext import command_items, flag_items

    lines = [
        "### `%%k2` — Kimi K2 Thinking on the cell's text",
        "",
        "`%%k2 [flags]` on a cell's first line runs the agent on the text below it; the next `%%k2` cell "
        "continues the conversation.",
        "",
        "#### Flags",
        "",
        *flag_items(K2Magics.k2.parser),
        "",
        "#### Line commands",
        "",
        *command_items("%k2 ", LINE_COMMANDS),
    ]
    return "\n".join(lines)


def help_text() -> str:
    """The same help as readable plain text (a terminal, ``text/plain``)."""
    from .ui.helptext import markdown_to_plain

    return markdown_to_plain(help_markdown())


def _parent_request(shell: Any) -> dict[str, Any]:
    """The execute request running now (its header and metadata), or {} outside a kernel."""
    try:
        parent = shell.kernel.get_parent()
    except Exception:
        return {}
    return parent if isinstance(parent, dict) else {}


def _view_code() -> dict[str, str]:
    from .ui.widget import LiveDisplay

    return LiveDisplay.view_code()


def load(shell: Any) -> None:
    magics = K2Magics(shell)
    shell.register_magics(magics)
    shell._k2nb_magics = magics  # one per shell; lets unload find it
    magics.errors.register(shell)
    magics.frontend = FrontendLink(shell)  # comms to the notebook tabs (labextension); inert outside a kernel
    magics.live_runs = LiveRuns(magics.frontend, _view_code)  # runs shown again in tabs opened mid-run


def unload(shell: Any) -> None:
    magics = getattr(shell, "_k2nb_magics", None)
    if magics is not None:
        magics.agent.close()
        magics.errors.unregister(shell)
        magics.frontend.close()
        del shell._k2nb_magics
