"""Event logs written into a results folder as the replications arrive, not held whole.

A run with ``--events`` used to keep every replication's event-log tables until the last one
finished, stack them (a second copy) and turn each into one CSV string (a third): its memory grew
with replications x horizon. ``EventLogFiles`` takes one replication's tables at a time (an
``sim.experiments.replicate.EventSink``), writes them under ``events/`` of an open
``ResultsFolder`` and lets them go. Replications finish in any order; the files hold them in
replication order, as the stacked tables did, so only those that arrive early wait (about one
per worker).

The files are those ``write_run_files`` wrote from the stacked tables, byte for byte for the
CSV: one ``events/<kind>.csv`` per kind with a ``rep`` column first, and ``events/<kind>.parquet``
(one row group per replication) when pyarrow is installed. ``EventLogZip`` builds the same CSV
files into a zip in memory, for the explorer's download (which is bounded by
``ZIP_LIMIT_BYTES``).
"""

from __future__ import annotations

import importlib.util
import io
import zipfile
from datetime import date
from typing import Any

import pandas as pd

from sim.output.folder import ResultsFolder, csv_text, zip_entry
from sim.scenario.format import Scenario


def with_rep(table: pd.DataFrame, rep: int) -> pd.DataFrame:
    """Replication ``rep``'s rows of one event log as the files hold them: a ``rep`` column
    first."""
    table = table.assign(rep=rep)
    return table[["rep", *[c for c in table.columns if c != "rep"]]]


def csv_piece(table: pd.DataFrame, rep: int) -> bytes:
    """``with_rep(table, rep)`` as CSV, with the header only in the first replication's piece."""
    text = csv_text(with_rep(table, rep))
    if rep > 0:
        text = text[text.index("\n") + 1:]
    return text.encode("utf-8")


class _InReplicationOrder:
    """An event sink that hands each replication's tables to ``_write`` in replication order
    0, 1, 2, ..., holding only those that arrive before their turn."""

    def __init__(self) -> None:
        self._next = 0
        self._early: dict[int, dict[str, pd.DataFrame]] = {}
        self._kinds: list[str] | None = None

    def __call__(self, rep: int, tables: dict[str, pd.DataFrame]) -> None:
        """Take replication ``rep``'s tables; write them, and any that waited for them."""
        if rep < self._next or rep in self._early:
            raise ValueError(f"replication {rep}'s event logs came twice")
        self._early[rep] = tables
        while self._next in self._early:
            tables = self._early.pop(self._next)
            if self._kinds is None:
                self._kinds = list(tables)
            elif list(tables) != self._kinds:
                raise ValueError(f"replication {self._next}'s event logs are {list(tables)}, "
                                 f"not {self._kinds}")
            self._write(self._next, tables)
            self._next += 1

    @property
    def written(self) -> int:
        """Replications written so far (0 .. written-1)."""
        return self._next

    def _check_complete(self) -> None:
        if self._early:
            raise ValueError(f"event logs of replication(s) {sorted(self._early)} came without "
                             f"those of replication {self._next}")

    def _write(self, rep: int, tables: dict[str, pd.DataFrame]) -> None:
        raise NotImplementedError


class EventLogFiles(_InReplicationOrder):
    """Writes each replication's event logs into ``folder`` (an open ``ResultsFolder``) in
    replication order 0, 1, 2, ...; ``close`` once the run is over."""

    def __init__(self, folder: ResultsFolder) -> None:
        super().__init__()
        self._folder = folder
        self._parquet: dict[str, Any] | None = (
            {} if importlib.util.find_spec("pyarrow") is not None else None)
        self._schemas: dict[str, Any] = {}

    def close(self) -> None:
        """Finish the files and list them in the folder's manifest."""
        for writer in (self._parquet or {}).values():
            writer.close()
        self._check_complete()
        for kind in self._kinds or []:
            self._folder.adopt(f"events/{kind}.csv")
            if self._parquet is not None:
                self._folder.adopt(f"events/{kind}.parquet")

    def _write(self, rep: int, tables: dict[str, pd.DataFrame]) -> None:
        for kind, table in tables.items():
            with self._folder.path_for(f"events/{kind}.csv").open("ab") as file:
                file.write(csv_piece(table, rep))
            if self._parquet is not None:
                self._write_parquet(kind, with_rep(table, rep))

    def _write_parquet(self, kind: str, table: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        assert self._parquet is not None
        schema = self._schemas.get(kind)
        if schema is None:
            # Every replication goes in the first one's schema. A text column with no value in
            # it (no booked slot in that replication) has no type of its own: it is text.
            schema = pa.Table.from_pandas(table, preserve_index=False).schema
            for i, column in enumerate(schema):
                if pa.types.is_null(column.type):
                    schema = schema.set(i, column.with_type(pa.large_string()))
            self._schemas[kind] = schema
            self._parquet[kind] = pq.ParquetWriter(
                self._folder.path_for(f"events/{kind}.parquet"), schema)
        self._parquet[kind].write_table(
            pa.Table.from_pandas(table, schema=schema, preserve_index=False))


ZIP_LIMIT_BYTES = 256 * 2**20
"""Event-log CSV text a zip built in memory may hold, at most (the explorer's download): larger
runs write their logs to a results folder (``aftersales-sim run --events``)."""
ZIP_COMPRESS_LEVEL = 1
"""zlib level of the zip's entries. The zip is built after the last replication, while the user
waits: on the 30-day, 5-replication baseline (28 MB of CSV) level 1 takes 0.22 s for 6.6 MB,
zlib's default (6) 0.88 s for 5.4 MB (benchmarks/README.md, "The explorer's event-log zip
built faster")."""
CSV_BYTES_PER_CONTACT = 250
"""Event-log CSV bytes per expected contact of a replication: the baseline's 30-day run writes
10.6 MB for two replications of about 22,000 contacts each (240 bytes)."""


def csv_bytes_estimate(scenario: Scenario) -> float:
    """About how many bytes of CSV the event logs of ``scenario``'s run make (all its
    replications)."""
    return scenario.workload().contacts * scenario.replications * CSV_BYTES_PER_CONTACT


class EventLogZip(_InReplicationOrder):
    """Builds each replication's event logs, in replication order, into the CSV files of a
    results folder's ``events/`` (the same bytes), zipped in memory with ``extra`` files beside
    them (the scenario), every entry stamped ``created``: ``close`` returns the zip."""

    def __init__(self, created: date, extra: dict[str, bytes] | None = None) -> None:
        super().__init__()
        self._created = created
        self._extra = dict(extra or {})
        self._csv: dict[str, io.BytesIO] = {}

    def _write(self, rep: int, tables: dict[str, pd.DataFrame]) -> None:
        for kind, table in tables.items():
            self._csv.setdefault(kind, io.BytesIO()).write(csv_piece(table, rep))

    def close(self) -> bytes:
        """The zip: ``events/<kind>.csv`` for every kind, then the extra files."""
        self._check_complete()
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for kind in list(self._csv):
                # Each kind's text is zipped from its own buffer (no copy) and let go at once:
                # the close then holds the text not yet zipped and the zip, never a second
                # copy of a file.
                with self._csv.pop(kind).getbuffer() as view:
                    archive.writestr(zip_entry(f"events/{kind}.csv", self._created), view,
                                     compresslevel=ZIP_COMPRESS_LEVEL)
            for name, data in self._extra.items():
                archive.writestr(zip_entry(name, self._created), data,
                                 compresslevel=ZIP_COMPRESS_LEVEL)
        return out.getvalue()
