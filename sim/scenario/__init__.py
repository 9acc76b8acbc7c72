"""The scenario format: what a planner writes, validated into a frozen ``Scenario``.

Owns the pydantic models (defaults live here and nowhere else), the YAML loader (no tags, no
duplicate or unknown keys, size caps), ``--set`` overrides, errors located as
``FILE:LINE: key.path: message``, the calendar arithmetic of shifts and profiles, and the instant
capacity check. Imports no other layer.

Public face: ``Scenario``, ``load_scenario``, ``load_scenario_text``, ``scenario_to_yaml``,
``json_schema``, ``capacity_warnings``, ``Problem``, ``ScenarioError``.
"""

from sim.scenario.capacity import capacity_warnings
from sim.scenario.format import Scenario
from sim.scenario.loader import json_schema, load_scenario, load_scenario_text, scenario_to_yaml
from sim.scenario.problems import Problem, ScenarioError

__all__ = ["Problem", "Scenario", "ScenarioError", "capacity_warnings", "json_schema",
           "load_scenario", "load_scenario_text", "scenario_to_yaml"]
