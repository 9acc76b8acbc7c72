"""Bad logs: every data problem is reported as ``FILE:ROW: column: message`` (row = line of the
file), the command exits with code 2, prints no traceback and writes nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from sim.calibrate.logs import event_tables
from sim.calibrate.schema import KINDS
from sim.cli import main
from sim.experiments.replicate import replicate
from sim.scenario.loader import load_scenario, load_scenario_text

SMALL = """\
name: small
warmup_days: 1
horizon_days: 2
start_date: 2026-03-02
demand: {contacts_per_day: 300, mix: {inquiry: 0.6, repair: 0.4}}
call_center:
  agents: 3
  handle_minutes: {inquiry: {dist: lognormal, mean: 5, cv: 0.6}, repair: 7}
  patience_minutes: {dist: exponential, mean: 3}
field_service:
  technicians: 6
  repair_minutes: {dist: exponential, mean: 40}
  travel_minutes: {dist: gamma, mean: 20, cv: 0.5}
parts:
  need_probability: 0.5
  skus:
    - {sku: pump, share: 1.0, unit_cost: 50, initial_on_hand: 5,
       policy: {type: base_stock, level: 5}, lead_time_days: 1}
"""
Lines = list[str]


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of valid logs (and the scenario that made them)."""
    folder = tmp_path_factory.mktemp("good")
    result = replicate(load_scenario_text(SMALL), replications=1, workers=1, logs=event_tables)
    assert result.events is not None
    for kind, table in result.events.items():
        table.drop(columns="rep").to_csv(folder / f"{kind}.csv", index=False)
    (folder / "small.yaml").write_text(SMALL, encoding="utf-8")
    return folder


def with_edit(good: Path, tmp_path: Path, kind: str, edit: Callable[[Lines], Lines]) -> Path:
    """A copy of the good logs with ``edit`` applied to the lines of ``kind``.csv."""
    folder = tmp_path / "logs"
    shutil.copytree(good, folder)
    path = folder / f"{kind}.csv"
    path.write_text("\n".join(edit(path.read_text(encoding="utf-8").splitlines())) + "\n",
                    encoding="utf-8")
    return folder


def set_cell(row: int, column: str, value: str) -> Callable[[Lines], Lines]:
    """Edit: put ``value`` in ``column`` on file line ``row`` (the header is line 1)."""
    def edit(lines: Lines) -> Lines:
        header = lines[0].split(",")
        cells = lines[row - 1].split(",")
        cells[header.index(column)] = value
        lines[row - 1] = ",".join(cells)
        return lines
    return edit


def cell(folder: Path, kind: str, row: int, column: str) -> str:
    lines = (folder / f"{kind}.csv").read_text(encoding="utf-8").splitlines()
    return lines[row - 1].split(",")[lines[0].split(",").index(column)]


def fit(folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        *extra: str) -> tuple[int, str]:
    """Run ``fit`` on a folder of logs; return the exit code and stderr."""
    code = main(["fit", "--events", str(folder), "--base", str(folder / "small.yaml"),
                 "--out", str(tmp_path / "out" / "fitted.yaml"), *extra])
    return code, capsys.readouterr().err


def assert_refused(code: int, err: str, tmp_path: Path, *expected: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    for text in expected:
        assert text in err, f"{text!r} not in:\n{err}"
    assert not (tmp_path / "out").exists(), "nothing may be written"


def test_good_logs_write_the_scenario_and_the_report(
        good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = fit(good, tmp_path, capsys)
    assert code == 0, err
    out = tmp_path / "out"
    load_scenario(out / "fitted.yaml")
    report = (out / "fitted.fit" / "report.md").read_text(encoding="utf-8")
    assert "## Durations" in report and "patience_minutes" in report
    assert (out / "fitted.fit" / "charts" / "qq_call_center_patience_minutes.png").is_file()
    assert (out / "fitted.fit" / "manifest.json").is_file()


def test_missing_column(good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def drop_outcome(lines: Lines) -> Lines:
        at = lines[0].split(",").index("outcome")
        return [",".join(c for i, c in enumerate(line.split(",")) if i != at) for line in lines]

    folder = with_edit(good, tmp_path, "calls", drop_outcome)
    code, err = fit(folder, tmp_path, capsys)
    assert_refused(code, err, tmp_path, f"{folder / 'calls.csv'}:1: outcome: missing column")


def test_unparseable_time(good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = with_edit(good, tmp_path, "calls", set_cell(3, "arrived_at", "yesterday"))
    code, err = fit(folder, tmp_path, capsys)
    assert_refused(code, err, tmp_path, f"{folder / 'calls.csv'}:3: arrived_at: cannot read "
                                        "the time 'yesterday' (expected ISO 8601")


def test_end_before_start(good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    started = cell(good, "visits", 2, "started_at")
    folder = with_edit(good, tmp_path, "visits", set_cell(2, "ended_at", "2026-03-01T00:00:00"))
    code, err = fit(folder, tmp_path, capsys)
    assert_refused(code, err, tmp_path,
                   f"{folder / 'visits.csv'}:2: ended_at: 2026-03-01T00:00:00 is before "
                   f"started_at {started}")


def test_answer_before_arrival(good: Path, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    folder = with_edit(good, tmp_path, "calls", set_cell(2, "answered_at", "2026-03-02T00:00:00"))
    code, err = fit(folder, tmp_path, capsys)
    assert_refused(code, err, tmp_path, f"{folder / 'calls.csv'}:2: answered_at: "
                                        "2026-03-02T00:00:00 is before arrived_at")


def test_duplicate_ids(good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = cell(good, "calls", 2, "call_id")
    folder = with_edit(good, tmp_path, "calls", set_cell(5, "call_id", first))
    code, err = fit(folder, tmp_path, capsys)
    assert_refused(code, err, tmp_path, f"{folder / 'calls.csv'}:5: call_id: duplicate call_id "
                                        f"{first} (first on row 2)")


def test_bad_number_and_unknown_word(good: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    folder = with_edit(good, tmp_path, "visits", set_cell(3, "travel_minutes", "-5"))
    path = folder / "work_orders.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",onsite,", ",on site,", 1),
                    encoding="utf-8")
    code, err = fit(folder, tmp_path, capsys)
    assert_refused(code, err, tmp_path,
                   f"{folder / 'visits.csv'}:3: travel_minutes: expected a number from 0 to "
                   "1,000,000 (got '-5')",
                   f"{folder / 'work_orders.csv'}:2: channel: unknown value 'on site' "
                   "(allowed: onsite, depot)")


def test_every_file_is_checked_before_any_answer(
        good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = with_edit(good, tmp_path, "calls", set_cell(2, "arrived_at", "2026-02-30T08:00"))
    parts = folder / "parts.csv"
    parts.write_text(parts.read_text(encoding="utf-8").replace("quantity", "qty"),
                     encoding="utf-8")
    code, err = fit(folder, tmp_path, capsys)
    assert_refused(code, err, tmp_path, f"{folder / 'calls.csv'}:2: arrived_at: cannot read",
                   f"{folder / 'parts.csv'}:1: quantity: missing column")
    assert err.count("\n") >= 2


def test_empty_missing_and_ragged_files(good: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    folder = with_edit(good, tmp_path, "calls", lambda lines: [])
    (folder / "visits.csv").write_text("work_order_id,started_at\n1,2026-03-02,extra,cells\n",
                                       encoding="utf-8")
    missing = tmp_path / "nowhere.csv"
    code, err = fit(folder, tmp_path, capsys, "--parts", str(missing))
    assert_refused(code, err, tmp_path, f"{folder / 'calls.csv'}: the file is empty",
                   f"{missing}: no such file", f"{folder / 'visits.csv'}:2: not a readable CSV")


def test_a_bad_base_is_reported_like_any_scenario(
        good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = tmp_path / "base.yaml"
    base.write_text(SMALL.replace("agents: 3", "agents: three"), encoding="utf-8")
    code = main(["fit", "--events", str(good), "--base", str(base), "--out",
                 str(tmp_path / "out" / "fitted.yaml")])
    assert_refused(code, capsys.readouterr().err, tmp_path, f"{base}:7: call_center.agents")


def test_repairs_need_work_orders_or_a_base(good: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["fit", "--calls", str(good / "calls.csv"), "--out",
                 str(tmp_path / "out" / "fitted.yaml")])
    assert_refused(code, capsys.readouterr().err, tmp_path,
                   "--work-orders: field_service: the calls log has repair calls")


def test_an_unrelated_report_folder_is_not_replaced(
        good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "mine"
    report.mkdir()
    (report / "notes.txt").write_text("keep me", encoding="utf-8")
    code, err = fit(good, tmp_path, capsys, "--report", str(report))
    assert_refused(code, err, tmp_path, "--report: ", "is not a finished results folder")
    assert (report / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_no_traceback_from_the_real_command(good: Path, tmp_path: Path) -> None:
    folder = with_edit(good, tmp_path, "calls", set_cell(2, "outcome", "lost"))
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "fit", "--events", str(folder), "--out",
         str(tmp_path / "out" / "fitted.yaml")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
    assert f"{folder / 'calls.csv'}:2: outcome: unknown value 'lost'" in proc.stderr
    assert not (tmp_path / "out").exists()
    assert sorted(p.stem for p in folder.glob("*.csv")) == sorted(KINDS[:4])
