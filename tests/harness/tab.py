"""The stand-in for a notebook tab running the k2nb labextension, made of a jupyter_client.

It does on the wire what the labextension does, so kernel-side tests and benchmarks can see the
kernel talk to a linked tab (measured with ipykernel 7.4):

- `create_subshell_request` goes on the **control** channel; the reply carries the `subshell_id`.
- The `k2nb` comm's `comm_open` / `comm_msg` carry that id in their **header**, as JupyterLab
  does for comm targets with `commsOverSubshells`; the kernel then handles them on the
  subshell's thread while the main shell runs a cell. Without the id they wait for the cell.
- `trace-static` (the finished trace, deflated) is answered as the extension does once it has
  written the bundle into the output: `{kind: "trace-static-done", token, found: true}`. With
  `trace-style` announced, the bundle's `<style>` comes once per link in a second buffer and later
  by its key alone; the tab keeps each one and puts it back (`found: false` if it lacks it).
- With a notebook (`Tab(kc, notebook=nb)`), the notebook tools' operations (`notebook-read`,
  `-edit`, `-insert`, `-outputs`) are carried out on that nbformat notebook as the extension carries
  them out on its live model (labextension/src/workspace.ts), and answered `notebook-done`.
"""

from __future__ import annotations

import json
import uuid
import zlib
from typing import Any

import nbformat

from k2nb.notebook.cell_plan import digest


def handoff_bundle(buffer: bytes) -> dict[str, Any]:
    """The saved trace a `trace-static` op carries (deflated JSON: the output's mime bundle)."""
    bundle: dict[str, Any] = json.loads(zlib.decompress(bytes(buffer)))
    return bundle


class Tab:
    def __init__(self, kc: Any, *, subshell: bool = True, notebook: Any = None, path: str = "notebook.ipynb") -> None:
        self.kc = kc
        self.notebook = notebook  # an nbformat notebook: the tab's live model
        self.path = path
        self.notebook_ops: list[dict[str, Any]] = []  # the notebook operations it carried out
        self.ignored_ops: list[dict[str, Any]] = []  # those it saw that were another tab's
        self.client_id = kc.session.session  # the tab's execute requests carry it as `session`
        self.comm_id = uuid.uuid4().hex
        self.subshell_id: str | None = None
        self.handoffs: list[dict[str, Any]] = []  # the bundles received by trace-static
        self.styles: dict[str, str] = {}  # the traces' <style>s this tab was sent, by key
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
        if self.notebook is not None and "capabilities" not in extra:
            data["capabilities"] = ["trace-static", "run-attach", "workspace"]
        self._send("comm_open", {"comm_id": self.comm_id, "target_name": "k2nb", "data": data})

    def send(self, data: dict[str, Any]) -> None:
        self._send("comm_msg", {"comm_id": self.comm_id, "data": data})

    def close(self) -> None:
        self._send("comm_close", {"comm_id": self.comm_id, "data": {}})

    def answer_handoff(self, data: Any, buffers: list[bytes]) -> bool:
        """If ``data`` is a `trace-static` op, take the bundle and confirm; True if it was one."""
        if not isinstance(data, dict) or data.get("op") != "trace-static" or not buffers:
            return False
        bundle = handoff_bundle(buffers[0])
        key = data.get("style")
        if isinstance(key, str):
            if len(buffers) > 1:
                self.styles[key] = zlib.decompress(bytes(buffers[1])).decode()
            if key not in self.styles:
                self.send({"kind": "trace-static-done", "token": data.get("token"), "found": False})
                return True
            bundle["text/html"] = self.styles[key] + str(bundle.get("text/html", ""))
        self.handoffs.append(bundle)
        self.send({"kind": "trace-static-done", "token": data.get("token"), "found": True})
        return True

    def answer(self, data: Any, buffers: list[bytes]) -> bool:
        """Carry out whatever this tab is asked (the saved trace, a notebook operation); True if it was."""
        return self.answer_handoff(data, buffers) or self.answer_notebook(data)

    def answer_notebook(self, data: Any) -> bool:
        """If ``data`` is a notebook operation for this tab, carry it out on the notebook and answer."""
        op = data.get("op") if isinstance(data, dict) else None
        if self.notebook is None or not isinstance(op, str) or not op.startswith("notebook-"):
            return False
        if data.get("clientId") not in (None, self.client_id):
            self.ignored_ops.append(data)  # another tab's: only the tab that ran the cell acts
            return True
        self.notebook_ops.append(data)
        try:
            result = self._notebook_op(op, data)
        except LookupError as error:
            result = {"ok": False, "error": str(error)}
        self.send({"kind": "notebook-done", "token": data.get("token"), **result})
        return True

    def _cell(self, cell_id: Any) -> Any:
        for cell in self.notebook.cells:
            if cell.get("id") == cell_id:
                return cell
        raise LookupError(f"no cell with id {cell_id}")

    def _notebook_op(self, op: str, data: dict[str, Any]) -> dict[str, Any]:
        if op == "notebook-read":
            return {"ok": True, "cells": json.loads(json.dumps(self.notebook.cells)), "path": self.path}
        if op == "notebook-insert":
            cell = dict(data["cell"])
            index = next(i for i, c in enumerate(self.notebook.cells) if c.get("id") == data["after"]) + 1
            changes = cell["metadata"]["k2nb"]["changes"]
            cell["metadata"]["k2nb"]["changes"] = [{**c, "digest": digest(cell["source"])} for c in changes]
            self.notebook.cells.insert(index, nbformat.from_dict(cell))
            return {"ok": True, "position": index + 1}
        cell = self._cell(data["id"])
        if op == "notebook-edit":
            if data.get("expect") is not None and data["expect"] != cell.source:
                raise LookupError("the cell changed since it was read (someone edited it): read it again")
            cell.source = data["source"]
        elif op == "notebook-outputs":
            cell.outputs = [nbformat.from_dict(o) for o in data["outputs"]]
            cell.execution_count = data["execution_count"]
        meta = cell.metadata.setdefault("k2nb", {})
        meta.setdefault("changes", []).append({**data["change"], "digest": digest(cell.source)})
        return {"ok": True}
