"""Levers are `--set` overrides: the loader validates them, the diff names every changed key,
and the CLI reproduces the edited scenario from the file and the printed overrides."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from sim.explorer.source import read_file, read_upload, scenario_files
from sim.scenario.format import Scenario
from sim.scenario.levers import (
    ABSENT,
    DIFF_COLUMNS,
    ExtraEvent,
    cli_command,
    event_override,
    levers_for,
    overrides_for,
    scenario_diff,
)
from sim.scenario.loader import load_scenario, load_scenario_text, scenario_to_yaml
from sim.scenario.problems import ScenarioError
from sim.scenario.yaml_io import MAX_BYTES

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
MINIMAL = ROOT / "tests" / "data" / "minimal.yaml"
TINY = ROOT / "tests" / "data" / "app" / "tiny.yaml"


def test_levers_follow_the_scenario_sections() -> None:
    paths = {lv.path: lv for lv in levers_for(load_scenario(BASELINE))}
    for path in ("replications", "seed", "horizon_days", "demand.contacts_per_day",
                 "call_center.agents.0.count", "call_center.agents.2.count",
                 "call_center.escalation.specialists.0.count",
                 "field_service.technicians.1.count", "field_service.depot.technicians.0.count",
                 "parts.skus.0.policy.s", "parts.skus.0.policy.S", "parts.skus.1.policy.r",
                 "parts.skus.1.policy.Q", "parts.skus.2.policy.review_days"):
        assert path in paths, path
    assert paths["call_center.agents.0.count"].value == 13
    assert paths["parts.skus.2.policy.review_days"].kind == "float"
    assert "early" in paths["call_center.agents.0.count"].label
    minimal = {lv.path for lv in levers_for(load_scenario(MINIMAL))}
    assert "call_center.agents" in minimal  # a bare number of agents is one lever
    assert not any(p.startswith(("field_service", "parts", "complaints")) for p in minimal)


def test_redial_and_prices_are_levers_when_the_scenario_has_them() -> None:
    file = load_scenario(BASELINE)
    paths = {lv.path: lv for lv in levers_for(file)}
    assert paths["call_center.redial.probability"].value == 0.7
    assert paths["revenue.repair_fee.onsite"].group == "Finance"
    assert paths["revenue.warranty_share"].step < 1  # a share moves in small steps
    assert paths["field_service.fix_probability"].value == 0.92  # what training moves
    edited = load_scenario_text(BASELINE.read_text(), "baseline.yaml", overrides_for(
        list(paths.values()), {"revenue.repair_fee.onsite": 200.0,
                               "call_center.redial.probability": 0.9}))
    assert edited.revenue is not None and edited.revenue.repair_fee.onsite == 200.0
    assert edited.call_center.redial is not None and edited.call_center.redial.probability == 0.9
    minimal = {lv.path for lv in levers_for(load_scenario(MINIMAL))}
    assert not any(p.startswith(("revenue", "call_center.redial")) for p in minimal)


def test_only_changed_values_become_overrides() -> None:
    levers = levers_for(load_scenario(BASELINE))
    values = {"call_center.agents.0.count": 13, "horizon_days": 91, "seed": 20261129,
              "demand.contacts_per_day": 600.0, "call_center.agents.1.count": 13}
    assert overrides_for(levers, values) == ["demand.contacts_per_day=600.0",
                                             "call_center.agents.1.count=13"]
    assert overrides_for(levers, {}) == []


def test_edits_apply_through_the_loader_and_the_diff_names_them() -> None:
    text = BASELINE.read_text()
    file = load_scenario_text(text, "baseline.yaml")
    overrides = overrides_for(levers_for(file), {"call_center.agents.0.count": 14,
                                                 "parts.skus.1.policy.Q": 300})
    event = ExtraEvent("promo", 10.0, 5.0, 1.5, ("inquiry",))
    overrides.append(event_override(file, event))
    edited = load_scenario_text(text, "baseline.yaml", overrides)
    assert edited.call_center.agents[0].count == 14  # type: ignore[index,union-attr]
    assert [e.name for e in edited.demand.events] == ["heat wave", "promo"]
    diff = scenario_diff(file, edited)
    assert tuple(diff.columns) == DIFF_COLUMNS
    rows = {r["key_path"]: (r["file_value"], r["edited_value"]) for r in diff.to_dict("records")}
    assert rows["call_center.agents.0.count"] == ("13", "14")
    assert rows["parts.skus.1.policy.Q"] == ("270", "300")
    assert rows["demand.events.1.name"] == (ABSENT, "promo")
    assert rows["demand.events.1.types"] == (ABSENT, '["inquiry"]')
    assert not any(k.startswith("demand.events.0") for k in rows)  # the file's event is kept
    assert scenario_diff(file, file).empty


def test_cli_reproduces_the_edited_scenario() -> None:
    file = load_scenario(BASELINE)
    overrides = overrides_for(levers_for(file), {"horizon_days": 30.0,
                                                 "field_service.technicians.0.count": 35})
    overrides.append(event_override(file, ExtraEvent("recall", 20.0, 3.0, 2.0)))
    edited = load_scenario_text(BASELINE.read_text(), str(BASELINE), overrides)
    command = shlex.split(cli_command(str(BASELINE), overrides))
    assert command[:3] == ["aftersales-sim", "run", str(BASELINE)]
    sets = command[4::2]
    assert command[3::2] == ["--set"] * len(sets)
    assert load_scenario(BASELINE, sets) == edited  # what `--set` does on the command line
    assert load_scenario_text(scenario_to_yaml(edited)) == edited  # the downloaded YAML


def test_a_rejected_edit_is_the_loaders_message() -> None:
    file = load_scenario(BASELINE)
    overrides = overrides_for(levers_for(file), {"call_center.agents.0.count": -1,
                                                 "parts.skus.0.policy.s": 400})
    with pytest.raises(ScenarioError) as err:
        load_scenario_text(BASELINE.read_text(), "baseline.yaml", overrides)
    text = str(err.value)
    assert "call_center.agents.0.count" in text and "at least 0" in text
    assert "s < S" in text  # the policy rule, reported by the model


def test_scenario_folder_lists_top_level_yaml_only() -> None:
    names = [p.name for p in scenario_files(ROOT / "scenarios")]
    assert "baseline.yaml" in names
    assert all((ROOT / "scenarios" / n).parent == ROOT / "scenarios" for n in names)
    assert "risks.yaml" not in names  # scenarios/stress/ holds stress files, not scenarios
    source, scenario = read_file(BASELINE)
    assert source.kind == "file" and scenario.name == "baseline"


def test_uploads_are_validated_like_files() -> None:
    source, scenario = read_upload(TINY.read_bytes(), "../../etc/tiny.yaml")
    assert source.label == "tiny.yaml" and scenario.name == "tiny"  # the name is never a path
    bad = TINY.read_text().replace("count: 2}", "count: two}", 1).encode()
    with pytest.raises(ScenarioError) as err:
        read_upload(bad, "tiny.yaml")
    problem = err.value.problems[0]
    assert problem.file == "tiny.yaml" and problem.line is not None
    assert problem.path == "call_center.agents.0.count"
    with pytest.raises(ScenarioError, match="limited to"):
        read_upload(b"#" * (MAX_BYTES + 1), "big.yaml")
    with pytest.raises(ScenarioError, match="UTF-8") as err:
        read_upload(b"name: x\n\xff\xfe", "latin.yaml")
    assert err.value.problems[0].line == 2


def test_van_levels_skills_and_training_hours_are_levers() -> None:
    base = load_scenario(BASELINE).model_dump(mode="json")
    base["demand"]["products"] = [{"name": "washer", "share": 0.6},
                                  {"name": "fridge", "share": 0.4}]
    base["field_service"]["technicians"][1]["skills"] = ["fridge"]
    base["parts"]["van_stock"] = {"skus": {"compressor": 1}}
    base["training"] = {"hours_per_technician_month": 4}
    text = scenario_to_yaml(Scenario.model_validate(base))
    file = load_scenario_text(text)
    paths = {lv.path: lv for lv in levers_for(file)}
    skills = paths["field_service.technicians.0.skills"]
    assert skills.kind == "choices" and skills.options == ("washer", "fridge")
    assert skills.value == ("washer", "fridge")  # absent = every line
    assert paths["field_service.technicians.1.skills"].value == ("fridge",)
    assert paths["parts.van_stock.skus.compressor"].value == 1
    assert paths["parts.van_stock.skus.door_seal"].value == 0  # not carried yet
    assert paths["training.hours_per_technician_month"].value == 4
    # An unchanged choice is no override; a changed one is a JSON list the loader reads.
    values = {"field_service.technicians.0.skills": ("washer", "fridge"),
              "field_service.technicians.1.skills": ("washer",),
              "parts.van_stock.skus.door_seal": 3, "training.hours_per_technician_month": 6.0}
    overrides = overrides_for(list(paths.values()), values)
    assert overrides == ['field_service.technicians.1.skills=["washer"]',
                         "training.hours_per_technician_month=6.0",
                         "parts.van_stock.skus.door_seal=3"]
    edited = load_scenario_text(text, "file.yaml", overrides)
    assert edited.parts is not None and edited.parts.van_stock is not None
    assert edited.parts.van_stock.skus == {"compressor": 1, "door_seal": 3}
    assert edited.field_service is not None
    assert edited.field_service.technicians[1].skills == ("washer",)  # type: ignore[index]
    # Nobody left for fridges: the loader's refusal, as for any edit.
    with pytest.raises(ScenarioError, match="skill `fridge`"):
        load_scenario_text(text, "file.yaml", overrides_for(
            list(paths.values()), {"field_service.technicians.1.skills": ("washer",),
                                   "field_service.technicians.0.skills": ("washer",)}))
    plain = {lv.path for lv in levers_for(load_scenario(BASELINE))}
    assert not any(p.endswith(".skills") or "van_stock" in p or p.startswith("training")
                   for p in plain)
