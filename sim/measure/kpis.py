"""From one replication's records to its KPIs, daily series and hourly profile.

This module owns the measurement rules of the contract: statistics count what *arrived* after
the warm-up; time-weighted quantities (utilisation, staffed hours, costs) count the part of the
horizon after the warm-up. Each KPI is computed from the flat tables of ``sim.engine.model`` only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.engine.model import Replication, Window
from sim.engine.records import ABANDONED, BLOCKED, HOLD_ABANDONED
from sim.measure.costs import cost_kpis, monthly_costs
from sim.measure.parts import on_hand_at, parts_kpis
from sim.measure.repairs import (
    daily_repairs,
    followup_kpis,
    mean_or_nan,
    ratio,
    repair_kpis,
    technician_busy_minutes,
    turnaround_histogram,
)
from sim.scenario.format import Scenario
from sim.units import MINUTES_PER_DAY, MINUTES_PER_HOUR

NAN = math.nan
WAIT_BIN_EDGES_SECONDS = np.concatenate((np.arange(0.0, 301.0, 10.0), [np.inf]))


@dataclass(frozen=True)
class Outcome:
    """One replication measured: a KPI row and the tables behind the charts."""

    kpis: dict[str, float]
    daily: pd.DataFrame
    hourly: pd.DataFrame
    monthly: pd.DataFrame
    wait_hist: np.ndarray
    turnaround_hist: np.ndarray
    events: dict[str, pd.DataFrame] | None = None


def staffed_minutes(windows: list[Window], lo: float, hi: float) -> float:
    """Person-minutes on duty between ``lo`` and ``hi`` (shift windows, overtime excluded)."""
    return float(sum(c * max(0.0, min(e, hi) - max(s, lo)) for s, e, c in windows))


def staffed_profile(windows: list[Window], edges: np.ndarray) -> np.ndarray:
    """Person-minutes on duty in each interval between consecutive ``edges``."""
    cumulative = np.zeros(len(edges))
    for s, e, c in windows:
        cumulative += c * np.clip(edges - s, 0.0, e - s)
    return np.diff(cumulative)


def busy_minutes(start: np.ndarray, duration: np.ndarray, lo: float, hi: float) -> float:
    """Minutes of the intervals [start, start + duration) that fall inside [lo, hi)."""
    ok = ~np.isnan(start)
    s = start[ok]
    e = s + duration[ok]
    return float(np.sum(np.clip(np.minimum(e, hi) - np.maximum(s, lo), 0.0, None)))


def overtime_minutes(rep: Replication, crew: str) -> float:
    """Minutes of overtime worked inside the measured window.

    Clipped to the window like busy time is: overtime after a shift that ended in the warm-up
    but ran past it is work inside the window, and counting it only by its shift's end made
    utilisation exceed 1. (Costs book overtime at the shift's end: ``sim.measure.costs``.)
    """
    ot = rep.overtime[rep.overtime["crew"] == crew]
    return busy_minutes(ot["shift_end"].to_numpy(float), ot["minutes"].to_numpy(float),
                        rep.start_minutes, rep.end_minutes)


def utilization(rep: Replication, crew: str, busy: float) -> float:
    """Busy time over staffed time (overtime counts as staffed, so the ratio stays in [0, 1])."""
    windows = rep.windows.get(crew)
    if not windows:
        return NAN
    staffed = staffed_minutes(windows, rep.start_minutes, rep.end_minutes)
    return ratio(busy, staffed + overtime_minutes(rep, crew))


def call_center_kpis(scenario: Scenario, rep: Replication) -> dict[str, float]:
    """The phone-side KPIs of the contract for one replication."""
    calls = rep.calls
    lo, hi = rep.start_minutes, rep.end_minutes
    measured = calls[calls["arrival"] >= lo]
    offered = len(measured)
    answer = measured["answer"].to_numpy(float)
    arrival = measured["arrival"].to_numpy(float)
    state = measured["state"].to_numpy()
    answered = ~np.isnan(answer)
    wait_min = answer[answered] - arrival[answered]
    target_min = scenario.call_center.answer_target_seconds / 60.0
    held = measured["specialist_answer"].to_numpy(float)
    hold_wait = held[~np.isnan(held)] - measured["hold_start"].to_numpy(float)[~np.isnan(held)]

    all_answer = calls["answer"].to_numpy(float)
    agent_busy = (busy_minutes(all_answer, calls["handle"].to_numpy(float), lo, hi)
                  + technician_busy_minutes(rep, "agents"))
    spec_busy = busy_minutes(calls["specialist_answer"].to_numpy(float),
                             calls["specialist_handle"].to_numpy(float), lo, hi)
    return {
        "calls_offered": float(offered),
        "calls_blocked_rate": ratio(float(np.sum(state == BLOCKED)), offered),
        "service_level": ratio(float(np.sum(wait_min <= target_min + 1e-9)), offered),
        "asa_seconds": mean_or_nan(wait_min) * 60.0,
        "response_seconds_p90": (float(np.quantile(wait_min, 0.9)) * 60.0
                                 if len(wait_min) else NAN),
        "abandon_rate": ratio(float(np.sum(state == ABANDONED)), offered),
        "hold_abandon_rate": ratio(float(np.sum(state == HOLD_ABANDONED)),
                                    float(np.sum(~np.isnan(measured["hold_start"])))),
        "agent_utilization": utilization(rep, "agents", agent_busy),
        "escalation_wait_minutes": mean_or_nan(hold_wait),
        "specialist_utilization": utilization(rep, "specialists", spec_busy),
        "complaint_on_time_rate": complaint_on_time_rate(rep),
    }


def complaint_on_time_rate(rep: Replication) -> float:
    """Cases resolved by their due time / cases opened (cases whose fate is unknown excluded)."""
    cases = rep.cases
    if cases.empty:
        return NAN
    opened = cases[cases["opened"] >= rep.start_minutes]
    resolved = opened["resolved"].to_numpy(float)
    due = opened["due"].to_numpy(float)
    known = ~np.isnan(resolved) | (due <= rep.end_minutes)
    on_time = ~np.isnan(resolved) & (resolved <= due)
    return ratio(float(np.sum(on_time & known)), float(np.sum(known)))


def daily_calls(scenario: Scenario, rep: Replication) -> pd.DataFrame:
    """One row per measured day: offered, answered, abandoned, service level, peak queue..."""
    calls = rep.calls
    first_day = math.floor(rep.start_minutes / MINUTES_PER_DAY)
    last_day = math.ceil(rep.end_minutes / MINUTES_PER_DAY)
    days = np.arange(first_day, last_day)
    arrival = calls["arrival"].to_numpy(float)
    answer = calls["answer"].to_numpy(float)
    state = calls["state"].to_numpy()
    day = np.floor(arrival / MINUTES_PER_DAY).astype(int)
    target_min = scenario.call_center.answer_target_seconds / 60.0
    answered = ~np.isnan(answer)
    in_target = answered & (answer - arrival <= target_min + 1e-9)

    def per_day(mask: np.ndarray) -> np.ndarray:
        return np.bincount(day[mask] - first_day, minlength=len(days))[: len(days)] \
            if mask.any() else np.zeros(len(days), dtype=int)

    measured = day >= first_day
    offered = per_day(measured)
    edges = days.astype(float) * MINUTES_PER_DAY
    edges = np.append(edges, edges[-1] + MINUTES_PER_DAY)
    staffed = staffed_profile(rep.windows["agents"], edges) / MINUTES_PER_DAY
    with np.errstate(invalid="ignore", divide="ignore"):
        service_level = np.where(offered > 0, per_day(measured & in_target) / offered, np.nan)
    return pd.DataFrame({
        "day": days,
        "offered": offered,
        "answered": per_day(measured & answered),
        "abandoned": per_day(measured & (state == ABANDONED)),
        "blocked": per_day(measured & (state == BLOCKED)),
        "service_level": service_level,
        "peak_queue": peak_queue_per_day(calls, days),
        "staffed_agents": staffed,
    })


def peak_queue_per_day(calls: pd.DataFrame, days: np.ndarray) -> np.ndarray:
    """The largest number of callers waiting for an agent at any moment of each day."""
    arrival = calls["arrival"].to_numpy(float)
    state = calls["state"].to_numpy()
    left = np.fmin(calls["answer"].to_numpy(float), calls["abandon"].to_numpy(float))
    queued = state != BLOCKED
    arrival = arrival[queued]
    left = left[queued]
    left = np.where(np.isnan(left), np.inf, left)
    times = np.concatenate((arrival, left))
    steps = np.concatenate((np.ones(len(arrival)), -np.ones(len(left))))
    order = np.lexsort((steps, times))  # leavers before joiners at equal times
    times, level = times[order], np.cumsum(steps[order])
    finite = np.isfinite(times)
    times, level = times[finite], level[finite]
    peaks = np.zeros(len(days))
    day_of = np.floor(times / MINUTES_PER_DAY).astype(int) - int(days[0])
    inside = (day_of >= 0) & (day_of < len(days))
    np.maximum.at(peaks, day_of[inside], level[inside])
    return peaks


def hourly_profile(scenario: Scenario, rep: Replication) -> pd.DataFrame:
    """Per hour of the week over the measured window: mean offered calls, staffed agents, and
    the service level of the calls that arrived in that hour."""
    lo, hi = rep.start_minutes, rep.end_minutes
    first_hour = math.ceil(lo / MINUTES_PER_HOUR)
    last_hour = math.floor(hi / MINUTES_PER_HOUR)
    hours = np.arange(first_hour, last_hour)
    arrival = rep.calls["arrival"].to_numpy(float)
    hour_of_call = np.floor(arrival / MINUTES_PER_HOUR).astype(int)
    counted = (hour_of_call >= first_hour) & (hour_of_call < last_hour)
    offered = np.bincount(hour_of_call[counted] - first_hour, minlength=len(hours))
    answer = rep.calls["answer"].to_numpy(float)
    target_min = scenario.call_center.answer_target_seconds / 60.0
    in_target = counted & (answer - arrival <= target_min + 1e-9)
    on_time = np.bincount(hour_of_call[in_target] - first_hour, minlength=len(hours))
    edges = np.append(hours, last_hour).astype(float) * MINUTES_PER_HOUR
    staffed = staffed_profile(rep.windows["agents"], edges) / MINUTES_PER_HOUR
    how = hours % 168
    weeks = np.bincount(how, minlength=168).astype(float)
    offered_total = np.bincount(how, weights=offered, minlength=168)
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame({
            "hour_of_week": np.arange(168),
            "offered_per_hour": offered_total / weeks,
            "staffed_agents": np.bincount(how, weights=staffed, minlength=168) / weeks,
            "service_level": np.where(
                offered_total > 0,
                np.bincount(how, weights=on_time, minlength=168) / offered_total, np.nan),
        })


def wait_histogram(rep: Replication) -> np.ndarray:
    """Counts of answered calls' waits (measured window) in ``WAIT_BIN_EDGES_SECONDS`` bins."""
    calls = rep.calls[rep.calls["arrival"] >= rep.start_minutes]
    answer = calls["answer"].to_numpy(float)
    ok = ~np.isnan(answer)
    waits = (answer[ok] - calls["arrival"].to_numpy(float)[ok]) * 60.0
    counts, _ = np.histogram(waits, bins=WAIT_BIN_EDGES_SECONDS)
    return counts


def measure(scenario: Scenario, rep: Replication) -> Outcome:
    """Every KPI and table of one replication."""
    kpis = call_center_kpis(scenario, rep)
    kpis |= repair_kpis(rep, rep.calls)
    kpis["technician_utilization"] = utilization(
        rep, "technicians", technician_busy_minutes(rep, "technicians"))
    kpis["depot_utilization"] = utilization(
        rep, "depot_technicians", technician_busy_minutes(rep, "depot_technicians"))
    if scenario.parts is not None:
        parts = parts_kpis(scenario.parts, rep.part_requests, rep.part_orders, rep.part_levels,
                           rep.start_minutes, rep.end_minutes, rep.part_losses)
        kpis |= {k: parts[k] for k in ("fill_rate", "part_wait_hours", "inventory_value_mean",
                                       "parts_lost_units")}
    else:
        kpis |= {"fill_rate": NAN, "part_wait_hours": NAN, "inventory_value_mean": 0.0,
                 "parts_lost_units": 0.0}
    kpis |= followup_kpis(rep)
    kpis |= cost_kpis(scenario, rep)
    kpis["cost_per_repair"] = ratio(kpis["total_cost"], kpis["repairs_completed"])
    daily = daily_calls(scenario, rep)
    day_ends = (daily["day"].to_numpy(float) + 1.0) * MINUTES_PER_DAY
    daily = pd.concat([daily, daily_repairs(rep, day_ends)], axis=1)
    if scenario.parts is not None:
        daily = pd.concat([daily, on_hand_at(rep.part_levels, day_ends)], axis=1)
    return Outcome(kpis=kpis, daily=daily, hourly=hourly_profile(scenario, rep),
                   monthly=monthly_costs(scenario, rep), wait_hist=wait_histogram(rep),
                   turnaround_hist=turnaround_histogram(rep, rep.calls))
