"""The risk register file: risks with a category, a likelihood per year, the shock(s) that play
them and an optional response, read into a plan ready to run.

This module owns the format (``RiskFile``, ``Risk``, ``Response``), ``load_register`` (the file,
its base scenario, each shock resolved and checked against the base, each response applied and
validated, every problem as ``FILE:LINE: key.path: message``) and ``RegisterPlan``. A risk's
``shock`` is one stress shock (``sim.experiments.stress.shocks``), or a list of shocks that act
together; it takes the risk's name. A response is scenario changes (``set``: dotted path ->
value, as ``--set`` takes them) with what it costs a year.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from sim.experiments.stress.analysis import BASELINE
from sim.experiments.stress.shocks import (
    MAX_SHOCK_NAME,
    AnyShock,
    Shock,
    resolve_shock,
    shock_problems,
)
from sim.scenario.base import NonNegFloat, NonNegInt, StrictModel, check_unique
from sim.scenario.format import NAME_PATTERN, KpiName, Scenario, folder_name
from sim.scenario.loader import load_scenario, read_text_file
from sim.scenario.problems import Problem, ScenarioError, dotted_path, validation_problems
from sim.scenario.yaml_io import apply_overrides, load_document

Category = Literal["market", "technical", "quality", "personnel", "legal"]
CATEGORIES: tuple[Category, ...] = ("market", "technical", "quality", "personnel", "legal")
MAX_LIKELIHOOD_PER_YEAR = 365.0


class Response(StrictModel):
    """What the company does about a risk: scenario changes, in place all year, and their cost."""

    description: str = Field("", description="What the response is, in words.")
    set: dict[str, Any] = Field(
        min_length=1, description="Scenario changes: dotted key path -> value, as `--set` "
                                  "takes them (e.g. `field_service.technicians.0.count: 44`).")
    cost_per_year: NonNegFloat = Field(
        description="What the response costs a year, in the scenario's currency (it pays for "
                    "itself when the expected yearly impact it removes is larger).")


def _shock_named(data: Any) -> Any:
    # The shock takes the risk's name; a list of shocks acts together.
    if isinstance(data, dict) and "shock" in data:
        shock = data["shock"]
        if isinstance(shock, list):
            shock = {"together": shock}
        if isinstance(shock, dict) and "name" not in shock:
            shock = {"name": data.get("name", "risk")} | shock
        data = data | {"shock": shock}
    return data


class Risk(StrictModel):
    """One risk of the register."""

    name: str = Field(description=f"Risk name: letters, digits, `_`, `.`, `-` (at most "
                                  f"{MAX_SHOCK_NAME}); names its scenarios and rows.")
    category: Category = Field(description="market, technical, quality, personnel or legal.")
    likelihood_per_year: Annotated[float, Field(gt=0, le=MAX_LIKELIHOOD_PER_YEAR,
                                                strict=True)] = Field(
        description="Expected occurrences per year (> 0; 0.5 = once in two years).")
    description: str = Field("", description="What happens, in words.")
    shock: Shock = Field(description="The stress shock that plays one occurrence (any shock of "
                                     "`aftersales-sim stress`), or a list of shocks that act "
                                     "together.")
    response: Response | None = Field(None, description="The response; absent = none.")

    _named = model_validator(mode="before")(_shock_named)

    @field_validator("name")
    @classmethod
    def _file_name(cls, v: str) -> str:
        if not (len(v) <= MAX_SHOCK_NAME and NAME_PATTERN.match(v)) or v == BASELINE:
            raise ValueError(f"`{v}` cannot be a risk name: use 1-{MAX_SHOCK_NAME} letters, "
                             "digits, `_`, `.` or `-`, starting with a letter or digit, and not "
                             f"`{BASELINE}` (it names files)")
        return v


class RiskFile(StrictModel):
    """A risk register: a base scenario and its risks."""

    name: str | None = Field(None, description="Name of the register; default the file name.")
    description: str = Field("", description="Free text.")
    base: str = Field(min_length=1, description="Base scenario file, relative to this file.")
    replications: Annotated[int, Field(ge=2, le=10000, strict=True)] | None = Field(
        None, description="Replications per scenario (at least 2, for intervals); default the "
                          "base scenario's.")
    seed: NonNegInt | None = Field(None, description="Root seed; default the base scenario's.")
    targets: dict[KpiName, float] = Field(
        default_factory=dict, description="KPI targets added to (or replacing) the base's.")
    breach_day_cost: dict[KpiName, NonNegFloat] = Field(
        default_factory=dict,
        description="Money per day a target is missed (a contract penalty, a lost bonus): "
                    "breach days then count in the impact. Keys must be targets.")
    risks: tuple[Risk, ...] = Field(
        min_length=1, description="The risks.")

    @field_validator("name")
    @classmethod
    def _folder_name(cls, v: str | None) -> str | None:
        return v if v is None else folder_name(v, "register")

    @field_validator("risks")
    @classmethod
    def _unique_names(cls, v: tuple[Risk, ...]) -> tuple[Risk, ...]:
        check_unique(tuple(r.name for r in v), "risk name(s)")
        return v


@dataclass(frozen=True)
class PlannedRisk:
    """A risk ready to run: its shock resolved against the base, its response's scenario."""

    risk: Risk
    shock: AnyShock
    response_base: Scenario | None = None

    @property
    def name(self) -> str:
        """The risk's name."""
        return self.risk.name


@dataclass(frozen=True)
class RegisterPlan:
    """A register ready to run."""

    name: str
    base: Scenario
    risks: tuple[PlannedRisk, ...]
    replications: int | None = None
    seed: int | None = None
    breach_day_cost: dict[str, float] = field(default_factory=dict)
    description: str = ""


def with_changes(base: Scenario, changes: dict[str, Any], source: str,
                 where: Sequence[str | int] = ()) -> Scenario:
    """The base scenario with a response's changes (dotted path -> value), validated.

    Raises:
        ScenarioError: A change that does not apply or makes the scenario invalid, located at
            ``where`` + the change's path in ``source``.
    """
    data = base.model_dump(mode="json")
    data["name"] = f"{base.name[:55]}-response"
    try:
        apply_overrides(data, [f"{path}={json.dumps(value)}" for path, value in changes.items()])
        return Scenario.model_validate(data)
    except ScenarioError as err:  # from applying a change: say it without `--set`
        raise ScenarioError([Problem(source, None, dotted_path([*where, p.path]) if p.path
                                     else dotted_path(list(where)),
                                     p.message.split(" (in `--set")[0].replace(
                                         "--set can change", "a change can change"))
                             for p in err.problems]) from None
    except ValidationError as exc:
        raise ScenarioError([Problem(source, None, dotted_path([*where, p.path]), p.message)
                             for p in validation_problems(exc, data, None, source)]) from None


def load_register(path: str | Path, overrides: Sequence[str] = ()) -> RegisterPlan:
    """Read and validate a register file, its base scenario, each shock and each response.

    Args:
        path: The register (YAML).
        overrides: `dotted.path=value` settings for the base scenario (the CLI's `--set`).

    Raises:
        ScenarioError: One located problem per mistake, in the register or its base.
    """
    path = Path(path)
    source = str(path)
    text = read_text_file(path, check_size=True)
    spec, document = load_document(text, RiskFile, source, not_mapping=(
        "a risk register is a mapping with `base` and `risks`"))
    base_path = path.parent / spec.base
    if not base_path.is_file():
        raise ScenarioError([document.problem(["base"], f"no such scenario file: {base_path}")])
    base = load_scenario(base_path, overrides)
    if spec.targets:
        base = Scenario.model_validate(
            base.model_dump(mode="json") | {"targets": base.targets | spec.targets})
    problems = [document.problem(["breach_day_cost", k], f"`{k}` has no target; the targets "
                                 f"are {', '.join(base.targets) or 'none'}")
                for k in spec.breach_day_cost if k not in base.targets]
    planned = []
    for i, risk in enumerate(spec.risks):
        shock = resolve_shock(base, risk.shock)
        for key, message in shock_problems(base, shock):
            problems.append(document.problem(["risks", i, "shock", *key.split(".")], message))
        response_base = None
        if risk.response is not None:
            try:
                response_base = with_changes(base, risk.response.set, source,
                                             ["risks", i, "response", "set"])
            except ScenarioError as err:
                problems += [Problem(p.file, document.line_of(
                    ["risks", i, "response", "set"]), p.path, p.message) for p in err.problems]
        planned.append(PlannedRisk(risk, shock, response_base))
    if problems:
        raise ScenarioError(problems)
    return RegisterPlan(spec.name or path.stem, base, tuple(planned), spec.replications,
                        spec.seed, dict(spec.breach_day_cost), spec.description)
