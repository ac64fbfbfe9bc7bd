"""Provably offline: toy-engine and replay runs in a real kernel open no socket beyond loopback.

The kernel installs a Python audit hook first (``socket.connect`` and ``socket.getaddrinfo``
are audited for every socket any library opens), and runs with proxy variables pointing at a
non-loopback address — the situation on many school networks, where an HTTP client that honours
the proxy for loopback traffic would leave the machine. The kernel's own sockets are checked too.
"""

from __future__ import annotations

import ipaddress
import json
import pathlib
from typing import Any

import pytest

from tests.harness.kernel import run_notebook
from tests.harness.outputs import cell_text

pytestmark = pytest.mark.kernel

AUDIT = """\
import sys
_k2nb_audit = []

def _k2nb_audit_hook(event, args):
    if event == "socket.connect":
        _k2nb_audit.append(["connect", args[1] if isinstance(args[1], str) else list(args[1])[:2]])
    elif event == "socket.getaddrinfo":
        _k2nb_audit.append(["getaddrinfo", args[0] if isinstance(args[0], str) else repr(args[0])])

sys.addaudithook(_k2nb_audit_hook)  # an audit hook cannot be removed: this kernel is thrown away
"""

DUMP = """\
import json, os, psutil
inet = [c for c in psutil.Process(os.getpid()).net_connections(kind="inet") if c.raddr]
print(json.dumps({"audit": _k2nb_audit, "remote": [c.raddr[0] for c in inet]}))
"""

PROXY = "http://10.255.255.1:3128"  # non-routable: anything sent there would be a leak


def is_loopback(host: Any) -> bool:
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def test_toy_and_replay_runs_open_no_socket_beyond_loopback(tmp_path: pathlib.Path) -> None:
    recording = tmp_path / "offline.jsonl"
    nb = run_notebook(
        [
            AUDIT,
            "%load_ext k2nb",
            "%%k2 --approve auto\nHow many primes are there below 5000?",
            "data = [4, 8, 15, 16, 23, 42]",
            f"%%k2 --approve auto --record {recording}\nmedian and average of `data`",
            f"%%k2 --approve auto --engine replay:{recording}\nmedian and average of `data`",
            "%%k2 --approve auto\nplot sin(x) from 0 to 6",
            DUMP,
        ],
        # No key, no provider: the default a newcomer gets. Proxies that must not be used.
        env={
            "HTTP_PROXY": PROXY,
            "HTTPS_PROXY": PROXY,
            "ALL_PROXY": PROXY,
            "http_proxy": PROXY,
            "https_proxy": PROXY,
            "all_proxy": PROXY,
            "NO_PROXY": "",
            "no_proxy": "",
        },
    )
    assert "offline toy engine" in cell_text(nb.cells[2])
    assert "RESULT count=669" in cell_text(nb.cells[2]) and "**669**" in cell_text(nb.cells[2])
    assert "RESULT median=15.5" in cell_text(nb.cells[5]) and "differs" not in cell_text(nb.cells[5])
    report = json.loads(cell_text(nb.cells[-1]))
    connects = [target for kind, target in report["audit"] if kind == "connect"]
    assert len(connects) >= 4, report  # the audit saw the runs' own loopback connections
    leaks = [entry for entry in report["audit"] if not is_loopback(entry[1][0] if entry[0] == "connect" else entry[1])]
    assert leaks == [], leaks
    assert all(is_loopback(host) for host in report["remote"]), report["remote"]
