"""Random number streams: one seed drives everything.

A run's root seed spawns one child per replication (``SeedSequence(root, spawn_key=(rep,))``);
each replication's seed spawns one generator per *named* source of randomness. Stream keys are
derived from the name (CRC-32), not from a registry order, so adding a new source never shifts
the numbers of the existing ones, and two scenarios run with the same seed share random numbers
source by source (common random numbers). Nothing here touches global random state.
"""

from __future__ import annotations

import zlib

import numpy as np


def replication_seed(root_seed: int, rep: int) -> int:
    """The integer seed of replication ``rep`` of a run seeded with ``root_seed``.

    Running one replication alone with this seed reproduces it exactly.
    """
    child = np.random.SeedSequence(root_seed, spawn_key=(rep,))
    return int(child.generate_state(1, dtype=np.uint64)[0])


def stream_key(name: str) -> int:
    """The spawn key of a named stream: stable across versions and independent of other names."""
    return zlib.crc32(name.encode("utf-8"))


class Streams:
    """Named, independent ``numpy.random.Generator`` objects for one replication."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._generators: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        gen = self._generators.get(name)
        if gen is None:
            seq = np.random.SeedSequence(self.seed, spawn_key=(stream_key(name),))
            gen = np.random.Generator(np.random.PCG64(seq))
            self._generators[name] = gen
        return gen
