"""Single files written atomically, and values made safe for JSON.

This module owns the low-level half of how results reach the disk: a file is written to a temp
file in the same directory, fsynced, and renamed over its final name with `os.replace`, so a
reader sees either the old file or the whole new one, never a torn write; and any nested value
is turned into plain JSON types (NaN and infinities as null) before it is dumped. It knows
nothing of results folders or manifests: `sim.output.folder` builds those on top of it, and other
modules (the replication store, fitted scenarios) use it directly for single files.
"""

from __future__ import annotations

import math
import os
import secrets
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def _current_umask() -> int:
    # os.umask can only be read by setting it; do it once at import, before worker threads exist.
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_current_umask()


def fsync_dir(directory: Path) -> None:
    """Persist a directory entry (a rename) on POSIX; Windows has no directory fsync.

    Args:
        directory: The directory whose entries changed.
    """
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so readers see either the old file or the whole new one.

    The temp file lives in the same directory (a rename across file systems is not atomic) and
    is fsynced before the rename, so a crash cannot leave an empty file under the final name.
    The parent directory must exist.

    Args:
        path: Destination file.
        data: Complete file content.

    Raises:
        OSError: If writing or renaming fails; the temp file is removed and `path` is untouched.
    """
    path = Path(path)
    # mkstemp creates 0600 files; results are meant to be shared like any other output.
    mode = path.stat().st_mode & 0o777 if path.exists() else _FILE_MODE
    tmp = path.parent / f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        with open(tmp, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Write text atomically, byte for byte (no newline translation, so files match on Windows).

    Args:
        path: Destination file.
        text: Complete file content.
        encoding: Text encoding.
    """
    atomic_write_bytes(path, text.encode(encoding))


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
