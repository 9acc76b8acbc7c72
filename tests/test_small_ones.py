"""The "small ones" of issue 14: messages that misreport, and stores that trust too much."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli import main
from sim.scenario.loader import load_scenario_text
from sim.scenario.problems import ScenarioError

BASE = """\
name: small
horizon_days: 1
demand: {contacts_per_day: 40, mix: {inquiry: 1.0}}
call_center:
  agents: 2
  handle_minutes: {inquiry: 5}
"""


def _problems(text: str, overrides: tuple[str, ...] = ()) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, "s.yaml", overrides)
    return str(info.value)


def test_a_number_just_over_its_bound_is_shown_as_written() -> None:
    text = BASE + "followup: {reach_probability: 1.0000001}\n"
    assert "must be at most 1 (got 1.0000001)" in _problems(text)
    assert "(got 1)" not in _problems(text)


def test_big_whole_numbers_are_not_rounded_in_messages(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert "must be at most 18446744073709551615 (got 18446744073709551616)" in _problems(
        BASE + f"seed: {2**64}\n")
    assert main(["validate", "/nonexistent/x.yaml"]) == 2
    capsys.readouterr()
