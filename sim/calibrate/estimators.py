"""Estimators behind ``aftersales-sim fit``: durations, censored durations, shares and rates.

This module owns the statistics of fitting, free of any log format: maximum-likelihood fits of the
exponential, lognormal and gamma families (optionally with right-censored observations), model
choice by AIC, the Kolmogorov-Smirnov distance (against the Kaplan-Meier curve when there is
censoring), confidence intervals for means, coefficients of variation, proportions and Poisson
rates, weekly profiles from daily counts, and the peak of simultaneous work. ``sim.calibrate.fit``
applies them to event logs; demand shocks are ``sim.calibrate.shocks``.

Right truncation (a value seen only if below a limit) is supported as well. Every family is
fitted in the parameters of the scenario format, theta = (log mean, log cv)
(exponential: log mean only), so the likelihood's curvature at the optimum gives Wald
intervals for mean and cv directly, with or without censoring. The log scale keeps the
intervals positive and makes the likelihood closer to quadratic.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, special, stats

from sim.measure.stats import t_interval

FAMILIES: tuple[str, ...] = ("exponential", "lognormal", "gamma")
MIN_OBSERVATIONS = 5  # fewer cannot tell a distribution from a guess; the base's value is kept


@dataclass(frozen=True)
class Estimate:
    """A point estimate with a two-sided confidence interval."""

    value: float
    low: float
    high: float

    def covers(self, x: float) -> bool:
        """Whether ``x`` lies inside the interval (ends included)."""
        return self.low <= x <= self.high


@dataclass(frozen=True)
class DistFit:
    """The best distribution for a set of durations, with what it was chosen against.

    Attributes:
        family: ``constant``, ``exponential``, ``lognormal`` or ``gamma``.
        mean: Mean with its confidence interval (unit of the data).
        cv: Coefficient of variation with its interval (exponential: 1; constant: 0).
        n: Observations used (events plus censored ones).
        censored: How many were right-censored.
        ks: Kolmogorov-Smirnov distance between the data (Kaplan-Meier curve under censoring)
            and the fitted distribution; 0 for a constant.
        aic: AIC of each family tried (empty for a constant).
        values: The observations, for QQ plots.
        observed: Per observation, True for an event, False for a censored value.
        dropped_zeros: Zero values left out (the families live on positive numbers).
    """

    family: str
    mean: Estimate
    cv: Estimate
    n: int
    censored: int
    ks: float
    aic: dict[str, float]
    values: np.ndarray = field(repr=False)
    observed: np.ndarray = field(repr=False)
    dropped_zeros: int = 0

    def spec(self, digits: int = 4) -> float | dict[str, object]:
        """The scenario-format value: a bare number for a constant, else ``{dist, mean, cv}``."""
        if self.family == "constant":
            return round_sig(self.mean.value, digits + 2)
        if self.family == "exponential":
            return {"dist": "exponential", "mean": round_sig(self.mean.value, digits)}
        return {"dist": self.family, "mean": round_sig(self.mean.value, digits),
                "cv": round_sig(self.cv.value, digits)}

    def frozen(self) -> stats.rv_continuous | None:
        """The fitted scipy distribution (None for a constant)."""
        return frozen(self.family, self.mean.value, self.cv.value)


def round_sig(x: float, digits: int) -> float:
    """``x`` rounded to ``digits`` significant digits (0 stays 0)."""
    if x == 0 or not math.isfinite(x):
        return float(x)
    return float(round(x, digits - 1 - math.floor(math.log10(abs(x)))))


def frozen(family: str, mean: float, cv: float) -> stats.rv_continuous | None:
    """A scipy distribution with the given mean and cv (None for ``constant``)."""
    if family == "exponential":
        return stats.expon(scale=mean)
    if family == "lognormal":
        sigma2 = math.log1p(cv * cv)
        return stats.lognorm(s=math.sqrt(sigma2), scale=math.exp(math.log(mean) - sigma2 / 2))
    if family == "gamma":
        shape = 1.0 / (cv * cv)
        return stats.gamma(shape, scale=mean / shape)
    return None


# --- likelihoods -----------------------------------------------------------------------------


def _loglik(family: str, theta: np.ndarray, x: np.ndarray, logx: np.ndarray,
            event: np.ndarray, limit: np.ndarray) -> float:
    """Log-likelihood: log density at events, log survival at censored values, minus the log
    probability of each truncation limit (a value is seen only if below its ``limit``)."""
    mean = math.exp(theta[0])
    if family == "exponential":
        return float(-np.sum(x) / mean - event.sum() * theta[0]
                     - np.log(-np.expm1(-limit / mean)).sum())
    cv = math.exp(theta[1])
    if family == "lognormal":
        sigma = math.sqrt(math.log1p(cv * cv))
        mu = theta[0] - sigma * sigma / 2
        z = (logx - mu) / sigma
        dens = -0.5 * z[event] ** 2 - logx[event] - math.log(sigma) - 0.5 * math.log(2 * math.pi)
        return float(dens.sum() + stats.norm.logsf(z[~event]).sum()
                     - stats.norm.logcdf((np.log(limit) - mu) / sigma).sum())
    shape = 1.0 / (cv * cv)
    scale = mean / shape
    dens = ((shape - 1) * logx[event] - x[event] / scale - math.lgamma(shape)
            - shape * math.log(scale))
    # scipy.special directly: stats.gamma.logsf computes a median per element, 100x slower.
    with np.errstate(divide="ignore"):
        return float(dens.sum() + np.log(special.gammaincc(shape, x[~event] / scale)).sum()
                     - np.log(special.gammainc(shape, limit / scale)).sum())


def _hessian(f: Callable[[np.ndarray], float], theta: np.ndarray, step: float = 1e-3
             ) -> np.ndarray:
    """Central-difference Hessian of ``f`` at ``theta``."""
    k = len(theta)
    h = np.zeros((k, k))
    eye = np.eye(k) * step
    f0 = f(theta)
    for i in range(k):
        for j in range(i, k):
            if i == j:
                h[i, i] = (f(theta + eye[i]) - 2 * f0 + f(theta - eye[i])) / step**2
            else:
                h[i, j] = h[j, i] = (f(theta + eye[i] + eye[j]) - f(theta + eye[i] - eye[j])
                                     - f(theta - eye[i] + eye[j])
                                     + f(theta - eye[i] - eye[j])) / (4 * step**2)
    return h


@dataclass(frozen=True)
class _Fit:
    family: str
    theta: np.ndarray
    se: np.ndarray
    loglik: float

    @property
    def aic(self) -> float:
        return 2 * len(self.theta) - 2 * self.loglik


def _fit_family(family: str, x: np.ndarray, event: np.ndarray, limit: np.ndarray) -> _Fit:
    """Maximum likelihood in theta = (log mean, log cv) with Wald standard errors.

    ``limit`` holds the finite truncation limits only (usually none)."""
    logx = np.log(x)
    d = max(int(event.sum()), 1)
    exposure = np.array([math.log(x.sum() / d)])
    if family == "exponential" and not len(limit):
        # Closed form: total exposure over events; the observed information is d.
        return _Fit(family, exposure, np.array([1 / math.sqrt(d)]),
                    _loglik(family, exposure, x, logx, event, limit))
    if family == "exponential":
        start = exposure
    elif event.all() and family == "lognormal":
        sigma = float(logx.std())
        start = np.array([float(logx.mean()) + sigma**2 / 2,
                          0.5 * math.log(math.expm1(sigma**2))])
    else:
        ev = x[event] if event.sum() >= 2 else x
        cv0 = max(float(ev.std() / ev.mean()), 0.05)
        start = np.array([math.log(x.sum() / d) if not event.all() else math.log(ev.mean()),
                          math.log(cv0)])

    def nll(theta: np.ndarray) -> float:
        if np.any(np.abs(theta) > 30):
            return math.inf
        value = -_loglik(family, theta, x, logx, event, limit)
        return value if math.isfinite(value) else math.inf

    res = optimize.minimize(nll, start, method="Nelder-Mead",
                            options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 2000})
    theta = np.asarray(res.x, dtype=float)
    try:
        cov = np.linalg.inv(_hessian(nll, theta))
        se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    except np.linalg.LinAlgError:
        se = np.full(len(theta), math.nan)
    return _Fit(family, theta, se, -float(res.fun))


def kaplan_meier(x: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier estimate of the CDF: (distinct event times, F just after each)."""
    order = np.argsort(x, kind="stable")
    xs, ev = x[order], event[order]
    times, first = np.unique(xs, return_index=True)
    at_risk = len(xs) - first
    deaths = np.add.reduceat(ev.astype(float), first)
    keep = deaths > 0
    surv = np.cumprod(1.0 - deaths[keep] / at_risk[keep])
    return times[keep], 1.0 - surv


def kaplan_meier_supported(x: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``kaplan_meier`` where at least 1% of the observations (and 10) are still at risk.

    Beyond, a handful of long waits make the curve jump by large steps that say nothing about
    a fit; KS distances and QQ plots use this part only.
    """
    times, cdf = kaplan_meier(x, event)
    at_risk = len(x) - np.searchsorted(np.sort(x), times, side="left")
    keep = at_risk >= max(10, 0.01 * len(x))
    return times[keep], cdf[keep]


def ks_distance(x: np.ndarray, event: np.ndarray, cdf: Callable[[np.ndarray], np.ndarray]
                ) -> float:
    """Largest gap between the empirical CDF and ``cdf``, both sides of each jump.

    Under censoring the empirical CDF is Kaplan-Meier's (``kaplan_meier_supported``).
    """
    if event.all():
        return float(stats.kstest(x, cdf).statistic)
    times, ecdf = kaplan_meier_supported(x, event)
    if len(times) == 0:
        return math.nan
    before = np.concatenate(([0.0], ecdf[:-1]))
    model = cdf(times)
    return float(max(np.max(np.abs(ecdf - model)), np.max(np.abs(before - model))))


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def fit_durations(values: np.ndarray, observed: np.ndarray | None = None,
                  confidence: float = 0.95, resolution: float = 0.0,
                  limits: np.ndarray | None = None) -> DistFit | None:
    """Fit a constant or the best of exponential, lognormal and gamma by AIC.

    Args:
        values: Durations (>= 0) in the unit of the scenario key.
        observed: Per value, True for an observed event and False for a right-censored one
            (patience: a caller answered after w waited at least w); default all observed.
        confidence: Two-sided level of the intervals.
        resolution: Rounding of the data (e.g. a millisecond in the data's unit): values that
            differ by no more than twice this are one constant.
        limits: Per value, the largest value that could have been seen (right truncation: a
            rework reported after the records end is not in them); inf or None for none.

    Returns:
        The fit, or None with fewer than ``MIN_OBSERVATIONS`` usable observations (or no
        events at all).
    """
    x = np.asarray(values, dtype=float)
    event = np.ones(len(x), bool) if observed is None else np.asarray(observed, dtype=bool)
    limit = np.full(len(x), math.inf) if limits is None else np.asarray(limits, dtype=float)
    ok = np.isfinite(x) & (x >= 0)
    x, event, limit = x[ok], event[ok], limit[ok]
    if len(x) < MIN_OBSERVATIONS or not event.any():
        return None
    xe = x[event]
    tolerance = max(2 * resolution, 1e-9 * abs(float(xe.mean())))
    # Constant: every event agrees, and no censored value says "it took longer than that".
    if float(np.ptp(xe)) <= tolerance and not (x[~event] > xe.max() + tolerance).any():
        value = float(np.median(xe))
        point = Estimate(value, value, value)
        return DistFit("constant", point, Estimate(0.0, 0.0, 0.0), len(x), int((~event).sum()),
                       0.0, {}, x, event)
    positive = x > 0
    zeros = int((~positive).sum())
    x, event, limit = x[positive], event[positive], limit[positive]
    if len(x) < MIN_OBSERVATIONS or not event.any():
        return None
    limit = limit[np.isfinite(limit)]
    fits = [_fit_family(f, x, event, limit) for f in FAMILIES]
    best = min(fits, key=lambda f: f.aic)
    z = _z(confidence)
    log_mean, se_mean = best.theta[0], best.se[0]
    mean = Estimate(math.exp(log_mean), math.exp(log_mean - z * se_mean),
                    math.exp(log_mean + z * se_mean))
    if best.family == "exponential":
        cv = Estimate(1.0, 1.0, 1.0)
    else:
        cv = Estimate(math.exp(best.theta[1]), math.exp(best.theta[1] - z * best.se[1]),
                      math.exp(best.theta[1] + z * best.se[1]))
    dist = frozen(best.family, mean.value, cv.value)
    assert dist is not None
    return DistFit(best.family, mean, cv, len(x), int((~event).sum()),
                   ks_distance(x, event, dist.cdf), {f.family: f.aic for f in fits}, x, event,
                   zeros)


def proportion(successes: int, trials: int, confidence: float = 0.95) -> Estimate | None:
    """Share with its Wilson score interval (None without trials)."""
    if trials <= 0:
        return None
    z = _z(confidence)
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    # Exact ends when nothing (or everything) happened; the formula leaves rounding dust.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return Estimate(p, low, high)


def poisson_rate(count: int, exposure: float, confidence: float = 0.95) -> Estimate:
    """Events per unit of exposure with the exact (Garwood) Poisson interval."""
    alpha = 1 - confidence
    low = stats.chi2.ppf(alpha / 2, 2 * count) / 2 if count > 0 else 0.0
    high = stats.chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2
    return Estimate(count / exposure, float(low) / exposure, float(high) / exposure)


# --- counts and profiles ---------------------------------------------------------------------


def peak_concurrency(rep: np.ndarray, start: np.ndarray, end: np.ndarray) -> int:
    """Most intervals [start, end) open at once, within any one replication."""
    ok = np.isfinite(start) & np.isfinite(end)
    peak = 0
    for r in np.unique(rep[ok]):
        mine = ok & (rep == r)
        times = np.concatenate((start[mine], end[mine]))
        steps = np.concatenate((np.ones(mine.sum()), -np.ones(mine.sum())))
        order = np.lexsort((steps, times))  # ends before starts at equal times
        peak = max(peak, int(np.cumsum(steps[order]).max(initial=0)))
    return peak


def profile_intervals(counts: np.ndarray, weekday: np.ndarray, confidence: float
                      ) -> tuple[Estimate, list[Estimate]]:
    """Contacts per day and the 7 weekly weights (mean 1) from counts per (rep, day).

    The rate is the mean over weekdays of each weekday's mean count (so a partial week does not
    tilt it); its interval is a t-interval over 7-day totals (robust to day-to-day
    overdispersion), or the exact Poisson one with fewer than three such weeks. Each weight's
    interval is the t-interval of that weekday's counts, over the rate.

    Args:
        counts: Contacts per (replication, day of the records).
        weekday: Weekday of each day (0 = Monday).
        confidence: Level of the intervals.
    """
    per_weekday = [counts[:, weekday == d] for d in range(7)]
    present = [c for c in per_weekday if c.size]
    rate = float(np.mean([c.mean() for c in present]))
    blocks = counts.shape[1] // 7
    weekly_totals = counts[:, : blocks * 7].reshape(counts.shape[0], blocks, 7).sum(-1).ravel()
    if len(weekly_totals) >= 3:
        iv = t_interval(weekly_totals / 7.0, confidence)
        per_day = Estimate(rate, iv.ci_low, iv.ci_high)
    else:
        exact = poisson_rate(int(counts.sum()), counts.size, confidence)
        per_day = Estimate(rate, exact.low, exact.high)
    weights = []
    for c in per_weekday:
        if c.size >= 2 and rate > 0:
            iv = t_interval(c.ravel(), confidence)
            low, high = (iv.ci_low, iv.ci_high) if iv.std > 0 else poisson_bounds(c, confidence)
            weights.append(Estimate(c.mean() / rate, max(low, 0.0) / rate, high / rate))
        elif c.size and rate > 0:
            exact = poisson_rate(int(c.sum()), c.size, confidence)
            weights.append(Estimate(exact.value / rate, exact.low / rate, exact.high / rate))
        else:  # a weekday the records never saw: assume an average day
            weights.append(Estimate(1.0, math.nan, math.nan))
    return per_day, weights


def poisson_bounds(counts: np.ndarray, confidence: float) -> tuple[float, float]:
    """Exact Poisson bounds of the mean count (used when every count is equal, e.g. all 0)."""
    exact = poisson_rate(int(counts.sum()), counts.size, confidence)
    return exact.low, exact.high


def sum_to_one(shares: dict[str, float], digits: int = 6) -> dict[str, float]:
    """Shares rounded to ``digits``, the largest absorbing the rounding so they sum to 1."""
    rounded = {k: round(v, digits) for k, v in shares.items()}
    top = max(rounded, key=lambda k: rounded[k])
    rounded[top] = round(1.0 - sum(v for k, v in rounded.items() if k != top), digits)
    return rounded
