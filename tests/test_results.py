"""The results folder: atomic files, manifest last, nothing left behind on failure."""

from __future__ import annotations

import json
import math
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from sim.output import atomic
from sim.output import folder as results
from sim.output.atomic import atomic_write_bytes, atomic_write_text
from sim.output.folder import ResultsFolder, is_finished, manifest
from sim.scenario.plain import json_safe

T0 = datetime(2025, 3, 1, 8, 0, 0, tzinfo=UTC)


def _manifest() -> dict[str, object]:
    return manifest(7, 3, ["aftersales-sim", "run", "x.yaml"], T0, T0 + timedelta(seconds=2.5))


def _entries(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir())


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    atomic_write_text(target, "old\n")
    atomic_write_bytes(target, b"new\r\n")
    assert target.read_bytes() == b"new\r\n"
    assert _entries(tmp_path) == ["a.txt"]


def test_atomic_write_failure_keeps_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old")

    def boom(src: object, dst: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(results.os, "replace", boom)
    with pytest.raises(OSError, match="disk gone"):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert _entries(tmp_path) == ["a.txt"]


def test_atomic_write_new_file_is_not_private(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    atomic_write_text(target, "x")
    if os.name == "posix":
        # mkstemp-style 0600 would hide results from colleagues.
        assert target.stat().st_mode & 0o777 == atomic._FILE_MODE


def test_finished_folder_has_files_and_manifest(tmp_path: Path) -> None:
    final = tmp_path / "out" / "baseline"
    with ResultsFolder(final) as rf:
        assert rf.path.parent == final.parent
        assert rf.path.name.startswith(".baseline.partial-")
        assert not final.exists()
        rf.write_text("notes.txt", "hello\n")
        rf.write_csv("tables/kpis.csv", pd.DataFrame({"a": [1, 2], "b": [0.1, 1 / 3]}))
        rf.write_json("summary.json", {"x": 1})
        rf.finish(_manifest())
    assert rf.path == final
    assert is_finished(final)
    assert _entries(final.parent) == ["baseline"]
    csv = (final / "tables" / "kpis.csv").read_bytes()
    assert b"\r\n" not in csv
    assert csv.splitlines()[0] == b"a,b"
    assert csv.splitlines()[2] == b"2,0.3333333333333333"
    data = json.loads((final / "manifest.json").read_text())
    assert data["seed"] == 7
    assert set(data["files"]) == {"notes.txt", "tables/kpis.csv", "summary.json"}


def test_manifest_is_written_last_and_before_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    final = tmp_path / "run"
    order: list[tuple[str, bool]] = []
    real = results.atomic_write_bytes

    def recording(path: Path, data: bytes) -> None:
        order.append((Path(path).name, final.exists()))
        real(path, data)

    monkeypatch.setattr(results, "atomic_write_bytes", recording)
    with ResultsFolder(final) as rf:
        rf.write_text("a.txt", "a")
        rf.write_json("b.json", [1])
        rf.finish(_manifest())
    assert [name for name, _ in order] == ["a.txt", "b.json", "manifest.json"]
    assert all(not existed for _, existed in order)
    assert is_finished(final)


@pytest.mark.parametrize("error", [RuntimeError("model failed"), KeyboardInterrupt()])
def test_exception_leaves_nothing(tmp_path: Path, error: BaseException) -> None:
    final = tmp_path / "run"
    with pytest.raises(type(error)), ResultsFolder(final) as rf:
        rf.write_text("a.txt", "a")
        rf.write_bytes("charts/x.png", b"\x89PNG")
        raise error
    assert _entries(tmp_path) == []


def test_exception_keeps_previous_results(tmp_path: Path) -> None:
    final = tmp_path / "run"
    with ResultsFolder(final) as rf:
        rf.write_text("a.txt", "first")
        rf.finish(_manifest())
    with pytest.raises(KeyboardInterrupt), ResultsFolder(final) as rf:
        rf.write_text("a.txt", "second")
        raise KeyboardInterrupt
    assert (final / "a.txt").read_text() == "first"
    assert _entries(tmp_path) == ["run"]


def test_failure_after_manifest_before_rename_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    final = tmp_path / "run"

    def no_rename(src: object, dst: object) -> None:
        raise OSError("rename refused")

    monkeypatch.setattr(results.os, "rename", no_rename)
    with pytest.raises(OSError, match="rename refused"), ResultsFolder(final) as rf:
        rf.write_text("a.txt", "a")
        rf.finish(_manifest())
    assert _entries(tmp_path) == []


def test_replacing_existing_folder(tmp_path: Path) -> None:
    final = tmp_path / "run"
    with ResultsFolder(final) as rf:
        rf.write_text("old.txt", "old")
        rf.finish(_manifest())
    with ResultsFolder(final) as rf:
        rf.write_text("new.txt", "new")
        rf.finish(_manifest())
    assert _entries(final) == ["manifest.json", "new.txt"]
    assert _entries(tmp_path) == ["run"]  # no trash or staging left


def test_failed_swap_restores_previous_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    final = tmp_path / "run"
    with ResultsFolder(final) as rf:
        rf.write_text("a.txt", "first")
        rf.finish(_manifest())
    real = os.rename
    calls: list[str] = []

    def second_rename_fails(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls.append(Path(dst).name)
        if len(calls) == 2:  # old -> trash worked; staging -> final fails
            raise OSError("rename refused")
        real(src, dst)

    monkeypatch.setattr(results.os, "rename", second_rename_fails)
    with pytest.raises(OSError, match="rename refused"), ResultsFolder(final) as rf:
        rf.write_text("a.txt", "second")
        rf.finish(_manifest())
    assert (final / "a.txt").read_text() == "first"
    assert _entries(tmp_path) == ["run"]


def test_refuses_to_replace_a_foreign_directory(tmp_path: Path) -> None:
    final = tmp_path / "Documents"
    final.mkdir()
    (final / "thesis.docx").write_bytes(b"precious")
    with pytest.raises(FileExistsError, match="not a finished results folder"), ResultsFolder(
        final
    ):
        pass
    assert (final / "thesis.docx").read_bytes() == b"precious"
    assert _entries(tmp_path) == ["Documents"]


def test_empty_existing_directory_is_replaced(tmp_path: Path) -> None:
    final = tmp_path / "run"
    final.mkdir()
    with ResultsFolder(final) as rf:
        rf.finish(_manifest())
    assert is_finished(final)


def test_leaving_without_finish_discards_and_raises(tmp_path: Path) -> None:
    final = tmp_path / "run"
    with pytest.raises(RuntimeError, match="without finish"), ResultsFolder(final) as rf:
        rf.write_text("a.txt", "a")
    assert _entries(tmp_path) == []


@pytest.mark.parametrize("rel", ["../escape.txt", "/abs.txt", "manifest.json", ""])
def test_rejects_paths_outside_or_reserved(tmp_path: Path, rel: str) -> None:
    with pytest.raises(ValueError), ResultsFolder(tmp_path / "run") as rf:
        rf.write_text(rel, "x")
    assert _entries(tmp_path) == []


def test_json_nan_and_numpy_become_plain(tmp_path: Path) -> None:
    value = {
        "nan": float("nan"),
        "inf": [math.inf, -np.inf],
        "np_nan": np.float64("nan"),
        "np_int": np.int64(3),
        "arr": np.array([1.5, np.nan]),
        np.int64(5): "numpy key",
        "when": datetime(2025, 1, 2, tzinfo=UTC),
        "na": pd.NA,
    }
    expected = {
        "nan": None,
        "inf": [None, None],
        "np_nan": None,
        "np_int": 3,
        "arr": [1.5, None],
        "5": "numpy key",
        "when": "2025-01-02T00:00:00+00:00",
        "na": None,
    }
    assert json_safe(value) == expected
    with ResultsFolder(tmp_path / "run") as rf:
        rf.write_json("v.json", value)
        rf.finish(_manifest())
    text = (tmp_path / "run" / "v.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text) == expected


def test_write_figure_writes_png_and_svg(tmp_path: Path) -> None:
    fig = Figure(figsize=(2, 2))
    fig.subplots().plot([0, 1], [1, 0])
    with ResultsFolder(tmp_path / "run") as rf:
        written = rf.write_figure("line", fig)
        rf.finish(_manifest())
    assert [p.name for p in written] == ["line.png", "line.svg"]
    charts = tmp_path / "run" / "charts"
    assert (charts / "line.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert b"<svg" in (charts / "line.svg").read_bytes()


def test_manifest_fields() -> None:
    local = datetime(2025, 3, 1, 10, 0, 0, tzinfo=UTC).astimezone()
    m = manifest(
        42, 10, ["aftersales-sim", "run", "my scenario.yaml"], local,
        local + timedelta(minutes=1), extra={"scenario_sha256": "abc"},
    )
    for key in ("package", "python", "simpy", "numpy", "pandas", "scipy", "platform"):
        assert isinstance(m[key], str) and m[key]
    assert m["package"] == "aftersales-sim"
    assert m["seed"] == 42 and m["replications"] == 10
    assert m["command"] == "aftersales-sim run 'my scenario.yaml'"
    assert m["argv"] == ["aftersales-sim", "run", "my scenario.yaml"]
    assert m["started"] == "2025-03-01T10:00:00.000Z"
    assert m["ended"] == "2025-03-01T10:01:00.000Z"
    assert m["wall_seconds"] == 60.0
    assert m["scenario_sha256"] == "abc"
    json.dumps(m, allow_nan=False)


def test_manifest_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="before"):
        manifest(1, 1, [], T0, T0 - timedelta(seconds=1))
    with pytest.raises(ValueError, match="seed"):
        manifest(1, 1, [], T0, T0, extra={"seed": 2})


def test_is_finished(tmp_path: Path) -> None:
    assert not is_finished(tmp_path / "missing")
    assert not is_finished(tmp_path)
    (tmp_path / "manifest.json").write_text("{trunc")
    assert not is_finished(tmp_path)
    (tmp_path / "manifest.json").write_text("{}")
    assert not is_finished(tmp_path)  # a JSON object is not enough: it must be this tool's
    (tmp_path / "manifest.json").write_text(json.dumps(_manifest()))
    assert is_finished(tmp_path)
