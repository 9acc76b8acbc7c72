"""Golden output: a short run of the shipped baseline must write, byte for byte, the
``replications.csv`` committed in ``tests/golden/``.

Every other test checks a property; this one pins the numbers themselves, so any change that
moves them (a random stream drawn in another order, a KPI formula, a default, the CSV format) is
seen in review rather than discovered in a client's results. The run is the baseline (every
section of the format is on) with 3 replications and 35 measured days, so that the heat wave
(from day 40) is in it, in about 10 s.

A deliberate change regenerates the file with ``make golden`` (which runs this file as a
script) and commits it with the reason; the diff of the CSV shows what moved.
"""

from __future__ import annotations

import difflib
import shutil
import sys
import tempfile
from pathlib import Path

from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "baseline_replications.csv"
ARGS = ["run", str(ROOT / "scenarios" / "baseline.yaml"), "--reps", "3",
        "--set", "horizon_days=35", "--workers", "1", "--quiet"]


def produce(out: Path) -> Path:
    """Run the golden command into ``out`` and return its ``replications.csv``."""
    assert main([*ARGS, "--out", str(out)]) == 0
    return out / "replications.csv"


def test_the_baseline_writes_the_golden_replications(tmp_path: Path) -> None:
    written = produce(tmp_path / "golden").read_bytes()
    golden = GOLDEN.read_bytes()
    if written != golden:
        diff = "".join(list(difflib.unified_diff(
            golden.decode().splitlines(keepends=True), written.decode().splitlines(keepends=True),
            "tests/golden/baseline_replications.csv", "this run", n=0))[:12])
        raise AssertionError(
            "replications.csv of the golden baseline run differs from "
            f"tests/golden/baseline_replications.csv:\n{diff}\nIf the change of numbers is "
            "deliberate, regenerate the file with `make golden` and commit it with the reason.")
    assert b"\r" not in written and written.count(b"\n") == 4  # a header and 3 replications


def regenerate() -> None:
    """Write the golden file from a fresh run (``make golden``)."""
    with tempfile.TemporaryDirectory() as folder:
        shutil.copyfile(produce(Path(folder) / "golden"), GOLDEN)
    print(f"wrote {GOLDEN.relative_to(ROOT)}: review its diff and commit it with the reason")


if __name__ == "__main__":
    GOLDEN.parent.mkdir(exist_ok=True)
    regenerate()
    sys.exit(0)
