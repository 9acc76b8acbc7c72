"""How a KPI's per-day parts combine over any set of days: the combination kinds.

A formula (``sim.measure.registry.kpi``) measures its KPI as *parts* per cohort (per day of the
ledger, per week of a company's logs, per hour of the week...): the parts of several days add up,
and the KPI of any set of days is its kind's ``finish`` of their sums. This module owns the kinds:

- ``SUM``: counts and money, one part (``sum``): the value is the sum;
- ``RATIO``: shares, means and time-weighted ratios, two parts (``num``, ``den``): the value is
  num / den, NaN when den is 0 (no calls, no jobs, a crew never staffed);
- ``Quantile``: a quantile of values, parts are counts on fixed ``Bins``: the value is the
  quantile of the pooled histogram (error bound in ``Bins``);
- ``DERIVED``: a KPI defined from other KPIs (its view is ``Row``): no parts, computed from its
  parents' combined values.

Every kind's parts are summed over days, so combining is one addition per part and one
``finish``; ``sim.measure.ledger`` does it for the horizon, a window, a month or each day alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal, cast

import numpy as np

Layout = Literal["columns", "bins", "none"]


@dataclass(frozen=True, slots=True)
class Sum:
    """Counts and money: the value over days is the sum of the days' values."""

    parts: ClassVar[tuple[str, ...]] = ("sum",)
    layout: ClassVar[Layout] = "columns"

    def columns(self, produced: object, cohorts: int) -> np.ndarray:
        """The formula's output (one value per cohort) as a (cohorts x 1) array."""
        out = np.asarray(produced, dtype=float)
        _check(out.shape == (cohorts,), "one value per cohort", out.shape)
        return out[:, None]

    def finish(self, summed: np.ndarray) -> np.ndarray:
        """(groups x 1) sums -> values."""
        return summed[:, 0].copy()


@dataclass(frozen=True, slots=True)
class Ratio:
    """Shares, means and time-weighted ratios: numerator and denominator add up over days."""

    parts: ClassVar[tuple[str, ...]] = ("num", "den")
    layout: ClassVar[Layout] = "columns"

    def columns(self, produced: object, cohorts: int) -> np.ndarray:
        """The formula's ``(num, den)`` (each one value per cohort) as (cohorts x 2)."""
        num, den = cast(tuple[np.ndarray, np.ndarray], produced)
        out = np.column_stack((np.asarray(num, dtype=float), np.asarray(den, dtype=float)))
        _check(out.shape == (cohorts, 2), "(numerator, denominator) per cohort", out.shape)
        return out

    def finish(self, summed: np.ndarray) -> np.ndarray:
        """(groups x 2) sums -> num / den, NaN where den is 0."""
        num, den = summed[:, 0], summed[:, 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


@dataclass(frozen=True, slots=True, eq=False)
class Bins:
    """Fixed histogram bins for a quantile of values from 0 up: one bin for 0 itself (a call
    answered at once), then bins ``step`` wide up to ``linear_top``, then each ``ratio`` times as
    wide as the last up to ``top``, then one open bin above ``top``. Bins are closed on the right:
    (a, b].

    A quantile from these counts takes each order statistic at the middle of its bin (0 for the
    first), so it is within ``step / 2 + (ratio - 1) / 2`` x the exact quantile of the same values
    (``bound``) for quantiles up to ``top``; one above ``top`` is reported as ``top``.
    """

    step: float
    linear_top: float
    ratio: float
    top: float
    edges: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        linear = np.arange(0.0, self.linear_top, self.step)
        n = int(np.ceil(np.log(self.top / self.linear_top) / np.log(self.ratio)))
        geometric = self.linear_top * self.ratio ** np.arange(n + 1)
        object.__setattr__(self, "edges", np.concatenate((linear, geometric)))

    @property
    def count(self) -> int:
        """Number of bins: the one for 0, those between edges and the open one above the last."""
        return len(self.edges) + 1

    def of(self, values: np.ndarray) -> np.ndarray:
        """The bin of each value (0 and below in the first)."""
        return np.searchsorted(self.edges, values, side="left")

    def histogram(self, cohort: np.ndarray, cohorts: int, values: np.ndarray) -> np.ndarray:
        """(cohorts x bins) counts of ``values`` by the cohort of each (-1: left out)."""
        keep = cohort >= 0
        flat = cohort[keep] * self.count + self.of(values[keep])
        # Counts as they come (int64): a float copy of a year's days x bins would be a second
        # dense array as large, at the ledger's peak.
        return np.bincount(flat, minlength=cohorts * self.count).reshape(cohorts, self.count)

    def mids(self) -> np.ndarray:
        """The value a bin stands for: its middle (the first: 0; the open bin: its lower
        edge)."""
        return np.concatenate(([self.edges[0]], (self.edges[:-1] + self.edges[1:]) / 2.0,
                               [self.edges[-1]]))

    def bound(self, exact: float) -> float:
        """The largest error of a quantile whose exact value is ``exact`` (below ``top``)."""
        return self.step / 2.0 + (self.ratio - 1.0) / 2.0 * abs(exact)


@dataclass(frozen=True, slots=True)
class Quantile:
    """A quantile of values (waits...): per-day counts on fixed ``bins``, pooled over days.

    The value follows ``numpy.quantile``'s default (linear) definition, with each order
    statistic replaced by the middle of its bin: within ``bins.bound`` of the exact value.
    """

    q: float
    bins: Bins
    parts: ClassVar[tuple[str, ...]] = ()  # counts per bin, in ``Ledger.bins``
    layout: ClassVar[Layout] = "bins"

    def columns(self, produced: object, cohorts: int) -> np.ndarray:
        """The formula's (cohorts x bins) counts, checked (integers or floats, as given)."""
        out = np.asarray(produced)
        _check(out.shape == (cohorts, self.bins.count), "counts per cohort and bin", out.shape)
        return out

    def finish(self, summed: np.ndarray) -> np.ndarray:
        """(groups x bins) counts -> the quantile of each group (NaN for an empty group)."""
        cumulative = np.cumsum(summed, axis=1)
        n = cumulative[:, -1] if summed.shape[1] else np.zeros(len(summed))
        h = np.maximum(n - 1.0, 0.0) * self.q
        below = np.floor(h)
        mids = self.bins.mids()
        # The k-th order statistic (0-based) is in the first bin whose cumulative count > k.
        low = mids[np.minimum((cumulative <= below[:, None]).sum(axis=1), len(mids) - 1)]
        above = np.minimum(below + 1.0, np.maximum(n - 1.0, 0.0))
        high = mids[np.minimum((cumulative <= above[:, None]).sum(axis=1), len(mids) - 1)]
        return np.where(n > 0, low + (h - below) * (high - low), np.nan)


@dataclass(frozen=True, slots=True)
class Derived:
    """A KPI defined from other KPIs: no parts of its own."""

    parts: ClassVar[tuple[str, ...]] = ()
    layout: ClassVar[Layout] = "none"


Kind = Sum | Ratio | Quantile | Derived
SUM = Sum()
RATIO = Ratio()
DERIVED = Derived()


def _check(ok: bool, expected: str, shape: tuple[int, ...]) -> None:
    if not ok:
        raise ValueError(f"a formula must give {expected}, got an array of shape {shape}")
