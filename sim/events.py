"""Event logs: the model's records as a company's systems would keep them, one table per kind.

This module owns the event-log format both ways: ``SCHEMA`` (which tables, which columns, of
which type, which of them ``aftersales-sim fit`` needs, which ids are unique, which times must
come in order), ``event_tables`` (one replication's flat records -> those tables) and
``read_logs`` (files in the format -> validated tables for ``sim.fit``, every data problem
reported as ``FILE:ROW: column: message``). Users load the same files into their BI tools;
docs/event-logs.md documents every column.

The logs hold what the KPIs count: calls that arrived, work orders, follow-ups and complaint cases
opened and part orders placed in the measured window (after the warm-up), with the visits and
attempts that belong to them. Times are ISO 8601 local timestamps (millisecond resolution, no
offset) counted from the scenario's ``start_date`` (day 0; absent = the Monday of the current
week); durations are plain numbers with the unit in the column name. Outcomes are words
(answered, abandoned, ...), never the engine's state codes.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from sim.call_center import (
    ABANDONED,
    BLOCKED,
    DONE,
    HOLD_ABANDONED,
    HOLDING,
    TALKING,
    WAITING,
    WITH_SPECIALIST,
)
from sim.distributions import MINUTES_PER_DAY
from sim.loader import Problem, ScenarioError
from sim.model import Replication
from sim.scenario import CONTACT_TYPES, Scenario

ColumnKind = Literal["id", "time", "number", "count", "bool", "choice", "text"]
CALL_OUTCOMES = ("answered", "abandoned", "blocked", "waiting")
SPECIALIST_OUTCOMES = ("answered", "abandoned", "waiting")
VISIT_OUTCOMES = ("fixed", "not_fixed", "no_part")
CHANNELS = ("onsite", "depot")
ORDER_REASONS = ("policy", "review", "reject_reorder")
BOOL, INT = pd.BooleanDtype(), pd.Int64Dtype()  # nullable: an empty cell where nothing happened


@dataclass(frozen=True, slots=True)
class Column:
    """One column of an event log.

    Attributes:
        name: Column name (durations carry their unit: ``_minutes``).
        kind: ``id`` (whole number >= 0), ``time`` (ISO 8601), ``number``, ``count`` (whole
            number >= 0), ``bool`` (true/false), ``choice`` (one of ``choices``) or ``text``.
        required: Whether ``fit`` needs the column in a file it is given.
        blank: Whether a row may leave the value empty (a step that did not happen).
        choices: Allowed values of a ``choice`` column.
    """

    name: str
    kind: ColumnKind
    required: bool = True
    blank: bool = False
    choices: tuple[str, ...] = ()


def _time(name: str, required: bool = True, blank: bool = True) -> Column:
    return Column(name, "time", required, blank)


def _opt(name: str, kind: ColumnKind, blank: bool = True, choices: tuple[str, ...] = ()
         ) -> Column:
    return Column(name, kind, False, blank, choices)


REP = Column("rep", "count", required=False)
"""Replication number: in logs written by ``run --events`` only (ids repeat across replications)."""

SCHEMA: dict[str, tuple[Column, ...]] = {
    "calls": (
        Column("call_id", "id"),
        Column("type", "choice", choices=CONTACT_TYPES),
        _opt("origin", "choice", blank=False, choices=("customer", "followup")),
        _time("arrived_at", blank=False),
        Column("outcome", "choice", choices=CALL_OUTCOMES),
        _time("answered_at"),
        _time("abandoned_at"),
        _time("agent_ended_at"),
        _opt("escalated", "bool", blank=False),
        _opt("specialist_outcome", "choice", choices=SPECIALIST_OUTCOMES),
        _time("specialist_answered_at", required=False),
        _time("specialist_ended_at", required=False),
        _time("ended_at", required=False),
    ),
    "work_orders": (
        Column("work_order_id", "id"),
        Column("call_id", "id"),
        Column("channel", "choice", choices=CHANNELS),
        _time("created_at", blank=False),
        _time("promised_by", blank=False),
        _time("released_at", required=False),
        _time("first_visit_at", required=False),
        _opt("visits", "count", blank=False),
        _opt("part_sku", "text"),
        _time("part_requested_at", required=False),
        _time("part_wait_from", required=False),
        _time("part_wait_to", required=False),
        _time("fixed_at", required=False),
        _time("finished_at"),
        _opt("spot_checked", "bool", blank=False),
        _opt("spot_check_passed", "bool"),
        _opt("rework_of", "id"),
    ),
    "visits": (
        Column("work_order_id", "id"),
        _opt("visit", "count", blank=False),
        _opt("channel", "choice", blank=False, choices=CHANNELS),
        _time("started_at", blank=False),
        Column("travel_minutes", "number"),
        Column("diagnosis_minutes", "number"),
        Column("repair_minutes", "number"),
        _time("ended_at", blank=False),
        Column("outcome", "choice", choices=VISIT_OUTCOMES),
    ),
    "parts": (
        Column("order_id", "id"),
        Column("sku", "text"),
        _opt("reason", "choice", blank=False, choices=ORDER_REASONS),
        _time("placed_at", blank=False),
        Column("quantity", "count"),
        _time("received_at"),
        Column("accepted", "count", blank=True),
        Column("rejected", "count", blank=True),
    ),
    "followups": (
        Column("followup_id", "id"),
        Column("work_order_id", "id"),
        _time("created_at", blank=False),
        _time("due_at", blank=False),
        _opt("attempt", "count"),
        _opt("channel", "choice", choices=("call", "visit")),
        _time("attempt_started_at"),
        _time("attempt_ended_at"),
        Column("reached", "bool", blank=True),
        _opt("score", "number"),
        _opt("complained", "bool"),
    ),
    "complaints": (
        Column("complaint_id", "id"),
        Column("call_id", "id"),
        _time("opened_at", blank=False),
        _time("due_at", blank=False),
        _time("started_at"),
        _time("resolved_at"),
    ),
}
"""Every event-log table and its columns, in file order."""

KINDS: tuple[str, ...] = tuple(SCHEMA)


def day_zero(scenario: Scenario, today: dt.date | None = None) -> dt.datetime:
    """Midnight of day 0: ``start_date``, or the Monday of the current week when it is absent.

    Args:
        scenario: The scenario.
        today: The date taken as today (tests pin it); default ``datetime.date.today()``.
    """
    start = scenario.start_date
    if start is None:
        today = dt.date.today() if today is None else today
        start = today - dt.timedelta(days=today.weekday())
    return dt.datetime.combine(start, dt.time())


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


def calls_table(calls: pd.DataFrame, start: float, origin: dt.datetime) -> pd.DataFrame:
    """One row per call that arrived at or after ``start`` (minutes)."""
    c = calls[calls["arrival"].to_numpy(float) >= start]
    state = c["state"].to_numpy()
    answered = np.isin(state, (TALKING, HOLDING, WITH_SPECIALIST, DONE, HOLD_ABANDONED))
    hold_start = c["hold_start"].to_numpy(float)
    escalated = c["escalate"].to_numpy(bool) & ~np.isnan(hold_start)
    end = c["end"].to_numpy(float)
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
        "arrived_at": at(c["arrival"].to_numpy(float)),
        "outcome": outcome,
        "answered_at": at(np.where(answered, c["answer"].to_numpy(float), np.nan)),
        "abandoned_at": at(np.where(state == ABANDONED, abandon, np.nan)),
        # The agent's part ends at the transfer for escalated calls, at the hang-up otherwise.
        "agent_ended_at": at(np.where(escalated, hold_start, end)),
        "escalated": escalated,
        "specialist_outcome": specialist,
        "specialist_answered_at": at(c["specialist_answer"].to_numpy(float)),
        "specialist_ended_at": at(c["specialist_end"].to_numpy(float)),
        "ended_at": at(np.where(state == HOLD_ABANDONED, abandon, end)),
    })


def work_orders_table(jobs: pd.DataFrame, start: float, origin: dt.datetime) -> pd.DataFrame:
    """One row per work order created at or after ``start`` (minutes)."""
    j = jobs[jobs["created"].to_numpy(float) >= start]
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


def parts_table(orders: pd.DataFrame, start: float, origin: dt.datetime) -> pd.DataFrame:
    """One row per replenishment order placed at or after ``start`` (minutes)."""
    o = orders[orders["placed"].to_numpy(float) >= start]
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
                    origin: dt.datetime) -> pd.DataFrame:
    """One row per attempt of each follow-up created at or after ``start``; one empty-attempt
    row for a follow-up nobody tried yet. The reaching attempt carries the score."""
    f = followups[followups["created"].to_numpy(float) >= start]
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


def complaints_table(cases: pd.DataFrame, start: float, origin: dt.datetime) -> pd.DataFrame:
    """One row per complaint case opened at or after ``start`` (minutes)."""
    c = cases[cases["opened"].to_numpy(float) >= start]
    return pd.DataFrame({
        "complaint_id": c["id"].to_numpy(np.int64),
        "call_id": c["call_id"].to_numpy(np.int64),
        "opened_at": iso_times(c["opened"].to_numpy(float), origin),
        "due_at": iso_times(c["due"].to_numpy(float), origin),
        "started_at": iso_times(c["started"].to_numpy(float), origin),
        "resolved_at": iso_times(c["resolved"].to_numpy(float), origin),
    })


def event_tables(scenario: Scenario, replication: Replication,
                 today: dt.date | None = None) -> dict[str, pd.DataFrame]:
    """The event logs of one replication, by kind; only kinds whose process is on.

    Args:
        scenario: The scenario the replication ran.
        replication: Its flat records (``sim.model.simulate``).
        today: Fixes "today" when ``start_date`` is absent (see ``day_zero``).

    Returns:
        ``calls`` always; ``work_orders`` and ``visits`` with field service; ``parts`` with
        parts; ``followups`` with follow-ups; ``complaints`` with complaint handling. Columns
        are those of ``SCHEMA``, in its order.
    """
    origin = day_zero(scenario, today)
    start = replication.start_minutes
    tables = {"calls": calls_table(replication.calls, start, origin)}
    if scenario.field_service is not None:
        orders = work_orders_table(replication.work_orders, start, origin)
        tables["work_orders"] = orders
        tables["visits"] = visits_table(replication.visits,
                                        orders["work_order_id"].to_numpy(), origin)
    if scenario.parts is not None:
        tables["parts"] = parts_table(replication.part_orders, start, origin)
    if scenario.followup is not None and scenario.field_service is not None:
        tables["followups"] = followups_table(replication.followups, replication.attempts,
                                              start, origin)
    if scenario.complaints is not None:
        tables["complaints"] = complaints_table(replication.cases, start, origin)
    return tables


# --- reading ---------------------------------------------------------------------------------

MS_IN_MINUTES = 1 / 60_000  # the logs' time resolution
MAX_PROBLEMS = 50
TRUE_WORDS, FALSE_WORDS = frozenset({"true", "1", "yes"}), frozenset({"false", "0", "no"})
# A UTC offset after a time of day; a pattern string (not compiled) keeps pandas on Arrow's fast
# regex engine.
_OFFSET = r"(\d\d:\d\d(?::\d\d(?:\.\d+)?)?)(?:Z|[+-]\d\d(?::?\d\d)?)$"

# Pairs (earlier, later) of time columns: a later one before its earlier one is a data error.
ORDER: dict[str, tuple[tuple[str, str], ...]] = {
    "calls": (("arrived_at", "answered_at"), ("arrived_at", "abandoned_at"),
              ("answered_at", "agent_ended_at"), ("agent_ended_at", "specialist_answered_at"),
              ("specialist_answered_at", "specialist_ended_at"), ("answered_at", "ended_at")),
    "work_orders": (("created_at", "promised_by"), ("created_at", "released_at"),
                    ("created_at", "first_visit_at"), ("created_at", "part_requested_at"),
                    ("part_wait_from", "part_wait_to"), ("created_at", "fixed_at"),
                    ("created_at", "finished_at"), ("fixed_at", "finished_at")),
    "visits": (("started_at", "ended_at"),),
    "parts": (("placed_at", "received_at"),),
    "followups": (("created_at", "due_at"), ("attempt_started_at", "attempt_ended_at")),
    "complaints": (("opened_at", "due_at"), ("opened_at", "started_at"),
                   ("started_at", "resolved_at")),
}
# Columns that identify a row (with ``rep`` when present); a repeat is a data error.
KEYS: dict[str, tuple[str, ...]] = {
    "calls": ("call_id",), "work_orders": ("work_order_id",),
    "visits": ("work_order_id", "visit"), "parts": ("order_id",),
    "followups": ("followup_id", "attempt"), "complaints": ("complaint_id",),
}


@dataclass(frozen=True)
class Logs:
    """Validated event logs.

    Attributes:
        tables: By kind; ids, counts and numbers as floats (NaN when blank), booleans as 1.0 /
            0.0 / NaN, times as minutes from ``origin`` (NaN when blank), text as str ("" when
            blank); a ``rep`` column always (0 for logs of one company).
        sources: File name of each table, for messages.
        origin: Monday 00:00 on or before the first call: time 0 of every table.
        start: Start of the observed window (midnight before the first call), minutes.
        end: End of the observed window (midnight after the last call), minutes.
        reps: Number of replications (1 for a company's own records).
    """

    tables: dict[str, pd.DataFrame]
    sources: dict[str, str]
    origin: dt.datetime
    start: float
    end: float
    reps: int

    @property
    def days(self) -> float:
        """Length of the observed window in days."""
        return (self.end - self.start) / MINUTES_PER_DAY

    def get(self, kind: str) -> pd.DataFrame | None:
        """The table of ``kind``, or None when no file was given."""
        return self.tables.get(kind)


def _read_frame(path: Path, source: str) -> pd.DataFrame:
    """A file's cells as text ("" when empty), without interpreting anything."""
    def fail(message: str, line: int | None = None) -> ScenarioError:
        return ScenarioError([Problem(source, line, "", message)])

    if not path.is_file():
        raise fail("no such file" if not path.exists() else "not a file")
    try:
        if path.suffix.lower() == ".parquet":
            frame = pd.read_parquet(path)
            return frame.astype(object).where(frame.notna(), "").astype(str)
        # The header is read as a row: a longer row below it is then an error with its line
        # number (pandas would otherwise take the extra cells for an index). Blank lines are
        # kept (as empty rows) so that row numbers are the file's line numbers.
        cells = pd.read_csv(path, dtype=str, header=None, keep_default_na=False,
                            na_filter=False, skipinitialspace=True, skip_blank_lines=False)
        header = [str(c).strip() for c in cells.iloc[0]]
        return cells.iloc[1:].set_axis(header, axis=1).reset_index(drop=True)
    except pd.errors.EmptyDataError:
        raise fail("the file is empty: it needs a header row of column names") from None
    except pd.errors.ParserError as err:
        found = re.search(r"line (\d+)", str(err))
        raise fail(f"not a readable CSV table: {str(err).strip().splitlines()[-1]}",
                   int(found.group(1)) if found else None) from None
    except (OSError, ValueError, ImportError) as err:
        raise fail(f"cannot read the file: {err}") from None


class _Checker:
    """Parses one table column by column, collecting problems instead of stopping."""

    def __init__(self, raw: pd.DataFrame, source: str) -> None:
        self.raw = raw
        self.source = source
        self.problems: list[Problem] = []

    def add(self, rows: np.ndarray, column: str, message: Callable[[int], str]) -> None:
        for i in rows[: MAX_PROBLEMS]:
            self.problems.append(Problem(self.source, int(i) + 2, column, message(int(i))))

    def parse(self, col: Column) -> pd.Series:
        text = self.raw[col.name].astype(str).str.strip()
        blank = (text == "").to_numpy()
        if not col.blank and blank.any():
            self.add(np.flatnonzero(blank), col.name, lambda i: "empty; a value is required")
        if col.kind == "time":
            cleaned = text.str.replace(_OFFSET, r"\1", regex=True)
            values = pd.to_datetime(cleaned, format="ISO8601", errors="coerce")
            bad = values.isna().to_numpy() & ~blank
            self.add(np.flatnonzero(bad), col.name, lambda i: (
                f"cannot read the time {text.iat[i]!r} (expected ISO 8601, e.g. "
                "2026-03-02T08:15:00)"))
            return values
        if col.kind in ("id", "count", "number"):
            numbers = pd.to_numeric(text.where(~blank, None), errors="coerce").astype(float)
            v = numbers.to_numpy(float)
            whole = col.kind != "number"
            bad = ~blank & ~(np.isfinite(v) & (v >= 0) & ((np.floor(v) == v) | ~whole))
            what = "a whole number >= 0" if whole else "a number >= 0"
            self.add(np.flatnonzero(bad), col.name,
                     lambda i: f"expected {what} (got {text.iat[i]!r})")
            return numbers
        if col.kind == "bool":
            lower = text.str.lower()
            bad = (~lower.isin(TRUE_WORDS | FALSE_WORDS)).to_numpy() & ~blank
            self.add(np.flatnonzero(bad), col.name,
                     lambda i: f"expected true or false (got {text.iat[i]!r})")
            return pd.Series(np.where(lower.isin(TRUE_WORDS), 1.0,
                                      np.where(lower.isin(FALSE_WORDS), 0.0, np.nan)))
        if col.kind == "choice":
            bad = (~text.isin(col.choices)).to_numpy() & ~blank
            self.add(np.flatnonzero(bad), col.name, lambda i: (
                f"unknown value {text.iat[i]!r} (allowed: {', '.join(col.choices)})"))
        return text


def _check_table(kind: str, raw: pd.DataFrame, source: str
                 ) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Parse and check one table; times stay datetimes until the origin is known."""
    columns = {c.name: c for c in (REP, *SCHEMA[kind])}
    missing = [c.name for c in SCHEMA[kind] if c.required and c.name not in raw.columns]
    if missing:
        return None, [Problem(source, 1, name, f"missing column (required in a {kind} log; "
                                               "see docs/event-logs.md)") for name in missing]
    checker = _Checker(raw, source)
    out = pd.DataFrame({name: checker.parse(col) for name, col in columns.items()
                        if name in raw.columns})
    if "rep" not in out:
        out["rep"] = 0.0
    out["rep"] = out["rep"].fillna(0.0)
    if all(k in out for k in KEYS[kind]):
        key = ["rep", *KEYS[kind]]
        first = (out[key].reset_index(drop=True).reset_index()
                 .groupby(key, dropna=False)["index"].transform("min").to_numpy())
        repeat = np.flatnonzero(first != np.arange(len(out)))
        what = "/".join(KEYS[kind])
        checker.add(repeat, KEYS[kind][-1], lambda i: (
            f"duplicate {what} {'/'.join(_show(out[k].iat[i]) for k in KEYS[kind])} "
            f"(first on row {first[i] + 2})"))
    for earlier, later in ORDER[kind]:
        if earlier in out and later in out:
            bad = (out[later] < out[earlier]).to_numpy(bool)

            def before(i: int, a: str = earlier, b: str = later) -> str:
                return f"{_stamp(out[b].iat[i])} is before {a} {_stamp(out[a].iat[i])}"

            checker.add(np.flatnonzero(bad), later, before)
    if kind == "calls":
        for outcome, column in (("answered", "answered_at"), ("abandoned", "abandoned_at")):
            bad = ((out["outcome"] == outcome) & out[column].isna()).to_numpy(bool)

            def empty(i: int, o: str = outcome) -> str:
                return f"empty, but the outcome is {o}"

            checker.add(np.flatnonzero(bad), column, empty)
    if kind == "parts":
        received = out["received_at"].notna()
        total = out["accepted"].fillna(0) + out["rejected"].fillna(0)
        bad = (received & (total != out["quantity"])).to_numpy(bool)
        checker.add(np.flatnonzero(bad), "accepted", lambda i: (
            f"accepted + rejected = {total.iat[i]:g}, but the quantity is "
            f"{out['quantity'].iat[i]:g}"))
    return out, checker.problems


def _show(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) and not math.isnan(value) else str(value)


def _stamp(value: Any) -> str:
    return pd.Timestamp(value).isoformat()


def read_logs(paths: Mapping[str, Path | str]) -> Logs:
    """Read and validate event logs.

    Args:
        paths: File per kind (``calls`` required; see ``sim.events.KINDS``); ``.parquet``
            files are read as Parquet, anything else as CSV.

    Returns:
        The validated logs.

    Raises:
        ScenarioError: Every problem of every file, each as ``FILE:ROW: column: message``
            (row = line of the file, the header being line 1).
    """
    unknown = sorted(set(paths) - set(KINDS))
    if unknown or "calls" not in paths:
        raise ValueError(f"kinds must include calls and be among {KINDS}; got {sorted(paths)}")
    problems: list[Problem] = []
    parsed: dict[str, pd.DataFrame] = {}
    sources = {kind: str(path) for kind, path in paths.items()}
    for kind, path in paths.items():
        try:
            raw = _read_frame(Path(path), sources[kind])
        except ScenarioError as err:
            problems += err.problems
            continue
        table, found = _check_table(kind, raw, sources[kind])
        problems += found
        if table is not None:
            parsed[kind] = table
    calls = parsed.get("calls")
    if not problems and calls is not None and calls.empty:
        problems.append(Problem(sources["calls"], None, "", "no calls: nothing to fit"))
    if problems:
        if len(problems) > MAX_PROBLEMS:
            extra = len(problems) - MAX_PROBLEMS
            last = problems[MAX_PROBLEMS - 1].file
            problems = [*problems[:MAX_PROBLEMS],
                        Problem(last, None, "", f"... and {extra} more problem(s)")]
        raise ScenarioError(problems)
    assert calls is not None
    first = pd.Timestamp(calls["arrived_at"].min()).normalize()
    origin = (first - pd.Timedelta(days=first.weekday())).to_pydatetime()
    tables = {}
    for kind, table in parsed.items():
        out = table.copy()
        for col in SCHEMA[kind]:
            if col.kind == "time" and col.name in out:
                out[col.name] = (out[col.name] - pd.Timestamp(origin)) / pd.Timedelta(minutes=1)
        tables[kind] = out
    arrival = tables["calls"]["arrived_at"].to_numpy(float)
    start = math.floor(arrival.min() / MINUTES_PER_DAY) * MINUTES_PER_DAY
    end = (math.floor(arrival.max() / MINUTES_PER_DAY) + 1) * MINUTES_PER_DAY
    reps = int(tables["calls"]["rep"].nunique())
    return Logs(tables, sources, origin, start, end, reps)
