"""Flat records: the model's entities turned into one table per kind once a replication ends.

Entities are mutable slotted objects while the clock runs (a call gets answered, a job gets
visits); afterwards they are frozen into columns here, and everything downstream (KPIs, event
logs, charts) reads only these tables and the call states named here. Text fields become
categoricals: they hold a handful of labels (contact type, channel, crew), and building object
columns would cost more than the run.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

# The calls table's `state` column. Plain ints: the call center compares them on every queue pop.
WAITING, TALKING, HOLDING, WITH_SPECIALIST, DONE, ABANDONED, BLOCKED, HOLD_ABANDONED = range(8)
STATE_NAMES = ("waiting", "talking", "holding", "with_specialist", "done", "abandoned",
               "blocked", "hold_abandoned")


BLOCK_ROWS = 4096
"""Entities read at a time. Every field of a block is read while its entities are still in the
CPU's cache (4,096 calls are about 1 MB); field by field over the whole run, each field was a
walk through all of memory. Measured on the M/M/c benchmark's 200,000 calls: 0.18 s -> 0.12 s
(benchmarks/README.md, stop 25)."""


def frame(entities: Sequence[Any], cls: type) -> pd.DataFrame:
    """One row per entity, one column per dataclass field of ``cls`` (in field order)."""
    n = len(entities)
    # (name, reader, dtype); dtype None: a text field.
    fields = [(f.name, _reader(cls, f.name),
               None if f.type in ("str", str) else _DTYPES.get(f.type, float))
              for f in dataclasses.fields(cls)]
    numbers = {name: np.empty(n, dtype=dtype) for name, _, dtype in fields if dtype is not None}
    texts: dict[str, list[str]] = {name: [] for name, _, dtype in fields if dtype is None}
    for lo in range(0, n, BLOCK_ROWS):
        block = entities[lo:lo + BLOCK_ROWS]
        size = len(block)
        for name, read, dtype in fields:
            if dtype is None:
                texts[name] += read(block)
            else:
                numbers[name][lo:lo + size] = np.fromiter(read(block), dtype=dtype, count=size)
    columns: dict[str, Any] = {}
    for name, _, dtype in fields:
        if dtype is None:
            values = texts.pop(name)
            labels = sorted(set(values))
            code = dict(zip(labels, range(len(labels)), strict=True))
            columns[name] = pd.Categorical.from_codes(
                np.fromiter(map(code.__getitem__, values), dtype=np.int32, count=n),
                categories=pd.Index(labels))
        else:
            columns[name] = numbers.pop(name)
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
