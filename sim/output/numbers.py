"""KPI values for people: units, formats and the KPI table with targets.

This module owns how the explorer and the budget pack write a KPI: its unit (from the KPI
catalogue), a value, an interval and a target in that unit, and the table of every KPI with its
mean, 95% CI and target verdict, read from a run (`RunView`; nothing is recomputed). No Streamlit.
"""

from __future__ import annotations

import math

import pandas as pd

from sim.i18n.formats import SYMBOL_CURRENCIES, money
from sim.measure.catalog import KPI_BY_NAME
from sim.output.run_view import RunView

KPI_COLUMNS = ("kpi", "unit", "mean", "ci_low", "ci_high", "n", "target", "direction", "status")
HEADLINE_KPIS = ("service_level", "asa_seconds", "abandon_rate", "agent_utilization",
                 "repair_on_time_rate", "fill_rate", "csat_mean", "total_cost", "cost_per_repair",
                 "operating_margin")



def kpi_unit(kpi: str) -> str:
    """The KPI's unit from the catalogue; rates and utilisations outside it are shares."""
    info = KPI_BY_NAME.get(kpi)
    if info is not None:
        return info.unit
    return "share" if kpi.endswith(("_rate", "_utilization")) else ""


def format_value(value: float, unit: str, currency: str) -> str:
    """A KPI value with its unit, e.g. ``94.8%``, ``12.3 s``, ``1,050,078 EUR``; nan is n/a."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if unit == "share":
        return f"{value:.1%}"
    if unit == "currency":
        return money(value, currency)
    if unit in ("s", "min", "h"):
        return f"{value:,.1f} {unit}"
    if unit.startswith("score"):
        return f"{value:.2f}"
    return f"{value:,.0f} {unit}".strip()


def format_interval(low: float, high: float, unit: str, currency: str) -> str:
    """A confidence interval with the unit once, e.g. ``93.9–94.9%`` or ``2.3–2.9 s``; with a
    negative end, ``-317,877 to -269,743 EUR`` (a dash between two minus signs reads as one)."""
    if any(v is None or math.isnan(v) for v in (low, high)):
        return "n/a"
    sep = " to " if low < 0 or high < 0 else "–"
    if unit == "share":
        return f"{low * 100:.1f}{sep}{high * 100:.1f}%"
    if unit == "currency" and currency in SYMBOL_CURRENCIES:
        return f"{money(low, currency)}{sep}{money(high, currency)}"
    if unit == "currency":
        return f"{low:,.0f}{sep}{high:,.0f} {currency}"
    if unit in ("s", "min", "h"):
        return f"{low:,.1f}{sep}{high:,.1f} {unit}"
    if unit.startswith("score"):
        return f"{low:.2f}{sep}{high:.2f}"
    return f"{low:,.0f}{sep}{high:,.0f} {unit}".strip()


def format_difference(value: float, unit: str, currency: str) -> str:
    """A signed difference in the KPI's unit; a difference of shares in percentage points
    (``+1.2 pp``: 80% to 81.2% is +1.2 pp, not +1.2%)."""
    if value is None or math.isnan(value):
        return "n/a"
    if unit == "share":
        return f"{value * 100:+.1f} pp"
    text = format_value(value, unit, currency)
    return text if text.startswith("-") else f"+{text}"


def format_target(target: float, direction: str, unit: str, currency: str) -> str:
    """A target as ``≥ 80.0%`` or ``≤ 5.0%``."""
    return f"{'≥' if direction == 'at_least' else '≤'} {format_value(target, unit, currency)}"


def kpi_table(result: RunView) -> pd.DataFrame:
    """Every KPI with its mean, 95% CI, n and, where set, its target and verdict.

    Returns:
        Columns `KPI_COLUMNS`; `target`, `direction` and `status` are empty without a target.
    """
    rows = []
    for row in result.summary.to_dict("records"):
        kpi = str(row["kpi"])
        judged = result.targets.get(kpi)
        rows.append({"kpi": kpi, "unit": kpi_unit(kpi), "mean": row["mean"],
                     "ci_low": row["ci_low"], "ci_high": row["ci_high"], "n": int(row["n"]),
                     "target": judged.target if judged else math.nan,
                     "direction": judged.direction if judged else "",
                     "status": judged.status if judged else ""})
    return pd.DataFrame(rows, columns=list(KPI_COLUMNS))


def headline_kpis(result: RunView) -> list[str]:
    """The KPIs for the explorer's cards: every targeted one, then the usual headline ones."""
    means = result.summary.set_index("kpi")["mean"]
    chosen = [k for k in (*result.targets, *HEADLINE_KPIS)
              if k in means.index and not math.isnan(float(means[k]))]
    return list(dict.fromkeys(chosen))
