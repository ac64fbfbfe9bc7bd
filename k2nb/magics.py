"""``%%k2`` (run the agent on the cell's prompt) and ``%k2`` line commands.

One :class:`K2Magics` per shell holds that kernel's session and backends: two notebooks (two
kernels) never share state, and nothing lives in module globals.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import pathlib
import shlex
import sys
from typing import Any

from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from traitlets import Bool, Dict, Enum, Float, Int, Unicode, observe

from .api import Agent, RunOptions, View
from .backends import Backends, recorder_for
from .config import (
    APPROVE,
    APPROVE_MODES,
    CONFIGURABLE,
    FLAGS,
    MCP_CONFIG,
    RUN_OPTIONS,
    ProviderSettings,
    Setting,
    resolve_provider,
)
from .core.transcript import Transcript
from .edge.recorder import Recorder
from .edge.recording import load_recording, notebook_recordings
from .errors import ConfigError, K2Error
from .kernel.prompt_context import ErrorLog, context_block, interpolate, parse_names
from .kernel.run_code import interrupt_running_code
from .kernel.secrets import Redactor
from .notebook.link import FrontendLink
from .notebook.workspace import NotebookFinder
from .session import Session
from .tools.approval import ButtonApprover, RoutingApprover, StdinApprover
from .tools.mcp_config import ServerConfig, parse_add, servers_from_file, servers_from_json
from .tools.notebook_tools import NO_ERROR, fix_prompt
from .tools.presenter import ButtonPacer, RoutingPacer, StdinPacer
from .ui.helptext import show_help
from .ui.reattach import LiveRuns

LINE_COMMANDS = {
    "new": "start a fresh conversation (history and approvals reset)",
    "usage": "tokens and cost of this session",
    "history": "the conversation messages so far (roles and sizes)",
    "models": "list the models the configured server offers",
    "config": "the resolved settings (the API key is never shown)",
    "tools": "the tools the model can call (built-in, inspection, your @k2nb.tool functions, MCP servers' tools)",
    "export": "FILE [--format md|html|json|cells]: write this session's runs (format from the suffix)",
    "approve": "[ask|auto|never]: show or set approval of model code for this session (after Always: `ask` asks again)",
    "fix": "[flags]: fix the latest error: the fixed cell as a diff, applied on Accept, re-run and checked",
    "present": "[FILE.jsonl|NOTEBOOK.ipynb[#N]]: replay this session's last recording (or that one) in presenter mode",
    "mcp": "[add NAME [--trust] [--env K=V] -- COMMAND ARGS… | add NAME --url URL [--header K=V] | remove NAME]: "
    "the MCP servers whose tools the model can call, with their state and tools; add or remove one",
    "help": "this help; `%k2 help toy` for what the offline toy engine can do",
}
RESOLVED = ("provider", "base_url", "model")  # settings `%k2 config` shows as resolve_provider decides them
_TRAIT_TYPES: dict[type[Any], Any] = {str: Unicode, int: Int, float: Float, bool: Bool, dict: Dict}


def config_trait(setting: Setting[Any]) -> Any:
    """The ``%config K2Magics.<name>`` trait of a configurable row of the settings table."""
    default = dict(setting.default) if isinstance(setting.default, dict) else setting.default
    common: dict[str, Any] = {"default_value": default, "allow_none": setting.default is None, "help": setting.help}
    if setting.choices:
        return Enum(list(setting.choices), **common).tag(config=True)
    return _TRAIT_TYPES[setting.kind](**common).tag(config=True)


def flag_options(setting: Setting[Any]) -> dict[str, Any]:
    """argparse's keywords for a row's ``%%k2`` flag. Every flag's value is None unless given."""
    options: dict[str, Any] = {"dest": setting.name, "default": None, "help": setting.flag_help}
    if setting.kind is bool:
        return {**options, "action": "store_true"}
    options["type"] = setting.kind
    if setting.choices:
        options["choices"] = setting.choices
    if setting.metavar:
        options["metavar"] = setting.metavar
    if setting.const is not None:
        options.update(nargs="?", const=setting.const)
    return options


def cell_flags(magic: Any) -> Any:
    """``@magic_arguments`` with one flag per flag row of the settings table, in the table's order."""
    for setting in reversed(FLAGS):  # argument() decorators stack bottom-up
        magic = argument(setting.flag, **flag_options(setting))(magic)
    return magic_arguments()(magic)


def shown_value(setting: Setting[Any], value: Any) -> str:
    """A setting's value as ``%k2 config`` prints it."""
    if value is None:
        from_env = os.environ.get(setting.env) if setting.env else None
        return f"(not set; {setting.env}={from_env})" if from_env else "(not set)"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, dict):
        value = value.get("mcpServers", value)  # the MCP servers' JSON shape: their names
        return ", ".join(value) if value else "(none)"
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{text} {setting.unit}" if setting.unit else text


# The traits are made from the settings table: K2Magics inherits them from this class.
_Settings: Any = type("K2Settings", (Magics,), {s.name: config_trait(s) for s in CONFIGURABLE})


@magics_class
class K2Magics(_Settings):  # type: ignore[misc]
    """Configure with ``%config K2Magics.<name> = value`` or in ``ipython_config.py``."""

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.agent = Agent(shell)
        self._new_session()
        self.frontend = FrontendLink(None)  # the real link is made by load(), once per kernel
        self.live_runs = LiveRuns(self.frontend, _view_code)
        self.notebooks = NotebookFinder(self.frontend)
        self._noticed = False
        self.last_recording: str | None = None  # what `%k2 present` shows when not told
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
        self.agent.approver = RoutingApprover(lambda: link.connected, buttons, StdinApprover())
        next_button = ButtonPacer(self.agent.stop_requested)  # presenter mode's Next ▶
        link.on("next", next_button.deliver)
        self.agent.pacer = RoutingPacer(lambda: link.connected, next_button, StdinPacer())
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

    @observe("mcp_servers")
    def _mcp_servers_changed(self, _change: dict[str, Any]) -> None:
        """``%config K2Magics.mcp_servers = {…}``: start (or stop) those servers now, as `%k2 mcp add` does."""
        if hasattr(self, "agent"):  # not while the config is loaded at startup: the first run starts them
            try:
                self._sync_mcp(None)
            except ConfigError as error:
                print(str(error), file=sys.stderr)

    def _sync_mcp(self, flag_file: str | None) -> None:
        """Start the servers ``%config K2Magics.mcp_servers`` and the MCP config file declare (and stop
        those they no longer do); say what started. The file is this cell's ``--mcp-config``, else the setting's."""
        declared: dict[str, list[ServerConfig]] = {"config": [], "file": []}
        if self.mcp_servers:
            declared["config"] = servers_from_json(self.mcp_servers, "%config K2Magics.mcp_servers")
        path = flag_file or self.mcp_config or os.environ.get(MCP_CONFIG.env) or None
        if path:
            declared["file"] = servers_from_file(path)
        for source, configs in declared.items():
            for report in self.agent.mcp.sync(source, configs):  # ■ interrupts a slow start
                report.show()

    def mcp_command(self, words: list[str]) -> str:
        """``%k2 mcp`` (list), ``%k2 mcp add …``, ``%k2 mcp remove NAME``."""
        from .tools.mcp import require_sdk

        require_sdk()
        mcp = self.agent.mcp
        if not words or words == ["list"]:
            self._sync_mcp(None)
            return mcp.listing()
        if words[0] == "add":
            report = mcp.add(parse_add(words[1:]))
            if not report.ok:
                raise ConfigError(report.text.removeprefix("k2nb: "))
            return report.text
        if words[0] == "remove" and len(words) == 2:
            return mcp.remove(words[1])
        raise ConfigError(f"`%k2 mcp {' '.join(words)}`: use `%k2 mcp`, `%k2 mcp add …` or `%k2 mcp remove NAME`.")

    @observe("approve")
    def _approve_changed(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self.session.policy.mode = change["new"]

    def _new_session(self) -> None:
        """A fresh conversation. The approval mode lives in its policy, which starts from the
        ``approve`` setting (%config K2Magics.approve, else K2NB_APPROVE, else ask)."""
        self.agent.new_session(self.approve)

    @property
    def session(self) -> Session:
        return self.agent.session

    @property
    def backends(self) -> Backends:
        return self.agent.backends

    # -- the magic -----------------------------------------------------------------------
    @cell_flags
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
        if not prompt and not args.fix:
            print("k2nb: the cell is empty: write your request below %%k2.", file=sys.stderr)
            return
        try:
            self.run(prompt, args)
        except K2Error as error:
            print(str(error), file=sys.stderr)

    def fix_command(self, words: list[str]) -> None:
        """``%k2 fix [flags]``: ``%%k2 --fix`` without guidance of the user's own."""
        try:
            args = parse_argstring(self.k2, " ".join(shlex.quote(w) for w in ["--fix", *words]))
        except Exception as error:
            print(f"k2nb: {error}. See `%k2 help`.", file=sys.stderr)
            return
        try:
            self.run("", args)
        except K2Error as error:
            print(str(error), file=sys.stderr)

    def options(self, args: argparse.Namespace) -> RunOptions:
        """This cell's options: each run setting's flag if given, else its ``%config K2Magics`` value
        (None there leaves it to the environment, then the default: resolve_provider, Backends)."""
        flags = vars(args)
        values: dict[str, Any] = {}
        for setting in RUN_OPTIONS:
            value = flags[setting.name] if setting.flag else None
            if value is None and setting.configurable:
                value = getattr(self, setting.name)
            if value is not None and setting.coerce is not None:
                value = setting.coerce(value)
            values[setting.name] = value
        return RunOptions(**values)

    def with_context(self, prompt: str, args: argparse.Namespace, redactor: Redactor) -> str:
        """{var}/In[n]/Out[n]/Err[n] filled in and --context summaries appended (context.py), redacted."""
        namespace = self.agent.shell.user_ns
        if not args.no_interpolate:
            prompt, notes = interpolate(prompt, namespace, self.errors)
            for note in notes:
                print(note, file=sys.stderr)
        if args.context:
            block = context_block(parse_names(args.context), namespace, budget_tokens=self.context_tokens)
            prompt = f"{prompt}\n\n{block}"
        return redactor.text(prompt)  # secret values anywhere in it, literally (the key, env, variables)

    def run(self, prompt: str, args: argparse.Namespace) -> Transcript | None:
        failed = self.errors.latest() if args.fix else None
        if args.fix and failed is None:
            print(NO_ERROR, file=sys.stderr)
            return None
        options = self.options(args)
        settings = self.agent.resolve(options)
        self._sync_mcp(args.mcp_config)  # before the redactor: the servers' secrets are hidden too
        redactor = self.agent.redactor(settings)  # the run's one: for the prompt, the tools and the log
        notebook = self.notebooks.for_current_cell(self.shell, stop=self.agent.stop_requested)
        prompt = self.with_context(prompt, args, redactor) if prompt else ""
        note = ""
        if failed is not None:  # the failing cell's code is not interpolated: its braces are code
            can_change = notebook is not None and notebook.can_change
            prompt, note = fix_prompt(failed, guidance=prompt, can_change=can_change)
            prompt, note = redactor.text(prompt), redactor.text(note)
        if args.new:
            self._new_session()
        if settings.notice and self.show_notice and not self._noticed:
            print(settings.notice)
            self._noticed = True
        # Engine and recording are this cell's only: passed per run, not kept in the agent's options.
        # The approval mode is the session's (its policy); a cell's --approve goes with this run only.
        self.agent.options = dataclasses.replace(options, approve=None, engine=None, record=None)
        overrides: dict[str, Any] = {"approve": args.approve} if args.approve else {}
        if options.engine is not None:
            overrides.update(engine=options.engine)
        recorder = recorder_for(options.record)  # ours to report when the run is over
        self._wire_frontend()
        cells = self._cells(forced=bool(args.cells))
        views = [self._view(cells=bool(cells))]  # with cells, the output is a status line and a link
        if self.log_dir:
            from .ui.convlog import ConversationLog

            views.append(ConversationLog(self.log_dir, self.session.cache_key, redactor))
        views.extend(cells)
        result = self.agent.run(
            prompt,
            views=views,
            resolved=settings,
            redactor=redactor,
            recorder=recorder,
            notebook=notebook,
            note=note,
            **overrides,
        )
        if recorder is not None:
            self._show_recording(recorder)
            if recorder.path is not None:
                self.last_recording = str(pathlib.Path(recorder.path).resolve())
        return result

    def present_command(self, words: list[str]) -> Transcript | None:
        """``%k2 present [FILE.jsonl|NOTEBOOK.ipynb[#N]]``: a recording replayed in presenter mode,
        exactly as ``%%k2 --present --engine replay:…`` with its recorded prompt would."""
        if len(words) > 1:
            raise ConfigError(
                "`%k2 present` takes one recording: `%k2 present FILE.jsonl` or `%k2 present NOTEBOOK.ipynb#N`."
            )
        spec = words[0] if words else self.last_recording
        if spec is None:
            raise ConfigError(
                "no recording in this session yet. Record a run with `%%k2 --record FILE`, or name one: "
                "`%k2 present FILE.jsonl` / `%k2 present NOTEBOOK.ipynb#N`. (`%%k2 --present` presents a new run.)"
            )
        spec = _last_of_notebook(spec)
        recording = load_recording(spec)
        if not recording.prompt.strip():
            raise ConfigError(
                f"{recording.source} has no recorded prompt: present it with `%%k2 --present --engine replay:{spec}` "
                "and the prompt as the cell's text."
            )
        # The recorded prompt was filled in from the kernel already: it goes as recorded.
        args = self.k2.parser.parse_args(["--present", "--no-interpolate", "--engine", f"replay:{spec}"])
        return self.run(recording.prompt, args)

    def _show_recording(self, recorder: Recorder) -> None:
        """Say where the recording went; the output's metadata keeps a compact copy in the notebook."""
        from .ui.recording_output import recording_output

        data, metadata = recording_output(recorder)
        if getattr(self.shell, "kernel", None) is not None:
            from IPython.display import display

            display(data, raw=True, metadata=metadata)
        else:
            print(data["text/plain"])

    def _cells(self, *, forced: bool) -> list[View]:
        """The cell materializer for --cells (or the tab's "materialize cells" setting), if it can run."""
        from .notebook.cells import NO_EXTENSION, CellMaterializer

        materializer = CellMaterializer.for_current_cell(self.frontend, self.shell, forced=forced)
        if materializer is None:
            if forced:
                print(NO_EXTENSION, file=sys.stderr)
            return []
        return [materializer]

    def _view(self, *, cells: bool = False) -> View:
        if getattr(self.shell, "kernel", None) is not None:
            from .notebook.tracestatic import TabHandoff
            from .ui.widget import LiveDisplay

            parent = _parent_request(self.shell)
            cell_id = (parent.get("metadata") or {}).get("cellId")
            origin = (parent.get("header") or {}).get("session")
            return LiveDisplay(
                handoff=TabHandoff.for_current_cell(self.frontend, self.shell),
                runs=self.live_runs if self.frontend.available else None,
                cell_id=cell_id if isinstance(cell_id, str) else None,
                origin=origin if isinstance(origin, str) else None,
                cells=cells,
            )
        from .ui.terminal import TerminalPrinter

        return TerminalPrinter()

    # -- line commands -------------------------------------------------------------------
    def _line_command(self, line: str) -> None:
        words = shlex.split(line)
        command = words[0] if words else "help"
        if command in ("--help", "-h"):
            command = "help"
        if command == "new":
            self._new_session()
            print("k2nb: new conversation.")
        elif command == "usage":
            print(self.usage_text())
        elif command == "history":
            from .core.images import content_text, image_parts

            for i, m in enumerate(self.session.messages):
                size = len(content_text(m.get("content"))) + len(str(m.get("reasoning_content") or ""))
                pictures = sum(1 for _ in image_parts(m.get("content")))
                calls = f", {pictures} image(s)" if pictures else ""
                calls += f", {len(m['tool_calls'])} tool call(s)" if m.get("tool_calls") else ""
                print(f"{i:3d} {m['role']:<9} {size:>7,} chars{calls}")
        elif command == "models":
            try:
                print(self.models_text())
            except ConfigError as error:
                print(str(error), file=sys.stderr)
        elif command == "config":
            try:
                print(self.config_text())
            except ConfigError as error:
                print(str(error), file=sys.stderr)
        elif command == "tools":
            try:
                self._sync_mcp(None)
                notebook = self.notebooks.for_current_cell(self.shell)
                box = self.agent.toolbox(self.session.policy, self.agent.options, notebook=notebook)
            except K2Error as error:
                print(str(error), file=sys.stderr)
                return
            for name in box.names():
                spec = box.get(name)
                assert spec is not None
                kind = spec.origin or ("read-only" if spec.read_only else "needs approval")
                about = (spec.description.splitlines() or [""])[0]
                print(f"{name:<20} {kind:<15} {about[:70]}")
        elif command == "export":
            try:
                from .ui.export import export_command

                print(export_command(words[1:], self.session.transcripts))
            except K2Error as error:
                print(str(error), file=sys.stderr)
        elif command == "fix":
            self.fix_command(words[1:])
        elif command == "present":
            try:
                self.present_command(words[1:])
            except K2Error as error:
                print(str(error), file=sys.stderr)
        elif command == "mcp":
            try:
                print(self.mcp_command(words[1:]))
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

    def configured_provider(self) -> ProviderSettings:
        """The provider ``%config K2Magics`` and the environment give (no cell's flags), with this kernel's
        replacement for a default model the server did not offer."""
        return self.backends.fallback(
            resolve_provider(provider=self.provider, base_url=self.base_url, model=self.model)
        )

    def models_text(self) -> str:
        """``%k2 models``: what the server offers, each with what k2nb knows of it (the model table)."""
        from .core.models import describe

        settings = self.configured_provider()
        models = self.backends.client(settings).list_models()
        if not models:
            return "k2nb: the server listed no models."
        width = max(len(m) for m in models)
        lines = [f"{'*' if m == settings.model else ' '} {m:<{width}}  {describe(m)}" for m in models]
        return "\n".join([*lines, f"(* the model k2nb uses: {settings.model}; choose with --model or K2NB_MODEL)"])

    def config_text(self) -> str:
        """``%k2 config``: the resolved provider, then every other ``%config K2Magics`` setting (the key never)."""
        s = self.configured_provider()
        lines = [
            f"provider: {s.provider}",
            f"base_url: {s.base_url or '(toy engine on loopback)'}",
            f"model: {s.model}",
            f"api key: {'set' if s.api_key else 'not set'}",
        ]
        for setting in CONFIGURABLE:
            if setting.name in RESOLVED:
                continue
            value = self.session.policy.mode if setting is APPROVE else getattr(self, setting.name)
            lines.append(f"{setting.name}: {shown_value(setting, value)}")
        return "\n".join(lines)

    def usage_text(self) -> str:
        u = self.session.usage
        from .config import SIMULATED_PROVIDERS, cost_text

        costs = [t.cost for t in self.session.transcripts if t.cost is not None]  # each run's, at its model's price
        cost = sum(costs) if costs else None
        offline = [t.provider in SIMULATED_PROVIDERS for t in self.session.transcripts]
        money = f" · {cost_text(cost, 'toy' if offline and all(offline) else '')}" if cost is not None else ""
        if cost is not None and any(offline) and not all(offline):
            money += " (the toy / replay runs' share simulated)"
        cached = f" ({100 * u.cached_tokens / u.prompt_tokens:.0f}% cached)" if u.prompt_tokens else ""
        images = f", {u.image_tokens:,} of them for images" if u.image_tokens else ""
        return (
            f"k2nb session: {len(self.session.transcripts)} run(s) · {u.prompt_tokens:,} input tokens"
            f"{cached}{images} · {u.completion_tokens:,} output tokens{money}"
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


def _last_of_notebook(spec: str) -> str:
    """``NOTEBOOK.ipynb`` stands for its last recording (``#N`` for another); other specs as they are."""
    if spec.endswith(".ipynb"):
        count = len(notebook_recordings(spec))
        if count:
            return f"{spec}#{count}"
    return spec


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
    magics.notebooks = NotebookFinder(magics.frontend)  # the notebook each run reads (and changes, with a tab)


def unload(shell: Any) -> None:
    magics = getattr(shell, "_k2nb_magics", None)
    if magics is not None:
        magics.agent.close()
        magics.errors.unregister(shell)
        magics.frontend.close()
        del shell._k2nb_magics
