"""The bottleneck panel for people: what binds in one sentence, and every crew and stock as a row
of friendly text (labels, percentages, the status a manager acts on).

The numbers and the rules are `sim.experiments.bottlenecks`'s; this module words them. Each row
gets a status:

- ``binds``: a crew at least 85% busy, a stock below its fill-rate target;
- ``targets missed``: a crew below 85% busy on average whose targets still miss in the window
  (an average hides its busy hours, and a small team absorbs peaks badly; the targets may also
  wait on another resource);
- ``slack``: neither.

No Streamlit.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import pandas as pd

from sim.experiments.bottlenecks import Bottlenecks
from sim.i18n.messages import tr
from sim.output.labels import column_label, days_label, kpi_label, resource_label
from sim.output.numbers import format_interval, format_value

BINDS, PRESSED, SLACK = "binds", "targets missed", "slack"


def resource_name(kind: str, resource: str) -> str:
    """A row's name: the crew's label, or ``Stock: compressor``."""
    return resource_label(resource) if kind == "crew" else tr("Stock: {sku}", sku=resource)


def status_of(row: Mapping[Hashable, Any]) -> str:
    """``binds``, ``targets missed`` or ``slack`` (see the module's rules)."""
    if bool(row["binding"]):
        return BINDS
    return PRESSED if row["kind"] == "crew" and row["drives"] else SLACK


def _drives(text: object) -> str:
    names = [kpi_label(k) for k in str(text or "").split(";") if k]
    return ", ".join(names) if names else "–"


def bottleneck_rows(found: Bottlenecks) -> pd.DataFrame:
    """The panel's table: one row per crew and SKU in rank order, every cell text.

    Columns (labelled): resource, measure, value with its 95% CI, where it binds, the status,
    and the missed targets it drives.
    """
    rows = []
    for r in found.table.to_dict("records"):
        measure = (tr("busy (utilisation)") if r["kind"] == "crew"
                   else tr("fill rate (parts from stock at once)"))
        binds_at = (tr("≥ {value}", value=format_value(float(r["threshold"]), "share", ""))
                    if r["kind"] == "crew" else
                    tr("< {value}", value=format_value(float(r["threshold"]), "share", "")))
        rows.append({
            column_label("resource"): resource_name(str(r["kind"]), str(r["resource"])),
            column_label("measure"): measure,
            column_label("value"): format_value(float(r["mean"]), "share", ""),
            column_label("ci"): format_interval(float(r["ci_low"]), float(r["ci_high"]),
                                                "share", ""),
            column_label("threshold"): binds_at,
            column_label("status"): tr(status_of(r)),
            column_label("drives"): _drives(r["drives"]),
        })
    columns = [column_label(c) for c in ("resource", "measure", "value", "ci", "threshold",
                                         "status", "drives")]
    return pd.DataFrame(rows, columns=columns)


def bottleneck_sentence(found: Bottlenecks) -> str:
    """What binds in the window, in one sentence (Markdown), e.g. *In days 35–76 (42 days):
    Depot bench technicians 94% busy, Stock: compressor fill rate 71% (target 95%) bind.*"""
    where = days_label(found.first_day, found.last_day)
    rows = found.table.to_dict("records")
    binding = [r for r in rows if status_of(r) == BINDS]
    pressed = [r for r in rows if status_of(r) == PRESSED]
    parts = []
    for r in binding:
        value = format_value(float(r["mean"]), "share", "")
        name = resource_name(str(r["kind"]), str(r["resource"]))
        if r["kind"] == "crew":
            parts.append(tr("**{name}** {value} busy", name=name, value=value))
        else:
            target = format_value(float(r["threshold"]), "share", "")
            parts.append(tr("**{name}** fill rate {value} (target {target})", name=name,
                               value=value, target=target))
    text = (tr("In {days}, these bind: {list}.", days=where, list="; ".join(parts))
            if parts else tr("In {days}, no crew is 85% busy or more and every stock meets "
                                "its fill-rate target.", days=where))
    for r in pressed:
        text += " " + tr(
            "{name} is {value} busy on average, yet targets it drives miss ({targets}): an "
            "average hides its busy hours, and those targets may also wait on another "
            "resource.",
            name=resource_name("crew", str(r["resource"])),
            value=format_value(float(r["mean"]), "share", ""), targets=_drives(r["drives"]))
    return text
