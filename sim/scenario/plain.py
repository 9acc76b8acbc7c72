"""Plain values: what a JSON or YAML document can hold, made from numpy, pandas and paths.

Scenario overrides (``--set key=value``), experiment grids, manifests and summaries are written as
plain JSON; ``json_safe`` turns the numbers and tables the model produces into such values (NaN
and infinities become null), so ``json.dumps(..., allow_nan=False)`` never meets a numpy scalar.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def json_safe(obj: Any) -> Any:
    """Convert a value into plain JSON types, with NaN and infinities as null.

    Handles dicts (keys become strings), lists, tuples, sets (sorted for stable output), numpy
    scalars and arrays, pandas NA/NaT, datetimes and dates (ISO 8601) and paths. Other types are
    returned unchanged, so `json.dumps` still rejects them loudly.

    Args:
        obj: Any nested value.

    Returns:
        An equivalent value that `json.dumps(..., allow_nan=False)` accepts.
    """
    if obj is None or isinstance(obj, bool | str):
        return obj
    if obj is pd.NA or obj is pd.NaT:
        return None
    if isinstance(obj, np.generic):
        return json_safe(obj.item())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, int):
        return obj
    if isinstance(obj, Mapping):
        return {_json_key(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return [json_safe(v) for v in obj.tolist()]
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if isinstance(obj, set | frozenset):
        return [json_safe(v) for v in sorted(obj, key=repr)]
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, Path):
        return obj.as_posix()
    return obj


def _json_key(key: Any) -> str:
    """JSON object keys are strings; numpy scalars would otherwise be rejected by json."""
    if isinstance(key, np.generic):
        key = key.item()
    return key if isinstance(key, str) else str(key)
