"""Golden output: a short run of the shipped baseline must write, byte for byte, the
``replications.csv`` committed in ``tests/golden/``.

Every other test checks a property; this one pins the numbers themselves, so any change that
moves them (a random stream drawn in another order, a KPI formula, a default, the CSV format) is
seen in review rather than discovered in a client's results. The run is the baseline (every
section of the format is on) with 3 replications and 35 measured days, so that the heat wave
(from day 40) is in it, in about 10 s.

A deliberate change regenerates the file with ``make golden`` (which runs this file as a
script) and commits it with the reason; the diff of the CSV shows what moved.

The text must match field for field, numbers to 12 significant digits (``REL_TOL``), not bit
for bit: on a new machine (2026-12-03: AMD EPYC without AVX-512, numpy 2.4.6, pandas 3.1.1) one
KPI of one replication came out one unit in its 17th digit away from the file written on the
machines before (``overtime_hours_per_technician_week``, 0.4806037341995941 against
0.48060373419959423), while every draw, count and other KPI was identical. Numerical libraries
choose their kernels by CPU, and neither numpy 2.4.5 nor pandas 3.1.0 alone brought the old bit
back; a floating-point sum in another order is not a change of the model. Anything that is (a
stream drawn in another order, a formula, a default) moves numbers by far more than 1e-12.
"""

from __future__ import annotations

import math
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


REL_TOL = 1e-12
"""How far a number may be from the golden one, relatively: a few thousand units in the last
place of a double, a million times less than any change of the model moves a KPI."""


def differences(golden: str, written: str) -> list[str]:
    """Where ``written`` (a CSV's text) departs from ``golden``: a different header or number of
    lines, or a field that is not the same text nor a number within ``REL_TOL`` of it."""
    old, new = golden.splitlines(), written.splitlines()
    if len(old) != len(new) or old[:1] != new[:1]:
        return [f"{len(old)} lines with header {old[:1]}, now {len(new)} with {new[:1]}"]
    header = old[0].split(",")
    found = []
    for row, (a_line, b_line) in enumerate(zip(old[1:], new[1:], strict=True)):
        a_fields, b_fields = a_line.split(","), b_line.split(",")
        if len(a_fields) != len(b_fields):
            found.append(f"row {row}: {len(a_fields)} fields, now {len(b_fields)}")
            continue
        for name, a, b in zip(header, a_fields, b_fields, strict=True):
            if a != b and not _close(a, b):
                found.append(f"row {row}, {name}: {a} -> {b}")
    return found


def _close(a: str, b: str) -> bool:
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    return math.isclose(x, y, rel_tol=REL_TOL, abs_tol=0.0)


def test_the_baseline_writes_the_golden_replications(tmp_path: Path) -> None:
    written = produce(tmp_path / "golden").read_bytes()
    golden = GOLDEN.read_bytes()
    found = differences(golden.decode(), written.decode())
    if found:
        raise AssertionError(
            "replications.csv of the golden baseline run differs from "
            "tests/golden/baseline_replications.csv:\n" + "\n".join(found[:12]) +
            "\nIf the change of numbers is deliberate, regenerate the file with `make golden` "
            "and commit it with the reason.")
    assert b"\r" not in written and written.count(b"\n") == 4  # a header and 3 replications


def test_the_comparison_sees_a_change_of_the_model_and_not_a_last_bit() -> None:
    golden = GOLDEN.read_text()
    header, first, *rest = golden.splitlines()
    fields = first.split(",")
    at = header.split(",").index("service_level")
    value = float(fields[at])

    def with_value(v: str) -> str:
        changed = [*fields[:at], v, *fields[at + 1:]]
        return "\n".join([header, ",".join(changed), *rest]) + "\n"

    assert differences(golden, golden) == []
    assert differences(golden, with_value(repr(math.nextafter(value, 2.0)))) == []
    assert differences(golden, with_value(repr(value * (1 + 1e-9)))) == [
        f"row 0, service_level: {fields[at]} -> {value * (1 + 1e-9)!r}"]
    assert differences(golden, with_value("")) != []
    assert differences(golden, golden.replace("service_level", "service")) != []
    assert differences(golden, golden + "3,1,2\n") != []


def regenerate() -> None:
    """Write the golden file from a fresh run (``make golden``)."""
    with tempfile.TemporaryDirectory() as folder:
        shutil.copyfile(produce(Path(folder) / "golden"), GOLDEN)
    print(f"wrote {GOLDEN.relative_to(ROOT)}: review its diff and commit it with the reason")


if __name__ == "__main__":
    GOLDEN.parent.mkdir(exist_ok=True)
    regenerate()
    sys.exit(0)
