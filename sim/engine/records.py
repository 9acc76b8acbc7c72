"""Flat records: the model's entities turned into one table per kind.

Entities are mutable slotted objects while the clock runs (a call gets answered, a job gets
visits); once they end (``Spool``) or once the replication ends (``frame``) they are frozen into
typed columns here (past a replication's memory budget, written to disk and read back from it:
``sim.engine.spill``), and everything downstream (KPIs, event logs, charts) reads only these
tables and the call states named here. Text fields become categoricals: they hold a handful of
labels (contact type, channel, crew), and building object columns would cost more than the run.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import compress
from typing import Any, cast

import numpy as np
import pandas as pd
import simpy

from sim.engine import spill
from sim.engine.spill import Disk, Stored

# The calls table's `state` column. Plain ints: the call center compares them on every queue pop.
WAITING, TALKING, HOLDING, WITH_SPECIALIST, DONE, ABANDONED, BLOCKED, HOLD_ABANDONED = range(8)
STATE_NAMES = ("waiting", "talking", "holding", "with_specialist", "done", "abandoned",
               "blocked", "hold_abandoned")


BLOCK_ROWS = 4096
"""Entities read at a time. Every field of a block is read while its entities are still in the
CPU's cache (4,096 calls are about 1 MB); field by field over the whole run, each field was a
walk through all of memory. Measured on the M/M/c benchmark's 200,000 calls: 0.18 s -> 0.12 s
(benchmarks/README.md, stop 25)."""


Field = tuple[str, Callable[[Sequence[Any]], list[Any]], Any]
"""(name, reader, dtype) of one column; dtype None: a text field."""
Columns = dict[str, np.ndarray]
"""One typed array per field of a batch of entities; a text field as codes (``_Codes``)."""
Column = np.ndarray | Stored
"""A frozen column: in memory, or written to a spool's ``Disk``."""


def frame(entities: Sequence[Any], cls: type) -> pd.DataFrame:
    """One row per entity, one column per dataclass field of ``cls`` (in field order)."""
    fields = _fields(cls)
    codes = {name: _Codes() for name, _, dtype in fields if dtype is None}
    return _table(fields, _read(entities, fields, codes), codes)


@dataclass(frozen=True)
class Ended:
    """Which entities of a kind have ended, told from one of their fields, many at a time:
    ``test`` takes that field's values as an array. No ``field``: the entities are appended
    once they are complete (a visit, an attempt)."""

    field: str = ""
    test: Callable[[np.ndarray], np.ndarray] | None = None


WHOLE = Ended()
"""``Ended`` for entities appended complete."""


def once_set(field: str) -> Ended:
    """``Ended`` for entities that end when the time ``field`` is set (no longer NaN)."""
    return Ended(field, _is_set)


def _is_set(times: np.ndarray) -> np.ndarray:
    return ~np.isnan(times)

_NO_ORDERS = np.empty(0, dtype=np.int64)


class Spool:
    """The entities of one kind frozen into typed columns as they end, while the clock runs.

    A department appends its entities to ``rows`` (a list it owns and keeps appending to);
    ``freeze`` moves those that have ended into typed columns and takes them out of the list, so
    a replication holds its finished records as about 8 bytes a field instead of as objects
    (about 400 bytes a call with its floats). ``table`` is ``frame`` of every entity ever
    appended, in the order appended: an entity must not change once ``ended`` says so.
    """

    def __init__(self, rows: list[Any], cls: type, ended: Ended | None = None) -> None:
        self.rows = rows
        self._fields = _fields(cls)
        self._ended = ended
        # How to tell which rows have ended: (reader, dtype, test) of the field; None: all have.
        self._end_field: tuple[Callable[[Sequence[Any]], list[Any]], Any,
                               Callable[[np.ndarray], np.ndarray]] | None = None
        if ended is not None and ended.field:
            assert ended.test is not None, "an Ended with a field needs its test"
            dtype = next(d for n, _, d in self._fields if n == ended.field)
            self._end_field = (_reader(cls, ended.field), dtype, ended.test)
        self._codes = {name: _Codes() for name, _, dtype in self._fields if dtype is None}
        # Pieces of frozen rows: (order appended, columns), each column in memory or, once
        # the replication's records outgrow their budget (``spill``), on this spool's disk.
        self._frozen: list[tuple[Column, dict[str, Column]]] = []
        self._disk: Disk | None = None
        self._orders = _NO_ORDERS  # the order appended of each row still held
        self._appended = 0

    def freeze(self) -> None:
        """Move the rows that have ended into columns (none, for a spool without ``ended``)."""
        if self._ended is None or not self.rows:
            return
        rows = self.rows
        orders = self._held_orders()
        done: np.ndarray | None = None  # None: every row
        if self._end_field is not None:
            read, dtype, test = self._end_field
            done = test(np.fromiter(read(rows), dtype=dtype, count=len(rows)))
            if not done.any():
                return
            if done.all():
                done = None
        if done is None:
            self._frozen.append((orders, _piece(_read(rows, self._fields, self._codes))))
            rows.clear()
            self._orders = _NO_ORDERS
        else:
            self._frozen.append((orders[done], _piece(_read(list(compress(rows, done.tolist())),
                                                            self._fields, self._codes))))
            # In place: the department appends to this list.
            rows[:] = compress(rows, (~done).tolist())
            self._orders = orders[~done]

    def held_bytes(self) -> int:
        """Bytes of frozen columns held in memory."""
        return sum(column.nbytes for where, part in self._frozen
                   for column in (where, *part.values()) if isinstance(column, np.ndarray))

    def spill(self) -> None:
        """Write the frozen columns held in memory to this spool's disk (``sim.engine.spill``);
        the table is then read back from it."""
        if self._disk is None:
            self._disk = Disk()
        disk = self._disk
        self._frozen = [(disk.put(where) if isinstance(where, np.ndarray) else where,
                         {name: disk.put(column) if isinstance(column, np.ndarray) else column
                          for name, column in part.items()})
                        for where, part in self._frozen]

    def table(self) -> pd.DataFrame:
        """Every entity ever appended, as ``frame`` would make it; empties the spool. A spool
        that spilled gives a table whose typed columns are read from disk."""
        self._frozen.append((self._held_orders(),
                             _piece(_read(self.rows, self._fields, self._codes))))
        self.rows.clear()
        pieces, self._frozen = self._frozen, []
        disk, self._disk = self._disk, None
        self._orders, self._appended = _NO_ORDERS, 0
        codes, self._codes = self._codes, {name: _Codes() for name in self._codes}
        read = (cast(Columns, _assembled(pieces, self._fields, _in_memory, _in_memory))
                if disk is None else _from_disk(pieces, self._fields, disk))
        return _table(self._fields, read, codes)

    def _held_orders(self) -> np.ndarray:
        """The order appended of every row in the list, counting the rows appended since."""
        new = len(self.rows) - len(self._orders)
        if new:
            self._orders = np.concatenate(
                (self._orders, np.arange(self._appended, self._appended + new)))
            self._appended += new
        return self._orders


def _piece(columns: Columns) -> dict[str, Column]:
    """Frozen columns as a piece of a spool, whose columns may later move to disk."""
    return dict[str, Column](columns)


def _assembled(pieces: list[tuple[Column, dict[str, Column]]], fields: list[Field],
               load: Callable[[Column], np.ndarray], keep: Callable[[np.ndarray], Column]
               ) -> dict[str, Column]:
    """Frozen pieces as one column per field, in the order appended, a field at a time (each
    piece's field let go once read): ``load`` reads a piece's column, ``keep`` holds a typed
    field once built (text fields stay in memory as codes)."""
    wheres = [load(w) for w, _ in pieces]
    where = wheres[0] if len(wheres) == 1 else np.concatenate(wheres)
    order = np.argsort(where, kind="stable") if np.any(where[1:] < where[:-1]) else None
    del wheres, where
    read: dict[str, Column] = {}
    for name, _, dtype in fields:
        parts = [load(part.pop(name)) for _, part in pieces]
        column = parts[0] if len(parts) == 1 else np.concatenate(parts)
        del parts
        if order is not None:
            column = column[order]
        read[name] = column if dtype is None else keep(column)
        del column
    return read


def _in_memory(column: Column) -> np.ndarray:
    assert isinstance(column, np.ndarray), "a spool that never spilled has no column on disk"
    return column


def _from_disk(pieces: list[tuple[Column, dict[str, Column]]], fields: list[Field],
               disk: Disk) -> Columns:
    """``_assembled`` for pieces partly on ``disk``: each typed field, once merged, is written
    to a new file, and the table's columns are read back from it through one map, so that
    memory holds a field or two, not the table."""
    spilled = disk.mapped()
    out = Disk()
    read = _assembled(
        pieces, fields,
        lambda column: column if isinstance(column, np.ndarray) else spilled[column], out.put)
    del pieces
    table = out.mapped()
    return {name: table[column] if isinstance(column, Stored) else column
            for name, column in read.items()}


class _Codes(dict[str, int]):
    """Each label's code, in the order labels were first seen."""

    def __missing__(self, label: str) -> int:
        code = self[label] = len(self)
        return code


def freeze_every(env: simpy.Environment, minutes: float, spools: Iterable[Spool]) -> None:
    """Freeze ``spools`` every ``minutes`` of the clock, for as long as it runs, and write
    their frozen columns to disk whenever those held in memory pass ``spill.SPILL_BYTES``. The
    check changes no entity, so the run's numbers are those of a run without it."""
    spools = list(spools)

    def tick(_event: simpy.Event) -> None:
        for spool in spools:
            spool.freeze()
        # Read here, not bound once: tests lower the budget to make a short run spill.
        if sum(spool.held_bytes() for spool in spools) > spill.SPILL_BYTES:
            for spool in spools:
                spool.spill()
        env.timeout(minutes).callbacks.append(tick)

    env.timeout(minutes).callbacks.append(tick)


@functools.cache
def _fields(cls: type) -> list[Field]:
    return [(f.name, _reader(cls, f.name),
             None if f.type in ("str", str) else _DTYPES.get(f.type, float))
            for f in dataclasses.fields(cls)]


def _read(entities: Sequence[Any], fields: list[Field], codes: dict[str, _Codes]) -> Columns:
    n = len(entities)
    columns: Columns = {name: np.empty(n, dtype=np.int32 if dtype is None else dtype)
                        for name, _, dtype in fields}
    for lo in range(0, n, BLOCK_ROWS):
        block = entities[lo:lo + BLOCK_ROWS]
        size = len(block)
        for name, read, dtype in fields:
            values = read(block)
            columns[name][lo:lo + size] = (
                np.fromiter(values, dtype=dtype, count=size) if dtype is not None
                else np.fromiter(map(codes[name].__getitem__, values), dtype=np.int32,
                                 count=size))
    return columns


def _table(fields: list[Field], read: Columns, codes: dict[str, _Codes]) -> pd.DataFrame:
    """The table of ``read`` columns: text fields become categoricals (sorted labels)."""
    columns: dict[str, Any] = {}
    for name, _, dtype in fields:
        if dtype is None:
            seen = codes[name]
            labels = sorted(seen)
            sorted_code = np.empty(len(labels), dtype=np.int32)
            sorted_code[[seen[label] for label in labels]] = np.arange(len(labels))
            columns[name] = pd.Categorical.from_codes(sorted_code[read.pop(name)],
                                                      categories=pd.Index(labels))
        else:
            columns[name] = read.pop(name)
    # copy=False: the arrays are this table's alone. pandas would otherwise copy them into
    # consolidated blocks, and the table would exist twice at the replication's peak.
    return pd.DataFrame(columns, copy=False)


_DTYPES: dict[Any, Any] = {"bool": bool, bool: bool, "int": np.int64, int: np.int64}


@functools.cache
def _reader(cls: type, name: str) -> Callable[[Sequence[Any]], list[Any]]:
    """``[row.<name> for row in rows]``, compiled once per class and field.

    This is a visible share of a run: in a comprehension CPython 3.11 specialises the attribute
    load for the slotted class (about 180 instructions a value with the list), where
    ``operator.attrgetter`` pays a call each time (about 350). ``name`` is a field of one of the
    engine's own dataclasses, never input.
    """
    if not name.isidentifier() or name not in {f.name for f in dataclasses.fields(cls)}:
        raise ValueError(f"{name!r} is not a field of {cls.__name__}")
    namespace: dict[str, Any] = {}
    exec(f"def read(rows):\n    return [row.{name} for row in rows]\n", namespace)
    read: Callable[[Sequence[Any]], list[Any]] = namespace["read"]
    return read


def levels_frame(levels: dict[str, list[tuple[float, int]]]) -> pd.DataFrame:
    """The on-hand step functions as one long table: columns ``sku``, ``time``, ``on_hand``."""
    rows = [(sku, t, v) for sku, steps in levels.items() for t, v in steps]
    if not rows:
        return pd.DataFrame({"sku": pd.Series(dtype=object), "time": pd.Series(dtype=float),
                             "on_hand": pd.Series(dtype=np.int64)})
    return pd.DataFrame.from_records(rows, columns=["sku", "time", "on_hand"])
