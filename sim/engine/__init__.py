"""The engine: one replication of a scenario as a SimPy model, left behind as flat records.

Owns the random streams (one ``SeedSequence`` child per replication, a named stream per source),
the samplers, arrivals, crews on shifts, the call center, redials, field service, parts and
follow-ups. The clock unit is the minute (``sim.units``). Layers above see only ``simulate``, the
record tables (``Replication``, ``sim.engine.records``) and ``replication_seed``; they never drive
SimPy themselves.

Public face: ``simulate``, ``Replication``, ``replication_seed``.
"""

from sim.engine.model import Replication, simulate
from sim.engine.rng import replication_seed

__all__ = ["Replication", "replication_seed", "simulate"]
