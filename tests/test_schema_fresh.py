"""The committed JSON schema matches the models, and every example scenario loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.scenario.loader import json_schema, load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "schemas" / "scenario.schema.json"
SKIPPED = ("experiments", "stress", "optimize")  # sweep, stress, optimize files: see their tests
REGISTERS = ("risks.yaml",)  # risk registers, not scenarios: tests/test_risks.py loads them


def _examples() -> list[Path]:
    scenarios = ROOT / "scenarios"
    return sorted(p for p in scenarios.glob("**/*.yaml")
                  if p.relative_to(scenarios).parts[0] not in (*SKIPPED, *REGISTERS))


def test_schema_file_is_fresh() -> None:
    committed = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert committed == json_schema(), (
        "schemas/scenario.schema.json is stale: run: make schema")


def test_schema_file_serialisation() -> None:
    expected = json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
    assert SCHEMA.read_text(encoding="utf-8") == expected, (
        "schemas/scenario.schema.json is not in the canonical form: run: make schema")


def test_there_are_examples() -> None:
    assert ROOT / "scenarios" / "baseline.yaml" in _examples()


@pytest.mark.parametrize("path", _examples(), ids=lambda p: str(p.relative_to(ROOT)))
def test_example_scenario_loads(path: Path) -> None:
    load_scenario(path)


@pytest.mark.parametrize("path", _examples(), ids=lambda p: str(p.relative_to(ROOT)))
def test_example_scenario_satisfies_the_json_schema(path: Path) -> None:
    # Editors and check-jsonschema validate against the schema, not the models: both must agree.
    jsonschema = pytest.importorskip("jsonschema")
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    data = json.loads(json.dumps(data, default=str))  # dates as text, as an editor sees them
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(data)


def test_schema_rejects_what_the_models_reject() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load((ROOT / "scenarios" / "baseline.yaml").read_text("utf-8"))
    data["demand"]["contacts_per_dya"] = 1
    data["call_center"]["handle_minutes"]["inquiry"] = {"dist": "weibull", "mean": 1}
    validator = jsonschema.Draft202012Validator(json_schema())
    assert len(list(validator.iter_errors(data))) >= 2
