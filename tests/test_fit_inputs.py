"""`fit` never overwrites what it reads, and hostile logs get located messages (issue 14, 3, 10-12).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sim.cli import main

TINY = """\
name: tiny
horizon_days: 2
demand: {contacts_per_day: 60, mix: {inquiry: 1.0}}
call_center:
  agents: 2
  handle_minutes: {inquiry: {dist: exponential, mean: 5}}
  patience_minutes: {dist: exponential, mean: 4}
"""


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fit")
    scenario = root / "tiny.yaml"
    scenario.write_text(TINY, encoding="utf-8")
    out = root / "run"
    assert main(["run", str(scenario), "--reps", "1", "--workers", "1", "--quiet", "--events",
                 "--out", str(out)]) == 0
    return out


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# --- 3. outputs that are, contain or lie inside an input --------------------------------------

CLASHES = {
    "report is the run folder": ("--report", "{run}", "contains"),
    "report is the events folder": ("--report", "{run}/events", "is"),
    "report inside the events folder": ("--report", "{run}/events/rep", "lies inside"),
    "out is a log": ("--out", "{run}/events/calls.csv", "is"),
    "out is the base": ("--out", "{run}/scenario.yaml", "is"),
    "out inside the events folder": ("--out", "{run}/events/fitted.yaml", "lies inside"),
    "out is a hard link to a log": ("--out", "{tmp}/hard.yaml", "is"),
    "out is a symlink to the base": ("--out", "{tmp}/soft.yaml", "is"),
}


@pytest.mark.parametrize("case", sorted(CLASHES))
def test_fit_refuses_outputs_that_overlap_its_inputs(
        case: str, run_folder: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    os.link(run_folder / "events" / "calls.csv", tmp_path / "hard.yaml")
    (tmp_path / "soft.yaml").symlink_to(run_folder / "scenario.yaml")
    option, template, relation = CLASHES[case]
    target = template.format(run=run_folder, tmp=tmp_path)
    argv = ["fit", "--events", str(run_folder / "events"), "--base",
            str(run_folder / "scenario.yaml"), "--quiet"]
    argv += ["--out", str(tmp_path / "fitted.yaml")] if option == "--report" else []
    argv += [option, target]
    before = _tree(run_folder)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"error: {option}:" in err and relation in err and "Traceback" not in err
    assert err.count("\n") == 1
    assert _tree(run_folder) == before
    assert not (tmp_path / "fitted.yaml").exists() and not (tmp_path / "fitted.fit").exists()


def test_fit_refuses_to_overwrite_a_file_it_did_not_write(
        run_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text("name: my-hand-written-scenario\n")
    argv = ["fit", "--events", str(run_folder / "events"), "--quiet", "--out", str(mine)]
    assert main(argv) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert mine.read_text() == "name: my-hand-written-scenario\n"
    # A file fit wrote is its own: the next fit replaces it without asking.
    fitted = tmp_path / "fitted.yaml"
    assert main(["fit", "--events", str(run_folder / "events"), "--quiet", "--out",
                 str(fitted)]) == 0
    assert main(["fit", "--events", str(run_folder / "events"), "--quiet", "--out",
                 str(fitted)]) == 0
    assert main([*argv, "--overwrite"]) == 0
    assert mine.read_text().startswith("# Scenario fitted by `aftersales-sim fit`")
