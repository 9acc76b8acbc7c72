"""Analytic queueing formulas the simulation is checked against.

This module owns the closed-form (or exactly solvable) reference queues: Erlang B/C, Erlang A
(M/M/c+M), M/M/c/K and Erlang C per hour of the week. Tests and the explorer's theory panel
compare simulated KPIs to these. Everything is a pure function, numerically stable for hundreds
of servers: Erlang B uses the recursion, birth–death chains are solved in log space, and no
factorial of a large number is ever formed. The inventory formulas (Poisson base-stock, (r, Q))
live in `sim.theory.stock`.

Common arguments (units are in the names; rates become per-second internally):
    arrival_per_hour: Poisson arrival rate, calls per hour (>= 0).
    handle_minutes: Mean exponential handle (service) time in minutes (> 0).
    servers: Number of agents c (int).
    answer_target_seconds: Service-level threshold t in seconds (>= 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import betainc

from sim.theory.stock import check_nonneg

_LOG_TRUNC = math.log(1e-14)  # birth–death chains are cut where pi_n < 1e-14 * max(pi)
_MAX_STATES = 2_000_000  # guards memory when patience is ~infinite and the load exceeds c


@dataclass(frozen=True, slots=True)
class ErlangCMetrics:
    """M/M/c steady state. Times in seconds, probabilities and utilisation as shares."""

    prob_wait: float
    service_level: float
    asa_seconds: float
    utilization: float
    wait_p90_seconds: float


@dataclass(frozen=True, slots=True)
class ErlangAMetrics:
    """M/M/c+M (exponential patience) steady state. Shares of offered calls; times in seconds."""

    abandon_rate: float
    service_level: float
    asa_seconds_answered: float
    prob_wait: float
    utilization: float


@dataclass(frozen=True, slots=True)
class MMCKMetrics:
    """M/M/c/K steady state: blocking share, server utilisation, mean wait of admitted calls."""

    blocking: float
    utilization: float
    mean_wait_seconds: float


def _rates_per_second(arrival_per_hour: float, handle_minutes: float) -> tuple[float, float]:
    check_nonneg(arrival_per_hour=arrival_per_hour)
    if not handle_minutes > 0:
        raise ValueError(f"handle_minutes must be > 0, got {handle_minutes}")
    return arrival_per_hour / 3600.0, 1.0 / (handle_minutes * 60.0)


def erlang_b(servers: int, offered_erlangs: float) -> float:
    """Erlang B blocking probability of an M/M/c/c loss system.

    Uses the stable recursion B(0) = 1, B(k) = A*B(k-1) / (k + A*B(k-1)) instead of
    A^c/c! / sum_k A^k/k!, which overflows for large c (Cooper, *Introduction to Queueing
    Theory*, 2nd ed., §3.4).

    Args:
        servers, offered_erlangs: Servers c >= 0 and offered load A = lambda/mu >= 0 Erlangs.

    Returns:
        Probability that an arrival finds all c servers busy.
    """
    if servers < 0:
        raise ValueError(f"servers must be >= 0, got {servers}")
    check_nonneg(offered_erlangs=offered_erlangs)
    b = 1.0
    for k in range(1, int(servers) + 1):
        b = offered_erlangs * b / (k + offered_erlangs * b)
    return b


def erlang_c(servers: int, offered_erlangs: float) -> float:
    """Erlang C probability that an arrival waits in an M/M/c queue.

    C = c*B / (c - A*(1 - B)) with B = erlang_b(c, A) (Cooper 1981, eq. 3.5.6). The queue is
    unstable when A >= c; every arrival then waits, so 1.0 is returned.

    Args:
        servers, offered_erlangs: Servers c >= 0 and offered load A = lambda/mu >= 0 Erlangs.

    Returns:
        P(wait > 0).
    """
    if offered_erlangs >= servers:
        return 1.0
    b = erlang_b(servers, offered_erlangs)
    return servers * b / (servers - offered_erlangs * (1.0 - b))


def erlang_c_metrics(
    arrival_per_hour: float, handle_minutes: float, servers: int, answer_target_seconds: float
) -> ErlangCMetrics:
    """Steady-state M/M/c (Erlang C) call-centre metrics.

    With lambda, mu per second and C = erlang_c(c, lambda/mu), the wait W has
    P(W > w) = C*exp(-(c*mu - lambda)*w), hence service level = 1 - C*exp(-(c*mu - lambda)*t),
    ASA = C/(c*mu - lambda) and the 90th percentile of W (zero waits included) is 0 when
    C <= 0.1, else ln(C/0.1)/(c*mu - lambda) (Gross & Harris, *Fundamentals of Queueing Theory*,
    §2.3). An unstable load (lambda >= c*mu) gives service level 0, infinite ASA and p90,
    utilisation 1; zero arrivals give service level 1 and zero waits.

    Args:
        arrival_per_hour, handle_minutes, servers, answer_target_seconds: see module docstring.

    Returns:
        The ErlangCMetrics.
    """
    lam, mu = _rates_per_second(arrival_per_hour, handle_minutes)
    check_nonneg(answer_target_seconds=answer_target_seconds, servers=servers)
    if lam == 0:
        return ErlangCMetrics(0.0, 1.0, 0.0, 0.0, 0.0)
    # Erlangs straight from the inputs: lam/mu would turn 200/h x 3 min into 9.999... < 10
    offered = arrival_per_hour * handle_minutes / 60.0
    if offered >= servers:
        return ErlangCMetrics(1.0, 0.0, math.inf, 1.0, math.inf)
    c_prob = erlang_c(servers, offered)
    gap = (servers - offered) * mu  # c*mu - lambda: decay rate of the conditional wait
    p90 = 0.0 if c_prob <= 0.1 else math.log(c_prob / 0.1) / gap
    return ErlangCMetrics(
        prob_wait=c_prob,
        service_level=1.0 - c_prob * math.exp(-gap * answer_target_seconds),
        asa_seconds=c_prob / gap,
        utilization=offered / servers,
        wait_p90_seconds=p90,
    )


def erlang_c_agents_needed(
    arrival_per_hour: float,
    handle_minutes: float,
    answer_target_seconds: float,
    service_level_target: float,
    max_servers: int = 1000,
) -> int:
    """Smallest number of agents whose Erlang C service level reaches the target.

    Only stable staffing (c > A) qualifies. Erlang B is advanced incrementally with c, so the
    search costs O(c) rather than O(c^2).

    Args:
        arrival_per_hour, handle_minutes, answer_target_seconds: see module docstring.
        service_level_target: Required share answered within the threshold, in [0, 1].
        max_servers: Search limit.

    Returns:
        The minimal c (0 when there are no arrivals).

    Raises:
        ValueError: if no c <= max_servers meets the target.
    """
    lam, mu = _rates_per_second(arrival_per_hour, handle_minutes)
    if lam == 0:
        return 0
    offered = arrival_per_hour * handle_minutes / 60.0  # exact Erlangs, as in erlang_c_metrics
    b = 1.0
    for c in range(1, max_servers + 1):
        b = offered * b / (c + offered * b)
        if offered >= c:
            continue
        c_prob = c * b / (c - offered * (1.0 - b))
        if 1.0 - c_prob * math.exp(-(c - offered) * mu * answer_target_seconds) >= (
            service_level_target
        ):
            return c
    raise ValueError(f"service level {service_level_target} not reachable with {max_servers}")


def _log_pi_birth_death(lam: float, mu: float, theta: float, servers: int) -> np.ndarray:
    """Unnormalised log pi_n of the M/M/c+M chain, n = 0..N, cut where pi_n < 1e-14*max.

    The ratio lam/death_n is non-increasing, so pi is unimodal: extend in growing chunks until
    the chain is past its mode and below the cut, then drop the negligible right tail.
    """
    parts = [np.zeros(1)]
    start, chunk, last, top = 1, max(256, 2 * servers), 0.0, 0.0
    while True:
        n = np.arange(start, start + chunk, dtype=float)
        death = np.minimum(n, servers) * mu + np.maximum(n - servers, 0.0) * theta
        incr = math.log(lam) - np.log(death)
        lp = last + np.cumsum(incr)
        parts.append(lp)
        last, top = float(lp[-1]), max(top, float(lp.max()))
        if incr[-1] < 0 and last < top + _LOG_TRUNC:
            break
        start, chunk = start + chunk, min(2 * chunk, 1 << 18)
        if start > _MAX_STATES:
            raise ValueError("Erlang A chain too long: patience too long for an overloaded queue")
    log_pi = np.concatenate(parts)
    keep = np.nonzero(log_pi >= top + _LOG_TRUNC)[0]
    return log_pi[: int(keep[-1]) + 1]


def erlang_a_metrics(
    arrival_per_hour: float,
    handle_minutes: float,
    patience_minutes: float,
    servers: int,
    answer_target_seconds: float,
) -> ErlangAMetrics:
    """Exact steady state of the M/M/c+M (Erlang A, Palm) queue with FCFS service.

    Method. The number in system is a birth–death chain with birth lambda and death
    min(n,c)*mu + max(n-c,0)*theta (theta = 1/patience); pi is computed in log space and
    truncated at pi_n < 1e-14. By PASTA an arrival finds n with probability pi_n; for n >= c it
    joins at queue position k = n-c+1. Its position is a pure-death process: from position j it
    moves up at rate c*mu + (j-1)*theta (a service completion or an abandonment ahead), so its
    time to reach a server T_k is hypoexponential with rates c*mu + i*theta, i = 0..k-1. That
    density is prod(rates)/(theta^(k-1)(k-1)!) * exp(-c*mu*s) * (1-exp(-theta*s))^(k-1), i.e.
    U = exp(-theta*T_k) ~ Beta(c*mu/theta, k). The caller's own patience is an independent
    Exp(theta), so with alpha = c*mu/theta:

    * P(answered | k) = E[U] = c*mu/(c*mu + k*theta);
    * P(answered within t | k) = E[U; T_k <= t]
      = c*mu/(c*mu + k*theta) * I_{1-exp(-theta*t)}(k, alpha+1) (regularised incomplete beta);
    * E[T_k; answered] = E[T_k*U] = P(answered | k) * sum_{j=1..k} 1/(c*mu + j*theta).

    Service level counts calls answered within t over ALL offered calls (abandons are misses);
    abandon_rate = theta*E[Lq]/lambda; asa_seconds_answered = E[wait; answered]/P(answered);
    utilisation = E[busy servers]/c. References: Garnett, Mandelbaum & Reiman (2002), "Designing
    a call center with impatient customers", MSOM 4(3); Zeltyn & Mandelbaum (2005), Queueing
    Systems 51. Infinite patience falls back to Erlang C (abandon 0).

    Args:
        arrival_per_hour, handle_minutes, servers, answer_target_seconds: see module docstring.
        patience_minutes: Mean (exponential) patience in minutes, > 0; math.inf allowed.

    Returns:
        The ErlangAMetrics.
    """
    lam, mu = _rates_per_second(arrival_per_hour, handle_minutes)
    check_nonneg(servers=servers, answer_target_seconds=answer_target_seconds)
    if not patience_minutes > 0:
        raise ValueError(f"patience_minutes must be > 0, got {patience_minutes}")
    if math.isinf(patience_minutes):
        ec = erlang_c_metrics(arrival_per_hour, handle_minutes, servers, answer_target_seconds)
        return ErlangAMetrics(0.0, ec.service_level, ec.asa_seconds, ec.prob_wait, ec.utilization)
    if lam == 0:
        return ErlangAMetrics(0.0, 1.0, 0.0, 0.0, 0.0)
    theta = 1.0 / (patience_minutes * 60.0)
    log_pi = _log_pi_birth_death(lam, mu, theta, servers)
    pi = np.exp(log_pi - log_pi.max())
    pi /= pi.sum()
    n = np.arange(pi.size, dtype=float)
    queue_pi = pi[servers:]
    k = np.arange(1, queue_pi.size + 1, dtype=float)
    cmu = servers * mu
    p_answered_k = cmu / (cmu + k * theta)
    reach_by_t = -math.expm1(-theta * answer_target_seconds)  # P(Exp(theta) <= t), no cancellation
    p_within_k = p_answered_k * betainc(k, cmu / theta + 1.0, reach_by_t)
    wait_answered_k = p_answered_k * np.cumsum(1.0 / (cmu + k * theta))
    p_immediate = float(pi[:servers].sum())
    p_answered = p_immediate + float(queue_pi @ p_answered_k)
    mean_queue = float(queue_pi @ (k - 1.0))
    busy = float(pi @ np.minimum(n, servers))
    return ErlangAMetrics(
        abandon_rate=theta * mean_queue / lam,
        service_level=p_immediate + float(queue_pi @ p_within_k),
        asa_seconds_answered=float(queue_pi @ wait_answered_k) / p_answered
        if p_answered > 0
        else math.nan,
        prob_wait=min(1.0, float(queue_pi.sum())),  # clip float round-off above 1
        utilization=min(1.0, busy / servers) if servers > 0 else math.nan,
    )


def _mmck_pi(
    arrival_per_hour: float, handle_minutes: float, servers: int, capacity: int
) -> tuple[np.ndarray, float, float]:
    lam, mu = _rates_per_second(arrival_per_hour, handle_minutes)
    if servers < 1 or capacity < servers:
        raise ValueError(f"need 1 <= servers <= capacity, got c={servers}, K={capacity}")
    n = np.arange(capacity + 1, dtype=float)
    if lam == 0:
        pi = (n == 0).astype(float)
        return pi, lam, mu
    # log pi_n = sum_{i<=n} log(lam / (min(i,c)*mu)); log space avoids A^n/n! overflow
    log_ratio = math.log(lam) - np.log(np.minimum(n[1:], servers) * mu)
    log_pi = np.concatenate(([0.0], np.cumsum(log_ratio)))
    pi = np.exp(log_pi - log_pi.max())
    return pi / pi.sum(), lam, mu


def mmck_blocking(
    arrival_per_hour: float, handle_minutes: float, servers: int, capacity: int
) -> float:
    """Blocking probability of M/M/c/K, K = servers + waiting places = total in system.

    pi_n is proportional to A^n/n! for n <= c and A^c/c! * (A/c)^(n-c) above (Gross & Harris,
    §2.5); the blocking probability is pi_K by PASTA. With K = c it equals Erlang B.

    Args:
        arrival_per_hour, handle_minutes, servers: see module docstring (servers >= 1).
        capacity: System capacity K >= c (servers plus waiting places).

    Returns:
        P(arrival finds K in system).
    """
    pi, _, _ = _mmck_pi(arrival_per_hour, handle_minutes, servers, capacity)
    return float(pi[-1])


def mmck_metrics(
    arrival_per_hour: float, handle_minutes: float, servers: int, capacity: int
) -> MMCKMetrics:
    """M/M/c/K blocking, utilisation and mean wait (seconds) of admitted calls.

    Utilisation = lambda*(1 - P_K)/(c*mu); the admitted wait follows from Little's law,
    Wq = Lq / (lambda*(1 - P_K)).

    Args:
        arrival_per_hour, handle_minutes, servers: see module docstring (servers >= 1).
        capacity: System capacity K >= c (servers plus waiting places).

    Returns:
        The MMCKMetrics.
    """
    pi, lam, mu = _mmck_pi(arrival_per_hour, handle_minutes, servers, capacity)
    blocking = float(pi[-1])
    admitted = lam * (1.0 - blocking)
    mean_queue = float(pi @ np.maximum(np.arange(pi.size) - servers, 0))
    return MMCKMetrics(
        blocking=blocking,
        utilization=admitted / (servers * mu),
        mean_wait_seconds=mean_queue / admitted if admitted > 0 else 0.0,
    )


def hourly_erlang_c(
    rate_per_hour_of_week: np.ndarray,
    handle_minutes: float,
    agents_by_hour: np.ndarray,
    answer_target_seconds: float,
) -> np.ndarray:
    """Erlang C service level per hour of the week, for the explorer's theory panel.

    Each hour is treated as its own steady state. Agents are rounded down to whole people; an
    hour with calls but no agents scores 0 and an hour with no calls is nan (undefined).

    Args:
        rate_per_hour_of_week: Calls per hour, one value per hour (normally 168).
        agents_by_hour: Staffed agents per hour, same shape.
        handle_minutes, answer_target_seconds: see module docstring.

    Returns:
        Float array of service levels, same shape as the inputs.
    """
    rates = np.asarray(rate_per_hour_of_week, dtype=float)
    agents = np.floor(np.asarray(agents_by_hour, dtype=float))
    if rates.shape != agents.shape or rates.ndim != 1:
        raise ValueError(f"need equal 1-D shapes, got {rates.shape} and {agents.shape}")
    out = np.full(rates.shape, np.nan)
    for h, (rate, c) in enumerate(zip(rates, agents, strict=True)):
        if not rate > 0:
            continue
        if not c >= 1:
            out[h] = 0.0
            continue
        out[h] = erlang_c_metrics(rate, handle_minutes, int(c), answer_target_seconds).service_level
    return out
