"""Every setting is declared once (k2nb.config.SETTINGS): the traits, the flags and the run options are that table."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.magic_arguments import parse_argstring

from k2nb.api import RunOptions
from k2nb.config import CONFIGURABLE, FLAGS, RUN_OPTIONS, SETTINGS, Setting
from k2nb.core.loop import AgentSettings
from k2nb.magics import K2Magics
from k2nb.reference import reference_markdown

API_ONLY = {"api_key", "system_prompt", "inspection_tools"}  # RunOptions fields no notebook user sets
BOTH = [s for s in SETTINGS if s.flag and s.configurable and s.run_option]


def _flag_actions() -> dict[str, Any]:
    return {a.option_strings[0]: a for a in K2Magics.k2.parser._actions if a.option_strings and a.dest != "help"}


def test_the_table_names_each_setting_once() -> None:
    names = [s.name for s in SETTINGS]
    assert len(names) == len(set(names))
    assert len({s.flag for s in FLAGS}) == len(FLAGS)


def test_every_configurable_row_is_a_k2magics_trait_with_its_default_and_help() -> None:
    traits = K2Magics.class_traits(config=True)
    assert set(traits) == {s.name for s in CONFIGURABLE}
    for setting in CONFIGURABLE:
        trait = traits[setting.name]
        assert trait.default() == setting.default, setting.name
        assert trait.help == setting.help
        assert trait.allow_none == (setting.default is None)
        if setting.choices:
            assert tuple(trait.values) == setting.choices


def test_every_flag_row_is_a_k2_flag_in_the_tables_order() -> None:
    actions = _flag_actions()
    assert list(actions) == [s.flag for s in FLAGS]  # `%k2 help` lists them in this order
    for setting in FLAGS:
        action = actions[setting.flag]
        assert action.dest == setting.name
        assert action.help == setting.flag_help
        assert action.default is None  # "not given": the %config value applies
        assert tuple(action.choices or ()) == setting.choices
        if setting.kind is bool:
            assert action.nargs == 0
        else:
            assert action.type is setting.kind


def test_every_run_option_row_is_a_run_options_field_with_its_default() -> None:
    fields = {f.name for f in dataclasses.fields(RunOptions)}
    assert fields - API_ONLY == {s.name for s in RUN_OPTIONS}
    defaults = RunOptions()
    for setting in RUN_OPTIONS:
        assert getattr(defaults, setting.name) == setting.default, setting.name


def test_the_loops_defaults_are_the_tables() -> None:
    loop_defaults = AgentSettings(model="kimi-k2-thinking")
    resolved = {"model", "provider", "approve"}  # the loop is given these as the run resolved them
    shared = [s for s in RUN_OPTIONS if hasattr(loop_defaults, s.name) and s.name not in resolved]
    assert {s.name for s in shared} >= {"max_steps", "max_tokens", "temperature", "retries", "backoff"}
    assert {s.name for s in shared} >= {"context_budget", "prices", "max_cost"}
    for setting in shared:
        assert getattr(loop_defaults, setting.name) == setting.default, setting.name


def test_the_reference_and_k2_config_list_every_setting() -> None:
    reference = reference_markdown()
    for setting in CONFIGURABLE:
        assert f"| `{setting.name}` |" in reference
        if setting.env:
            assert setting.env in setting.help  # the user reads where the value comes from
    for setting in FLAGS:
        assert f"`{setting.flag}" in reference
    magics = K2Magics(InteractiveShell.instance())
    shown = [line.split(":")[0] for line in magics.config_text().splitlines()]
    assert shown[:4] == ["provider", "base_url", "model", "api key"]
    assert set(shown[4:]) | {"provider", "base_url", "model"} == {s.name for s in CONFIGURABLE}


def _two_values(setting: Setting[Any]) -> tuple[Any, str]:
    """A %config value and a different flag value (as typed on the %%k2 line) for ``setting``."""
    if setting.kind is bool:
        return False, ""
    if setting.choices:
        return setting.choices[0], setting.choices[-1]
    return {str: ("from-config", "from-flag"), int: (3, "7"), float: (2.5, "0.5")}[setting.kind]


@pytest.mark.parametrize("setting", BOTH, ids=[s.name for s in BOTH])
def test_a_flag_beats_the_config_value_for_this_cell_only(setting: Setting[Any]) -> None:
    magics = K2Magics(InteractiveShell.instance())
    configured, typed = _two_values(setting)
    setattr(magics, setting.name, configured)
    with_flag = magics.options(parse_argstring(magics.k2, f"{setting.flag} {typed}".strip()))
    without = magics.options(parse_argstring(magics.k2, ""))
    expected = True if setting.kind is bool else setting.kind(typed)
    assert getattr(with_flag, setting.name) == expected
    assert getattr(without, setting.name) == configured


def test_flag_beats_config_beats_environment_beats_default_in_ipython() -> None:
    """In a real IPython: model (flag, %config, K2NB_MODEL), approve (K2NB_APPROVE) and max_steps (default)."""
    script = (
        "ip = get_ipython()\n"
        "ip.run_line_magic('load_ext', 'k2nb')\n"
        "ask = 'what variables do I have'\n"
        "ip.run_cell_magic('k2', '--provider toy', ask)\n"
        "ip.run_line_magic('config', 'K2Magics.model = \"config-model\"')\n"
        "ip.run_line_magic('config', 'K2Magics.max_steps = 3')\n"
        "ip.run_line_magic('config', 'K2Magics.approve = \"auto\"')\n"
        "ip.run_cell_magic('k2', '--provider toy', ask)\n"
        "ip.run_cell_magic('k2', '--provider toy --model flag-model --max-steps 2 --approve never', ask)\n"
        "ip.run_cell_magic('k2', '--provider toy', ask)\n"
        "import json\n"
        "runs = ip._k2nb_magics.session.transcripts\n"
        "print('RUNS', json.dumps([[t.model, t.max_steps, t.approve] for t in runs]))\n"
    )
    env = {**os.environ, "K2NB_MODEL": "env-model", "K2NB_APPROVE": "never", "K2NB_TOY_SPEED": "0"}
    out = subprocess.run(
        [sys.executable, "-m", "IPython", "--colors=nocolor", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    line = next((x for x in out.stdout.splitlines() if x.startswith("RUNS ")), None)
    assert line is not None, out.stdout + out.stderr
    assert json.loads(line[len("RUNS ") :]) == [
        ["env-model", 50, "never"],  # environment, then the table's default
        ["config-model", 3, "auto"],  # %config over the environment
        ["flag-model", 2, "never"],  # the cell's flags over %config
        ["config-model", 3, "auto"],  # for that cell only
    ]
