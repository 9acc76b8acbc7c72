"""The results folder: written so that nothing half-finished ever looks finished.

This module owns how a whole results folder reaches the disk: it is assembled in a hidden staging
directory next to its final place, every file is written atomically (`sim.output.atomic`),
`manifest.json` is written last, and only then is the staging directory renamed into place. A
folder is complete exactly when its `manifest.json` exists and parses (`is_finished`). It does
not decide *what* goes into the folder (file names, tables, charts): the CLI and
`sim.experiments.replicate` do.

A process killed with SIGKILL can leave a hidden `.<name>.partial-<pid>-<hex>` directory behind;
it never has the final name, so it is never mistaken for a result.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import secrets
import shlex
import shutil
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import pandas as pd

# The atomic writers and json_safe lived here first; they stay importable from this module.
# _FILE_MODE too: tests check the mode of new files against it.
from sim.output.atomic import atomic_write_bytes, fsync_dir
from sim.scenario.plain import json_safe

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.output.charts.style import ImageFormat


MANIFEST_NAME = "manifest.json"
PACKAGE = "aftersales-sim"
MANIFEST_VERSION = 1


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
    """Tell whether a results folder is complete: its manifest exists and parses.

    Args:
        folder: A results folder.

    Returns:
        True only if `folder/manifest.json` is a file holding a JSON object.
    """
    try:
        data = json.loads((Path(folder) / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict)


def json_text(obj: Any) -> str:
    """JSON as a results folder writes it: indent 2, key order kept, NaN and infinities as null."""
    return json.dumps(json_safe(obj), indent=2, sort_keys=False, allow_nan=False,
                      ensure_ascii=False) + "\n"


def csv_text(df: pd.DataFrame) -> str:
    """A table as a results folder writes it: no index, full float precision, "\\n" line ends."""
    return df.to_csv(index=False, float_format=None, lineterminator="\n")




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

    An existing `final_dir` is replaced only if it is empty or a finished results folder, so a
    mistyped output path cannot delete an unrelated directory.

    Example:
        with ResultsFolder(Path("results/baseline")) as rf:
            rf.write_csv("kpis.csv", table)
            rf.finish(manifest(...))
    """

    def __init__(self, final_dir: Path) -> None:
        """Prepare, without touching the disk.

        Args:
            final_dir: Where the finished folder will live.
        """
        self.final_dir = Path(final_dir)
        self._staging: Path | None = None
        self._finished = False
        self._written: list[str] = []

    @property
    def path(self) -> Path:
        """The staging directory while open; the final directory after `finish`."""
        if self._finished:
            return self.final_dir
        if self._staging is None:
            raise RuntimeError("ResultsFolder is not open; use it in a with-block")
        return self._staging

    def __enter__(self) -> Self:
        """Create the staging directory; fail early if `final_dir` may not be replaced."""
        self._check_replaceable()
        parent = self.final_dir.parent
        parent.mkdir(parents=True, exist_ok=True)
        name = f".{self.final_dir.name}.partial-{os.getpid()}-{secrets.token_hex(4)}"
        staging = parent / name
        staging.mkdir()
        self._staging = staging
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Discard the staging directory unless `finish` published it."""
        if self._finished:
            return
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
        if exc_type is None:
            raise RuntimeError(
                f"ResultsFolder({self.final_dir}) closed without finish(); nothing was written"
            )

    def _check_replaceable(self) -> None:
        target = self.final_dir
        if not target.exists():
            return
        if not target.is_dir():
            raise NotADirectoryError(f"results path {target} exists and is not a directory")
        if any(target.iterdir()) and not is_finished(target):
            raise FileExistsError(
                f"{target} exists and is not a finished results folder (no {MANIFEST_NAME}); "
                "refusing to replace it — choose another output folder or remove it"
            )

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
        reader can check the folder is the one the manifest describes.

        Args:
            manifest: The manifest, usually from `sim.output.folder.manifest`.

        Returns:
            The final directory.

        Raises:
            FileExistsError: If `final_dir` appeared meanwhile and may not be replaced.
        """
        staging = self.path
        content = dict(manifest)
        if "files" not in content:
            content["files"] = {rel: _sha256(staging / rel) for rel in sorted(self._written)}
        # Through atomic_write_bytes, the one writer every file of the folder goes through.
        atomic_write_bytes(staging / MANIFEST_NAME, json_text(content).encode("utf-8"))
        self._check_replaceable()
        self._swap_into_place(staging)
        self._finished = True
        return self.final_dir

    def _swap_into_place(self, staging: Path) -> None:
        """Rename staging to final; an old final is renamed aside first and deleted after."""
        final = self.final_dir
        parent = final.parent
        trash: Path | None = None
        if final.exists():
            trash = parent / f".{final.name}.trash-{os.getpid()}-{secrets.token_hex(4)}"
            os.rename(final, trash)
        try:
            os.rename(staging, final)
        except BaseException:
            if trash is not None:
                os.rename(trash, final)
            raise
        fsync_dir(parent)
        if trash is not None:
            shutil.rmtree(trash, ignore_errors=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
