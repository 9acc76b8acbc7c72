"""Flat records: the model's entities turned into one table per kind once a replication ends.

Entities are mutable slotted objects while the clock runs (a call gets answered, a job gets
visits); afterwards they are frozen into columns here, and everything downstream (KPIs, event
logs, charts) reads only these tables and the call states named here. Text fields become
categoricals: they hold a handful of labels (contact type, channel, crew), and building object
columns would cost more than the run.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

# The calls table's `state` column. Plain ints: the call center compares them on every queue pop.
WAITING, TALKING, HOLDING, WITH_SPECIALIST, DONE, ABANDONED, BLOCKED, HOLD_ABANDONED = range(8)
STATE_NAMES = ("waiting", "talking", "holding", "with_specialist", "done", "abandoned",
               "blocked", "hold_abandoned")


def frame(entities: Sequence[Any], cls: type) -> pd.DataFrame:
    """One row per entity, one column per dataclass field of ``cls`` (in field order)."""
    columns: dict[str, Any] = {}
    n = len(entities)
    for f in dataclasses.fields(cls):
        # attrgetter + fromiter: no per-row Python frame and no intermediate list; with a few
        # hundred thousand calls per replication this table is a visible share of a run.
        get = operator.attrgetter(f.name)
        if f.type in ("str", str):
            values = list(map(get, entities))
            labels = sorted(set(values))
            code = dict(zip(labels, range(len(labels)), strict=True))
            columns[f.name] = pd.Categorical.from_codes(
                np.fromiter(map(code.__getitem__, values), dtype=np.int32, count=n),
                categories=pd.Index(labels))
        elif f.type in ("bool", bool):
            columns[f.name] = np.fromiter(map(get, entities), dtype=bool, count=n)
        elif f.type in ("int", int):
            columns[f.name] = np.fromiter(map(get, entities), dtype=np.int64, count=n)
        else:
            columns[f.name] = np.fromiter(map(get, entities), dtype=float, count=n)
    return pd.DataFrame(columns)


def levels_frame(levels: dict[str, list[tuple[float, int]]]) -> pd.DataFrame:
    """The on-hand step functions as one long table: columns ``sku``, ``time``, ``on_hand``."""
    rows = [(sku, t, v) for sku, steps in levels.items() for t, v in steps]
    if not rows:
        return pd.DataFrame({"sku": pd.Series(dtype=object), "time": pd.Series(dtype=float),
                             "on_hand": pd.Series(dtype=np.int64)})
    return pd.DataFrame.from_records(rows, columns=["sku", "time", "on_hand"])
