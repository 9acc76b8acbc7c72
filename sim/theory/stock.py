"""Analytic inventory formulas the simulation's parts are checked against.

This module owns the exactly solvable stock models: Poisson base-stock, the continuous-review
(r, Q) policy, and the smallest base-stock level for a fill-rate target (the optimizer's and the
fit's starting stock). Tests compare simulated parts KPIs to these. Every function is pure and
works on the Poisson cdf, with no sums over demand.

Common arguments:
    demand_per_day: Poisson unit-demand rate per day (>= 0).
    lead_time_days: Constant replenishment lead time in days (>= 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammainc
from scipy.stats import poisson


@dataclass(frozen=True, slots=True)
class BaseStockMetrics:
    """Inventory steady state: unit fill rate and time-average on-hand units and backorders."""

    fill_rate: float
    expected_on_hand: float
    expected_backorders: float


def check_nonneg(**values: float) -> None:
    """Raise ``ValueError`` naming the first argument that is negative or NaN (``sim.theory.queues``
    uses it too: it imports this module, so the check lives here)."""
    for name, value in values.items():
        if not value >= 0:  # also rejects nan
            raise ValueError(f"{name} must be >= 0, got {value}")


def _poisson_partial(levels: np.ndarray, mean: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fill rate P(D <= y-1), E[(y-D)^+] and E[(D-y)^+] for D ~ Poisson(mean), per level y.

    Uses E[(y-D)^+] = y*F(y) - mean*F(y-1) (from d*p(d) = mean*p(d-1)) and
    E[(D-y)^+] = E[(y-D)^+] - (y - mean), so no sums over demand are needed.
    """
    y = levels.astype(float)
    fill = poisson.cdf(y - 1, mean)
    on_hand = y * poisson.cdf(y, mean) - mean * fill  # also 0 for y <= 0 since F(y<0) = 0
    return fill, on_hand, on_hand - (y - mean)


def poisson_base_stock(
    demand_per_day: float, lead_time_days: float, level: int
) -> BaseStockMetrics:
    """Base-stock policy with Poisson unit demand and a constant lead time.

    With lead-time demand D ~ Poisson(demand*L): fill rate = P(D <= S-1), on hand = E[(S-D)^+],
    backorders = E[(D-S)^+] (Zipkin, *Foundations of Inventory Management*, §6.2).

    Args:
        demand_per_day, lead_time_days: see module docstring.
        level: Base-stock level S.

    Returns:
        The BaseStockMetrics.
    """
    check_nonneg(demand_per_day=demand_per_day, lead_time_days=lead_time_days)
    fill, on_hand, back = _poisson_partial(np.array([level]), demand_per_day * lead_time_days)
    return BaseStockMetrics(float(fill[0]), float(on_hand[0]), float(back[0]))


def poisson_rq(demand_per_day: float, lead_time_days: float, r: int, Q: int) -> BaseStockMetrics:
    """Continuous-review (r, Q) policy with Poisson unit demand and a constant lead time.

    The inventory position is uniform on r+1..r+Q in steady state, and the net inventory a lead
    time later is IP - D; every metric is therefore the base-stock metric averaged over
    S = r+1..r+Q (Hadley & Whitin 1963; Zipkin §6.4). Q = 1 is base stock with S = r+1.

    Args:
        demand_per_day, lead_time_days: see module docstring.
        r: Reorder point.
        Q: Order quantity >= 1.

    Returns:
        The BaseStockMetrics.
    """
    check_nonneg(demand_per_day=demand_per_day, lead_time_days=lead_time_days)
    if Q < 1:
        raise ValueError(f"Q must be >= 1, got {Q}")
    levels = np.arange(r + 1, r + Q + 1)
    fill, on_hand, back = _poisson_partial(levels, demand_per_day * lead_time_days)
    return BaseStockMetrics(float(fill.mean()), float(on_hand.mean()), float(back.mean()))


def base_stock_level_for_fill(
    demand_per_day: float, lead_time_days: float, fill_target: float
) -> int:
    """Smallest base-stock level S >= 0 with P(D <= S-1) >= fill_target, D ~ Poisson(d*L).

    Args:
        demand_per_day, lead_time_days: see module docstring.
        fill_target: Required fill rate in [0, 1].

    Returns:
        The minimal S.

    Raises:
        ValueError: if the target is outside [0, 1] or unattainable (1.0 with positive demand).
    """
    check_nonneg(demand_per_day=demand_per_day, lead_time_days=lead_time_days)
    if not 0.0 <= fill_target <= 1.0:
        raise ValueError(f"fill_target must be in [0, 1], got {fill_target}")
    mean = demand_per_day * lead_time_days
    if fill_target <= 0.0:
        return 0
    if mean == 0:
        return 1
    if fill_target >= 1.0:
        raise ValueError("a fill rate of 1 needs infinite stock under Poisson demand")
    level = int(poisson.ppf(fill_target, mean)) + 1
    # ppf works on floating cdf values; nudge so the answer is exactly minimal
    while poisson.cdf(level - 1, mean) < fill_target:
        level += 1
    while level > 0 and poisson.cdf(level - 2, mean) >= fill_target:
        level -= 1
    return level


def periodic_van_stock(demand_per_period: float, level: int) -> BaseStockMetrics:
    """A van refilled up to ``level`` at the start of every period, from an infinite store, for
    Poisson need of mean ``demand_per_period`` spread evenly over the period; a need the van
    cannot meet is met elsewhere (it does not wait for the van).

    The van meets min(D, S) of the period's D needs, so the unit fill rate is
    E[min(D, S)] / E[D] = (S - E[(S - D)^+]) / E[D]. Its units at time t of the period are
    (S - N(t))^+ with N(t) ~ Poisson(lambda t), and
    the integral over t in [0, 1] of P(N(t) = k) is P(Gamma(k + 1) <= lambda) / lambda, so the
    time-average on-hand is the sum over k < S of (S - k) P(Gamma(k + 1) <= lambda) / lambda.
    ``expected_backorders`` is 0 (nothing waits for a van).
    """
    check_nonneg(demand_per_period=demand_per_period, level=level)
    if demand_per_period == 0:
        return BaseStockMetrics(1.0, float(level), 0.0)
    k = np.arange(level)
    short = float(np.sum((level - k) * poisson.pmf(k, demand_per_period)))
    fill = (level - short) / demand_per_period
    on_hand = float(np.sum((level - k) * gammainc(k + 1, demand_per_period))) / demand_per_period
    return BaseStockMetrics(fill, on_hand, 0.0)
