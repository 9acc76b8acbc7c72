"""What binds: every crew's utilisation and every stock's fill rate over a window of a run, ranked.

This module owns ``bottlenecks``: for the whole horizon or a window of days (``sim.experiments.
windows``), each crew's utilisation (agents, specialists, field and depot technicians: their
utilisation KPIs, from the run's ledger) and each SKU's fill rate (from the daily counts of part
requests and requests met from stock, ``part_requests_<sku>`` and ``from_stock_<sku>``), with
95% t-intervals over the replications, which of them bind, and which missed targets each one
drives. It runs nothing: the numbers are the run's.

Rules:
- a crew *binds* when its mean utilisation is at least ``BUSY`` (85%): past that, waits grow
  steeply with every extra job (Erlang C: with 40 servers the mean wait doubles between 85% and
  92% busy), so more work turns into queues rather than output;
- a stock *binds* when its mean fill rate is below the scenario's ``fill_rate`` target (95%
  without one): jobs wait for that part;
- crews are ranked busiest first, stocks lowest fill rate first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.experiments.replicate import RunResult
from sim.experiments.windows import WindowSummary
from sim.measure.stats import TargetJudgement, summarize

BUSY = 0.85
DEFAULT_FILL_TARGET = 0.95
REQUESTS_PREFIX = "part_requests_"
FROM_STOCK_PREFIX = "from_stock_"
# Crew -> (its utilisation KPI, the targets its capacity drives, in reading order).
CREWS: dict[str, tuple[str, tuple[str, ...]]] = {
    "agents": ("agent_utilization", ("service_level", "abandon_rate", "asa_seconds",
                                     "response_seconds_p90", "calls_blocked_rate",
                                     "followup_on_time_rate")),
    "specialists": ("specialist_utilization", ("escalation_wait_minutes", "hold_abandon_rate")),
    "technicians": ("technician_utilization", ("repair_on_time_rate", "dispatch_wait_hours",
                                               "repair_turnaround_hours")),
    "depot": ("depot_utilization", ("repair_on_time_rate", "repair_turnaround_hours")),
}
STOCK_DRIVES: tuple[str, ...] = ("fill_rate", "part_wait_hours", "repair_on_time_rate")
COLUMNS = ("kind", "resource", "kpi", "mean", "ci_low", "ci_high", "n", "threshold", "binding",
           "drives")
"""One row per crew or SKU: ``kind`` (``crew`` or ``stock``), ``resource`` (the crew's key or
the SKU), ``kpi`` (``<crew>_utilization`` or ``fill_rate``), mean and 95% interval over the
replications, ``threshold`` (where it binds), ``binding``, and ``drives``: the targets it drives
that the window does not meet with confidence (``;``-separated; for a stock, only when it
binds)."""


@dataclass(frozen=True)
class Bottlenecks:
    """The crews and stocks of a run over some days, ranked.

    Attributes:
        first_day: First day judged.
        last_day: Last day judged.
        table: ``COLUMNS``: crews busiest first, then SKUs lowest fill rate first.
    """

    first_day: int
    last_day: int
    table: pd.DataFrame

    @property
    def binding(self) -> pd.DataFrame:
        """The rows that bind, in rank order."""
        return self.table[self.table["binding"].astype(bool)]


def _not_met(kpis: Sequence[str], targets: Mapping[str, TargetJudgement]) -> str:
    return ";".join(k for k in kpis if k in targets and targets[k].status != "met")


def sku_fill_rates(daily: pd.DataFrame, first_day: int, last_day: int) -> pd.DataFrame:
    """Each SKU's fill rate per replication over days ``first_day..last_day``: requests met
    from stock at once / requests made in those days (NaN without a request).

    Returns:
        ``rep`` and one column per SKU (named by the SKU), in the daily table's order.
    """
    days = daily[(daily["day"] >= first_day) & (daily["day"] <= last_day)]
    skus = [c.removeprefix(REQUESTS_PREFIX) for c in daily.columns
            if c.startswith(REQUESTS_PREFIX)]
    sums = days.groupby("rep", sort=True)[
        [f"{p}{s}" for s in skus for p in (REQUESTS_PREFIX, FROM_STOCK_PREFIX)]].sum()
    out = pd.DataFrame({"rep": sums.index.to_numpy()})
    for sku in skus:
        asked = sums[f"{REQUESTS_PREFIX}{sku}"].to_numpy(float)
        met = sums[f"{FROM_STOCK_PREFIX}{sku}"].to_numpy(float)
        out[sku] = [m / a if a > 0 else math.nan for m, a in zip(met, asked, strict=True)]
    return out


def bottlenecks(result: RunResult, window: WindowSummary | None = None) -> Bottlenecks:
    """Every crew's utilisation and every SKU's fill rate over the window (default: the whole
    horizon), ranked, with what binds (see the module's rules).

    Args:
        result: The run.
        window: ``window_summary(result, first, last)``, or None for the whole horizon.
    """
    days = result.ledger.days
    first, last = (int(days[0]), int(days[-1])) if window is None else (window.first_day,
                                                                         window.last_day)
    summary = (result.summary if window is None else window.summary).set_index("kpi") \
        .to_dict("index")
    targets = result.targets if window is None else window.targets
    crews: list[dict[str, Any]] = []
    for crew, (kpi, drives) in CREWS.items():
        row = summary.get(kpi)
        if row is None or int(row["n"]) == 0 or math.isnan(float(row["mean"])):
            continue  # the scenario has no such crew
        crews.append({"kind": "crew", "resource": crew, "kpi": kpi, "mean": float(row["mean"]),
                      "ci_low": float(row["ci_low"]), "ci_high": float(row["ci_high"]),
                      "n": int(row["n"]), "threshold": BUSY,
                      "binding": float(row["mean"]) >= BUSY, "drives": _not_met(drives, targets)})
    crews.sort(key=lambda r: -r["mean"])
    stocks: list[dict[str, Any]] = []
    fill_target = float(result.scenario.targets.get("fill_rate", DEFAULT_FILL_TARGET))
    has_stock = any(c.startswith(REQUESTS_PREFIX) for c in result.daily.columns)
    rates = sku_fill_rates(result.daily, first, last) if has_stock else pd.DataFrame()
    skus = [c for c in rates.columns if c != "rep"]
    if skus:
        per_sku = summarize(rates, skus, bounds=dict.fromkeys(skus, (0.0, 1.0))) \
            .set_index("kpi").to_dict("index")
        for sku in skus:
            row = per_sku[sku]
            if int(row["n"]) == 0:
                continue  # nobody asked for this part in the window
            binding = float(row["mean"]) < fill_target
            # A SKU that does not bind is not why the parts targets miss: name them at the ones
            # that do.
            stocks.append({"kind": "stock", "resource": sku, "kpi": "fill_rate",
                           "mean": float(row["mean"]), "ci_low": float(row["ci_low"]),
                           "ci_high": float(row["ci_high"]), "n": int(row["n"]),
                           "threshold": fill_target, "binding": binding,
                           "drives": _not_met(STOCK_DRIVES, targets) if binding else ""})
    stocks.sort(key=lambda r: r["mean"])
    return Bottlenecks(first, last, pd.DataFrame([*crews, *stocks], columns=list(COLUMNS)))
