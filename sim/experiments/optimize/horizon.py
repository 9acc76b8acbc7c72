"""The measured horizon's demand, events included, and the textbook models weighted over it.

This module owns how the optimizer's start (``sim.experiments.optimize.start``) sizes a decision
for the horizon a target is judged on rather than for a normal week. Every target is a share or
mean over the whole measured window, so a two-week heat wave in a thirteen-week horizon weighs
two thirteenths of its extra calls: sizing for the normal week leaves every target missed
(the search then climbs for dozens of evaluations), sizing for the peak week overshoots
everywhere else. Here each period of the window gets its own textbook answer and the answers
are weighted by that period's demand:

* agents: per hour of the week, the fewest agents whose Erlang C service level, weighted over
  the weeks of the horizon by each week's calls in that hour, reaches the target
  (``agents_for_weighted_service``);
* a crew that works a queue against a promise (technicians, the depot): a fluid model of the
  backlog hour by hour (work arrives at the expected rate, the crew clears its on-duty hours at
  the planning utilisation, first come first served), scaled until the share of work started
  within its promise reaches the target (``fluid_on_time_share``, ``fluid_scale``);
* stock: the smallest level whose Poisson fill rate, for the lead-time demand each hour of the
  window actually sees, weighted by that hour's demand, reaches the target
  (``weighted_base_stock_level``), and the same for van stock per refill period.

Without demand events every week is the same and the agents and stock answers are those of
the normal week (the textbook reductions are unchanged).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy.stats import poisson

from sim.scenario.base import ContactType
from sim.scenario.format import Scenario
from sim.scenario.workload import calls_per_hour
from sim.theory import queues as theory
from sim.theory import stock as theory_stock
from sim.units import HOURS_PER_DAY, HOURS_PER_WEEK

SCALE_LIMIT = 4.0
"""The fluid model's crew is scaled up to this many times its normal-week size, at most."""


def measured_hours(scenario: Scenario) -> slice:
    """The absolute hours of the measured window (after the warm-up, up to the horizon)."""
    start = math.floor(scenario.warmup_days * HOURS_PER_DAY)
    return slice(start, start + max(1, math.ceil(scenario.horizon_days * HOURS_PER_DAY)))


def run_hours(scenario: Scenario) -> int:
    """Hours from day 0 to the end of the longest run-out (the fluid backlog's room to clear)."""
    days = scenario.warmup_days + scenario.horizon_days + scenario.run_out_max_days
    return math.ceil(days * HOURS_PER_DAY) + HOURS_PER_WEEK


def contacts_by_hour(scenario: Scenario, kind: ContactType) -> np.ndarray:
    """Expected contacts of ``kind`` in each absolute hour of the run, demand events included."""
    return calls_per_hour(scenario.demand, scenario.call_center.hours, kind, run_hours(scenario),
                          scenario.first_weekday)


def hour_of_week(scenario: Scenario, hours: int) -> np.ndarray:
    """Hour-of-week index (0 = Monday 00:00) of each absolute hour 0..hours-1."""
    h = np.arange(hours)
    return ((h // HOURS_PER_DAY + scenario.first_weekday) % 7) * HOURS_PER_DAY + h % HOURS_PER_DAY


def agents_for_weighted_service(rates: np.ndarray, handle_minutes: float,
                                answer_target_seconds: float, target: float) -> int:
    """Fewest agents whose Erlang C service level, averaged over ``rates`` weighted by each
    rate's calls, reaches ``target``.

    Args:
        rates: Calls per hour in the hours that share one staffing (one hour of the week in
            every week of the horizon).
        handle_minutes: Mean handle time.
        answer_target_seconds: The service level's threshold.
        target: Required share answered within the threshold.

    Returns:
        The fewest agents (0 when no calls come).
    """
    values, counts = np.unique(np.round(rates[rates > 0], 9), return_counts=True)
    if values.size == 0:
        return 0
    weights = values * counts
    agents = 1
    while True:
        level = sum(w * theory.erlang_c_metrics(r, handle_minutes, agents,
                                                answer_target_seconds).service_level
                    for r, w in zip(values, weights, strict=True))
        if level >= target * weights.sum() - 1e-12:
            return agents
        agents += 1


def fluid_on_time_share(work: np.ndarray, capacity: np.ndarray, promise_hours: float,
                        window: slice) -> float:
    """Share of the work arriving in ``window`` whose start is within ``promise_hours``.

    Work arrives per hour (``work``, person-hours) and is served first come first served by
    ``capacity`` person-hours per hour; the backlog carries over. Work of hour h starts when
    the cumulative work done reaches the work that came before it (its hour's middle).
    """
    done = np.empty(work.size)
    backlog, total = 0.0, 0.0
    for h in range(work.size):
        served = min(backlog + work[h], capacity[h])
        backlog += work[h] - served
        total += served
        done[h] = total
    before = np.cumsum(work) - work / 2.0
    starts = np.searchsorted(done, before - 1e-9)  # the hour in which that work is reached
    waits = starts - np.arange(work.size)
    inside = work[window]
    if inside.sum() <= 0:
        return 1.0
    return float(inside[waits[window] <= promise_hours].sum() / inside.sum())


def fluid_scale(work: np.ndarray, fixed: np.ndarray, free: np.ndarray, promise_hours: float,
                window: slice, target: float) -> float:
    """Smallest factor k (at least 1, at most ``SCALE_LIMIT``) on the ``free`` capacity whose
    fluid on-time share, with capacity ``fixed + k * free``, reaches ``target``; 1 when the
    normal crew already does, ``SCALE_LIMIT`` when even that does not."""
    def share(k: float) -> float:
        return fluid_on_time_share(work, fixed + free * k, promise_hours, window)

    if share(1.0) >= target:
        return 1.0
    if share(SCALE_LIMIT) < target:
        return SCALE_LIMIT
    low, high = 1.0, SCALE_LIMIT
    while high - low > 0.005:
        mid = (low + high) / 2.0
        low, high = (low, mid) if share(mid) >= target else (mid, high)
    return high


def smallest_level(fill: Callable[[int], float], target: float, limit: int = 1_000_000) -> int:
    """Smallest whole level whose ``fill`` (non-decreasing in the level) reaches ``target``,
    by doubling then bisection (a level at or above ``limit`` when none below it does)."""
    low = 0
    if fill(low) >= target:
        return low
    high = 1
    while fill(high) < target and high < limit:
        low, high = high, 2 * high
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if fill(mid) >= target else (mid, high)
    return high


def weighted_base_stock_level(demand_per_hour: np.ndarray, lead_time_days: float,
                              window: slice, target: float) -> int:
    """Smallest base-stock level whose Poisson fill rate, weighted by demand over ``window``,
    reaches ``target``.

    A unit demanded at hour h is filled from stock when the demand of the lead time before it
    was below the level; with a time-varying rate that demand is Poisson with the rate's
    integral over (h - L, h].
    """
    lead = lead_time_days * HOURS_PER_DAY
    # before day 0 the first weeks repeat, so an early hour sees a whole lead time of demand
    weeks = math.ceil(lead / HOURS_PER_WEEK)
    rate = np.concatenate((np.resize(demand_per_hour[:weeks * HOURS_PER_WEEK],
                                     weeks * HOURS_PER_WEEK), demand_per_hour))
    offset = rate.size - demand_per_hour.size
    cumulative = np.concatenate(([0.0], np.cumsum(rate)))
    hours = np.arange(offset, rate.size)
    back = np.clip(hours + 1 - lead, 0, None)
    # the integral over (h+1-L, h+1], interpolated inside its first hour
    floor = np.floor(back).astype(int)
    at_back = cumulative[floor] + (back - floor) * rate[np.minimum(floor, rate.size - 1)]
    means = (cumulative[hours + 1] - at_back)[window]
    weights = demand_per_hour[window]
    if weights.sum() <= 0:
        return 0

    def fill(level: int) -> float:
        return float(np.sum(weights * poisson.cdf(level - 1, means)) / weights.sum())

    return smallest_level(fill, min(target, 0.999))


def weighted_van_level(need_per_period: np.ndarray, weights: np.ndarray, target: float) -> int:
    """Smallest van level whose periodic fill rate, weighted by each period's need, reaches
    ``target`` (``sim.theory.stock.periodic_van_stock`` per period)."""
    values, index = np.unique(np.round(need_per_period, 9), return_inverse=True)
    mass = np.bincount(index, weights=weights)
    if mass.sum() <= 0:
        return 0

    def fill(level: int) -> float:
        rates = [theory_stock.periodic_van_stock(float(v), level).fill_rate for v in values]
        return float(np.dot(rates, mass) / mass.sum())

    return smallest_level(fill, min(target, 0.999), limit=10_000)
