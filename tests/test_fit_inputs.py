"""`fit` never overwrites what it reads, and hostile logs get located messages (issue 14, 3, 10-12).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sim.cli import main

TINY = """\
name: tiny
horizon_days: 2
demand: {contacts_per_day: 60, mix: {inquiry: 1.0}}
call_center:
  agents: 2
  handle_minutes: {inquiry: {dist: exponential, mean: 5}}
  patience_minutes: {dist: exponential, mean: 4}
"""


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fit")
    scenario = root / "tiny.yaml"
    scenario.write_text(TINY, encoding="utf-8")
    out = root / "run"
    assert main(["run", str(scenario), "--reps", "1", "--workers", "1", "--quiet", "--events",
                 "--out", str(out)]) == 0
    return out


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# --- 3. outputs that are, contain or lie inside an input --------------------------------------

CLASHES = {
    "report is the run folder": ("--report", "{run}", "contains"),
    "report is the events folder": ("--report", "{run}/events", "is"),
    "report inside the events folder": ("--report", "{run}/events/rep", "lies inside"),
    "out is a log": ("--out", "{run}/events/calls.csv", "is"),
    "out is the base": ("--out", "{run}/scenario.yaml", "is"),
    "out inside the events folder": ("--out", "{run}/events/fitted.yaml", "lies inside"),
    "out is a hard link to a log": ("--out", "{tmp}/hard.yaml", "is"),
    "out is a symlink to the base": ("--out", "{tmp}/soft.yaml", "is"),
}


@pytest.mark.parametrize("case", sorted(CLASHES))
def test_fit_refuses_outputs_that_overlap_its_inputs(
        case: str, run_folder: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    os.link(run_folder / "events" / "calls.csv", tmp_path / "hard.yaml")
    (tmp_path / "soft.yaml").symlink_to(run_folder / "scenario.yaml")
    option, template, relation = CLASHES[case]
    target = template.format(run=run_folder, tmp=tmp_path)
    argv = ["fit", "--events", str(run_folder / "events"), "--base",
            str(run_folder / "scenario.yaml"), "--quiet"]
    argv += ["--out", str(tmp_path / "fitted.yaml")] if option == "--report" else []
    argv += [option, target]
    before = _tree(run_folder)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"error: {option}:" in err and relation in err and "Traceback" not in err
    assert err.count("\n") == 1
    assert _tree(run_folder) == before
    assert not (tmp_path / "fitted.yaml").exists() and not (tmp_path / "fitted.fit").exists()


def test_fit_refuses_to_overwrite_a_file_it_did_not_write(
        run_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text("name: my-hand-written-scenario\n")
    argv = ["fit", "--events", str(run_folder / "events"), "--quiet", "--out", str(mine)]
    assert main(argv) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert mine.read_text() == "name: my-hand-written-scenario\n"
    # A file fit wrote is its own: the next fit replaces it without asking.
    fitted = tmp_path / "fitted.yaml"
    assert main(["fit", "--events", str(run_folder / "events"), "--quiet", "--out",
                 str(fitted)]) == 0
    assert main(["fit", "--events", str(run_folder / "events"), "--quiet", "--out",
                 str(fitted)]) == 0
    assert main([*argv, "--overwrite"]) == 0
    assert mine.read_text().startswith("# Scenario fitted by `aftersales-sim fit`")


# --- 10-12. hostile logs ----------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The baseline's own records over 28 days (one replication): every kind of log."""
    root = tmp_path_factory.mktemp("month")
    out = root / "run"
    assert main(["run", str(ROOT / "scenarios" / "baseline.yaml"), "--reps", "1", "--workers",
                 "1", "--quiet", "--events", "--set", "horizon_days=28", "--out",
                 str(out)]) == 0
    for parquet in (out / "events").glob("*.parquet"):
        parquet.unlink()
    return out / "events"


def _copy(month: Path, tmp_path: Path) -> Path:
    import shutil
    folder = tmp_path / "logs"
    shutil.copytree(month, folder)
    return folder


def _edit(path: Path, row: int, column: str, value: str) -> None:
    """Put ``value`` in ``column`` on file line ``row`` (the header is line 1)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[row - 1].split(",")
    cells[header.index(column)] = value
    lines[row - 1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _fit(folder: Path, tmp_path: Path, *extra: str) -> list[str]:
    return ["fit", "--events", str(folder), "--base", str(ROOT / "scenarios" / "baseline.yaml"),
            "--out", str(tmp_path / "out" / "fitted.yaml"), *extra]


def test_twenty_thousand_extra_columns_are_refused_with_bounded_memory(
        month: Path, tmp_path: Path) -> None:
    import resource
    import subprocess
    import sys
    folder = _copy(month, tmp_path)
    calls = folder / "calls.csv"
    lines = calls.read_text(encoding="utf-8").splitlines()
    extra = 20_000
    head = lines[0] + "".join(f",x{i}" for i in range(extra))
    body = [line + "," * extra for line in lines[1:]]
    calls.write_text("\n".join([head, *body]) + "\n", encoding="utf-8")

    def limit_memory() -> None:  # 3 GiB of address space: the old reader wanted 7.6 GB
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    done = subprocess.run([sys.executable, "-m", "sim", *_fit(folder, tmp_path)],
                          capture_output=True, text=True, timeout=300, preexec_fn=limit_memory,
                          env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"{calls}:1:" in done.stderr and "Traceback" not in done.stderr
    assert "at most" in done.stderr
    assert not (tmp_path / "out").exists()


def test_only_the_columns_the_fit_needs_are_read(month: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import pandas as pd

    from sim.calibrate import read
    from sim.calibrate.schema import REP, SCHEMA

    calls = tmp_path / "calls.csv"
    lines = (month / "calls.csv").read_text(encoding="utf-8").splitlines()
    extras, notes = 60, "free text that the fit does not need"
    calls.write_text("\n".join([lines[0] + "".join(f",note{i}" for i in range(extras)),
                                *(line + f",{notes}" * extras for line in lines[1:])]) + "\n",
                     encoding="utf-8")
    parsed: list[object] = []
    real = pd.read_csv

    def spy(*args: object, **kwargs: object) -> pd.DataFrame:
        parsed.append(kwargs.get("usecols"))
        return real(*args, **kwargs)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(read.pd, "read_csv", spy)
    logs = read.read_logs({"calls": calls})
    header = lines[0].split(",")
    known = {c.name for c in (REP, *SCHEMA["calls"])}
    assert parsed == [[i for i, name in enumerate(header) if name in known]]
    assert not [c for c in logs.tables["calls"].columns if c.startswith("note")]


@pytest.mark.parametrize(("kind", "column", "value", "words"), [
    ("calls", "arrived_at", "0001-01-01T00:00:00", "out of range"),
    ("calls", "arrived_at", "9999-12-31T00:00:00", "out of range"),
    ("visits", "travel_minutes", "1e200", "from 0 to 1,000,000"),
    ("visits", "travel_minutes", "1e308", "from 0 to 1,000,000"),
    ("calls", "attempt", "1e9", "from 0 to 1,000,000"),
    ("calls", "call_id", "1e300", "from 0 to"),
])
def test_out_of_range_values_are_located(kind: str, column: str, value: str, words: str,
                                         month: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    folder = _copy(month, tmp_path)
    _edit(folder / f"{kind}.csv", 5, column, value)
    assert main(_fit(folder, tmp_path)) == 2
    err = capsys.readouterr().err
    assert f"{folder / f'{kind}.csv'}:5: {column}: " in err and words in err, err[-3000:]
    assert "Traceback" not in err and "validation error" not in err
    assert not (tmp_path / "out").exists()


def test_huge_values_in_a_third_of_the_rows_are_not_fitted(
        month: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _copy(month, tmp_path)
    visits = folder / "visits.csv"
    lines = visits.read_text(encoding="utf-8").splitlines()
    at = lines[0].split(",").index("travel_minutes")
    for i in range(1, len(lines), 3):
        cells = lines[i].split(",")
        cells[at] = "1e308"
        lines[i] = ",".join(cells)
    visits.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(_fit(folder, tmp_path)) == 2
    err = capsys.readouterr().err
    assert f"{visits}:2: travel_minutes: " in err and "more row(s) like these" in err
    assert not (tmp_path / "out").exists()


def test_records_spanning_decades_are_located(month: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    folder = _copy(month, tmp_path)
    _edit(folder / "calls.csv", 7, "arrived_at", "1950-01-02T08:00:00")
    assert main(_fit(folder, tmp_path)) == 2
    err = capsys.readouterr().err
    assert f"{folder / 'calls.csv'}:7: arrived_at: " in err and "days" in err, err[-2000:]
    assert "Traceback" not in err and "validation error" not in err


def test_a_header_only_work_orders_log_keeps_the_base(
        month: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _copy(month, tmp_path)
    orders = folder / "work_orders.csv"
    orders.write_text(orders.read_text(encoding="utf-8").splitlines()[0] + "\n")
    code = main(_fit(folder, tmp_path))
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "validation error" not in err + out and "Traceback" not in err
    assert "work_orders" in out and "no rows" in out


def test_too_many_attempts_is_not_a_pydantic_dump(month: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    folder = _copy(month, tmp_path)
    _edit(folder / "calls.csv", 5, "attempt", "50")
    code = main(_fit(folder, tmp_path))
    out, err = capsys.readouterr()
    assert "validation error" not in err + out and "Traceback" not in err
    assert code == 0, err
    assert "max_attempts" in out and "20" in out  # capped at the format's largest, and said


def test_the_fitted_scenario_failing_validation_is_located(
        month: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import sim.calibrate.fit as fitting
    real = fitting.fit_followup

    def broken(b: object) -> None:
        real(b)  # type: ignore[arg-type]
        b.set(("followup", "reach_probability"), 1.5, "fitted: a broken estimator")  # type: ignore[attr-defined]

    monkeypatch.setattr(fitting, "fit_followup", broken)
    assert main(_fit(month, tmp_path)) == 2
    err = capsys.readouterr().err
    assert "followup.reach_probability: must be at most 1 (got 1.5)" in err
    assert "a broken estimator" in err and "validation error" not in err


def test_a_short_log_with_censored_lead_times_fits_what_it_can(
        month: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(_fit(month, tmp_path))
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Traceback" not in err
    fitted = (tmp_path / "out" / "fitted.yaml").read_text(encoding="utf-8")
    assert "too few" in fitted and "lead_time_days" in fitted
    assert "parts.skus.compressor.lead_time_days" in out and "too little data" in out
