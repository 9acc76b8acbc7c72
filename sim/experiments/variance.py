"""Budget against actual: each line's actual amount of a month against the simulated budget's
95% interval for it.

This module owns ``ACTUAL_COLUMNS`` (``month``, ``line``, ``amount``: what the company's books
give) and ``budget_variance``: per actual row, the simulated mean and interval, the variance
(actual - mean, and as a share of the mean) and whether the actual lies outside the interval
(``outside``; ``over`` or ``under``). Lines and months must be those of ``budget.csv``; checking
that, with located messages, is the reader's job (``sim.cli.budget``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

ACTUAL_COLUMNS: tuple[str, ...] = ("month", "line", "amount")
VARIANCE_COLUMNS: tuple[str, ...] = (
    "month", "line", "budget", "actual", "simulated_mean", "ci_low", "ci_high", "variance",
    "variance_share", "outside", "side")


def budget_variance(budget: pd.DataFrame, actual: pd.DataFrame) -> pd.DataFrame:
    """The variance of each actual line against the simulated budget.

    Args:
        budget: Rows of ``budget.csv`` (``month``, ``department``, ``budget``, ``mean``,
            ``ci_low``, ``ci_high``).
        actual: ``month``, ``line``, ``amount``; every (month, line) in ``budget``.

    Returns:
        Columns ``VARIANCE_COLUMNS``, one row per actual row in its order: ``outside`` is True
        when the actual is below ``ci_low`` or above ``ci_high``, ``side`` says which (``over``
        or ``under``, empty inside); a line whose interval has no width (a fixed finance line)
        is outside whenever the actual differs from it.
    """
    cells = {(str(c["month"]), str(c["department"])): c for c in budget.to_dict("records")}
    rows = []
    for r in actual.to_dict("records"):
        cell = cells[(str(r["month"]), str(r["line"]))]
        mean, low, high = (float(cell["mean"]), float(cell["ci_low"]), float(cell["ci_high"]))
        if math.isnan(low):  # one replication: no interval, the mean alone
            low = high = mean
        amount = float(r["amount"])
        side = "over" if amount > high else "under" if amount < low else ""
        rows.append({"month": str(r["month"]), "line": str(r["line"]),
                     "budget": str(cell["budget"]), "actual": amount, "simulated_mean": mean,
                     "ci_low": low, "ci_high": high, "variance": amount - mean,
                     "variance_share": (amount - mean) / abs(mean) if mean else np.nan,
                     "outside": bool(side), "side": side})
    return pd.DataFrame(rows, columns=list(VARIANCE_COLUMNS))
