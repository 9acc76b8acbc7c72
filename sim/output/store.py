"""Finished replications on disk, so an interrupted big run resumes without redoing them.

One JSON file per (scenario content, root seed, replication), written atomically when the
replication finishes: its KPIs, series, histograms, KPI ledger (so that windows, months and the
budget of a resumed run can still be computed), late drivers and run-out. JSON, not pickle: the
files are data a user may inspect, and loading them must never execute anything. Implements
``sim.experiments.store.Store``.

A file is used only if it says it is the replication asked for: its scenario digest, root seed and
replication number match (the file name alone proves nothing: a copied or renamed file, or one from
an older format, e.g. without a ledger or late drivers, is run again), and it parses into
well-typed tables. The replication seed is checked against the root seed by
``sim.experiments.replicate``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.measure.ledger import BINNED, PART_COLUMNS, Ledger
from sim.measure.outcome import Outcome
from sim.output.atomic import atomic_write_text

_TABLES = ("daily", "hourly", "late_drivers")
_ARRAYS = ("wait_hist", "turnaround_hist")


def _table_to_doc(table: pd.DataFrame) -> dict[str, Any]:
    return {"columns": {c: table[c].tolist() for c in table.columns},
            "dtypes": {c: str(t) for c, t in table.dtypes.items()}}


def _table_from_doc(doc: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(doc["columns"]).astype(doc["dtypes"])


def outcome_to_json(rep_seed: int, outcome: Outcome, digest: str = "", root_seed: int = -1,
                    rep: int = -1) -> str:
    """Serialise one replication's outcome (floats round-trip exactly through JSON), with the
    key it is stored under (scenario digest, root seed, replication) so that it can be checked."""
    doc: dict[str, Any] = {"digest": digest, "root_seed": root_seed, "rep": rep,
                           "seed": rep_seed, "kpis": outcome.kpis, "run_out": outcome.run_out}
    for name in _TABLES:
        doc[name] = _table_to_doc(getattr(outcome, name))
    for name in _ARRAYS:
        doc[name] = getattr(outcome, name).tolist()
    doc["ledger"] = {"parts": _table_to_doc(outcome.ledger.parts),
                     "bins": {k: _table_to_doc(t) for k, t in outcome.ledger.bins.items()}}
    return json.dumps(doc, allow_nan=True)


def outcome_from_json(text: str) -> tuple[int, Outcome]:
    """The inverse of ``outcome_to_json`` (the key fields are checked by the store)."""
    doc = json.loads(text)
    tables = {name: _table_from_doc(doc[name]) for name in _TABLES}
    arrays = {name: np.asarray(doc[name]) for name in _ARRAYS}
    if not isinstance(doc["kpis"], dict):
        raise TypeError("kpis is not a mapping")
    kpis = {str(k): float(v) if v is not None else float("nan") for k, v in doc["kpis"].items()}
    ledger = Ledger(_table_from_doc(doc["ledger"]["parts"]),
                    {k: _table_from_doc(t) for k, t in doc["ledger"]["bins"].items()})
    if list(ledger.parts.columns) != ["day", *PART_COLUMNS] or tuple(ledger.bins) != BINNED:
        raise ValueError("the ledger was written for another KPI catalogue")
    return int(doc["seed"]), Outcome(
        kpis=kpis, ledger=ledger, daily=tables["daily"], hourly=tables["hourly"],
        wait_hist=arrays["wait_hist"],
        turnaround_hist=arrays["turnaround_hist"], late_drivers=tables["late_drivers"],
        run_out={k: float(v) for k, v in doc["run_out"].items()})


MAX_FILE_BYTES = 256 << 20  # a replication's tables are a few MB; more is not ours


class ReplicationStore:
    """A folder of finished replications keyed by scenario digest, root seed and replication.

    ``rejected`` lists the files found but not used (damaged, or not the replication their
    name says), for a warning: each was run again.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.rejected: list[Path] = []

    def _path(self, digest: str, root_seed: int, rep: int) -> Path:
        return self.folder / f"{digest}-{root_seed}-{rep}.json"

    def get(self, digest: str, root_seed: int, rep: int) -> tuple[int, Outcome] | None:
        """A stored replication, or None (also for a file that fails its checks)."""
        path = self._path(digest, root_seed, rep)
        if not path.is_file():
            return None
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise ValueError("too large")
            text = path.read_text(encoding="utf-8")
            doc = json.loads(text)
            if not (isinstance(doc, dict) and doc.get("digest") == digest
                    and doc.get("root_seed") == root_seed and doc.get("rep") == rep):
                raise ValueError("not the replication its name says")
            return outcome_from_json(text)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            self.rejected.append(path)  # damaged, tampered or older: recomputed
            return None

    def reject(self, digest: str, root_seed: int, rep: int) -> None:
        """Record that a stored replication failed a check made by the caller (its seed)."""
        self.rejected.append(self._path(digest, root_seed, rep))

    def put(self, digest: str, root_seed: int, rep: int, rep_seed: int, outcome: Outcome
            ) -> None:
        """Keep a finished replication."""
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self._path(digest, root_seed, rep),
                          outcome_to_json(rep_seed, outcome, digest, root_seed, rep))
