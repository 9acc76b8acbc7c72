"""The event-log zips the explorer holds for download: every session's, within one budget.

A zip holds up to ``ZIP_LIMIT_BYTES`` of CSV and each session of the server may build one. Held
in each session's own state, N sessions would hold N zips and could build N at once, so the
server's memory would grow with its users. Here they share one shelf: one build at a time (a
second session asking meanwhile is told to wait), and the zips held together stay within a byte
budget, the longest-held going first. Its session finds no zip on its next run and is told why.
No Streamlit here: the page (`sim.explorer.export_page`) says what the shelf decides.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager


class LogShelf:
    """Zips by owner (a session's token), each for one run key, at most ``limit_bytes`` in all.

    The newest zip is kept even when it alone is over the budget: it is the one just asked for,
    and its size is already bounded where it is built.
    """

    def __init__(self, limit_bytes: int) -> None:
        self.limit_bytes = limit_bytes
        self._held: OrderedDict[str, tuple[str, bytes]] = OrderedDict()
        self._lock = threading.Lock()  # guards _held: sessions run on threads of one process
        self._build = threading.Lock()

    @contextmanager
    def building(self) -> Iterator[bool]:
        """Yields True to the one caller that may build now (the slot is held until the block
        ends), False to any other meanwhile."""
        got = self._build.acquire(blocking=False)
        try:
            yield got
        finally:
            if got:
                self._build.release()

    def put(self, owner: str, run_key: str, data: bytes) -> None:
        """Hold ``data`` for ``owner`` (replacing its earlier zip), letting go of the longest-held
        other zips until the shelf is within its budget."""
        with self._lock:
            self._held.pop(owner, None)
            self._held[owner] = (run_key, data)  # last: the longest-held come first
            while len(self._held) > 1 and self._total() > self.limit_bytes:
                self._held.popitem(last=False)

    def get(self, owner: str, run_key: str) -> bytes | None:
        """``owner``'s zip if it is held and was built for ``run_key``, else None."""
        with self._lock:
            held = self._held.get(owner)
        return held[1] if held is not None and held[0] == run_key else None

    def download(self, owner: str, run_key: str) -> bytes:
        """``get`` for a download button's deferred data: the zip, or LookupError if it was let
        go between the page's run and the click (Streamlit then reports a failed download)."""
        data = self.get(owner, run_key)
        if data is None:
            raise LookupError("these event logs were let go: build them again")
        return data

    def held_bytes(self) -> int:
        """Bytes of the zips held now, all owners together."""
        with self._lock:
            return self._total()

    def _total(self) -> int:
        return sum(len(d) for _, d in self._held.values())
