"""Time on a grid of intervals (``sim.measure.window.Grid.overlap``): busy minutes and staffed
minutes by day, which every utilisation and the cost of shifts are made of.

Checks the vectorised overlap against the definition worked out one interval and one bin at a
time: intervals inside one bin, across several, partly or wholly outside the grid, empty,
reversed or with a NaN end, with and without weights."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.measure.window import Grid


def by_definition(edges: list[float], spans: list[tuple[float, float, float]]) -> list[float]:
    """Per bin, the sum of weight x minutes of each [start, end) inside it."""
    out = [0.0] * (len(edges) - 1)
    for start, end, weight in spans:
        if math.isnan(start) or math.isnan(end):
            continue
        for i in range(len(out)):
            minutes = min(end, edges[i + 1]) - max(start, edges[i])
            if minutes > 0:
                out[i] += weight * minutes
    return out


times = st.one_of(st.floats(-50.0, 250.0), st.just(math.nan),
                  st.sampled_from([0.0, 30.0, 60.0, 100.0, 200.0]))


@settings(max_examples=200, deadline=None)
@given(gaps=st.lists(st.floats(0.5, 60.0), min_size=1, max_size=6),
       origin=st.floats(-10.0, 40.0),
       spans=st.lists(st.tuples(times, times, st.floats(0.0, 5.0)), max_size=30),
       weighted=st.booleans())
def test_overlap_is_the_minutes_of_each_interval_in_each_bin(
        gaps: list[float], origin: float, spans: list[tuple[float, float, float]],
        weighted: bool) -> None:
    edges = list(np.cumsum([origin, *gaps]))
    start = np.array([s for s, _, _ in spans], dtype=float)
    end = np.array([e for _, e, _ in spans], dtype=float)
    weight = np.array([w for _, _, w in spans], dtype=float) if weighted else None
    got = Grid(np.asarray(edges)).overlap(start, end, weight)
    expected = by_definition(edges, [(s, e, w if weighted else 1.0) for s, e, w in spans])
    assert got.shape == (len(edges) - 1,)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


def test_a_grid_without_time_overlaps_nothing() -> None:
    grid = Grid(np.array([60.0, 60.0]))
    assert grid.overlap(np.array([0.0, 59.0]), np.array([120.0, 61.0])).tolist() == [0.0]
    assert Grid.whole(0.0, 10.0).overlap(np.array([]), np.array([])).tolist() == [0.0]


def test_an_interval_across_bins_is_split_at_their_edges() -> None:
    grid = Grid(np.array([0.0, 10.0, 20.0, 30.0]))
    got = grid.overlap(np.array([5.0, -5.0, 25.0]), np.array([25.0, 2.0, 40.0]),
                       np.array([1.0, 2.0, 3.0]))
    assert got.tolist() == pytest.approx([5.0 + 4.0, 10.0, 5.0 + 15.0])
