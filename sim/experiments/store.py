"""Finished replications kept for reuse: the store protocol, the in-memory store, the digest.

``replicate_many`` asks a store for each (scenario content, root seed, replication) before running
it and hands it every replication that finishes, so a run interrupted or extended never redoes
one. ``MemoryStore`` keeps them for one command (sequential precision, the optimizer); the disk
store that lets a sweep resume after a crash is ``sim.output.store.ReplicationStore``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Protocol

from sim.measure.outcome import Outcome

# Keys that never change what one replication simulates or measures: its label, how many
# replications a run asks for, and the targets the run's summary is judged against.
NOT_SIMULATED = ("name", "description", "replications", "targets")


def scenario_digest(scenario_json: str) -> str:
    """A short content hash of a scenario's canonical JSON."""
    return hashlib.sha256(scenario_json.encode("utf-8")).hexdigest()[:20]


def replication_digest(scenario_json: str) -> str:
    """The key a replication is kept under: the digest of what it simulates.

    Two scenarios that differ only in ``NOT_SIMULATED`` keys run the same replications, so a
    re-solve with a tightened target (``optimize --price-targets``) or a renamed copy reads
    them back instead of running them again.
    """
    data = json.loads(scenario_json)
    for key in NOT_SIMULATED:
        data.pop(key, None)
    return scenario_digest(json.dumps(data, sort_keys=True, separators=(",", ":")))


class Store(Protocol):
    """Where finished replications are kept, keyed by replication digest (``replication_digest``),
    root seed and replication."""

    def get(self, digest: str, root_seed: int, rep: int) -> tuple[int, Outcome] | None:
        """A kept replication (its seed and outcome), or None."""

    def put(self, digest: str, root_seed: int, rep: int, rep_seed: int, outcome: Outcome
            ) -> None:
        """Keep a finished replication."""

    def reject(self, digest: str, root_seed: int, rep: int) -> None:
        """A kept replication failed the caller's check (its seed): it is run again."""


class MemoryStore:
    """Finished replications kept in memory for the life of one command.

    ``replicate_many`` reads a replication back instead of rerunning it, so asking for 20
    replications of a scenario that already has 10 runs only the 10 new ones. ``simulated``
    counts the replications actually run.
    """

    def __init__(self) -> None:
        """Start empty."""
        self._kept: dict[tuple[str, int, int], tuple[int, Outcome]] = {}
        self.simulated = 0

    def get(self, digest: str, root_seed: int, rep: int) -> tuple[int, Outcome] | None:
        """A kept replication, or None."""
        return self._kept.get((digest, root_seed, rep))

    def put(self, digest: str, root_seed: int, rep: int, rep_seed: int, outcome: Outcome
            ) -> None:
        """Keep a finished replication."""
        self._kept[(digest, root_seed, rep)] = (rep_seed, outcome)
        self.simulated += 1

    def keep(self, digest: str, root_seed: int, rep: int, rep_seed: int, outcome: Outcome
             ) -> None:
        """Keep a replication read from elsewhere (not counted as simulated)."""
        self._kept[(digest, root_seed, rep)] = (rep_seed, outcome)

    def reject(self, digest: str, root_seed: int, rep: int) -> None:
        """Forget a kept replication that failed a check (it is run again)."""
        self._kept.pop((digest, root_seed, rep), None)
