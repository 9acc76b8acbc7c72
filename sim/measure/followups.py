"""The follow-up KPIs: follow-ups done by their deadline and the satisfaction of the customers
reached.

This module owns the view ``FollowUps`` (the follow-ups created in the measured window, each with
its cohort: the day it was created) and the formulas of ``followup_on_time_rate`` and
``csat_mean``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.model import Replication
from sim.measure.kinds import RATIO
from sim.measure.registry import kpi
from sim.measure.window import FOLLOWED_TO_THE_END, Grid, on_time_parts, tally


@dataclass(frozen=True, slots=True)
class FollowUps:
    """The follow-ups created in the measured window, one array element per follow-up.

    Attributes:
        reached_minutes: When the customer was reached (NaN: not reached).
        due_minutes: When the follow-up was due (``within_hours`` after the repair).
        scores: The satisfaction score of the reached customer (NaN: none).
        end_minutes: The end of the records (``FOLLOWED_TO_THE_END`` for the model's).
        cohort: The day each follow-up was created (-1: none).
        cohorts: Number of cohorts.
    """

    reached_minutes: np.ndarray
    due_minutes: np.ndarray
    scores: np.ndarray
    end_minutes: float
    cohort: np.ndarray
    cohorts: int

    @classmethod
    def measured(cls, rep: Replication, days: Grid) -> FollowUps:
        """The follow-ups of a replication created in the measured days, by day created."""
        fu = rep.followups
        when = fu["created"].to_numpy(float)
        measured = fu[(when >= days.edges[0]) & (when < days.edges[-1])]
        return cls(measured["reached"].to_numpy(float), measured["due"].to_numpy(float),
                   measured["score"].to_numpy(float), FOLLOWED_TO_THE_END,
                   days.index(measured["created"].to_numpy(float)), days.count)


@kpi("followup_on_time_rate", "share", "at_least", "follow-up",
     "follow-ups done within within_hours / follow-ups due", kind=RATIO)
def followup_on_time_rate(followups: FollowUps) -> tuple[np.ndarray, np.ndarray]:
    """Customers reached by the due time / follow-ups due (one that lapsed, or still open at
    the run-out's cap, is late)."""
    return on_time_parts(followups.cohort, followups.cohorts, followups.reached_minutes,
                         followups.due_minutes, followups.end_minutes)


@kpi("csat_mean", "score 1-5", "at_least", "follow-up",
     "mean satisfaction score of reached customers", kind=RATIO)
def csat_mean(followups: FollowUps) -> tuple[np.ndarray, np.ndarray]:
    """Sum of the scores of the customers reached / customers scored."""
    scored = ~np.isnan(followups.scores)
    cohort = followups.cohort[scored]
    return (tally(cohort, followups.cohorts, followups.scores[scored]),
            tally(cohort, followups.cohorts))
