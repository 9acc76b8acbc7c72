"""Experiment files: what a sweep's experiment file is and how it is validated.

This module owns the experiment file format (``Experiment``: a base scenario, the factors to vary
over it, replications, seed, KPIs to chart), one varied key (``Factor``: explicit ``values`` or a
``from``/``to``/``step`` range, and its ``grid``), their rules (dotted keys as for ``--set``, no
repeated key or value, at most ``MAX_POINTS`` points) and reading a file (``load_experiment``,
with the loader's ``read_text_file`` and ``load_document``: the YAML rules and located errors of
scenario files). Expanding and running a sweep are ``sim.experiments.sweep``.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from sim.scenario.base import Seed
from sim.scenario.format import NAME_PATTERN, KpiName
from sim.scenario.loader import read_text_file
from sim.scenario.plain import json_safe
from sim.scenario.problems import ScenarioError
from sim.scenario.yaml_io import load_document

MAX_POINTS = 1000  # each point is validated and run; a bigger grid is almost surely a typo
FIXED_KEYS = ("name", "seed", "replications")  # the same for every point by construction
_KEY = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$"


class ExperimentModel(BaseModel):
    """Base of the experiment models: frozen; an unknown key names the nearest allowed one."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _unknown_keys(cls, data: Any) -> Any:
        # As `sim.scenario.base.StrictModel`, but the file's names are the aliases (`from`).
        if not isinstance(data, dict):
            return data
        allowed = [f.alias or name for name, f in cls.model_fields.items()]
        unknown = [str(k) for k in data if k not in allowed and k not in cls.model_fields]
        if unknown:
            raise PydanticCustomError("unknown_keys", "unknown key(s) {keys}",
                                      {"keys": unknown, "allowed": allowed})
        return data


# --- experiment models ------------------------------------------------------------------------


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"expected a finite number (got {value!r})")
    return value


Number = Annotated[Any, AfterValidator(_number)]


class Factor(ExperimentModel):
    """One varied key: an explicit list of ``values`` or a ``from``/``to``/``step`` range."""

    key: str = Field(description="Dotted key path in the scenario, as for --set, e.g. "
                                 "field_service.technicians.0.count.")
    values: tuple[Any, ...] | None = Field(None, min_length=1, description="The values to try.")
    from_: Number | None = Field(None, alias="from", description="First value of a range.")
    to: Number | None = Field(None, description="Last value of a range (kept if on the grid).")
    step: Number | None = Field(None, description="Step of a range (> 0).")
    # Where the factor was written, so that a bad point is reported at its factor.
    _source: str = PrivateAttr("--vary")
    _line: int | None = PrivateAttr(None)
    _path: str = PrivateAttr("")

    @field_validator("key")
    @classmethod
    def _key(cls, key: str) -> str:
        if not re.fullmatch(_KEY, key):
            raise ValueError(f"`{key}` is not a dotted key path as for --set, e.g. "
                             "field_service.technicians.0.count")
        if key in FIXED_KEYS:
            raise ValueError(f"`{key}` is the same for every point of a sweep; set it in the "
                             "experiment (replications, seed, name) instead")
        return key

    @field_validator("values")
    @classmethod
    def _distinct(cls, values: tuple[Any, ...] | None) -> tuple[Any, ...] | None:
        seen: set[str] = set()
        for v in values or ():
            text = json.dumps(json_safe(v), sort_keys=True)
            if text in seen:
                raise ValueError(f"the value {text} appears twice; each point must differ")
            seen.add(text)
        return values

    @model_validator(mode="after")
    def _one_form(self) -> Factor:
        start, stop, step = self.from_, self.to, self.step
        if self.values is not None:
            if (start, stop, step) != (None, None, None):
                raise ValueError("give either `values` or `from`/`to`/`step`, not both")
            return self
        if start is None or stop is None or step is None:
            raise ValueError("needs `values: [...]` or all of `from`, `to` and `step`")
        if step <= 0:
            raise ValueError(f"step must be greater than 0 (got {step})")
        if stop < start:
            raise ValueError(f"`to` ({stop}) is below `from` ({start})")
        if (Decimal(repr(stop)) - Decimal(repr(start))) / Decimal(repr(step)) >= MAX_POINTS:
            raise ValueError(f"the range has more than {MAX_POINTS} values")
        return self

    def grid(self) -> tuple[Any, ...]:
        """The factor's values in order; a range includes ``to`` when it lies on the grid.

        Ranges are computed in decimal from the numbers as written, so ``0.1`` to ``0.3`` step
        ``0.1`` gives exactly 0.1, 0.2, 0.3 (no 0.30000000000000004), and all-integer ranges
        give integers (counts of people must be whole numbers).
        """
        if self.values is not None:
            return self.values
        start, stop, step = (Decimal(repr(v)) for v in (self.from_, self.to, self.step))
        count = int((stop - start) / step) + 1
        whole = all(isinstance(v, int) for v in (self.from_, self.to, self.step))
        return tuple(int(start + i * step) if whole else float(start + i * step)
                     for i in range(count))


class Experiment(ExperimentModel):
    """An experiment file: a base scenario and the factors to vary over it."""

    name: str | None = Field(None, description="Results folder name (default: the file's stem).")
    base: Path = Field(description="Base scenario file, relative to the experiment file.")
    factors: tuple[Factor, ...] = Field(description="Factors (at least one); several = their "
                                                    "full grid.")
    replications: Annotated[int, Field(strict=True, ge=1, le=10000)] | None = Field(
        None, description="Replications per point (default: the base scenario's).")
    seed: Seed | None = Field(
        None, description="Root seed shared by every point (default: the base scenario's).")
    kpis: tuple[KpiName, ...] | None = Field(
        None, description="KPIs to chart (default: the targeted ones + total_cost).")

    @field_validator("base", mode="before")
    @classmethod
    def _path_text(cls, v: Any) -> Any:
        if not isinstance(v, str | Path) or not str(v).strip():
            raise ValueError(f"expected the path of a scenario file (got {v!r})")
        return v

    @field_validator("name")
    @classmethod
    def _folder_name(cls, v: str | None) -> str | None:
        if v is not None and not (len(v) <= 64 and NAME_PATTERN.match(v)):
            raise ValueError(f"`{v}` cannot name a results folder: use 1-64 letters, digits, "
                             "`_`, `.` or `-`, starting with a letter or digit")
        return v

    @field_validator("factors")
    @classmethod
    def _grid(cls, factors: tuple[Factor, ...]) -> tuple[Factor, ...]:
        if not factors:
            raise ValueError("needs at least one factor {key, values} or {key, from, to, step}")
        keys = [f.key for f in factors]
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        if repeated:
            raise ValueError(f"factor key(s) {', '.join(repeated)} appear more than once")
        if math.prod(len(f.grid()) for f in factors) > MAX_POINTS:
            raise ValueError(f"the grid has more than {MAX_POINTS} points")
        return factors


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file; ``base`` comes back resolved against its folder.

    Args:
        path: The experiment YAML file.

    Returns:
        The experiment, with ``name`` filled in (default: the file name without extension).

    Raises:
        ScenarioError: For a missing or invalid file or base scenario, naming file, line, key.
    """
    path = Path(path)
    # Anything but a regular file is "no such file"; an oversized one is left to load_document.
    text = read_text_file(path, unreadable="cannot read the file as UTF-8 text",
                          regular_only=True)
    experiment, document = load_document(
        text, Experiment, str(path),
        not_mapping="an experiment file is a mapping with `base` and `factors`")
    base = experiment.base if experiment.base.is_absolute() else path.parent / experiment.base
    if not base.is_file():
        raise ScenarioError([document.problem(["base"], f"no such scenario file: {base}")])
    name = experiment.name
    if name is None:
        name = path.stem if NAME_PATTERN.match(path.stem) and len(path.stem) <= 64 else "sweep"
    experiment = experiment.model_copy(update={"base": base, "name": name})
    for i, factor in enumerate(experiment.factors):
        factor._source, factor._path = str(path), f"factors.{i}"
        factor._line = document.line_of(["factors", i])
    return experiment
