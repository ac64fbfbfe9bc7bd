"""Settings: the table of every setting, provider presets and environment variables.

Resolution order for each setting: per-cell flag > ``%config K2Magics.…`` > environment > default.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Literal, TypeVar

from .errors import ConfigError

ApproveMode = Literal["auto", "ask", "never"]
APPROVE_MODES: tuple[ApproveMode, ...] = ("auto", "ask", "never")
ThinkingMode = Literal["auto", "on", "off"]
THINKING_MODES: tuple[ThinkingMode, ...] = ("auto", "on", "off")
EFFORT_LEVELS = ("low", "high", "max")
EFFORT_FIELDS = ("auto", "thinking", "reasoning_effort", "both")

DEFAULT_MODEL = "kimi-k2-thinking"  # what OpenRouter, Novita and self-hosted K2 serve; the toy's too
# Moonshot's guide recommends kimi-k2.6, and third-party docs say kimi-k2-thinking was discontinued there
# in 2026. Should Moonshot retire this one too, the 404 fallback picks the newest model it offers.
MOONSHOT_DEFAULT_MODEL = "kimi-k2.6"


@dataclass(frozen=True)
class Preset:
    name: str
    base_url: str | None
    model: str
    key_env: tuple[str, ...] = ()
    needs_key: bool = True
    note: str = ""


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "moonshot",
            "https://api.moonshot.ai/v1",
            MOONSHOT_DEFAULT_MODEL,
            ("MOONSHOT_API_KEY",),
            note="platform.moonshot.ai (international)",
        ),
        Preset(
            "moonshot-cn",
            "https://api.moonshot.cn/v1",
            MOONSHOT_DEFAULT_MODEL,
            ("MOONSHOT_API_KEY",),
            note="platform.moonshot.cn (China); keys differ from the international platform",
        ),
        Preset(
            "openrouter",
            "https://openrouter.ai/api/v1",
            "moonshotai/kimi-k2-thinking",
            ("OPENROUTER_API_KEY",),
        ),
        Preset(
            "novita",
            "https://api.novita.ai/openai/v1",
            "moonshotai/kimi-k2-thinking",
            ("NOVITA_API_KEY",),
        ),
        Preset(
            "vllm",
            "http://localhost:8000/v1",
            DEFAULT_MODEL,
            (),
            needs_key=False,
            note="self-hosted vLLM (--reasoning-parser kimi_k2 --tool-call-parser kimi_k2)",
        ),
        Preset(
            "sglang",
            "http://localhost:30000/v1",
            DEFAULT_MODEL,
            (),
            needs_key=False,
            note="self-hosted SGLang",
        ),
        Preset(
            "toy",
            None,
            DEFAULT_MODEL,
            (),
            needs_key=False,
            note="offline toy engine on loopback: no key, no network",
        ),
    )
}


def price_table(prices: Mapping[str, Sequence[float]]) -> dict[str, tuple[float, float, float]]:
    """``%config K2Magics.prices`` as the run reads it: three floats per model (lists are fine to write)."""
    return {model: (float(p[0]), float(p[1]), float(p[2])) for model, p in prices.items()}


# -- the settings table ------------------------------------------------------------------------
T = TypeVar("T")


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One setting, declared once. The ``%config K2Magics`` traits, the ``%%k2`` flags, the fields
    of ``RunOptions``, ``%k2 config`` and the README reference are all made from these rows."""

    name: str  # the trait, the flag's dest and the RunOptions field
    kind: type[Any]  # str, int, float, bool or dict: the trait's and the flag's value type
    default: T  # None: unset here (the environment or the preset decides, as the help says)
    help: str = ""  # the trait's help (the README reference); "" for a flag without a trait
    configurable: bool = True  # a `%config K2Magics.<name>` trait
    run_option: bool = True  # a field of RunOptions (False: the magic's own, e.g. --cells)
    flag: str = ""  # the `%%k2` flag, e.g. "--max-steps"
    flag_help: str = ""
    metavar: str | None = None
    const: str | None = None  # the flag's value may be left out (nargs="?"): then it is this
    choices: tuple[str, ...] = ()
    env: str = ""  # the environment variable read when neither the flag nor %config sets it
    unit: str = ""  # shown after the value by `%k2 config`
    coerce: Callable[[Any], Any] | None = None  # the trait's value as the run option wants it


def _flag_only(name: str, kind: type[Any], flag: str, flag_help: str, **more: Any) -> Setting[None]:
    return Setting(name, kind, None, configurable=False, flag=flag, flag_help=flag_help, **more)


MODEL = Setting(
    "model",
    str,
    None,
    "Model id (default: K2NB_MODEL or the preset's).",
    flag="--model",
    flag_help="model id for this cell",
    env="K2NB_MODEL",
)
PROVIDER = Setting(
    "provider",
    str,
    None,
    f"Provider preset: {', '.join(PRESETS)} (default: K2NB_PROVIDER, else moonshot with a key, toy without).",
    flag="--provider",
    flag_help=f"provider preset: {', '.join(PRESETS)}",
    env="K2NB_PROVIDER",
)
BASE_URL = Setting(
    "base_url",
    str,
    None,
    "OpenAI-compatible base URL (default: K2NB_BASE_URL).",
    flag="--base-url",
    flag_help="OpenAI-compatible base URL",
    env="K2NB_BASE_URL",
)
MAX_STEPS = Setting(
    "max_steps", int, 50, "Model calls per %%k2 run.", flag="--max-steps", flag_help="cap on model calls in this run"
)
MAX_COST = _flag_only("max_cost", float, "--max-cost", "stop when the run's cost reaches USD")
MAX_TOKENS = Setting(
    "max_tokens",
    int,
    32768,  # reasoning counts against it; Moonshot's guide asks for >= 16,000 (a small one ends in empty answers)
    "Output tokens per request, reasoning included: max_completion_tokens on Moonshot, max_tokens elsewhere.",
    flag="--max-tokens",
    flag_help="output tokens per request (reasoning counts)",
)
TEMPERATURE = Setting(
    "temperature",
    float,
    None,
    "Sampling temperature (default: the model's: 1.0 for kimi-k2-thinking, none for models whose server fixes it).",
)
APPROVE = Setting(
    "approve",
    str,
    None,
    "Approval of model code: auto, ask or never (default: K2NB_APPROVE, else ask).",
    flag="--approve",
    flag_help="approval of model code: auto, ask or never",
    choices=APPROVE_MODES,
    env="K2NB_APPROVE",
)
TIMEOUT = Setting(
    "timeout",
    float,
    120.0,
    "Seconds before model code is interrupted.",
    flag="--timeout",
    flag_help="seconds before model code is interrupted",
    unit="s",
)
RETRIES = Setting("retries", int, 4, "Retries of a step after a transient failure (429, 5xx, cut stream).")
BACKOFF = Setting("backoff", float, 1.0, "First retry delay in seconds (doubles per retry, with jitter).", unit="s")
NEW = _flag_only("new", bool, "--new", "start a fresh conversation first", run_option=False)
ENGINE = _flag_only(
    "engine", str, "--engine", "toy, or replay:FILE.jsonl / replay:NOTEBOOK.ipynb[#N] (offline)", metavar="ENGINE"
)
RECORD = _flag_only(
    "record", str, "--record", "record this run to a JSONL file for replay", metavar="FILE", const=""
)  # "": a timestamped name
TOY_SPEED = Setting(
    "toy_speed",
    float,
    None,
    "Toy engine pacing in tokens/s (default: K2NB_TOY_SPEED, else 60; 0 = instant).",
    env="K2NB_TOY_SPEED",
    unit="tokens/s",
)
REPLAY_SPEED = Setting(
    "replay_speed",
    float,
    None,
    "Replay pace, × the recorded one (default: K2NB_REPLAY_SPEED, else 1; 0 = instant).",
    flag="--replay-speed",
    flag_help="replay at X× the recorded pace",
    metavar="X",
    env="K2NB_REPLAY_SPEED",
    unit="×",
)
PRICES: Setting[dict[str, tuple[float, float, float]]] = Setting(
    "prices",
    dict,
    {},
    "USD per 1M tokens per model, over the model table's: {model: [input cache hit, input cache miss, output]}.",
    coerce=price_table,
)
CONTEXT = _flag_only(
    "context",
    str,
    "--context",
    "comma-separated variables whose summaries go with the prompt",
    metavar="NAMES",
    run_option=False,
)
CONTEXT_TOKENS = Setting(
    "context_tokens", int, 2000, "Token budget for the variable summaries of --context.", run_option=False
)
CONTEXT_BUDGET = Setting(
    "context_budget",
    int,
    None,
    "Estimated tokens per request (default: the model's context window, less room for the answer); "
    "beyond it older reasoning, then old tool outputs, are left out (with keep_thinking: tool outputs first).",
)
NO_INTERPOLATE = _flag_only(
    "no_interpolate", bool, "--no-interpolate", "send {name} in the prompt as is", run_option=False
)
THINKING = Setting(
    "thinking",
    str,
    "auto",
    "Send `thinking` to models that take it (kimi-k2.6, kimi-k3 on Moonshot): auto, on or off.",
    flag="--thinking",
    flag_help="the thinking field for kimi-k2.6/kimi-k3: auto, on, off",
    choices=THINKING_MODES,
)
EFFORT = Setting(
    "effort",
    str,
    None,
    "Reasoning effort for models with effort levels (kimi-k3): low, high or max (default: the server's, max).",
    flag="--effort",
    flag_help="reasoning effort for kimi-k3: low, high or max",
    choices=EFFORT_LEVELS,
)
EFFORT_FIELD = Setting(
    "effort_field",
    str,
    "auto",
    "Where --effort goes: auto (Moonshot: inside `thinking` and as `reasoning_effort`; other providers: "
    "`reasoning_effort`), thinking, reasoning_effort or both.",
    choices=EFFORT_FIELDS,
)
KEEP_THINKING = Setting(
    "keep_thinking",
    bool,
    False,
    'Preserved thinking: every earlier turn\'s reasoning goes back as it came, with `thinking.keep = "all"` '
    "for models that take it (kimi-k2.6); always on for models that require it (kimi-k2.7-code).",
    flag="--keep-thinking",
    flag_help="send every earlier turn's reasoning back (thinking.keep)",
)
IMAGES = Setting(
    "images",
    str,
    "on",
    "Figures a tool produced go back to models that take images (kimi-k2.5, kimi-k2.6, kimi-k2.7-code, kimi-k3): "
    "on or off.",
    flag="--images",
    flag_help="send the figures tools produce to vision models: on or off",
    choices=("on", "off"),
)
WEB_SEARCH = Setting(
    "web_search",
    bool,
    False,
    "Declare Moonshot's built-in $web_search (Moonshot providers only).",
    flag="--web-search",
    flag_help="allow Moonshot's built-in $web_search",
)
NOTEBOOK_TOKENS = Setting(
    "notebook_tokens",
    int,
    3000,
    "Token budget of read_notebook's outline (a longer notebook is listed in part; read_cell reads a cell whole).",
)
FIX = _flag_only(
    "fix",
    bool,
    "--fix",
    "fix the latest error: the fixed cell as a diff, applied on Accept, re-run and checked",
    run_option=False,
)
PRESENT = Setting(
    "present",
    bool,
    False,
    "Presenter mode: pause before each step until Next ▶ (→ / Space), in a large, high-contrast layout.",
    flag="--present",
    flag_help="presenter mode: pause before each step until Next ▶ (→ / Space); large layout",
)
CELLS = _flag_only("cells", bool, "--cells", "also write the steps as notebook cells below this one", run_option=False)
SHOW_NOTICE = Setting("show_notice", bool, True, "Say once when the offline toy engine is used.", run_option=False)
LOG_DIR = Setting(
    "log_dir",
    str,
    None,
    "Directory for a JSONL conversation log per session (for review).",
    run_option=False,
)

MCP_SERVERS: Setting[dict[str, Any]] = Setting(
    "mcp_servers",
    dict,
    {},
    'MCP servers, as {"mcpServers": {NAME: {"command": …, "args": […]} or {"url": …}}} (see `%k2 mcp`).',
    run_option=False,
)
MCP_CONFIG = Setting(
    "mcp_config",
    str,
    None,
    'A JSON file of MCP servers in the {"mcpServers": …} shape (default: K2NB_MCP_CONFIG).',
    run_option=False,
    flag="--mcp-config",
    flag_help="a JSON file of MCP servers to offer in this run",
    metavar="FILE",
    env="K2NB_MCP_CONFIG",
)
MCP_TIMEOUT = Setting(
    "mcp_timeout",
    float,
    60.0,
    "Seconds an MCP tool call may take before it is cancelled.",
    unit="s",
)

# In the order `%k2 help` lists the flags and `%k2 config` the values.
SETTINGS: tuple[Setting[Any], ...] = (
    MODEL,
    PROVIDER,
    BASE_URL,
    MAX_STEPS,
    MAX_COST,
    MAX_TOKENS,
    TEMPERATURE,
    APPROVE,
    TIMEOUT,
    RETRIES,
    BACKOFF,
    NEW,
    ENGINE,
    RECORD,
    TOY_SPEED,
    REPLAY_SPEED,
    PRICES,
    CONTEXT,
    CONTEXT_TOKENS,
    CONTEXT_BUDGET,
    NO_INTERPOLATE,
    THINKING,
    EFFORT,
    EFFORT_FIELD,
    KEEP_THINKING,
    IMAGES,
    WEB_SEARCH,
    NOTEBOOK_TOKENS,
    FIX,
    PRESENT,
    CELLS,
    SHOW_NOTICE,
    LOG_DIR,
    MCP_SERVERS,
    MCP_CONFIG,
    MCP_TIMEOUT,
)
CONFIGURABLE = tuple(s for s in SETTINGS if s.configurable)
FLAGS = tuple(s for s in SETTINGS if s.flag)
RUN_OPTIONS = tuple(s for s in SETTINGS if s.run_option)


@dataclass(frozen=True)
class ProviderSettings:
    """Where requests go. The key is never part of the repr (it must not reach outputs or logs)."""

    provider: str
    base_url: str | None
    model: str
    api_key: str | None = field(default=None, repr=False)
    notice: str = ""  # one line shown to the user (e.g. "using the offline toy engine")
    model_is_default: bool = False  # the preset chose it (a 404 may fall back); a model the user named never

    @property
    def is_toy(self) -> bool:
        return self.provider == "toy"

    def with_base_url(self, base_url: str) -> ProviderSettings:
        return replace(self, base_url=base_url)


def resolve_provider(
    *,
    provider: str | None = None,
    base_url: str | None = None,
    model: str | None = None,
    api_key: str | None = None,
    env: Mapping[str, str] | None = None,
) -> ProviderSettings:
    """Decide provider, URL, model and key from flags/config (arguments) and the environment."""
    env = os.environ if env is None else env
    base_url = base_url or env.get(BASE_URL.env) or None
    model = model or env.get(MODEL.env) or None
    provider = provider or env.get(PROVIDER.env) or None
    if provider is not None and provider not in PRESETS:
        raise ConfigError(
            f"unknown provider {provider!r}. Choose one of: {', '.join(PRESETS)} "
            "(or give --base-url for any OpenAI-compatible server)."
        )
    preset = PRESETS.get(provider) if provider else None
    key = api_key or env.get("K2NB_API_KEY") or None
    if key is None:
        # A provider's own key variable only; MOONSHOT_API_KEY is the default provider's.
        fallback = preset.key_env if preset else (() if base_url else ("MOONSHOT_API_KEY",))
        for name in fallback:
            if env.get(name):
                key = env[name]
                break

    if preset is None and base_url is None:
        if key is None:
            return ProviderSettings(
                "toy",
                None,
                model or DEFAULT_MODEL,
                notice="k2nb: no API key set (K2NB_API_KEY or MOONSHOT_API_KEY): using the offline toy engine.",
            )
        preset = PRESETS["moonshot"]
    if preset is not None and preset.name == "toy":
        return ProviderSettings("toy", None, model or preset.model)
    url = base_url or (preset.base_url if preset else None)
    assert url is not None
    if key is None and preset is not None and preset.needs_key and base_url is None:
        names = " or ".join(("K2NB_API_KEY", *preset.key_env))
        raise ConfigError(
            f"no API key for {preset.name}: set {names} in the kernel's environment "
            "(e.g. %env K2NB_API_KEY=…), or run with --provider toy to try k2nb offline."
        )
    return ProviderSettings(
        provider=preset.name if preset else "custom",
        base_url=url.rstrip("/"),
        model=model or (preset.model if preset else DEFAULT_MODEL),
        api_key=key,
        model_is_default=model is None,
    )


# Offline engines spend nothing: their figures are what the same tokens would cost on Moonshot.
SIMULATED_PROVIDERS = frozenset({"toy", "replay"})


def cost_text(cost: float | None, provider: str) -> str:
    """A cost as every view shows it: "$0.0012", or "$0.0012 simulated" for the offline engines."""
    if cost is None:
        return ""
    return f"${cost:.4f}" + (" simulated" if provider in SIMULATED_PROVIDERS else "")
