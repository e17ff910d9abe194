"""A solve's child process (api.isolation): result, progress and errors come back; its death stays there.

Real processes throughout: the forkserver, the child with its address-space limit, and a parent
killed with SIGKILL. The work functions live at module level so the child can import them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from api.isolation import Reporter, SolveFailed, run_isolated
from tests.builders import TWO_DISTRICTS_FILE

pytestmark = pytest.mark.workers  # every test here starts a forkserver child

ROOT = Path(__file__).resolve().parents[2]


class Collect:
    def __init__(self) -> None:
        self.seen: list[Any] = []

    def report(self, progress: Any) -> None:
        self.seen.append(progress)


def count_to(n: int, reporter: Reporter) -> str:
    for i in range(n):
        reporter.report(i)
    return f"talt til {n} i {os.getpid()}"


def refuse(reporter: Reporter) -> None:
    raise ValueError("ugyldig termin 'x'")


def hog(megabytes: int, reporter: Reporter) -> int:
    return len(bytearray(megabytes * 2**20))


def fail_in_c(message: str, reporter: Reporter) -> None:
    """What C code whose allocation failed without setting MemoryError looks like from Python."""
    raise SystemError(message)


def die(reporter: Reporter) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def address_space_mb(reporter: Reporter) -> int:
    """What a child holds before it does anything (the forkserver's imports: OR-Tools and all)."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmSize:")[1].split()[0]) // 1024


def sleep_reporting_pid(seconds: float, reporter: Reporter) -> None:
    reporter.report(os.getpid())
    time.sleep(seconds)


def test_the_result_and_every_progress_report_come_back_from_another_process() -> None:
    progress = Collect()
    answer = run_isolated(count_to, 5, memory_mb=2048, reporter=progress)
    assert answer.startswith("talt til 5 i ") and answer != f"talt til 5 i {os.getpid()}"
    assert progress.seen == [0, 1, 2, 3, 4]


def test_the_works_own_error_comes_back_as_it_was() -> None:
    with pytest.raises(ValueError, match="ugyldig termin 'x'"):
        run_isolated(refuse, memory_mb=2048)


def test_more_memory_than_allowed_fails_in_danish_and_this_process_goes_on() -> None:
    with pytest.raises(SolveFailed) as caught:
        run_isolated(hog, 3000, memory_mb=1024)
    assert (
        str(caught.value)
        == "løsningen brugte mere hukommelse end tilladt (1024 MB, MOEDEPLAN_SOLVE_MEMORY_MB)"
    )
    assert run_isolated(hog, 100, memory_mb=2048) == 100 * 2**20  # the next one runs


def test_an_allocation_failing_in_c_code_is_out_of_memory_and_other_system_errors_stay() -> None:
    with pytest.raises(SolveFailed, match="mere hukommelse end tilladt"):
        run_isolated(fail_in_c, "error return without exception set", memory_mb=2048)
    with pytest.raises(SystemError, match="noget andet"):
        run_isolated(fail_in_c, "noget andet", memory_mb=2048)


def test_a_child_killed_by_a_signal_fails_with_the_signal() -> None:
    with pytest.raises(SolveFailed, match=r"løsningen stoppede uventet \(SIGKILL\)"):
        run_isolated(die, memory_mb=2048)


def test_a_child_past_its_deadline_is_stopped() -> None:
    progress = Collect()
    started = time.monotonic()
    with pytest.raises(SolveFailed, match="stoppet efter 1 s"):
        run_isolated(sleep_reporting_pid, 60, memory_mb=2048, reporter=progress, deadline=1)
    assert time.monotonic() - started < 20
    assert not _alive(progress.seen[0])


PARENT = """
import sys
from api.isolation import run_isolated
from test_isolation import sleep_reporting_pid

class Print:
    def report(self, pid):
        print(pid, flush=True)

run_isolated(sleep_reporting_pid, 120, memory_mb=2048, reporter=Print())
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_solve_ends_when_its_parent_is_killed() -> None:
    """A worker killed with SIGKILL must not leave its solve running (and holding memory) for nobody."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{Path(__file__).parent}"}
    parent = subprocess.Popen([sys.executable, "-c", PARENT], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert _alive(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 15
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(child), "the solve outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()


def test_a_real_solve_reports_its_progress_through_the_pipe() -> None:
    """What a job runs (`api.jobs._compute`), in its child: CP-SAT's solutions reach the parent."""
    from api.job_types import SOLVE
    from api.jobs import _compute, _Inputs
    from api.settings import AppSettings
    from scheduler.config import load_config
    from scheduler.solve import Progress, SolveOptions

    config = load_config(TWO_DISTRICTS_FILE)
    inputs = _Inputs(
        SOLVE, 1, config, "foraar-2027", SolveOptions(time_limit=3, workers=2), None, None, set()
    )
    progress = Collect()
    plan = run_isolated(
        _compute, inputs, AppSettings(database_url="sqlite://"), memory_mb=4096, reporter=progress
    )
    assert plan.status in ("OPTIMAL", "FEASIBLE") and plan.meetings
    assert progress.seen and all(isinstance(p, Progress) for p in progress.seen)
    assert progress.seen[-1].solutions >= 1
