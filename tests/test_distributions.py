"""The engine's samplers (``sim.engine.distributions``, the code path the model draws through)
against the distributions the scenario format documents, as scipy defines them.

Each family is drawn 100 000 times through the model's buffered scalar sampler, from a generator
on a fixed ``SeedSequence`` (the seed of its run in ``tests/theory_level.py``), and checked three
ways, each an analytic check under the suite's rule (Bonferroni over every analytic check, 1%
family-wise, so each at level ``EACH``):

* the mean: the t-interval of the draws (``sim.measure.stats.t_interval``) covers scipy's mean;
* the variance: the t-interval of the squared deviations from that mean covers scipy's variance;
* the shape: a Kolmogorov-Smirnov test against scipy's cdf (a chi-square test on the frequencies
  of an empirical distribution) has a p-value above ``1 - EACH``.

The scenario model's own ``mean_value()`` and ``variance()`` (what capacity warnings and the
optimizer's start use) must equal scipy's to rounding. Some cases draw with a ``scale`` (hours
to minutes, as the engine converts units) to check that path too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import theory_level as level
from pydantic import TypeAdapter
from scipy import stats

from sim.engine.distributions import sampler
from sim.scenario.dists import ConstantDist, Distribution, EmpiricalDist, NormalDist

DRAWS = 100_000
SPEC: TypeAdapter[Any] = TypeAdapter(Distribution)


@dataclass(frozen=True)
class Case:
    """A scenario distribution spec, the scale it is drawn at, and scipy's version of it."""

    run: str
    spec: dict[str, Any]
    scale: float = 1.0

    def model(self) -> Any:
        return SPEC.validate_python(self.spec)

    def scipy(self) -> Any:
        """scipy's frozen distribution of the spec, before ``scale``."""
        d = self.spec
        if d["dist"] == "exponential":
            return stats.expon(scale=d["mean"])
        if d["dist"] == "lognormal":
            sigma = math.sqrt(math.log1p(d["cv"] ** 2))
            return stats.lognorm(sigma, scale=d["mean"] * math.exp(-sigma**2 / 2))
        if d["dist"] == "gamma":
            shape = 1 / d["cv"] ** 2
            return stats.gamma(shape, scale=d["mean"] / shape)
        if d["dist"] == "uniform":
            return stats.uniform(d["low"], d["high"] - d["low"])
        if d["dist"] == "triangular":
            width = d["high"] - d["low"]
            return stats.triang((d["mode"] - d["low"]) / width, d["low"], width)
        if d["dist"] == "normal":
            return stats.truncnorm(-d["mean"] / d["sd"], math.inf, d["mean"], d["sd"])
        if d["dist"] == "empirical":
            values, index = np.unique(d["values"], return_inverse=True)
            weights = np.asarray(d.get("weights") or [1.0] * len(d["values"]), dtype=float)
            probs = np.bincount(index, weights=weights) / weights.sum()
            # rv_discrete wants integers: the values here are whole numbers of minutes.
            return stats.rv_discrete(values=(values.astype(int), probs))
        raise AssertionError(d)


CASES = {case.run: case for case in [
    Case("dist-exponential", {"dist": "exponential", "mean": 4.0}),
    Case("dist-lognormal", {"dist": "lognormal", "mean": 8.0, "cv": 0.5}),
    Case("dist-gamma", {"dist": "gamma", "mean": 1.5, "cv": 0.8}, scale=60.0),
    Case("dist-uniform", {"dist": "uniform", "low": 12.0, "high": 36.0}, scale=60.0),
    Case("dist-triangular", {"dist": "triangular", "low": 10.0, "mode": 15.0, "high": 40.0}),
    Case("dist-normal", {"dist": "normal", "mean": 5.0, "sd": 2.0}),
    # The mass above 0 lies 3 sd out: clipping would put 76% of the draws at 0.
    Case("dist-normal-far_tail", {"dist": "normal", "mean": -3.0, "sd": 1.0}),
    # A repeated value: its draws add up (chi-square on the distinct values).
    Case("dist-empirical", {"dist": "empirical", "values": [5.0, 5.0, 10.0, 20.0, 45.0]}),
    Case("dist-empirical-weighted", {"dist": "empirical", "values": [3.0, 5.0, 9.0],
                                     "weights": [1.0, 2.0, 0.5]}),
]}


def draws(spec: Any, n: int, seed: int, scale: float = 1.0) -> np.ndarray:
    """``n`` draws through the model's buffered scalar sampler, on ``SeedSequence(seed)``."""
    gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    draw = sampler(spec, gen, scale)
    return np.array([draw() for _ in range(n)])


def sample_of(run: str) -> np.ndarray:
    """The run's draws, divided by its scale (so they compare with the unscaled spec)."""
    case = CASES[run]
    return draws(case.model(), DRAWS, level.seed(run), case.scale) / case.scale


def test_the_cases_are_the_registered_runs() -> None:
    assert list(CASES) == level.runs("dist")


@pytest.mark.parametrize("run", list(CASES))
def test_the_models_mean_and_variance_are_scipys(run: str) -> None:
    """What the scenario model says of its distribution (capacity warnings and the optimizer
    use it) is the distribution's exact mean and variance."""
    model, exact = CASES[run].model(), CASES[run].scipy()
    assert model.mean_value() == pytest.approx(float(exact.mean()), rel=1e-9)
    assert model.variance() == pytest.approx(float(exact.var()), rel=1e-9)


@pytest.mark.parametrize(("run", "check"), level.params("dist"))
def test_the_sampler_draws_the_distribution(run: str, check: str) -> None:
    exact = CASES[run].scipy()
    x = sample_of(run)
    mean, variance = float(exact.mean()), float(exact.var())
    if check == "mean":
        level.assert_mean(run, check, x, mean)
    elif check == "variance":
        level.assert_mean(run, check, (x - mean) ** 2, variance)
    elif check == "ks":
        level.assert_p_value(run, check, float(stats.kstest(x, exact.cdf).pvalue))
    else:
        assert check == "chi2"
        values, counts = np.unique(x, return_counts=True)
        expected = exact.pmf(values.astype(int)) * len(x)
        assert sorted(values) == sorted(set(CASES[run].spec["values"]))
        assert expected.sum() == pytest.approx(len(x))
        level.assert_p_value(run, check, float(stats.chisquare(counts, expected).pvalue))


def test_the_normal_is_truncated_at_0_not_clipped() -> None:
    """``normal {mean: -3, sd: 1}`` used to put 76% of its draws at exactly 0 (rejection gave up
    after 200 tries); conditioned on >= 0 it has no atom at 0, however far in the tail the mass
    above 0 lies."""
    for mean in (-3.0, -40.0, -200.0):
        x = draws(NormalDist(dist="normal", mean=mean, sd=1.0), 20_000, 1)
        assert np.isfinite(x).all() and (x > 0).all(), mean


def test_constants_are_exact() -> None:
    """A constant (and a normal with sd 0) draws its value every time, at any scale."""
    assert (draws(ConstantDist(value=2.5), 5000, 1, scale=60.0) == 150.0).all()
    assert (draws(NormalDist(dist="normal", mean=3.0, sd=0.0), 5000, 1) == 3.0).all()
    assert ConstantDist(value=2.5).mean_value() == 2.5 and ConstantDist(value=2.5).variance() == 0


def test_one_value_empirical_is_a_constant() -> None:
    one = EmpiricalDist(dist="empirical", values=(7.0,))
    assert (draws(one, 3000, 1) == 7.0).all() and one.variance() == 0.0
