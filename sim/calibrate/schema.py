"""The event-log format: which tables, which columns, of which type, and the rules between them.

This module owns ``SCHEMA`` (every table and its columns in file order: kind, whether
``aftersales-sim fit`` needs it, whether a cell may be blank, allowed choices), ``KINDS``, ``REP``,
the time resolution ``MINUTES_PER_MILLISECOND``, ``ORDER`` (time columns that must come in order)
and ``KEYS`` (columns that identify a row). Writing the tables is ``sim.calibrate.logs``, reading
and validating files is ``sim.calibrate.read``; docs/event-logs.md documents every column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from sim.scenario.base import CONTACT_TYPES

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
        _opt("origin", "choice", blank=False, choices=("customer", "followup", "rework")),
        _opt("callback", "bool", blank=False),
        _opt("attempt", "count", blank=False),
        _opt("redial_of", "id"),
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
        _time("slot_ends_at", required=False),
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
        _opt("warranty", "bool", blank=False),
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
