"""Stress tests: shocks become the right scenario edits, the judging rules give known answers on
hand-made daily frames, a surge breaks a tight call center under common random numbers, and the
command writes its folder (or nothing, with exit code 2, for a bad stress file)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.cli.stress import parse_shock_option
from sim.experiments.executors import SerialExecutor
from sim.experiments.stress.analysis import BASELINE, judge_daily, judge_run, rank_shocks
from sim.experiments.stress.plan import StressResult, load_stress, run_stress
from sim.experiments.stress.shocks import (
    SHOCK_TYPES,
    AnyShock,
    applicable_types,
    apply_shock,
    crews_of,
    shock_from_mapping,
)
from sim.output.experiments import write_stress
from sim.scenario.disruptions import Absence, PartNeed, SkillGap, SupplierDelay, SystemOutage
from sim.scenario.format import Scenario
from sim.scenario.loader import load_scenario_text
from sim.scenario.problems import ScenarioError

REPO = Path(__file__).resolve().parents[1]
CONTRACT = ["shock", "target", "breaks", "first_break_day", "worst_day", "worst_value",
            "recovery_days"]

# A tight call center: 2.5 erlangs on 5 agents answers ~95% within 20 s; three times the calls
# (7.5 erlangs) cannot be answered in time. Repairs and parts exist so every shock type applies.
TINY = """
name: tiny
seed: 7
replications: 2
warmup_days: 0
horizon_days: 14
demand:
  contacts_per_day: 600
  mix: {inquiry: 0.8, repair: 0.2}
call_center:
  agents: 5
  handle_minutes: {inquiry: 6, repair: 6}
  patience_minutes: {dist: exponential, mean: 3}
  answer_target_seconds: 20
field_service:
  technicians: 8
  repair_minutes: {dist: exponential, mean: 60}
parts:
  need_probability: 0.5
  skus:
    - {sku: gasket, share: 0.6, unit_cost: 10, initial_on_hand: 40,
       policy: {type: base_stock, level: 40}, lead_time_days: 3}
    - {sku: pump, share: 0.4, unit_cost: 50, initial_on_hand: 30,
       policy: {type: base_stock, level: 30}, lead_time_days: 5}
targets: {service_level: 0.8, abandon_rate: 0.05, fill_rate: 0.9}
"""

STRESS = """# a small stress file
name: tiny-risks
base: tiny.yaml
replications: 2
daily_limits: {open_work_orders: 500}
shocks:
  - {name: surge, type: demand_surge, start_day: 5, days: 4, multiplier: 3}
  - {name: outage, type: system_outage, start_day: 7, start_hour: 9, hours: 3}
"""


@pytest.fixture(scope="module")
def base() -> Scenario:
    return load_scenario_text(TINY, "tiny.yaml")


def _shock(base: Scenario, **data: Any) -> AnyShock:
    return shock_from_mapping({"name": data["type"], **data}, base, "test")


# --- apply_shock -----------------------------------------------------------------------------


def test_demand_surge_appends_an_event_and_leaves_the_base_alone(base: Scenario) -> None:
    shocked = apply_shock(base, _shock(base, type="demand_surge", start_day=5, days=4,
                                       multiplier=3, types="inquiry"))
    (event,) = shocked.demand.events
    assert (event.name, event.start_day, event.days, event.multiplier, event.types) == (
        "demand_surge", 5, 4, 3, ("inquiry",))
    assert shocked.name == "tiny-demand_surge"
    assert base.demand.events == () and shocked.disruptions == ()
    assert shocked.model_dump(exclude={"name", "description", "demand"}) == \
        base.model_dump(exclude={"name", "description", "demand"})


def test_defect_wave_adds_repair_demand_and_part_need(base: Scenario) -> None:
    shocked = apply_shock(base, _shock(base, type="defect_wave", start_day=2, days=3,
                                       repair_multiplier=1.5, part_need_multiplier=2.5,
                                       skus=["pump"]))
    (event,) = shocked.demand.events
    (need,) = shocked.disruptions
    assert (event.types, event.multiplier, event.start_day, event.days) == (("repair",), 1.5, 2, 3)
    assert isinstance(need, PartNeed)
    assert (need.multiplier, need.skus, need.start_day, need.days) == (2.5, ("pump",), 2, 3)


def test_supplier_delay_and_absence_become_disruptions(base: Scenario) -> None:
    delay = apply_shock(base, _shock(base, type="supplier_delay", lead_time_multiplier=3,
                                     skus="gasket,pump"))
    (d,) = delay.disruptions
    assert isinstance(d, SupplierDelay)
    # Default window: 14 days from the middle of the horizon, floor(0 + 14 / 2) = 7.
    assert (d.lead_time_multiplier, d.skus, d.start_day, d.days) == (3, ("gasket", "pump"), 7, 14)
    absent = apply_shock(base, _shock(base, type="absence", share=0.4, start_day=1))
    (a,) = absent.disruptions
    assert isinstance(a, Absence)
    # Default crews: agents and technicians, the two this scenario has.
    assert (a.share, a.crews, a.start_day, a.days) == (0.4, ("agents", "technicians"), 1, 7)


def test_skill_gap_becomes_a_disruption_on_the_repair_crews_the_base_has(base: Scenario) -> None:
    shocked = apply_shock(base, _shock(base, type="skill_gap", share=0.5, start_day=1))
    (g,) = shocked.disruptions
    assert isinstance(g, SkillGap)
    assert (g.share, g.time_multiplier, g.fix_multiplier, g.start_day, g.days) == \
        (0.5, 1.5, 0.8, 1, 28)
    assert g.crews == tuple(c for c in ("technicians", "depot_technicians")
                            if c in crews_of(base))


def test_system_outage_lasts_hours_over_24_days(base: Scenario) -> None:
    shocked = apply_shock(base, _shock(base, type="system_outage", start_day=3, start_hour=9,
                                       hours=6))
    (o,) = shocked.disruptions
    assert isinstance(o, SystemOutage)
    assert o.start_day == pytest.approx(3 + 9 / 24) and o.days == pytest.approx(6 / 24)


@pytest.mark.parametrize(("data", "key", "words"), [
    ({"type": "supplier_delay", "skus": ["valve"]}, "skus", "unknown SKU valve"),
    ({"type": "absence", "crews": ["specialists"]}, "crews", "no specialists"),
    ({"type": "absence", "crews": ["cooks"]}, "crews", "unknown value `cooks`"),
    ({"type": "demand_surge", "start_day": 30}, "start_day", "after the run ends"),
    ({"type": "tsunami"}, "", "unknown type `tsunami`"),
])
def test_shocks_that_do_not_fit_the_base_are_refused(base: Scenario, data: dict[str, Any],
                                                     key: str, words: str) -> None:
    with pytest.raises(ScenarioError) as err:
        _shock(base, **data)
    assert any(p.path.startswith(key) and words in p.message for p in err.value.problems), \
        str(err.value)


def test_default_shocks_on_a_scenario_skip_what_it_lacks(base: Scenario) -> None:
    minimal = load_scenario_text((REPO / "tests/data/minimal.yaml").read_text())
    assert applicable_types(base) == SHOCK_TYPES
    assert applicable_types(minimal) == ("demand_surge", "absence", "system_outage")
    with pytest.raises(ScenarioError, match="no parts section"):
        _shock(minimal, type="supplier_delay")


def test_the_risk_review_loads_and_plays_every_shock_type() -> None:
    plan = load_stress(REPO / "scenarios/stress/risks.yaml")
    assert sorted(s.type for s in plan.shocks) == sorted([*SHOCK_TYPES, "together"])
    assert plan.base.name == "baseline" and plan.daily_limits == {"open_work_orders": 400}
    for shock in plan.shocks:
        apply_shock(plan.base, shock)


def test_shock_options_keep_lists_and_read_numbers() -> None:
    name, params = parse_shock_option("demand_surge:multiplier=1.5,start_day=30,days=10,"
                                      "types=repair,inquiry")
    assert name == "demand_surge"
    assert params == {"multiplier": 1.5, "start_day": 30, "days": 10, "types": "repair,inquiry"}
    assert parse_shock_option("absence") == ("absence", {})


# --- judging rules on hand-made frames -------------------------------------------------------


def _frame(values: dict[int, tuple[float, ...]], column: str = "service_level") -> pd.DataFrame:
    """Rows (rep, day, column) from {day: one value per replication}."""
    return pd.DataFrame([{"rep": r, "day": day, column: v} for day, reps in values.items()
                         for r, v in enumerate(reps)])


def _flat(days: range, low: float, high: float) -> dict[int, tuple[float, ...]]:
    return {d: (low, high) for d in days}


def test_break_worst_day_and_recovery_with_known_answers() -> None:
    base = _flat(range(14), 0.88, 0.92)          # mean 0.9; band about 0.65-1.15 with 2 reps
    base[2] = (0.70, 0.74)                       # the baseline misses on day 2 too
    shocked = dict(base) | {2: (0.5, 0.5), 3: (0.6, 0.6), 4: (0.4, 0.4), 5: (0.7, 0.7),
                            6: (0.3, 0.3), 7: (0.9, 0.9), 8: (0.3, 0.3), 9: (0.9, 0.9)}
    v = judge_daily(_frame(shocked), _frame(base), "service_level", 0.8, "at_least", 6.0)
    assert v.breaks
    assert v.first_break_day == 3                # day 2 is bad for the baseline as well
    assert v.broken_days == 5                    # days 3, 4, 5, 6, 8
    assert (v.worst_day, v.worst_value, v.baseline_value) == (6, pytest.approx(0.3),
                                                              pytest.approx(0.9))
    # Window ends on day 6; days 6 and 8 miss, so the first 3-day run starts on day 9.
    assert v.recovery_days == 3


def test_at_most_series_and_the_baseline_band_count_as_recovered() -> None:
    base = _flat(range(10), 0.02, 0.04) | {6: (0.07, 0.09)}   # baseline over 5% on day 6
    shocked = dict(base) | {3: (0.2, 0.2), 4: (0.1, 0.1), 6: (0.08, 0.1)}
    v = judge_daily(_frame(shocked, "abandon_rate"), _frame(base, "abandon_rate"),
                    "abandon_rate", 0.05, "at_most", 4.5)
    assert (v.breaks, v.first_break_day, v.broken_days, v.worst_day) == (True, 3, 2, 3)
    # Day 6 is over the target but inside the baseline's band: recovered from day 5 on.
    assert v.recovery_days == 0


def test_no_break_no_worst_day_and_no_recovery_within_the_horizon() -> None:
    base = _flat(range(8), 0.9, 0.9)
    same = judge_daily(_frame(base), _frame(base), "service_level", 0.8, "at_least", 3.0)
    assert not same.breaks and math.isnan(same.first_break_day) and math.isnan(same.worst_day)
    assert same.recovery_days == 0
    late = dict(base) | {6: (0.5, 0.5), 7: (0.5, 0.5)}
    never = judge_daily(_frame(late), _frame(base), "service_level", 0.8, "at_least", 3.5)
    assert never.breaks and math.isnan(never.recovery_days)   # days 4, 5 then misses: no run of 3


def test_targets_without_a_daily_series_are_judged_on_the_run_mean() -> None:
    assert judge_run([0.85, 0.87], [0.95, 0.93], 0.9, "at_least").breaks
    assert not judge_run([0.85, 0.87], [0.88, 0.86], 0.9, "at_least").breaks  # baseline misses
    v = judge_run([0.85, 0.87], [0.95, 0.93], 0.9, "at_least")
    assert v.worst_value == pytest.approx(0.86) and math.isnan(v.first_break_day)


def test_ranking_counts_broken_days_then_breaks_ties_on_cost() -> None:
    summary = pd.DataFrame({
        "shock": ["a", "a", "b", "b", "c", "c"], "type": ["t"] * 6,
        "target": ["service_level", "fill_rate"] * 3,
        "breaks": [True, False, True, True, True, False],
        "broken_days": [4, np.nan, 2, np.nan, 4, np.nan],
        "first_break_day": pd.array([9, pd.NA, 5, pd.NA, 7, pd.NA], dtype="Int64"),
    })
    reps = pd.DataFrame({"shock": [BASELINE, BASELINE, "a", "a", "b", "b", "c", "c"],
                         "rep": [0, 1] * 4,
                         "total_cost": [100, 110, 120, 130, 100, 110, 150, 160]})
    ranking = rank_shocks(summary, reps)
    assert list(ranking["shock"]) == ["c", "a", "b"]
    assert list(ranking["rank"]) == [1, 2, 3]
    assert ranking.loc[0, "total_cost_diff"] == pytest.approx(50)
    assert list(ranking["first_broken_target"]) == ["service_level"] * 3
    assert ranking.loc[2, "targets_broken"] == 2


# --- a real run ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stressed(base: Scenario) -> StressResult:
    shocks = [_shock(base, type="demand_surge", start_day=5, days=4, multiplier=3),
              *[_shock(base, type=t, start_day=7) for t in SHOCK_TYPES[1:]]]
    return run_stress(base, shocks, 3, 11, executor=SerialExecutor(),
                      daily_limits={"open_work_orders": 500})


def test_a_threefold_surge_breaks_the_service_level_inside_its_window(
        stressed: StressResult) -> None:
    daily = stressed.daily
    base_mean = daily[daily["shock"] == BASELINE].groupby("day")["service_level"].mean()
    assert (base_mean >= 0.8).all()
    row = stressed.summary.set_index(["shock", "target"]).loc[("demand_surge", "service_level")]
    assert row["breaks"] and 5 <= row["first_break_day"] < 9
    assert 5 <= row["worst_day"] < 9 and row["worst_value"] < 0.5
    assert stressed.ranking.loc[0, "shock"] in ("demand_surge", "absence")


def test_days_before_a_shock_are_identical_to_the_baseline(stressed: StressResult) -> None:
    daily = stressed.daily
    base = daily[daily["shock"] == BASELINE].drop(columns="shock").reset_index(drop=True)
    for shock in stressed.shocks:
        start, _ = shock.window()
        rows = daily[daily["shock"] == shock.name].drop(columns="shock").reset_index(drop=True)
        before = base["day"] < math.floor(start)
        assert before.any()
        pd.testing.assert_frame_equal(rows[before], base[before], check_exact=True)
        assert not rows.equals(base), shock.name


def test_the_folder_holds_the_contract(stressed: StressResult, tmp_path: Path) -> None:
    out = write_stress(stressed, tmp_path / "out", ["aftersales-sim", "stress"],
                       pd.Timestamp.now(tz="UTC").to_pydatetime())
    summary = pd.read_csv(out / "stress_summary.csv")
    assert list(summary.columns[: len(CONTRACT)]) == CONTRACT
    assert len(summary) == len(stressed.shocks) * 4          # 3 targets + 1 daily limit
    assert set(summary["target"]) == {"service_level", "abandon_rate", "fill_rate",
                                      "open_work_orders"}
    assert set(summary["judged"]) == {"daily"}  # every target, fill rate included, by day
    daily = pd.read_csv(out / "daily.csv")
    assert list(daily.columns[:3]) == ["shock", "rep", "day"]
    assert set(daily["shock"]) == {BASELINE, *(s.name for s in stressed.shocks)}
    assert (out / "stress_ranking.csv").is_file() and (out / "charts").is_dir()
    for name in [BASELINE, *(s.name for s in stressed.shocks)]:
        assert (out / "scenarios" / f"{name}.yaml").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["replications"] == 3 and manifest["seed"] == 11
    again = load_stress(out / "stress.yaml")     # the resolved stress file reruns as it ran
    assert again.shocks == stressed.shocks and again.base == stressed.base


# --- the command -----------------------------------------------------------------------------


def _write_inputs(folder: Path, stress: str = STRESS) -> Path:
    (folder / "tiny.yaml").write_text(TINY)
    path = folder / "stress.yaml"
    path.write_text(stress)
    return path


def test_command_writes_the_folder_with_a_manifest(tmp_path: Path) -> None:
    path = _write_inputs(tmp_path)
    out = tmp_path / "tmp"
    done = subprocess.run([sys.executable, "-m", "sim", "stress", str(path), "--reps", "2",
                           "--quiet", "--out", str(out)], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads((out / "manifest.json").read_text())["shocks"] == ["surge", "outage"]
    assert {"stress_summary.csv", "stress_ranking.csv", "daily.csv", "stress.yaml"} <= {
        p.name for p in out.iterdir()}


def test_command_runs_one_named_shock_with_changed_parameters(tmp_path: Path) -> None:
    path = _write_inputs(tmp_path)
    out = tmp_path / "one"
    code = main(["stress", str(path), "--shock", "outage:hours=5", "--reps", "1", "--workers",
                 "1", "--quiet", "--out", str(out)])
    assert code == 0
    again = load_stress(out / "stress.yaml")
    assert [(s.name, getattr(s, "hours", None)) for s in again.shocks] == [("outage", 5)]
    assert main(["stress", str(path), "--shock", "flood", "--quiet",
                 "--out", str(tmp_path / "none")]) == 2
    assert not (tmp_path / "none").exists()


@pytest.mark.parametrize(("edit", "where"), [
    (("type: demand_surge, start_day: 5, days: 4, multiplier: 3", "type: supplier_delay, "
      "skus: [valve]"), "stress.yaml:7: shocks.0.skus: unknown SKU valve"),
    (("multiplier: 3}", "multiplier: 3, crews: [agents]}"),
     "stress.yaml:7: shocks.0.crews: unknown key `crews`"),
    (("type: system_outage", "type: outage"), "stress.yaml:8: shocks.1: unknown type `outage`"),
    (("base: tiny.yaml", "base: nowhere.yaml"), "stress.yaml:3: base: no such scenario file"),
    (("name: outage", "name: surge"), "stress.yaml:6: shocks: shock name(s) listed twice: surge"),
])
def test_bad_stress_files_exit_2_and_write_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: tuple[str, str],
        where: str) -> None:
    path = _write_inputs(tmp_path, STRESS.replace(*edit))
    out = tmp_path / "never"
    assert main(["stress", str(path), "--reps", "1", "--quiet", "--out", str(out)]) == 2
    assert where in capsys.readouterr().err
    assert not out.exists()


def test_built_in_shocks_on_a_scenario_validate_their_parameters(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write_inputs(tmp_path).with_name("tiny.yaml")
    for option, words in [("absence:crews=depot_technicians", "no depot_technicians"),
                          ("demand_surge:multiplier=-1", "greater than 0"),
                          ("heat_wave", "unknown type `heat_wave`")]:
        assert main(["stress", str(path), "--shock", option, "--quiet",
                     "--out", str(tmp_path / "x")]) == 2
        assert words in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_the_shock_window_is_shaded_only_over_the_days_drawn() -> None:
    from matplotlib.patches import Polygon, Rectangle

    from sim.output.charts.stress import stress_daily

    days = np.arange(7.0, 21.0)
    daily = pd.concat([pd.DataFrame({"shock": name, "rep": rep, "day": days,
                                     "service_level": 0.8})
                       for name in (BASELINE, "late", "early") for rep in (0, 1)])
    fig = stress_daily(daily, "service_level", "Service level (share)",
                       {"late": (15.0, 40.0), "early": (0.0, 9.0)}, "base", share=True)
    spans = []
    for ax in fig.axes:
        for patch in ax.patches:
            if isinstance(patch, (Polygon, Rectangle)) and patch.get_label() == "Shock window":
                x = patch.get_xy()[:, 0] if isinstance(patch, Polygon) else np.array(
                    [patch.get_x(), patch.get_x() + patch.get_width()])
                spans.append((float(x.min()), float(x.max())))
    assert sorted(spans) == [(7.0, 9.0), (15.0, 20.0)]
