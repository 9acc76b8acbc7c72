"""Event logs out: documented columns = written columns, ISO timestamps, the model's KPIs
measured again on the logs, and ``aftersales-sim run --events`` writing them where ``fit``
reads them."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibrate.logs import day_zero, event_tables
from sim.calibrate.measures import log_kpis
from sim.calibrate.read import read_logs
from sim.calibrate.schema import KINDS, REP, SCHEMA
from sim.cli import main
from sim.engine.model import Replication, simulate
from sim.measure.outcome import measure
from sim.measure.parts import PartRequests
from sim.measure.parts import fill_rate as fill_rate_of
from sim.measure.registry import value
from sim.measure.window import Grid
from sim.scenario.format import Scenario, first_monday_of_next_year
from sim.scenario.loader import load_scenario_text

ROOT = Path(__file__).resolve().parents[1]
EVERYTHING = """\
name: everything
warmup_days: 2
horizon_days: 5
start_date: 2026-03-02
demand: {contacts_per_day: 300, mix: {inquiry: 0.5, repair: 0.4, complaint: 0.1}}
call_center:
  hours: {open: "08:00", close: "18:00"}
  agents: 4
  handle_minutes: {inquiry: {dist: lognormal, mean: 5, cv: 0.6}, repair: 7, complaint: 9}
  patience_minutes: {dist: exponential, mean: 3}
  lines: 8
  escalation: {probability: {inquiry: 0.2}, specialists: 1, handle_minutes: 10}
complaints: {deadline_hours: 24, handlers: 1, resolution_hours: 1}
field_service:
  onsite_share: 0.7
  technicians: 6
  repair_minutes: {dist: exponential, mean: 40}
  travel_minutes: 20
  fix_probability: 0.8
  quality_pass_probability: 0.8
  spot_check_share: 0.5
  rework_delay_hours: 12
  booking: {min_lead_hours: 2}
  depot: {technicians: 2, transit_hours: 6, repair_minutes: 50}
parts:
  need_probability: 0.5
  skus:
    - {sku: pump, share: 0.7, unit_cost: 50, initial_on_hand: 50,
       policy: {type: base_stock, level: 50}, lead_time_days: 1, reject_rate: 0.2}
    - {sku: seal, share: 0.3, unit_cost: 5, initial_on_hand: 40,
       policy: {type: sS, s: 15, S: 40}, lead_time_days: 2}
followup: {within_hours: 24, reach_probability: 0.6, retry_hours: 2,
           complaint_probability_if_unhappy: 0.5}
"""
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$")


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario_text(EVERYTHING)


@pytest.fixture(scope="module")
def run(scenario: Scenario) -> tuple[Replication, dict[str, pd.DataFrame]]:
    replication = simulate(scenario, 11)
    return replication, event_tables(scenario, replication)


def documented_columns() -> dict[str, list[tuple[str, str]]]:
    """Per ``kind.csv`` section of docs/event-logs.md: (column, fit need) of its table rows."""
    text = (ROOT / "docs" / "event-logs.md").read_text(encoding="utf-8")
    found: dict[str, list[tuple[str, str]]] = {}
    kind = None
    for line in text.splitlines():
        heading = re.match(r"^## `(\w+)\.csv`", line)
        if heading:
            kind = heading.group(1)
            found[kind] = []
        elif line.startswith("## "):
            kind = None
        elif kind is not None and line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            found[kind].append((cells[0].strip("`"), cells[2]))
    return found


def test_docs_list_every_column_of_every_table_and_what_fit_needs() -> None:
    documented = documented_columns()
    assert sorted(documented) == sorted(KINDS)
    for kind, columns in SCHEMA.items():
        expected = [(c.name, "required" if c.required else "optional") for c in (REP, *columns)]
        assert documented[kind] == expected, kind


def test_written_columns_are_the_schema(run: tuple[object, dict[str, pd.DataFrame]]) -> None:
    _, tables = run
    assert sorted(tables) == sorted(KINDS)  # every process is on in this scenario
    for kind, table in tables.items():
        assert list(table.columns) == [c.name for c in SCHEMA[kind]], kind
        assert len(table) > 0, kind


def test_timestamps_are_iso_8601_from_the_start_date(
        scenario: Scenario, run: tuple[object, dict[str, pd.DataFrame]]) -> None:
    _, tables = run
    first_measured = dt.datetime(2026, 3, 2) + dt.timedelta(days=scenario.warmup_days)
    for kind, table in tables.items():
        for col in SCHEMA[kind]:
            if col.kind != "time":
                continue
            values = table[col.name].dropna()
            if values.empty:  # a step this scenario never takes (no slots booked, say)
                continue
            assert values.map(lambda v: bool(TIME.match(v))).all(), (kind, col.name)
            parsed = values.map(dt.datetime.fromisoformat)
            assert parsed.min() >= dt.datetime(2026, 3, 2), (kind, col.name)
    arrivals = tables["calls"]["arrived_at"].map(dt.datetime.fromisoformat)
    assert arrivals.min() >= first_measured
    assert arrivals.max() < first_measured + dt.timedelta(days=scenario.horizon_days)


def test_outcomes_are_words_not_state_codes(run: tuple[object, dict[str, pd.DataFrame]]) -> None:
    _, tables = run
    for kind, columns in SCHEMA.items():
        for col in columns:
            if col.kind == "choice":
                values = set(tables[kind][col.name].dropna())
                assert values <= set(col.choices), (kind, col.name, values)
    calls = tables["calls"]
    assert {"answered", "abandoned", "blocked"} <= set(calls["outcome"])
    escalated = calls[calls["escalated"]]
    assert set(escalated["specialist_outcome"].dropna()) <= {"answered", "abandoned", "waiting"}
    assert calls.loc[~calls["escalated"], "specialist_outcome"].isna().all()


def test_start_date_absent_means_the_first_monday_of_next_year() -> None:
    assert first_monday_of_next_year(dt.date(2026, 3, 5)) == dt.date(2027, 1, 4)
    assert first_monday_of_next_year(dt.date(2027, 12, 31)) == dt.date(2028, 1, 3)
    assert first_monday_of_next_year(dt.date(2028, 6, 1)) == dt.date(2029, 1, 1)  # a Monday
    undated = load_scenario_text("name: m\nhorizon_days: 1\ndemand: {contacts_per_day: 50, "
                                 "mix: {inquiry: 1.0}}\ncall_center: {agents: 2, "
                                 "handle_minutes: {inquiry: 5}}\n")
    assert undated.start_date == first_monday_of_next_year()
    assert day_zero(undated) == dt.datetime.combine(undated.start_date, dt.time())


def test_only_the_processes_that_are_on() -> None:
    calls_only = load_scenario_text("name: m\nhorizon_days: 1\ndemand: {contacts_per_day: 50, "
                                    "mix: {inquiry: 1.0}}\ncall_center: {agents: 2, "
                                    "handle_minutes: {inquiry: 5}}\n")
    assert list(event_tables(calls_only, simulate(calls_only, 1))) == ["calls"]


def test_kpis_measured_on_the_logs_are_the_models_own(
        scenario: Scenario, run: tuple[object, dict[str, pd.DataFrame]],
        tmp_path: Path) -> None:
    replication, tables = run
    for kind, table in tables.items():
        table.to_csv(tmp_path / f"{kind}.csv", index=False)
    logs = read_logs({kind: tmp_path / f"{kind}.csv" for kind in tables})
    measured = log_kpis(logs, scenario.call_center.answer_target_seconds, per="rep").iloc[0]
    model = measure(scenario, replication).kpis  # type: ignore[arg-type]
    assert measured["service_level"] == pytest.approx(model["service_level"], abs=1e-3)
    assert measured["abandon_rate"] == pytest.approx(model["abandon_rate"], abs=1e-12)
    assert measured["repair_on_time_rate"] == pytest.approx(model["repair_on_time_rate"],
                                                            abs=1e-12)
    assert logs.days == scenario.horizon_days


def test_the_fill_rate_on_the_logs_is_the_models_on_the_same_requests(
        scenario: Scenario, run: tuple[Replication, dict[str, pd.DataFrame]],
        tmp_path: Path) -> None:
    """The logs hold the jobs created in the measured window, followed into the run-out; the
    model counts every request made in the window, early jobs' included and late requests of
    the window's jobs left out. On the logged jobs' requests the model's own fill-rate function
    gives the logs' value exactly; over the window's requests it can differ from it by at most
    the early share of those plus the late share of the logged ones. The stock is such that the
    fill rate is neither 0 nor 1, so either comparison can fail."""
    replication, tables = run
    for kind, table in tables.items():
        table.to_csv(tmp_path / f"{kind}.csv", index=False)
    logs = read_logs({kind: tmp_path / f"{kind}.csv" for kind in tables})
    measured = float(log_kpis(logs, scenario.call_center.answer_target_seconds,
                              per="rep").iloc[0]["fill_rate"])
    start, end = replication.start_minutes, replication.end_minutes
    jobs, requests = replication.work_orders, replication.part_requests
    created = jobs["created"]
    window_jobs = jobs.loc[(created >= start) & (created < end), "id"]
    logged = requests[requests["job_id"].isin(window_jobs)]

    def fill_rate(of: pd.DataFrame) -> float:
        return value(fill_rate_of, PartRequests.measured(of, Grid.whole(start, np.inf)))

    assert 0.0 < measured < 1.0
    assert measured == pytest.approx(fill_rate(logged), abs=1e-12)
    in_window = (requests["time"] >= start) & (requests["time"] < end)
    counted = int(in_window.sum())
    early = int((in_window & ~requests["job_id"].isin(window_jobs)).sum())
    late = int((~in_window & requests["job_id"].isin(window_jobs)).sum())
    assert 0 < early < counted  # both definitions are exercised
    model = float(measure(scenario, replication).kpis["fill_rate"])
    assert model == fill_rate(requests[in_window])
    assert abs(model - measured) <= early / counted + late / len(logged) + 1e-12


def test_run_events_writes_the_logs_fit_reads(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(EVERYTHING, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(path), "--reps", "2", "--workers", "1", "--events", "--out",
                 str(out), "--quiet"]) == 0
    written = sorted(p.stem for p in (out / "events").glob("*.csv"))
    assert written == sorted(KINDS)
    calls = pd.read_csv(out / "events" / "calls.csv")
    assert list(calls.columns) == ["rep", *[c.name for c in SCHEMA["calls"]]]
    assert sorted(calls["rep"].unique()) == [0, 1]
    logs = read_logs({kind: out / "events" / f"{kind}.csv" for kind in KINDS})
    assert logs.reps == 2
    assert np.isfinite(logs.tables["work_orders"]["created_at"]).all()


def test_parquet_logs_read_like_csv(run: tuple[object, dict[str, pd.DataFrame]],
                                    tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    _, tables = run
    for kind, table in tables.items():
        table.to_csv(tmp_path / f"{kind}.csv", index=False)
        table.to_parquet(tmp_path / f"{kind}.parquet", index=False)
    from_csv = read_logs({kind: tmp_path / f"{kind}.csv" for kind in tables})
    from_parquet = read_logs({kind: tmp_path / f"{kind}.parquet" for kind in tables})
    for kind in tables:
        pd.testing.assert_frame_equal(from_parquet.tables[kind], from_csv.tables[kind],
                                      check_dtype=False)
