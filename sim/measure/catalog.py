"""The KPI catalogue: every KPI the model reports, in catalogue order, each with its formula.

This module owns ``KPIS`` (the registered ``Kpi`` entries in catalogue order), ``KPI_BY_NAME``
(name -> ``KpiInfo``), ``KPI_NAMES``, ``CONTRACT_KPI_NAMES`` and ``COST_KPIS``. The entries
themselves are written beside their formulas (``sim.measure.registry.kpi``), in the modules
listed in ``FORMULA_MODULES``; to find how a KPI is computed, grep its name.

Catalogue order is the order of results files (``replications.csv``, ``summary.csv``): first
the KPIs of the scenario contract, then the additions the model reports beyond it, each in
``FORMULA_MODULES`` order and, within a module, in the order it defines them. Names and
meanings of contract KPIs are fixed (users' scripts read them): add entries, never rename.
``sim.scenario.kpi_names`` repeats the contract's names for the scenario layer; a test keeps the
two equal.
"""

from __future__ import annotations

from sim.measure import calls, complaints, costs, followups, parts, repairs
from sim.measure.registry import Kpi, KpiInfo, registered

FORMULA_MODULES = (calls, complaints, repairs, parts, followups, costs)

_ALL: tuple[Kpi, ...] = tuple(k for module in FORMULA_MODULES
                              for k in registered(module.__name__))
KPIS: tuple[Kpi, ...] = (*(k for k in _ALL if k.info.contract),
                         *(k for k in _ALL if not k.info.contract))
KPI_BY_NAME: dict[str, KpiInfo] = {k.info.name: k.info for k in KPIS}
KPI_NAMES: tuple[str, ...] = tuple(KPI_BY_NAME)
CONTRACT_KPI_NAMES: tuple[str, ...] = tuple(k.info.name for k in KPIS if k.info.contract)
COST_KPIS: tuple[str, ...] = tuple(name for name in KPI_NAMES if name.startswith("cost_"))
