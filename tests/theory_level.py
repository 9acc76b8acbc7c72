"""The rule every analytic check of the suite follows: its seed and its confidence level.

An *analytic check* compares a number the simulation produces (a replication mean, a count, a
share) with the value a formula gives for it (Erlang C, Erlang A, M/M/c/K, base stock, (r, Q),
slow retrials, a binomial or Poisson law), or a sample of the engine's sampler with its
distribution (mean, variance, Kolmogorov-Smirnov or chi-square). Such a check fails by bad luck
with the probability that its interval misses the truth (or its p-value falls below its level);
this module fixes that probability for the suite as a whole.

The rule
    FAMILY_ERROR = 0.01, N = 83 checks (the entries of ``CHECKS``), and each check at the
    two-sided level ``EACH = 1 - FAMILY_ERROR / N`` (about 0.99987): an interval at that
    confidence level, or a test that fails when its p-value is below ``FAMILY_ERROR / N`` (about
    1.3e-4). By Bonferroni's inequality the chance that *any* of them fails while the model and
    the theory are both right is at most N x FAMILY_ERROR / N = 1%, whatever the dependence
    between checks (the KPIs of one run are correlated: Bonferroni needs no independence).

Seeds
    Nobody picks a seed per check. The simulated cases ("runs") are enumerated in ``CHECKS`` in
    file order (test files alphabetically, cases in the order of their file); run i uses
    ``SEED + i``. Moving, inserting or removing a run changes the seeds of the runs after it, in
    plain sight of the diff. A miss is never fixed by another seed: rerun the case with several
    times the replications; a real bias keeps the analytic value outside, noise does not.

Adding a check
    Add its run and check names to ``CHECKS`` at its place in file order and raise ``N`` by one:
    ``tests/test_theory_level.py`` fails while ``N`` and ``CHECKS`` disagree, and while the tests
    marked ``analytic`` are not exactly the registered checks. Test parameters come from
    ``params(group)``, which marks them ``analytic``.

Outside this family: the interval coverage tests (``test_erlang_c_ci_coverage``,
``test_paired_ci_covers_the_erlang_c_difference``, each about 3e-4 per KPI as their docstrings
say), which calibrate the intervals themselves, and the optimizer screen's calibration
(``test_the_paired_screen_drops_a_trial_meeting_its_target_at_most_at_its_error_rate``, a
binomial check at 0.001); the direction tests (the sign of a difference
known to be positive, under common random numbers), whose chance of a false failure depends on
the size of the effect rather than on a level; and the fit's parameter-recovery tests
(``tests/test_fit_*.py``, the fit checks of ``tests/test_redial.py`` and
``tests/test_revenue.py``), which check an estimator rather than the model:
``test_fit_roundtrip`` states its own family (about 90 intervals at 99.9%, under 10% together),
the others use the fit's 95% or 99% intervals one by one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from sim.measure.stats import Interval, t_interval

FAMILY_ERROR = 0.01
N = 83
EACH = 1.0 - FAMILY_ERROR / N
SEED = 20261130

# Every analytic check, by run (one simulated case, one seed), in file order.
CHECKS: dict[str, tuple[str, ...]] = {
    # tests/test_distributions.py
    "dist-exponential": ("mean", "variance", "ks"),
    "dist-lognormal": ("mean", "variance", "ks"),
    "dist-gamma": ("mean", "variance", "ks"),
    "dist-uniform": ("mean", "variance", "ks"),
    "dist-triangular": ("mean", "variance", "ks"),
    "dist-normal": ("mean", "variance", "ks"),
    "dist-normal-far_tail": ("mean", "variance", "ks"),
    "dist-empirical": ("mean", "variance", "chi2"),
    "dist-empirical-weighted": ("mean", "variance", "chi2"),
    # tests/test_parts.py
    "parts-base_stock-poisson": ("fill_rate",),
    # tests/test_redial.py
    "redial-slow_retrial-c5-K5": ("offered_per_hour", "calls_blocked_rate"),
    # tests/test_revenue.py
    "revenue-warranty": ("warranty_share",),
    # tests/test_shrinkage.py
    "shrinkage-losses": ("units_lost",),
    # tests/test_skill_gap.py
    "skill_gap-share": ("untrained_share",),
    # tests/test_theory.py (the formulas against an independent Monte Carlo, not the model)
    "mc_erlang_a-c10-pat2": ("abandon_rate", "service_level", "asa_seconds"),
    "mc_erlang_a-c3-pat1": ("abandon_rate", "service_level", "asa_seconds"),
    # tests/test_theory_call_center.py
    "erlang_c-c1-rho0.70": ("service_level", "asa_seconds", "agent_utilization"),
    "erlang_c-c5-rho0.85": ("service_level", "asa_seconds", "agent_utilization"),
    "erlang_c-c14-rho0.857": ("service_level", "asa_seconds", "agent_utilization"),
    "erlang_c-c50-rho0.95": ("service_level", "asa_seconds", "agent_utilization"),
    "erlang_a-c14-A12-pat4": ("abandon_rate", "service_level", "asa_seconds"),
    "erlang_a-c10-A12-pat5-overloaded": ("abandon_rate", "service_level", "asa_seconds"),
    "erlang_a-c3-A2.5-pat2": ("abandon_rate", "service_level", "asa_seconds"),
    "mmck-c5-K8-A4.25": ("calls_blocked_rate", "asa_seconds", "agent_utilization"),
    "mmck-c14-K20-A14": ("calls_blocked_rate", "asa_seconds", "agent_utilization"),
    # tests/test_theory_field_parts.py
    "dispatch-N1-rho0.70": ("dispatch_wait_hours", "technician_utilization"),
    "dispatch-N5-rho0.80": ("dispatch_wait_hours", "technician_utilization"),
    "stock-base_stock-d32-L0.125-S5": ("fill_rate", "on_hand"),
    "stock-base_stock-d12-L0.5-S8": ("fill_rate", "on_hand"),
    "stock-rQ-d32-L0.125-r2-Q4": ("fill_rate", "on_hand"),
    "stock-rQ-d12-L0.5-r5-Q6": ("fill_rate", "on_hand"),
    # tests/test_training.py
    "training-attrition": ("new_hire_share",),
    # tests/test_vans.py
    "vans_periodic-d3-S3": ("van_fill_rate", "van_units"),
    "vans_reduction-level0": ("fill_rate", "first_time_fix_rate"),
}
RUNS: tuple[str, ...] = tuple(CHECKS)


def registered() -> int:
    """How many checks ``CHECKS`` lists (``N`` must say the same)."""
    return sum(len(checks) for checks in CHECKS.values())


def seed(run: str) -> int:
    """The root seed of ``run``: ``SEED`` plus its position in ``CHECKS``."""
    if run not in CHECKS:
        raise KeyError(f"{run!r} is not a run of tests/theory_level.py's CHECKS: register it "
                       "there (and raise N) before giving it a seed")
    return SEED + RUNS.index(run)


def runs(group: str) -> list[str]:
    """The registered runs whose name starts with ``group-``, in order."""
    return [run for run in RUNS if run.startswith(f"{group}-")]


def params(group: str) -> list[Any]:
    """pytest parameters ``(run, check)`` of every check of ``group``, marked ``analytic``."""
    return [pytest.param(run, check, id=f"{run}-{check}", marks=pytest.mark.analytic)
            for run in runs(group) for check in CHECKS[run]]


def _require(run: str, check: str) -> None:
    if check not in CHECKS.get(run, ()):
        raise KeyError(f"{run}-{check} is not registered in tests/theory_level.py's CHECKS")


def assert_mean(run: str, check: str, values: Sequence[float] | np.ndarray, expected: float,
                scale: float = 1.0) -> Interval:
    """``expected`` lies in the ``EACH`` t-interval of the replication values (divided by
    ``scale``); the interval is ``sim.measure.stats.t_interval``, the one every result uses.

    Prints the miss in standard errors and the half-width (``pytest -rP`` shows them).
    """
    _require(run, check)
    assert math.isfinite(expected), f"{run}-{check}: analytic value {expected} is not finite"
    values = np.asarray(values, dtype=float) / scale
    iv = t_interval(values, EACH)
    assert iv.n >= 2 and math.isfinite(iv.half_width), f"{run}-{check}: no interval ({iv})"
    se = iv.std / math.sqrt(iv.n)
    miss = (iv.mean - expected) / se if se > 0 else (0.0 if iv.mean == expected else math.inf)
    relative = f" ({iv.half_width / abs(expected):.2%})" if expected != 0 else ""
    print(f"{run}-{check}: mean {iv.mean:.6g} analytic {expected:.6g} miss {miss:+.2f} se "
          f"half-width {iv.half_width:.4g}{relative} n {iv.n}")
    assert iv.ci_low <= expected <= iv.ci_high, (
        f"{run}-{check}: analytic {expected:.6g} outside the simulated {EACH:.4%} interval "
        f"[{iv.ci_low:.6g}, {iv.ci_high:.6g}] (mean {iv.mean:.6g}, n {iv.n}, miss "
        f"{miss:+.2f} standard errors). Do not change the seed: rerun the case with several "
        "times the replications; a real bias keeps the analytic value outside.")
    return iv


def assert_covers(run: str, check: str, observed: float, low: float, high: float,
                  expected: float) -> None:
    """``expected`` lies in ``[low, high]``, an interval at level ``EACH`` that the caller made
    with one of the product's interval functions (Wilson for a share, Garwood for a count)."""
    _require(run, check)
    print(f"{run}-{check}: observed {observed:.6g} analytic {expected:.6g} "
          f"interval [{low:.6g}, {high:.6g}]")
    assert low <= expected <= high, (
        f"{run}-{check}: analytic {expected:.6g} outside the {EACH:.4%} interval "
        f"[{low:.6g}, {high:.6g}] of the observed {observed:.6g}. Do not change the seed: "
        "rerun with more data; a real bias keeps the analytic value outside.")


def assert_p_value(run: str, check: str, p_value: float) -> None:
    """A goodness-of-fit test passes at the per-check level: ``p_value >= 1 - EACH``."""
    _require(run, check)
    alpha = FAMILY_ERROR / N
    print(f"{run}-{check}: p-value {p_value:.4g} (fails below {alpha:.3g})")
    assert p_value >= alpha, (
        f"{run}-{check}: p-value {p_value:.3g} below the per-check level {alpha:.3g}. Do not "
        "change the seed: draw more; a real mismatch keeps the p-value small.")
