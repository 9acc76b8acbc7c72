"""Your files are safe: what an output path may replace, and what it never touches (issue 14).

Only a folder this tool finished (its own manifest) is ever replaced; a rerun never deletes a file
the tool did not write; output path problems are one-line errors before anything runs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sim.cli import main
from sim.output.folder import ResultsFolder, is_finished, manifest

TINY = """\
name: tiny
horizon_days: 1
demand: {contacts_per_day: 40, mix: {inquiry: 1.0}}
call_center:
  agents: 2
  handle_minutes: {inquiry: 5}
"""


@pytest.fixture()
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    return path


def _run(scenario: Path, out: Path, *extra: str) -> int:
    return main(["run", str(scenario), "--reps", "2", "--workers", "1", "--quiet", "--out",
                 str(out), *extra])


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# --- 1. only this tool's manifest makes a folder replaceable ---------------------------------


def test_someone_elses_manifest_is_not_a_results_folder(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    extension = tmp_path / "my-extension"
    extension.mkdir()
    (extension / "manifest.json").write_text('{"name": "My Extension", "version": "1.0"}\n')
    (extension / "background.js").write_text("chrome.runtime.onInstalled.addListener(() => 1);\n")
    before = _snapshot(extension)
    assert not is_finished(extension)
    assert _run(tiny, extension) == 2
    err = capsys.readouterr().err
    assert "not a finished results folder" in err and "Traceback" not in err
    assert _snapshot(extension) == before


@pytest.mark.parametrize("doc", [
    {},
    {"package": "aftersales-sim"},  # no format version
    {"package": "aftersales-sim", "manifest_version": 99, "files": {}},
    {"package": "other-tool", "manifest_version": 1, "files": {}},
    [1, 2],
])
def test_is_finished_needs_this_tools_marker_and_version(tmp_path: Path, doc: object) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps(doc))
    assert not is_finished(tmp_path)
    with pytest.raises(FileExistsError), ResultsFolder(tmp_path):
        pass
    assert (tmp_path / "manifest.json").is_file()


def test_a_deeply_nested_manifest_is_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("[" * 200_000 + "]" * 200_000)
    assert not is_finished(tmp_path)


# --- 2. a rerun never deletes the user's files -----------------------------------------------


def test_rerun_refuses_when_the_user_added_files(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert _run(tiny, out) == 0
    (out / "my_notes.txt").write_text("the agents were sick on Tuesday\n")
    (out / "analysis").mkdir()
    (out / "analysis" / "plot.py").write_text("print('mine')\n")
    before = _snapshot(out)
    capsys.readouterr()
    assert _run(tiny, out, "--seed", "5") == 2
    err = capsys.readouterr().err
    assert "my_notes.txt" in err and "--overwrite" in err and "Traceback" not in err
    assert _snapshot(out) == before  # nothing replaced, nothing deleted


def test_overwrite_replaces_only_the_runs_files_and_says_so(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert _run(tiny, out) == 0
    old = json.loads((out / "manifest.json").read_text())
    (out / "my_notes.txt").write_text("keep me\n")
    (out / "analysis").mkdir()
    (out / "analysis" / "plot.py").write_text("print('mine')\n")
    capsys.readouterr()
    assert _run(tiny, out, "--seed", "5", "--overwrite") == 0
    err = capsys.readouterr().err
    assert "--overwrite" in err and "my_notes.txt" in err and "keep" in err
    assert f"{len(old['files']) + 1} files" in err  # the run's files and its manifest
    assert (out / "my_notes.txt").read_text() == "keep me\n"
    assert (out / "analysis" / "plot.py").read_text() == "print('mine')\n"
    new = json.loads((out / "manifest.json").read_text())
    assert new["seed"] == 5 and "my_notes.txt" not in new["files"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "tiny.yaml"]
    # The kept files stay the user's: the next rerun refuses again without --overwrite.
    assert _run(tiny, out) == 2


def test_a_file_the_user_changed_counts_as_theirs(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert _run(tiny, out) == 0
    (out / "summary.csv").write_text("edited in a spreadsheet\n")
    capsys.readouterr()
    assert _run(tiny, out) == 2
    err = capsys.readouterr().err
    assert "summary.csv" in err and "changed" in err
    assert (out / "summary.csv").read_text() == "edited in a spreadsheet\n"


def test_rerun_of_an_untouched_run_replaces_it(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _run(tiny, out) == 0
    assert _run(tiny, out, "--seed", "9") == 0  # `make run` twice: nothing of the user's at stake
    assert json.loads((out / "manifest.json").read_text())["seed"] == 9
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "tiny.yaml"]


def test_overwrite_never_replaces_a_users_file_with_a_new_one(tmp_path: Path) -> None:
    final = tmp_path / "run"
    t0 = manifest(1, 1, ["x"], _t(), _t())
    with ResultsFolder(final) as rf:
        rf.write_text("a.txt", "a")
        rf.finish(t0)
    (final / "b.txt").write_text("the user's b")
    with pytest.raises(FileExistsError, match=r"b\.txt"), \
            ResultsFolder(final, overwrite=True) as rf:
        rf.write_text("b.txt", "the tool's b")
        rf.finish(t0)
    assert (final / "b.txt").read_text() == "the user's b"
    assert (final / "a.txt").read_text() == "a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def _t() -> datetime:
    return datetime(2026, 1, 5, tzinfo=UTC)


# --- small ones: symlinked --out, stale staging folders --------------------------------------


def test_symlinked_out_leaves_nothing_dangling(tiny: Path, tmp_path: Path) -> None:
    target = tmp_path / "store" / "runs"
    target.mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(target, target_is_directory=True)
    assert _run(tiny, link) == 0
    assert _run(tiny, link, "--seed", "3") == 0
    assert link.is_symlink() and is_finished(link) and is_finished(target)
    assert json.loads((link / "manifest.json").read_text())["seed"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "store", "tiny.yaml"]
    assert sorted(p.name for p in (tmp_path / "store").iterdir()) == ["runs"]


def test_stale_staging_folders_of_dead_runs_are_removed(tiny: Path, tmp_path: Path) -> None:
    import subprocess
    import sys
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(dead.stdout)
    stale = tmp_path / f".out.partial-{pid}-0123abcd"
    stale.mkdir()
    (stale / "replications.csv").write_text("half\n")
    alive = tmp_path / f".out.partial-{1}-0123abcd"  # pid 1 is always alive: not ours to remove
    alive.mkdir()
    assert _run(tiny, tmp_path / "out") == 0
    assert not stale.exists() and alive.exists()
