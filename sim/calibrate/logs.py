"""Event logs: the model's records as a company's systems would keep them, one table per kind.

This module owns writing the event logs: ``event_tables`` (one replication's flat records -> one
table per kind, in the columns of ``SCHEMA``), the per-kind table builders, ``day_zero`` and
``iso_times``. The format itself (``SCHEMA``: which tables, which columns, of which type, which of
them ``aftersales-sim fit`` needs, which ids are unique, which times must come in order) is
``sim.calibrate.schema``; ``read_logs`` (files in the format -> validated tables for
``sim.calibrate.fit``, every data problem reported as ``FILE:ROW: column: message``) is
``sim.calibrate.read``. Users load the same files into their BI tools; docs/event-logs.md documents
every column.

The logs hold what the KPIs count: calls that arrived, work orders, follow-ups and complaint cases
opened and part orders placed in the measured window (after the warm-up, before the end of the
horizon), with the visits and attempts that belong to them, followed into the run-out. Times are
ISO 8601 local timestamps (millisecond resolution, no offset) counted from the scenario's
``start_date`` (day 0; absent in the file = the first Monday of next year, resolved when the
scenario is read); durations are plain numbers with the unit in the column name. Outcomes are
words (answered, abandoned, ...), never the engine's state codes.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from sim.calibrate.schema import BOOL, INT
from sim.engine.model import Replication
from sim.engine.records import (
    ABANDONED,
    BLOCKED,
    DONE,
    HOLD_ABANDONED,
    HOLDING,
    TALKING,
    WAITING,
    WITH_SPECIALIST,
)
from sim.scenario.format import Scenario


def day_zero(scenario: Scenario) -> dt.datetime:
    """Midnight of day 0: the scenario's ``start_date`` (resolved when the scenario was read:
    absent in the file = the first Monday of next year)."""
    return dt.datetime.combine(scenario.start_date, dt.time())


def iso_times(minutes: np.ndarray | pd.Series, origin: dt.datetime) -> np.ndarray:
    """Engine minutes as ISO 8601 text (``2026-03-02T08:15:00.000``); NaN and inf give None."""
    m = np.asarray(minutes, dtype=float)
    known = np.isfinite(m)
    ms = np.round(np.where(known, m, 0.0) * 60_000.0).astype(np.int64)
    stamps = np.datetime64(origin, "ms") + ms.astype("timedelta64[ms]")
    text = np.datetime_as_string(stamps, unit="ms").astype(object)
    text[~known] = None
    return text


def _labels(values: np.ndarray, labels: dict[int, str]) -> np.ndarray:
    out = np.full(len(values), None, dtype=object)
    for code, label in labels.items():
        out[values == code] = label
    return out


def _masked(values: np.ndarray, keep: np.ndarray, dtype: pd.api.extensions.ExtensionDtype
            ) -> pd.Series:
    """A nullable column (``Int64`` or ``boolean``) that is empty where ``keep`` is False."""
    return pd.Series(values).astype(dtype).mask(~np.asarray(keep, dtype=bool))


def _within(times: pd.Series, start: float, end: float) -> np.ndarray:
    """Which rows' times fall in the measured window [start, end)."""
    t = times.to_numpy(float)
    return (t >= start) & (t < end)


def calls_table(calls: pd.DataFrame, start: float, end: float, origin: dt.datetime
                ) -> pd.DataFrame:
    """One row per call that arrived in the window [start, end) (minutes), with what happened
    to it however long after (the run-out follows it to its end)."""
    c = calls[_within(calls["arrival"], start, end)]
    state = c["state"].to_numpy()
    answered = np.isin(state, (TALKING, HOLDING, WITH_SPECIALIST, DONE, HOLD_ABANDONED))
    hold_start = c["hold_start"].to_numpy(float)
    escalated = c["escalate"].to_numpy(bool) & ~np.isnan(hold_start)
    ended = c["end"].to_numpy(float)
    abandon = c["abandon"].to_numpy(float)
    outcome = _labels(state, {WAITING: "waiting", ABANDONED: "abandoned", BLOCKED: "blocked"})
    outcome[answered] = "answered"
    specialist = _labels(state, {WITH_SPECIALIST: "answered", DONE: "answered",
                                 HOLD_ABANDONED: "abandoned", HOLDING: "waiting"})
    specialist[~escalated] = None

    def at(values: np.ndarray) -> np.ndarray:
        return iso_times(values, origin)

    return pd.DataFrame({
        "call_id": c["id"].to_numpy(np.int64),
        "type": c["kind"].astype(str).to_numpy(object),
        "origin": c["origin"].astype(str).to_numpy(object),
        "callback": c["callback"].to_numpy(bool),
        "attempt": c["attempt"].to_numpy(np.int64),
        "redial_of": _masked(c["redial_of"].to_numpy(), c["redial_of"].to_numpy() >= 0, INT),
        "arrived_at": at(c["arrival"].to_numpy(float)),
        "outcome": outcome,
        "answered_at": at(np.where(answered, c["answer"].to_numpy(float), np.nan)),
        "abandoned_at": at(np.where(state == ABANDONED, abandon, np.nan)),
        # The agent's part ends at the transfer for escalated calls, at the hang-up otherwise.
        "agent_ended_at": at(np.where(escalated, hold_start, ended)),
        "escalated": escalated,
        "specialist_outcome": specialist,
        "specialist_answered_at": at(c["specialist_answer"].to_numpy(float)),
        "specialist_ended_at": at(c["specialist_end"].to_numpy(float)),
        "ended_at": at(np.where(state == HOLD_ABANDONED, abandon, ended)),
    })


def work_orders_table(jobs: pd.DataFrame, start: float, end: float, origin: dt.datetime
                      ) -> pd.DataFrame:
    """One row per work order created in the window [start, end) (minutes)."""
    j = jobs[_within(jobs["created"], start, end)]
    fixed = j["fixed_at"].to_numpy(float)
    checked = j["spot_checked"].to_numpy(bool) & ~np.isnan(fixed)
    waited = ~np.isnan(j["part_wait_start"].to_numpy(float))

    def at(column: str, mask: np.ndarray | None = None) -> np.ndarray:
        values = j[column].to_numpy(float)
        return iso_times(values if mask is None else np.where(mask, values, np.nan), origin)

    return pd.DataFrame({
        "work_order_id": j["id"].to_numpy(np.int64),
        "call_id": j["call_id"].to_numpy(np.int64),
        "channel": j["channel"].astype(str).to_numpy(object),
        "created_at": at("created"),
        "promised_by": at("due"),
        "slot_ends_at": at("slot_end"),
        "released_at": at("released"),
        "first_visit_at": at("first_start"),
        "visits": j["visits"].to_numpy(np.int64),
        "part_sku": j["sku"].astype(str).replace("", None).to_numpy(object),
        "part_requested_at": at("part_requested"),
        "part_wait_from": at("part_wait_start"),
        # The engine records a part's arrival only for a job that was waiting for it.
        "part_wait_to": at("part_ready", waited),
        "fixed_at": at("fixed_at"),
        "finished_at": at("finished"),
        "spot_checked": checked,
        "spot_check_passed": _masked(j["quality_pass"].to_numpy(bool), checked, BOOL),
        # -1 means "not a rework job": an empty cell in the file.
        "rework_of": _masked(j["rework_of"].to_numpy(np.int64),
                             j["rework_of"].to_numpy(np.int64) >= 0, INT),
        "warranty": j["warranty"].to_numpy(bool),
    })


def visits_table(visits: pd.DataFrame, job_ids: np.ndarray, origin: dt.datetime
                 ) -> pd.DataFrame:
    """One row per finished visit (or bench session) of the given work orders, in time order."""
    v = visits[visits["job_id"].isin(job_ids)]
    v = v.sort_values(["job_id", "start"], kind="stable")
    return pd.DataFrame({
        "work_order_id": v["job_id"].to_numpy(np.int64),
        "visit": v.groupby("job_id", observed=True).cumcount().to_numpy(np.int64) + 1,
        "channel": np.where(v["crew"].astype(str).to_numpy() == "technicians", "onsite", "depot"
                            ).astype(object),
        "started_at": iso_times(v["start"].to_numpy(float), origin),
        "travel_minutes": v["travel"].to_numpy(float),
        "diagnosis_minutes": v["diagnosis"].to_numpy(float),
        "repair_minutes": v["repair"].to_numpy(float),
        "ended_at": iso_times(v["end"].to_numpy(float), origin),
        "outcome": v["outcome"].astype(str).to_numpy(object),
    })


def parts_table(orders: pd.DataFrame, start: float, end: float, origin: dt.datetime
                ) -> pd.DataFrame:
    """One row per replenishment order placed in the window [start, end) (minutes)."""
    o = orders[_within(orders["placed"], start, end)]
    received = ~np.isnan(o["received"].to_numpy(float))

    def counted(column: str) -> pd.Series:
        return _masked(o[column].to_numpy(np.int64), received, INT)

    return pd.DataFrame({
        "order_id": o["id"].to_numpy(np.int64),
        "sku": o["sku"].astype(str).to_numpy(object),
        "reason": o["reason"].astype(str).to_numpy(object),
        "placed_at": iso_times(o["placed"].to_numpy(float), origin),
        "quantity": o["quantity"].to_numpy(np.int64),
        "received_at": iso_times(o["received"].to_numpy(float), origin),
        "accepted": counted("accepted"),
        "rejected": counted("rejected"),
    })


def followups_table(followups: pd.DataFrame, attempts: pd.DataFrame, start: float,
                    end: float, origin: dt.datetime) -> pd.DataFrame:
    """One row per attempt of each follow-up created in the window [start, end); one empty-attempt
    row for a follow-up nobody tried yet. The reaching attempt carries the score."""
    f = followups[_within(followups["created"], start, end)]
    a = attempts[attempts["followup_id"].isin(f["id"])]
    a = a.sort_values(["followup_id", "start"], kind="stable")
    a = a.assign(attempt=a.groupby("followup_id").cumcount() + 1,
                 crew=a["crew"].astype(str), got_through=a["reached"].astype(bool))
    merged = f.rename(columns={"id": "followup_id"}).drop(columns=["reached"]).merge(
        a.drop(columns=["reached"]), on="followup_id", how="left", sort=False)
    merged = merged.sort_values(["followup_id", "attempt"], kind="stable", na_position="first")
    tried = merged["attempt"].notna().to_numpy()
    reaching = merged["got_through"].fillna(False).to_numpy(bool)
    channel = np.where(merged["crew"].to_numpy(object) == "agents", "call", "visit").astype(object)
    channel[~tried] = None
    return pd.DataFrame({
        "followup_id": merged["followup_id"].to_numpy(np.int64),
        "work_order_id": merged["job_id"].to_numpy(np.int64),
        "created_at": iso_times(merged["created"].to_numpy(float), origin),
        "due_at": iso_times(merged["due"].to_numpy(float), origin),
        "attempt": pd.array(merged["attempt"].to_numpy(float), dtype=INT),
        "channel": channel,
        "attempt_started_at": iso_times(merged["start"].to_numpy(float), origin),
        "attempt_ended_at": iso_times(merged["end"].to_numpy(float), origin),
        "reached": _masked(reaching, tried, BOOL),
        "score": np.where(reaching, merged["score"].to_numpy(float), np.nan),
        "complained": _masked(merged["complained"].fillna(False).to_numpy(bool), reaching,
                              BOOL),
    })


def complaints_table(cases: pd.DataFrame, start: float, end: float, origin: dt.datetime
                     ) -> pd.DataFrame:
    """One row per complaint case opened in the window [start, end) (minutes)."""
    c = cases[_within(cases["opened"], start, end)]
    return pd.DataFrame({
        "complaint_id": c["id"].to_numpy(np.int64),
        "call_id": c["call_id"].to_numpy(np.int64),
        "opened_at": iso_times(c["opened"].to_numpy(float), origin),
        "due_at": iso_times(c["due"].to_numpy(float), origin),
        "started_at": iso_times(c["started"].to_numpy(float), origin),
        "resolved_at": iso_times(c["resolved"].to_numpy(float), origin),
    })


def event_tables(scenario: Scenario, replication: Replication) -> dict[str, pd.DataFrame]:
    """The event logs of one replication, by kind; only kinds whose process is on.

    Args:
        scenario: The scenario the replication ran.
        replication: Its flat records (``sim.engine.model.simulate``).

    Returns:
        ``calls`` always; ``work_orders`` and ``visits`` with field service; ``parts`` with
        parts; ``followups`` with follow-ups; ``complaints`` with complaint handling. Columns
        are those of ``SCHEMA``, in its order.
    """
    origin = day_zero(scenario)
    start, end = replication.start_minutes, replication.end_minutes
    tables = {"calls": calls_table(replication.calls, start, end, origin)}
    if scenario.field_service is not None:
        orders = work_orders_table(replication.work_orders, start, end, origin)
        tables["work_orders"] = orders
        tables["visits"] = visits_table(replication.visits,
                                        orders["work_order_id"].to_numpy(), origin)
    if scenario.parts is not None:
        tables["parts"] = parts_table(replication.part_orders, start, end, origin)
    if scenario.followup is not None and scenario.field_service is not None:
        tables["followups"] = followups_table(replication.followups, replication.attempts,
                                              start, end, origin)
    if scenario.complaints is not None:
        tables["complaints"] = complaints_table(replication.cases, start, end, origin)
    return tables
