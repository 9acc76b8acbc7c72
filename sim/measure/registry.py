"""How a KPI is declared: its entry (``KpiInfo``) and the ``kpi`` decorator that ties the entry to
the function computing it and to how its parts combine.

This module owns ``Direction``, ``KpiInfo`` (name, unit, direction, group, definition text, and
whether the name is part of the scenario contract), ``Kpi`` (an entry with its formula, the view
the formula reads and its combination kind), the ``kpi`` decorator, ``Row`` (the view of KPIs
defined from other KPIs) and ``values`` / ``value`` (a formula's KPI per cohort of a view, or for
a view of one cohort). Formulas live in the modules of ``sim.measure`` by meaning (``calls``,
``complaints``, ``repairs``, ``parts``, ``followups``, ``costs``), each written as::

    @kpi("service_level", "share", "at_least", "call center", "answered within ... / offered",
         kind=RATIO)
    def service_level(calls: Calls) -> tuple[np.ndarray, np.ndarray]:  # (in target, offered)

so grepping a KPI's name lands on its entry with its formula right below it. A formula measures
*parts* per cohort of its view (per day of the measured window; per week of a company's logs...),
never the KPI itself: the kind (``sim.measure.kinds``) says how parts combine over any set of
days into the value, so the horizon, a window, a month and a day share one definition. The
ordered catalogue of every registered KPI is ``sim.measure.catalog``.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import numpy as np

from sim.measure.kinds import DERIVED, Derived, Kind

KpiParts = np.ndarray | tuple[np.ndarray, np.ndarray]
"""What a formula gives per cohort: one array (``SUM``, ``DERIVED``), ``(num, den)``
(``RATIO``) or counts per cohort and bin (``Quantile``)."""
R = TypeVar("R", bound=KpiParts)
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
        of a share near 1 from few replications would otherwise promise more than 100%).
        A utilisation is busy / staffed time, and busy time includes overtime: it may pass 1."""
        if self.unit == "share" and not self.name.endswith("_utilization"):
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
        formula: The function decorated with ``kpi``: one view -> the KPI's parts per cohort.
        view: The type of the formula's argument (``Calls``, ``Period``, ``Row``...), so that
            ``sim.measure.ledger`` knows which view to hand it.
        kind: How its parts combine over days (``sim.measure.kinds``).
    """

    info: KpiInfo
    formula: Callable[[Any], Any]
    view: type
    kind: Kind


@dataclass(frozen=True, slots=True)
class Row:
    """The combined KPIs computed so far, one value per group of days (catalogue order), for
    KPIs defined from other KPIs (``cost_per_repair``, ``operating_margin``)."""

    values: Mapping[str, np.ndarray]

    def __getitem__(self, name: str) -> np.ndarray:
        """The values of an earlier KPI of the catalogue."""
        return self.values[name]


_REGISTERED: dict[str, Kpi] = {}


def kpi(name: str, unit: str, direction: Direction, group: str, definition: str, *,
        kind: Kind = DERIVED, contract: bool = True
        ) -> Callable[[Callable[[V], R]], Callable[[V], R]]:
    """Register the decorated function as the formula of the KPI ``name``.

    The function is returned unchanged (callers use it like any function, or through ``values``
    for the KPI itself); its one argument's annotation names the view it reads.

    Args:
        name: The KPI's name; the function must carry the same name (one hop from name to code).
        unit: See ``KpiInfo``.
        direction: See ``KpiInfo``.
        group: See ``KpiInfo``.
        definition: See ``KpiInfo``.
        kind: How its parts combine over days: ``SUM``, ``RATIO``, a ``Quantile``; a KPI
            from other KPIs (its view is ``Row``) is ``DERIVED``, the default.
        contract: False for a KPI the model reports beyond the scenario contract.

    Raises:
        ValueError: The function has another name, not exactly one annotated argument, the
            KPI name is already taken by another function, or the kind does not fit the view
            (``DERIVED`` exactly for ``Row``).
    """
    def register(formula: Callable[[V], R]) -> Callable[[V], R]:
        hints = typing.get_type_hints(formula)
        hints.pop("return", None)
        if formula.__name__ != name or len(hints) != 1:
            raise ValueError(f"the formula of {name} must be `def {name}(view: View) -> parts`")
        view = next(iter(hints.values()))
        if (view is Row) != isinstance(kind, Derived):
            raise ValueError(f"{name}: a KPI reading Row is DERIVED, any other is not")
        known = _REGISTERED.get(name)
        if known is not None and (known.formula.__module__, known.formula.__qualname__) != (
                formula.__module__, formula.__qualname__):
            raise ValueError(f"KPI {name} is defined twice: in {known.formula.__module__} and "
                             f"{formula.__module__}")
        info = KpiInfo(name, unit, direction, group, definition, contract)
        _REGISTERED[name] = Kpi(info, formula, view, kind)
        return formula

    return register


def values(formula: Callable[[V], KpiParts], view: V) -> np.ndarray:
    """A registered formula's KPI for each cohort of ``view`` (each day, week, hour...)."""
    entry = _REGISTERED[formula.__name__]
    produced = formula(view)
    if isinstance(entry.kind, Derived):
        return np.asarray(produced, dtype=float)
    cohorts = len(np.asarray(produced[0] if isinstance(produced, tuple) else produced))
    return entry.kind.finish(entry.kind.columns(produced, cohorts))


def value(formula: Callable[[V], KpiParts], view: V) -> float:
    """A registered formula's KPI on a view of one cohort (a whole window)."""
    (only,) = values(formula, view)
    return float(only)


def registered(module: str) -> tuple[Kpi, ...]:
    """The KPIs whose formulas ``module`` defines, in the order it defines them."""
    return tuple(k for k in _REGISTERED.values() if k.formula.__module__ == module)
