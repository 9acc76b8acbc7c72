"""Reading event logs: files in the format -> validated tables for ``sim.calibrate.fit``.

This module owns ``read_logs`` and ``Logs``: reading CSV or Parquet files, parsing every cell by
its column's kind (``sim.calibrate.schema``), checking ids, choices, blanks, the order of times and
repeated rows, and reporting every data problem as ``FILE:ROW: column: message`` (at most
``MAX_PROBLEMS`` per file), then putting all tables on one clock.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from sim.calibrate.columns import ColumnMap, KindMap, apply_map, in_export_words, wanted_columns
from sim.calibrate.scan import MAX_COLUMNS, check_rows, header_of
from sim.calibrate.schema import KEYS, KINDS, ORDER, REP, SCHEMA, Column
from sim.scenario.format import MAX_DAYS
from sim.scenario.loader import NOT_REGULAR
from sim.scenario.problems import Problem, ScenarioError
from sim.units import MINUTES_PER_DAY

MAX_PROBLEMS = 50
# Plausible values, beyond which a cell is a data error reported with its row, never fitted:
# 1e308 minutes of travel would otherwise overflow a fit (or silently make it a constant).
FIRST_TIME, END_TIME = pd.Timestamp("1900-01-01"), pd.Timestamp("2200-01-01")
LARGEST = {"id": float(2**53),  # ids are read as floats: above this, neighbours are equal
           "count": 1e6, "number": 1e6}  # a million minutes is nearly two years
TRUE_WORDS, FALSE_WORDS = frozenset({"true", "1", "yes"}), frozenset({"false", "0", "no"})
# A UTC offset after a time of day; a pattern string (not compiled) keeps pandas on Arrow's fast
# regex engine.
_OFFSET = r"(\d\d:\d\d(?::\d\d(?:\.\d+)?)?)(?:Z|[+-]\d\d(?::?\d\d)?)$"


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


def _open(path: Path, source: str) -> BinaryIO:
    """The file opened for reading, refused unread unless it is a regular file (a FIFO would
    block, a device never end): checked on the open descriptor, not the name."""
    def fail(message: str) -> ScenarioError:
        return ScenarioError([Problem(source, None, "", message)])

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise fail("no such file") from None
    except OSError as err:
        raise fail(f"cannot read the file: {err.strerror or err}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise fail("is a folder, not a log file" if stat.S_ISDIR(mode) else NOT_REGULAR)
    return os.fdopen(fd, "rb")


def _read_frame(path: Path, source: str, wanted: frozenset[str]) -> pd.DataFrame:
    """A file's cells as text ("" when empty), without interpreting anything: the columns in
    ``wanted`` only (the others are never parsed), after `sim.calibrate.scan` has checked the
    file's shape (columns, line lengths, cells per row)."""
    def fail(message: str, line: int | None = None) -> ScenarioError:
        return ScenarioError([Problem(source, line, "", message)])

    with _open(path, source) as fh:
        try:
            if path.suffix.lower() == ".parquet":
                return _read_parquet(fh, source, wanted)
            header = header_of(fh, source)
            check_rows(fh, source, len(header))
            twice = sorted({n for n in header if n in wanted and header.count(n) > 1})
            if twice:
                raise fail(f"column {', '.join(twice)} appears more than once", 1)
            # The header is read as a row, so that row numbers stay the file's line numbers;
            # blank lines are kept (as empty rows) for the same reason.
            use = [i for i, name in enumerate(header) if name in wanted] or [0]
            fh.seek(0)
            cells = pd.read_csv(fh, dtype=str, header=None, keep_default_na=False,
                                na_filter=False, skipinitialspace=True, skip_blank_lines=False,
                                usecols=use, encoding="utf-8-sig")
            names = [header[i] for i in use]
            frame = cells.iloc[1:].set_axis(names, axis=1).reset_index(drop=True)
            return frame[[n for n in names if n in wanted]]
        except pd.errors.EmptyDataError:
            raise fail("the file is empty: it needs a header row of column names") from None
        except pd.errors.ParserError as err:
            found = re.search(r"line (\d+)", str(err))
            raise fail(f"not a readable CSV table: {str(err).strip().splitlines()[-1]}",
                       int(found.group(1)) if found else None) from None
        except (OSError, ValueError, ImportError) as err:
            raise fail(f"cannot read the file: {err}") from None


def _read_parquet(fh: BinaryIO, source: str, wanted: frozenset[str]) -> pd.DataFrame:
    """The wanted columns of a Parquet file, its schema checked first (column count)."""
    import pyarrow.parquet as pq

    names = pq.read_schema(fh).names
    if len(names) > MAX_COLUMNS:
        raise ScenarioError([Problem(source, None, "", f"the table has {len(names):,} columns; "
                                                       f"a log has at most {MAX_COLUMNS}")])
    fh.seek(0)
    return as_text(pd.read_parquet(fh, columns=[n for n in names if n in wanted]))


class _Checker:
    """Parses one table column by column, collecting problems instead of stopping."""

    def __init__(self, raw: pd.DataFrame, source: str) -> None:
        self.raw = raw
        self.source = source
        self.problems: list[Problem] = []

    def add(self, rows: np.ndarray, column: str, message: Callable[[int], str]) -> None:
        shown = rows if len(rows) <= MAX_PROBLEMS else rows[: MAX_PROBLEMS - 1]
        for i in shown:
            self.problems.append(Problem(self.source, int(i) + 2, column, message(int(i))))
        if len(rows) > len(shown):  # counted, so that nobody takes the list for all of them
            self.problems.append(Problem(self.source, None, column, (
                f"... and {len(rows) - len(shown):,} more row(s) like these "
                f"({len(rows):,} in all)")))

    def parse(self, col: Column) -> pd.Series:
        text = self.raw[col.name].astype(str).str.strip()
        blank = (text == "").to_numpy(bool)
        if not col.blank and blank.any():
            self.add(np.flatnonzero(blank), col.name, lambda i: "empty; a value is required")
        if col.kind == "time":
            cleaned = text.str.replace(_OFFSET, r"\1", regex=True)
            values = pd.to_datetime(cleaned, format="ISO8601", errors="coerce")
            bad = values.isna().to_numpy() & ~blank
            self.add(np.flatnonzero(bad), col.name, lambda i: (
                f"cannot read the time {text.iat[i]!r} (expected ISO 8601, e.g. "
                "2026-03-02T08:15:00)"))
            far = ((values < FIRST_TIME) | (values >= END_TIME)).to_numpy(bool)
            self.add(np.flatnonzero(far), col.name, lambda i: (
                f"the time {text.iat[i]!r} is out of range (from {FIRST_TIME.year} to "
                f"{END_TIME.year - 1})"))
            return values.where(~far)
        if col.kind in ("id", "count", "number"):
            numbers = pd.to_numeric(text.where(~blank, None), errors="coerce").astype(float)
            v = numbers.to_numpy(float)
            whole = col.kind != "number"
            top = LARGEST[col.kind]
            with np.errstate(invalid="ignore"):
                fine = np.isfinite(v) & (v >= 0) & (v <= top) & ((np.floor(v) == v) | ~whole)
            bad = np.asarray(~blank & ~fine, dtype=bool)
            what = (f"a whole number from 0 to {top:,.0f}" if whole
                    else f"a number from 0 to {top:,.0f}")
            self.add(np.flatnonzero(bad), col.name,
                     lambda i: f"expected {what} (got {text.iat[i]!r})")
            return numbers.where(~bad)
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


def _span_problems(parsed: Mapping[str, pd.DataFrame], sources: Mapping[str, str]
                   ) -> list[Problem]:
    """Times too far apart to be one set of records: the calls may span at most `MAX_DAYS`
    (the longest horizon a scenario has), and no other time may lie more than that outside them.
    A stray year (1950 among 2026) would otherwise make a fitted horizon of decades."""
    calls = parsed.get("calls")
    if calls is None or "arrived_at" not in calls or calls["arrived_at"].notna().sum() < 2:
        return []
    arrived = calls["arrived_at"]
    first, last = int(arrived.argmin()), int(arrived.argmax())  # positions; NaT skipped
    stamps = arrived.to_numpy()
    earliest, latest = pd.Timestamp(stamps[first]), pd.Timestamp(stamps[last])
    days = (latest - earliest) / pd.Timedelta(days=1)
    source = sources["calls"]
    if days > MAX_DAYS:
        message = (f"the calls span {days:,.0f} days, from row {first + 2} to row {last + 2}; a "
                   f"fit covers at most {MAX_DAYS:,} days (ten years): check these times")
        return [Problem(source, first + 2, "arrived_at", message),
                Problem(source, last + 2, "arrived_at", message)]
    low = earliest - pd.Timedelta(days=MAX_DAYS)
    high = latest + pd.Timedelta(days=MAX_DAYS)
    problems = []
    for kind, table in parsed.items():
        for col in SCHEMA[kind]:
            if col.kind != "time" or col.name not in table:
                continue
            values = table[col.name]
            far = np.flatnonzero(((values < low) | (values > high)).to_numpy(bool))
            problems += [Problem(sources[kind], int(i) + 2, col.name,
                                 f"{_stamp(values.iat[i])} is more than {MAX_DAYS:,} days from "
                                 "the calls' dates") for i in far[:MAX_PROBLEMS]]
    return problems


def _show(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) and not math.isnan(value) else str(value)


def _stamp(value: Any) -> str:
    return pd.Timestamp(value).isoformat()


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A typed table's cells as text ("" when missing), as a CSV file would give them."""
    return frame.astype(object).where(frame.notna(), "").astype(str)


def read_logs(paths: Mapping[str, Path | str], columns: ColumnMap | None = None) -> Logs:
    """Read and validate event logs.

    Args:
        paths: File per kind (``calls`` required; see ``sim.calibrate.logs.KINDS``); ``.parquet``
            files are read as Parquet, anything else as CSV.
        columns: A column map (``sim.calibrate.columns``): the files of the kinds it names are a
            company's export, read through it; problems then name the export's columns.

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
    raw: dict[str, pd.DataFrame] = {}
    sources = {kind: str(path) for kind, path in paths.items()}
    mapped: dict[str, tuple[str, KindMap]] = {}
    for kind, path in paths.items():
        kind_map = columns.kinds.get(kind) if columns is not None else None
        try:
            raw[kind] = _read_frame(Path(path), sources[kind], wanted_columns(kind, kind_map))
        except ScenarioError as err:
            problems += err.problems
            continue
        if kind_map is not None:
            mapped[sources[kind]] = (kind, kind_map)
            raw[kind], found = apply_map(raw[kind], kind, kind_map, sources[kind])
            problems += found
    if not mapped:
        return check_logs(raw, sources, problems)
    # A time no format of the map could read is reported once, in the map's words, not again
    # by the log reader (which only knows ISO 8601).
    said = {(p.file, p.line, p.path) for p in problems}
    try:
        return check_logs(raw, sources)
    except ScenarioError as err:
        again = in_export_words(err.problems, mapped)
        raise ScenarioError([*problems, *(p for p in again
                                          if (p.file, p.line, p.path) not in said)]) from None


def check_logs(raw: Mapping[str, pd.DataFrame], sources: Mapping[str, str],
               problems: list[Problem] | None = None) -> Logs:
    """Validate tables of text cells (``as_text``) into logs, as ``read_logs`` does for files.

    Args:
        raw: Table per kind, every cell text.
        sources: Name of each table, for messages.
        problems: Problems found before (unreadable files), reported with these.

    Raises:
        ScenarioError: Every problem, each as ``SOURCE:ROW: column: message``.
    """
    problems = list(problems or [])
    parsed: dict[str, pd.DataFrame] = {}
    for kind, table_raw in raw.items():
        table, found = _check_table(kind, table_raw, sources[kind])
        problems += found
        if table is not None:
            parsed[kind] = table
    problems += _span_problems(parsed, sources)
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
    return Logs(tables, dict(sources), origin, start, end, reps)
