"""Every name a reader sees: KPI names, units and column headings.

This module owns the words of the explorer, the charts and the report, so that a reader sees
"Service level" and "pp" where the files say ``service_level`` and a difference of shares:

- ``kpi_label(name)``: the catalogue's KPIs by the names a manager uses;
- ``unit_label(unit, currency)``: a catalogue unit as printed (``share`` is ``%``,
  ``currency`` the scenario's currency);
- ``column_label(name)``: the columns of the tables the pages show (the CSV files keep theirs);
- ``resource_label(key)``: the crews and stock the bottleneck panel ranks;
- ``shock_label(kind)``: the stress test's shock types.

Every other message goes through ``sim.i18n.messages.tr``, the one translation hook.

No Streamlit, no matplotlib: pages, charts and the report all import from here.
"""

from __future__ import annotations

from sim.i18n.messages import current_language, kpi_name, tr, unit_name
from sim.measure.catalog import KPI_BY_NAME

# The catalogue's KPIs (``sim.measure.catalog``) as a manager names them. A KPI added to the
# catalogue needs a line here: `tests/test_labels.py` fails until it has one.
KPI_LABELS: dict[str, str] = {
    "calls_offered": "Calls offered",
    "calls_blocked_rate": "Busy signals",
    "service_level": "Service level",
    "asa_seconds": "Average speed of answer",
    "response_seconds_p90": "Answer time, 90th percentile",
    "abandon_rate": "Abandon rate",
    "agent_utilization": "Agent utilisation",
    "escalation_wait_minutes": "Hold for a specialist",
    "specialist_utilization": "Specialist utilisation",
    "complaint_on_time_rate": "Complaints resolved on time",
    "repairs_completed": "Repairs completed",
    "repair_on_time_rate": "Repairs on time",
    "first_time_fix_rate": "First-time fix rate",
    "repair_quality_pass_rate": "Repair quality pass rate",
    "repair_turnaround_hours": "Repair turnaround",
    "dispatch_wait_hours": "Wait for a technician",
    "technician_utilization": "Technician utilisation",
    "fill_rate": "Fill rate",
    "van_fill_rate": "Van fill rate",
    "part_wait_hours": "Wait for a part",
    "inventory_value_mean": "Mean stock value",
    "van_inventory_value_mean": "Mean stock value on the vans",
    "parts_lost_units": "Parts lost from the shelf",
    "followup_on_time_rate": "Follow-ups on time",
    "csat_mean": "Satisfaction (mean score)",
    "total_cost": "Total cost",
    "cost_per_repair": "Cost per repair",
    "cost_call_center": "Cost: call center",
    "cost_tech_support": "Cost: technical support",
    "cost_complaints": "Cost: complaints",
    "cost_field_service": "Cost: field service",
    "cost_depot": "Cost: depot",
    "cost_parts_purchase": "Cost: parts bought",
    "cost_holding": "Cost: holding stock",
    "cost_training": "Cost: training",
    "cost_ordering": "Cost: ordering",
    "cost_shrinkage": "Cost: parts lost",
    "cost_penalties": "Cost: late-repair penalties",
    "revenue": "Revenue",
    "operating_margin": "Operating margin",
    "hold_abandon_rate": "Hung up on hold",
    "rework_rate": "Rework rate",
    "depot_utilization": "Depot (bench) utilisation",
    "callback_wait_hours": "Wait for a callback",
    "repeat_repair_rate": "Repairs that came back",
    "right_first_time_rate": "Right first time",
    "appointment_kept_rate": "Appointments kept",
    "overtime_hours_per_technician_week": "Overtime per technician a week",
    "closed_hours_contacts": "Contacts while closed",
}

# Units of the catalogue as printed after a number; "currency" is the scenario's own.
UNIT_LABELS: dict[str, str] = {"share": "%", "s": "s", "min": "min", "h": "h",
                               "score 1-5": "score 1–5", "calls": "calls",
                               "work orders": "work orders", "units": "units",
                               "contacts": "contacts", "jobs": "jobs", "callers": "callers"}

# Headings of the tables the explorer shows (the CSV downloads keep the file's names).
COLUMN_LABELS: dict[str, str] = {
    "kpi": "KPI", "unit": "Unit", "mean": "Mean", "ci": "95% CI", "ci_low": "95% CI low",
    "ci_high": "95% CI high", "n": "Replications", "target": "Target", "status": "Status",
    "point": "Point", "total_cost": "Total cost", "meets_targets": "Meets every target",
    "targets_not_met": "Targets not met with confidence", "shock": "Shock", "type": "Type",
    "breaks": "Breaks", "first_break_day": "First day broken", "worst_day": "Worst day",
    "worst_value": "Worst value", "baseline_value": "Baseline then",
    "recovery_days": "Days to recover", "broken_days": "Days broken", "judged": "Judged",
    "rank": "Rank", "targets_broken": "Targets broken", "first_broken_target": "First to break",
    "total_cost_diff": "Extra cost", "total_cost_diff_ci": "Extra cost, 95% CI",
    "baseline_already": "Baseline alone", "horizon": "Whole horizon", "window": "Window",
    "resource": "Resource", "measure": "Measure", "value": "Value",
    "threshold": "Binds at", "binding": "Binding", "drives": "Targets missed it drives",
    # Daily series a stress test charts beside the KPIs (as their names read before).
    "open_work_orders": "Open work orders", "jobs_waiting_parts": "Jobs waiting parts",
    "peak_queue": "Peak queue",
}

# The crews (their utilisation KPI) and the stock of the bottleneck panel.
RESOURCE_LABELS: dict[str, str] = {
    "agents": "Call-center agents",
    "specialists": "Technical-support specialists",
    "technicians": "Field technicians",
    "depot": "Depot bench technicians",
    "stock": "Stock",
}

# The stress test's shock types as the Stress page offers them.
SHOCK_LABELS: dict[str, str] = {
    "demand_surge": "Demand surge",
    "defect_wave": "Defect wave",
    "supplier_delay": "Supplier delay",
    "absence": "Absence",
    "system_outage": "Phone outage",
    "skill_gap": "Untrained staff",
}

STATUS_LABELS: dict[str, str] = {"met": "met", "missed": "missed",
                                 "not significant": "not significant", "no data": "no data"}


def kpi_label(name: str) -> str:
    """A KPI by the name a manager uses: ``repair_on_time_rate`` -> ``Repairs on time``; in
    Chinese the manual's term (``kpi_name``)."""
    if current_language() != "en":
        return kpi_name(name)
    known = KPI_LABELS.get(name)
    if known is not None:
        return tr(known)
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:]


def unit_label(unit: str, currency: str = "") -> str:
    """A catalogue unit as printed: ``share`` -> ``%``, ``currency`` -> the currency; in Chinese
    the catalog's unit term (msgctxt ``unit``: ``h`` -> ``小时``), ``%`` staying ``%``."""
    if unit == "currency":
        return currency or tr("currency")
    if unit not in UNIT_LABELS:
        return unit
    if current_language() == "en" or unit == "share":
        return UNIT_LABELS[unit]
    return unit_name(unit)


def kpi_unit_label(name: str, currency: str = "") -> str:
    """The printed unit of a catalogue KPI (empty for a name outside the catalogue)."""
    info = KPI_BY_NAME.get(name)
    return unit_label(info.unit, currency) if info is not None else ""


def column_label(name: str) -> str:
    """A table heading: ``first_break_day`` -> ``First day broken``; a KPI name -> its label."""
    if name in COLUMN_LABELS:
        return tr(COLUMN_LABELS[name])
    if name in KPI_BY_NAME:
        return kpi_label(name)
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:]


def resource_label(key: str) -> str:
    """A crew or the stock: ``depot`` -> ``Depot bench technicians``."""
    return tr(RESOURCE_LABELS.get(key, key))


def shock_label(kind: str) -> str:
    """A shock type: ``system_outage`` -> ``Phone outage``."""
    return tr(SHOCK_LABELS.get(kind, kind.replace("_", " ")))


def status_label(status: str) -> str:
    """A target verdict (met, missed, not significant, no data) in the reader's language."""
    return tr(STATUS_LABELS.get(status, status))


def days_label(first: int, last: int) -> str:
    """A window of days of the run: ``days 35–76 (42 days)``."""
    count = last - first + 1
    if count == 1:
        return tr("day {day}", day=first)
    return tr("days {first}–{last} ({count} days)", first=first, last=last, count=count)
