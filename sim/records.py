"""Flat records: the model's entities turned into one table per kind once a replication ends.

Entities are mutable slotted objects while the clock runs (a call gets answered, a job gets
visits); afterwards they are frozen into columns here, and everything downstream (KPIs, event
logs, charts) reads only these tables. Text fields become categoricals: they hold a handful of
labels (contact type, channel, crew), and building object columns would cost more than the run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def frame(entities: Sequence[Any], cls: type) -> pd.DataFrame:
    """One row per entity, one column per dataclass field of ``cls`` (in field order)."""
    columns: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        name = f.name
        values = [getattr(e, name) for e in entities]
        if f.type in ("str", str):
            columns[name] = pd.Categorical(values)
        elif f.type in ("bool", bool):
            columns[name] = np.asarray(values, dtype=bool)
        elif f.type in ("int", int):
            columns[name] = np.asarray(values, dtype=np.int64)
        else:
            columns[name] = np.asarray(values, dtype=float)
    return pd.DataFrame(columns)
