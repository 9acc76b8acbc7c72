"""The complaints KPI: cases the back office resolved by their deadline.

This module owns the view ``Cases`` (the complaint cases opened in the measured window, each
with its cohort: the day it was opened) and the formula of ``complaint_on_time_rate``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.model import Replication
from sim.measure.kinds import RATIO
from sim.measure.registry import kpi
from sim.measure.window import FOLLOWED_TO_THE_END, Grid, on_time_parts


@dataclass(frozen=True, slots=True)
class Cases:
    """The complaint cases opened in the measured window, one array element per case.

    Attributes:
        resolved_minutes: When the case was resolved (NaN: still open).
        due_minutes: When it was due (``deadline_hours`` after it was opened).
        end_minutes: The end of the records (``FOLLOWED_TO_THE_END`` for the model's cases).
        cohort: The day each case was opened (-1: none).
        cohorts: Number of cohorts.
    """

    resolved_minutes: np.ndarray
    due_minutes: np.ndarray
    end_minutes: float
    cohort: np.ndarray
    cohorts: int

    @classmethod
    def measured(cls, rep: Replication, days: Grid) -> Cases:
        """The cases of a replication opened in the measured days, by day opened."""
        when = rep.cases["opened"].to_numpy(float)
        opened = rep.cases[(when >= days.edges[0]) & (when < days.edges[-1])]
        return cls(opened["resolved"].to_numpy(float), opened["due"].to_numpy(float),
                   FOLLOWED_TO_THE_END, days.index(opened["opened"].to_numpy(float)),
                   days.count)


@kpi("complaint_on_time_rate", "share", "at_least", "complaints",
     "complaints resolved within deadline_hours / complaints opened", kind=RATIO)
def complaint_on_time_rate(cases: Cases) -> tuple[np.ndarray, np.ndarray]:
    """Cases resolved by their due time / cases opened (a case still open at the run-out's cap
    is late)."""
    return on_time_parts(cases.cohort, cases.cohorts, cases.resolved_minutes, cases.due_minutes,
                         cases.end_minutes)
