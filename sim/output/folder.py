"""The results folder: written so that nothing half-finished ever looks finished.

This module owns how a whole results folder reaches the disk: it is assembled in a hidden staging
directory next to its final place, every file is written atomically (`sim.output.atomic`),
`manifest.json` is written last, and only then is the staging directory renamed into place. A
folder is complete exactly when its `manifest.json` exists, parses and is this tool's
(`is_finished`). It does not decide *what* goes into the folder (file names, tables, charts): the
CLI and `sim.experiments.replicate` do. What may be replaced, and what never is, is
`sim.output.target`: only a finished run's own files, never a file the user added.

A process killed with SIGKILL can leave a hidden `.<name>.partial-<pid>-<hex>` directory behind;
it never has the final name, so it is never mistaken for a result, and the next run writing the
same folder removes it once process <pid> is gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import secrets
import shlex
import shutil
import zipfile
from collections.abc import Sequence
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import pandas as pd

# The atomic writers and json_safe lived here first; they stay importable from this module.
# _FILE_MODE too: tests check the mode of new files against it.
from sim.output.atomic import atomic_write_bytes, fsync_dir
from sim.output.target import (
    MANIFEST_NAME,
    MANIFEST_VERSION,
    PACKAGE,
    Existing,
    OutputError,
    OutputRefused,
    check_target,
    inspect,
    read_manifest,
    refusal,
    remove_stale_staging,
    resolve_link,
    sha256_file,
)
from sim.scenario.plain import json_safe

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.output.charts.style import ImageFormat

__all__ = ["MANIFEST_NAME", "MANIFEST_VERSION", "PACKAGE", "OutputError", "OutputRefused",
           "ResultsFolder", "atomic_write_bytes", "is_finished", "manifest"]


def _iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z suffix; naive datetimes are taken as local time."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


def manifest(
    seed: int,
    replications: int,
    command: list[str],
    started: datetime,
    ended: datetime,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the manifest that marks a results folder as complete and reproducible.

    Args:
        seed: Base seed of the run.
        replications: Number of replications run.
        command: The argv that produced the run.
        started: Start time (aware, or naive local time).
        ended: End time, not before `started`.
        extra: More keys to merge in (e.g. scenario hash, git sha); they may not replace the
            standard keys.

    Returns:
        A JSON-ready dict: seed, replications, package, package_version, versions of python,
        simpy, numpy, pandas, scipy and matplotlib, platform, command (shell-quoted string),
        argv (list), started and ended (ISO 8601 UTC), wall_seconds, and the `extra` keys.

    Raises:
        ValueError: If `ended` is before `started` or `extra` repeats a standard key.
    """
    wall = (ended.astimezone(UTC) - started.astimezone(UTC)).total_seconds()
    if wall < 0:
        raise ValueError(f"ended ({ended.isoformat()}) is before started ({started.isoformat()})")
    result: dict[str, Any] = {
        "manifest_version": MANIFEST_VERSION,
        "seed": int(seed),
        "replications": int(replications),
        "package": PACKAGE,
        "package_version": _version(PACKAGE),
        "python": platform.python_version(),
        "simpy": _version("simpy"),
        "numpy": _version("numpy"),
        "pandas": _version("pandas"),
        "scipy": _version("scipy"),
        "matplotlib": _version("matplotlib"),
        "platform": platform.platform(),
        "command": shlex.join(command),
        "argv": list(command),
        "started": _iso_utc(started),
        "ended": _iso_utc(ended),
        "wall_seconds": round(wall, 3),
    }
    clash = sorted(set(extra or {}) & set(result))
    if clash:
        raise ValueError(f"manifest extra keys {clash} would replace standard keys")
    result.update(extra or {})
    return result


def is_finished(folder: Path) -> bool:
    """Tell whether a results folder is complete: this tool's manifest exists and parses.

    Args:
        folder: A results folder.

    Returns:
        True only if `folder/manifest.json` is a JSON object this tool wrote (its `package`
        and `manifest_version`); any other `manifest.json` is someone else's.
    """
    return read_manifest(Path(folder)) is not None


def json_text(obj: Any) -> str:
    """JSON as a results folder writes it: indent 2, key order kept, NaN and infinities as null."""
    return json.dumps(json_safe(obj), indent=2, sort_keys=False, allow_nan=False,
                      ensure_ascii=False) + "\n"


def csv_text(df: pd.DataFrame) -> str:
    """A table as a results folder writes it: no index, full float precision, "\\n" line ends."""
    return df.to_csv(index=False, float_format=None, lineterminator="\n")


def zip_entry(name: str, created: date) -> zipfile.ZipInfo:
    """A deflated, world-readable zip entry stamped with ``created`` (midnight): a zip built
    twice on one day from the same run has the same bytes."""
    info = zipfile.ZipInfo(name, date_time=(max(created.year, 1980), created.month,
                                            created.day, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


class ResultsFolder:
    """A results folder that appears under its final name only when complete.

    Use it as a context manager. All writes go into a hidden staging directory next to
    `final_dir`, and `finish(manifest)` writes `manifest.json` last and swaps the staging
    directory into place. Leaving the block by an exception (KeyboardInterrupt included)
    removes the staging directory and leaves `final_dir` as it was. Leaving it normally without
    `finish` also discards the staging directory, then raises, because silently losing results
    is a bug in the caller.

    The write_* methods take `rel`, a POSIX-style path relative to the folder (parent
    directories are created; absolute paths, ".." and manifest.json are refused) and return the
    staging path written.

    An existing `final_dir` is replaced only if it is empty or a finished results folder of
    this tool, so a mistyped output path cannot delete an unrelated directory; a finished run
    holding files it did not write (or that changed since) is replaced only with
    `overwrite=True`, and then only its own files go: the user's stay in the new folder. A
    symbolic link is followed: the folder is replaced where it lives and the link stays valid.
    Any OSError while writing (a full disk) discards the staging directory, leaves `final_dir`
    as it was and becomes an `OutputError` saying so.

    Example:
        with ResultsFolder(Path("results/baseline")) as rf:
            rf.write_csv("kpis.csv", table)
            rf.finish(manifest(...))
    """

    def __init__(self, final_dir: Path, overwrite: bool = False) -> None:
        """Prepare, without touching the disk.

        Args:
            final_dir: Where the finished folder will live.
            overwrite: Replace a finished run even if it holds files it did not write (they
                are kept in the new folder; only the run's own files are removed).
        """
        self.shown_dir = Path(final_dir)
        self.final_dir = resolve_link(Path(final_dir))
        self.overwrite = overwrite
        self._staging: Path | None = None
        self._finished = False
        self._written: list[str] = []
        self._existed = False

    @property
    def path(self) -> Path:
        """The staging directory while open; the final directory after `finish`."""
        if self._finished:
            return self.final_dir
        if self._staging is None:
            raise RuntimeError("ResultsFolder is not open; use it in a with-block")
        return self._staging

    def __enter__(self) -> Self:
        """Create the staging directory; fail early if `final_dir` may not be replaced.

        Raises:
            OutputRefused: If `final_dir` may not be written or replaced.
            OutputError: If the staging directory cannot be created.
        """
        existing = check_target(self.final_dir, self.overwrite)
        self._existed = existing.kind != "absent"
        parent = self.final_dir.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            remove_stale_staging(self.final_dir)
            name = f".{self.final_dir.name}.partial-{os.getpid()}-{secrets.token_hex(4)}"
            staging = parent / name
            staging.mkdir()
        except OSError as err:
            raise OutputError(self._failed(err)) from err
        self._staging = staging
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Discard the staging directory unless `finish` published it.

        An OSError from the block (a full disk, a permission lost) is raised again as an
        `OutputError` that says the previous folder is unchanged.
        """
        if self._finished:
            return
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
        if exc_type is None:
            raise RuntimeError(
                f"ResultsFolder({self.final_dir}) closed without finish(); nothing was written"
            )
        if isinstance(exc, OSError) and not isinstance(exc, OutputRefused | OutputError):
            raise OutputError(self._failed(exc)) from exc

    def _failed(self, err: OSError) -> str:
        """One line for a write that failed: the reason and what is left as it was."""
        reason = err.strerror or str(err)
        kept = (f"the previous contents of {self.shown_dir} are unchanged" if self._existed
                else "nothing was written")
        return f"could not write the results folder {self.shown_dir}: {reason}; {kept}"

    def _check_replaceable(self) -> Existing:
        """What is at `final_dir` now, refused if it may not be replaced (it may have changed
        since `__enter__`)."""
        existing = inspect(self.final_dir)
        reason = refusal(existing, self.overwrite)
        if reason is not None:
            raise OutputRefused(reason)
        return existing

    def _target(self, rel: str | Path) -> tuple[Path, str]:
        """Resolve a relative path inside the staging dir, creating its parent directories."""
        if self._finished:
            raise RuntimeError("ResultsFolder is finished; no more writes")
        rel_path = PurePosixPath(Path(rel).as_posix())
        if rel_path.is_absolute() or ".." in rel_path.parts or not rel_path.parts:
            raise ValueError(f"results path must be relative and inside the folder: {rel!r}")
        if rel_path.as_posix() == MANIFEST_NAME:
            raise ValueError(f"{MANIFEST_NAME} is written only by finish()")
        target = self.path.joinpath(*rel_path.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target, rel_path.as_posix()

    def write_bytes(self, rel: str | Path, data: bytes) -> Path:
        """Write a binary file atomically."""
        target, key = self._target(rel)
        atomic_write_bytes(target, data)
        # Recorded only after success, so the manifest never lists a file that is not there.
        if key not in self._written:
            self._written.append(key)
        return target

    def path_for(self, rel: str | Path) -> Path:
        """The staging path of ``rel`` (parent directories created), for a file written piece
        by piece (an event log as replications arrive); ``adopt`` it once it is complete."""
        return self._target(rel)[0]

    def adopt(self, rel: str | Path) -> None:
        """List a file written through ``path_for`` in the manifest."""
        target, key = self._target(rel)
        if not target.is_file():
            raise ValueError(f"{key} was not written")
        if key not in self._written:
            self._written.append(key)

    def write_text(self, rel: str | Path, text: str) -> Path:
        """Write a UTF-8 text file atomically, without newline translation."""
        return self.write_bytes(rel, text.encode("utf-8"))

    def write_csv(self, rel: str | Path, df: pd.DataFrame) -> Path:
        """Write a table as CSV: no index, full float precision, "\\n" line ends on every OS."""
        return self.write_text(rel, csv_text(df))

    def write_json(self, rel: str | Path, obj: Any) -> Path:
        """Write JSON: indent 2, key order kept, NaN and infinities as null (see `json_safe`)."""
        return self.write_text(rel, json_text(obj))

    def write_figure(
        self,
        rel_stem: str,
        fig: Figure,
        formats: Sequence[ImageFormat] = ("png", "svg"),
    ) -> list[Path]:
        """Write a figure as charts/<rel_stem>.<format> for each format.

        Args:
            rel_stem: File name without extension, e.g. "service_level_per_day".
            fig: The figure.
            formats: Any of "png", "svg", "pdf".

        Returns:
            The staging paths written.
        """
        # Imported here so that reading or writing tables does not pull in matplotlib.
        from sim.output.charts.style import figure_bytes

        return [
            self.write_bytes(f"charts/{rel_stem}.{fmt}", figure_bytes(fig, fmt)) for fmt in formats
        ]

    def finish(self, manifest: dict[str, Any]) -> Path:
        """Write manifest.json last, then move the folder into place.

        A `files` entry (relative path -> SHA-256) is added unless the manifest has one, so a
        reader can check the folder is the one the manifest describes, and a rerun can tell the
        run's files from the user's.

        Args:
            manifest: The manifest, usually from `sim.output.folder.manifest`.

        Returns:
            The final directory.

        Raises:
            OutputRefused: If `final_dir` changed meanwhile so that it may not be replaced, or
                a file the user added sits where the new folder has one of its own.
        """
        staging = self.path
        content = dict(manifest)
        if "files" not in content:
            content["files"] = {rel: sha256_file(staging / rel) for rel in sorted(self._written)}
        # Through atomic_write_bytes, the one writer every file of the folder goes through.
        atomic_write_bytes(staging / MANIFEST_NAME, json_text(content).encode("utf-8"))
        existing = self._check_replaceable()
        clash = [rel for rel in existing.added if _occupied(staging, rel)]
        if clash:
            raise OutputRefused(
                f"{self.shown_dir} holds file(s) the previous run did not write where the new "
                f"run writes its own ({', '.join(clash[:5])}); nothing was changed: move them "
                "away and rerun")
        self._swap_into_place(staging, existing)
        self._finished = True
        return self.final_dir

    def _swap_into_place(self, staging: Path, existing: Existing) -> None:
        """Rename staging to final; an old final is renamed aside first. Then the user's files
        move from the old folder into the new one, and only the old run's own files are
        deleted: a crash in between leaves the user's files in `.NAME.trash-*`, never lost."""
        final = self.final_dir
        parent = final.parent
        trash: Path | None = None
        if existing.kind != "absent":
            trash = parent / f".{final.name}.trash-{os.getpid()}-{secrets.token_hex(4)}"
            os.rename(final, trash)
        try:
            os.rename(staging, final)
        except BaseException:
            if trash is not None:
                os.rename(trash, final)
            raise
        fsync_dir(parent)
        if trash is None:
            return
        for rel in existing.added:
            target = final / rel.rstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            os.rename(trash / rel.rstrip("/"), target)
        _delete_tool_files(trash, existing.tool_files)


def _occupied(folder: Path, rel: str) -> bool:
    """Whether `rel` (or a file in the way of it) exists in `folder`."""
    parts = PurePosixPath(rel.rstrip("/")).parts
    for i in range(1, len(parts) + 1):
        here = folder.joinpath(*parts[:i])
        if os.path.lexists(here) and (i == len(parts) or not here.is_dir()):
            return True
    return False


def _delete_tool_files(trash: Path, tool_files: tuple[str, ...]) -> None:
    """Delete the old run's own files from its renamed-aside folder, then its empty folders.

    Only the listed files go; anything else found there (a file that appeared after the check)
    stays, and so does the folder holding it.
    """
    for rel in tool_files:
        with contextlib.suppress(OSError):
            (trash / rel).unlink()
    # Deepest first; a folder that is not empty holds something the run did not write.
    for dirpath, _dirs, _files in os.walk(trash, topdown=False):
        with contextlib.suppress(OSError):
            os.rmdir(dirpath)
