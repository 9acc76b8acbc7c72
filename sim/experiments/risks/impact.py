"""A risk's impact and the register's ranking: pure functions of per-replication outcomes, so
every rule is checkable on numbers written by hand.

This module owns the outcome of one run per replication (``outcomes``: total cost, revenue and
the breach days of each target), a risk's impact per replication against the base run on the same
seeds (``impact_parts``), and the register table (``register_table``): impact with its 95%
interval, expected yearly impact = likelihood x impact, the rank, and for a response its paired
effect on the impact and whether it pays for itself.

Rules:
- a *breach day* of a target is a measured day whose value (that replication's, from the ledger
  by day) is on the wrong side of the target; days without a value do not count;
- a risk's *impact* per occurrence = extra cost (total_cost, shocked - base) + lost revenue
  (repair revenue, base - shocked; 0 without a revenue section) + for each target with a
  ``breach_day_cost``, that cost x the extra breach days; computed per replication (the runs
  share seeds) and summarised with a t-interval;
- *expected yearly impact* = likelihood_per_year x impact (its interval scales alike); the
  register is ranked by it, ties by extra breach days;
- a response's *reduction* per replication = impact without it - impact with it, where the
  impact with it compares the shocked and the base run both with the response in place; its
  *yearly saving* = likelihood x reduction; it *pays for itself* when the yearly saving's mean
  is larger than its cost per year (``response_pays``), and surely so when the saving's whole
  interval is (``response_pays_surely``); the gain is significant when the reduction's
  interval lies above 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.measure.catalog import KPI_BY_NAME
from sim.measure.stats import t_interval

BREACH = "breach."
"""Prefix of the breach-day columns of an outcome table: ``breach.<target>``."""


@dataclass(frozen=True, slots=True)
class RiskInfo:
    """What the register table says about a risk besides its numbers."""

    name: str
    category: str
    likelihood_per_year: float
    shock: str
    response: str = ""
    response_cost_per_year: float = math.nan


def breach_days(daily: pd.DataFrame, targets: Mapping[str, float]) -> pd.DataFrame:
    """Per replication, the days on the wrong side of each target.

    Args:
        daily: Rows ``rep``, ``day`` and one column per targeted KPI (its value that day).
        targets: KPI -> threshold; the direction is the KPI's.

    Returns:
        ``rep`` and ``breach.<target>`` per target, as floats.
    """
    out = pd.DataFrame({"rep": np.sort(daily["rep"].unique())})
    for kpi, target in targets.items():
        values = daily[kpi].to_numpy(float)
        wrong = (values < target) if KPI_BY_NAME[kpi].direction == "at_least" \
            else (values > target)  # NaN compares False: no value, no breach
        counts = pd.Series(wrong.astype(float)).groupby(daily["rep"].to_numpy()).sum()
        out[f"{BREACH}{kpi}"] = counts.reindex(out["rep"]).to_numpy(float)
    return out


def outcomes(replications: pd.DataFrame, daily: pd.DataFrame, targets: Mapping[str, float]
             ) -> pd.DataFrame:
    """One run's outcome per replication: ``rep``, ``total_cost``, ``revenue`` (0 when not
    modelled) and ``breach.<target>``."""
    own = replications[["rep", "total_cost"]].assign(
        revenue=replications["revenue"].fillna(0.0) if "revenue" in replications else 0.0)
    return own.merge(breach_days(daily, targets), on="rep", validate="one_to_one")


def impact_parts(shocked: pd.DataFrame, base: pd.DataFrame,
                 breach_day_cost: Mapping[str, float]) -> pd.DataFrame:
    """A risk's impact per replication against the base run on the same seeds.

    Args:
        shocked: ``outcomes`` of the shocked run.
        base: ``outcomes`` of the base run (same replications).
        breach_day_cost: Target -> money per breach day.

    Returns:
        ``rep``, ``extra_cost``, ``lost_revenue``, ``breach_days`` (summed over targets),
        ``breach_cost``, ``breach.<target>`` (extra breach days) and ``impact``.
    """
    s, b = shocked.set_index("rep"), base.set_index("rep")
    reps = b.index.intersection(s.index)
    s, b = s.loc[reps], b.loc[reps]
    breach_cols = [c for c in b.columns if c.startswith(BREACH)]
    extra = {c: (s[c] - b[c]).to_numpy(float) for c in breach_cols}
    breach_cost = np.zeros(len(reps))
    for kpi, cost in breach_day_cost.items():
        breach_cost = breach_cost + cost * extra[f"{BREACH}{kpi}"]
    out = pd.DataFrame({
        "rep": reps.to_numpy(),
        "extra_cost": (s["total_cost"] - b["total_cost"]).to_numpy(float),
        "lost_revenue": (b["revenue"] - s["revenue"]).to_numpy(float),
        "breach_days": np.sum(list(extra.values()), axis=0) if extra else np.zeros(len(reps)),
        "breach_cost": breach_cost,
        **extra})
    out["impact"] = out["extra_cost"] + out["lost_revenue"] + out["breach_cost"]
    return out


def _ci(values: np.ndarray, prefix: str) -> dict[str, float]:
    iv = t_interval(values)
    return {prefix: iv.mean, f"{prefix}_ci_low": iv.ci_low, f"{prefix}_ci_high": iv.ci_high}


def register_table(risks: Sequence[RiskInfo], impacts: Mapping[str, pd.DataFrame],
                   with_response: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The register: one row per risk, ranked by expected yearly impact.

    Args:
        risks: The risks, in file order.
        impacts: Risk name -> ``impact_parts`` of its shock against the base.
        with_response: Risk name -> ``impact_parts`` with the response in place (both runs),
            for the risks that have a response.

    Returns:
        Columns ``rank``, ``risk``, ``category``, ``likelihood_per_year``, ``impact`` (with
        ``_ci_low``/``_ci_high``), ``expected_yearly_impact`` (and its interval),
        ``extra_cost``, ``lost_revenue``, ``breach_cost``, ``breach_days`` (each with its
        interval), ``shock``, then the response columns (empty without one) and the extra breach
        days per target (``breach.<target>``, means).
    """
    rows = []
    for info in risks:
        parts = impacts[info.name]
        impact = parts["impact"].to_numpy(float)
        row: dict[str, object] = {"risk": info.name, "category": info.category,
                                  "likelihood_per_year": info.likelihood_per_year}
        row |= _ci(impact, "impact")
        row |= _ci(info.likelihood_per_year * impact, "expected_yearly_impact")
        for column in ("extra_cost", "lost_revenue", "breach_cost", "breach_days"):
            row |= _ci(parts[column].to_numpy(float), column)
        row |= {"shock": info.shock, "response": info.response,
                "response_cost_per_year": info.response_cost_per_year}
        row |= _response(info, parts, with_response.get(info.name))
        row |= {c: float(parts[c].mean()) for c in parts.columns if c.startswith(BREACH)}
        rows.append(row)
    table = pd.DataFrame(rows)
    table = table.sort_values(["expected_yearly_impact", "breach_days"], ascending=False,
                              kind="stable", na_position="last")
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table.reset_index(drop=True)


RESPONSE_COLUMNS = ("response_reduction", "response_reduction_ci_low",
                    "response_reduction_ci_high", "response_gain_significant",
                    "response_yearly_saving", "response_yearly_saving_ci_low",
                    "response_yearly_saving_ci_high", "response_net_per_year", "response_pays",
                    "response_pays_surely")


def _response(info: RiskInfo, parts: pd.DataFrame, responded: pd.DataFrame | None
              ) -> dict[str, object]:
    if responded is None:
        return dict.fromkeys(RESPONSE_COLUMNS, None)
    pair = parts.set_index("rep")["impact"]
    other = responded.set_index("rep")["impact"].reindex(pair.index)
    reduction = (pair - other).to_numpy(float)
    reduced = _ci(reduction, "response_reduction")
    saving = _ci(info.likelihood_per_year * reduction, "response_yearly_saving")
    out: dict[str, object] = {**reduced, **saving}
    out["response_gain_significant"] = bool(reduced["response_reduction_ci_low"] > 0)
    cost = info.response_cost_per_year
    out["response_net_per_year"] = float(saving["response_yearly_saving"]) - cost
    out["response_pays"] = bool(saving["response_yearly_saving"] > cost)
    out["response_pays_surely"] = bool(saving["response_yearly_saving_ci_low"] > cost)
    return out
