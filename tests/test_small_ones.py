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


def test_negative_empirical_values_do_not_add_an_empty_list_complaint() -> None:
    text = BASE.replace("handle_minutes: {inquiry: 5}", "handle_minutes: {inquiry: {dist: "
                        "empirical, values: [-1, -2], weights: [1, 1]}}")
    message = _problems(text)
    assert "values.0: must be at least 0 (got -1)" in message
    assert "values.1: must be at least 0 (got -2)" in message
    assert "got 0" not in message and "item(s)" not in message


def test_a_broken_set_names_the_override_not_line_1() -> None:
    message = _problems(BASE, ("demand.mix.repair=0.5", "demand.mix.inquiry=0.5"))
    assert "s.yaml:1:" not in message
    assert message.startswith("--set: field_service: repair has a share of 0.5")
    assert "`--set demand.mix.repair=0.5`" in message
    # What the file alone gets wrong stays the file's.
    bad_file = BASE.replace("agents: 2", "agents: -2")
    message = _problems(bad_file, ("horizon_days=2",))
    assert "s.yaml:5: call_center.agents" in message


def test_a_nan_in_vary_is_shown_as_written(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(BASE)
    assert main(["sweep", str(path), "--vary", "demand.contacts_per_day=.nan,5", "--workers",
                 "1", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "demand.contacts_per_day=.nan" in err and "null" not in err
    assert "expected a finite number (got nan)" in err


# --- the resume store trusts nothing it did not check -----------------------------------------


def _sweep_store(tmp_path: Path) -> tuple[object, Path, object]:
    from sim.experiments.executors import SerialExecutor
    from sim.experiments.replicate import replicate_many
    from sim.output.store import ReplicationStore

    scenario = load_scenario_text(BASE)
    folder = tmp_path / "store"
    first = replicate_many([scenario], 3, seed=11, executor=SerialExecutor(),
                           store=ReplicationStore(folder))[0]
    return scenario, folder, first


def _again(scenario: object, folder: Path) -> tuple[object, object]:
    from sim.experiments.executors import SerialExecutor
    from sim.experiments.replicate import replicate_many
    from sim.output.store import ReplicationStore

    store = ReplicationStore(folder)
    result = replicate_many([scenario], 3, seed=11, executor=SerialExecutor(),  # type: ignore[list-item]
                            store=store)[0]
    return result, store


@pytest.mark.parametrize("tamper", ["seed", "swapped", "other scenario", "nested", "kpi type"])
def test_a_tampered_store_is_not_used(tamper: str, tmp_path: Path) -> None:
    import json

    import pandas as pd
    scenario, folder, first = _sweep_store(tmp_path)
    files = sorted(folder.glob("*.json"))
    assert len(files) == 3
    doc = json.loads(files[0].read_text())
    if tamper == "seed":
        doc["seed"] += 1
        doc["kpis"]["service_level"] = 0.12345
        files[0].write_text(json.dumps(doc))
    elif tamper == "swapped":
        a, b = files[0].read_text(), files[1].read_text()
        files[0].write_text(b)
        files[1].write_text(a)
    elif tamper == "other scenario":
        doc["digest"] = "0" * 20
        files[0].write_text(json.dumps(doc))
    elif tamper == "nested":
        files[0].write_text("[" * 200_000 + "]" * 200_000)
    else:
        doc["kpis"] = {"service_level": [1, 2]}
        files[0].write_text(json.dumps(doc))
    again, store = _again(scenario, folder)
    pd.testing.assert_frame_equal(again.replications, first.replications,  # type: ignore[attr-defined]
                                  check_exact=True)
    assert store.rejected  # type: ignore[attr-defined]
