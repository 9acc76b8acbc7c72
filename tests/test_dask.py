"""Dask executors give the same numbers as serial runs: a LocalCluster and a real scheduler."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from sim.experiments.executors import DaskExecutor, SerialExecutor
from sim.experiments.replicate import replicate
from sim.scenario.loader import load_scenario_text

distributed = pytest.importorskip("distributed")

SCENARIO = """
name: dask-check
horizon_days: 2
demand: {contacts_per_day: 300, mix: {inquiry: 0.7, repair: 0.3}}
call_center:
  agents: 2
  handle_minutes: {inquiry: {dist: exponential, mean: 6}, repair: 8}
  patience_minutes: {dist: exponential, mean: 3}
field_service:
  technicians: 3
  repair_minutes: {dist: gamma, mean: 60, cv: 0.5}
"""


@pytest.fixture(scope="module")
def serial() -> pd.DataFrame:
    scenario = load_scenario_text(SCENARIO)
    return replicate(scenario, 4, seed=11, executor=SerialExecutor()).replications


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_local_cluster_matches_serial(serial: pd.DataFrame) -> None:
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, host="127.0.0.1")
    with cluster, distributed.Client(cluster) as client:
        executor = DaskExecutor(client=client)
        result = replicate(load_scenario_text(SCENARIO), 4, seed=11, executor=executor)
    pd.testing.assert_frame_equal(result.replications, serial, check_exact=True)


@pytest.fixture()
def scheduler_address() -> Iterator[str]:
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    bin_dir = sys.executable.rsplit("/", 1)[0]
    scheduler = subprocess.Popen(
        [f"{bin_dir}/dask", "scheduler", "--host", "127.0.0.1", "--port", str(port),
         "--dashboard-address", ":0", "--no-show"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = subprocess.Popen(
        [f"{bin_dir}/dask", "worker", address, "--nworkers", "1", "--nthreads", "1",
         "--host", "127.0.0.1", "--no-dashboard"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
        yield address
    finally:
        for proc in (worker, scheduler):
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_scheduler_address_matches_serial(serial: pd.DataFrame, scheduler_address: str,
                                          tmp_path: Path) -> None:
    executor = DaskExecutor(scheduler_address)
    try:
        result = replicate(load_scenario_text(SCENARIO), 4, seed=11, executor=executor)
    finally:
        executor.close()
    pd.testing.assert_frame_equal(result.replications, serial, check_exact=True)

    scenario_file = tmp_path / "s.yaml"
    scenario_file.write_text(SCENARIO, encoding="utf-8")
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(scenario_file), "--reps", "4", "--seed", "11",
         "--dask", scheduler_address, "--out", str(out), "--quiet"],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    from_cli = pd.read_csv(out / "replications.csv")
    expected = pd.read_csv(io.StringIO(serial.to_csv(index=False)))
    pd.testing.assert_frame_equal(from_cli, expected, check_exact=True)
