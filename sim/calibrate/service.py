"""Fitting the repair side from the work-orders, visits, parts and follow-ups logs.

This module owns the estimation of ``field_service`` (routing, promises, booking, quality, rework,
visit times, depot transit), ``parts`` (need probability, SKU shares, lead times with censoring,
reject rates; stock policies from the base or assumed) and ``followup``. Each fitter writes into
a ``sim.calibrate.builder.Builder``; ``sim.calibrate.fit.fit_logs`` calls them in order.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.calibrate.builder import Builder, ParamFit, Path_, as_number, span
from sim.calibrate.estimators import proportion, round_sig, sum_to_one
from sim.i18n.messages import tr
from sim.theory.stock import base_stock_level_for_fill
from sim.units import MINUTES_PER_DAY, MINUTES_PER_HOUR, MINUTES_PER_MILLISECOND


def _first_attempts(calls: pd.DataFrame, keys: pd.MultiIndex) -> pd.DataFrame:
    """For each (rep, call_id) in ``keys``, the first attempt of its caller: ``origin`` and
    ``arrived_at`` of the call the redial chain starts from (NaN where unknown)."""
    table = calls.set_index(["rep", "call_id"])
    redial = table["redial_of"] if "redial_of" in table else pd.Series(np.nan, table.index)
    current = keys
    for _ in range(25):  # more than any max_attempts: the chain ends at a first attempt
        before = redial.reindex(current).to_numpy(float)
        if not np.isfinite(before).any():
            break
        reps = current.get_level_values(0)
        ids = np.where(np.isfinite(before), before, current.get_level_values(1).to_numpy(float))
        current = pd.MultiIndex.from_arrays([reps, ids])
    found = table.reindex(current)
    origin = (found["origin"] if "origin" in found else pd.Series("customer", found.index))
    return pd.DataFrame({"origin": origin.to_numpy(object),
                         "arrived_at": found["arrived_at"].to_numpy(float)})


def _fit_rework_delay(b: Builder, jobs: pd.DataFrame, normal: np.ndarray) -> None:
    """Rework delay: from a failed repair's finish to the customer's first call reporting it.

    A rework job reported by phone carries the reporting call (``origin`` ``rework``): its
    caller's first attempt is the report. A job without such a call (a spot check caught the
    failure, or no calls log) dates the report by the rework job's creation, which is later
    than the report by the caller's wait: the estimate is then slightly high.
    """
    path = ("field_service", "rework_delay_hours")
    finished_by_id = pd.Series(jobs["finished_at"].to_numpy(float),
                               index=pd.MultiIndex.from_arrays([jobs["rep"],
                                                                jobs["work_order_id"]]))
    back = jobs[~normal]
    original = finished_by_id.reindex(pd.MultiIndex.from_arrays(
        [back["rep"], back["rework_of"]])).to_numpy(float)
    reported = back["created_at"].to_numpy(float)
    by_phone = np.ones(len(back), dtype=bool)
    calls = b.logs.get("calls")
    if calls is not None and "origin" in calls:
        first = _first_attempts(calls, pd.MultiIndex.from_arrays([back["rep"],
                                                                  back["call_id"]]))
        by_phone = (first["origin"] == "rework").to_numpy()
        reported = np.where(by_phone, first["arrived_at"].to_numpy(float), reported)
    known = np.isfinite(original) & np.isfinite(reported) & by_phone
    # Only failures reported before the records end are seen: right-truncated at the end.
    b.dist(path, reported[known] - original[known], tr("rework reports"), MINUTES_PER_HOUR,
           fallback=False, limits=b.logs.end - original[known])


def _promises(route: str) -> str:
    """The promises of a route, in the reader's language (a duration's ``what``)."""
    return {"onsite": tr("onsite promises"), "depot": tr("depot promises")}.get(route, route)


def fit_field_service(b: Builder) -> None:
    """Routing, promises, booking, quality, rework and depot transit from the work orders."""
    jobs, visits = b.logs.get("work_orders"), b.logs.get("visits")
    fs = ("field_service",)
    if jobs is None:
        b.keep(fs, tr("no work-orders log given"))
        return
    if jobs.empty:
        if b.keep(fs, tr("the work-orders log has no rows")):
            b.notes.append(tr("{file} has no rows: field_service is the base's",
                              file=b.logs.sources["work_orders"]))
        return
    normal = jobs["rework_of"].isna().to_numpy() if "rework_of" in jobs else np.ones(len(jobs),
                                                                                        bool)
    channel = jobs["channel"].to_numpy(str)
    created, due = jobs["created_at"].to_numpy(float), jobs["promised_by"].to_numpy(float)
    onsite = channel == "onsite"
    b.share((*fs, "onsite_share"), int((onsite & normal).sum()), int(normal.sum()),
            tr("new work orders"))
    slots = bool(b.base_value((*fs, "booking", "slots")))
    for route, mask in (("onsite", onsite), ("depot", ~onsite)):
        if route == "onsite" and slots:
            b.keep((*fs, "promised_hours", route), tr("with appointment slots a job is "
                                                       "promised by its slot's end"))
        elif mask.any():
            path = (*fs, "promised_hours", route)
            b.dist(path, span(mask, created, due), _promises(route), MINUTES_PER_HOUR)
            as_number(b, path)
    b.keep((*fs, "dispatch_rule"), tr("a policy, not in the logs"))
    if "warranty" in jobs and b.base_value(("revenue",)) is not None:
        under = jobs["warranty"].to_numpy(float) == 1.0
        b.share(("revenue", "warranty_share"), int((under & normal).sum()), int(normal.sum()),
                tr("new work orders"))
    if b.base_value((*fs, "booking", "slots")):
        # A booked job is released at its slot's start: the gap to it is the wait for a slot
        # with room, not a lead time, and the slots are the company's calendar, not a record.
        b.keep((*fs, "booking"), tr("appointment slots are the company's calendar, not in the "
                                    "logs"))
    elif "released_at" in jobs:
        lead = span(onsite, created, jobs["released_at"].to_numpy(float)) / MINUTES_PER_HOUR
        if len(lead) and lead.min() * MINUTES_PER_HOUR > 2 * MINUTES_PER_MILLISECOND:
            b.set((*fs, "booking"), {"min_lead_hours": round_sig(float(lead.min()), 4)},
                  tr("fitted: shortest time from work order to release on site (median "
                     "{median:.3g} h)", median=float(np.median(lead))))
        elif len(lead):
            b.set((*fs, "booking"), None, tr("fitted: on-site jobs are released at once"))
    fixed_at = jobs["fixed_at"].to_numpy(float) if "fixed_at" in jobs else None
    if fixed_at is not None and "spot_checked" in jobs:
        fixed = np.isfinite(fixed_at)
        checked = jobs["spot_checked"].to_numpy(float) == 1.0
        b.share((*fs, "spot_check_share"), int((checked & fixed).sum()), int(fixed.sum()),
                tr("fixed work orders"))
        if "spot_check_passed" in jobs:
            passed = jobs["spot_check_passed"].to_numpy(float) == 1.0
            b.share((*fs, "quality_pass_probability"), int((passed & checked).sum()),
                    int(checked.sum()), tr("spot checks"), floor=0.001)
    if "finished_at" in jobs and "rework_of" in jobs:
        _fit_rework_delay(b, jobs, normal)
    if visits is not None:
        _fit_visits(b, jobs, visits)
    depot = ~onsite
    if depot.any():
        transit = [span(depot, created, jobs["released_at"].to_numpy(float))
                   if "released_at" in jobs else np.empty(0)]
        if fixed_at is not None:
            transit.append(span(depot, fixed_at, jobs["finished_at"].to_numpy(float)))
        b.dist((*fs, "depot", "transit_hours"), np.concatenate(transit), tr("depot transits"),
               MINUTES_PER_HOUR, fallback=False)
    elif (b.data.get("field_service") or {}).get("depot") is not None:
        b.set((*fs, "depot"), None, tr("no depot repairs in the records"))


def _fit_visits(b: Builder, jobs: pd.DataFrame, visits: pd.DataFrame) -> None:
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
    b.dist((*fs, "travel_minutes"), travel[onsite], tr("on-site visits"))
    b.dist((*fs, "diagnosis_minutes"), visits["diagnosis_minutes"].to_numpy(float),
           tr("visits"))
    repair = visits["repair_minutes"].to_numpy(float)
    b.dist((*fs, "repair_minutes"), repair[onsite & repaired], tr("on-site repairs"))
    if (depot & repaired).any():
        b.dist((*fs, "depot", "repair_minutes"), repair[depot & repaired], tr("bench repairs"))
    b.share((*fs, "fix_probability"), int((outcome == "fixed").sum()), int(repaired.sum()),
            tr("visits with their part"), floor=0.001)
    start, end = visits["started_at"].to_numpy(float), visits["ended_at"].to_numpy(float)
    rep = visits["rep"].to_numpy(float)
    b.staff((*fs, "technicians"), rep[onsite], start[onsite], end[onsite], tr("on-site visits"))
    if depot.any():
        b.staff((*fs, "depot", "technicians"), rep[depot], start[depot], end[depot],
                tr("bench repairs"))


def fit_parts(b: Builder) -> None:
    """Part need and SKU shares from the work orders; each SKU's lead time and rejects."""
    jobs, orders = b.logs.get("work_orders"), b.logs.get("parts")
    path = ("parts",)
    if jobs is None or "part_sku" not in jobs or jobs.empty:
        b.keep(path, tr("no part needs in the work-orders log"))
        return
    normal = jobs[jobs["rework_of"].isna()] if "rework_of" in jobs else jobs
    skus = normal["part_sku"].to_numpy(str)
    needs = skus != ""
    if not needs.any():
        b.set(path, None, tr("no work order needed a part"))
        return
    b.share((*path, "need_probability"), int(needs.sum()), len(normal), tr("new work orders"))
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
        b.comments[(*sku_path, "share")] = tr("fitted: {n} of {total} part needs",
                                               n=int(counts.get(name, 0)), total=total)
    b.set((*path, "skus"), entries, tr("one entry per SKU of the base and of the records"))
    for i, name in enumerate(names):
        _fit_sku(b, (*path, "skus", i), name, orders, name in base_skus,
                 int(counts.get(name, 0)) / (b.logs.days * b.logs.reps))
    b.keep((*path, "holding_rate_per_year"), tr("a cost, not in the logs"))
    b.keep((*path, "order_cost"), tr("a cost, not in the logs"))


def _fit_sku(b: Builder, path: Path_, name: str, orders: pd.DataFrame | None, known: bool,
             per_day: float) -> None:
    """Lead time and reject rate of one SKU; its stock policy from the base (or assumed)."""
    mine = orders[orders["sku"] == name] if orders is not None else None
    arrived = mine["received_at"].notna().to_numpy() if mine is not None else np.empty(0, bool)
    why = tr("no received orders of {sku} in the records", sku=name)
    lead_path = (*path, "lead_time_days")
    fitted = False
    if mine is not None and arrived.any():
        # An order still open when the records end took at least until then: right-censored,
        # or long lead times would be under-represented near the end of the records.
        placed = mine["placed_at"].to_numpy(float)
        lead = np.where(arrived, mine["received_at"].to_numpy(float), b.logs.end) - placed
        fitted = b.dist(lead_path, lead, tr("{sku} orders", sku=name), MINUTES_PER_DAY,
                        observed=arrived,
                        fallback=False)
        received = mine[arrived]
        units = int(received["quantity"].sum())
        est = proportion(int(received["rejected"].sum()), units, b.confidence)
        if est is not None:
            b.number((*path, "reject_rate"), est, units, min(est.value, 0.99))
    elif known:
        b.keep((*path, "reject_rate"), why)
    if not fitted and not (known and b.keep(lead_path, why)):
        b.set(lead_path, 7.0, tr("{why} and none in the base: a guess of 7 days", why=why))
        b.notes.append(tr("SKU {sku}: {why} and none in the base; a lead time of 7 days assumed",
                          sku=name, why=why))
    if known:
        for key in ("unit_cost", "initial_on_hand", "policy"):
            b.keep((*path, key), tr("costs and stock policies are not in the logs"))
        return
    entry: Any = b.data
    for step in path:
        entry = entry[step]
    lead_fit = b.dists.get(b.label(lead_path))
    mean_lead = lead_fit.mean.value if lead_fit is not None else 7.0
    level = base_stock_level_for_fill(per_day, mean_lead, 0.95)
    entry.update({"unit_cost": 0.0, "initial_on_hand": level,
                  "policy": {"type": "base_stock", "level": level}})
    b.comments[(*path, "policy")] = tr("not in the base: a base-stock level for a 95% fill rate "
                                       "under Poisson demand (sim.theory.queues)")
    b.notes.append(tr("SKU {sku} is not in the base: unit cost 0 and a base-stock policy of "
                      "{level} were assumed", sku=name, level=level))


def fit_followup(b: Builder) -> None:
    """Follow-up deadline, call time, reach, retries and complaints of unhappy customers."""
    fu = b.logs.get("followups")
    path = ("followup",)
    if fu is None:
        if not b.keep(path, tr("no follow-ups log given")):
            b.set(path, None, tr("no follow-ups log and no base: no follow-ups"))
        return
    once = fu.drop_duplicates(["rep", "followup_id"])
    b.dist((*path, "within_hours"), span(None, once["created_at"].to_numpy(float),
                                         once["due_at"].to_numpy(float)),
           tr("follow-up deadlines"), MINUTES_PER_HOUR)
    as_number(b, (*path, "within_hours"))
    tried = fu[fu["attempt_started_at"].notna() & fu["attempt_ended_at"].notna()]
    channel = "call"
    if "channel" in tried and len(tried):
        channel = str(tried["channel"].mode().iat[0])
        b.set((*path, "channel"), channel, tr("fitted: most attempts are by {channel}",
                                              channel=channel))
    else:
        b.keep((*path, "channel"), tr("no channel column in the follow-ups log"))
        channel = str((b.data.get("followup") or {}).get("channel", "call"))
    duration = span(None, tried["attempt_started_at"].to_numpy(float),
                    tried["attempt_ended_at"].to_numpy(float))
    if channel == "call":
        b.dist((*path, "call_minutes"), duration, tr("follow-up calls"))
    else:
        b.keep((*path, "call_minutes"), tr("visit attempts include travel"))
    reached = tried["reached"].to_numpy(float) == 1.0
    b.share((*path, "reach_probability"), int(reached.sum()), len(tried), tr("attempts"))
    ordered = tried.sort_values(["rep", "followup_id", "attempt_started_at"])
    ids, reps = ordered["followup_id"].to_numpy(), ordered["rep"].to_numpy()
    same = (ids[1:] == ids[:-1]) & (reps[1:] == reps[:-1])
    gaps = (ordered["attempt_started_at"].to_numpy(float)[1:]
            - ordered["attempt_ended_at"].to_numpy(float)[:-1])[same] / MINUTES_PER_HOUR
    if len(gaps):
        b.set((*path, "retry_hours"), round_sig(max(float(gaps.min()), 1e-3), 4),
              tr("fitted: shortest gap between attempts ({n} retries)", n=len(gaps)))
    else:
        b.keep((*path, "retry_hours"), tr("no retries in the records"))
    if "score" in tried and "complained" in tried:
        unhappy_below = float(b.data["satisfaction"]["unhappy_below"])
        unhappy = reached & (tried["score"].to_numpy(float) < unhappy_below)
        complained = tried["complained"].to_numpy(float) == 1.0
        b.share((*path, "complaint_probability_if_unhappy"), int((complained & unhappy).sum()),
                int(unhappy.sum()), tr("unhappy customers"))

