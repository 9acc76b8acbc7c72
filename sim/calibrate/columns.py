"""A company's own export -> the event-log format: column names, values and time formats.

A CRM export names its columns in the company's words (工单号, 报修时间, ...), writes its own
values (上门 for ``onsite``) and its own time formats (``2026/12/02 14:03``). A column map (a
small YAML file, ``fit --columns MAP.yaml``) says which export column is which log column, which
export value is which log value, and which time formats to read; ``apply_map`` turns an export
table into the log's own columns before ``sim.calibrate.read`` checks it, so every check and
every message of the format applies unchanged. Problems are reported in the export's words:
``FILE:ROW: 报修时间 (created_at): ...``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from pydantic import Field

from sim.calibrate.schema import REP, SCHEMA, Column
from sim.scenario.base import StrictModel
from sim.scenario.loader import read_text_file
from sim.scenario.problems import Problem, ScenarioError
from sim.scenario.yaml_io import YamlDocument, load_document

# A format must read back what it writes: a date and time with seconds, minutes and a date.
_PROBE = dt.datetime(2026, 12, 2, 14, 3, 7, tzinfo=dt.timezone(dt.timedelta(hours=8)))


class TableMap(StrictModel):
    """How one export table maps to one event-log table."""

    columns: dict[str, str] = Field(
        min_length=1, description="export column name -> event-log column name")
    values: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="event-log column -> {export value: event-log value}, for choice and "
                    "boolean columns (e.g. channel: {上门: onsite, 送修: depot})")
    time_formats: list[str] | None = Field(
        default=None, min_length=1,
        description="strptime formats of this table's times, tried in order (default: the "
                    "file's time_formats); ISO 8601 is always read too")


class MapFile(StrictModel):
    """A column map file: one entry per event-log kind the export provides."""

    time_formats: list[str] = Field(
        default_factory=list,
        description="strptime formats of the times, tried in order, e.g. '%Y/%m/%d %H:%M' or "
                    "'%Y-%m-%dT%H:%M:%S%z' (an offset is read and dropped: times are taken as "
                    "the wall-clock time written); ISO 8601 is always read too")
    calls: TableMap | None = None
    work_orders: TableMap | None = None
    visits: TableMap | None = None
    parts: TableMap | None = None
    followups: TableMap | None = None
    complaints: TableMap | None = None


@dataclass(frozen=True)
class KindMap:
    """The map of one kind, checked: renames, value maps, time formats."""

    rename: dict[str, str]
    values: dict[str, dict[str, str]]
    formats: tuple[str, ...]

    def export_name(self, column: str) -> str:
        """The export's name of a log column (the log name itself when it is not renamed)."""
        for export, log in self.rename.items():
            if log == column:
                return export
        return column


@dataclass(frozen=True)
class ColumnMap:
    """A checked column map: per event-log kind, how to read the export."""

    source: str
    kinds: dict[str, KindMap]


def _columns_of(kind: str) -> dict[str, Column]:
    return {c.name: c for c in (REP, *SCHEMA[kind])}


def _check(spec: MapFile, doc: YamlDocument) -> list[Problem]:
    """What pydantic cannot see: log columns that exist, each mapped once, values allowed."""
    problems = []
    for i, fmt in enumerate(spec.time_formats):
        problems += _format_problem(fmt, ["time_formats", i], doc)
    for kind in SCHEMA:
        table: TableMap | None = getattr(spec, kind)
        if table is None:
            continue
        known = _columns_of(kind)
        seen: dict[str, str] = {}
        for export, log in table.columns.items():
            where = [kind, "columns", export]
            if log not in known:
                problems.append(doc.problem(where, (
                    f"{log!r} is not a column of the {kind} log (its columns: "
                    f"{', '.join(known)}; see docs/event-logs.md)")))
            elif log in seen:
                problems.append(doc.problem(where, (
                    f"{log!r} is already the column {seen[log]!r}: map each log column once")))
            else:
                seen[log] = export
        for log, pairs in table.values.items():
            where = [kind, "values", log]
            col = known.get(log)
            if col is None or col.kind not in ("choice", "bool"):
                problems.append(doc.problem(where, (
                    f"values can be mapped only for choice or true/false columns of the {kind} "
                    f"log, not {log!r}")))
                continue
            allowed = col.choices if col.kind == "choice" else ("true", "false")
            for export_value, value in pairs.items():
                if value not in allowed:
                    problems.append(doc.problem([*where, export_value], (
                        f"{value!r} is not a value of {log} (allowed: {', '.join(allowed)})")))
        for i, fmt in enumerate(table.time_formats or ()):
            problems += _format_problem(fmt, [kind, "time_formats", i], doc)
    return problems


def _format_problem(fmt: str, path: list[str | int], doc: YamlDocument) -> list[Problem]:
    """A format that cannot read back the time it writes (no year, a typo) is refused."""
    try:
        written = _PROBE.strftime(fmt)
        back = dt.datetime.strptime(written, fmt)
    except ValueError as err:
        return [doc.problem(path, f"not a usable time format: {err}")]
    if back.date() != _PROBE.date():
        return [doc.problem(path, (
            f"{fmt!r} does not give a full date (needs %Y, %m and %d, e.g. '%Y/%m/%d %H:%M')"))]
    return []


def load_column_map(path: Path | str) -> ColumnMap:
    """Read and check a column map file.

    Args:
        path: The YAML file (see ``tests/data/crm_columns.yaml``).

    Returns:
        The checked map.

    Raises:
        ScenarioError: ``FILE:LINE: key.path: message`` per problem (exit code 2 in the CLI).
    """
    source = str(path)
    text = read_text_file(path, check_size=True)
    spec, doc = load_document(text, MapFile, source, not_mapping=(
        "a column map is a mapping of event-log kinds (calls, work_orders, ...) to "
        "{columns: {export column: log column}}"))
    problems = _check(spec, doc)
    if problems:
        raise ScenarioError(problems)
    kinds = {}
    for kind in SCHEMA:
        table: TableMap | None = getattr(spec, kind)
        if table is not None:
            formats = table.time_formats if table.time_formats is not None else spec.time_formats
            kinds[kind] = KindMap(dict(table.columns), {k: dict(v) for k, v in
                                                        table.values.items()}, tuple(formats))
    return ColumnMap(source, kinds)


def wanted_columns(kind: str, kind_map: KindMap | None) -> frozenset[str]:
    """The export columns to read for ``kind``: the mapped ones, and log names left as they are."""
    names = set(_columns_of(kind))
    if kind_map is None:
        return frozenset(names)
    return frozenset((names - set(kind_map.rename.values())) | set(kind_map.rename))


def _read_time(text: str, formats: tuple[str, ...]) -> str | None:
    """The ISO text of one export time, or None when no format reads it (ISO is left to the
    log's own reader, which also takes it)."""
    for fmt in formats:
        try:
            stamp = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return stamp.replace(tzinfo=None).isoformat()  # wall-clock time, as the log format says
    return None


def apply_map(frame: pd.DataFrame, kind: str, kind_map: KindMap, source: str
              ) -> tuple[pd.DataFrame, list[Problem]]:
    """An export table (text cells) in the log's own columns, values and ISO times.

    Args:
        frame: The export's cells as text, columns as in the file.
        kind: The event-log kind.
        kind_map: Its map.
        source: The file name, for messages.

    Returns:
        The table for ``sim.calibrate.read.check_logs``, and the times no format could read
        (``FILE:ROW: export column (log column): message``; such cells are left as written, so
        the log's reader reports nothing more about them than this).
    """
    out = frame.rename(columns=kind_map.rename)
    problems = []
    for log, pairs in kind_map.values.items():
        if log in out:
            out[log] = out[log].map(lambda v, p=pairs: p.get(str(v).strip(), v))
    if kind_map.formats:
        for col in SCHEMA[kind]:
            if col.kind != "time" or col.name not in out:
                continue
            text = out[col.name].astype(str).str.strip()
            read = {v: _read_time(v, kind_map.formats) for v in text.unique() if v}
            converted = text.map(lambda v, r=read: r.get(v) or v)
            for i in [i for i, v in enumerate(text) if v and read[v] is None
                      and pd.isna(pd.to_datetime(v, format="ISO8601", errors="coerce"))][:50]:
                problems.append(Problem(source, i + 2, f"{kind_map.export_name(col.name)} "
                                        f"({col.name})", (
                    f"cannot read the time {text.iat[i]!r} with the map's formats "
                    f"({', '.join(kind_map.formats)}) nor as ISO 8601")))
            out[col.name] = converted
    return out, problems


def in_export_words(problems: list[Problem], column_maps: dict[str, tuple[str, KindMap]]
                    ) -> list[Problem]:
    """Problems of mapped tables with the export's column names: ``报修时间 (created_at)``.

    Args:
        problems: As the log reader found them (log column names).
        column_maps: Source file -> (kind, map) of each mapped table.
    """
    out = []
    for p in problems:
        found = column_maps.get(p.file)
        if found is not None and p.path:
            export = found[1].export_name(p.path)
            if export != p.path:
                p = Problem(p.file, p.line, f"{export} ({p.path})", p.message)
        out.append(p)
    return out
