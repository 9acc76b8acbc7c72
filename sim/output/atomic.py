"""Single files written atomically.

This module owns the low-level half of how results reach the disk: a file is written to a temp
file in the same directory, fsynced, and renamed over its final name with `os.replace`, so a
reader sees either the old file or the whole new one, never a torn write. It knows
nothing of results folders or manifests: `sim.output.folder` builds those on top of it, and other
modules (the replication store, fitted scenarios) use it directly for single files.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


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
