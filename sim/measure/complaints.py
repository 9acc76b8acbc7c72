"""The complaints KPI: cases the back office resolved by their deadline.

This module owns the view ``Cases`` (the complaint cases opened in the measured window) and the
formula of ``complaint_on_time_rate``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.model import Replication
from sim.measure.registry import kpi
from sim.measure.window import on_time_share


@dataclass(frozen=True, slots=True)
class Cases:
    """The complaint cases opened in the measured window, one array element per case.

    Attributes:
        resolved_minutes: When the case was resolved (NaN: still open).
        due_minutes: When it was due (``deadline_hours`` after it was opened).
        end_minutes: The end of the records.
    """

    resolved_minutes: np.ndarray
    due_minutes: np.ndarray
    end_minutes: float

    @classmethod
    def measured(cls, rep: Replication) -> Cases:
        """The cases of a replication opened after the warm-up."""
        opened_at = rep.cases["opened"].to_numpy(float)
        opened = rep.cases[(opened_at >= rep.start_minutes) & (opened_at < rep.end_minutes)]
        return cls(opened["resolved"].to_numpy(float), opened["due"].to_numpy(float),
                   rep.end_minutes)


@kpi("complaint_on_time_rate", "share", "at_least", "complaints",
     "complaints resolved within deadline_hours / complaints opened")
def complaint_on_time_rate(cases: Cases) -> float:
    """Cases resolved by their due time / cases opened (a case open at the end counts once its
    due time has passed; before that its fate is unknown and it is left out)."""
    return on_time_share(cases.resolved_minutes, cases.due_minutes, cases.end_minutes)
