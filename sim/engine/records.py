"""Flat records: the model's entities turned into one table per kind.

Entities are mutable slotted objects while the clock runs (a call gets answered, a job gets
visits); once they end (``Spool``) or once the replication ends (``frame``) they are frozen into
typed columns here, and everything downstream (KPIs, event logs, charts) reads only these
tables and the call states named here. Text fields become categoricals: they hold a handful of
labels (contact type, channel, crew), and building object columns would cost more than the run.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Sequence
from itertools import compress
from typing import Any

import numpy as np
import pandas as pd
import simpy

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
Columns = dict[str, Any]
"""One column per field of a batch of entities: a typed array, or a list of labels."""


def frame(entities: Sequence[Any], cls: type) -> pd.DataFrame:
    """One row per entity, one column per dataclass field of ``cls`` (in field order)."""
    fields = _fields(cls)
    return _table(fields, _read(entities, fields), len(entities))


MERGE_PIECES = 16
"""Frozen pieces held before they are merged into one. Each freeze makes one small array per
field (a day's calls); held apart, a numpy array's own overhead (about 100 bytes) is a large
share of a small piece, and a 365-day run would hold some 90,000 of them."""


class Spool:
    """The entities of one kind frozen into typed columns as they end, while the clock runs.

    A department appends its entities to ``rows`` (a list it owns and keeps appending to);
    ``freeze`` moves those that have ended into typed columns and takes them out of the list, so
    a replication holds its finished records as about 8 bytes a field instead of as objects
    (about 400 bytes a call with its floats). ``table`` is ``frame`` of every entity ever
    appended, in the order appended: an entity must not change once ``ended`` says so.
    """

    def __init__(self, rows: list[Any], cls: type,
                 ended: Callable[[Any], bool] | None = None) -> None:
        self.rows = rows
        self._fields = _fields(cls)
        self._ended = ended
        self._frozen: list[tuple[np.ndarray, Columns]] = []
        self._orders: list[int] = []  # the place in the order appended of each row still held
        self._appended = 0

    def freeze(self) -> None:
        """Move the rows that have ended into columns (none, for a spool without ``ended``)."""
        rows = self.rows
        if self._ended is None:
            return
        new = len(rows) - len(self._orders)
        self._orders += range(self._appended, self._appended + new)
        self._appended += new
        flags = list(map(self._ended, rows))
        if not any(flags):
            return
        orders, kept = self._orders, [not flag for flag in flags]
        self._frozen.append((np.fromiter(compress(orders, flags), dtype=np.int64),
                             _read(list(compress(rows, flags)), self._fields)))
        if len(self._frozen) == MERGE_PIECES:
            self._frozen = [self._merged()]
        rows[:] = compress(rows, kept)  # in place: the department appends to this list
        self._orders = list(compress(orders, kept))

    def table(self) -> pd.DataFrame:
        """Every entity ever appended, as ``frame`` would make it; empties the spool."""
        rows = self.rows
        self._orders += range(self._appended, self._appended + len(rows) - len(self._orders))
        self._frozen.append((np.array(self._orders, dtype=np.int64), _read(rows, self._fields)))
        self._orders, self._appended = [], 0
        rows.clear()
        where, read = self._frozen[0] if len(self._frozen) == 1 else self._merged()
        self._frozen = []
        if np.any(where[1:] < where[:-1]):
            order = np.argsort(where, kind="stable")
            for name, _, dtype in self._fields:
                values = read[name]
                read[name] = ([values[i] for i in order.tolist()] if dtype is None
                              else values[order])
        return _table(self._fields, read, len(where))

    def _merged(self) -> tuple[np.ndarray, Columns]:
        """The frozen pieces as one, each piece let go once copied."""
        pieces, self._frozen = self._frozen, []
        where = np.concatenate([w for w, _ in pieces])
        merged: Columns = {}
        for name, _, dtype in self._fields:
            parts = [part.pop(name) for _, part in pieces]
            merged[name] = ([v for part in parts for v in part] if dtype is None
                            else np.concatenate(parts))
        return where, merged


def whole(_entity: Any) -> bool:
    """``Spool``'s ``ended`` for entities appended once they are complete (a visit, an
    attempt)."""
    return True


def freeze_every(env: simpy.Environment, minutes: float, spools: Iterable[Spool]) -> None:
    """Freeze ``spools`` every ``minutes`` of the clock, for as long as it runs. The check
    changes no entity, so the run's numbers are those of a run without it."""
    spools = list(spools)

    def tick(_event: simpy.Event) -> None:
        for spool in spools:
            spool.freeze()
        env.timeout(minutes).callbacks.append(tick)

    env.timeout(minutes).callbacks.append(tick)


@functools.cache
def _fields(cls: type) -> list[Field]:
    return [(f.name, _reader(cls, f.name),
             None if f.type in ("str", str) else _DTYPES.get(f.type, float))
            for f in dataclasses.fields(cls)]


def _read(entities: Sequence[Any], fields: list[Field]) -> Columns:
    n = len(entities)
    columns: Columns = {name: [] if dtype is None else np.empty(n, dtype=dtype)
                        for name, _, dtype in fields}
    for lo in range(0, n, BLOCK_ROWS):
        block = entities[lo:lo + BLOCK_ROWS]
        size = len(block)
        for name, read, dtype in fields:
            if dtype is None:
                columns[name] += read(block)
            else:
                columns[name][lo:lo + size] = np.fromiter(read(block), dtype=dtype, count=size)
    return columns


def _table(fields: list[Field], read: Columns, n: int) -> pd.DataFrame:
    """The table of ``read`` columns: text fields become categoricals (sorted labels)."""
    columns: dict[str, Any] = {}
    for name, _, dtype in fields:
        if dtype is None:
            values = read.pop(name)
            labels = sorted(set(values))
            code = dict(zip(labels, range(len(labels)), strict=True))
            columns[name] = pd.Categorical.from_codes(
                np.fromiter(map(code.__getitem__, values), dtype=np.int32, count=n),
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
