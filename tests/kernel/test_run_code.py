"""k2nb/kernel/run_code.py in an in-process IPython shell: Stop from another thread, a stop before the
code starts, other threads' output (Stop in a real kernel with a tab: tests/integration/test_stop_code_kernel.py)."""

from __future__ import annotations

import signal
import threading
import time

import pytest
from IPython.core.interactiveshell import InteractiveShell

from k2nb.kernel.run_code import RUNNING_FLAG, CodeStopped, interrupt_running_code, run_code


@pytest.fixture
def shell() -> InteractiveShell:
    return InteractiveShell.instance()


def stop_from_another_thread(shell: InteractiveShell) -> threading.Thread:
    """What the comm's subshell thread does on Stop: interrupt once the code runs."""

    def press() -> None:
        deadline = time.monotonic() + 10
        while not interrupt_running_code(shell) and time.monotonic() < deadline:
            time.sleep(0.05)

    thread = threading.Thread(target=press)
    thread.start()
    return thread


def test_stop_from_another_thread_interrupts_a_loop_and_keeps_its_output(shell: InteractiveShell) -> None:
    kernel_handler = signal.getsignal(signal.SIGINT)
    presser = stop_from_another_thread(shell)
    started = time.monotonic()
    with pytest.raises(CodeStopped) as stopped:
        run_code(shell, "print('before the loop')\nk2nb_spins = 0\nwhile True:\n    k2nb_spins += 1")
    presser.join()
    assert time.monotonic() - started < 10
    assert [o.get("text") for o in stopped.value.outputs] == ["before the loop\n"]
    assert shell.user_ns["k2nb_spins"] > 0  # the state the code reached stays
    assert signal.getsignal(signal.SIGINT) is kernel_handler  # restored
    assert not hasattr(shell, RUNNING_FLAG) and not interrupt_running_code(shell)  # nothing to interrupt now
    assert run_code(shell, "print(k2nb_spins > 0)").outputs[0]["text"] == "True\n"  # the shell still works


def test_a_stop_before_the_code_starts_runs_nothing(shell: InteractiveShell) -> None:
    stop = threading.Event()
    stop.set()
    with pytest.raises(CodeStopped):
        run_code(shell, "k2nb_ran_anyway = True", stop=stop)
    assert "k2nb_ran_anyway" not in shell.user_ns


def test_only_the_steps_own_thread_is_captured(shell: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    code = (
        "import threading\nfrom IPython.display import display\n"
        "t = threading.Thread(target=lambda: print('from a comm handler'))\nt.start(); t.join()\n"
        "print('from the step')\n"
        "assert hasattr(get_ipython().display_pub, 'publish') and get_ipython().display_pub.outputs == []\n"
        "display({'text/plain': 'shown'}, raw=True)\n6 * 7"
    )
    execution = run_code(shell, code)
    assert execution.status == "ok", execution.outputs
    texts = [o.get("text") or o.get("data", {}).get("text/plain") for o in execution.outputs]
    assert texts == ["from the step\n", "shown", "42"]
    assert "from a comm handler" in capsys.readouterr().out  # went where that thread's output goes
