"""The KPI ledger: every KPI of a replication measured as parts per day, and the KPIs of any set
of days combined from them.

This module owns ``Ledger`` (the parts of one or more replications, one row per measured day),
``PART_COLUMNS`` and ``BINNED`` (its layout, from the catalogue), ``ledger_of`` (the catalogue's
formulas applied to the views of one replication by day) and the combinations: ``combine``
(any set of days, each replication), ``kpis_over`` (any set of days, one replication),
``kpis_by_day`` and ``kpis_by_period``. The horizon's KPIs are the combination of all measured
days, so the horizon, a window, a month and a day share one definition: each KPI's kind
(``sim.measure.kinds``) adds its parts over the days, then finishes them into the value; KPIs
defined from other KPIs are computed from their parents' combined values.

A day is a day of the clock (day 0 starts at minute 0, like ``daily.csv`` and demand events);
the first and last measured days are cut at the end of the warm-up and of the horizon.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.measure.catalog import KPIS
from sim.measure.kinds import Derived, Quantile
from sim.measure.registry import Kpi, Row
from sim.measure.window import NAN, Grid

PART_COLUMNS: tuple[str, ...] = tuple(f"{k.info.name}.{part}" for k in KPIS
                                      if k.kind.layout == "columns" for part in k.kind.parts)
"""The ledger's part columns: ``<kpi>.sum`` for totals, ``<kpi>.num`` and ``<kpi>.den`` for
ratios, in catalogue order."""
BINNED: tuple[str, ...] = tuple(k.info.name for k in KPIS if k.kind.layout == "bins")
"""The quantile KPIs, whose parts are counts on fixed bins (``Ledger.bins``)."""


@dataclass(frozen=True)
class Ledger:
    """Parts of every KPI by day, for one replication or stacked for several (``rep`` column).

    Attributes:
        parts: One row per (replication and) measured day in day order: ``rep`` (stacked only),
            ``day``, then ``PART_COLUMNS`` (float64).
        bins: For each KPI of ``BINNED``, its counts per day and bin where not zero: ``rep``
            (stacked only), ``day``, ``bin`` (the bin's index in the KPI's ``Bins``), ``count``
            (int32: a sparse table, as a few dozen of a thousand bins hold a day's waits).
    """

    parts: pd.DataFrame
    bins: Mapping[str, pd.DataFrame]

    @property
    def days(self) -> np.ndarray:
        """The measured days, in order."""
        return np.unique(self.parts["day"].to_numpy())

    def stacked(self, rep: int) -> Ledger:
        """This one replication's ledger with a ``rep`` column."""
        return Ledger.stack({rep: self})

    @classmethod
    def stack(cls, ledgers: Mapping[int, Ledger]) -> Ledger:
        """Replications' ledgers (by replication, each without ``rep``) one under the other,
        with a ``rep`` column."""
        reps = list(ledgers)

        def tagged(tables: list[pd.DataFrame]) -> pd.DataFrame:
            table = pd.concat(tables, ignore_index=True)
            table.insert(0, "rep", np.repeat(np.asarray(reps, dtype=np.int64),
                                             [len(t) for t in tables]))
            return table

        return cls(tagged([g.parts for g in ledgers.values()]),
                   {k: tagged([g.bins[k] for g in ledgers.values()]) for k in BINNED})


def ledger_of(seen: Mapping[type, object], days: Grid,
              release: Callable[[type], None] | None = None) -> Ledger:
    """The ledger of one replication: every formula of the catalogue on the view it reads,
    whose cohorts are the intervals of ``days``. ``release`` (if given) is called with each
    view's type after the last formula that reads it."""
    columns: list[np.ndarray] = []
    bins: dict[str, pd.DataFrame] = {}
    labels = days.day_labels
    last = {entry.view: i for i, entry in enumerate(KPIS) if not isinstance(entry.kind, Derived)}
    for i, entry in enumerate(KPIS):
        if isinstance(entry.kind, Derived):
            continue
        produced = entry.kind.columns(entry.formula(seen[entry.view]), days.count)
        if release is not None and last[entry.view] == i:
            release(entry.view)
        if isinstance(entry.kind, Quantile):
            day, where = np.nonzero(produced)
            # int32: the counts of a busy call center's waits are most of the ledger's bytes.
            bins[entry.info.name] = pd.DataFrame({
                "day": labels[day].astype(np.int32), "bin": where.astype(np.int32),
                "count": produced[day, where].astype(np.int32)})
        else:
            columns.append(produced)
    parts = pd.DataFrame(np.hstack(columns), columns=list(PART_COLUMNS))
    parts.insert(0, "day", labels)
    return Ledger(parts, bins)


def _values(ledger: Ledger, layers: Sequence[np.ndarray], groups: int) -> dict[str, np.ndarray]:
    """Every KPI of the catalogue for each of ``groups`` groups of ledger rows: parts added in
    row order, then finished.

    Each layer gives every row of ``parts`` a group (-1 leaves the row out of that layer); a
    row counts once in each layer, so overlapping sets of days (a month and its quarter) are
    one pass over the ledger, each in its own layer.
    """
    kept = [layer >= 0 for layer in layers]
    values = ledger.parts[list(PART_COLUMNS)].to_numpy(float)
    summed = np.zeros((groups, len(PART_COLUMNS)))
    np.add.at(summed, np.concatenate([layer[k] for layer, k in zip(layers, kept, strict=True)]),
              np.concatenate([values[k] for k in kept]))
    at = {name: i for i, name in enumerate(PART_COLUMNS)}
    row_of = _row_position(ledger.parts)
    out: dict[str, np.ndarray] = {}
    for entry in KPIS:
        name, kind = entry.info.name, entry.kind
        if isinstance(kind, Quantile):
            out[name] = kind.finish(_binned(ledger, name, row_of, layers, groups, kind))
        elif not isinstance(kind, Derived):
            cols = [at[f"{name}.{part}"] for part in kind.parts]
            out[name] = kind.finish(summed[:, cols])
    derived: list[Kpi] = [k for k in KPIS if isinstance(k.kind, Derived)]
    for entry in derived:
        out[entry.info.name] = np.asarray(entry.formula(Row(out)), dtype=float)
    return {entry.info.name: out[entry.info.name] for entry in KPIS}


def _row_position(parts: pd.DataFrame) -> pd.Index:
    """(rep, day) -> row of ``parts``, to place the bin counts."""
    if "rep" in parts:
        return pd.MultiIndex.from_arrays([parts["rep"].to_numpy(), parts["day"].to_numpy()])
    return pd.Index(parts["day"].to_numpy())


def _binned(ledger: Ledger, name: str, row_of: pd.Index, layers: Sequence[np.ndarray],
            groups: int, kind: Quantile) -> np.ndarray:
    """(groups x bins) counts of a quantile KPI, its day rows grouped as in ``_values``."""
    table = ledger.bins[name]
    if isinstance(row_of, pd.MultiIndex):
        rows = row_of.get_indexer(pd.MultiIndex.from_arrays([table["rep"].to_numpy(),
                                                             table["day"].to_numpy()]))
    else:
        rows = row_of.get_indexer(pd.Index(table["day"].to_numpy()))
    where = table["bin"].to_numpy().astype(np.int64)
    weights = table["count"].to_numpy(float)
    flats, counts = [], []
    for layer in layers:
        g = np.where(rows >= 0, layer[rows], -1)
        keep = g >= 0
        flats.append(g[keep] * kind.bins.count + where[keep])
        counts.append(weights[keep])
    totals = np.bincount(np.concatenate(flats), weights=np.concatenate(counts),
                         minlength=groups * kind.bins.count)
    return totals.reshape(groups, kind.bins.count)


def _reps(ledger: Ledger) -> np.ndarray:
    return (ledger.parts["rep"].to_numpy() if "rep" in ledger.parts
            else np.zeros(len(ledger.parts), dtype=np.int64))


def _check_some(chosen: np.ndarray, day: np.ndarray) -> None:
    if not chosen.any():
        raise ValueError(f"no measured day among those asked (measured: days {day.min()} to "
                         f"{day.max()})")


def combine(ledger: Ledger, days: Iterable[int] | None = None) -> pd.DataFrame:
    """The KPIs of each replication over a set of days (default: every measured day).

    Returns:
        One row per replication (``rep`` first when the ledger is stacked), every KPI of the
        catalogue in catalogue order.

    Raises:
        ValueError: None of ``days`` is measured.
    """
    day = ledger.parts["day"].to_numpy()
    chosen = np.ones(len(day), dtype=bool) if days is None else np.isin(day, list(days))
    _check_some(chosen, day)
    reps, rep_group = np.unique(_reps(ledger), return_inverse=True)
    table = pd.DataFrame(_values(ledger, [np.where(chosen, rep_group, -1)], len(reps)))
    if "rep" in ledger.parts:
        table.insert(0, "rep", reps)
    return table


def kpis_over(ledger: Ledger, days: Iterable[int] | None = None) -> dict[str, float]:
    """Every KPI of one replication over a set of days (default: every measured day, the
    horizon's KPIs), in catalogue order."""
    table = combine(ledger, days)
    if len(table) != 1:
        raise ValueError("kpis_over takes the ledger of one replication; use combine")
    row = table.drop(columns="rep", errors="ignore").to_numpy(float)[0]
    # One NaN object for every unmeasurable KPI, so that two rows compare equal as dicts.
    return {name: NAN if math.isnan(v) else v
            for name, v in zip(table.columns.drop("rep", errors="ignore"), row.tolist(),
                               strict=True)}


def kpis_by_day(ledger: Ledger) -> pd.DataFrame:
    """Every KPI of each measured day (and replication): ``rep`` when stacked, ``day``, then
    the catalogue."""
    values = pd.DataFrame(_values(ledger, [np.arange(len(ledger.parts))], len(ledger.parts)))
    keys = ledger.parts[[c for c in ("rep", "day") if c in ledger.parts]].reset_index(drop=True)
    return pd.concat([keys, values], axis=1)


def kpis_by_period(ledger: Ledger, periods: Sequence[tuple[str, int, int]]) -> pd.DataFrame:
    """Every KPI of each period (and replication): ``rep`` when stacked, ``period``, then the
    catalogue.

    Args:
        ledger: One replication's ledger or several stacked.
        periods: (label, first day, last day), both days included (calendar months, quarters,
            a peak); periods may overlap.

    Raises:
        ValueError: A period holds no measured day.
    """
    day = ledger.parts["day"].to_numpy()
    reps, rep_group = np.unique(_reps(ledger), return_inverse=True)
    layers = []
    for k, (_, first, last) in enumerate(periods):
        chosen = (day >= first) & (day <= last)
        _check_some(chosen, day)
        layers.append(np.where(chosen, k * len(reps) + rep_group, -1))
    table = pd.DataFrame(_values(ledger, layers, len(periods) * len(reps)))
    table.insert(0, "period", np.repeat([label for label, _, _ in periods], len(reps)))
    if "rep" in ledger.parts:
        table.insert(0, "rep", np.tile(reps, len(periods)))
    return table
