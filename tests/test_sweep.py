"""Sweeps: grid expansion, the experiment file, common random numbers, the results folder
contract, feasibility verdicts, resume after an interruption, and bad input.

The scenario is a tiny call center (two days, a few hundred calls) so that a whole sweep runs in
well under a second per point.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

import sim.experiments.replicate
from sim.cli import main
from sim.cli import sweep as cli_sweep
from sim.experiments.design import Factor, load_experiment
from sim.experiments.replicate import Progress
from sim.experiments.sweep import (
    cheapest_feasible,
    expand_points,
    meets_targets,
    missed_everywhere,
    run_sweep,
)
from sim.explorer.figures import frontier_figure
from sim.output.folder import is_finished
from sim.output.store import ReplicationStore
from sim.scenario.loader import load_scenario_text
from sim.scenario.problems import ScenarioError

BASE = """\
name: tiny
replications: 4
warmup_days: 0.5
horizon_days: 2
demand:
  contacts_per_day: 400
  mix: {inquiry: 1.0}
call_center:
  agents: 3
  handle_minutes: {inquiry: {dist: exponential, mean: 6}}
  patience_minutes: {dist: exponential, mean: 4}
costs: {agent_per_hour: 20}
targets: {service_level: 0.6, abandon_rate: 0.1}
"""

EXPERIMENT = """\
# Which number of agents meets the targets at the lowest cost?
base: ../scenarios/tiny.yaml
factors:
  - {key: call_center.agents, from: 2, to: 5, step: 1}
replications: 4
seed: 11
"""


def factor(key: str, **kwargs: object) -> Factor:
    return Factor.model_validate({"key": key, **kwargs})


@pytest.fixture
def base_file(tmp_path: Path) -> Path:
    path = tmp_path / "scenarios" / "tiny.yaml"
    path.parent.mkdir()
    path.write_text(BASE)
    return path


@pytest.fixture
def experiment_file(tmp_path: Path, base_file: Path) -> Path:
    path = tmp_path / "experiments" / "agents.yaml"
    path.parent.mkdir()
    path.write_text(EXPERIMENT)
    return path


# --------------------------------------------------------------------------- grid expansion


def test_range_is_exact_in_decimal() -> None:
    grid = factor("demand.contacts_per_day", **{"from": 0.1, "to": 0.5, "step": 0.1}).grid()
    assert grid == (0.1, 0.2, 0.3, 0.4, 0.5)  # no 0.30000000000000004, last value kept
    long = factor("x", **{"from": 0, "to": 1, "step": 0.1}).grid()
    assert len(long) == 11 and long[3] == 0.3 and long[7] == 0.7 and long[-1] == 1.0
    assert factor("x", **{"from": 1.5, "to": 2.5, "step": 0.25}).grid() == (1.5, 1.75, 2.0,
                                                                                2.25, 2.5)


def test_integer_range_gives_integers_and_stops_before_to() -> None:
    grid = factor("field_service.technicians.0.count", **{"from": 20, "to": 60, "step": 4}).grid()
    assert grid == tuple(range(20, 61, 4)) and all(type(v) is int for v in grid)
    assert factor("x", **{"from": 20, "to": 31, "step": 4}).grid() == (20, 24, 28)
    assert factor("x", values=[3, 1, "fifo"]).grid() == (3, 1, "fifo")


@pytest.mark.parametrize(("spec", "message"), [
    ({"values": [1], "step": 1}, "not both"),
    ({"from": 1, "to": 2}, "all of `from`, `to` and `step`"),
    ({"from": 1, "to": 2, "step": 0}, "step must be greater than 0"),
    ({"from": 3, "to": 2, "step": 1}, "below `from`"),
    ({"values": [1, 1]}, "appears twice"),
    ({"from": 0, "to": 1e6, "step": 1}, "more than 1000"),
])
def test_bad_factors_are_refused(spec: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        factor("call_center.agents", **spec)


def test_full_grid_in_order_with_validated_scenarios() -> None:
    base = load_scenario_text(BASE)
    points = expand_points(base, [factor("call_center.agents", values=[3, 4]),
                                  factor("call_center.patience_minutes.mean", values=[2.0, 4.0,
                                                                                      8.0])])
    assert [p.id for p in points] == ["p01", "p02", "p03", "p04", "p05", "p06"]
    assert [tuple(p.values.values()) for p in points] == [
        (3, 2.0), (3, 4.0), (3, 8.0), (4, 2.0), (4, 4.0), (4, 8.0)]
    for p in points:
        assert p.scenario.call_center.agents == p.values["call_center.agents"]
        patience = p.scenario.call_center.patience_minutes
        assert patience is not None and patience.mean_value() == p.values[
            "call_center.patience_minutes.mean"]
        assert p.scenario.name == f"tiny.{p.id}"


def test_bad_value_names_the_point_and_factor() -> None:
    base = load_scenario_text(BASE)
    with pytest.raises(ScenarioError) as err:
        expand_points(base, [factor("call_center.agents", values=[3, -1])])
    text = str(err.value)
    assert "point p02" in text and "call_center.agents" in text and "at least 0" in text
    assert "p01" not in text


# --------------------------------------------------------------------------- experiment file


def test_base_path_is_relative_to_the_experiment_file(
        experiment_file: Path, base_file: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the working directory must not matter
    experiment = load_experiment(experiment_file)
    assert experiment.base.resolve() == base_file.resolve()
    assert experiment.name == "agents"  # default: the file name
    points = expand_points(experiment)
    assert [p.values["call_center.agents"] for p in points] == [2, 3, 4, 5]


# --------------------------------------------------------------------------- runs and verdicts


def test_common_random_numbers_across_points() -> None:
    base = load_scenario_text(BASE)
    # `description` does not change the model: p01/p02 and p03/p04 are the same system, run
    # separately (they are different scenarios), so their KPIs must agree exactly.
    result = run_sweep(base, [factor("call_center.agents", values=[3, 4]),
                              factor("description", values=["a", "b"])],
                       replications=3, seed=5, workers=1)
    table = result.table
    seeds = table.pivot(index="rep", columns="point", values="seed")
    assert (seeds.nunique(axis=1) == 1).all(), "every point must use the same seeds"
    kpis = [c for c in table.columns if c not in ("point", "call_center.agents", "description",
                                                  "rep", "seed")]
    by_point = {p: g[kpis].reset_index(drop=True) for p, g in table.groupby("point")}
    pd.testing.assert_frame_equal(by_point["p01"], by_point["p02"])
    pd.testing.assert_frame_equal(by_point["p03"], by_point["p04"])
    assert not by_point["p01"]["service_level"].equals(by_point["p03"]["service_level"])


def test_meets_targets_uses_the_ci_bound_on_the_right_side() -> None:
    def summary(sl: tuple[float, float], ab: tuple[float, float]) -> pd.DataFrame:
        return pd.DataFrame({"kpi": ["service_level", "abandon_rate"],
                             "ci_low": [sl[0], ab[0]], "ci_high": [sl[1], ab[1]]})

    targets = {"service_level": 0.8, "abandon_rate": 0.05}
    assert meets_targets(summary((0.80, 0.90), (0.01, 0.05)), targets)  # touching counts
    assert not meets_targets(summary((0.79, 0.95), (0.01, 0.04)), targets)  # mean ok, CI not
    assert not meets_targets(summary((0.85, 0.90), (0.03, 0.051)), targets)
    assert not meets_targets(summary((math.nan, math.nan), (0.01, 0.02)), targets)  # n < 2
    assert not meets_targets(summary((0.9, 0.95), (0.01, 0.02)), {"fill_rate": 0.9})  # no KPI
    assert meets_targets(summary((0.0, 0.1), (0.5, 0.6)), {})  # nothing to meet


def test_cheapest_feasible_point() -> None:
    overview = pd.DataFrame({"point": ["p01", "p02", "p03", "p04"],
                             "total_cost": [100.0, 300.0, 200.0, 250.0],
                             "meets_targets": [False, True, True, True]})
    assert cheapest_feasible(overview) == "p03"
    assert cheapest_feasible(overview.assign(meets_targets=False)) is None


def test_sweep_finds_the_cheapest_point_meeting_targets() -> None:
    base = load_scenario_text(BASE)
    result = run_sweep(base, [factor("call_center.agents", **{"from": 1, "to": 5, "step": 1})],
                       replications=4, seed=3, workers=1)
    overview = result.overview.set_index("point")
    feasible = overview[overview["meets_targets"]]
    assert not feasible.empty and not overview["meets_targets"].all()
    assert result.cheapest_feasible == feasible["total_cost"].idxmin()
    # meets_targets is the point's verdict, repeated on each of its rows
    verdicts = result.summary.groupby("point")["meets_targets"].agg(["min", "max"])
    assert (verdicts["min"] == verdicts["max"]).all()
    assert dict(verdicts["min"]) == dict(overview["meets_targets"])


def test_missed_everywhere_tells_a_lever_that_moves_a_target_from_one_that_does_not() -> None:
    """Agents move the service level even when no point reaches its target; the agents' hourly
    cost cannot move it at all. The terminal table says which is which."""
    base = load_scenario_text(BASE, overrides=["targets.service_level=0.99"])
    agents = run_sweep(base, [factor("call_center.agents", **{"from": 2, "to": 4, "step": 1})],
                       replications=4, seed=3, workers=1)
    assert agents.cheapest_feasible is None
    (missed,) = [m for m in missed_everywhere(agents) if m.kpi == "service_level"]
    assert missed.moves and missed.lowest < missed.highest < 0.99
    assert "missed at every point: service_level" in cli_sweep.overview_table(agents)
    assert "widen the range" in cli_sweep.overview_table(agents)
    costs = run_sweep(base, [factor("costs.agent_per_hour", **{"from": 20, "to": 30,
                                                               "step": 5})],
                      replications=4, seed=3, workers=1)
    found = {m.kpi: m for m in missed_everywhere(costs)}
    assert not found["service_level"].moves  # same seeds, same calls: identical every point
    assert found["service_level"].lowest == found["service_level"].highest
    assert "another lever drives it" in cli_sweep.overview_table(costs)


# --------------------------------------------------------------------------- the CLI


def run_cli(*argv: str | Path) -> int:
    return main([str(a) for a in argv])


def test_cli_writes_the_contract_folder(experiment_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_cli("sweep", experiment_file, "--out", out, "--workers", "1", "--quiet") == 0
    assert is_finished(out)
    summary = pd.read_csv(out / "sweep_summary.csv")
    contract = ["point", "call_center.agents", "kpi", "mean", "ci_low", "ci_high", "n",
                "meets_targets"]
    assert list(summary.columns[:len(contract)]) == contract
    assert summary.groupby("point")["meets_targets"].nunique().eq(1).all()
    tidy = pd.read_csv(out / "sweep.csv")
    assert len(tidy) == 4 * 4 and list(tidy.columns[:4]) == ["point", "call_center.agents",
                                                               "rep", "seed"]
    assert sorted(p.name for p in (out / "points").iterdir()) == [
        f"p0{i}.yaml" for i in range(1, 5)]
    charts = {p.name for p in (out / "charts").iterdir()}
    assert {"service_level.png", "abandon_rate.svg", "total_cost.png"} <= charts
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 11 and manifest["replications"] == 4
    assert "sweep_summary.csv" in manifest["files"]
    assert not cli_sweep.store_folder(out).exists()  # removed after success
    # the resolved experiment in the folder reruns the same sweep
    again = tmp_path / "again"
    assert run_cli("sweep", out / "experiment.yaml", "--out", again, "--workers", "1",
                   "--quiet") == 0
    assert (again / "sweep.csv").read_bytes() == (out / "sweep.csv").read_bytes()


def test_cli_vary_on_a_scenario(base_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "vary"
    assert run_cli("sweep", base_file, "--vary", "call_center.agents=2:4:2", "--vary",
                   "call_center.patience_minutes.mean=2.5,5", "--reps", "2", "--out", out,
                   "--workers", "1", "--quiet", "--kpi", "asa_seconds", "--keep-store") == 0
    summary = pd.read_csv(out / "sweep_summary.csv")
    assert sorted(set(zip(summary["call_center.agents"],
                          summary["call_center.patience_minutes.mean"], strict=True))) == [
        (2, 2.5), (2, 5.0), (4, 2.5), (4, 5.0)]
    assert {p.stem for p in (out / "charts").iterdir()} == {"asa_seconds"}
    assert len(list(cli_sweep.store_folder(out).iterdir())) == 4 * 2  # --keep-store


def test_parse_vary_forms() -> None:
    assert cli_sweep.parse_vary("a.b=20:32:2").grid() == (20, 22, 24, 26, 28, 30, 32)
    assert cli_sweep.parse_vary("a.b=0.1:0.3:0.1").grid() == (0.1, 0.2, 0.3)
    assert cli_sweep.parse_vary("a.rule=fifo,earliest_due").grid() == ("fifo", "earliest_due")
    assert cli_sweep.parse_vary("a.d=[{dist: exponential, mean: 2}, 3]").grid() == (
        {"dist": "exponential", "mean": 2}, 3)
    for bad in ("a.b", "a.b=", "a b=1,2", "a.b=5:1:1"):
        with pytest.raises(ScenarioError, match="--vary"):
            cli_sweep.parse_vary(bad)


def test_resume_after_interruption_gives_the_same_results(
        experiment_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole, resumed = tmp_path / "whole", tmp_path / "resumed"
    assert run_cli("sweep", experiment_file, "--out", whole, "--workers", "1", "--quiet") == 0

    @contextmanager
    def killing_bar(total: int, desc: str, quiet: bool) -> Iterator[Progress]:
        def update(done: int, new_total: int) -> None:
            if done >= 6:  # 6 of 16 replications are kept when the "kill" comes
                raise KeyboardInterrupt

        yield update

    monkeypatch.setattr(cli_sweep, "progress_bar", killing_bar)
    assert run_cli("sweep", experiment_file, "--out", resumed, "--workers", "1") == 130
    assert not resumed.exists()
    store = cli_sweep.store_folder(resumed)
    assert len(list(store.iterdir())) == 6
    monkeypatch.undo()

    ran: list[int] = []
    original: Callable[..., object] = sim.experiments.replicate.run_replication

    def counting(*args: object) -> object:
        ran.append(1)
        return original(*args)

    monkeypatch.setattr(sim.experiments.replicate, "run_replication", counting)
    assert run_cli("sweep", experiment_file, "--out", resumed, "--workers", "1", "--quiet",
                   "--resume") == 0
    assert len(ran) == 16 - 6, "finished replications must not be redone"
    assert (resumed / "sweep.csv").read_bytes() == (whole / "sweep.csv").read_bytes()
    assert (resumed / "sweep_summary.csv").read_bytes() == \
        (whole / "sweep_summary.csv").read_bytes()
    assert not store.exists()


def test_store_keeps_replications_of_a_library_run(tmp_path: Path) -> None:
    base = load_scenario_text(BASE)
    store = ReplicationStore(tmp_path / "store")
    run_sweep(base, [factor("call_center.agents", values=[3, 4])], 2, 1, workers=1, store=store)
    assert len(list((tmp_path / "store").iterdir())) == 4


BAD_EXPERIMENTS = {
    "unknown key": ("base: ../scenarios/tiny.yaml\nfactors: [{key: call_center.agents, "
                    "values: [3]}]\nreplicatons: 3\n", ":3: replicatons: unknown key"),
    "missing base": ("base: ../scenarios/nope.yaml\nfactors: [{key: call_center.agents, "
                     "values: [3]}]\n", ":1: base: no such scenario file"),
    "bad factor path": ("base: ../scenarios/tiny.yaml\nfactors:\n  - {key: call_center.agentz, "
                        "values: [3]}\n", ":3: factors.0: point p01"),
    "bad factor value": ("base: ../scenarios/tiny.yaml\nfactors:\n  - {key: call_center.agents,"
                         " values: [3, -1]}\n", ":3: factors.0: point p02"),
    "bad range": ("base: ../scenarios/tiny.yaml\nfactors:\n  - {key: x.y, from: 1, to: 2}\n",
                  ":3: factors.0: needs"),
}


@pytest.mark.parametrize("case", list(BAD_EXPERIMENTS))
def test_cli_bad_experiment_exits_2_and_writes_nothing(
        case: str, base_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text, expected = BAD_EXPERIMENTS[case]
    path = tmp_path / "experiments" / "bad.yaml"
    path.parent.mkdir()
    path.write_text(text)
    out = tmp_path / "results" / "bad"
    assert run_cli("sweep", path, "--out", out, "--workers", "1", "--quiet") == 2
    assert f"{path}{expected}" in capsys.readouterr().err
    assert not out.parent.exists(), "bad input must not create any folder"


@pytest.mark.parametrize("path", sorted((Path(__file__).parent.parent / "scenarios"
                                         / "experiments").glob("*.yaml")), ids=lambda p: p.stem)
def test_example_experiments_are_valid(path: Path) -> None:
    experiment = load_experiment(path)
    assert experiment.kpis and experiment.replications
    assert len(expand_points(experiment)) > 1


def test_the_frontier_draws_its_target_and_whole_whiskers() -> None:
    """The cost chart once listed a target line it did not draw and cut whiskers at the frame:
    the axis now spans every interval and the target."""
    rows = []
    for point, value, (mean, low, high) in (("p01", 3, (0.20, 0.10, 0.30)),
                                            ("p02", 4, (0.30, 0.05, 0.55))):
        rows += [{"point": point, "techs": value, "kpi": "repair_on_time_rate", "mean": mean,
                  "ci_low": low, "ci_high": high, "meets_targets": False},
                 {"point": point, "techs": value, "kpi": "total_cost", "mean": 1e5 * value,
                  "ci_low": 0.9e5 * value, "ci_high": 1.1e5 * value, "meets_targets": False}]
    fig = frontier_figure(pd.DataFrame(rows), "techs", None, "s", "EUR",
                          x_kpi="repair_on_time_rate", target=0.9, factor_label="Technicians")
    ax = fig.axes[0]
    low, high = ax.get_xlim()
    assert low <= 0.05 and high >= 0.9
    assert "Repairs on time" in fig.get_suptitle() and "Technicians" in fig.texts[-1].get_text()
