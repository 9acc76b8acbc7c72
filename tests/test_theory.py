"""Checks of sim.theory.queues against independent computations: direct sums, limits, matrix
exponentials and a Monte Carlo of the M/M/c+M queue (analytic checks under the rule of
``tests/theory_level.py``)."""

from __future__ import annotations

import functools
import heapq
import math

import numpy as np
import pytest
import theory_level
from scipy.linalg import expm
from scipy.special import gammaln, logsumexp
from scipy.stats import poisson

from sim.theory import queues as theory
from sim.theory import stock as theory_stock

# --------------------------------------------------------------------------- independent helpers


def direct_erlang_b(c: int, a: float) -> float:
    terms = [a**k / math.factorial(k) for k in range(c + 1)]
    return terms[-1] / sum(terms)


def direct_erlang_c(c: int, a: float) -> float:
    tail = a**c / math.factorial(c) * c / (c - a)
    return tail / (sum(a**k / math.factorial(k) for k in range(c)) + tail)


def log_space_erlang_c(c: int, a: float) -> float:
    """Erlang C via log-sum-exp of the textbook sum; independent of the recursion."""
    k = np.arange(c)
    log_terms = k * math.log(a) - gammaln(k + 1)
    log_tail = c * math.log(a) - gammaln(c + 1) + math.log(c / (c - a))
    return math.exp(log_tail - logsumexp(np.append(log_terms, log_tail)))


def simulate_erlang_a(
    lam: float, mu: float, theta: float, c: int, t: float, customers: int,
    seed: np.random.SeedSequence,
) -> tuple[float, float, float]:
    """FCFS M/M/c+M by the Kiefer–Wolfowitz server-free-time recursion.

    Under FCFS a caller's offered wait depends only on earlier callers, so it starts at
    max(arrival, earliest free server) if that wait is within its patience; abandoners never
    touch a server. Returns (abandon rate, service level over offered, mean wait of answered
    in seconds).
    """
    rng = np.random.Generator(np.random.PCG64(seed))
    arrivals = np.cumsum(rng.exponential(1 / lam, customers)).tolist()
    services = rng.exponential(1 / mu, customers).tolist()
    patience = rng.exponential(1 / theta, customers).tolist()
    free = [0.0] * c
    warm = customers // 20
    abandoned = within = answered = 0
    wait_sum = 0.0
    for i in range(customers):
        arrival = arrivals[i]
        start = max(arrival, free[0])
        wait = start - arrival
        if wait > patience[i]:
            abandoned += i >= warm
            continue
        heapq.heapreplace(free, start + services[i])
        if i >= warm:
            answered += 1
            within += wait <= t
            wait_sum += wait
    offered = customers - warm
    return abandoned / offered, within / offered, wait_sum / answered


# --------------------------------------------------------------------------- Erlang B / C


@pytest.mark.parametrize(("c", "a"), [(1, 0.5), (3, 2.0), (10, 8.5), (25, 30.0), (40, 12.0)])
def test_erlang_b_matches_direct_sum(c: int, a: float) -> None:
    assert theory.erlang_b(c, a) == pytest.approx(direct_erlang_b(c, a), rel=1e-12)


def test_erlang_b_edge_cases() -> None:
    assert theory.erlang_b(0, 3.0) == 1.0
    assert theory.erlang_b(5, 0.0) == 0.0
    assert theory.erlang_b(1, 2.0) == pytest.approx(2.0 / 3.0)


@pytest.mark.parametrize("rho", [0.1, 0.5, 0.93])
def test_erlang_c_single_server_is_rho(rho: float) -> None:
    assert theory.erlang_c(1, rho) == pytest.approx(rho, rel=1e-12)


@pytest.mark.parametrize(("c", "a"), [(2, 1.0), (5, 4.2), (12, 10.0), (30, 29.0)])
def test_erlang_c_matches_direct_formula(c: int, a: float) -> None:
    assert theory.erlang_c(c, a) == pytest.approx(direct_erlang_c(c, a), rel=1e-10)
    assert theory.erlang_c(2, 1.0) == pytest.approx(1.0 / 3.0)


def test_erlang_c_stable_for_500_servers() -> None:
    for a in (300.0, 480.0, 499.5):
        value = theory.erlang_c(500, a)
        assert 0.0 < value < 1.0
        assert value == pytest.approx(log_space_erlang_c(500, a), rel=1e-9)
    assert theory.erlang_c(500, 500.0) == 1.0
    assert theory.erlang_c(500, 650.0) == 1.0


def test_erlang_c_metrics_textbook_case() -> None:
    # 100 calls/h, 3 min AHT -> 5 Erlangs on 7 agents, 20 s target, recomputed from scratch
    m = theory.erlang_c_metrics(100.0, 3.0, 7, 20.0)
    c_prob = direct_erlang_c(7, 5.0)
    gap = (7 - 5.0) / 180.0  # (c*mu - lambda) per second
    assert m.prob_wait == pytest.approx(c_prob, rel=1e-10)
    assert m.service_level == pytest.approx(1 - c_prob * math.exp(-gap * 20.0), rel=1e-10)
    assert m.asa_seconds == pytest.approx(c_prob / gap, rel=1e-10)
    assert m.utilization == pytest.approx(5.0 / 7.0)
    # at the p90 the wait survival function equals 0.1
    assert c_prob * math.exp(-gap * m.wait_p90_seconds) == pytest.approx(0.1, rel=1e-10)


def test_erlang_c_metrics_mm1_and_limits() -> None:
    m = theory.erlang_c_metrics(10.0, 3.0, 1, 0.0)  # rho = 0.5: SL(t=0) = 1 - rho
    assert m.service_level == pytest.approx(0.5)
    assert m.asa_seconds == pytest.approx(0.5 / (1 / 180 - 10 / 3600))
    quiet = theory.erlang_c_metrics(5.0, 3.0, 4, 20.0)
    assert quiet.prob_wait <= 0.1 and quiet.wait_p90_seconds == 0.0
    unstable = theory.erlang_c_metrics(200.0, 3.0, 10, 20.0)
    assert (unstable.service_level, unstable.asa_seconds, unstable.utilization) == (
        0.0,
        math.inf,
        1.0,
    )


def test_agents_needed_is_minimal() -> None:
    c = theory.erlang_c_agents_needed(400.0, 4.0, 20.0, 0.8)
    sl = theory.erlang_c_metrics(400.0, 4.0, c, 20.0).service_level
    below = theory.erlang_c_metrics(400.0, 4.0, c - 1, 20.0).service_level
    assert sl >= 0.8 > below
    assert c > 400 * 4 / 60  # must be stable
    assert theory.erlang_c_agents_needed(0.0, 4.0, 20.0, 0.8) == 0
    with pytest.raises(ValueError):
        theory.erlang_c_agents_needed(6000.0, 4.0, 20.0, 0.8, max_servers=100)


# --------------------------------------------------------------------------- Erlang A


def test_erlang_a_tiny_abandonment_equals_erlang_c() -> None:
    a = theory.erlang_a_metrics(180.0, 3.0, 1e7, 10, 20.0)
    c = theory.erlang_c_metrics(180.0, 3.0, 10, 20.0)
    assert a.abandon_rate < 1e-6
    assert a.service_level == pytest.approx(c.service_level, abs=1e-6)
    assert a.asa_seconds_answered == pytest.approx(c.asa_seconds, rel=1e-5)
    assert a.prob_wait == pytest.approx(c.prob_wait, abs=1e-6)
    exact = theory.erlang_a_metrics(180.0, 3.0, math.inf, 10, 20.0)
    assert exact.service_level == c.service_level and exact.abandon_rate == 0.0


def test_erlang_a_instant_abandonment_is_erlang_b_loss() -> None:
    a = theory.erlang_a_metrics(180.0, 3.0, 1e-6, 10, 20.0)
    blocking = direct_erlang_b(10, 9.0)
    assert a.abandon_rate == pytest.approx(blocking, rel=1e-4)
    assert a.service_level == pytest.approx(1 - blocking, rel=1e-4)
    assert a.asa_seconds_answered < 1e-3


def test_erlang_a_flow_balance() -> None:
    # answered calls (1 - abandon) must equal busy servers * mu: two independent sums over pi
    lam, mu = 300 / 3600, 1 / 240
    m = theory.erlang_a_metrics(300.0, 4.0, 1.5, 19, 30.0)
    assert lam * (1 - m.abandon_rate) == pytest.approx(m.utilization * 19 * mu, rel=1e-10)


def test_erlang_a_service_level_matches_matrix_exponential() -> None:
    """Independent SL: stationary pi by products, position process by expm of its generator."""
    lam, mu, theta, c, t = 0.05, 1 / 180, 1 / 90, 8, 25.0
    size = 400
    death = [min(n, c) * mu + max(n - c, 0) * theta for n in range(1, size)]
    pi = np.concatenate(([1.0], np.cumprod([lam / d for d in death])))
    pi /= pi.sum()
    kmax = size - c
    # states 0 = answered (absorbing), 1..kmax = queue position; own abandonment leaks mass
    gen = np.zeros((kmax + 1, kmax + 1))
    for j in range(1, kmax + 1):
        gen[j, j - 1] = c * mu + (j - 1) * theta
        gen[j, j] = -(c * mu + j * theta)
    answered_by_t = expm(gen * t)[1:, 0]
    expected = pi[:c].sum() + pi[c:] @ answered_by_t
    m = theory.erlang_a_metrics(lam * 3600, 3.0, 1.5, c, t)
    assert m.service_level == pytest.approx(expected, abs=1e-9)


# The M/M/c+M Monte Carlo: (calls per hour, mean patience minutes, c, target seconds) per run of
# tests/theory_level.py; moderate load, and overloaded with heavy abandonment. 20 independent
# replications of 10 000 callers each, the first 500 of each a warm-up.
MONTE_CARLO = {
    "mc_erlang_a-c10-pat2": (180.0, 2.0, 10, 20.0),
    "mc_erlang_a-c3-pat1": (80.0, 1.0, 3, 15.0),
}


@functools.cache
def monte_carlo_erlang_a(run: str) -> dict[str, np.ndarray]:
    """Per-replication abandon rate, service level and ASA of the run's queue (3-minute talks)."""
    per_hour, patience_min, c, t = MONTE_CARLO[run]
    lam, mu, theta = per_hour / 3600, 1 / 180, 1 / (60 * patience_min)
    children = np.random.SeedSequence(theory_level.seed(run)).spawn(20)
    rows = np.array([simulate_erlang_a(lam, mu, theta, c, t, 10_000, child)
                     for child in children])
    return {"abandon_rate": rows[:, 0], "service_level": rows[:, 1], "asa_seconds": rows[:, 2]}


def test_the_monte_carlo_runs_are_registered() -> None:
    assert list(MONTE_CARLO) == theory_level.runs("mc_erlang_a")


@pytest.mark.parametrize(("run", "kpi"), theory_level.params("mc_erlang_a"))
def test_erlang_a_matches_monte_carlo(run: str, kpi: str) -> None:
    """The formulas against an independent simulation (not the model): a wrong state space or
    a patience clock started at the wrong moment moves these by far more than the interval."""
    per_hour, patience_min, c, t = MONTE_CARLO[run]
    m = theory.erlang_a_metrics(per_hour, 3.0, patience_min, c, t)
    expected = {"abandon_rate": m.abandon_rate, "service_level": m.service_level,
                "asa_seconds": m.asa_seconds_answered}[kpi]
    theory_level.assert_mean(run, kpi, monte_carlo_erlang_a(run)[kpi], expected)


def test_erlang_a_large_and_overloaded() -> None:
    big = theory.erlang_a_metrics(9000.0, 3.0, 3.0, 460, 20.0)
    assert 0.0 <= big.abandon_rate < 0.05 and 0.5 < big.service_level <= 1.0
    # overloaded: served throughput is capped at c*mu, the rest must abandon
    over = theory.erlang_a_metrics(400.0, 3.0, 1.0, 10, 20.0)
    assert over.abandon_rate == pytest.approx(1 - 10 / 20, abs=0.02)
    assert over.utilization == pytest.approx(1.0, abs=0.02)


# --------------------------------------------------------------------------- M/M/c/K


@pytest.mark.parametrize("c", [1, 4, 20])
def test_mmck_with_no_waiting_room_is_erlang_b(c: int) -> None:
    assert theory.mmck_blocking(300.0, 3.0, c, c) == pytest.approx(
        direct_erlang_b(c, 15.0), rel=1e-10
    )


def test_mmck_single_server_closed_form_and_large_k_limit() -> None:
    rho, k = 0.8, 6  # M/M/1/K: P_K = (1-rho) rho^K / (1 - rho^(K+1))
    expected = (1 - rho) * rho**k / (1 - rho ** (k + 1))
    assert theory.mmck_blocking(16.0, 3.0, 1, k) == pytest.approx(expected, rel=1e-12)
    m = theory.mmck_metrics(100.0, 3.0, 7, 400)  # huge waiting room -> Erlang C
    assert m.blocking < 1e-12
    assert m.mean_wait_seconds == pytest.approx(
        theory.erlang_c_metrics(100.0, 3.0, 7, 20.0).asa_seconds, rel=1e-9
    )
    assert m.utilization == pytest.approx(5 / 7)


@pytest.mark.parametrize(("per_hour", "c", "k"), [(42.5, 5, 8), (140.0, 14, 20)])
def test_mmck_metrics_blocking_is_mmck_blocking(per_hour: float, c: int, k: int) -> None:
    """The two entry points agree on the M/M/c/K cases the full model is checked against."""
    assert theory.mmck_metrics(per_hour, 6.0, c, k).blocking == pytest.approx(
        theory.mmck_blocking(per_hour, 6.0, c, k), rel=1e-12)


# --------------------------------------------------------------------------- inventory


@pytest.mark.parametrize(("demand", "lead", "level"), [(2.0, 5.0, 12), (0.3, 7.0, 3), (5, 1, 0)])
def test_base_stock_matches_direct_poisson_sums(demand: float, lead: float, level: int) -> None:
    m = demand * lead
    d = np.arange(0, 400)
    pmf = poisson.pmf(d, m)
    got = theory_stock.poisson_base_stock(demand, lead, level)
    assert got.fill_rate == pytest.approx(pmf[d <= level - 1].sum(), abs=1e-12)
    assert got.expected_on_hand == pytest.approx(pmf @ np.maximum(level - d, 0), abs=1e-10)
    assert got.expected_backorders == pytest.approx(pmf @ np.maximum(d - level, 0), abs=1e-10)


def test_rq_with_unit_batch_is_base_stock() -> None:
    assert theory_stock.poisson_rq(2.0, 5.0, 11, 1) == theory_stock.poisson_base_stock(2.0, 5.0, 12)


def test_rq_averages_over_inventory_position() -> None:
    demand, lead, r, q = 1.5, 4.0, 4, 6
    d = np.arange(0, 200)
    pmf = poisson.pmf(d, demand * lead)
    ips = np.arange(r + 1, r + q + 1)
    fill = np.mean([pmf[d <= y - 1].sum() for y in ips])
    on_hand = np.mean([pmf @ np.maximum(y - d, 0) for y in ips])
    got = theory_stock.poisson_rq(demand, lead, r, q)
    assert got.fill_rate == pytest.approx(fill, abs=1e-12)
    assert got.expected_on_hand == pytest.approx(on_hand, abs=1e-10)


def test_base_stock_level_for_fill_is_minimal() -> None:
    for target in (0.5, 0.9, 0.95, 0.999):
        s = theory_stock.base_stock_level_for_fill(2.0, 5.0, target)
        assert poisson.cdf(s - 1, 10.0) >= target > poisson.cdf(s - 2, 10.0)
    assert theory_stock.base_stock_level_for_fill(2.0, 5.0, 0.0) == 0
    with pytest.raises(ValueError):
        theory_stock.base_stock_level_for_fill(2.0, 5.0, 1.0)


# --------------------------------------------------------------------------- hourly panel


def test_hourly_erlang_c_rules() -> None:
    rates = np.full(168, 100.0)
    agents = np.full(168, 7.9)  # rounded down to 7
    rates[0], rates[1], agents[2] = 0.0, 50.0, 0.0
    sl = theory.hourly_erlang_c(rates, 3.0, agents, 20.0)
    assert sl.shape == (168,)
    assert math.isnan(sl[0])
    assert sl[2] == 0.0
    assert sl[5] == pytest.approx(theory.erlang_c_metrics(100.0, 3.0, 7, 20.0).service_level)
    assert sl[1] > sl[5]
    with pytest.raises(ValueError):
        theory.hourly_erlang_c(rates, 3.0, agents[:10], 20.0)
