"""The run on the calendar: any start date (day 0 takes its weekday), calendar months and
quarters (a leap-year February has 29 days), the appraisal by month and quarter (met share =
share of replications meeting the target) and the budget in three parts by calendar month
(fixed finance lines prorated by measured days)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.engine.arrivals import expected_calls_per_hour
from sim.experiments.appraisal import CONTRACT_COLUMNS, appraisal_table
from sim.experiments.budget import ALL_MONTHS, budget_table, measured_months
from sim.experiments.replicate import RunResult, replicate
from sim.experiments.windows import period_kpis
from sim.measure.costs import DEPARTMENTS, MARGIN, REVENUE, TOTAL
from sim.scenario.calendar import shift_windows
from sim.scenario.dates import calendar_months, calendar_quarters
from sim.scenario.format import first_monday_of_next_year
from sim.scenario.loader import load_scenario_text
from sim.scenario.money import RESERVED_BUDGET_LINES
from sim.scenario.problems import ScenarioError
from sim.units import MINUTES_PER_DAY

SMALL = """\
name: small
start_date: {start}
seed: 11
replications: 4
warmup_days: 2
horizon_days: {horizon}
demand:
  contacts_per_day: 120
  mix: {{inquiry: 0.6, repair: 0.4}}
  weekly_profile: [1.3, 1.1, 1.0, 1.0, 1.0, 0.4, 0.2]
call_center:
  hours: {{open: "08:00", close: "18:00"}}
  agents:
    - {{name: week, start: "08:00", end: "18:00", days: [mon, tue, wed, thu, fri], count: 3}}
    - {{name: weekend, start: "08:00", end: "18:00", days: [sat, sun], count: 1}}
  handle_minutes: {{inquiry: 4, repair: 6}}
  patience_minutes: {{dist: exponential, mean: 3}}
field_service:
  technicians:
    - {{name: day, start: "08:00", end: "17:00", days: [mon, tue, wed, thu, fri], count: 5}}
  repair_minutes: {{dist: lognormal, mean: 60, cv: 0.5}}
costs: {{agent_per_hour: 20, technician_per_hour: 30}}
revenue: {{repair_fee: {{onsite: 100}}}}
finance:
  monthly_expenses: {{rent: 3100, vehicles: 620}}
  monthly_revenue: {{service_contracts: 930}}
targets: {{service_level: 0.8, repair_on_time_rate: 0.9, abandon_rate: 0.05}}
"""


def small(start: str, horizon: int = 40) -> str:
    return SMALL.format(start=start, horizon=horizon)


def test_the_default_start_is_the_first_monday_of_next_year() -> None:
    assert first_monday_of_next_year(dt.date(2026, 3, 5)) == dt.date(2027, 1, 4)
    assert first_monday_of_next_year(dt.date(2027, 12, 31)) == dt.date(2028, 1, 3)
    assert first_monday_of_next_year(dt.date(2028, 6, 1)) == dt.date(2029, 1, 1)
    undated = load_scenario_text(small("x").replace("start_date: x\n", ""))
    assert undated.start_date == first_monday_of_next_year()


def test_day_zero_takes_the_weekday_of_the_start_date() -> None:
    monday = load_scenario_text(small("2027-01-04"))
    wednesday = load_scenario_text(small("2027-01-06"))
    assert (monday.first_weekday, wednesday.first_weekday) == (0, 2)
    hours = 24 * 21
    mon = expected_calls_per_hour(monday, "inquiry", hours + 48)
    wed = expected_calls_per_hour(wednesday, "inquiry", hours)
    np.testing.assert_array_equal(wed, mon[48:])  # a Wednesday start is the Monday one, 2 days on
    shifts = monday.call_center.agents
    horizon = 21 * MINUTES_PER_DAY
    shifted = [(s - 2 * MINUTES_PER_DAY, e - 2 * MINUTES_PER_DAY, c)
               for s, e, c in shift_windows(shifts, horizon + 2 * MINUTES_PER_DAY) if s >= 2880]
    assert shift_windows(shifts, horizon, 2) == [w for w in shifted if w[0] < horizon]
    # Day 0 on a Saturday: the weekend crew works days 0 and 1, the week crew from day 2.
    saturday = load_scenario_text(small("2027-01-09"))
    windows = shift_windows(saturday.call_center.agents, 3 * MINUTES_PER_DAY, 5)
    assert [(s / MINUTES_PER_DAY, c) for s, _, c in windows] == [
        (0 + 8 / 24, 1), (1 + 8 / 24, 1), (2 + 8 / 24, 3)]


def test_a_monday_start_keeps_the_numbers() -> None:
    text = small("2027-01-04", horizon=7)
    a = replicate(load_scenario_text(text), replications=1, workers=1)
    b = replicate(load_scenario_text(text.replace("2027-01-04", "2030-01-07")), replications=1,
                  workers=1)
    pd.testing.assert_frame_equal(a.replications, b.replications)


def test_months_follow_the_calendar_and_a_leap_february_has_29_days() -> None:
    months = calendar_months(dt.date(2028, 1, 25), 2.0, 2.0 + 40)
    assert [(m.label, m.days_in_period, m.measured_days) for m in months] == [
        ("2028-01", 31, 5.0), ("2028-02", 29, 29.0), ("2028-03", 31, 6.0)]
    february = months[1]
    assert (february.first_day, february.last_day) == (7, 35)  # 1 Feb is day 7 from 25 Jan
    assert dt.date(2028, 1, 25) + dt.timedelta(days=35) == dt.date(2028, 2, 29)
    assert [m.days_in_period for m in calendar_months(dt.date(2027, 1, 1), 0, 365)][1] == 28
    quarters = calendar_quarters(dt.date(2027, 12, 1), 0.5, 150)
    assert [(q.label, q.days_in_period) for q in quarters] == [
        ("2027-Q4", 92), ("2028-Q1", 91), ("2028-Q2", 91)]
    assert quarters[0].measured_days == 30.5  # half of day 0 is warm-up


@pytest.fixture(scope="module")
def leap_run() -> RunResult:
    return replicate(load_scenario_text(small("2028-01-25")), workers=1)


def test_the_appraisal_is_by_calendar_month_and_quarter(leap_run: RunResult) -> None:
    table = leap_run.appraisal
    assert tuple(table.columns[:len(CONTRACT_COLUMNS)]) == CONTRACT_COLUMNS
    assert list(dict.fromkeys(table["period"])) == ["2028-01", "2028-02", "2028-03", "2028-Q1"]
    assert list(dict.fromkeys(table["kpi"])) == list(leap_run.scenario.targets)
    feb = table[table["period"] == "2028-02"].set_index("kpi")
    assert set(feb["measured_days"]) == {29.0}
    # The met share is the share of replications whose February value meets the target.
    values = period_kpis(leap_run, [("feb", 7, 35)])
    for kpi, target in leap_run.scenario.targets.items():
        x = values[kpi].to_numpy(float)
        good = x >= target if kpi != "abandon_rate" else x <= target
        assert feb.loc[kpi, "met_share"] == pytest.approx(good.mean()), kpi
        assert feb.loc[kpi, "mean"] == pytest.approx(x.mean()), kpi
        assert 0.0 <= feb.loc[kpi, "ci_low"] <= feb.loc[kpi, "ci_high"] <= 1.0
    assert set(table["met_share"].dropna()) <= {0.0, 0.25, 0.5, 0.75, 1.0}


def test_a_met_share_by_hand() -> None:
    from sim.experiments.appraisal import meets

    values = np.array([0.79, 0.8, 0.85, np.nan])
    assert meets(values, 0.8, "at_least").tolist() == [False, True, True, False]
    assert meets(values, 0.8, "at_most").tolist() == [True, True, False, False]


def test_the_budget_has_three_parts_by_calendar_month(leap_run: RunResult) -> None:
    budget = leap_run.budget
    cell = budget.set_index(["month", "department"])
    assert list(dict.fromkeys(budget["month"])) == ["2028-01", "2028-02", "2028-03", ALL_MONTHS]
    assert set(budget["budget"]) == {"revenue", "cost", "expense", "result"}
    # Rent 3100 a month: 5 of January's 31 days are measured, February whole, 6 March days.
    assert cell.loc[("2028-01", "rent"), "mean"] == pytest.approx(500.0)
    assert cell.loc[("2028-02", "rent"), "mean"] == pytest.approx(3100.0)
    assert cell.loc[("2028-03", "rent"), "mean"] == pytest.approx(600.0)
    assert cell.loc[("2028-02", "rent"), "ci_low"] == cell.loc[("2028-02", "rent"), "ci_high"]
    assert cell.loc[(ALL_MONTHS, "total_expense"), "mean"] == pytest.approx(
        (3100 + 620) * (5 / 31 + 1 + 6 / 31))
    assert cell.loc[(ALL_MONTHS, "service_contracts"), "mean"] == pytest.approx(
        930 * (5 / 31 + 1 + 6 / 31))
    for month in ["2028-01", "2028-02", "2028-03", ALL_MONTHS]:
        assert cell.loc[(month, MARGIN), "mean"] == pytest.approx(
            cell.loc[(month, "total_revenue"), "mean"] - cell.loc[(month, TOTAL), "mean"]
            - cell.loc[(month, "total_expense"), "mean"])
    # The simulated lines add up to the horizon's KPIs.
    assert cell.loc[(ALL_MONTHS, TOTAL), "mean"] == pytest.approx(
        leap_run.replications["total_cost"].mean())
    assert cell.loc[(ALL_MONTHS, REVENUE), "mean"] == pytest.approx(
        leap_run.replications["revenue"].mean())
    assert [m.label for m in measured_months(leap_run.scenario)] == ["2028-01", "2028-02",
                                                                    "2028-03"]
    again = budget_table(leap_run.scenario, leap_run.ledger)
    pd.testing.assert_frame_equal(again, budget)


def test_a_twelve_month_run_gives_next_years_budget() -> None:
    text = small("2026-12-30", horizon=365).replace("contacts_per_day: 120",
                                                     "contacts_per_day: 30")
    scenario = load_scenario_text(text)
    months = measured_months(scenario)
    assert [m.label for m in months] == [f"2027-{i:02d}" for i in range(1, 13)]
    assert all(m.whole for m in months)


def test_finance_lines_are_checked() -> None:
    assert set(RESERVED_BUDGET_LINES) == {*DEPARTMENTS, REVENUE, TOTAL, MARGIN,
                                          "total_revenue", "total_expense"}
    for bad, words in (("{monthly_expenses: {total: 5}}", "already a line"),
                       ("{monthly_expenses: {Rent: 5}}", "lower-case"),
                       ("{monthly_expenses: {rent: -5}}", "at least 0"),
                       ("{monthly_expenses: {rent: 5}, monthly_revenue: {rent: 5}}",
                        "both an expense and a revenue")):
        text = small("2027-01-04").replace(
            "finance:\n  monthly_expenses: {rent: 3100, vehicles: 620}\n"
            "  monthly_revenue: {service_contracts: 930}\n", f"finance: {bad}\n")
        with pytest.raises(ScenarioError) as err:
            load_scenario_text(text, "f.yaml")
        assert "finance" in str(err.value) and words in str(err.value), str(err.value)


def test_the_results_folder_records_the_start_date(tmp_path: Path) -> None:
    source = tmp_path / "s.yaml"
    source.write_text(small("x", horizon=3).replace("start_date: x\n", ""), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(source), "--reps", "2", "--workers", "1", "--quiet",
                 "--out", str(out)]) == 0
    resolved = load_scenario_text((out / "scenario.yaml").read_text(encoding="utf-8"))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["start_date"] == resolved.start_date.isoformat()
    assert resolved.start_date == first_monday_of_next_year()
    assert (out / "appraisal.csv").is_file() and (out / "charts" / "appraisal_by_month.png"
                                                  ).is_file()
    table = appraisal_table(resolved, replicate(resolved, workers=1).ledger)
    written = pd.read_csv(out / "appraisal.csv")
    assert list(written.columns) == list(table.columns)
