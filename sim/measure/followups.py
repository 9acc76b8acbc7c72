"""The follow-up KPIs: follow-ups done by their deadline and the satisfaction of the customers
reached.

This module owns the view ``FollowUps`` (the follow-ups created in the measured window) and the
formulas of ``followup_on_time_rate`` and ``csat_mean``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.model import Replication
from sim.measure.registry import kpi
from sim.measure.window import mean_or_nan, on_time_share


@dataclass(frozen=True, slots=True)
class FollowUps:
    """The follow-ups created in the measured window, one array element per follow-up.

    Attributes:
        reached_minutes: When the customer was reached (NaN: not reached).
        due_minutes: When the follow-up was due (``within_hours`` after the repair).
        scores: The satisfaction score of the reached customer (NaN: none).
        end_minutes: The end of the records.
    """

    reached_minutes: np.ndarray
    due_minutes: np.ndarray
    scores: np.ndarray
    end_minutes: float

    @classmethod
    def measured(cls, rep: Replication) -> FollowUps:
        """The follow-ups of a replication created after the warm-up."""
        fu = rep.followups
        created = fu["created"].to_numpy(float)
        measured = fu[(created >= rep.start_minutes) & (created < rep.end_minutes)]
        return cls(measured["reached"].to_numpy(float), measured["due"].to_numpy(float),
                   measured["score"].to_numpy(float), rep.end_minutes)


@kpi("followup_on_time_rate", "share", "at_least", "follow-up",
     "follow-ups done within within_hours / follow-ups due")
def followup_on_time_rate(followups: FollowUps) -> float:
    """Customers reached by the due time / follow-ups due (one still open at the end counts
    once its due time has passed; before that its fate is unknown and it is left out)."""
    return on_time_share(followups.reached_minutes, followups.due_minutes, followups.end_minutes)


@kpi("csat_mean", "score 1-5", "at_least", "follow-up",
     "mean satisfaction score of reached customers")
def csat_mean(followups: FollowUps) -> float:
    """Mean score of the customers reached."""
    return mean_or_nan(followups.scores[~np.isnan(followups.scores)])
