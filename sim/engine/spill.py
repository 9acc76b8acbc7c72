"""Columns kept on disk: a replication's records past its memory budget.

A long run's finished records grow by about 0.16 MiB a simulated day (a year of the baseline
is some 60 MiB of columns). ``records.Spool`` keeps them in memory up to ``SPILL_BYTES`` for the
whole replication; past that its frozen columns are appended to a ``Disk`` (an anonymous
temporary file, gone when the last reference to it goes, whatever way the process ends) and its
final table is read back through one read-only memory map. What is on disk is the columns' own
bytes, so a table read back is equal to the table kept in memory, bit for bit.

The operating system keeps the mapped pages in its file cache and drops them under memory
pressure, reading them again when touched; they are not the process's own memory.
"""

from __future__ import annotations

import mmap
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

SPILL_BYTES = 8 * 2**20
"""Frozen columns a replication holds in memory before every spool writes its columns to disk:
more than the whole run of the explorer's 30-day what-if (about 6 MiB with its warm-up and
run-out), which therefore never touches the disk, and a small share of a year's."""

_ALIGN = 64
"""Every column starts at a multiple of this many bytes of its file (a cache line; numpy reads
an unaligned float column more slowly)."""


@dataclass(frozen=True)
class Stored:
    """A column written to a ``Disk``: where its bytes start, their type and how many values."""

    offset: int
    dtype: np.dtype
    count: int


class Disk:
    """An anonymous temporary file that columns are appended to and read back from."""

    def __init__(self) -> None:
        # TemporaryFile has no name once made (O_TMPFILE on Linux, unlinked at once on other
        # POSIX systems; Windows deletes it when it is closed): nothing is left behind, not even
        # by a process that is killed. It outlives this call (``mapped`` closes it; a disk
        # never mapped, after an error, is closed with the object), so no context manager.
        with _said():
            self._file = tempfile.TemporaryFile()  # noqa: SIM115
        self._size = 0

    def put(self, column: np.ndarray) -> Stored:
        """Append ``column``'s bytes; the returned ``Stored`` finds them again."""
        data = np.ascontiguousarray(column)
        stored = Stored(self._size, data.dtype, len(data))
        pad = -data.nbytes % _ALIGN
        with _said():
            self._file.write(data.data)
            self._file.write(bytes(pad))
        self._size += data.nbytes + pad
        return stored

    def mapped(self) -> Mapped:
        """Everything put so far, readable through one memory map; the file itself is closed
        (the map keeps what it maps)."""
        self._file.flush()
        if self._size == 0:
            view = None
        else:
            view = mmap.mmap(self._file.fileno(), self._size, access=mmap.ACCESS_READ)
        self._file.close()
        return Mapped(view)


@contextmanager
def _said() -> Iterator[None]:
    """A failure of the temporary folder (full, not writable) says where and why it was used:
    the user sees it as one line (``sim.cli``), not as a failure of their results folder."""
    try:
        yield
    except OSError as err:
        raise OSError(err.errno, f"{err.strerror or err} (writing a replication's records past "
                      f"{SPILL_BYTES // 2**20} MiB to the temporary folder; TMPDIR chooses "
                      "another)", tempfile.gettempdir()) from err


class Mapped:
    """The columns of a closed ``Disk``, read in place (read-only arrays, no copy)."""

    def __init__(self, view: mmap.mmap | None) -> None:
        self._view = view

    def __getitem__(self, stored: Stored) -> np.ndarray:
        if stored.count == 0 or self._view is None:
            return np.empty(0, dtype=stored.dtype)
        return np.frombuffer(self._view, dtype=stored.dtype, count=stored.count,
                             offset=stored.offset)
