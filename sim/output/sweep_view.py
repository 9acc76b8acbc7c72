"""A sweep for people: its advice in sentences and its table of points in labels and units.

The rules are `sim.experiments.sweep`'s (which point meets every target, the cheapest that does,
``missed_everywhere``: the targets missed at every point and whether the factor moves them);
this module words them. When no point meets every target it says which targets miss at every
point and, for those the factor does not move, that widening the range will not help and which
crews drive them (`sim.experiments.bottlenecks.CREWS`). No Streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sim.experiments.bottlenecks import CREWS
from sim.experiments.sweep import MissedTarget, SweepResult, missed_everywhere
from sim.i18n.messages import tr
from sim.output.labels import column_label, kpi_label, resource_label
from sim.output.numbers import format_value, kpi_unit


def _joined(names: list[str], word: str) -> str:
    """``a, b and c`` (or ``or``)."""
    if len(names) <= 1:
        return "".join(names)
    first, last = ", ".join(names[:-1]), names[-1]
    if word == "and":
        return tr("{first} and {last}", first=first, last=last)
    return tr("{first} or {last}", first=first, last=last)


def _names(kpis: list[str]) -> str:
    return _joined([kpi_label(k) for k in kpis], "and")


def _range(target: MissedTarget, currency: str) -> str:
    unit = kpi_unit(target.kpi)
    low, high = (format_value(v, unit, currency) for v in (target.lowest, target.highest))
    return low if low == high else tr("{low} to {high}", low=low, high=high)


def drivers(kpis: list[str], swept: str) -> list[str]:
    """The crews whose capacity drives ``kpis``, leaving out the one the factor ``swept``
    (a dotted key such as ``field_service.technicians.0.count``) already varies."""
    keys = set(swept.split("."))
    return [crew for crew, (_kpi, drives) in CREWS.items()
            if crew not in keys and set(kpis) & set(drives)]


def _lever(result: SweepResult, names: Mapping[str, str]) -> str:
    return _joined([names.get(f.key, f.key) for f in result.factors], "and")


def sweep_advice(result: SweepResult, names: Mapping[str, str], currency: str
                 ) -> tuple[bool, str]:
    """Whether a point meets every target, and what to do, in Markdown.

    Args:
        result: The sweep.
        names: Factor key -> the lever as a reader names it (e.g. ``Technicians: day``); a
            key left out is shown as it is.
        currency: The scenario's currency.
    """
    best = result.cheapest_feasible
    key = ".".join(f.key for f in result.factors)
    lever = _lever(result, names)
    if best is not None:
        row = result.overview.set_index("point").to_dict("index")[best]
        cost = format_value(float(row["total_cost"]), "currency", currency)
        values = ", ".join(f"{names.get(f.key, f.key)} = {row[f.key]}" for f in result.factors)
        return True, tr("Cheapest point meeting every target: **{point}**, {values}, total "
                           "cost {cost}.", point=best, values=values, cost=cost)
    missed = missed_everywhere(result)
    if not missed:
        return False, tr("No point meets every target with confidence, yet each target is "
                            "met at some point: look for a point between them or vary two "
                            "levers together.")
    fixed = [m for m in missed if not m.moves]
    moved = [m for m in missed if m.moves]
    text = [tr("No point meets every target with confidence. Missed at every point: "
                  "{names}.", names=_names([m.kpi for m in missed]))]
    if fixed:
        ranges = "; ".join(tr("{name} {range}", name=kpi_label(m.kpi),
                                 range=_range(m, currency)) for m in fixed)
        text.append(tr("**{lever} does not move {names}**: their change across the sweep "
                          "is within noise ({ranges}), so widening the range will not help.",
                          lever=lever, names=_names([m.kpi for m in fixed]), ranges=ranges))
        crews = drivers([m.kpi for m in fixed], key)
        if crews:
            text.append(tr("They depend on {crews}: vary that instead.",
                              crews=_joined([resource_label(c) for c in crews], "or")))
    if moved:
        text.append(tr("{names} move with {lever} but miss at every point: widen the range.",
                          names=_names([m.kpi for m in moved]), lever=lever))
    return False, " ".join(text)


def overview_rows(result: SweepResult, names: Mapping[str, str], currency: str
                  ) -> pd.DataFrame:
    """One row per point in words: each factor's value (headed by its lever's name), total
    cost, whether it meets every target, and the targets it does not meet with confidence."""
    table = result.overview
    return pd.DataFrame({
        column_label("point"): table["point"],
        **{names.get(f.key, f.key): table[f.key] for f in result.factors},
        column_label("total_cost"): [format_value(float(v), "currency", currency)
                                     for v in table["total_cost"]],
        column_label("meets_targets"): [tr("yes") if bool(v) else tr("no")
                                        for v in table["meets_targets"]],
        column_label("targets_not_met"): [
            ", ".join(kpi_label(k) for k in str(v).split(";") if k) or "–"
            for v in table["targets_not_met"].fillna("")],
    })
