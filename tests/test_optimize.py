"""The optimizer (``sim.experiments.optimize.solve``, ``sim.experiments.optimize.start``) and
``aftersales-sim optimize``.

Two cases have a known optimum. A flat M/M/c call center (inquiries only, exponential handle
time, no patience, agents around the clock, a cost per agent hour) with the target "80% within
20 s" is cheapest at exactly the Erlang C staffing; the parameters are chosen so that the
service level at c - 1 is clearly below the target and at c clearly above it. A single SKU under
base stock with Poisson part requests and a constant lead time, a fill-rate target and a holding
cost is cheapest at the smallest level meeting the target,
``theory_stock.base_stock_level_for_fill``.
The optimizer must return these exactly from the analytic start and also when it has to search
from far away (descent from above, repair from below).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.experiments.executors import SerialExecutor
from sim.experiments.optimize.decisions import apply_decision, decision_variables, with_bounds
from sim.experiments.optimize.evaluate import Evaluation, cheaper, shortfalls
from sim.experiments.optimize.solve import optimize
from sim.experiments.optimize.start import analytic_start, cover_shifts
from sim.experiments.replicate import replicate, replicate_many
from sim.scenario.clock import Shift
from sim.scenario.format import Scenario
from sim.scenario.loader import load_scenario, scenario_to_yaml
from sim.scenario.problems import ScenarioError
from sim.theory import queues as theory
from sim.theory import stock as theory_stock

ROOT = Path(__file__).resolve().parent.parent
PER_HOUR, HANDLE, ANSWER, SL_TARGET = 40.0, 6.0, 20.0, 0.8  # 4 Erlangs
PER_DAY, LEAD, FILL_TARGET = 8.0, 0.5, 0.92  # lead-time demand Poisson(4)
SEED = 97


def mmc_scenario(agents: int) -> Scenario:
    return Scenario.model_validate({
        "name": "opt-mmc", "replications": 6, "warmup_days": 1.0, "horizon_days": 10.0,
        "demand": {"contacts_per_day": PER_HOUR * 24, "mix": {"inquiry": 1.0},
                   "weekly_profile": "flat", "hourly_profile": "flat"},
        "call_center": {"agents": agents, "answer_target_seconds": ANSWER,
                        "handle_minutes": {"inquiry": {"dist": "exponential", "mean": HANDLE}}},
        "costs": {"agent_per_hour": 25.0},
        "targets": {"service_level": SL_TARGET},
    })


def stock_scenario(level: int) -> Scenario:
    """Repair calls only, answered and repaired in no time: one part request per call."""
    return Scenario.model_validate({
        "name": "opt-stock", "replications": 6, "warmup_days": 2.0, "horizon_days": 150.0,
        "demand": {"contacts_per_day": PER_DAY, "mix": {"repair": 1.0},
                   "weekly_profile": "flat", "hourly_profile": "flat"},
        "call_center": {"agents": 200, "handle_minutes": {"repair": 0}},
        "field_service": {"technicians": 500, "travel_minutes": 0, "diagnosis_minutes": 0,
                          "repair_minutes": 0},
        "parts": {"need_probability": 1.0, "holding_rate_per_year": 0.25,
                  "skus": [{"sku": "part", "share": 1.0, "unit_cost": 100.0,
                            "initial_on_hand": level,
                            "policy": {"type": "base_stock", "level": level},
                            "lead_time_days": LEAD}]},
        "targets": {"fill_rate": FILL_TARGET},
    })


def erlang_c_optimum() -> int:
    c = theory.erlang_c_agents_needed(PER_HOUR, HANDLE, ANSWER, SL_TARGET)
    below = theory.erlang_c_metrics(PER_HOUR, HANDLE, c - 1, ANSWER).service_level
    at = theory.erlang_c_metrics(PER_HOUR, HANDLE, c, ANSWER).service_level
    assert below < SL_TARGET - 0.04 and at > SL_TARGET + 0.06, "case must not be borderline"
    return c


def base_stock_optimum() -> int:
    level = theory_stock.base_stock_level_for_fill(PER_DAY, LEAD, FILL_TARGET)
    below = theory_stock.poisson_base_stock(PER_DAY, LEAD, level - 1).fill_rate
    at = theory_stock.poisson_base_stock(PER_DAY, LEAD, level).fill_rate
    assert below < FILL_TARGET - 0.025 and at > FILL_TARGET + 0.025, "must not be borderline"
    return level


# --------------------------------------------------------------------------- known optima


@pytest.mark.parametrize(("agents", "start"), [(3, "analytic"), (20, "current"), (2, "current")],
                         ids=["analytic", "descend-from-20", "repair-from-2"])
def test_mmc_returns_the_erlang_c_staffing(agents: int, start: Any) -> None:
    best = erlang_c_optimum()
    result = optimize(mmc_scenario(agents), ["call_center.agents"], start=start,
                      confirm_replications=12, seed=SEED, executor=SerialExecutor(),
                      bounds={"call_center.agents": (1, 30)})
    assert result.feasible
    assert result.decision() == {"call_center.agents": best}
    assert result.best.replications == 12 and result.best.phase == "confirm"
    search = {e.values[0]: e for e in result.evaluations if e.phase != "confirm"}
    assert not search[best - 1].feasible  # the optimum was proved: one fewer fails
    if start == "analytic":
        assert result.start == (best,) and len(result.evaluations) == 3
    # every search evaluation ran its 6 replications, or the 4 of the screen that stopped it;
    # the confirmation added 6 to the chosen one's
    assert all(e.replications == (4 if e.screened else 6) for e in search.values())
    assert result.replications_used == sum(e.replications for e in search.values()) + 6


@pytest.mark.parametrize(("level", "start"), [(1, "analytic"), (2, "current")],
                         ids=["analytic", "repair-from-2"])
def test_base_stock_returns_the_theory_level(level: int, start: Any) -> None:
    best = base_stock_optimum()
    result = optimize(stock_scenario(level), ["parts.skus.part.policy"], start=start,
                      confirm_replications=12, seed=SEED, executor=SerialExecutor())
    assert result.feasible
    # the initial stock follows the level so that the run starts at the policy
    assert result.decision() == {"parts.skus.0.policy.level": best,
                                 "parts.skus.0.initial_on_hand": best}
    assert result.scenario.parts is not None
    assert result.scenario.parts.skus[0].policy.reorder_point == best - 1
    # the same first 4 replications of each (a screened evaluation stopped there)
    costs = {e.values[0]: e.result.replications["total_cost"].iloc[:4].mean()
             for e in result.evaluations if e.phase != "confirm"}
    assert costs[best] > costs[best - 1]  # holding cost makes every extra unit dearer


# --------------------------------------------------------------------------- variables, starts


def baseline() -> Scenario:
    return load_scenario(ROOT / "scenarios" / "baseline.yaml")


def test_decision_variables_expand_shifts_and_policies() -> None:
    scn = baseline()
    found = decision_variables(scn, ["call_center.agents", "field_service.technicians",
                                     "parts.skus.*.policy", "parts.skus.compressor.policy"])
    paths = [v.path for v in found]
    assert paths == ["call_center.agents.0.count", "call_center.agents.1.count",
                     "call_center.agents.2.count", "field_service.technicians.0.count",
                     "field_service.technicians.1.count", "parts.skus.0.policy.s",
                     "parts.skus.1.policy.r", "parts.skus.2.policy.S"]  # no repeats
    compressor = found[5]
    assert compressor.linked == (("parts.skus.0.policy.S", 110),
                                 ("parts.skus.0.initial_on_hand", 110))
    decided = apply_decision(scn, found, [v.current - 1 for v in found])
    assert decided is not None and decided.parts is not None
    assert decided.parts.skus[0].policy.model_dump() == {"type": "sS", "s": 189, "S": 299}
    assert decided.parts.skus[0].initial_on_hand == 299
    assert decided.call_center.agents[2].count == 6  # type: ignore[index]
    # one shift by name, and a plain whole-number key
    one = decision_variables(scn, ["call_center.agents.late", "complaints.handlers.1.count"])
    assert [v.path for v in one] == ["call_center.agents.1.count", "complaints.handlers.1.count"]


@pytest.mark.parametrize("spec", ["call_center.agentz", "parts.skus.nosuch.policy",
                                  "demand.mix", "call_center.hours.open",
                                  "followup.within_hours"])
def test_unknown_or_non_integer_paths_are_rejected(spec: str) -> None:
    with pytest.raises(ScenarioError, match="--decide"):
        decision_variables(baseline(), [spec])


def test_bounds_apply_under_a_path_and_reject_strays() -> None:
    scn = baseline()
    found = decision_variables(scn, ["call_center.agents", "parts.skus.*.policy"])
    bounded = with_bounds(scn, found, {}, {"call_center.agents": (2, 9),
                                           "parts.skus.door_seal.policy": (100, 900)})
    assert [(v.lower, v.upper) for v in bounded[:3]] == [(2, 9)] * 3
    assert (bounded[-1].lower, bounded[-1].upper) == (100, 900)
    assert bounded[3].upper == 2 * 190  # default: twice the larger of current and start
    with pytest.raises(ScenarioError, match="matches no decided variable"):
        with_bounds(scn, found, {}, {"field_service.technicians": (1, 2)})


def test_shift_cover_is_the_cheapest_integer_cover() -> None:
    def shift(name: str, start: str, end: str, days: list[str]) -> Shift:
        return Shift.model_validate({"name": name, "start": start, "end": end, "days": days,
                                     "count": 1})

    week = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    shifts = [shift("early", "08:00", "16:00", week), shift("late", "12:00", "20:00", week),
              shift("long", "08:00", "20:00", week)]
    need = np.zeros((7, 24), dtype=int)
    need[:, 8:12], need[:, 12:16], need[:, 16:20] = 3, 5, 2
    counts = cover_shifts(need.ravel(), shifts, [0, 1, 2])
    # early 3 + late 2 covers 3/5/2 with 40 paid hours a day; any use of `long` pays more
    assert counts == {0: 3, 1: 2, 2: 0}


def test_analytic_start_on_the_baseline_covers_every_hour() -> None:
    from sim.experiments.optimize.start import agents_needed_by_hour
    from sim.scenario.calendar import staffed_by_hour_of_week

    scn = baseline()
    found = decision_variables(scn, ["call_center.agents", "parts.skus.*.policy"])
    start = analytic_start(scn, found)
    decided = apply_decision(scn, found, [start[v.path] for v in found])
    assert decided is not None
    staffed = staffed_by_hour_of_week(decided.call_center.agents)
    assert np.all(staffed + 1e-9 >= agents_needed_by_hour(scn))
    assert start["parts.skus.1.policy.r"] >= 0


def test_shortfall_is_measured_at_the_worst_ci_end() -> None:
    from sim.experiments.replicate import replicate

    result = replicate(mmc_scenario(6), replications=4, seed=SEED, executor=SerialExecutor())
    low = float(result.summary.set_index("kpi").at["service_level", "ci_low"])
    assert shortfalls(result) == {"service_level": pytest.approx((SL_TARGET - low) / SL_TARGET)}
    assert shortfalls(replicate(mmc_scenario(9), replications=4, seed=SEED,
                                executor=SerialExecutor())) == {}


def test_cheaper_needs_a_paired_saving_beyond_noise() -> None:
    from sim.experiments.replicate import replicate

    def evaluation(scenario: Scenario) -> Evaluation:
        result = replicate(scenario, replications=4, seed=SEED, executor=SerialExecutor())
        cost = float(result.summary.set_index("kpi").at["total_cost", "mean"])
        return Evaluation(0, (0,), 4, "test", result, cost, shortfalls(result))

    seven, eight = evaluation(mmc_scenario(7)), evaluation(mmc_scenario(8))
    assert cheaper(seven, eight)  # staff cost does not vary: an exact saving
    assert not cheaper(eight, seven) and not cheaper(seven, seven)
    # one more unit of stock changes the holding cost by ~10 EUR on ~160,000 of purchases,
    # but the purchases are the same under common random numbers, so the saving is clear
    eight_units, nine_units = evaluation(stock_scenario(8)), evaluation(stock_scenario(9))
    assert cheaper(eight_units, nine_units)


# --------------------------------------------------------------------------- the command


def write_case(tmp_path: Path, optimize_file: dict[str, Any] | None = None) -> Path:
    (tmp_path / "mmc.yaml").write_text(scenario_to_yaml(mmc_scenario(3)), encoding="utf-8")
    if optimize_file is None:
        return tmp_path / "mmc.yaml"
    lines = [f"{k}: {json.dumps(v)}" for k, v in optimize_file.items()]
    (tmp_path / "opt.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path / "opt.yaml"


def test_cli_writes_the_decision_contract(tmp_path: Path) -> None:
    spec = write_case(tmp_path, {"base": "mmc.yaml", "decide": ["call_center.agents"],
                                 "bounds": {"call_center.agents": [1, 30]},
                                 "confirm_replications": 10})
    out = tmp_path / "out"
    assert main(["optimize", str(spec), "--seed", str(SEED), "--workers", "1", "--quiet",
                 "--out", str(out)]) == 0
    doc = json.loads((out / "decision.json").read_text())
    best = erlang_c_optimum()
    assert doc["decision"] == {"call_center.agents": best}
    assert doc["feasible"] is True
    assert doc["cost"] == pytest.approx(best * 25.0 * 24 * 10)
    assert set(doc["kpis"]["service_level"]) == {"mean", "ci_low", "ci_high"}
    assert doc["kpis"]["service_level"]["ci_low"] >= SL_TARGET
    table = pd.read_csv(out / "evaluations.csv")
    assert doc["evaluations"] == len(table) == 3
    # start, c - 1 (stopped by the screen after 4: it clearly misses), and 4 more to confirm
    assert doc["replications_used"] == 6 + 4 + 4
    assert table["screened"].tolist() == [False, True, False]
    assert table["chosen"].sum() == 1
    chosen = load_scenario(out / "best.yaml")
    assert chosen.call_center.agents == best
    assert chosen.model_dump(exclude={"call_center"}) == mmc_scenario(3).model_dump(
        exclude={"call_center"})
    assert (out / "charts" / "cost_frontier.png").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["evaluations"] == 3 and manifest["replications"] == 10
    assert set(manifest["files"]) >= {"decision.json", "best.yaml", "evaluations.csv"}
    assert doc["cost_tolerance"] == 0.0


def test_cli_exit_1_when_no_decision_meets_the_targets(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    file = write_case(tmp_path)
    out = tmp_path / "out"
    assert main(["optimize", str(file), "--decide", "call_center.agents", "--bound",
                 "call_center.agents=1:4", "--reps", "3", "--confirm-reps", "3", "--workers",
                 "1", "--quiet", "--out", str(out)]) == 1
    assert "no evaluated decision meets every target" in capsys.readouterr().err
    doc = json.loads((out / "decision.json").read_text())
    assert doc["feasible"] is False and doc["decision"] == {"call_center.agents": 4}


@pytest.mark.parametrize("extra", [
    ["--decide", "call_center.nosuch"],
    ["--decide", "call_center.agents", "--bound", "call_center.agents=5"],
    ["--decide", "call_center.agents", "--bound", "field_service.technicians=1:3"],
    ["--decide", "call_center.agents", "--reps", "2"],
    ["--decide", "call_center.agents", "--cost-tolerance", "0.5"],
    [],
])
def test_cli_bad_input_exits_2(tmp_path: Path, extra: list[str]) -> None:
    file = write_case(tmp_path)
    out = tmp_path / "out"
    assert main(["optimize", str(file), "--workers", "1", "--quiet", "--out", str(out),
                 *extra]) == 2
    assert not out.exists()


def test_cli_rejects_a_scenario_without_targets_and_a_bad_optimize_file(tmp_path: Path) -> None:
    file = write_case(tmp_path)
    assert main(["optimize", str(file), "--decide", "call_center.agents", "--set",
                 "targets={}", "--quiet"]) == 2
    spec = write_case(tmp_path, {"base": "mmc.yaml", "decide": ["call_center.agents"],
                                 "replications": 1, "colour": "blue"})
    assert main(["optimize", str(spec), "--quiet"]) == 2
    spec = write_case(tmp_path, {"base": "mmc.yaml", "decide": ["call_center.agents"],
                                 "cost_tolerance": -0.01})
    assert main(["optimize", str(spec), "--quiet"]) == 2


# --------------------------------------------------------------------------- price of a target


def test_the_price_of_a_target_is_the_paired_extra_cost_of_one_step() -> None:
    from sim.experiments.optimize.prices import price_targets, target_step, tightened

    assert target_step("repair_on_time_rate", 0.9) == 0.02
    assert tightened("repair_on_time_rate", 0.9, 0.02) == pytest.approx(0.92)
    assert tightened("abandon_rate", 0.05, 0.02) == pytest.approx(0.03)
    assert tightened("service_level", 0.99, 0.02) == 1.0  # a share stays a share
    assert target_step("asa_seconds", 30.0) == pytest.approx(1.5)
    c = erlang_c_optimum()
    result = optimize(mmc_scenario(c), ["call_center.agents"], replications=6,
                      confirm_replications=10, seed=SEED, executor=SerialExecutor(),
                      start="current")
    assert result.decision() == {"call_center.agents": c}
    # A step that c agents cannot meet but c + 1 easily do: one more agent, 25 EUR an hour.
    at = theory.erlang_c_metrics(PER_HOUR, HANDLE, c, ANSWER).service_level
    step = at + 0.02 - SL_TARGET
    prices = price_targets(result, ["call_center.agents"], executor=SerialExecutor(),
                           steps={"service_level": step})
    (row,) = prices.to_dict("records")
    assert row["feasible"] and row["decision_changes"] == f"call_center.agents={c + 1}"
    assert row["extra_cost"] == pytest.approx(25.0 * 24 * 10)
    assert row["extra_cost_ci_low"] == pytest.approx(row["extra_cost_ci_high"])  # staff cost
    assert row["extra_cost_per_point"] == pytest.approx(25.0 * 24 * 10 / (step * 100))


def test_cli_prices_the_targets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_case(tmp_path, {"base": "mmc.yaml", "decide": ["call_center.agents"],
                                 "bounds": {"call_center.agents": [1, 30]},
                                 "confirm_replications": 10})
    out = tmp_path / "out"
    assert main(["optimize", str(spec), "--seed", str(SEED), "--workers", "1",
                 "--price-targets", "--out", str(out)]) == 0
    assert "The price of a target" in capsys.readouterr().out
    prices = pd.read_csv(out / "target_prices.csv")
    assert list(prices["target"]) == ["service_level"]
    assert prices.loc[0, "to"] == pytest.approx(SL_TARGET + 0.02)
    assert prices.loc[0, "extra_cost"] >= 0


# --------------------------------------------------------------------------- screening, store


def test_screening_takes_the_same_path_for_fewer_replications() -> None:
    """From 20 agents the descent overshoots into infeasible staffings; the screen stops those
    after 4 replications. The decisions visited, their verdicts and the answer are the same."""
    runs = {screen: optimize(mmc_scenario(20), ["call_center.agents"], start="current",
                             confirm_replications=12, seed=SEED, executor=SerialExecutor(),
                             bounds={"call_center.agents": (1, 30)}, screen=screen)
            for screen in (False, True)}
    full, screened = runs[False], runs[True]
    assert screened.decision() == full.decision() == {"call_center.agents": erlang_c_optimum()}
    assert ([(e.values, e.feasible) for e in screened.evaluations]
            == [(e.values, e.feasible) for e in full.evaluations])
    assert any(e.screened for e in screened.evaluations)
    assert not any(e.screened for e in full.evaluations)
    assert screened.replications_used < full.replications_used
    # the chosen decision's run is the same replications either way
    pd.testing.assert_frame_equal(screened.best.result.replications,
                                  full.best.result.replications)


def test_clearly_missed_needs_the_one_sided_bound_beyond_the_target() -> None:
    from sim.experiments.optimize.evaluate import clearly_missed

    c = erlang_c_optimum()
    far = replicate(mmc_scenario(c - 2), 4, SEED, executor=SerialExecutor())
    near = replicate(mmc_scenario(c), 4, SEED, executor=SerialExecutor())
    assert clearly_missed(far) == ["service_level"]
    assert clearly_missed(near) == []
    # a demand for certainty (error 0) never screens anything out
    assert clearly_missed(far, error=1e-300) == []


def test_a_lasting_store_answers_a_second_search_without_simulating() -> None:
    from sim.experiments.store import MemoryStore

    lasting = MemoryStore()
    kwargs: dict[str, Any] = {"start": "analytic", "confirm_replications": 12, "seed": SEED,
                              "executor": SerialExecutor(), "store": lasting}
    first = optimize(mmc_scenario(3), ["call_center.agents"], **kwargs)
    second = optimize(mmc_scenario(3), ["call_center.agents"], **kwargs)
    assert first.replications_used == lasting.simulated > 0
    assert second.replications_used == 0
    assert second.decision() == first.decision()


def test_evaluations_keep_a_slim_result_and_the_chosen_one_its_series() -> None:
    result = optimize(mmc_scenario(3), ["call_center.agents"], confirm_replications=12,
                      seed=SEED, executor=SerialExecutor())
    assert all(e.result.daily.empty for e in result.evaluations)
    assert len(result.best.result.daily) == 12 * 10  # 12 replications x 10 measured days
    assert not result.best.result.ledger.parts.empty


def test_targets_and_name_change_no_replication_so_they_share_the_store() -> None:
    from sim.experiments.store import MemoryStore, replication_digest

    base = mmc_scenario(7)
    other = Scenario.model_validate(base.model_dump(mode="json")
                                    | {"name": "renamed", "targets": {"service_level": 0.9}})
    more = Scenario.model_validate(base.model_dump(mode="json") | {"horizon_days": 11.0})
    assert (replication_digest(base.model_dump_json())
            == replication_digest(other.model_dump_json())
            != replication_digest(more.model_dump_json()))
    store = MemoryStore()
    first, second = replicate_many([base, other], 3, SEED, executor=SerialExecutor(),
                                   store=store)
    assert store.simulated == 3  # one set of runs for both
    pd.testing.assert_frame_equal(first.replications, second.replications)
    # each is judged against its own targets
    assert second.targets["service_level"].target == 0.9 != first.targets["service_level"].target


def test_cli_store_lets_a_rerun_simulate_nothing(tmp_path: Path) -> None:
    spec = write_case(tmp_path, {"base": "mmc.yaml", "decide": ["call_center.agents"],
                                 "bounds": {"call_center.agents": [1, 30]},
                                 "confirm_replications": 10})
    used = []
    for run in ("first", "again"):
        out = tmp_path / run
        assert main(["optimize", str(spec), "--seed", str(SEED), "--workers", "1", "--quiet",
                     "--store", str(tmp_path / "kept"), "--out", str(out)]) == 0
        used.append(json.loads((out / "decision.json").read_text()))
    assert used[0]["replications_used"] > 0 and used[1]["replications_used"] == 0
    assert used[1]["decision"] == used[0]["decision"]
    assert any((tmp_path / "kept").glob("*.json"))


def test_a_cost_tolerance_leaves_cheap_variables_within_it() -> None:
    """From 14 units the exact search walks the level down to the theory's; with a tolerance
    of 1% the stock (worth ~140 EUR of holding in a cost of millions) is not descended. The
    answer then costs more, by less than the tolerance, for fewer evaluations."""
    runs = {tol: optimize(stock_scenario(14), ["parts.skus.part.policy"], start="current",
                          confirm_replications=12, seed=SEED, executor=SerialExecutor(),
                          cost_tolerance=tol)
            for tol in (0.0, 0.01)}
    exact, tolerant = runs[0.0], runs[0.01]
    assert exact.decision()["parts.skus.0.policy.level"] == base_stock_optimum()
    assert tolerant.decision()["parts.skus.0.policy.level"] == 14
    assert tolerant.feasible and [e.phase for e in tolerant.evaluations] == ["start", "confirm"]
    assert len(tolerant.evaluations) < len(exact.evaluations)
    assert exact.best.cost < tolerant.best.cost <= exact.best.cost * 1.01
    assert tolerant.document()["cost_tolerance"] == 0.01
    with pytest.raises(ValueError, match="cost tolerance"):
        optimize(stock_scenario(14), ["parts.skus.part.policy"], cost_tolerance=0.2)


def test_the_paired_screen_sees_a_miss_the_own_interval_cannot() -> None:
    """With a 76% target, one agent fewer than the Erlang C staffing for 80% (74.5% in theory)
    misses by a margin that 4 replications of the trial alone cannot show. Paired with 6
    replications of the staffing above it on the same seeds, the miss shows."""
    from sim.experiments.optimize.evaluate import clearly_missed, clearly_missed_against

    c = erlang_c_optimum()

    def run(agents: int, reps: int) -> Any:
        data = mmc_scenario(agents).model_dump(mode="json")
        data["targets"] = {"service_level": 0.76}
        return replicate(Scenario.model_validate(data), reps, SEED, executor=SerialExecutor())

    above, below = run(c, 6), run(c - 1, 4)
    kpis = {"service_level"}
    assert clearly_missed(below) == []
    assert clearly_missed_against(below, above, 6, kpis) == ["service_level"]
    assert clearly_missed_against(run(c, 4), above, 6, kpis) == []
    # only the targets the move can change are tested; nothing to test, nothing dropped
    assert clearly_missed_against(below, above, 6, set()) == []
    # the reference must have the full run's replications
    assert clearly_missed_against(below, run(c, 5), 6, kpis) == []


def test_the_paired_screen_drops_a_narrow_miss_whose_mean_is_on_the_good_side() -> None:
    """A trial whose full-run mean would clear the target but whose interval cannot: its first
    replications alone spread it wider than the margin, so it is dropped after them; with the
    margin wider than that least half-width, it runs in full."""
    from types import SimpleNamespace

    from sim.experiments.optimize.evaluate import clearly_missed_against
    from sim.measure.stats import TargetJudgement, t_half_width

    full = 10
    reference = np.array([0.86, 0.82, 0.88, 0.84, 0.85, 0.87, 0.83, 0.86, 0.84, 0.85])
    trial = reference[:4] - 0.02 + np.array([0.001, -0.001, 0.0005, -0.0005])
    spread = math.sqrt(float(((trial - trial.mean()) ** 2).sum()) / (full - 1))
    least = t_half_width(spread, full)
    mean = reference.mean() - 0.02

    def dropped(target: float) -> bool:
        judged = {"service_level": TargetJudgement(target, "at_least", False, "missed")}
        runs = [SimpleNamespace(targets=judged, replications=pd.DataFrame(
            {"rep": np.arange(len(x)), "service_level": x})) for x in (trial, reference)]
        return bool(clearly_missed_against(runs[0], runs[1], full,  # type: ignore[arg-type]
                                           {"service_level"}))

    assert least > 0.005
    assert dropped(mean - least / 2)  # the mean clears the target; the interval cannot
    assert not dropped(mean - 2 * least)


def test_the_paired_screen_drops_a_trial_meeting_its_target_at_most_at_its_error_rate() -> None:
    """Calibration: trials whose full run just meets the target (the lower end of its 95%
    interval exactly at the target: the hardest case to keep) are dropped in at most
    ``SCREEN_ERROR`` of draws, whatever the spread."""
    from types import SimpleNamespace

    from scipy.stats import binom

    from sim.experiments.optimize.evaluate import SCREEN_ERROR, clearly_missed_against
    from sim.measure.stats import TargetJudgement, t_interval

    rng = np.random.default_rng(20261203)
    full, first, draws, target = 10, 4, 4000, 0.8
    judged = {"service_level": TargetJudgement(target, "at_least", False, "missed")}
    dropped = 0
    for _ in range(draws):
        reference = 0.85 + rng.normal(0.0, 0.03, full)
        d = rng.normal(-0.05, rng.choice([0.002, 0.01, 0.03]), full)
        trial = reference + d
        trial += target - t_interval(trial).ci_low  # the full run's interval starts at the target
        runs = [SimpleNamespace(targets=judged, replications=pd.DataFrame(
            {"rep": np.arange(len(x)), "service_level": x})) for x in (trial[:first], reference)]
        dropped += bool(clearly_missed_against(runs[0], runs[1], full,  # type: ignore[arg-type]
                                               {"service_level"}))
    # a one-sided binomial check at level 0.001 that the drop rate is at most SCREEN_ERROR
    assert dropped <= binom.ppf(0.999, draws, SCREEN_ERROR)


def test_a_variable_stopped_by_a_target_waits_for_a_move_that_changes_it() -> None:
    """Agents stopped by the service level are not tried again after the stock moves: the
    stock cannot change the service level, so the trial would only repeat itself (at a new
    level, so a new evaluation). The stock still descends to where the fill rate stops it."""
    data = mmc_scenario(erlang_c_optimum()).model_dump(mode="json")
    stock = stock_scenario(12).model_dump(mode="json")
    repair_share = PER_DAY / (PER_HOUR * 24 + PER_DAY)
    data.update({"horizon_days": 20.0, "field_service": stock["field_service"],
                 "parts": stock["parts"],
                 "demand": {**data["demand"], "contacts_per_day": PER_HOUR * 24 + PER_DAY,
                            "mix": {"inquiry": 1 - repair_share, "repair": repair_share}},
                 "targets": {"service_level": SL_TARGET, "fill_rate": FILL_TARGET}})
    data["call_center"]["handle_minutes"]["repair"] = 0
    result = optimize(Scenario.model_validate(data),
                      ["call_center.agents", "parts.skus.part.policy"], start="current",
                      confirm_replications=12, seed=SEED, executor=SerialExecutor())
    levels = [e.values[1] for e in result.evaluations]
    assert min(levels) < 12  # the stock moved after the agents' turn ended
    fewer_agents = [e for e in result.evaluations if e.values[0] < erlang_c_optimum()]
    assert len(fewer_agents) == 1 and not fewer_agents[0].feasible
    assert fewer_agents[0].values[1] == 12  # tried once, before the stock moved
