"""How a KPI is declared: its entry (``KpiInfo``) and the ``kpi`` decorator that ties the entry to
the function computing it.

This module owns ``Direction``, ``KpiInfo`` (name, unit, direction, group, definition text, and
whether the name is part of the scenario contract), ``Kpi`` (an entry with its formula and the
view the formula reads), the ``kpi`` decorator and ``Row`` (the view of KPIs defined from other
KPIs). Formulas live in the modules of ``sim.measure`` by meaning (``calls``, ``complaints``,
``repairs``, ``parts``, ``followups``, ``costs``), each written as::

    @kpi("service_level", "share", "at_least", "call center", "answered within ... / offered")
    def service_level(calls: Calls) -> float: ...

so grepping a KPI's name lands on its entry with its formula right below it. The ordered catalogue
of every registered KPI is ``sim.measure.catalog``.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

Direction = Literal["at_least", "at_most"]
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class KpiInfo:
    """What a KPI means to a reader.

    Attributes:
        name: The KPI's name in results (``replications.csv``, ``summary.csv``, targets).
        unit: ``share``, ``score 1-5``, ``currency``, or a unit of time or count.
        direction: Which side of a target is good.
        group: The department it describes (``call center``, ``field service``, ...).
        definition: What is counted, in the words of the scenario contract.
        contract: Whether the name is fixed by the scenario contract (a target may use it);
            False for the additions the model reports beyond it.
    """

    name: str
    unit: str
    direction: Direction
    group: str
    definition: str
    contract: bool

    @property
    def bounds(self) -> tuple[float, float]:
        """The values the KPI can take: its confidence intervals are clipped to them (a t-interval
        of a share near 1 from few replications would otherwise promise more than 100%)."""
        if self.unit == "share":
            return (0.0, 1.0)
        if self.unit == "score 1-5":
            return (1.0, 5.0)
        if self.name == "operating_margin":
            return (-math.inf, math.inf)  # a loss is a negative margin
        return (0.0, math.inf)  # counts, times, costs and revenue


@dataclass(frozen=True, slots=True)
class Kpi:
    """A catalogue entry with the function that computes it.

    Attributes:
        info: The entry.
        formula: The function decorated with ``kpi``: one view -> the KPI's value.
        view: The type of the formula's argument (``Calls``, ``Period``, ``Row``...), so that
            ``sim.measure.outcome.measure`` knows which view to hand it.
    """

    info: KpiInfo
    formula: Callable[[Any], float]
    view: type


@dataclass(frozen=True, slots=True)
class Row:
    """The KPIs of one replication computed so far (catalogue order), for KPIs defined from
    other KPIs (``cost_per_repair``, ``operating_margin``)."""

    values: Mapping[str, float]

    def __getitem__(self, name: str) -> float:
        """The value of an earlier KPI of the catalogue."""
        return self.values[name]


_REGISTERED: dict[str, Kpi] = {}


def kpi(name: str, unit: str, direction: Direction, group: str, definition: str, *,
        contract: bool = True) -> Callable[[Callable[[V], float]], Callable[[V], float]]:
    """Register the decorated function as the formula of the KPI ``name``.

    The function is returned unchanged (callers use it like any function); its one argument's
    annotation names the view it reads.

    Args:
        name: The KPI's name; the function must carry the same name (one hop from name to code).
        unit: See ``KpiInfo``.
        direction: See ``KpiInfo``.
        group: See ``KpiInfo``.
        definition: See ``KpiInfo``.
        contract: False for a KPI the model reports beyond the scenario contract.

    Raises:
        ValueError: The function has another name, not exactly one annotated argument, or the
            KPI name is already taken by another function.
    """
    def register(formula: Callable[[V], float]) -> Callable[[V], float]:
        hints = typing.get_type_hints(formula)
        hints.pop("return", None)
        if formula.__name__ != name or len(hints) != 1:
            raise ValueError(f"the formula of {name} must be `def {name}(view: View) -> float`")
        known = _REGISTERED.get(name)
        if known is not None and (known.formula.__module__, known.formula.__qualname__) != (
                formula.__module__, formula.__qualname__):
            raise ValueError(f"KPI {name} is defined twice: in {known.formula.__module__} and "
                             f"{formula.__module__}")
        info = KpiInfo(name, unit, direction, group, definition, contract)
        _REGISTERED[name] = Kpi(info, formula, next(iter(hints.values())))
        return formula

    return register


def registered(module: str) -> tuple[Kpi, ...]:
    """The KPIs whose formulas ``module`` defines, in the order it defines them."""
    return tuple(k for k in _REGISTERED.values() if k.formula.__module__ == module)
