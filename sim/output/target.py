"""Where output may go: checks on an output path, and what an existing results folder holds.

This module owns the rules that keep a user's files safe, checked before anything runs and again
when a folder is published (``sim.output.folder``):

- only a folder whose ``manifest.json`` this tool wrote (``package`` and ``manifest_version``)
  counts as a results folder; any other non-empty folder, and any file, is never replaced;
- in a results folder, the tool's files are those its manifest lists with their SHA-256; a file
  not listed (or listed but since changed) is the user's: a rerun refuses while there are any,
  and with ``overwrite`` replaces only the run's own files and keeps the user's;
- an output path must be something a folder can be created at: not ``/``, not the current
  folder or one of its parents, not under a file, a name the file system accepts, a directory
  this process can write in (a read-only file system is found here, not after the simulation).

It writes nothing but an empty probe directory that it removes at once.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

MANIFEST_NAME = "manifest.json"
PACKAGE = "aftersales-sim"
MANIFEST_VERSION = 1
MAX_MANIFEST_BYTES = 64 << 20  # ours are a few KiB; a bigger "manifest.json" is not ours
# The staging and trash folders are named `.NAME.partial-PID-HEX`: the final name must leave room.
STAGING_EXTRA = 40
SHOWN = 5  # file names listed in a message before "and N more"


class OutputRefused(FileExistsError):
    """An output path that must not be written (or replaced); the message says why and what to do.

    A ``FileExistsError`` so that callers catching that keep working; the command line maps it to
    exit code 2 before anything runs.
    """


class OutputError(OSError):
    """Writing the output failed (disk full, permissions changed); what was there is unchanged.

    An ``OSError`` still, for callers that catch that; the message is one line for the user.
    """


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest this tool wrote in ``folder``, or None.

    Only a JSON object with ``"package": "aftersales-sim"`` and this ``manifest_version`` counts:
    a browser extension's ``manifest.json`` does not make its folder replaceable.
    """
    path = Path(folder) / MANIFEST_NAME
    try:
        if not path.is_file() or path.stat().st_size > MAX_MANIFEST_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if (not isinstance(data, dict) or data.get("package") != PACKAGE
            or data.get("manifest_version") != MANIFEST_VERSION):
        return None
    return data


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def shown(names: list[str] | tuple[str, ...]) -> str:
    """A few names for a message: ``a, b, c and 4 more``."""
    head = ", ".join(names[:SHOWN])
    return head if len(names) <= SHOWN else f"{head} and {len(names) - SHOWN} more"


def _entries(folder: Path) -> list[str]:
    """Every file, symbolic link and empty folder under ``folder`` (relative, POSIX; empty
    folders end with ``/``); symbolic links are not followed."""
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        rel = here.relative_to(folder)
        links = [d for d in dirnames if (here / d).is_symlink()]
        if not dirnames and not filenames and rel != Path("."):
            found.append(rel.as_posix() + "/")
        found.extend((rel / name).as_posix() for name in sorted([*filenames, *links]))
    return found


@dataclass(frozen=True)
class Existing:
    """What is at an output path now.

    Attributes:
        path: The path (a symbolic link resolved to its target).
        kind: ``absent``, ``empty`` (an empty folder), ``run`` (a results folder of this tool),
            ``foreign`` (a non-empty folder that is not) or ``file`` (not a folder).
        tool_files: In a run: its manifest and the files it lists that are still there.
        changed: Of those, the ones whose content changed since the run wrote them.
        added: In a run: files (and empty folders) it did not write: the user's.
    """

    path: Path
    kind: Literal["absent", "empty", "run", "foreign", "file"]
    tool_files: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    added: tuple[str, ...] = ()

    @property
    def users(self) -> tuple[str, ...]:
        """Files a rerun without ``overwrite`` must not touch: added or changed."""
        return (*self.added, *self.changed)

    def overwrite_notice(self) -> str:
        """What replacing this run removes and keeps, for the user (empty when nothing)."""
        if self.kind != "run":
            return ""
        text = (f"replacing the previous run in {self.path}: removing its {len(self.tool_files)}"
                " files")
        if self.changed:
            text += f" ({len(self.changed)} changed since the run: {shown(self.changed)})"
        if self.added:
            text += (f"; keeping the {len(self.added)} file(s) it did not write: "
                     f"{shown(self.added)}")
        return text


def inspect(path: Path) -> Existing:
    """Describe what is at ``path`` (a symbolic link is followed); reads, never writes.

    Raises:
        OSError: If the folder cannot be read.
    """
    path = resolve_link(Path(path))
    if not path.exists():
        return Existing(path, "absent")
    if not path.is_dir():
        return Existing(path, "file")
    entries = _entries(path)
    if not entries:
        return Existing(path, "empty")
    doc = read_manifest(path)
    if doc is None:
        return Existing(path, "foreign")
    listed = doc.get("files")
    files: dict[str, Any] = listed if isinstance(listed, dict) else {}
    tool: list[str] = []
    changed: list[str] = []
    added: list[str] = []
    for rel in entries:
        full = path / rel
        if rel == MANIFEST_NAME:
            tool.append(rel)
        elif rel in files:
            tool.append(rel)
            same = (full.is_file() and not full.is_symlink()
                    and sha256_file(full) == files[rel])
            if not same:
                changed.append(rel)
        else:
            added.append(rel)
    return Existing(path, "run", tuple(tool), tuple(changed), tuple(added))


def resolve_link(path: Path) -> Path:
    """``path``, or the target of the symbolic link it is: a results folder is replaced where it
    lives, so the link keeps pointing at it and no dangling link is left behind."""
    try:
        return path.resolve() if path.is_symlink() else path
    except OSError:  # a name too long, a loop: `path_problem` says what is wrong
        return path


def refusal(existing: Existing, overwrite: bool) -> str | None:
    """Why the output at ``existing`` may not be replaced (None when it may)."""
    where = existing.path
    if existing.kind == "file":
        return f"{where} exists and is a file, not a folder; choose another output folder"
    if existing.kind == "foreign":
        return (f"{where} exists and is not a finished results folder of {PACKAGE} (no "
                f"{MANIFEST_NAME} written by it); refusing to replace it: choose another output "
                "folder or remove it yourself")
    if existing.kind == "run" and existing.users and not overwrite:
        parts = []
        if existing.added:
            parts.append(f"{len(existing.added)} file(s) the run did not write "
                         f"({shown(existing.added)})")
        if existing.changed:
            parts.append(f"{len(existing.changed)} file(s) changed since the run "
                         f"({shown(existing.changed)})")
        return (f"{where} holds a finished run and {' and '.join(parts)}; rerun with "
                "--overwrite to replace only the run's own files (yours are kept), or choose "
                "another output folder")
    return None


def _name_max(directory: Path) -> int:
    try:
        return int(os.pathconf(directory, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return 255


def _path_max(directory: Path) -> int:
    try:
        return int(os.pathconf(directory, "PC_PATH_MAX"))
    except (OSError, ValueError, AttributeError):
        return 4096


def nearest_existing(path: Path) -> Path:
    """The deepest existing ancestor of ``path`` (``path`` itself if it exists)."""
    probe = path
    while not os.path.lexists(probe) and probe != probe.parent:
        probe = probe.parent
    return probe


def path_problem(path: Path, kind: Literal["folder", "file"] = "folder") -> str | None:
    """Why nothing can be written at ``path``, found without writing (None when it can).

    Checks: not the root or the current folder (or one of its parents), no part of the path is
    a file, every name fits the file system (with room for the staging folder's suffix), the
    whole path fits, and the folder that will hold it can be written in (a read-only file
    system or a folder without write permission is found here).

    Args:
        path: The output folder (or file, with ``kind="file"``).
        kind: What will be written there, for the wording.
    """
    shown_path = str(path)
    real = Path(os.path.abspath(resolve_link(path)))
    try:
        real = real.resolve()
    except (OSError, RuntimeError) as err:  # a symlink loop
        return f"{shown_path}: cannot resolve the path ({err})"
    if real == Path(real.anchor):
        return f"{shown_path} is the root of the file system; give a new {kind} name"
    if kind == "folder":
        here = Path.cwd().resolve()
        if real == here or real in here.parents:
            return (f"{shown_path} is the current folder or one of its parents; give a new "
                    "folder name, e.g. results/NAME")
    existing = nearest_existing(real.parent)
    if existing.exists() and not existing.is_dir():
        return f"{existing} is a file, so it cannot hold {shown_path}"
    name_max = _name_max(existing if existing.exists() else Path(real.anchor))
    for i, part in enumerate(real.parts[1:], start=1):
        size = len(os.fsencode(part))
        room = name_max - (STAGING_EXTRA if i == len(real.parts) - 1 else 0)
        if size > room:
            return (f"{shown_path}: the name `{part[:40]}...` is {size} bytes long; this file "
                    f"system allows {room} here")
    if len(os.fsencode(str(real))) + STAGING_EXTRA > _path_max(existing):
        return f"{shown_path}: the path is too long for this file system"
    return _probe(existing, shown_path)


def _probe(directory: Path, shown_path: str) -> str | None:
    """Create and remove an empty folder in ``directory``: the one honest test of "writable"
    (permission bits say nothing for root or a read-only mount)."""
    probe = directory / f".{PACKAGE}-probe-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        probe.mkdir()
    except OSError as err:
        reason = err.strerror or str(err)
        if err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return f"cannot write {shown_path}: {directory} is not writable ({reason})"
        return f"cannot write {shown_path}: {reason}"
    try:
        probe.rmdir()
    except OSError:
        shutil.rmtree(probe, ignore_errors=True)
    return None


def check_target(path: Path, overwrite: bool = False) -> Existing:
    """Check, before anything runs, that a results folder may be written at ``path``.

    Args:
        path: The output folder.
        overwrite: Whether a finished run holding the user's files may be replaced (its own
            files only; the user's are kept).

    Returns:
        What is there now (for ``Existing.overwrite_notice``).

    Raises:
        OutputRefused: With one line saying what is wrong and what to do.
    """
    problem = path_problem(Path(path))
    if problem is not None:
        raise OutputRefused(problem)
    try:
        existing = inspect(Path(path))
    except OSError as err:
        raise OutputRefused(f"cannot read {path}: {err.strerror or err}") from None
    reason = refusal(existing, overwrite)
    if reason is not None:
        raise OutputRefused(reason)
    return existing


def check_file_target(path: Path, is_ours: Callable[[Path], bool], overwrite: bool = False,
                      create_parent: bool = True) -> None:
    """Check, before any work, that a single output file may be written at ``path``.

    Args:
        path: The file to write.
        is_ours: Whether an existing file there is one this tool wrote (it may be replaced).
        overwrite: Replace an existing regular file even if it is not ours.
        create_parent: Whether a missing parent folder will be created (else it is an error).

    Raises:
        OutputRefused: With one line saying what is wrong and what to do.
    """
    problem = path_problem(Path(path), kind="file")
    if problem is not None:
        raise OutputRefused(problem)
    path = Path(path)
    if not create_parent and not path.parent.is_dir():
        raise OutputRefused(f"the folder {path.parent} does not exist; create it first or give "
                            "another file")
    if not os.path.lexists(path):
        return
    if path.is_dir():
        raise OutputRefused(f"{path} is a folder; give the file to write, e.g. "
                            f"{path / 'out'}{path.suffix}")
    if not path.is_file():
        raise OutputRefused(f"{path} exists and is not a regular file; refusing to write to it")
    if not overwrite and not is_ours(path):
        raise OutputRefused(f"{path} exists and was not written by {PACKAGE}; refusing to "
                            "overwrite it: choose another file, or add --overwrite")


def starts_with(path: Path, marker: bytes) -> bool:
    """Whether the file at ``path`` begins with ``marker`` (a BOM ignored); False if unreadable."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(marker) + 3)
    except OSError:
        return False
    return head.removeprefix(b"\xef\xbb\xbf").startswith(marker)


def overlap(output: Path, inputs: dict[str, Path]) -> tuple[str, str] | None:
    """The first input that ``output`` is, contains or lies inside, as (option, relation).

    Paths are compared resolved (symbolic links followed) and, when both exist, with
    ``os.path.samefile`` (hard links, bind mounts).

    Args:
        output: A file or folder about to be written.
        inputs: Option name -> path read (a log file, a folder of logs, a base scenario).
    """
    try:
        out = output.resolve()
    except (OSError, RuntimeError):
        return None
    resolved: dict[str, Path] = {}
    for option, given in inputs.items():
        try:
            inp = resolved[option] = given.resolve()
            if out == inp or (out.exists() and inp.exists() and os.path.samefile(out, inp)):
                return option, "is"  # the most precise answer first: the log itself
        except (OSError, RuntimeError):
            continue
    for option, inp in resolved.items():
        if out in inp.parents:
            return option, "contains"
        if inp in out.parents:
            return option, "lies inside"
    return None


_STALE = r"^\.{name}\.partial-(\d+)-[0-9a-f]{{8}}$"


def remove_stale_staging(final: Path) -> list[Path]:
    """Remove the staging folders that killed runs left next to ``final``.

    A staging folder is named ``.NAME.partial-PID-HEX`` and holds only what the tool was
    writing; it is removed only when process PID is gone (a live one may still be writing).

    Returns:
        The folders removed.
    """
    pattern = re.compile(_STALE.format(name=re.escape(final.name)))
    removed: list[Path] = []
    try:
        candidates = list(final.parent.iterdir())
    except OSError:
        return removed
    for entry in candidates:
        found = pattern.match(entry.name)
        if found is None or entry.is_symlink() or not entry.is_dir():
            continue
        if _alive(int(found.group(1))):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # someone else's process (or not a pid at all): leave its folder alone
    return True
