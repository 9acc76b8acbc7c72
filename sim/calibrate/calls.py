"""Fitting the customer side from the calls and complaints logs.

This module owns the estimation of ``demand`` (contacts per day, mix, weekly and hourly profiles,
from the calls log), ``call_center`` (handle times, patience with censoring, lines, escalation;
staffing from the base) and ``complaints``. Each fitter writes into a
``sim.calibrate.builder.Builder``; ``sim.calibrate.fit.fit_logs`` calls them in order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.calibrate.builder import Builder, ParamFit, as_number, span
from sim.calibrate.estimators import proportion, round_sig, sum_to_one
from sim.calibrate.shocks import SteadyDemand, shock_events, steady_demand
from sim.i18n.formats import WEEKDAYS, date_text, listing
from sim.i18n.messages import tr
from sim.scenario.base import CONTACT_TYPES
from sim.scenario.calendar import open_fraction
from sim.scenario.clock import OpenHours
from sim.units import MINUTES_PER_DAY, MINUTES_PER_HOUR


def fit_demand(b: Builder) -> pd.DataFrame:
    """Contacts per day, mix, weekly and hourly profiles and demand shocks; returns the daily
    counts with the fitted expectation."""
    logs = b.logs
    calls = logs.tables["calls"]
    # Complaints from follow-ups and reports of failed repairs are made by the model itself.
    customer = (calls[~calls["origin"].isin(("followup", "rework"))] if "origin" in calls
                else calls)
    if "redial_of" in customer:  # a caller trying again is not new demand
        customer = customer[customer["redial_of"].isna()]
    t = customer["arrived_at"].to_numpy(float)
    first_day = int(logs.start // MINUTES_PER_DAY)
    n_days = round(logs.days)
    reps = np.sort(calls["rep"].unique())
    rep_index = np.searchsorted(reps, customer["rep"].to_numpy())
    day = np.floor(t / MINUTES_PER_DAY).astype(int) - first_day
    kinds = customer["type"].to_numpy(str)
    by_type: dict[str, np.ndarray] = {k: np.zeros((len(reps), n_days)) for k in CONTACT_TYPES}
    for k, c in by_type.items():
        mine = kinds == k
        np.add.at(c, (rep_index[mine], day[mine]), 1)
    counts = sum(by_type.values(), np.zeros((len(reps), n_days)))
    weekday = (first_day + np.arange(n_days)) % 7
    steady = steady_demand(by_type, weekday, b.confidence)
    unseen = [WEEKDAYS[d] for d in range(7) if not (weekday[steady.ordinary] == d).any()]
    if unseen:
        b.notes.append(tr("no ordinary {days} in the records: weekly weight 1 assumed",
                          days=listing(tr(d) for d in unseen)))
    dates = [(logs.origin + dt.timedelta(days=first_day + i)).date() for i in range(n_days)]
    ordinary = int(counts[:, steady.ordinary].sum())
    shocked = "" if steady.ordinary.all() else tr(" outside the {n} days of demand shocks",
                                                  n=int((~steady.ordinary).sum()))
    b.number(("demand", "contacts_per_day"), steady.per_day, ordinary, unit="contacts/day")
    b.comments[("demand", "contacts_per_day")] += shocked
    shares = {k: proportion(int(c[:, steady.ordinary].sum()), ordinary, b.confidence)
              for k, c in by_type.items()}
    mix = {k: est for k, est in shares.items() if est is not None and est.value > 0}
    rounded = sum_to_one({k: est.value for k, est in mix.items()})
    for k, est in mix.items():
        b.params.append(ParamFit(f"demand.mix.{k}", est, ordinary))
    b.set(("demand", "mix"), rounded, tr("fitted shares of {n} customer contacts{shocked}",
                                         n=ordinary, shocked=shocked))
    for d, est in enumerate(steady.weights):
        b.params.append(ParamFit(f"demand.weekly_profile.{d}", est, int(
            counts[:, steady.ordinary & (weekday == d)].sum())))
    b.set(("demand", "weekly_profile"), [round(w.value, 4) for w in steady.weights],
          tr("fitted: mean contacts per weekday / mean per day, Monday first") + shocked)
    expected = _fit_events(b, steady, by_type, rounded, dates)
    n = len(customer)
    hours = (np.floor(t / MINUTES_PER_HOUR) % 24).astype(int)
    hour_counts = np.bincount(hours, minlength=24)
    for h in range(24):
        share = proportion(int(hour_counts[h]), n, b.confidence)
        assert share is not None
        b.params.append(ParamFit(f"demand.hourly_profile.{h}", share, n))
    b.set(("demand", "hourly_profile"), [round(c / n, 5) for c in hour_counts],
          tr("fitted: share of contacts per hour of the day"))
    hours_spec = b.data["call_center"].get("hours")
    if hours_spec is not None:
        open_share = open_fraction(OpenHours.model_validate(hours_spec)).ravel()
        how = ((np.floor(t / MINUTES_PER_HOUR)) % 168).astype(int)
        outside = float(np.mean(open_share[how] == 0)) if n else 0.0
        if outside > 0.001:
            b.notes.append(tr("{share:.1%} of the contacts arrive outside call_center.hours of "
                              "the base: the fitted scenario will not generate them",
                              share=outside))
    return pd.DataFrame({"rep": np.repeat(reps, n_days),
                         "day": np.tile(np.arange(n_days), len(reps)),
                         "date": np.tile([d.isoformat() for d in dates], len(reps)),
                         "contacts": counts.ravel(), "expected": np.tile(expected, len(reps))})


def _fit_events(b: Builder, steady: SteadyDemand, by_type: Mapping[str, np.ndarray],
                mix: dict[str, float], dates: list[dt.date]) -> np.ndarray:
    """Each demand shock as ``demand.events``; returns the expected contacts per day with them."""
    start = dt.date.fromisoformat(b.data["start_date"])
    rate = steady.per_day
    z = float(stats.norm.ppf(0.5 + b.confidence / 2))
    rate_rel_se = (rate.high - rate.low) / (2 * z * rate.value) if rate.value > 0 else 0.0
    reps = next(iter(by_type.values())).shape[0]
    factor = {kind: np.ones(len(dates)) for kind in mix}
    events: list[dict[str, Any]] = []
    for shock in steady.shocks:
        for event, est in shock_events(shock, by_type, mix, steady.expected, rate_rel_se,
                                       (dates[shock.first] - start).days, dates[shock.first],
                                       b.confidence):
            b.params.append(ParamFit(f"demand.events.{len(events)}.multiplier", est,
                                     shock.days * reps))
            events.append(event)
            for kind in event["types"]:
                factor[kind][shock.first:shock.last + 1] *= event["multiplier"]
            b.notes.append(tr("contacts from {first} to {last} were {ratio:.2f} x the steady "
                              "profile: fitted as the demand event '{name}' ({types} x "
                              "{multiplier:g})", first=date_text(dates[shock.first]),
                              last=date_text(dates[shock.last]), ratio=shock.ratio,
                              name=event["name"], types=listing(event["types"]),
                              multiplier=event["multiplier"]))
    b.set(("demand", "events"), events,
          tr("fitted: {n} demand shock(s) in the records (runs of days off the steady "
             "profile); the base's events are not copied", n=len(events)) if events else
          tr("no demand shocks in the records; the base's events are not copied"))
    return steady.expected * sum(share * factor[kind] for kind, share in mix.items())


def phone_calls(calls: pd.DataFrame) -> pd.DataFrame:
    """The calls that rang on the phone: contacts of closed hours (``callback``: web tickets and
    voicemail, called back when the center opened) never queued for an agent, held a line or
    were transferred."""
    return calls[~calls["callback"].to_numpy(bool)] if "callback" in calls else calls


def _calls_of(kind: str) -> str:
    """The calls of a contact type, in the reader's language (a duration's ``what``)."""
    return {"inquiry": tr("inquiry calls"), "repair": tr("repair calls"),
            "complaint": tr("complaint calls")}.get(kind, kind)


def fit_calls(b: Builder) -> None:
    """The call center: handle times, patience, lines, escalation; staffing from the base."""
    everything = b.logs.tables["calls"]
    b.staff(("call_center", "agents"), everything["rep"].to_numpy(float),
            everything["answered_at"].to_numpy(float),
            everything["agent_ended_at"].to_numpy(float), tr("calls in conversation"))
    calls = phone_calls(everything)
    arrived = calls["arrived_at"].to_numpy(float)
    answered = calls["answered_at"].to_numpy(float)
    talk_end = calls["agent_ended_at"].to_numpy(float)
    kinds = calls["type"].to_numpy(str)
    cc = ("call_center",)
    for kind in CONTACT_TYPES:
        if (kinds == kind).any():
            b.dist((*cc, "handle_minutes", kind), span(kinds == kind, answered, talk_end),
                   _calls_of(kind))
    # Patience: an abandonment after waiting w is an event at w; an answer after waiting w
    # says only that patience exceeded w (right-censored). Calls answered at once tell nothing.
    abandoned = (calls["outcome"] == "abandoned").to_numpy()
    wait = np.where(abandoned, calls["abandoned_at"].to_numpy(float), answered) - arrived
    waited = np.isfinite(wait) & (wait > 0)
    if abandoned.any():
        b.dist((*cc, "patience_minutes"), wait[waited], tr("waiting callers"),
               observed=abandoned[waited], fallback=False)
    elif not b.keep((*cc, "patience_minutes"), tr("no abandoned calls in the records")):
        b.set((*cc, "patience_minutes"), None, tr("no abandoned calls in the records: nobody "
                                                  "abandons"))
    _fit_lines(b, calls)
    _fit_redial(b, calls)
    b.keep((*cc, "hours"), tr("opening hours are not in the logs"))
    b.keep((*cc, "answer_target_seconds"), tr("a target, not in the logs"))
    _fit_escalation(b, calls)


def _fit_lines(b: Builder, calls: pd.DataFrame) -> None:
    """Lines: the number of calls in the system whenever a caller got a busy signal."""
    path = ("call_center", "lines")
    blocked = (calls["outcome"] == "blocked").to_numpy()
    if not blocked.any() or "ended_at" not in calls:
        if not b.keep(path, tr("no busy signals in the records")):
            b.set(path, None, tr("no busy signals in the records: unlimited lines"))
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
    b.set(path, max(lines, 1), tr("fitted: calls in the system at the {n} busy signals "
                                  "(median {median:g}, max {most})", n=int(blocked.sum()),
                                  median=float(np.median(counts)), most=lines))


REDIAL_HORIZON_QUANTILE = 0.99  # failures this close to the end may redial after it: left out
MAX_REDIAL_CHAIN = 20  # the scenario format's largest max_attempts


def _fit_redial(b: Builder, calls: pd.DataFrame) -> None:
    """Redial probability, delay and attempts, from calls linked to the attempt they repeat."""
    path = ("call_center", "redial")
    if "redial_of" not in calls:
        if b.keep(path, tr("the calls log has no redial_of column")):
            b.notes.append(tr("the calls log does not link redials (no redial_of column): every "
                              "call counted as new demand, so the demand may be overstated"))
        return
    redials = calls[calls["redial_of"].notna()]
    if redials.empty:
        b.set(path, None, tr("no redials in the records: a failed caller is lost"))
        return

    def column(name: str) -> np.ndarray:
        return calls[name].to_numpy(float) if name in calls else np.full(len(calls), np.nan)

    outcome = calls["outcome"].to_numpy(str)
    on_hold = (calls["specialist_outcome"].to_numpy(str) == "abandoned"
               if "specialist_outcome" in calls else np.zeros(len(calls), dtype=bool))
    failed_at = np.select([outcome == "blocked", outcome == "abandoned", on_hold],
                          [column("arrived_at"), column("abandoned_at"), column("ended_at")],
                          np.nan)
    failed = np.isfinite(failed_at)
    ids = pd.MultiIndex.from_arrays([calls["rep"], calls["call_id"]])[failed]
    keys = pd.MultiIndex.from_arrays([redials["rep"], redials["redial_of"]])
    known = keys.isin(ids)
    when = pd.Series(failed_at[failed], index=ids)
    delays = redials["arrived_at"].to_numpy(float)[known] - when.reindex(keys[known]).to_numpy()
    attempts = column("attempt") if "attempt" in calls else _attempt_numbers(calls)
    max_attempts = int(np.nanmax(attempts))
    # A failure near the end of the records may have redialled after it: only failures with
    # time to redial count towards the probability.
    cutoff = b.logs.end - (float(np.quantile(delays, REDIAL_HORIZON_QUANTILE)) if len(delays)
                           else 0.0)
    could = (failed_at[failed] < cutoff) & (attempts[failed] < max_attempts)
    again = ids[could].isin(keys)
    b.share((*path, "probability"), int(again.sum()), int(could.sum()), tr("failed calls"))
    b.dist((*path, "delay_minutes"), delays, tr("redial delays"))
    shown = min(max(max_attempts, 2), MAX_REDIAL_CHAIN)
    b.set((*path, "max_attempts"), shown,
          tr("the most attempts by one caller in the records ({n})", n=max_attempts)
          + (tr(", capped at {most}", most=MAX_REDIAL_CHAIN) if shown < max_attempts else ""))
    if shown < max_attempts:
        b.notes.append(tr("call_center.redial.max_attempts: a caller made {n} attempts in the "
                          "records; the scenario format allows {most} at most", n=max_attempts,
                          most=MAX_REDIAL_CHAIN))


def _attempt_numbers(calls: pd.DataFrame) -> np.ndarray:
    """Each call's attempt number, by following ``redial_of`` links (for logs without an
    ``attempt`` column): 1 for a first call, one more than the call it repeats otherwise."""
    ids = pd.MultiIndex.from_arrays([calls["rep"], calls["call_id"]])
    previous = pd.MultiIndex.from_arrays([calls["rep"], calls["redial_of"]])
    linked = calls["redial_of"].notna().to_numpy()
    attempts = np.ones(len(calls))
    for _ in range(MAX_REDIAL_CHAIN):
        number = pd.Series(attempts, index=ids)
        # NaN: a first call, or a redial whose original is not in the logs (counted as 1).
        before = number.reindex(previous).to_numpy()
        updated = np.where(linked, np.nan_to_num(before, nan=1.0) + 1.0, 1.0)
        if np.array_equal(updated, attempts):
            break
        attempts = updated
    return attempts


def _fit_escalation(b: Builder, calls: pd.DataFrame) -> None:
    """Escalation probability per type and the specialists' handle time."""
    path = ("call_center", "escalation")
    if "escalated" not in calls:
        b.keep(path, tr("the calls log has no escalated column"))
        return
    talked = calls[calls["agent_ended_at"].notna()]
    escalated = talked["escalated"].to_numpy(float) == 1.0
    if not escalated.any():
        b.set(path, None, tr("no escalated calls in the records: no transfers"))
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
    b.set((*path, "probability"), probability, tr("fitted: escalated / answered, by type"))
    if "specialist_answered_at" in calls and "specialist_ended_at" in calls:
        b.dist((*path, "handle_minutes"), span(None, calls["specialist_answered_at"]
                                               .to_numpy(float), calls["specialist_ended_at"]
                                               .to_numpy(float)), tr("specialist calls"))
        b.staff((*path, "specialists"), calls["rep"].to_numpy(float),
                calls["specialist_answered_at"].to_numpy(float),
                calls["specialist_ended_at"].to_numpy(float), tr("specialist calls"))
    elif not b.keep((*path, "handle_minutes"), tr("no specialist times in the calls log")):
        b.set(path, None, tr("escalations without specialist times and no base: left out"))


def fit_complaints(b: Builder) -> None:
    """Complaint deadline and resolution time, from the complaints log."""
    cases = b.logs.get("complaints")
    path = ("complaints",)
    if cases is None:
        if not b.keep(path, tr("no complaints log given")):
            b.set(path, None, tr("no complaints log and no base: a complaint ends with its call"))
        return
    opened, started = cases["opened_at"].to_numpy(float), cases["started_at"].to_numpy(float)
    resolved = cases["resolved_at"].to_numpy(float)
    b.dist((*path, "deadline_hours"), span(None, opened, cases["due_at"].to_numpy(float)),
           tr("complaint deadlines"), MINUTES_PER_HOUR)
    as_number(b, (*path, "deadline_hours"))
    b.dist((*path, "resolution_hours"), span(None, started, resolved),
           tr("resolved complaints"), MINUTES_PER_HOUR)
    b.staff((*path, "handlers"), cases["rep"].to_numpy(float), started, resolved,
            tr("complaints being worked"))

