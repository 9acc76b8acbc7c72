"""The tables behind the charts: daily series, the hour-of-week profile and the histograms of
waits and repair turnaround.

This module owns ``daily_calls``, ``peak_queue_per_day``, ``daily_repairs``, ``hourly_profile``,
``wait_histogram`` (with ``WAIT_BIN_EDGES_SECONDS``) and ``turnaround_histogram`` (with
``TURNAROUND_BIN_EDGES_HOURS``). They follow the same measurement rules as the KPIs: what arrived
after the warm-up, staffing over the window; a daily column that is a KPI (the service level) or
a part of one (offered, answered, abandoned, blocked calls) is read from the ledger
(``sim.measure.ledger``), so a day's value has the horizon's definition.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.engine.model import Replication
from sim.engine.records import BLOCKED
from sim.measure.calls import Calls, service_level
from sim.measure.ledger import Ledger
from sim.measure.registry import values
from sim.measure.repairs import Jobs
from sim.measure.window import Grid, staffed_by
from sim.scenario.format import Scenario
from sim.units import (
    HOURS_PER_DAY,
    HOURS_PER_WEEK,
    MINUTES_PER_DAY,
    MINUTES_PER_HOUR,
    SECONDS_PER_MINUTE,
)

WAIT_BIN_EDGES_SECONDS = np.concatenate((np.arange(0.0, 301.0, 10.0), [np.inf]))
TURNAROUND_BIN_EDGES_HOURS = np.concatenate((np.arange(0.0, 24.0 * 14 + 1, 12.0), [np.inf]))


def daily_calls(rep: Replication, ledger: Ledger, by_day: pd.DataFrame) -> pd.DataFrame:
    """One row per measured day: offered, answered, abandoned, blocked, service level (from the
    ledger and the KPIs by day), peak queue, staffed agents."""
    days = ledger.parts["day"].to_numpy()
    whole_days = Grid(np.append(days, days[-1] + 1).astype(float) * MINUTES_PER_DAY)

    def part(column: str) -> np.ndarray:
        return ledger.parts[column].to_numpy().astype(np.int64)

    return pd.DataFrame({
        "day": days,
        "offered": part("calls_offered.sum"),
        "answered": part("asa_seconds.den"),  # the answered calls ASA is the mean of
        "abandoned": part("abandon_rate.num"),
        "blocked": part("calls_blocked_rate.num"),
        "service_level": by_day["service_level"].to_numpy(float),
        "peak_queue": peak_queue_per_day(rep.calls, days),
        "staffed_agents": staffed_by(whole_days, rep.windows["agents"]) / MINUTES_PER_DAY,
    })


def rang(calls: pd.DataFrame) -> np.ndarray:
    """Which calls rang on the phone: contacts of closed hours are tickets, called back later,
    and nobody waits on the line for them."""
    return ~calls["callback"].to_numpy(bool)


def phone(rep: Replication) -> pd.DataFrame:
    """The calls that rang on the phone (``rang``): the columns the hourly profile reads, not a
    copy of the whole table."""
    return rep.calls.loc[rang(rep.calls), ["arrival", "answer", "abandon", "state"]]


def peak_queue_per_day(calls: pd.DataFrame, days: np.ndarray) -> np.ndarray:
    """The largest number of callers waiting for an agent at any moment of each day, from the
    calls table (the calls that ``rang`` and were not blocked)."""
    queued = rang(calls) & (calls["state"].to_numpy() != BLOCKED)
    joins = calls["arrival"].to_numpy(float)[queued]
    leaves = np.fmin(calls["answer"].to_numpy(float)[queued],
                     calls["abandon"].to_numpy(float)[queued])
    del queued
    leaves = leaves[~np.isnan(leaves)]  # still waiting when the run ended
    joins.sort()
    leaves.sort()
    # The level after each step, leavers before joiners at equal times: after the i-th join
    # (from 0), i + 1 joins less the leaves up to its time; after the j-th leave, the joins
    # before its time less j + 1. The same levels as one sorted pass over both kinds of step,
    # without sorting them together (twice the rows, and the order, for a year of calls).
    after_join = np.arange(1, len(joins) + 1) - np.searchsorted(leaves, joins, side="right")
    after_leave = np.searchsorted(joins, leaves, side="left") - np.arange(1, len(leaves) + 1)
    peaks = np.zeros(len(days))
    for times, level in ((joins, after_join), (leaves, after_leave)):
        day_of = np.floor(times / MINUTES_PER_DAY).astype(int) - int(days[0])
        inside = (day_of >= 0) & (day_of < len(days))
        np.maximum.at(peaks, day_of[inside], level[inside])
    return peaks


def daily_repairs(rep: Replication, day_ends: np.ndarray) -> pd.DataFrame:
    """Open work orders and jobs waiting for a part at the end of each day."""
    jobs = rep.work_orders
    if jobs.empty:
        return pd.DataFrame({"open_work_orders": np.zeros(len(day_ends)),
                             "jobs_waiting_parts": np.zeros(len(day_ends))})
    created = np.sort(jobs["created"].to_numpy(float))
    finished = jobs["finished"].to_numpy(float)
    finished = np.sort(finished[~np.isnan(finished)])
    open_orders = (np.searchsorted(created, day_ends, side="right")
                   - np.searchsorted(finished, day_ends, side="right"))
    start = jobs["part_wait_start"].to_numpy(float)
    ready = jobs["part_ready"].to_numpy(float)
    waited = ~np.isnan(start)
    s, r = start[waited], np.where(np.isnan(ready[waited]), np.inf, ready[waited])
    waiting = ((s[None, :] <= day_ends[:, None]) & (r[None, :] > day_ends[:, None])).sum(axis=1)
    return pd.DataFrame({"open_work_orders": open_orders, "jobs_waiting_parts": waiting})


def hourly_profile(scenario: Scenario, rep: Replication) -> pd.DataFrame:
    """Per hour of the week over the measured window: mean offered phone calls, staffed agents,
    and the service level of the calls that arrived in that hour."""
    lo, hi = rep.start_minutes, rep.end_minutes
    # Hours of the week are Monday first; day 0 has the weekday of the scenario's start_date.
    monday_shift = HOURS_PER_DAY * scenario.first_weekday
    first_hour = math.ceil(lo / MINUTES_PER_HOUR)
    last_hour = math.floor(hi / MINUTES_PER_HOUR)
    hours = np.arange(first_hour, last_hour)
    calls = phone(rep)
    arrival = calls["arrival"].to_numpy(float)
    hour_of_call = np.floor(arrival / MINUTES_PER_HOUR).astype(int)
    counted = (hour_of_call >= first_hour) & (hour_of_call < last_hour)
    offered = np.bincount(hour_of_call[counted] - first_hour, minlength=len(hours))
    # Each hour of the week pools its calls over the weeks: a share of all of them, not a mean
    # of weekly shares.
    hour_of_week = (hour_of_call + monday_shift) % HOURS_PER_WEEK
    week_hours_calls = Calls.of(calls, scenario.call_center.answer_target_seconds,
                                np.where(counted, hour_of_week, -1), HOURS_PER_WEEK)
    edges = np.append(hours, last_hour).astype(float) * MINUTES_PER_HOUR
    staffed = staffed_by(Grid(edges), rep.windows["agents"]) / MINUTES_PER_HOUR
    how = (hours + monday_shift) % HOURS_PER_WEEK
    weeks = np.bincount(how, minlength=HOURS_PER_WEEK).astype(float)
    offered_total = np.bincount(how, weights=offered, minlength=HOURS_PER_WEEK)
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame({
            "hour_of_week": np.arange(HOURS_PER_WEEK),
            "offered_per_hour": offered_total / weeks,
            "staffed_agents": np.bincount(how, weights=staffed, minlength=HOURS_PER_WEEK) / weeks,
            "service_level": values(service_level, week_hours_calls),
        })


def wait_histogram(calls: Calls) -> np.ndarray:
    """Counts of answered calls' waits in ``WAIT_BIN_EDGES_SECONDS`` bins."""
    counts, _ = np.histogram(calls.waits_minutes() * SECONDS_PER_MINUTE,
                             bins=WAIT_BIN_EDGES_SECONDS)
    return counts


def turnaround_histogram(jobs: Jobs) -> np.ndarray:
    """Counts of finished repairs' turnaround (call to finish) in 12-hour bins up to 14 days."""
    done = jobs.done()
    hours = (jobs.finished_minutes[done] - jobs.call_arrival_minutes[done]) / MINUTES_PER_HOUR
    counts, _ = np.histogram(hours, bins=TURNAROUND_BIN_EDGES_HOURS)
    return counts
