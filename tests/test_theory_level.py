"""The rule of ``tests/theory_level.py`` holds: N is the number of analytic checks, the tests marked
``analytic`` are exactly the registered checks, and the seeds are the enumeration, not choices.

Adding an analytic check without registering it, or registering one without raising N, fails
here; so does a registered check that no test makes any more (N would then overstate the family
and loosen nothing, but the written rule would be wrong).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import theory_level as level

ROOT = Path(__file__).resolve().parents[1]


def test_n_is_the_number_of_registered_checks() -> None:
    assert level.registered() == level.N, (
        f"tests/theory_level.py registers {level.registered()} checks but its rule says "
        f"N = {level.N}: update N with the checks")
    assert level.EACH == 1.0 - level.FAMILY_ERROR / level.N
    assert level.FAMILY_ERROR == 0.01


def test_the_marked_tests_are_the_registered_checks() -> None:
    """Collected in a separate process, as ``pytest -m analytic`` would run them."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "-m", "analytic", "tests"],
        cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    collected = [line.split("[", 1)[1].rstrip("]") for line in done.stdout.splitlines()
                 if "::" in line]
    expected = [f"{run}-{check}" for run, checks in level.CHECKS.items() for check in checks]
    assert sorted(collected) == sorted(expected)
    # Files are collected alphabetically and cases in file order: the registry's order is theirs.
    first_seen = list(dict.fromkeys(item.rsplit("-", 1)[0] for item in collected))
    assert first_seen == list(level.RUNS)


def test_seeds_are_the_enumeration() -> None:
    seeds = [level.seed(run) for run in level.RUNS]
    assert seeds == list(range(level.SEED, level.SEED + len(level.RUNS)))
    try:
        level.seed("a-case-nobody-registered")
    except KeyError as error:
        assert "register it" in str(error)
    else:  # pragma: no cover - the assertion above is the point
        raise AssertionError("an unregistered run got a seed")

