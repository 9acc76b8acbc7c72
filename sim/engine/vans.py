"""Stock in the technicians' vans: the second echelon of spare parts.

This module owns what each van carries, the use of a unit from a van and the vans' refills from
the central store (``sim.engine.parts.PartsStore.transfer``). Each van keeps a base stock per SKU
(``parts.van_stock.skus``): it starts full, and at every refill (every midnight, or every
``refill_days``) it asks the central store for its deficit to the level, less what it asked for
earlier and has not received. The central store hands over what it has at once and serves the
rest as it arrives, first come first served with the jobs' own requests; a unit reaches the van
the moment the store allocates it (the courier is not modelled).

Whether a job's part is found in the van, shipped from the store or backordered is field
service's business (``sim.engine.field_service``), which calls ``Vans.take``. Measuring the tables
left here (``uses``, ``levels``) is ``sim.measure.vans``'s. Engine clock unit: minutes.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import simpy

from sim.engine.parts import PartsStore
from sim.scenario.inventory import Parts, VanStock
from sim.units import MINUTES_PER_DAY


@dataclass(slots=True, eq=False)
class VanUse:
    """One on-site part need, looked up in the technician's van."""

    sku: str
    job_id: int
    van: int
    time: float
    from_van: bool


class Vans:
    """Every van's stock of one replication.

    Args:
        env: The simulation environment (clock in minutes); built at time 0.
        van_stock: The scenario's ``parts.van_stock``.
        parts: The scenario's ``parts`` section (the SKUs, in order).
        store: The central store the vans are refilled from.
        count: How many vans (one per technician on the roster).
    """

    def __init__(self, env: simpy.Environment, van_stock: VanStock, parts: Parts,
                 store: PartsStore, count: int) -> None:
        self.env = env
        self.store = store
        self.count = count
        self.level = {s.sku: van_stock.skus.get(s.sku, 0) for s in parts.skus}
        self.on_van = [dict(self.level) for _ in range(count)]
        self._asked = [dict.fromkeys(self.level, 0) for _ in range(count)]
        self.uses: list[VanUse] = []
        self.transferred = dict.fromkeys(self.level, 0)
        # Units on all vans together, per SKU, as steps in time (the value KPI's input).
        self._total = {sku: level * count for sku, level in self.level.items()}
        self.levels: dict[str, list[tuple[float, int]]] = {
            sku: [(0.0, units)] for sku, units in self._total.items()}
        if any(self.level.values()) and count > 0:
            env.process(self._refills(van_stock.refill_every_days * MINUTES_PER_DAY))

    def take(self, sku: str, van: int, job_id: int) -> bool:
        """A technician on site needs one unit of ``sku``: True when their van has it (the unit
        is used), False otherwise. Every call is one need for ``van_fill_rate``."""
        now = self.env.now
        stock = self.on_van[van]
        found = stock[sku] > 0
        self.uses.append(VanUse(sku, job_id, van, now, found))
        if found:
            stock[sku] -= 1
            self._change(sku, -1, now)
        return found

    def _change(self, sku: str, units: int, now: float) -> None:
        self._total[sku] += units
        steps = self.levels[sku]
        if steps[-1][0] == now:
            steps[-1] = (now, self._total[sku])
        else:
            steps.append((now, self._total[sku]))

    def _refills(self, period: float) -> Generator[simpy.Event, Any, None]:
        while True:
            yield self.env.timeout(period)
            for van in range(self.count):
                for sku, level in self.level.items():
                    deficit = level - self.on_van[van][sku] - self._asked[van][sku]
                    if deficit > 0:
                        self._asked[van][sku] += deficit
                        self.store.transfer(sku, deficit, van, self._arrival(van, sku))

    def _arrival(self, van: int, sku: str) -> Callable[[], None]:
        """What to do when a unit of ``sku`` for ``van`` is allocated by the store."""
        return lambda: self._arrived(van, sku)

    def _arrived(self, van: int, sku: str) -> None:
        self._asked[van][sku] -= 1
        self.on_van[van][sku] += 1
        self.transferred[sku] += 1
        self._change(sku, 1, self.env.now)
