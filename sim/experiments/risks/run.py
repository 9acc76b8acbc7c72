"""Running a risk register: the base, each risk's shocked run and, for a response, both with the
response in place, all on the same seeds, then the impacts and the register table.

This module owns ``run_register`` and ``RegisterResult``; the rules are
``sim.experiments.risks.impact``, the file ``sim.experiments.risks.register``, the results folder
``sim.output.risks``. Breach days come from each run's ledger by day
(``sim.experiments.stress.series.run_daily``), so a target has the horizon's definition.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sim.experiments.executors import Executor
from sim.experiments.replicate import Progress, RunResult, replicate_many
from sim.experiments.risks.impact import (
    BREACH,
    RiskInfo,
    impact_parts,
    outcomes,
    register_table,
)
from sim.experiments.risks.register import RegisterPlan
from sim.experiments.stress.series import run_daily
from sim.experiments.stress.shocks import AnyShock, CompoundShock, apply_shock
from sim.measure.stats import t_interval
from sim.scenario.format import Scenario


@dataclass(frozen=True)
class RegisterResult:
    """A register run: the plan, every scenario and run by label, and the tables.

    Attributes:
        base_run: The base company's run (its folder files are the register folder's).
        scenarios: Label -> scenario: ``<risk>``, ``<risk>+response`` and ``response:<risk>``.
        table: ``risk_register.csv`` (``sim.experiments.risks.impact.register_table``).
        breaches: ``risk_breaches.csv``: per risk and target, the extra breach days with their
            95% interval, the base's breach days and, with a response, the extra breach days
            with it in place.
    """

    plan: RegisterPlan
    base_run: RunResult
    scenarios: dict[str, Scenario]
    runs: dict[str, RunResult]
    table: pd.DataFrame
    breaches: pd.DataFrame
    seed: int
    replications: int


def describe(shock: AnyShock) -> str:
    """A shock in a few words for tables: type and window, members of a compound."""
    if isinstance(shock, CompoundShock):
        return " + ".join(describe(m) for m in shock.together)
    start, end = shock.window()
    return f"{shock.type} days {start:g}-{end:g}"


def run_register(plan: RegisterPlan, replications: int | None = None, seed: int | None = None,
                 executor: Executor | None = None, progress: Progress | None = None
                 ) -> RegisterResult:
    """Run the base, every risk and every response on the same seeds; build the register.

    Args:
        plan: From ``load_register``.
        replications: Per scenario (default: the plan's, else the base's).
        seed: Root seed (default: the plan's, else the base's).
        executor: Where replications run.
        progress: Called with (done, total) replications.
    """
    base = plan.base
    reps = replications or plan.replications or base.replications
    root = next(s for s in (seed, plan.seed, base.seed) if s is not None)
    scenarios: dict[str, Scenario] = {}
    for risk in plan.risks:
        scenarios[risk.name] = apply_shock(base, risk.shock)
        if risk.response_base is not None:
            scenarios[f"response:{risk.name}"] = risk.response_base
            scenarios[f"{risk.name}+response"] = apply_shock(risk.response_base, risk.shock)
    runs_list = replicate_many([base, *scenarios.values()], reps, root, executor=executor,
                               progress=progress)
    runs = dict(zip(["base", *scenarios], runs_list, strict=True))
    targets = base.targets

    def outcome(label: str) -> pd.DataFrame:
        run = runs[label]
        return outcomes(run.replications, run_daily(run, list(targets)), targets)

    base_outcome = outcome("base")
    impacts, responded, infos = {}, {}, []
    for risk in plan.risks:
        impacts[risk.name] = impact_parts(outcome(risk.name), base_outcome, plan.breach_day_cost)
        response = risk.risk.response
        if response is not None:
            responded[risk.name] = impact_parts(outcome(f"{risk.name}+response"),
                                                outcome(f"response:{risk.name}"),
                                                plan.breach_day_cost)
        infos.append(RiskInfo(risk.name, risk.risk.category, risk.risk.likelihood_per_year,
                              describe(risk.shock),
                              response.description or "response" if response else "",
                              response.cost_per_year if response else float("nan")))
    table = register_table(infos, impacts, responded)
    return RegisterResult(plan, runs["base"], scenarios, runs, table,
                          breach_table(plan, base_outcome, impacts, responded), root, reps)


def breach_table(plan: RegisterPlan, base_outcome: pd.DataFrame,
                 impacts: dict[str, pd.DataFrame], responded: dict[str, pd.DataFrame]
                 ) -> pd.DataFrame:
    """Per risk and target: extra breach days (mean, 95% CI), the base's, with the response."""
    rows = []
    for risk in plan.risks:
        for kpi in plan.base.targets:
            column = f"{BREACH}{kpi}"
            iv = t_interval(impacts[risk.name][column].to_numpy(float))
            with_response = responded.get(risk.name)
            rows.append({
                "risk": risk.name, "target": kpi, "breach_days": iv.mean,
                "breach_days_ci_low": iv.ci_low, "breach_days_ci_high": iv.ci_high,
                "base_breach_days": float(base_outcome[column].mean()),
                "breach_days_with_response": (float(with_response[column].mean())
                                              if with_response is not None else None),
                "breach_day_cost": plan.breach_day_cost.get(kpi, 0.0)})
    return pd.DataFrame(rows)
