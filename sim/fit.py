"""Fitting a scenario to event logs: validated logs and a base -> fitted parameters -> scenario.

This module owns ``aftersales-sim fit``'s estimation, pure: ``fit_logs`` takes logs read and
validated by ``sim.events.read_logs`` and a base scenario, estimates every parameter the logs
can tell with its confidence interval, takes the rest from the base (saying why), and returns a
``Fit`` holding the validated scenario and the provenance of each key. ``fit_files`` chains
reading the files and the base with it. Measures taken directly on the logs (service level,
abandon rate, on-time rate, fill rate) are ``log_kpis``: the back-test compares them with what
the fitted scenario simulates.

The statistics (distribution fits, censoring, intervals, profiles) are in ``sim.fit_dists``;
the commented YAML, the Markdown report and its charts in ``sim.fit_report``.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.distributions import MINUTES_PER_DAY, MINUTES_PER_HOUR
from sim.events import MS_IN_MINUTES, Logs, read_logs
from sim.fit_dists import (
    DistFit,
    Estimate,
    demand_shocks,
    fit_durations,
    peak_concurrency,
    profile_intervals,
    proportion,
    round_sig,
    sum_to_one,
)
from sim.loader import Problem, ScenarioError, load_scenario
from sim.roster import MINUTES_PER_WEEK, open_fraction
from sim.scenario import CONTACT_TYPES, NAME_PATTERN, OpenHours, Scenario
from sim.stats import t_interval
from sim.theory import base_stock_level_for_fill

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


# --- measures on the logs --------------------------------------------------------------------

LOG_KPIS = ("service_level", "abandon_rate", "repair_on_time_rate", "fill_rate")


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def log_kpis(logs: Logs, answer_target_seconds: float, per: str = "week") -> pd.DataFrame:
    """KPIs measured directly on the logs, one row per week (or per replication).

    Definitions follow the KPI catalogue: service level and abandon rate over every offered
    call; a repair is on time when it finished by its promise and did not come back as rework;
    the fill rate is the share of part requests met from stock (no wait for the part).

    Args:
        logs: The validated logs.
        answer_target_seconds: The service-level threshold.
        per: ``week`` (7-day blocks from the window's start, within each replication) or
            ``rep`` (whole replications: independent, so their t-interval is exact).

    Returns:
        Columns ``rep``, ``unit`` and each of ``LOG_KPIS`` (NaN where the logs cannot tell).
    """
    def unit_of(t: np.ndarray) -> np.ndarray:
        if per == "rep":
            return np.zeros(len(t), dtype=int)
        return np.floor((t - logs.start) / MINUTES_PER_WEEK).astype(int)

    units = np.arange(1 if per == "rep" else math.ceil(logs.days / 7))
    reps = np.sort(logs.tables["calls"]["rep"].unique())
    index = pd.MultiIndex.from_product([reps, units], names=["rep", "unit"])
    out = pd.DataFrame(index=index, columns=list(LOG_KPIS), dtype=float)

    def per_unit(table: pd.DataFrame, time: str, num: np.ndarray, den: np.ndarray) -> pd.Series:
        keys = pd.MultiIndex.from_arrays([table["rep"].to_numpy(), unit_of(
            table[time].to_numpy(float))], names=["rep", "unit"])
        sums = pd.DataFrame({"num": num.astype(float), "den": den.astype(float)},
                            index=keys).groupby(level=[0, 1]).sum().reindex(index, fill_value=0)
        return pd.Series(_ratio(sums["num"].to_numpy(), sums["den"].to_numpy()), index=index)

    calls = logs.tables["calls"]
    wait = calls["answered_at"].to_numpy(float) - calls["arrived_at"].to_numpy(float)
    offered = np.ones(len(calls))
    on_target = wait * 60.0 <= answer_target_seconds + 1e-6
    out["service_level"] = per_unit(calls, "arrived_at", on_target, offered)
    out["abandon_rate"] = per_unit(calls, "arrived_at",
                                   (calls["outcome"] == "abandoned").to_numpy(), offered)
    jobs = logs.get("work_orders")
    if jobs is not None:
        finished = jobs["finished_at"].notna().to_numpy()
        came_back = _came_back(jobs)
        on_time = finished & (jobs["finished_at"] <= jobs["promised_by"]).to_numpy() & ~came_back
        out["repair_on_time_rate"] = per_unit(jobs, "created_at", on_time, finished)
        if "part_requested_at" in jobs and "part_wait_from" in jobs:
            asked = jobs[jobs["part_requested_at"].notna()]
            out["fill_rate"] = per_unit(asked, "part_requested_at",
                                        asked["part_wait_from"].isna().to_numpy(),
                                        np.ones(len(asked)))
    return out.reset_index()


def _came_back(jobs: pd.DataFrame) -> np.ndarray:
    """Per work order, whether its repair failed and came back as a rework job."""
    if "rework_of" not in jobs:
        return np.zeros(len(jobs), dtype=bool)
    back = jobs[jobs["rework_of"].notna()]
    ids = pd.MultiIndex.from_arrays([jobs["rep"], jobs["work_order_id"]])
    return np.asarray(ids.isin(pd.MultiIndex.from_arrays([back["rep"], back["rework_of"]])))


def kpi_summary(table: pd.DataFrame, confidence: float = 0.95) -> dict[str, Estimate]:
    """Mean and t-interval of each KPI column of ``log_kpis`` over its rows (NaN rows left out)."""
    out = {}
    for name in LOG_KPIS:
        iv = t_interval(table[name].to_numpy(float), confidence)
        if iv.n:
            out[name] = Estimate(iv.mean, iv.ci_low, iv.ci_high)
    return out


# --- fitting ---------------------------------------------------------------------------------

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class ParamFit:
    """A fitted number of the scenario (a rate, share, probability or profile weight)."""

    path: str
    estimate: Estimate
    n: int
    unit: str = ""


@dataclass
class Fit:
    """What ``fit_logs`` found.

    Attributes:
        scenario: The fitted, validated scenario.
        params: Fitted numbers with their intervals, in scenario order.
        dists: Fitted distributions by dotted key path.
        daily: Customer contacts per replication and day of the window (``rep``, ``day``,
            ``date``, ``contacts``), for the report.
        comments: Per key path, where its value came from (written into the YAML).
        notes: Data remarks for the report (values left out, SKUs unknown to the base, ...).
        from_base: Key paths taken from the base, with the reason.
        kpis: ``log_kpis`` per week of the logs.
        base_source: The base scenario's file, or None for the minimal scenario.
        confidence: Level of every interval.
    """

    scenario: Scenario
    params: list[ParamFit]
    dists: dict[str, DistFit]
    daily: pd.DataFrame
    comments: dict[Path_, str]
    notes: list[str]
    from_base: list[tuple[str, str]]
    kpis: pd.DataFrame
    base_source: str | None
    confidence: float
    logs: Logs = field(repr=False)


def dotted(path: Path_) -> str:
    """A key path as text: ``("parts", "skus", 0)`` -> ``parts.skus.0``."""
    return ".".join(str(p) for p in path)


def _fmt(x: float) -> str:
    """A number for a comment: 4 significant digits."""
    return f"{round_sig(x, 4):g}"


def _span(rows: np.ndarray | None, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """``second - first`` for the rows (all, or where ``rows``) where both are known."""
    d = second - first
    return d[np.isfinite(d)] if rows is None else d[np.isfinite(d) & rows]


class _Builder:
    """The fitted scenario as plain data, with the provenance of each key."""

    def __init__(self, base: dict[str, Any], has_base: bool, logs: Logs, confidence: float
                 ) -> None:
        self.data = copy.deepcopy(base)
        self.base = base
        self.has_base = has_base
        self.logs = logs
        self.confidence = confidence
        self.comments: dict[Path_, str] = {}
        self.params: list[ParamFit] = []
        self.dists: dict[str, DistFit] = {}
        self.notes: list[str] = []
        self.from_base: list[tuple[str, str]] = []

    # -- plumbing --
    def base_value(self, path: Path_) -> Any:
        """The base's value at ``path``, or None when the base has none."""
        node: Any = self.base
        for key in path:
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                return None
        return node

    def set(self, path: Path_, value: Any, comment: str) -> None:
        """Set (or, with None, remove) the key at ``path``, saying where the value came from."""
        node: Any = self.data
        for key in path[:-1]:
            if isinstance(node, dict) and node.get(key) is None:
                node[key] = {}
            node = node[key]
        if value is None and isinstance(node, dict):
            node.pop(path[-1], None)
        else:
            node[path[-1]] = value
        self.comments[path] = comment

    def label(self, path: Path_) -> str:
        """The dotted key path, list entries named by their ``sku`` (``parts.skus.pump.share``)."""
        parts: list[str] = []
        node: Any = self.data
        for key in path:
            item = node[key] if isinstance(node, list) and isinstance(key, int) else (
                node.get(key) if isinstance(node, dict) else None)
            named = item.get("sku") if isinstance(item, dict) and isinstance(key, int) else None
            parts.append(str(named if named is not None else key))
            node = item
        return ".".join(parts)

    def keep(self, path: Path_, reason: str) -> bool:
        """Keep the base's value at ``path`` (True), or report that there is none (False)."""
        if not self.has_base or self.base_value(path) is None:
            return False
        self.comments[path] = f"from the base: {reason}"
        self.from_base.append((self.label(path), reason))
        return True

    def number(self, path: Path_, est: Estimate | None, n: int, value: float | None = None,
               unit: str = "", digits: int = 4) -> bool:
        """Set a fitted number (rounded), recording its interval; False when not estimable."""
        if est is None:
            return False
        shown = round_sig(est.value if value is None else value, digits)
        self.params.append(ParamFit(self.label(path), est, n, unit))
        self.set(path, shown, f"fitted: {_fmt(est.value)} [{_fmt(est.low)}, {_fmt(est.high)}], "
                              f"n={n}")
        return True

    def dist(self, path: Path_, values: np.ndarray, what: str, scale: float = 1.0,
             observed: np.ndarray | None = None, fallback: bool = True,
             limits: np.ndarray | None = None) -> bool:
        """Fit a duration key (``values`` in minutes, divided by ``scale``); else the base's.

        ``observed`` marks events (True) and right-censored values (False); without it every
        value is an event. ``limits`` (minutes): right-truncation points. ``fallback``: with
        too few values for a distribution and nothing in the base, use their mean (wrong for
        censored values, hence off for those)."""
        fit = fit_durations(values / scale, observed, self.confidence, MS_IN_MINUTES / scale,
                            None if limits is None else limits / scale)
        if fit is None:
            if self.keep(path, f"too few {what} in the records ({len(values)})"):
                return True
            if fallback and len(values):
                value = round_sig(float(np.mean(values / scale)), 4)
                self.set(path, value, f"mean of only {len(values)} {what}: too few for a "
                                      "distribution")
                return True
            return False
        self.dists[self.label(path)] = fit
        if fit.dropped_zeros:
            self.notes.append(f"{self.label(path)}: {fit.dropped_zeros} zero durations left out "
                              f"of the fit ({fit.family} lives on positive values)")
        if fit.family == "constant":
            comment = f"fitted: constant in all {fit.n} {what}"
        else:
            cv = "" if fit.family == "exponential" else (
                f", cv {_fmt(fit.cv.value)} [{_fmt(fit.cv.low)}, {_fmt(fit.cv.high)}]")
            censored = f" ({fit.censored} censored)" if fit.censored else ""
            comment = (f"fitted {fit.family}: mean {_fmt(fit.mean.value)} [{_fmt(fit.mean.low)}, "
                       f"{_fmt(fit.mean.high)}]{cv}, n={fit.n}{censored}, KS {fit.ks:.3f}")
        self.set(path, fit.spec(), comment)
        return True

    def share(self, path: Path_, hits: int, trials: int, what: str, floor: float = 0.0) -> bool:
        """Set a fitted probability (at least ``floor``); the base's without trials."""
        est = proportion(hits, trials, self.confidence)
        if est is None:
            return self.keep(path, f"no {what} in the records")
        value = max(est.value, floor)
        if value != est.value:
            self.notes.append(f"{self.label(path)}: {est.value:g} raised to {floor:g}, the "
                              "smallest value the scenario format allows")
        return self.number(path, est, trials, value)

    def staff(self, path: Path_, rep: np.ndarray, start: np.ndarray, end: np.ndarray,
              what: str) -> None:
        """Staffing from the base; without one, the records' peak of simultaneous work."""
        if self.keep(path, "staffing is not in the logs"):
            return
        peak = max(1, peak_concurrency(rep, start, end))
        self.set(path, peak, f"not in the logs and not in the base: the peak number of {what} "
                             "at once in the records (a lower bound), around the clock")
        self.notes.append(f"{self.label(path)} = {peak}: a lower bound from the records; give a "
                          "base scenario with the real rosters")


def _fit_demand(b: _Builder) -> pd.DataFrame:
    """Contacts per day, mix, weekly and hourly profiles; returns the daily counts."""
    logs = b.logs
    calls = logs.tables["calls"]
    customer = calls[calls["origin"] != "followup"] if "origin" in calls else calls
    t = customer["arrived_at"].to_numpy(float)
    first_day = int(logs.start // MINUTES_PER_DAY)
    n_days = round(logs.days)
    reps = np.sort(calls["rep"].unique())
    rep_index = np.searchsorted(reps, customer["rep"].to_numpy())
    day = np.floor(t / MINUTES_PER_DAY).astype(int) - first_day
    counts = np.zeros((len(reps), n_days))
    np.add.at(counts, (rep_index, day), 1)
    weekday = (first_day + np.arange(n_days)) % 7
    per_day, weights = profile_intervals(counts, weekday, b.confidence)
    unseen = [DAY_NAMES[d] for d in range(7) if not (weekday == d).any()]
    if unseen:
        b.notes.append(f"no {', '.join(unseen)} in the records: weekly weight 1 assumed")
    expected = per_day.value * np.array([w.value for w in weights])[weekday]
    dates = [(logs.origin + dt.timedelta(days=first_day + i)).date() for i in range(n_days)]
    b.notes += demand_shocks(counts, expected, dates)
    n = len(customer)
    b.number(("demand", "contacts_per_day"), per_day, n, unit="contacts/day")
    kinds = customer["type"].to_numpy(str)
    shares = {k: proportion(int((kinds == k).sum()), n, b.confidence) for k in CONTACT_TYPES}
    mix = {k: est for k, est in shares.items() if est is not None and est.value > 0}
    rounded = sum_to_one({k: est.value for k, est in mix.items()})
    for k, est in mix.items():
        b.params.append(ParamFit(f"demand.mix.{k}", est, n))
    b.set(("demand", "mix"), rounded, f"fitted shares of {n} customer contacts")
    for d, est in enumerate(weights):
        b.params.append(ParamFit(f"demand.weekly_profile.{d}", est, int(counts[:, weekday == d]
                                                                       .sum())))
    b.set(("demand", "weekly_profile"), [round(w.value, 4) for w in weights],
          "fitted: mean contacts per weekday / mean per day, Monday first")
    hours = (np.floor(t / MINUTES_PER_HOUR) % 24).astype(int)
    hour_counts = np.bincount(hours, minlength=24)
    for h in range(24):
        share = proportion(int(hour_counts[h]), n, b.confidence)
        assert share is not None
        b.params.append(ParamFit(f"demand.hourly_profile.{h}", share, n))
    b.set(("demand", "hourly_profile"), [round(c / n, 5) for c in hour_counts],
          "fitted: share of contacts per hour of the day")
    b.set(("demand", "events"), [], "not copied from the base: the fitted rates already hold "
                                    "whatever shocks the records contain")
    hours_spec = b.data["call_center"].get("hours")
    if hours_spec is not None:
        open_share = open_fraction(OpenHours.model_validate(hours_spec)).ravel()
        how = ((np.floor(t / MINUTES_PER_HOUR)) % 168).astype(int)
        outside = float(np.mean(open_share[how] == 0)) if n else 0.0
        if outside > 0.001:
            b.notes.append(f"{outside:.1%} of the contacts arrive outside call_center.hours of "
                           "the base: the fitted scenario will not generate them")
    return pd.DataFrame({"rep": np.repeat(reps, n_days),
                         "day": np.tile(np.arange(n_days), len(reps)),
                         "date": np.tile([d.isoformat() for d in dates], len(reps)),
                         "contacts": counts.ravel()})


def _fit_calls(b: _Builder) -> None:
    """The call center: handle times, patience, lines, escalation; staffing from the base."""
    calls = b.logs.tables["calls"]
    arrived = calls["arrived_at"].to_numpy(float)
    answered = calls["answered_at"].to_numpy(float)
    talk_end = calls["agent_ended_at"].to_numpy(float)
    kinds = calls["type"].to_numpy(str)
    rep = calls["rep"].to_numpy(float)
    cc = ("call_center",)
    b.staff((*cc, "agents"), rep, answered, talk_end, "calls in conversation")
    for kind in CONTACT_TYPES:
        if (kinds == kind).any():
            b.dist((*cc, "handle_minutes", kind), _span(kinds == kind, answered, talk_end),
                   f"{kind} calls")
    # Patience: an abandonment after waiting w is an event at w; an answer after waiting w
    # says only that patience exceeded w (right-censored). Calls answered at once tell nothing.
    abandoned = (calls["outcome"] == "abandoned").to_numpy()
    wait = np.where(abandoned, calls["abandoned_at"].to_numpy(float), answered) - arrived
    waited = np.isfinite(wait) & (wait > 0)
    if abandoned.any():
        b.dist((*cc, "patience_minutes"), wait[waited], "waiting callers",
               observed=abandoned[waited], fallback=False)
    elif not b.keep((*cc, "patience_minutes"), "no abandoned calls in the records"):
        b.set((*cc, "patience_minutes"), None, "no abandoned calls in the records: nobody "
                                               "abandons")
    _fit_lines(b, calls)
    b.keep((*cc, "hours"), "opening hours are not in the logs")
    b.keep((*cc, "answer_target_seconds"), "a target, not in the logs")
    _fit_escalation(b, calls)


def _fit_lines(b: _Builder, calls: pd.DataFrame) -> None:
    """Lines: the number of calls in the system whenever a caller got a busy signal."""
    path = ("call_center", "lines")
    blocked = (calls["outcome"] == "blocked").to_numpy()
    if not blocked.any() or "ended_at" not in calls:
        if not b.keep(path, "no busy signals in the records"):
            b.set(path, None, "no busy signals in the records: unlimited lines")
        return
    ended = np.where((calls["outcome"] == "abandoned").to_numpy(),
                     calls["abandoned_at"].to_numpy(float), calls["ended_at"].to_numpy(float))
    ended = np.where(np.isnan(ended), np.inf, ended)
    arrived = calls["arrived_at"].to_numpy(float)
    rep = calls["rep"].to_numpy(float)
    busy = []
    for r in np.unique(rep[blocked]):
        inside = (rep == r) & ~blocked
        starts, ends = np.sort(arrived[inside]), np.sort(ended[inside])
        at = arrived[blocked & (rep == r)]
        busy.append(np.searchsorted(starts, at, side="right")
                    - np.searchsorted(ends, at, side="right"))
    counts = np.concatenate(busy)
    lines = int(counts.max())
    b.set(path, max(lines, 1), f"fitted: calls in the system at the {blocked.sum()} busy "
                               f"signals (median {np.median(counts):g}, max {lines})")


def _fit_escalation(b: _Builder, calls: pd.DataFrame) -> None:
    """Escalation probability per type and the specialists' handle time."""
    path = ("call_center", "escalation")
    if "escalated" not in calls:
        b.keep(path, "the calls log has no escalated column")
        return
    talked = calls[calls["agent_ended_at"].notna()]
    escalated = talked["escalated"].to_numpy(float) == 1.0
    if not escalated.any():
        b.set(path, None, "no escalated calls in the records: no transfers")
        return
    kinds = talked["type"].to_numpy(str)
    probability: dict[str, float] = {}
    for kind in CONTACT_TYPES:
        mine = kinds == kind
        est = proportion(int((escalated & mine).sum()), int(mine.sum()), b.confidence)
        if est is not None and est.value > 0:
            b.params.append(ParamFit(f"call_center.escalation.probability.{kind}", est,
                                     int(mine.sum())))
            probability[kind] = round_sig(est.value, 4)
    b.set((*path, "probability"), probability, "fitted: escalated / answered, by type")
    if "specialist_answered_at" in calls and "specialist_ended_at" in calls:
        b.dist((*path, "handle_minutes"), _span(None, calls["specialist_answered_at"]
                                                .to_numpy(float), calls["specialist_ended_at"]
                                                .to_numpy(float)), "specialist calls")
        b.staff((*path, "specialists"), calls["rep"].to_numpy(float),
                calls["specialist_answered_at"].to_numpy(float),
                calls["specialist_ended_at"].to_numpy(float), "specialist calls")
    elif not b.keep((*path, "handle_minutes"), "no specialist times in the calls log"):
        b.set(path, None, "escalations without specialist times and no base: left out")


def _fit_complaints(b: _Builder) -> None:
    """Complaint deadline and resolution time, from the complaints log."""
    cases = b.logs.get("complaints")
    path = ("complaints",)
    if cases is None:
        if not b.keep(path, "no complaints log given"):
            b.set(path, None, "no complaints log and no base: a complaint ends with its call")
        return
    opened, started = cases["opened_at"].to_numpy(float), cases["started_at"].to_numpy(float)
    resolved = cases["resolved_at"].to_numpy(float)
    b.dist((*path, "deadline_hours"), _span(None, opened, cases["due_at"].to_numpy(float)),
           "complaint deadlines", MINUTES_PER_HOUR)
    _as_number(b, (*path, "deadline_hours"))
    b.dist((*path, "resolution_hours"), _span(None, started, resolved), "resolved complaints",
           MINUTES_PER_HOUR)
    b.staff((*path, "handlers"), cases["rep"].to_numpy(float), started, resolved,
            "complaints being worked")


def _as_number(b: _Builder, path: Path_) -> None:
    """Keys that take a plain number (a deadline, a promise): the fitted mean if not constant."""
    fit = b.dists.get(b.label(path))
    if fit is not None and fit.family != "constant":
        b.set(path, round_sig(fit.mean.value, 4), f"varies in the records ({fit.family}, "
                                                  f"cv {_fmt(fit.cv.value)}): its mean")


def _fit_field_service(b: _Builder) -> None:
    """Routing, promises, booking, quality, rework and depot transit from the work orders."""
    jobs, visits = b.logs.get("work_orders"), b.logs.get("visits")
    fs = ("field_service",)
    if jobs is None:
        b.keep(fs, "no work-orders log given")
        return
    normal = jobs["rework_of"].isna().to_numpy() if "rework_of" in jobs else np.ones(len(jobs),
                                                                                        bool)
    channel = jobs["channel"].to_numpy(str)
    created, due = jobs["created_at"].to_numpy(float), jobs["promised_by"].to_numpy(float)
    onsite = channel == "onsite"
    b.share((*fs, "onsite_share"), int((onsite & normal).sum()), int(normal.sum()),
            "new work orders")
    for route, mask in (("onsite", onsite), ("depot", ~onsite)):
        if mask.any():
            path = (*fs, "promised_hours", route)
            b.dist(path, _span(mask, created, due), f"{route} promises", MINUTES_PER_HOUR)
            _as_number(b, path)
    b.keep((*fs, "dispatch_rule"), "a policy, not in the logs")
    if "released_at" in jobs:
        lead = _span(onsite, created, jobs["released_at"].to_numpy(float)) / MINUTES_PER_HOUR
        if len(lead) and lead.min() * MINUTES_PER_HOUR > 2 * MS_IN_MINUTES:
            b.set((*fs, "booking"), {"min_lead_hours": round_sig(float(lead.min()), 4)},
                  f"fitted: shortest time from work order to release on site "
                  f"(median {np.median(lead):.3g} h)")
        elif len(lead):
            b.set((*fs, "booking"), None, "fitted: on-site jobs are released at once")
    fixed_at = jobs["fixed_at"].to_numpy(float) if "fixed_at" in jobs else None
    if fixed_at is not None and "spot_checked" in jobs:
        fixed = np.isfinite(fixed_at)
        checked = jobs["spot_checked"].to_numpy(float) == 1.0
        b.share((*fs, "spot_check_share"), int((checked & fixed).sum()), int(fixed.sum()),
                "fixed work orders")
        if "spot_check_passed" in jobs:
            passed = jobs["spot_check_passed"].to_numpy(float) == 1.0
            b.share((*fs, "quality_pass_probability"), int((passed & checked).sum()),
                    int(checked.sum()), "spot checks", floor=0.001)
    if fixed_at is not None and "rework_of" in jobs:
        fixed_by_id = pd.Series(fixed_at, index=pd.MultiIndex.from_arrays(
            [jobs["rep"], jobs["work_order_id"]]))
        back = jobs[~normal]
        original = fixed_by_id.reindex(pd.MultiIndex.from_arrays(
            [back["rep"], back["rework_of"]])).to_numpy(float)
        known = np.isfinite(original)
        # Only failures reported before the records end are seen: right-truncated at the end.
        b.dist((*fs, "rework_delay_hours"),
               back["created_at"].to_numpy(float)[known] - original[known], "rework reports",
               MINUTES_PER_HOUR, fallback=False, limits=b.logs.end - original[known])
    if visits is not None:
        _fit_visits(b, jobs, visits)
    depot = ~onsite
    if depot.any():
        transit = [_span(depot, created, jobs["released_at"].to_numpy(float))
                   if "released_at" in jobs else np.empty(0)]
        if fixed_at is not None:
            transit.append(_span(depot, fixed_at, jobs["finished_at"].to_numpy(float)))
        b.dist((*fs, "depot", "transit_hours"), np.concatenate(transit), "depot transits",
               MINUTES_PER_HOUR, fallback=False)
    elif (b.data.get("field_service") or {}).get("depot") is not None:
        b.set((*fs, "depot"), None, "no depot repairs in the records")


def _fit_visits(b: _Builder, jobs: pd.DataFrame, visits: pd.DataFrame) -> None:
    """Travel, diagnosis and repair times and the fix probability, from the visits."""
    fs = ("field_service",)
    if "channel" in visits:
        channel = visits["channel"].to_numpy(str)
    else:
        by_job = pd.Series(jobs["channel"].to_numpy(str), index=pd.MultiIndex.from_arrays(
            [jobs["rep"], jobs["work_order_id"]]))
        channel = by_job.reindex(pd.MultiIndex.from_arrays(
            [visits["rep"], visits["work_order_id"]])).fillna("onsite").to_numpy(str)
    onsite, depot = channel == "onsite", channel == "depot"
    outcome = visits["outcome"].to_numpy(str)
    repaired = outcome != "no_part"
    travel = visits["travel_minutes"].to_numpy(float)
    b.dist((*fs, "travel_minutes"), travel[onsite], "on-site visits")
    b.dist((*fs, "diagnosis_minutes"), visits["diagnosis_minutes"].to_numpy(float),
           "visits")
    repair = visits["repair_minutes"].to_numpy(float)
    b.dist((*fs, "repair_minutes"), repair[onsite & repaired], "on-site repairs")
    if (depot & repaired).any():
        b.dist((*fs, "depot", "repair_minutes"), repair[depot & repaired], "bench repairs")
    b.share((*fs, "fix_probability"), int((outcome == "fixed").sum()), int(repaired.sum()),
            "visits with their part", floor=0.001)
    start, end = visits["started_at"].to_numpy(float), visits["ended_at"].to_numpy(float)
    rep = visits["rep"].to_numpy(float)
    b.staff((*fs, "technicians"), rep[onsite], start[onsite], end[onsite], "on-site visits")
    if depot.any():
        b.staff((*fs, "depot", "technicians"), rep[depot], start[depot], end[depot],
                "bench repairs")


def _fit_parts(b: _Builder) -> None:
    """Part need and SKU shares from the work orders; each SKU's lead time and rejects."""
    jobs, orders = b.logs.get("work_orders"), b.logs.get("parts")
    path = ("parts",)
    if jobs is None or "part_sku" not in jobs:
        b.keep(path, "no part needs in the work-orders log")
        return
    normal = jobs[jobs["rework_of"].isna()] if "rework_of" in jobs else jobs
    skus = normal["part_sku"].to_numpy(str)
    needs = skus != ""
    if not needs.any():
        b.set(path, None, "no work order needed a part")
        return
    b.share((*path, "need_probability"), int(needs.sum()), len(normal), "new work orders")
    counts = pd.Series(skus[needs]).value_counts()
    base_skus = {s["sku"]: s for s in (b.base_value((*path, "skus")) or [])}
    total = int(needs.sum())
    entries: list[dict[str, Any]] = []
    names = list(dict.fromkeys([*base_skus, *sorted(counts.index)]))
    shares = sum_to_one({name: int(counts.get(name, 0)) / total for name in names})
    for i, name in enumerate(names):
        sku_path = (*path, "skus", i)
        entry = dict(base_skus.get(name) or {"sku": name})
        entries.append(entry)
        est = proportion(int(counts.get(name, 0)), total, b.confidence)
        assert est is not None
        b.params.append(ParamFit(f"parts.skus.{name}.share", est, total))
        entry["share"] = shares[name]
        b.comments[(*sku_path, "share")] = f"fitted: {counts.get(name, 0)} of {total} part needs"
    b.set((*path, "skus"), entries, "one entry per SKU of the base and of the records")
    for i, name in enumerate(names):
        _fit_sku(b, (*path, "skus", i), name, orders, name in base_skus,
                 int(counts.get(name, 0)) / (b.logs.days * b.logs.reps))
    b.keep((*path, "holding_rate_per_year"), "a cost, not in the logs")
    b.keep((*path, "order_cost"), "a cost, not in the logs")


def _fit_sku(b: _Builder, path: Path_, name: str, orders: pd.DataFrame | None, known: bool,
             per_day: float) -> None:
    """Lead time and reject rate of one SKU; its stock policy from the base (or assumed)."""
    mine = orders[orders["sku"] == name] if orders is not None else None
    arrived = mine["received_at"].notna().to_numpy() if mine is not None else np.empty(0, bool)
    why = f"no received orders of {name} in the records"
    lead_path = (*path, "lead_time_days")
    fitted = False
    if mine is not None and arrived.any():
        # An order still open when the records end took at least until then: right-censored,
        # or long lead times would be under-represented near the end of the records.
        placed = mine["placed_at"].to_numpy(float)
        lead = np.where(arrived, mine["received_at"].to_numpy(float), b.logs.end) - placed
        fitted = b.dist(lead_path, lead, f"{name} orders", MINUTES_PER_DAY, observed=arrived,
                        fallback=False)
        received = mine[arrived]
        units = int(received["quantity"].sum())
        est = proportion(int(received["rejected"].sum()), units, b.confidence)
        if est is not None:
            b.number((*path, "reject_rate"), est, units, min(est.value, 0.99))
    elif known:
        b.keep((*path, "reject_rate"), why)
    if not fitted and not (known and b.keep(lead_path, why)):
        b.set(lead_path, 7.0, f"{why} and none in the base: a guess of 7 days")
        b.notes.append(f"SKU {name}: {why} and none in the base; a lead time of 7 days assumed")
    if known:
        for key in ("unit_cost", "initial_on_hand", "policy"):
            b.keep((*path, key), "costs and stock policies are not in the logs")
        return
    entry: Any = b.data
    for step in path:
        entry = entry[step]
    lead_fit = b.dists.get(b.label(lead_path))
    mean_lead = lead_fit.mean.value if lead_fit is not None else 7.0
    level = base_stock_level_for_fill(per_day, mean_lead, 0.95)
    entry.update({"unit_cost": 0.0, "initial_on_hand": level,
                  "policy": {"type": "base_stock", "level": level}})
    b.comments[(*path, "policy")] = ("not in the base: a base-stock level for a 95% fill rate "
                                     "under Poisson demand (sim.theory)")
    b.notes.append(f"SKU {name} is not in the base: unit cost 0 and a base-stock policy of "
                   f"{level} were assumed")


def _fit_followup(b: _Builder) -> None:
    """Follow-up deadline, call time, reach, retries and complaints of unhappy customers."""
    fu = b.logs.get("followups")
    path = ("followup",)
    if fu is None:
        if not b.keep(path, "no follow-ups log given"):
            b.set(path, None, "no follow-ups log and no base: no follow-ups")
        return
    once = fu.drop_duplicates(["rep", "followup_id"])
    b.dist((*path, "within_hours"), _span(None, once["created_at"].to_numpy(float),
                                          once["due_at"].to_numpy(float)),
           "follow-up deadlines", MINUTES_PER_HOUR)
    _as_number(b, (*path, "within_hours"))
    tried = fu[fu["attempt_started_at"].notna() & fu["attempt_ended_at"].notna()]
    channel = "call"
    if "channel" in tried and len(tried):
        channel = str(tried["channel"].mode().iat[0])
        b.set((*path, "channel"), channel, f"fitted: most attempts are by {channel}")
    else:
        b.keep((*path, "channel"), "no channel column in the follow-ups log")
        channel = str((b.data.get("followup") or {}).get("channel", "call"))
    duration = _span(None, tried["attempt_started_at"].to_numpy(float),
                     tried["attempt_ended_at"].to_numpy(float))
    if channel == "call":
        b.dist((*path, "call_minutes"), duration, "follow-up calls")
    else:
        b.keep((*path, "call_minutes"), "visit attempts include travel")
    reached = tried["reached"].to_numpy(float) == 1.0
    b.share((*path, "reach_probability"), int(reached.sum()), len(tried), "attempts")
    ordered = tried.sort_values(["rep", "followup_id", "attempt_started_at"])
    ids, reps = ordered["followup_id"].to_numpy(), ordered["rep"].to_numpy()
    same = (ids[1:] == ids[:-1]) & (reps[1:] == reps[:-1])
    gaps = (ordered["attempt_started_at"].to_numpy(float)[1:]
            - ordered["attempt_ended_at"].to_numpy(float)[:-1])[same] / MINUTES_PER_HOUR
    if len(gaps):
        b.set((*path, "retry_hours"), round_sig(max(float(gaps.min()), 1e-3), 4),
              f"fitted: shortest gap between attempts ({len(gaps)} retries)")
    else:
        b.keep((*path, "retry_hours"), "no retries in the records")
    if "score" in tried and "complained" in tried:
        unhappy_below = float(b.data["satisfaction"]["unhappy_below"])
        unhappy = reached & (tried["score"].to_numpy(float) < unhappy_below)
        complained = tried["complained"].to_numpy(float) == 1.0
        b.share((*path, "complaint_probability_if_unhappy"), int((complained & unhappy).sum()),
                int(unhappy.sum()), "unhappy customers")


# The scaffold without --base: valid, and overwritten key by key by what the logs tell.
MINIMAL_BASE = {"name": "fitted", "demand": {"contacts_per_day": 1.0, "mix": {"inquiry": 1.0}},
                "call_center": {"agents": 1, "handle_minutes": {"inquiry": 1.0}}}


def fit_logs(logs: Logs, base: Scenario | None = None, base_source: str | None = None,
             name: str = "fitted", confidence: float = 0.95) -> Fit:
    """Estimate a scenario from event logs.

    Args:
        logs: From ``read_logs``.
        base: Where everything the logs cannot tell comes from (staffing, costs, targets,
            policies, ...); None = a minimal scenario, staffing then being the records' peak of
            simultaneous work.
        base_source: The base's file name, for comments.
        name: The fitted scenario's name.
        confidence: Level of every interval.

    Returns:
        The fit, its scenario validated.

    Raises:
        ScenarioError: When the logs need a section that neither they nor the base can fill.
    """
    has_base = base is not None
    base_data = (base if base is not None else Scenario.model_validate(MINIMAL_BASE)
                 ).model_dump(mode="json")
    b = _Builder(base_data, has_base, logs, confidence)
    safe = re.sub(r"[^A-Za-z0-9_.-]", "-", name).lstrip("_.-")[:64] or "fitted"
    b.set(("name",), safe if NAME_PATTERN.match(safe) else "fitted", "")
    files = ", ".join(Path(p).name for p in logs.sources.values())
    b.set(("description",), f"Fitted from event logs ({files})"
          + (f" on the base {Path(base_source).name}" if base_source else " without a base"),
          "")
    warmup = float(base_data["warmup_days"]) if has_base else 7.0
    first = logs.origin + dt.timedelta(minutes=logs.start)
    start = (first - dt.timedelta(days=warmup)).date()
    b.set(("warmup_days",), warmup, "from the base" if has_base else "a week to fill queues")
    b.set(("start_date",), (start - dt.timedelta(days=start.weekday())).isoformat(),
          "the Monday before the records' first day, less the warm-up")
    b.set(("horizon_days",), round(logs.days, 6), "the records' length in days")
    daily = _fit_demand(b)
    _fit_calls(b)
    _fit_complaints(b)
    _fit_field_service(b)
    _fit_parts(b)
    _fit_followup(b)
    b.set(("disruptions",), [], "not copied from the base: the records already hold their "
                                "effect")
    for key, reason in (("satisfaction", "the score model is not in the logs"),
                        ("costs", "costs are not in the logs"),
                        ("targets", "targets are not in the logs"),
                        ("seed", "run settings"), ("replications", "run settings"),
                        ("currency", "run settings")):
        b.keep((key,), reason)
    if not has_base:
        b.notes.insert(0, "No base scenario: staffing is the peak of simultaneous work in the "
                          "records (a lower bound) and there are no costs or targets")
    problems = _missing_sections(b)
    if problems:
        raise ScenarioError(problems)
    try:
        scenario = Scenario.model_validate(b.data)
    except Exception as err:  # the fit built something invalid: say what, not a traceback
        raise ScenarioError([Problem("fit", None, "", f"the fitted scenario is not valid: {err}")]
                            ) from None
    return Fit(scenario, b.params, b.dists, daily, b.comments, b.notes, b.from_base,
               log_kpis(logs, scenario.call_center.answer_target_seconds), base_source,
               confidence, logs)


def _missing_sections(b: _Builder) -> list[Problem]:
    """Sections the records need that neither the logs given nor the base can fill."""
    problems = []
    mix = b.data["demand"]["mix"]
    if mix.get("repair", 0) > 0 and not b.data.get("field_service"):
        problems.append(Problem("--work-orders", None, "field_service",
                                "the calls log has repair calls: give the work-orders log "
                                "(and visits) or a --base scenario with a field_service section"))
    fs = b.data.get("field_service") or {}
    if fs and "repair_minutes" not in fs:
        problems.append(Problem("--visits", None, "field_service.repair_minutes",
                                "repair times come from the visits log: give --visits or a "
                                "--base with field_service"))
    if fs and "technicians" not in fs:
        problems.append(Problem("--visits", None, "field_service.technicians",
                                "give --visits (for a lower bound) or a --base with technicians"))
    depot = fs.get("depot") or {}
    for key in ("technicians", "repair_minutes"):
        if depot and key not in depot:
            problems.append(Problem("--visits", None, f"field_service.depot.{key}",
                                    "the records have depot repairs: give --visits or a --base "
                                    "with a depot section"))
    return problems


def fit_files(paths: Mapping[str, Path | str], base: Path | str | None = None,
              name: str = "fitted", confidence: float = 0.95) -> Fit:
    """``read_logs`` and ``load_scenario(base)``, then ``fit_logs``; every problem of the logs
    and of the base is raised together."""
    problems: list[Problem] = []
    scenario = None
    if base is not None:
        try:
            scenario = load_scenario(base)
        except ScenarioError as err:
            problems += err.problems
    try:
        logs = read_logs(paths)
    except ScenarioError as err:
        raise ScenarioError([*problems, *err.problems]) from None
    if problems:
        raise ScenarioError(problems)
    return fit_logs(logs, scenario, str(base) if base is not None else None, name, confidence)
