"""Limits that keep bad options from running (issue 14, items 5, 7 and 9).

Seeds outside 0..2**64-1 on any command, workloads beyond the documented limit and inputs that
are not regular files are clean exit-2 errors, found before anything runs.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

import sim.experiments.replicate
from sim.cli import main

MAX_SEED = 2**64 - 1  # the documented range of seeds (sim.scenario.base.MAX_SEED)

TINY = """\
name: tiny
horizon_days: 1
demand: {contacts_per_day: 40, mix: {inquiry: 1.0}}
call_center:
  agents: 2
  handle_minutes: {inquiry: 5}
targets: {service_level: 0.5}
"""


@pytest.fixture()
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    return path


@pytest.fixture()
def no_simulation(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("simulated although an option was invalid")

    monkeypatch.setattr(sim.experiments.replicate, "simulate", refuse)


def _argv(command: str, scenario: Path, tmp: Path) -> list[str]:
    s = str(scenario)
    head = {
        "run": ["run", s],
        "stress": ["stress", s, "--shock", "demand_surge"],
        "warmup": ["warmup", s],
        "optimize": ["optimize", s, "--decide", "call_center.agents"],
        "sweep": ["sweep", s, "--vary", "call_center.agents=2,3"],
        "compare": ["compare", s, s],
    }[command]
    return [*head, "--workers", "1", "--quiet", "--out", str(tmp / "out")]


RUN_COMMANDS = ("run", "stress", "warmup", "optimize", "sweep", "compare")


# --- 5. seeds ---------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", ["-1", str(MAX_SEED + 1), "9" * 400])
@pytest.mark.parametrize("command", RUN_COMMANDS)
def test_a_seed_out_of_range_is_a_clean_error(
        command: str, seed: str, tiny: Path, tmp_path: Path, no_simulation: None,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*_argv(command, tiny, tmp_path), f"--seed={seed}"]) == 2
    err = capsys.readouterr().err
    assert "error: --seed: must be a whole number from 0 to 18446744073709551615" in err, err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_fit_seed_out_of_range(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fit", "--calls", str(tmp_path / "calls.csv"), "--out",
                 str(tmp_path / "f.yaml"), "--seed", "-1", "--backtest", "2"]) == 2
    assert "error: --seed:" in capsys.readouterr().err


def test_the_files_seed_has_the_same_range(tiny: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    big = tmp_path / "big.yaml"
    big.write_text(TINY + f"seed: {MAX_SEED + 1}\n")
    assert main(["validate", str(big)]) == 2
    assert f"{big}:8: seed: must be at most {MAX_SEED}" in capsys.readouterr().err
    big.write_text(TINY + f"seed: {MAX_SEED}\n")
    assert main(["validate", str(big)]) == 0


@pytest.mark.parametrize(("option", "value"), [("--reps", "100000000000"),
                                               ("--workers", "100000")])
def test_counts_beyond_reason_are_clean_errors(
        option: str, value: str, tiny: Path, tmp_path: Path, no_simulation: None,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*_argv("run", tiny, tmp_path), option, value]) == 2
    err = capsys.readouterr().err
    assert f"error: {option}: must be" in err and "Traceback" not in err


# --- 9. inputs that are not regular files -----------------------------------------------------


def _with_deadline(call: object, seconds: float = 20.0) -> int:
    """Run ``main`` in a thread; fail (not hang) if it blocks."""
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)  # type: ignore[operator]
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail("blocked on a special file")
    return result[0]


@pytest.mark.parametrize("command", ["validate", "run", "stress", "sweep", "optimize",
                                     "warmup", "compare"])
def test_a_fifo_is_refused_not_read(command: str, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "scenario.yaml"
    os.mkfifo(fifo)
    argv = {"validate": ["validate", str(fifo)],
            "run": ["run", str(fifo)],
            "stress": ["stress", str(fifo)],
            "sweep": ["sweep", str(fifo), "--vary", "call_center.agents=1,2"],
            "optimize": ["optimize", str(fifo), "--decide", "call_center.agents"],
            "warmup": ["warmup", str(fifo)],
            "compare": ["compare", str(fifo), str(fifo)]}[command]
    if command != "validate":
        argv += ["--out", str(tmp_path / "out"), "--workers", "1"]
    assert _with_deadline(lambda: main(argv)) == 2
    err = capsys.readouterr().err
    assert str(fifo) in err and "not a regular file" in err and "Traceback" not in err


def test_a_fifo_as_a_log_or_base_is_refused(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "calls.csv"
    os.mkfifo(fifo)
    base = tmp_path / "base.yaml"
    os.mkfifo(base)
    argv = ["fit", "--calls", str(fifo), "--base", str(base), "--out", str(tmp_path / "f.yaml")]
    assert _with_deadline(lambda: main(argv)) == 2
    err = capsys.readouterr().err
    assert f"{fifo}: not a regular file" in err and f"{base}: not a regular file" in err


def test_a_device_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert _with_deadline(lambda: main(["validate", "/dev/zero"])) == 2
    assert "/dev/zero: not a regular file" in capsys.readouterr().err


# --- 7. workload: bounded multipliers, a refused estimate, arrivals drawn week by week ---------

BIG = """\
name: big
horizon_days: 3660
demand: {contacts_per_day: 1000000, mix: {inquiry: 1.0}}
call_center:
  agents: 2
  handle_minutes: {inquiry: 5}
"""


@pytest.mark.parametrize(("key", "text"), [
    ("demand.events.0.multiplier",
     "  events: [{name: surge, start_day: 0, days: 1, multiplier: 1.0e+308}]\n"),
    ("disruptions.0.time_multiplier",
     "disruptions: [{type: skill_gap, start_day: 0, days: 1, share: 1, "
     "time_multiplier: 1.0e+300}]\n"),
])
def test_multipliers_are_bounded_in_the_schema(key: str, text: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    base = TINY.replace("demand: {contacts_per_day: 40, mix: {inquiry: 1.0}}",
                        "demand:\n  contacts_per_day: 40\n  mix: {inquiry: 1.0}")
    if key.startswith("demand"):
        base = base.replace("  mix: {inquiry: 1.0}\n", "  mix: {inquiry: 1.0}\n" + text)
    else:
        base += "field_service: {technicians: 1, repair_minutes: 30}\n" + text
    path = tmp_path / "s.yaml"
    path.write_text(base)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{key}: must be at most 100" in err and "Traceback" not in err


def test_a_huge_workload_is_refused_with_its_estimate(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    import tracemalloc

    from sim.scenario.loader import load_scenario_text
    from sim.scenario.problems import ScenarioError

    path = tmp_path / "big.yaml"
    path.write_text(BIG)
    tracemalloc.start()
    try:
        assert main(["run", str(path), "--workers", "1", "--out", str(tmp_path / "o")]) == 2
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    err = capsys.readouterr().err
    assert "demand.contacts_per_day" in err and "3,660,000,000 contacts" in err, err
    assert "limit is 2,000,000 contacts per replication" in err
    assert peak < 64 << 20  # the estimate costs nothing like the 21.8 GiB the draw asked for
    # The explorer validates uploads and edits with the same loader: the same message.
    from sim.explorer.source import read_upload
    with pytest.raises(ScenarioError, match="3,660,000,000 contacts") as upload:
        read_upload(BIG.encode(), "big.yaml")
    assert str(upload.value).startswith("big.yaml:3: demand.contacts_per_day: one replication")
    with pytest.raises(ScenarioError, match="3,660,000,000 contacts"):  # and the levers' --set
        load_scenario_text(BIG.replace("1000000", "10"), "edited",
                           ["demand.contacts_per_day=1000000"])


def test_a_stress_shock_beyond_the_limit_is_refused(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(TINY.replace("horizon_days: 1", "horizon_days: 1500").replace(
        "contacts_per_day: 40", "contacts_per_day: 1000"))
    assert main(["stress", str(path), "--shock", "demand_surge:multiplier=1e12", "--workers",
                 "1", "--out", str(tmp_path / "o")]) == 2
    assert "multiplier: must be at most 100" in capsys.readouterr().err
    assert main(["stress", str(path), "--shock", "demand_surge:multiplier=100,days=100",
                 "--workers", "1", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "contacts per replication" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()
