"""The stand-in for a notebook tab running the k2nb labextension, made of a jupyter_client.

It does on the wire what the labextension does, so kernel-side tests and benchmarks can see the
kernel talk to a linked tab (measured with ipykernel 7.4):

- `create_subshell_request` goes on the **control** channel; the reply carries the `subshell_id`.
- The `k2nb` comm's `comm_open` / `comm_msg` carry that id in their **header**, as JupyterLab
  does for comm targets with `commsOverSubshells`; the kernel then handles them on the
  subshell's thread while the main shell runs a cell. Without the id they wait for the cell.
- `trace-static` (the finished trace, deflated) is answered as the extension does once it has
  written the bundle into the output: `{kind: "trace-static-done", token, found: true}`.
"""

from __future__ import annotations

import json
import uuid
import zlib
from typing import Any


def handoff_bundle(buffer: bytes) -> dict[str, Any]:
    """The saved trace a `trace-static` op carries (deflated JSON: the output's mime bundle)."""
    bundle: dict[str, Any] = json.loads(zlib.decompress(bytes(buffer)))
    return bundle


class Tab:
    def __init__(self, kc: Any, *, subshell: bool = True) -> None:
        self.kc = kc
        self.client_id = kc.session.session  # the tab's execute requests carry it as `session`
        self.comm_id = uuid.uuid4().hex
        self.subshell_id: str | None = None
        self.handoffs: list[dict[str, Any]] = []  # the bundles received by trace-static
        if subshell:
            request = kc.session.msg("create_subshell_request", {})
            kc.control_channel.send(request)
            reply = kc.get_control_msg(timeout=10)
            assert reply["content"]["status"] == "ok", reply["content"]
            self.subshell_id = reply["content"]["subshell_id"]

    def _send(self, msg_type: str, content: dict[str, Any]) -> None:
        msg = self.kc.session.msg(msg_type, content)
        if self.subshell_id is not None:
            msg["header"]["subshell_id"] = self.subshell_id
        self.kc.shell_channel.send(msg)

    def hello(self, **extra: Any) -> None:
        data = {"kind": "hello", "clientId": self.client_id, "version": "0.1.0", "materializeCells": False, **extra}
        self._send("comm_open", {"comm_id": self.comm_id, "target_name": "k2nb", "data": data})

    def send(self, data: dict[str, Any]) -> None:
        self._send("comm_msg", {"comm_id": self.comm_id, "data": data})

    def close(self) -> None:
        self._send("comm_close", {"comm_id": self.comm_id, "data": {}})

    def answer_handoff(self, data: Any, buffers: list[bytes]) -> bool:
        """If ``data`` is a `trace-static` op, take the bundle and confirm; True if it was one."""
        if not isinstance(data, dict) or data.get("op") != "trace-static" or not buffers:
            return False
        self.handoffs.append(handoff_bundle(buffers[0]))
        self.send({"kind": "trace-static-done", "token": data.get("token"), "found": True})
        return True
