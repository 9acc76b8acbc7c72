"""A Dask address that is wrong, a scheduler that is not there, or one that dies mid-run: one
line, exit 2 (before anything runs) or 1 (mid-run), nothing written (issue 14, item 6)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim.cli import main

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[1]
TINY = """\
name: tiny
horizon_days: 1
demand: {contacts_per_day: 40, mix: {inquiry: 1.0}}
call_center:
  agents: 2
  handle_minutes: {inquiry: 5}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    return path


@pytest.mark.parametrize("address", ["not-a-url", "tcp://", "http://127.0.0.1:8786",
                                     "tcp://127.0.0.1:99999", "tcp://127.0.0.1:port"])
def test_a_malformed_address_is_bad_input(address: str, tiny: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    assert main(["run", str(tiny), "--dask", address, "--quiet", "--out",
                 str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --dask: ") and err.count("\n") == 1, err
    assert "tcp://HOST:PORT" in err and "Traceback" not in err
    assert time.monotonic() - started < 5  # refused without trying to connect
    assert not (tmp_path / "out").exists()


def test_an_unreachable_scheduler_is_a_quick_clean_error(tiny: Path, tmp_path: Path) -> None:
    address = f"tcp://127.0.0.1:{_free_port()}"  # nothing listens there
    done = subprocess.run([sys.executable, "-m", "sim", "run", str(tiny), "--dask", address,
                           "--quiet", "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"error: --dask: cannot reach the Dask scheduler at {address}")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.yaml"]


@pytest.fixture()
def cluster() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    bin_dir = Path(sys.executable).parent
    scheduler = subprocess.Popen(
        [str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
         "--dashboard-address", ":0", "--no-show"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = subprocess.Popen(
        [str(bin_dir / "dask"), "worker", address, "--nworkers", "1", "--nthreads", "1",
         "--host", "127.0.0.1", "--no-dashboard"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with distributed.Client(address, timeout=5) as client:
                    if client.scheduler_info()["workers"]:
                        break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail("the Dask scheduler did not come up within 60 s")
        yield address, scheduler
    finally:
        for proc in (worker, scheduler):
            proc.kill()
            proc.wait(timeout=20)
        if _group_alive(worker.pid):  # the worker's own nanny processes
            os.killpg(worker.pid, signal.SIGKILL)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def test_a_scheduler_killed_mid_run_is_a_clean_failure(
        cluster: tuple[str, subprocess.Popen[bytes]], tmp_path: Path) -> None:
    address, scheduler = cluster
    out = tmp_path / "out"
    run = subprocess.Popen(
        [sys.executable, "-m", "sim", "run", str(ROOT / "scenarios" / "baseline.yaml"),
         "--reps", "6", "--dask", address, "--quiet", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with distributed.Client(address, timeout=5) as client:
            deadline = time.monotonic() + 60
            while not client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)):
                assert time.monotonic() < deadline, "the run never reached the scheduler"
                time.sleep(0.2)
        scheduler.kill()
        _, err = run.communicate(timeout=120)
    finally:
        run.kill()
    assert run.returncode == 1, err
    assert err.startswith(f"error: lost the Dask scheduler at {address}"), err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []
