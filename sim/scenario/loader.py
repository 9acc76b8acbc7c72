"""Reading scenario files: YAML to a validated `Scenario`, with errors a planner can act on.

This module owns everything between the bytes of a scenario file and a `Scenario`: the size cap,
reading the file, `--set` overrides, the scenario-specific messages, writing a resolved scenario
back to YAML and the JSON schema; also reading the text of the other
small documents (`read_text_file`: stress and experiment files) under the same cap. The models
and their rules live in `sim.scenario.format`. The YAML machinery is shared with other documents:
safe reading, overrides, writing and `load_document` (any pydantic model, same rules and `FILE:LINE:
key.path: message` errors) are `sim.scenario.yaml_io`; `Problem`, `ScenarioError` and the
translation of validation errors are `sim.scenario.problems`. The static capacity check is
`sim.scenario.capacity`.
"""

from __future__ import annotations

import copy
import errno
import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.scenario.format import Scenario
from sim.scenario.problems import Problem, ScenarioError, line_of, validation_problems
from sim.scenario.yaml_io import MAX_BYTES, YamlProblem, apply_overrides, read_yaml, to_yaml

# --- public API ------------------------------------------------------------------------------


def load_scenario_text(text: str, source: str = "<text>", overrides: Sequence[str] = ()
                       ) -> Scenario:
    """Validate scenario YAML given as text (an upload, a test fixture).

    Args:
        text: The YAML document.
        source: Name used for the text in error messages.
        overrides: `dotted.path=value` settings applied before validation.

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: With one problem per error, each naming the line and key path.
    """
    # Every character is at least one byte: a long text is refused before encoding it.
    size = len(text) if len(text) > MAX_BYTES else len(text.encode("utf-8", errors="replace"))
    if size > MAX_BYTES:
        raise ScenarioError([Problem(source, None, "", _too_big(size))])
    try:
        data, tree = read_yaml(text)
    except YamlProblem as fail:
        raise ScenarioError([Problem(source, fail.line, fail.path, fail.message)]) from None
    if data is None:
        raise ScenarioError([Problem(source, None, "", "the file is empty (or only comments): a "
                                     "scenario needs at least `name`, `demand` and "
                                     "`call_center`")])
    if not isinstance(data, dict):
        raise ScenarioError([Problem(source, line_of(tree, ()), "",
                                     "the top level must be a mapping of keys such as `name:` "
                                     f"and `demand:` (got a {type(data).__name__})")])
    original = copy.deepcopy(data) if overrides else None
    applied = apply_overrides(data, overrides)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(validation_problems(exc, data, tree, source, applied,
                                                _problems_of(original))) from None


def _problems_of(data: dict[str, Any] | None) -> set[tuple[str, str]] | None:
    """(key path, message) of what the file alone gets wrong, to tell it from what `--set`
    overrides caused (None without overrides)."""
    if data is None:
        return None
    try:
        Scenario.model_validate(data)
    except ValidationError as exc:
        return {(p.path, p.message) for p in validation_problems(exc, data, None, "")}
    return set()


def _too_big(size: int) -> str:
    return (f"the file is {size:,} bytes; scenario files are limited to {MAX_BYTES:,} bytes "
            "(1 MiB)")


NOT_REGULAR = ("not a regular file (a pipe, a device or a socket could block or never end; "
               "give a file)")


class TooLarge(OSError):
    """A regular file whose size on disk is over the limit; nothing of it was read."""

    def __init__(self, path: str | Path, size: int) -> None:
        super().__init__(errno.EFBIG, "file too large", str(path))
        self.size = size


def read_regular_file(path: str | Path, limit: int = MAX_BYTES, refuse_larger: bool = False
                      ) -> bytes:
    """Read at most ``limit`` + 1 bytes of a regular file, refusing anything else unread.

    The file is opened without blocking and checked on the open descriptor, so a FIFO (which
    would wait forever for a writer), a device such as ``/dev/zero`` (which never ends) or a
    file swapped for one after a check is refused, not read.

    Args:
        path: The file.
        limit: Bytes wanted; one more is read so the caller can tell the file is over it.
        refuse_larger: Raise `TooLarge` for a file whose size on disk is over `limit`, before
            reading any of it.

    Returns:
        The bytes read.

    Raises:
        TooLarge: With `refuse_larger`, for a file over `limit` on disk.
        IsADirectoryError: For a directory.
        OSError: For a missing or unreadable file, or (errno EINVAL, message `NOT_REGULAR`)
            anything that is not a regular file.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a directory", str(path))
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, NOT_REGULAR, str(path))
        if refuse_larger and info.st_size > limit:
            raise TooLarge(path, info.st_size)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Read and validate a scenario file.

    The size is checked before the file is read, so a huge upload costs nothing.

    Args:
        path: The YAML file.
        overrides: `dotted.path=value` settings applied before validation (the CLI's `--set`).

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: For a missing, oversized, unreadable or invalid file.
    """
    source = str(path)
    p = Path(path)

    def fail(message: str, line: int | None = None) -> ScenarioError:
        return ScenarioError([Problem(source, line, "", message)])

    try:
        # Refused by its size before reading; a growing file can exceed it: the read is capped.
        raw = read_regular_file(p, refuse_larger=True)
    except TooLarge as err:
        raise fail(_too_big(err.size)) from None
    except IsADirectoryError:
        raise fail("is a directory, not a scenario file") from None
    except FileNotFoundError:
        raise fail("no such file") from None
    except OSError as err:
        if err.strerror == NOT_REGULAR:
            raise fail(NOT_REGULAR) from None
        raise fail(f"cannot read the file: {err.strerror or err}") from None
    if len(raw) > MAX_BYTES:
        raise fail(_too_big(len(raw)))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise fail("not UTF-8 text (save the file as UTF-8)",
                   raw[: err.start].count(b"\n") + 1) from None
    return load_scenario_text(text, source, overrides)


def read_text_file(path: str | Path, *, unreadable: str = "cannot read the file",
                   regular_only: bool = False, check_size: bool = False) -> str:
    """Read a small document file (stress, experiment) as text for `load_document`.

    At most `MAX_BYTES` + 1 bytes are read: enough for `load_document` to still see that an
    oversized file is over the cap, without reading more of it. A UTF-8 BOM is dropped. The
    options keep each caller's wording of file errors (scenario files have `load_scenario`).

    Args:
        path: The file.
        unreadable: Message for an OS or decoding error; `: ` and the error follow it.
        regular_only: Report a directory as "no such file". Anything else that is not a
            regular file (a FIFO that would block, a device) is always refused unread.
        check_size: Refuse a file whose size on disk is over `MAX_BYTES` before reading it
            ("larger than ... bytes").

    Returns:
        The file's text.

    Raises:
        ScenarioError: One problem naming the file, without a line.
    """
    source = str(path)
    p = Path(path)

    def fail(message: str) -> ScenarioError:
        return ScenarioError([Problem(source, None, "", message)])

    try:
        raw = read_regular_file(p, refuse_larger=check_size)
        return raw.decode("utf-8-sig")
    except TooLarge:
        raise fail(f"larger than {MAX_BYTES:,} bytes") from None
    except OSError as err:
        if err.strerror == NOT_REGULAR:
            raise fail(NOT_REGULAR) from None
        if isinstance(err, IsADirectoryError):
            raise fail("no such file" if regular_only else "is a directory") from None
        missing = isinstance(err, FileNotFoundError)
        raise fail("no such file" if missing else f"{unreadable}: {err}") from None
    except UnicodeDecodeError as err:
        raise fail(f"{unreadable}: {err}") from None


def scenario_to_yaml(scenario: Scenario) -> str:
    """Write a scenario back as YAML with every default filled in (the resolved scenario).

    Args:
        scenario: A validated scenario.

    Returns:
        YAML text that `load_scenario_text` turns back into an equal scenario.
    """
    return (f"# Resolved scenario `{scenario.name}`: every default filled in.\n"
            + to_yaml(scenario.model_dump(mode="json")))


def json_schema() -> dict[str, Any]:
    """Return the JSON schema of scenario files (what `schemas/scenario.schema.json` holds)."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "After-sales service simulation scenario"
    return schema
