"""Output path problems are one-line errors found before anything runs (issue 14, item 4).

Every command that writes a folder checks its output before simulating: someone else's folder, a
file, a path under a file, `/`, `.`, a name too long, a read-only file system. A disk that fills
up while the folder is written leaves the previous results as they were and says so in one line.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import sim.calibrate.fit
import sim.experiments.replicate
from sim.cli import main
from sim.output import atomic

TINY = """\
name: tiny
horizon_days: 1
demand: {contacts_per_day: 40, mix: {inquiry: 1.0}}
call_center:
  agents: 2
  handle_minutes: {inquiry: 5}
  patience_minutes: {dist: exponential, mean: 4}
targets: {service_level: 0.5}
"""


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny scenario, a second one, and the event logs of a run of it."""
    root = tmp_path_factory.mktemp("inputs")
    first = root / "tiny.yaml"
    first.write_text(TINY, encoding="utf-8")
    second = root / "other.yaml"
    second.write_text(TINY.replace("name: tiny", "name: other").replace("agents: 2",
                                                                         "agents: 3"))
    run = root / "run"
    assert main(["run", str(first), "--reps", "1", "--workers", "1", "--quiet", "--events",
                 "--out", str(run)]) == 0
    return {"scenario": first, "other": second, "events": run / "events"}


def _argv(command: str, inputs: dict[str, Path], out: str) -> list[str]:
    s = str(inputs["scenario"])
    return {
        "run": ["run", s],
        "stress": ["stress", s, "--shock", "demand_surge"],
        "warmup": ["warmup", s],
        "optimize": ["optimize", s, "--decide", "call_center.agents"],
        "sweep": ["sweep", s, "--vary", "call_center.agents=2,3"],
        "compare": ["compare", s, str(inputs["other"])],
        "fit": ["fit", "--events", str(inputs["events"]), "--out", "fitted.yaml", "--report"],
    }[command] + ([out] if command == "fit" else ["--out", out]) + (
        [] if command == "fit" else ["--workers", "1", "--reps", "3", "--quiet"])


COMMANDS = ("run", "stress", "warmup", "optimize", "sweep", "compare", "fit")


def _nothing_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("simulated before the output path was checked")

    monkeypatch.setattr(sim.experiments.replicate, "simulate", refuse)
    monkeypatch.setattr(sim.calibrate.fit, "read_logs", refuse)


def _case(name: str, tmp: Path) -> tuple[str, str]:
    """(the --out argument, words the message must hold) for each bad output."""
    if name == "foreign folder":
        folder = tmp / "Documents"
        folder.mkdir()
        (folder / "thesis.docx").write_bytes(b"precious")
        return str(folder), "not a finished results folder"
    if name == "file":
        (tmp / "notes.txt").write_text("mine")
        return str(tmp / "notes.txt"), "is a file"
    if name == "under a file":
        (tmp / "notes.txt").write_text("mine")
        return str(tmp / "notes.txt" / "out"), "is a file"
    if name == "root":
        return "/", "root of the file system"
    if name == "current folder":
        return ".", "current folder"
    if name == "name too long":
        return str(tmp / ("x" * 300)), "bytes long"
    raise AssertionError(name)


CASES = ("foreign folder", "file", "under a file", "root", "current folder", "name too long")


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else b"")
            for p in sorted(folder.rglob("*"))}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("command", COMMANDS)
def test_bad_output_is_refused_before_anything_runs(
        command: str, case: str, inputs: dict[str, Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    out, words = _case(case, work)
    before = _tree(work)
    _nothing_runs(monkeypatch)
    assert main(_argv(command, inputs, out)) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if not line.startswith("warning:")]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert words in err and "Traceback" not in err
    assert _tree(work) == before


def _unshare() -> list[str] | None:
    """A command prefix that runs in a private mount namespace (to mount a tmpfs), if allowed."""
    exe = shutil.which("unshare")
    if exe is None:
        return None
    for prefix in ([exe, "--mount"], [exe, "--user", "--map-root-user", "--mount"]):
        done = subprocess.run([*prefix, "true"], capture_output=True)
        if done.returncode == 0:
            return prefix
    return None


def test_read_only_file_system_is_found_before_the_run(inputs: dict[str, Path],
                                                       tmp_path: Path) -> None:
    prefix = _unshare()
    if prefix is None:
        pytest.skip("no mount namespace here to mount a read-only file system")
    mount = tmp_path / "ro"
    mount.mkdir()
    script = (f"mount -t tmpfs -o ro none {mount} && exec {sys.executable} -m sim run "
              f"{inputs['scenario']} --reps 1 --workers 1 --quiet --out {mount}/out")
    done = subprocess.run([*prefix, "sh", "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Read-only file system" in done.stderr
    assert "Traceback" not in done.stderr


def test_full_disk_keeps_the_previous_results(inputs: dict[str, Path], tmp_path: Path) -> None:
    """A real full disk: a 3 MiB tmpfs, a first run, a filler, a second run that cannot fit."""
    prefix = _unshare()
    if prefix is None:
        pytest.skip("no mount namespace here to mount a small file system")
    mount = tmp_path / "small"
    mount.mkdir()
    run = (f"{sys.executable} -m sim run {inputs['scenario']} --reps 1 --workers 1 --quiet "
           f"--out {mount}/out")
    script = (f"mount -t tmpfs -o size=3m none {mount} && {run} && "
              f"(dd if=/dev/zero of={mount}/filler bs=4k 2>/dev/null; "
              f"truncate -s -40K {mount}/filler) && "
              f"(cd {mount}/out && sha256sum $(find . -type f | sort)) > {tmp_path}/before && "
              f"{run} --seed 9 2> {tmp_path}/err; echo $? > {tmp_path}/rc; "
              f"(cd {mount}/out && sha256sum $(find . -type f | sort)) > {tmp_path}/after; "
              f"ls -a {mount} > {tmp_path}/entries")
    done = subprocess.run([*prefix, "sh", "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    err = (tmp_path / "err").read_text()
    assert (tmp_path / "rc").read_text().strip() == "1", err
    assert err.count("\n") == 1 and "No space left on device" in err, err
    assert "previous contents" in err and "unchanged" in err and "Traceback" not in err
    assert (tmp_path / "before").read_text() == (tmp_path / "after").read_text()
    assert (tmp_path / "entries").read_text().split() == [".", "..", "filler", "out"]


def test_full_disk_in_process(inputs: dict[str, Path], tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    argv = ["run", str(inputs["scenario"]), "--reps", "1", "--workers", "1", "--quiet",
            "--out", str(out)]
    assert main(argv) == 0
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.rglob("*")
              if p.is_file()}
    real: Callable[[Path, bytes], None] = atomic.atomic_write_bytes
    calls = [0]

    def full(path: Path, data: bytes) -> None:
        calls[0] += 1
        if calls[0] == 3:
            raise OSError(28, "No space left on device", str(path))
        real(path, data)

    monkeypatch.setattr("sim.output.folder.atomic_write_bytes", full)
    capsys.readouterr()
    assert main([*argv, "--seed", "4"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No space left on device" in err and "unchanged" in err
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.rglob("*")
             if p.is_file()}
    assert after == before
    assert json.loads((out / "manifest.json").read_text())["seed"] != 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize("where", ["folder", "missing parent", "under a file", "not ours"])
def test_schema_out_problems_are_clean(where: str, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    target = {"folder": tmp_path, "missing parent": tmp_path / "nope" / "s.json",
              "under a file": tmp_path / "notes.txt" / "s.json",
              "not ours": tmp_path / "notes.txt"}[where]
    assert main(["schema", "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: --out") and "Traceback" not in err
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_schema_out_rewrites_its_own_file(tmp_path: Path) -> None:
    target = tmp_path / "scenario.schema.json"
    assert main(["schema", "--out", str(target)]) == 0
    first = target.read_text()
    assert main(["schema", "--out", str(target)]) == 0  # `make schema` twice
    assert target.read_text() == first
    (tmp_path / "mine.json").write_text("{}")
    assert main(["schema", "--out", str(tmp_path / "mine.json"), "--overwrite"]) == 0


def test_a_full_disk_for_fits_scenario_file_is_one_line(
        inputs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    def full(path: Path, text: str, encoding: str = "utf-8") -> None:
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr("sim.cli.fit.atomic_write_text", full)
    code = main(["fit", "--events", str(inputs["events"]), "--quiet", "--out",
                 str(tmp_path / "fitted.yaml")])
    err = capsys.readouterr().err
    assert code == 1, err
    assert err == f"error: No space left on device: {tmp_path / 'fitted.yaml'}\n"


def test_a_full_temporary_folder_is_one_line_and_no_results(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Records past the memory budget go to the temporary folder; when it is full the run
    stops with one line saying which folder, and writes no results folder."""
    from sim.engine import spill

    scenario = tmp_path / "ten_days.yaml"  # past the first weekly freeze, where spills happen
    scenario.write_text(TINY.replace("horizon_days: 1", "horizon_days: 10"), encoding="utf-8")

    class Full(io.BytesIO):
        def write(self, data: object) -> int:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(spill, "SPILL_BYTES", 0)
    monkeypatch.setattr(spill.tempfile, "TemporaryFile", Full)
    out = tmp_path / "out"
    code = main(["run", str(scenario), "--reps", "1", "--workers", "1", "--quiet",
                 "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1, err
    assert err.count("\n") == 1 and "No space left on device" in err, err
    assert "temporary folder" in err and "TMPDIR" in err and "Traceback" not in err
    assert not out.exists()
