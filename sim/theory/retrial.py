"""Analytic values for callers who redial: the loss system whose blocked callers try again.

This module owns the slow-retrial limit of the M/M/c/c retrial queue. When redials come back
much later than a call lasts, the stream of retries is close to Poisson and independent of the
state the lines are in, so the total offered rate solves the fixed point

    lambda_total = lambda + p * B(c, lambda_total / mu) * lambda_total   (attempts unlimited)

with B the Erlang B blocking probability (the classical fixed point, exact in this limit). With at
most ``k`` attempts the retries form a truncated geometric series. The tests run the full model
with long redial delays against it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.theory.queues import erlang_b


@dataclass(frozen=True)
class RetrialMetrics:
    """Offered attempts per hour (first calls and redials) and the blocking they meet."""

    offered_per_hour: float
    blocking: float


def slow_retrial_loss(servers: int, arrivals_per_hour: float, handle_minutes: float,
                      redial_probability: float, max_attempts: int,
                      tolerance: float = 1e-12) -> RetrialMetrics:
    """The M/M/c/c loss system with redials in the slow-retrial limit.

    Args:
        servers: Lines = agents (no waiting room).
        arrivals_per_hour: First attempts per hour (Poisson).
        handle_minutes: Mean talk time (exponential).
        redial_probability: Chance a blocked caller tries again.
        max_attempts: Attempts per caller at most, the first included.
        tolerance: Convergence of the fixed point (relative change of the offered rate).
    """
    if servers < 1 or arrivals_per_hour < 0 or handle_minutes <= 0 or max_attempts < 1:
        raise ValueError("need servers >= 1, arrivals >= 0, handle > 0, attempts >= 1")
    if not 0.0 <= redial_probability <= 1.0:
        raise ValueError(f"redial_probability must be in [0, 1], got {redial_probability}")
    offered = arrivals_per_hour
    blocking = erlang_b(servers, offered * handle_minutes / 60.0)
    for _ in range(10_000):
        # attempt k is made with probability (p * B)^(k-1): a truncated geometric series
        ratio = redial_probability * blocking
        attempts = sum(ratio**k for k in range(max_attempts))
        new = arrivals_per_hour * attempts
        blocking = erlang_b(servers, new * handle_minutes / 60.0)
        if abs(new - offered) <= tolerance * max(new, 1.0):
            offered = new
            break
        offered = new
    return RetrialMetrics(offered, blocking)
