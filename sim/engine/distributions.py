"""Samplers built from the scenario's distribution specs.

The scenario module owns the *specs* (validated data that know their mean and variance); this
module turns a spec into numbers: a vectorised ``sample`` and a buffered scalar ``Sampler`` for the
event loop. Draws are made in blocks because one numpy call per event costs more than the event.
Every sampler takes a ``scale`` so that a spec in hours or days is converted once into the
engine's clock unit (minutes).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Iterator

import numpy as np

from sim.scenario.dists import (
    ConstantDist,
    Distribution,
    EmpiricalDist,
    ExponentialDist,
    GammaDist,
    LognormalDist,
    NormalDist,
    TriangularDist,
    UniformDist,
)


def sample(spec: Distribution, gen: np.random.Generator, size: int, scale: float = 1.0
           ) -> np.ndarray:
    """Draw ``size`` values of ``spec`` times ``scale`` from ``gen``."""
    if isinstance(spec, ConstantDist):
        values = np.full(size, spec.value, dtype=float)
    elif isinstance(spec, ExponentialDist):
        values = spec.mean * gen.standard_exponential(size)
    elif isinstance(spec, LognormalDist):
        sigma2 = math.log1p(spec.cv**2)
        mu = math.log(spec.mean) - sigma2 / 2.0
        values = np.exp(mu + math.sqrt(sigma2) * gen.standard_normal(size))
    elif isinstance(spec, GammaDist):
        shape = 1.0 / spec.cv**2
        values = gen.standard_gamma(shape, size) * (spec.mean / shape)
    elif isinstance(spec, UniformDist):
        values = spec.low + (spec.high - spec.low) * gen.random(size)
    elif isinstance(spec, TriangularDist):
        values = gen.triangular(spec.low, spec.mode, spec.high, size)
    elif isinstance(spec, NormalDist):
        values = _truncated_normal(spec.mean, spec.sd, gen, size)
    elif isinstance(spec, EmpiricalDist):
        weights = None
        if spec.weights is not None:
            w = np.asarray(spec.weights, dtype=float)
            weights = w / w.sum()
        values = gen.choice(np.asarray(spec.values, dtype=float), size=size, p=weights)
    else:  # pragma: no cover - the scenario union is closed
        raise TypeError(f"unknown distribution {spec!r}")
    return values * scale


def _truncated_normal(mean: float, sd: float, gen: np.random.Generator, size: int
                      ) -> np.ndarray:
    """Normal(mean, sd) conditioned on >= 0, by inversion: one uniform from ``gen`` per draw.

    With ``a = -mean / sd`` the standardised truncation point and ``v`` uniform on (0, 1], the
    draw is ``mean + sd * z`` with ``z = -Phi^-1(v * Phi(-a))``: the standard normal's survival
    function beyond ``a``, inverted. It is computed in log space (``log_ndtr``, ``ndtri_exp``)
    so that it stays exact when the mass above 0 lies far in the tail (a mean of -200 sd, say),
    where rejection would spin and the old fallback put draws at 0. The final ``maximum`` only
    absorbs rounding at the boundary.
    """
    if sd == 0.0:
        return np.full(size, max(mean, 0.0))
    from scipy.special import log_ndtr, ndtri_exp  # scipy is heavy: load it only when used

    v = 1.0 - gen.random(size)
    z = -ndtri_exp(np.log(v) + log_ndtr(mean / sd))
    return np.maximum(mean + sd * z, 0.0)


Sampler = Callable[[], float]
"""A scalar sampler: each call returns the next draw."""


def _blocks(draw: Callable[[int], np.ndarray], block: int) -> Iterator[list[float]]:
    while True:
        yield draw(block).tolist()


def buffered(draw: Callable[[int], np.ndarray], block: int = 2048) -> Sampler:
    """A sampler over ``draw(block)``'s numbers, one block at a time.

    Built from ``next`` on a chain of the blocks, so that a draw runs no Python frame (the event
    loop makes hundreds of thousands of them); the generator runs once per block.
    """
    return functools.partial(next, itertools.chain.from_iterable(_blocks(draw, block)))


def sampler(spec: Distribution, gen: np.random.Generator, scale: float = 1.0) -> Sampler:
    """A buffered scalar sampler of ``spec`` (times ``scale``) drawing from ``gen``."""
    return buffered(lambda n: sample(spec, gen, n, scale))


def uniform_sampler(gen: np.random.Generator) -> Sampler:
    """Buffered U(0,1) draws: the coin flips of one source (escalation, fix, reach...)."""
    return buffered(gen.random)
