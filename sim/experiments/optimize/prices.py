"""The price of a target: what each step of service costs.

This module owns ``price_targets``: after ``optimize`` has found the cheapest decision meeting
every target, each target in turn is moved one step tighter (``target_step``: 0.02 for a share,
0.1 for a 1-5 score, 5% of the target otherwise) and the problem is solved again from the chosen
decision; the extra cost per step is the paired difference of the two decisions' total cost on
the same seeds (their confirmation runs), so a budget proposal can say what each point of service
costs. A tightened target that no decision in the bounds meets is reported as such.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import pandas as pd

from sim.experiments.executors import Executor
from sim.experiments.optimize.evaluate import Evaluation
from sim.experiments.optimize.solve import OptimizeResult, optimize
from sim.experiments.store import Store
from sim.measure.catalog import KPI_BY_NAME
from sim.measure.stats import paired_difference
from sim.scenario.format import Scenario

SHARE_STEP = 0.02
SCORE_STEP = 0.1
RELATIVE_STEP = 0.05
COLUMNS = ("target", "direction", "from", "to", "step", "cost_before", "cost_after",
           "extra_cost", "extra_cost_ci_low", "extra_cost_ci_high", "extra_cost_per_point",
           "feasible", "decision_changes")


def target_step(kpi: str, target: float) -> float:
    """One step of a target: 0.02 for a share (0.90 -> 0.92), 0.1 for a score, else 5%."""
    unit = KPI_BY_NAME[kpi].unit
    if unit == "share":
        return SHARE_STEP
    if unit.startswith("score"):
        return SCORE_STEP
    return RELATIVE_STEP * abs(target) or 1.0


def tightened(kpi: str, target: float, step: float) -> float:
    """The target one step harder to meet, kept within the KPI's bounds."""
    info = KPI_BY_NAME[kpi]
    low, high = info.bounds
    moved = target + step if info.direction == "at_least" else target - step
    return min(max(moved, low), high)


def price_targets(result: OptimizeResult, decide: Sequence[str], *,
                  bounds: dict[str, tuple[int, int]] | None = None,
                  executor: Executor | None = None, max_evaluations: int = 200,
                  on_evaluation: Callable[[Evaluation], None] | None = None,
                  steps: dict[str, float] | None = None, store: Store | None = None
                  ) -> pd.DataFrame:
    """Re-solve with each target moved one step tighter; the extra cost per step.

    Args:
        result: The optimisation with every target as set.
        decide: Its ``--decide`` paths.
        bounds: Its bounds.
        executor: Where replications run.
        max_evaluations: Budget of evaluations per re-solve.
        on_evaluation: Called after each evaluation (for a log).
        steps: KPI -> step, replacing ``target_step``.
        store: Replications kept from the first solve: targets change no replication, so the
            re-solves read back every decision already run (``replication_digest``).

    Returns:
        Columns ``COLUMNS``, one row per target: ``extra_cost`` is the paired mean difference
        of total cost (tightened minus as set) with its 95% interval, ``extra_cost_per_point``
        the extra cost per 0.01 of a share (per unit otherwise), ``decision_changes`` the
        variables that moved.
    """
    base = result.scenario
    before = result.best
    rows = []
    for kpi, target in base.targets.items():
        step = (steps or {}).get(kpi, target_step(kpi, target))
        moved = tightened(kpi, target, step)
        scenario = Scenario.model_validate(
            base.model_dump(mode="json") | {"targets": base.targets | {kpi: moved}})
        again = optimize(scenario, decide, bounds=bounds,
                         replications=result.search_replications,
                         confirm_replications=before.replications, seed=result.seed,
                         executor=executor, start="current", max_evaluations=max_evaluations,
                         on_evaluation=on_evaluation, store=store,
                         cost_tolerance=result.cost_tolerance)
        after = again.best
        a = before.result.replications.sort_values("rep")["total_cost"].to_numpy(float)
        b = after.result.replications.sort_values("rep")["total_cost"].to_numpy(float)
        pair = paired_difference(a, b) if len(a) == len(b) else None
        changes = {path: value for path, value in again.decision().items()
                   if result.decision().get(path) != value}
        per = 100.0 if KPI_BY_NAME[kpi].unit == "share" else 1.0
        moved_by = abs(moved - target) * per
        extra = pair.diff if pair is not None else after.cost - before.cost
        rows.append({
            "target": kpi, "direction": KPI_BY_NAME[kpi].direction, "from": target, "to": moved,
            "step": step, "cost_before": before.cost, "cost_after": after.cost,
            "extra_cost": extra,
            "extra_cost_ci_low": pair.diff_ci_low if pair is not None else math.nan,
            "extra_cost_ci_high": pair.diff_ci_high if pair is not None else math.nan,
            "extra_cost_per_point": extra / moved_by if moved_by else math.nan,
            "feasible": again.feasible,
            "decision_changes": "; ".join(f"{p}={v}" for p, v in changes.items())})
    return pd.DataFrame(rows, columns=list(COLUMNS))
