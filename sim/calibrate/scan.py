"""A CSV log's shape, checked before pandas parses it: bounded columns, lines and cells per row.

This module owns the limits that keep a hostile or broken log from costing more than its data:
at most `MAX_COLUMNS` header columns (a log of the format has at most 19), no line longer than
`MAX_LINE_BYTES`, and no row with more cells than the header (pandas, told to read only the
columns the fit needs, would otherwise drop the extra cells silently). It reads the file once in
1 MiB blocks with numpy, whatever its size; only a file with quoted cells is re-read with the
`csv` module (quotes may hide commas and line breaks). `sim.calibrate.read` then parses the
columns the fit needs, and nothing else.
"""

from __future__ import annotations

import csv
import io
from typing import BinaryIO

import numpy as np

from sim.scenario.problems import Problem, ScenarioError

MAX_COLUMNS = 256
MAX_LINE_BYTES = 1 << 16  # a log row is about 200 bytes
BLOCK = 1 << 20
NEWLINE, COMMA, QUOTE = ord("\n"), ord(","), ord('"')


def header_of(fh: BinaryIO, source: str) -> list[str]:
    """The header's column names (stripped), read within the limits; ``fh`` at its start.

    Raises:
        ScenarioError: For an empty file, a header line too long, not UTF-8, or too many columns.
    """
    def fail(message: str) -> ScenarioError:
        return ScenarioError([Problem(source, 1, "", message)])

    first = fh.readline(MAX_LINE_BYTES + 1)
    if not first.strip():
        raise ScenarioError([Problem(source, None, "", "the file is empty: it needs a header "
                                                       "row of column names")])
    if len(first) > MAX_LINE_BYTES:
        raise fail(f"the header line is longer than {MAX_LINE_BYTES:,} bytes; a log has at most "
                   f"{MAX_COLUMNS} columns (docs/event-logs.md)")
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise fail("not UTF-8 text (save the file as UTF-8)") from None
    cells = next(csv.reader([text.rstrip("\r\n")]), [])
    if len(cells) > MAX_COLUMNS:
        raise fail(f"the header has {len(cells):,} columns; a log has at most {MAX_COLUMNS} "
                   "(docs/event-logs.md lists its columns)")
    return [cell.strip() for cell in cells]


def check_rows(fh: BinaryIO, source: str, width: int) -> None:
    """Check every line after the header: not longer than `MAX_LINE_BYTES`, no more cells than
    the header's ``width``. ``fh`` is just after the header line.

    Raises:
        ScenarioError: With the line number of the first offending line.
    """
    start = fh.tell()
    line = 2  # the file line of the first line in `pending`
    pending = b""
    while True:
        block = fh.read(BLOCK)
        if QUOTE in block:
            fh.seek(start)
            _check_quoted(fh, source, width)
            return
        data = pending + block if block else pending + b"\n"  # the last line may lack one
        arr = np.frombuffer(data, dtype=np.uint8)
        ends = np.flatnonzero(arr == NEWLINE)
        if not len(ends):
            if len(data) > MAX_LINE_BYTES:
                _too_long(source, line)
            pending = data
            continue
        starts = np.concatenate(([0], ends[:-1] + 1))
        long = np.flatnonzero(ends - starts > MAX_LINE_BYTES)
        if len(long):
            _too_long(source, line + int(long[0]))
        commas = np.flatnonzero(arr[: ends[-1]] == COMMA)
        cells = np.bincount(np.searchsorted(ends, commas), minlength=len(ends)) + 1
        wide = np.flatnonzero(cells > width)
        if len(wide):
            _too_wide(source, line + int(wide[0]), int(cells[wide[0]]), width)
        line += len(ends)
        pending = data[ends[-1] + 1:]
        if not block:
            return


def _check_quoted(fh: BinaryIO, source: str, width: int) -> None:
    text = io.TextIOWrapper(fh, encoding="utf-8", errors="replace", newline="")
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_LINE_BYTES)
    try:
        reader = csv.reader(text)
        before = reader.line_num
        try:
            for row in reader:
                if len(row) > width:
                    _too_wide(source, reader.line_num + 1, len(row), width)
                before = reader.line_num
        except csv.Error as err:
            raise ScenarioError([Problem(source, before + 2, "",
                                         f"not a readable CSV table: {err}")]) from None
    finally:
        csv.field_size_limit(limit)
        text.detach()


def _too_long(source: str, line: int) -> None:
    raise ScenarioError([Problem(source, line, "", f"not a readable CSV table: the line is "
                                                   f"longer than {MAX_LINE_BYTES:,} bytes")])


def _too_wide(source: str, line: int, cells: int, width: int) -> None:
    raise ScenarioError([Problem(source, line, "", f"not a readable CSV table: {cells} cells, "
                                                   f"but the header has {width} columns")])
