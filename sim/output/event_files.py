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
(one row group per replication) when pyarrow is installed.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import pandas as pd

from sim.output.folder import ResultsFolder, csv_text


class EventLogFiles:
    """Writes each replication's event logs into ``folder`` (an open ``ResultsFolder``) in
    replication order 0, 1, 2, ...; ``close`` once the run is over."""

    def __init__(self, folder: ResultsFolder) -> None:
        self._folder = folder
        self._next = 0
        self._early: dict[int, dict[str, pd.DataFrame]] = {}
        self._kinds: list[str] | None = None
        self._parquet: dict[str, Any] | None = (
            {} if importlib.util.find_spec("pyarrow") is not None else None)
        self._schemas: dict[str, Any] = {}

    def __call__(self, rep: int, tables: dict[str, pd.DataFrame]) -> None:
        """Take replication ``rep``'s tables; write them, and any that waited for them."""
        if rep < self._next or rep in self._early:
            raise ValueError(f"replication {rep}'s event logs came twice")
        self._early[rep] = tables
        while self._next in self._early:
            self._write(self._next, self._early.pop(self._next))
            self._next += 1

    @property
    def written(self) -> int:
        """Replications written so far (0 .. written-1)."""
        return self._next

    def close(self) -> None:
        """Finish the files and list them in the folder's manifest."""
        for writer in (self._parquet or {}).values():
            writer.close()
        if self._early:
            raise ValueError(f"event logs of replication(s) {sorted(self._early)} came without "
                             f"those of replication {self._next}")
        for kind in self._kinds or []:
            self._folder.adopt(f"events/{kind}.csv")
            if self._parquet is not None:
                self._folder.adopt(f"events/{kind}.parquet")

    def _write(self, rep: int, tables: dict[str, pd.DataFrame]) -> None:
        if self._kinds is None:
            self._kinds = list(tables)
        elif list(tables) != self._kinds:
            raise ValueError(f"replication {rep}'s event logs are {list(tables)}, not "
                             f"{self._kinds}")
        for kind, table in tables.items():
            table = table.assign(rep=rep)
            table = table[["rep", *[c for c in table.columns if c != "rep"]]]
            text = csv_text(table)
            if rep > 0:
                text = text[text.index("\n") + 1:]  # the header is the first replication's
            path = self._folder.path_for(f"events/{kind}.csv")
            with path.open("ab") as file:
                file.write(text.encode("utf-8"))
            if self._parquet is not None:
                self._write_parquet(kind, table)

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
