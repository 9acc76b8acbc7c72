"""The call-center KPIs: offered calls, busy signals, service level, waits, abandonment, the
agents' and specialists' utilisation, and the hold for a specialist.

This module owns the views ``Calls`` (the phone calls that arrived in the measured window, as the
queue saw them, each with its cohort: the day it arrived), ``Escalations`` (their transfers to
technical support) and ``Callbacks`` (the contacts of closed hours: web tickets and voicemail
called back when the center opened, which never queued on the phone and so are not in the phone
KPIs), ``WAIT_BINS`` (the bins of the wait quantile) and the formula of every KPI of the ``call
center`` and ``technical support`` groups, each giving its parts per day.
``sim.calibrate.measures`` builds ``Calls`` from event logs (a week or a replication as the
cohort) and calls the same formulas.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.engine.model import Replication
from sim.engine.records import ABANDONED, BLOCKED, HOLD_ABANDONED
from sim.measure.kinds import RATIO, SUM, Bins, Quantile
from sim.measure.registry import kpi
from sim.measure.window import (
    Grid,
    Period,
    busy_by,
    session_busy_by,
    tally,
    utilization_parts,
)
from sim.scenario.format import Scenario
from sim.units import MINUTES_PER_HOUR, SECONDS_PER_MINUTE

# A wait exactly on the target is in target; the slack absorbs the rounding of a difference of
# two clock readings.
_ON_TARGET_SLACK_MINUTES = 1e-9
WAIT_BINS = Bins(step=0.5, linear_top=120.0, ratio=1.01, top=7 * 24 * 3600.0)
"""Seconds: a bin for calls answered at once, 0.5 s bins below two minutes, 1%-wide bins above up
to a week. A wait quantile from them is within 0.25 s + 0.5% of the exact one (``Bins.bound``;
exact when it is 0); one above a week reads a week."""


@dataclass(frozen=True, slots=True)
class Calls:
    """Calls offered in a window (the measured days for the KPIs; an hour of the week for the
    series; a week of a company's logs for the fit), one array element per call.

    Attributes:
        arrival_minutes: When the call rang.
        answer_minutes: When an agent answered (NaN: never).
        abandoned: The caller hung up while queued.
        blocked: The call got a busy signal.
        answer_target_seconds: The service level's threshold (the scenario's key).
        cohort: The cohort each call counts in (the day it arrived; -1: none).
        cohorts: Number of cohorts.
    """

    arrival_minutes: np.ndarray
    answer_minutes: np.ndarray
    abandoned: np.ndarray
    blocked: np.ndarray
    answer_target_seconds: float
    cohort: np.ndarray
    cohorts: int

    @classmethod
    def of(cls, calls: pd.DataFrame, answer_target_seconds: float, cohort: np.ndarray,
           cohorts: int) -> Calls:
        """Rows of a replication's calls table, each in the given cohort."""
        state = calls["state"].to_numpy()
        return cls(calls["arrival"].to_numpy(float), calls["answer"].to_numpy(float),
                   state == ABANDONED, state == BLOCKED, answer_target_seconds, cohort, cohorts)

    @classmethod
    def measured(cls, scenario: Scenario, rep: Replication, days: Grid) -> Calls:
        """The phone calls of a replication that arrived in the measured days, by day of
        arrival."""
        calls = _arrived_in(rep.calls, days, ["arrival", "answer", "state"])
        return cls.of(calls, scenario.call_center.answer_target_seconds,
                      days.index(calls["arrival"].to_numpy(float)), days.count)

    def count(self, which: np.ndarray | None = None) -> np.ndarray:
        """Calls per cohort (those where ``which`` is True)."""
        return tally(self.cohort, self.cohorts, which)

    def wait_minutes(self) -> np.ndarray:
        """The wait of each call (NaN: not answered)."""
        return self.answer_minutes - self.arrival_minutes

    def waits_minutes(self) -> np.ndarray:
        """The wait of each answered call, in the view's order."""
        answered = ~np.isnan(self.answer_minutes)
        return self.answer_minutes[answered] - self.arrival_minutes[answered]


def _arrived_in(calls: pd.DataFrame, days: Grid, columns: list[str],
                callbacks: bool = False) -> pd.DataFrame:
    """The ``columns`` of the phone calls (or, with ``callbacks``, the contacts of closed hours)
    that arrived in the grid. Only those columns: the whole table's rows would be a copy of
    every call (30 MiB at 365 days) for the two or four columns a view reads."""
    arrival = calls["arrival"].to_numpy(float)
    return calls.loc[(arrival >= days.edges[0]) & (arrival < days.edges[-1])
                     & (calls["callback"].to_numpy(bool) == callbacks), columns]


@dataclass(frozen=True, slots=True)
class Callbacks:
    """Contacts that arrived in the measured window while the call center was closed (web
    tickets, voicemail: ``demand.closed_hours: queue``, and failed repairs reported at night),
    one element per contact.

    Attributes:
        arrival_minutes: When the contact came in.
        callback_minutes: When an agent called back (NaN: not yet at the run-out's cap).
        cohort: The day each arrived (-1: none).
        cohorts: Number of cohorts.
    """

    arrival_minutes: np.ndarray
    callback_minutes: np.ndarray
    cohort: np.ndarray
    cohorts: int

    @classmethod
    def measured(cls, rep: Replication, days: Grid) -> Callbacks:
        """The contacts of closed hours of a replication, by day of arrival."""
        calls = _arrived_in(rep.calls, days, ["arrival", "answer"], callbacks=True)
        arrival = calls["arrival"].to_numpy(float)
        return cls(arrival, calls["answer"].to_numpy(float), days.index(arrival), days.count)


@dataclass(frozen=True, slots=True)
class Escalations:
    """The calls offered in the measured window as technical support saw them, one element per
    call (NaN where a call was not escalated or not answered by a specialist).

    Attributes:
        hold_start_minutes: When the caller was put on hold for a specialist.
        specialist_answer_minutes: When a specialist took the call over.
        hold_abandoned: The caller hung up on hold.
        cohort: The day each call arrived (-1: none).
        cohorts: Number of cohorts.
    """

    hold_start_minutes: np.ndarray
    specialist_answer_minutes: np.ndarray
    hold_abandoned: np.ndarray
    cohort: np.ndarray
    cohorts: int

    @classmethod
    def measured(cls, rep: Replication, days: Grid) -> Escalations:
        """The calls of a replication that arrived in the measured days, by day of arrival."""
        calls = _arrived_in(rep.calls, days,
                            ["hold_start", "specialist_answer", "state", "arrival"])
        return cls(calls["hold_start"].to_numpy(float),
                   calls["specialist_answer"].to_numpy(float),
                   calls["state"].to_numpy() == HOLD_ABANDONED,
                   days.index(calls["arrival"].to_numpy(float)), days.count)


@kpi("calls_offered", "calls", "at_least", "call center",
     "contacts arriving in the measured window (phone calls; contacts of closed hours, called "
     "back when the center opens, are closed_hours_contacts)", kind=SUM)
def calls_offered(calls: Calls) -> np.ndarray:
    """Every call that rang, by day."""
    return calls.count()


@kpi("calls_blocked_rate", "share", "at_most", "call center", "busy signals / offered",
     kind=RATIO)
def calls_blocked_rate(calls: Calls) -> tuple[np.ndarray, np.ndarray]:
    """Busy signals / offered calls."""
    return calls.count(calls.blocked), calls.count()


@kpi("service_level", "share", "at_least", "call center",
     "calls answered within answer_target_seconds / offered (abandoned and blocked count as "
     "misses)", kind=RATIO)
def service_level(calls: Calls) -> tuple[np.ndarray, np.ndarray]:
    """Calls answered within the target / offered calls."""
    target_minutes = calls.answer_target_seconds / SECONDS_PER_MINUTE
    in_target = calls.wait_minutes() <= target_minutes + _ON_TARGET_SLACK_MINUTES
    return calls.count(in_target), calls.count()


@kpi("asa_seconds", "s", "at_most", "call center", "mean wait of answered calls", kind=RATIO)
def asa_seconds(calls: Calls) -> tuple[np.ndarray, np.ndarray]:
    """Average speed of answer: seconds waited by answered calls / answered calls."""
    answered = ~np.isnan(calls.answer_minutes)
    waits = calls.wait_minutes()[answered] * SECONDS_PER_MINUTE
    return (tally(calls.cohort[answered], calls.cohorts, waits), calls.count(answered))


@kpi("response_seconds_p90", "s", "at_most", "call center",
     "90th percentile of time to answer, answered calls", kind=Quantile(0.9, WAIT_BINS))
def response_seconds_p90(calls: Calls) -> np.ndarray:
    """The wait nine answered calls in ten did not exceed: answered calls per wait bin."""
    answered = ~np.isnan(calls.answer_minutes)
    return WAIT_BINS.histogram(calls.cohort[answered], calls.cohorts,
                               calls.wait_minutes()[answered] * SECONDS_PER_MINUTE)


@kpi("abandon_rate", "share", "at_most", "call center", "abandoned / offered", kind=RATIO)
def abandon_rate(calls: Calls) -> tuple[np.ndarray, np.ndarray]:
    """Calls whose caller hung up while queued / offered calls."""
    return calls.count(calls.abandoned), calls.count()


@kpi("agent_utilization", "share", "at_most", "call center",
     "agent busy time / staffed agent time (inbound and follow-up work)", kind=RATIO)
def agent_utilization(period: Period) -> tuple[np.ndarray, np.ndarray]:
    """Agents' talk time with callers and follow-up calls / their staffed time."""
    calls = period.rep.calls
    busy = (busy_by(period.grid, calls["answer"].to_numpy(float),
                    calls["handle"].to_numpy(float))
            + session_busy_by(period, "agents"))
    return utilization_parts(period, "agents", busy)


@kpi("escalation_wait_minutes", "min", "at_most", "technical support",
     "mean hold time for a specialist, escalated calls", kind=RATIO)
def escalation_wait_minutes(escalations: Escalations) -> tuple[np.ndarray, np.ndarray]:
    """Minutes on hold of the escalated calls a specialist answered / those calls."""
    answered = ~np.isnan(escalations.specialist_answer_minutes)
    holds = (escalations.specialist_answer_minutes[answered]
             - escalations.hold_start_minutes[answered])
    cohort = escalations.cohort[answered]
    return tally(cohort, escalations.cohorts, holds), tally(cohort, escalations.cohorts)


@kpi("specialist_utilization", "share", "at_most", "technical support",
     "specialist busy time / staffed specialist time", kind=RATIO)
def specialist_utilization(period: Period) -> tuple[np.ndarray, np.ndarray]:
    """Specialists' talk time / their staffed time."""
    calls = period.rep.calls
    busy = busy_by(period.grid, calls["specialist_answer"].to_numpy(float),
                   calls["specialist_handle"].to_numpy(float))
    return utilization_parts(period, "specialists", busy)


@kpi("hold_abandon_rate", "share", "at_most", "technical support",
     "escalated callers who hung up on hold / escalated calls", kind=RATIO, contract=False)
def hold_abandon_rate(escalations: Escalations) -> tuple[np.ndarray, np.ndarray]:
    """Escalated calls lost on hold for a specialist / escalated calls."""
    return (tally(escalations.cohort, escalations.cohorts, escalations.hold_abandoned),
            tally(escalations.cohort, escalations.cohorts,
                  ~np.isnan(escalations.hold_start_minutes)))


@kpi("callback_wait_hours", "h", "at_most", "call center",
     "mean wait from a closed-hours contact to its callback", kind=RATIO)
def callback_wait_hours(callbacks: Callbacks) -> tuple[np.ndarray, np.ndarray]:
    """Hours from a contact of closed hours to the agent's callback / contacts called back
    (NaN when the call center is never closed to a contact)."""
    called = ~np.isnan(callbacks.callback_minutes)
    hours = ((callbacks.callback_minutes[called] - callbacks.arrival_minutes[called])
             / MINUTES_PER_HOUR)
    cohort = callbacks.cohort[called]
    return tally(cohort, callbacks.cohorts, hours), tally(cohort, callbacks.cohorts)


@kpi("closed_hours_contacts", "contacts", "at_least", "call center",
     "contacts arriving while the call center is closed (web tickets, voicemail), each called "
     "back when it opens", kind=SUM, contract=False)
def closed_hours_contacts(callbacks: Callbacks) -> np.ndarray:
    """Contacts of closed hours, by day of arrival."""
    return tally(callbacks.cohort, callbacks.cohorts)
