"""A real kernel driven like a frontend: execute, answer stdin prompts, interrupt, restart.

nbclient cannot interrupt a cell mid-run or answer ``input()``; jupyter_client can. Outputs are
collected as the user would read them (streams, display data and their updates, errors).
"""

from __future__ import annotations

import os
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jupyter_client.manager import KernelManager

from k2nb.ui.live_codec import OpsDecoder


@dataclass
class Execution:
    status: str = ""  # the execute_reply status: ok | error | aborted
    texts: list[str] = field(default_factory=list)  # everything shown, in order
    comm_bytes: int = 0  # live-view traffic (widget messages)
    prompts: list[str] = field(default_factory=list)  # stdin prompts the kernel asked
    interrupted_at: float | None = None
    seconds: float = 0.0
    live: OpsDecoder = field(default_factory=OpsDecoder)  # inflates the live view's batches

    @property
    def text(self) -> str:
        return "\n".join(self.texts)


class KernelDriver:
    def __init__(self, env: dict[str, str]) -> None:
        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(env={**os.environ, **env})
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def restart(self) -> None:
        self.client.stop_channels()
        self.manager.restart_kernel(now=True)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)

    def pid(self) -> int:
        provisioner = self.manager.provisioner
        return int(provisioner.process.pid)  # type: ignore[union-attr]

    def execute(
        self,
        code: str,
        *,
        interrupt_when: Callable[[Execution], bool] | None = None,
        answer: Callable[[str, Execution], str | None] | None = None,
        while_running: Callable[[Execution], None] | None = None,
        timeout: float = 60,
    ) -> Execution:
        """Run ``code``; ``answer`` replies to stdin prompts (None: leave it unanswered);
        ``interrupt_when`` is polled while the cell runs and interrupts the kernel once;
        ``while_running`` is called as often (e.g. a stand-in tab sending comm messages)."""
        result = Execution()
        start = time.monotonic()
        msg_id = self.client.execute(code, allow_stdin=True)
        idle = False
        while not idle:
            if time.monotonic() - start > timeout:
                raise TimeoutError(f"the cell did not finish in {timeout} s; shown so far:\n{result.text}")
            if interrupt_when is not None and result.interrupted_at is None and interrupt_when(result):
                self.manager.interrupt_kernel()
                result.interrupted_at = time.monotonic() - start
            if while_running is not None:
                while_running(result)
            try:
                request = self.client.get_stdin_msg(timeout=0.01)
            except queue.Empty:
                pass
            else:
                prompt = request["content"]["prompt"]
                result.prompts.append(prompt)
                reply = answer(prompt, result) if answer else None
                if reply is not None:
                    self.client.input(reply)
            try:
                message = self.client.get_iopub_msg(timeout=0.05)
            except queue.Empty:
                continue
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            idle = _collect(message, result)
        reply_msg = self.client.get_shell_msg(timeout=30)
        while reply_msg["parent_header"].get("msg_id") != msg_id:  # e.g. a kernel_info reply after a restart
            reply_msg = self.client.get_shell_msg(timeout=30)
        result.status = reply_msg["content"]["status"]
        result.seconds = time.monotonic() - start
        return result


def _collect(message: dict[str, Any], result: Execution) -> bool:
    kind, content = message["msg_type"], message["content"]
    if kind == "status":
        return bool(content["execution_state"] == "idle")
    if kind == "stream":
        result.texts.append(content["text"])
    elif kind in ("display_data", "update_display_data", "execute_result"):
        data = content.get("data", {})
        result.texts.extend(str(data[m]) for m in ("text/plain", "text/html") if m in data)
    elif kind == "error":
        result.texts.append(f"{content['ename']}: {content['evalue']}")
    elif kind == "comm_msg":
        data = content.get("data") or {}
        buffers = [bytes(b) for b in message.get("buffers") or []]
        result.comm_bytes += len(str(data)) + sum(map(len, buffers))
        if (data.get("content") or {}).get("z") and buffers:  # the live view's deflated batches
            result.texts.extend(str(batch) for buffer in buffers for batch in result.live.decode(buffer))
        else:
            result.texts.append(str(data))
    return False
