"""The KPI names a scenario's ``targets`` may use: the contract's list, in catalogue order.

A target is keyed by a KPI name, so the scenario format must know the names before anything is
measured, and this layer cannot import ``sim.measure``. What each KPI means and how it is computed
lives in one place in ``sim.measure`` (each formula beside its catalogue entry); this list only
names the contract's KPIs, and ``tests/test_catalog.py`` fails unless it equals
``sim.measure.catalog.CONTRACT_KPI_NAMES``, order included. Add names, never rename (users'
files and scripts rely on them).
"""

from __future__ import annotations

KPI_NAMES: tuple[str, ...] = (
    "calls_offered", "calls_blocked_rate", "service_level", "asa_seconds",
    "response_seconds_p90", "abandon_rate", "agent_utilization", "escalation_wait_minutes",
    "specialist_utilization", "callback_wait_hours", "complaint_on_time_rate",
    "repairs_completed", "repair_on_time_rate", "first_time_fix_rate",
    "repair_quality_pass_rate", "repair_turnaround_hours", "dispatch_wait_hours",
    "technician_utilization", "repeat_repair_rate", "right_first_time_rate",
    "appointment_kept_rate", "overtime_hours_per_technician_week", "fill_rate",
    "part_wait_hours", "inventory_value_mean", "parts_lost_units", "van_fill_rate",
    "van_inventory_value_mean", "followup_on_time_rate",
    "csat_mean", "total_cost", "cost_per_repair", "cost_call_center", "cost_tech_support",
    "cost_complaints", "cost_field_service", "cost_depot", "cost_parts_purchase", "cost_holding",
    "cost_ordering", "cost_shrinkage", "cost_penalties", "revenue", "operating_margin",
)
