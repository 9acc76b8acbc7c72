"""The call-center KPIs: offered calls, busy signals, service level, waits, abandonment, the
agents' and specialists' utilisation, and the hold for a specialist.

This module owns the views ``Calls`` (the calls that arrived in the measured window, as the
queue saw them) and ``Escalations`` (their transfers to technical support), and the formula of
every KPI of the ``call center`` and ``technical support`` groups. ``sim.calibrate.measures``
builds ``Calls`` from event logs and calls the same formulas.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.engine.model import Replication
from sim.engine.records import ABANDONED, BLOCKED, HOLD_ABANDONED
from sim.measure.registry import kpi
from sim.measure.window import (
    NAN,
    Period,
    busy_minutes,
    mean_or_nan,
    ratio,
    session_busy_minutes,
    utilization,
)
from sim.scenario.format import Scenario
from sim.units import SECONDS_PER_MINUTE

# A wait exactly on the target is in target; the slack absorbs the rounding of a difference of
# two clock readings.
_ON_TARGET_SLACK_MINUTES = 1e-9


def in_window(rep: Replication, times: pd.Series) -> np.ndarray:
    """Which of ``times`` fall in the measured window [start, end) of ``rep``."""
    t = times.to_numpy(float)
    return (t >= rep.start_minutes) & (t < rep.end_minutes)


def phone_calls(rep: Replication) -> pd.DataFrame:
    """The phone calls that arrived in the measured window: tickets of closed hours left out
    (they never queued on the phone)."""
    calls = rep.calls
    return calls[in_window(rep, calls["arrival"]) & ~calls["callback"].to_numpy(bool)]


@dataclass(frozen=True, slots=True)
class Calls:
    """Calls offered in a window (the measured window for the KPIs; a day or an hour of the
    week for the series; a week of a company's logs for the fit), one array element per call.

    Attributes:
        arrival_minutes: When the call rang.
        answer_minutes: When an agent answered (NaN: never).
        abandoned: The caller hung up while queued.
        blocked: The call got a busy signal.
        answer_target_seconds: The service level's threshold (the scenario's key).
    """

    arrival_minutes: np.ndarray
    answer_minutes: np.ndarray
    abandoned: np.ndarray
    blocked: np.ndarray
    answer_target_seconds: float

    @classmethod
    def of(cls, calls: pd.DataFrame, answer_target_seconds: float) -> Calls:
        """Rows of a replication's calls table."""
        state = calls["state"].to_numpy()
        return cls(calls["arrival"].to_numpy(float), calls["answer"].to_numpy(float),
                   state == ABANDONED, state == BLOCKED, answer_target_seconds)

    @classmethod
    def measured(cls, scenario: Scenario, rep: Replication) -> Calls:
        """The calls of a replication that arrived after the warm-up."""
        return cls.of(phone_calls(rep), scenario.call_center.answer_target_seconds)

    @property
    def offered(self) -> int:
        """Calls offered (every call that rang, busy signals included)."""
        return len(self.arrival_minutes)

    def waits_minutes(self) -> np.ndarray:
        """The wait of each answered call, in the view's order."""
        answered = ~np.isnan(self.answer_minutes)
        return self.answer_minutes[answered] - self.arrival_minutes[answered]


@dataclass(frozen=True, slots=True)
class Escalations:
    """The calls offered in the measured window as technical support saw them, one element per
    call (NaN where a call was not escalated or not answered by a specialist).

    Attributes:
        hold_start_minutes: When the caller was put on hold for a specialist.
        specialist_answer_minutes: When a specialist took the call over.
        hold_abandoned: The caller hung up on hold.
    """

    hold_start_minutes: np.ndarray
    specialist_answer_minutes: np.ndarray
    hold_abandoned: np.ndarray

    @classmethod
    def measured(cls, rep: Replication) -> Escalations:
        """The calls of a replication that arrived after the warm-up."""
        calls = phone_calls(rep)
        return cls(calls["hold_start"].to_numpy(float),
                   calls["specialist_answer"].to_numpy(float),
                   calls["state"].to_numpy() == HOLD_ABANDONED)


@kpi("calls_offered", "calls", "at_least", "call center",
     "contacts arriving in the measured window")
def calls_offered(calls: Calls) -> float:
    """Every call that rang in the window."""
    return float(calls.offered)


@kpi("calls_blocked_rate", "share", "at_most", "call center", "busy signals / offered")
def calls_blocked_rate(calls: Calls) -> float:
    """Share of offered calls that got a busy signal."""
    return ratio(float(np.sum(calls.blocked)), calls.offered)


@kpi("service_level", "share", "at_least", "call center",
     "calls answered within answer_target_seconds / offered (abandoned and blocked count as "
     "misses)")
def service_level(calls: Calls) -> float:
    """Share of offered calls answered within the target."""
    target_minutes = calls.answer_target_seconds / SECONDS_PER_MINUTE
    in_target = calls.waits_minutes() <= target_minutes + _ON_TARGET_SLACK_MINUTES
    return ratio(float(np.sum(in_target)), calls.offered)


@kpi("asa_seconds", "s", "at_most", "call center", "mean wait of answered calls")
def asa_seconds(calls: Calls) -> float:
    """Average speed of answer."""
    return mean_or_nan(calls.waits_minutes()) * SECONDS_PER_MINUTE


@kpi("response_seconds_p90", "s", "at_most", "call center",
     "90th percentile of time to answer, answered calls")
def response_seconds_p90(calls: Calls) -> float:
    """The wait nine answered calls in ten did not exceed."""
    waits = calls.waits_minutes()
    return float(np.quantile(waits, 0.9)) * SECONDS_PER_MINUTE if len(waits) else NAN


@kpi("abandon_rate", "share", "at_most", "call center", "abandoned / offered")
def abandon_rate(calls: Calls) -> float:
    """Share of offered calls whose caller hung up while queued."""
    return ratio(float(np.sum(calls.abandoned)), calls.offered)


@kpi("agent_utilization", "share", "at_most", "call center",
     "agent busy time / staffed agent time (inbound and follow-up work)")
def agent_utilization(period: Period) -> float:
    """Agents' talk time with callers and follow-up calls over their staffed time."""
    calls = period.rep.calls
    busy = (busy_minutes(calls["answer"].to_numpy(float), calls["handle"].to_numpy(float),
                         period.start_minutes, period.end_minutes)
            + session_busy_minutes(period, "agents"))
    return utilization(period, "agents", busy)


@kpi("escalation_wait_minutes", "min", "at_most", "technical support",
     "mean hold time for a specialist, escalated calls")
def escalation_wait_minutes(escalations: Escalations) -> float:
    """Mean hold of the escalated calls a specialist answered."""
    answered = ~np.isnan(escalations.specialist_answer_minutes)
    return mean_or_nan(escalations.specialist_answer_minutes[answered]
                       - escalations.hold_start_minutes[answered])


@kpi("specialist_utilization", "share", "at_most", "technical support",
     "specialist busy time / staffed specialist time")
def specialist_utilization(period: Period) -> float:
    """Specialists' talk time over their staffed time."""
    calls = period.rep.calls
    busy = busy_minutes(calls["specialist_answer"].to_numpy(float),
                        calls["specialist_handle"].to_numpy(float),
                        period.start_minutes, period.end_minutes)
    return utilization(period, "specialists", busy)


@kpi("hold_abandon_rate", "share", "at_most", "technical support",
     "escalated callers who hung up on hold / escalated calls", contract=False)
def hold_abandon_rate(escalations: Escalations) -> float:
    """Share of escalated calls lost on hold for a specialist."""
    return ratio(float(np.sum(escalations.hold_abandoned)),
                 float(np.sum(~np.isnan(escalations.hold_start_minutes))))
