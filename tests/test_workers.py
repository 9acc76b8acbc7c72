"""Worker processes never outlive their run (issue 14, item 8).

A `--workers 2` run killed with SIGKILL leaves no worker behind for long (each watches its
parent); SIGTERM is handled like Ctrl-C: a clean exit (143, or 130 for SIGINT), the workers
stopped, no partial folder. The kill test waits at most 10 s for the workers to go: the only
timing in the suite, and a bound, not a measurement.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Long enough that both workers are busy when the signal comes (a replication takes seconds).
BUSY = ROOT / "scenarios" / "baseline.yaml"
TINY = """\
name: tiny
horizon_days: 1
demand: {contacts_per_day: 40, mix: {inquiry: 1.0}}
call_center:
  agents: 2
  handle_minutes: {inquiry: 5}
"""

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def _children(pid: int) -> set[int]:
    """Processes whose parent is ``pid`` (read from /proc; psutil is not a dependency)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name (field 2) may hold spaces: fields after its closing parenthesis.
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2] != "Z"  # a zombie has exited; only its entry is left


def _ctrl_c_as_in_a_terminal() -> None:
    # A shell starts a background job with Ctrl-C ignored and its children inherit that, so the
    # suite run as `make test &` would see SIGINT ignored; a run in a terminal has the default.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sim", "run", str(BUSY), "--reps", "4", "--workers", "2",
         "--quiet", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # the signal goes to the parent alone, as `kill PID` does
        preexec_fn=_ctrl_c_as_in_a_terminal)


def _wait_for_workers(parent: subprocess.Popen[str], count: int = 2) -> set[int]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        workers = {pid for pid in _children(parent.pid)
                   if b"multiprocessing" in Path(f"/proc/{pid}/cmdline").read_bytes()}
        if len(workers) >= count:
            time.sleep(3)  # let them start a replication each
            return workers
        assert parent.poll() is None, parent.communicate()
        time.sleep(0.2)
    pytest.fail("the workers did not start within 120 s")


@pytest.fixture()
def reaper() -> Iterator[set[int]]:
    """Pids to SIGKILL at the end whatever happens, so a failing test leaves no orphans."""
    pids: set[int] = set()
    yield pids
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def test_workers_exit_when_the_parent_is_killed(tmp_path: Path, reaper: set[int]) -> None:
    out = tmp_path / "out"
    parent = _start(out)
    reaper.add(parent.pid)
    workers = _wait_for_workers(parent)
    spawned = _children(parent.pid)  # the workers and multiprocessing's resource tracker
    reaper.update(spawned)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in spawned):
        time.sleep(0.1)
    left = sorted(pid for pid in spawned if _alive(pid))
    assert not left, f"still alive 10 s after the parent was killed: {left} (workers {workers})"
    # The same --out takes the next run.
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text(TINY, encoding="utf-8")
    rerun = subprocess.run([sys.executable, "-m", "sim", "run", str(tiny), "--reps", "2",
                            "--workers", "2", "--quiet", "--out", str(out)],
                           capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert (out / "manifest.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "tiny.yaml"]


@pytest.mark.parametrize(("signum", "code", "word"), [(signal.SIGTERM, 143, "terminated"),
                                                      (signal.SIGINT, 130, "interrupted")])
def test_sigterm_and_sigint_stop_cleanly(signum: int, code: int, word: str, tmp_path: Path,
                                         reaper: set[int]) -> None:
    out = tmp_path / "out"
    parent = _start(out)
    reaper.add(parent.pid)
    _wait_for_workers(parent)
    spawned = _children(parent.pid)
    reaper.update(spawned)
    os.kill(parent.pid, signum)
    _, err = parent.communicate(timeout=30)
    assert parent.returncode == code, err
    assert word in err and "Traceback" not in err and err.count("\n") == 1, err
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in spawned):
        time.sleep(0.1)
    assert not [pid for pid in spawned if _alive(pid)]
    assert list(tmp_path.iterdir()) == []  # no results folder, no partial folder
