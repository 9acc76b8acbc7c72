"""The fitted scenario under construction: plain data plus where each value came from.

This module owns ``Fit`` (what ``sim.calibrate.fit.fit_logs`` returns), ``ParamFit`` (one fitted
number with its interval) and ``Builder``, the scratch pad every section fitter writes to: it sets
keys with a provenance comment, fits durations and shares, keeps the base's value (saying why) and
records notes for the report. The section fitters are ``sim.calibrate.calls`` and
``sim.calibrate.service``.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.calibrate.estimators import (
    DistFit,
    Estimate,
    fit_durations,
    peak_concurrency,
    proportion,
    round_sig,
)
from sim.calibrate.read import Logs
from sim.i18n.messages import tr
from sim.scenario.format import Scenario
from sim.units import MINUTES_PER_MILLISECOND

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class ParamFit:
    """A fitted number of the scenario (a rate, share, probability or profile weight)."""

    path: str
    estimate: Estimate
    n: int
    unit: str = ""


@dataclass
class Fit:
    """What ``fit_logs`` found.

    Attributes:
        scenario: The fitted, validated scenario.
        params: Fitted numbers with their intervals, in scenario order.
        dists: Fitted distributions by dotted key path.
        daily: Customer contacts per replication and day of the window (``rep``, ``day``,
            ``date``, ``contacts``), for the report.
        comments: Per key path, where its value came from (written into the YAML).
        notes: Data remarks for the report (values left out, SKUs unknown to the base, ...).
        from_base: Key paths taken from the base, with the reason.

    Comments, notes and reasons are in the language the fit ran in (``sim.i18n``): the
    section fitters write them through ``tr``; key paths inside them stay English.
        kpis: ``kpi_samples`` of the logs: per replication with three or more, else per week.
        base_source: The base scenario's file, or None for the minimal scenario.
        confidence: Level of every interval.
    """

    scenario: Scenario
    params: list[ParamFit]
    dists: dict[str, DistFit]
    daily: pd.DataFrame
    comments: dict[Path_, str]
    notes: list[str]
    from_base: list[tuple[str, str]]
    kpis: pd.DataFrame
    base_source: str | None
    confidence: float
    logs: Logs = field(repr=False)


def dotted(path: Path_) -> str:
    """A key path as text: ``("parts", "skus", 0)`` -> ``parts.skus.0``."""
    return ".".join(str(p) for p in path)


def fmt4(x: float) -> str:
    """A number for a comment: 4 significant digits."""
    return f"{round_sig(x, 4):g}"


def family_name(family: str) -> str:
    """A distribution family (the scenario's ``dist`` value) in the reader's language."""
    names = {"exponential": tr("exponential"), "lognormal": tr("lognormal"),
             "gamma": tr("gamma"), "constant": tr("constant")}
    return names.get(family, family)


def span(rows: np.ndarray | None, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """``second - first`` for the rows (all, or where ``rows``) where both are known."""
    d = second - first
    return d[np.isfinite(d)] if rows is None else d[np.isfinite(d) & rows]


class Builder:
    """The fitted scenario as plain data, with the provenance of each key."""

    def __init__(self, base: dict[str, Any], has_base: bool, logs: Logs, confidence: float
                 ) -> None:
        self.data = copy.deepcopy(base)
        self.base = base
        self.has_base = has_base
        self.logs = logs
        self.confidence = confidence
        self.comments: dict[Path_, str] = {}
        self.params: list[ParamFit] = []
        self.dists: dict[str, DistFit] = {}
        self.notes: list[str] = []
        self.from_base: list[tuple[str, str]] = []

    # -- plumbing --
    def base_value(self, path: Path_) -> Any:
        """The base's value at ``path``, or None when the base has none."""
        node: Any = self.base
        for key in path:
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                return None
        return node

    def set(self, path: Path_, value: Any, comment: str) -> None:
        """Set (or, with None, remove) the key at ``path``, saying where the value came from."""
        node: Any = self.data
        for key in path[:-1]:
            if isinstance(node, dict) and node.get(key) is None:
                node[key] = {}
            node = node[key]
        if value is None and isinstance(node, dict):
            node.pop(path[-1], None)
        else:
            node[path[-1]] = value
        self.comments[path] = comment

    def label(self, path: Path_) -> str:
        """The dotted key path, list entries named by their ``sku`` (``parts.skus.pump.share``)."""
        parts: list[str] = []
        node: Any = self.data
        for key in path:
            item = node[key] if isinstance(node, list) and isinstance(key, int) else (
                node.get(key) if isinstance(node, dict) else None)
            named = item.get("sku") if isinstance(item, dict) and isinstance(key, int) else None
            parts.append(str(named if named is not None else key))
            node = item
        return ".".join(parts)

    def keep(self, path: Path_, reason: str) -> bool:
        """Keep the base's value at ``path`` (True), or report that there is none (False)."""
        if not self.has_base or self.base_value(path) is None:
            return False
        self.comments[path] = tr("from the base: {reason}", reason=reason)
        self.from_base.append((self.label(path), reason))
        return True

    def number(self, path: Path_, est: Estimate | None, n: int, value: float | None = None,
               unit: str = "", digits: int = 4) -> bool:
        """Set a fitted number (rounded), recording its interval; False when not estimable."""
        if est is None:
            return False
        shown = round_sig(est.value if value is None else value, digits)
        self.params.append(ParamFit(self.label(path), est, n, unit))
        self.set(path, shown, tr("fitted: {value} [{low}, {high}], n={n}", value=fmt4(est.value),
                                 low=fmt4(est.low), high=fmt4(est.high), n=n))
        return True

    def dist(self, path: Path_, values: np.ndarray, what: str, scale: float = 1.0,
             observed: np.ndarray | None = None, fallback: bool = True,
             limits: np.ndarray | None = None) -> bool:
        """Fit a duration key (``values`` in minutes, divided by ``scale``); else the base's.

        ``what`` names the values in the reader's language (the caller's ``tr``: "waiting
        callers"); it goes into the comment and the notes.

        ``observed`` marks events (True) and right-censored values (False); without it every
        value is an event. ``limits`` (minutes): right-truncation points. ``fallback``: with
        too few values for a distribution and nothing in the base, use their mean (wrong for
        censored values, hence off for those)."""
        fit = fit_durations(values / scale, observed, self.confidence,
                            MINUTES_PER_MILLISECOND / scale,
                            None if limits is None else limits / scale)
        too_few = tr("too few {what} in the records ({n})", what=what, n=len(values))
        if fit is not None and fit.censored and not math.isfinite(fit.ks):
            # Censored, and never 10 observations still at risk at an event: Kaplan-Meier has
            # nothing to check the fit against (a short log of long lead times).
            too_few = tr("too few {what} in the records to check a fit ({n}, {censored} still "
                         "open when the records end)", what=what, n=fit.n, censored=fit.censored)
            fit = None
        if fit is None:
            if self.keep(path, too_few):
                self.notes.append(tr("{key}: too little data ({why}); the base's value is kept",
                                     key=self.label(path), why=too_few))
                return True
            if fallback and len(values):
                value = round_sig(float(np.mean(values / scale)), 4)
                self.set(path, value, tr("mean of only {n} {what}: too few for a distribution",
                                         n=len(values), what=what))
                return True
            return False
        self.dists[self.label(path)] = fit
        if fit.dropped_zeros:
            self.notes.append(tr("{key}: {n} zero durations left out of the fit ({family} lives "
                                 "on positive values)", key=self.label(path),
                                 n=fit.dropped_zeros, family=family_name(fit.family)))
        if fit.family == "constant":
            comment = tr("fitted: constant in all {n} {what}", n=fit.n, what=what)
        else:
            cv = "" if fit.family == "exponential" else tr(
                ", cv {value} [{low}, {high}]", value=fmt4(fit.cv.value), low=fmt4(fit.cv.low),
                high=fmt4(fit.cv.high))
            censored = tr(" ({n} censored)", n=fit.censored) if fit.censored else ""
            comment = tr("fitted {family}: mean {value} [{low}, {high}]{cv}, n={n}{censored}, "
                         "KS {ks}", family=family_name(fit.family), value=fmt4(fit.mean.value),
                         low=fmt4(fit.mean.low), high=fmt4(fit.mean.high), cv=cv, n=fit.n,
                         censored=censored, ks=f"{fit.ks:.3f}")
        self.set(path, fit.spec(), comment)
        return True

    def share(self, path: Path_, hits: int, trials: int, what: str, floor: float = 0.0) -> bool:
        """Set a fitted probability (at least ``floor``); the base's without trials.
        ``what``: the trials, in the reader's language (as for ``dist``)."""
        est = proportion(hits, trials, self.confidence)
        if est is None:
            return self.keep(path, tr("no {what} in the records", what=what))
        value = max(est.value, floor)
        if value != est.value:
            self.notes.append(tr("{key}: {value:g} raised to {floor:g}, the smallest value the "
                                 "scenario format allows", key=self.label(path),
                                 value=est.value, floor=floor))
        return self.number(path, est, trials, value)

    def staff(self, path: Path_, rep: np.ndarray, start: np.ndarray, end: np.ndarray,
              what: str) -> None:
        """Staffing from the base; without one, the records' peak of simultaneous work.
        ``what``: the work, in the reader's language (as for ``dist``)."""
        if self.keep(path, tr("staffing is not in the logs")):
            return
        peak = max(1, peak_concurrency(rep, start, end))
        self.set(path, peak, tr("not in the logs and not in the base: the peak number of {what} "
                                "at once in the records (a lower bound), around the clock",
                                what=what))
        self.notes.append(tr("{key} = {peak}: a lower bound from the records; give a base "
                             "scenario with the real rosters", key=self.label(path), peak=peak))


def as_number(b: Builder, path: Path_) -> None:
    """Keys that take a plain number (a deadline, a promise): the fitted mean if not constant."""
    fit = b.dists.get(b.label(path))
    if fit is not None and fit.family != "constant":
        b.set(path, round_sig(fit.mean.value, 4), tr("varies in the records ({family}, cv {cv}): "
                                                     "its mean", family=family_name(fit.family),
                                                     cv=fmt4(fit.cv.value)))

