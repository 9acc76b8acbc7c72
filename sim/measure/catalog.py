"""The KPI catalogue: every KPI name of the contract, its unit, and which side of a target is good.

This module owns names only; how each KPI is computed lives in `sim.measure.kpis`. Names and
meanings are fixed by the scenario contract (users' scripts read them): add entries, never rename.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Direction = Literal["at_least", "at_most"]


@dataclass(frozen=True, slots=True)
class KpiInfo:
    """What a KPI means to a reader: its unit, department and the good side of a target."""

    name: str
    unit: str
    direction: Direction
    group: str
    description: str


    @property
    def bounds(self) -> tuple[float, float]:
        """The values the KPI can take: its confidence intervals are clipped to them (a t-interval
        of a share near 1 from few replications would otherwise promise more than 100%)."""
        if self.unit == "share":
            return (0.0, 1.0)
        if self.unit == "score 1-5":
            return (1.0, 5.0)
        if self.name == "operating_margin":
            return (-math.inf, math.inf)  # a loss is a negative margin
        return (0.0, math.inf)  # counts, times, costs and revenue


def _k(name: str, unit: str, direction: Direction, group: str, description: str) -> KpiInfo:
    return KpiInfo(name, unit, direction, group, description)


KPIS: tuple[KpiInfo, ...] = (
    _k("calls_offered", "calls", "at_least", "call center",
       "contacts arriving in the measured window"),
    _k("calls_blocked_rate", "share", "at_most", "call center", "busy signals / offered"),
    _k("service_level", "share", "at_least", "call center",
       "answered within answer_target_seconds / offered"),
    _k("asa_seconds", "s", "at_most", "call center", "mean wait of answered calls"),
    _k("response_seconds_p90", "s", "at_most", "call center",
       "90th percentile of time to answer, answered calls"),
    _k("abandon_rate", "share", "at_most", "call center", "abandoned / offered"),
    _k("agent_utilization", "share", "at_most", "call center",
       "agent busy time / staffed agent time"),
    _k("escalation_wait_minutes", "min", "at_most", "technical support",
       "mean hold time for a specialist, escalated calls"),
    _k("specialist_utilization", "share", "at_most", "technical support",
       "specialist busy time / staffed specialist time"),
    _k("complaint_on_time_rate", "share", "at_least", "complaints",
       "complaints resolved within deadline_hours / complaints opened"),
    _k("repairs_completed", "work orders", "at_least", "field service", "work orders finished"),
    _k("repair_on_time_rate", "share", "at_least", "field service",
       "work orders finished within their promised hours / finished"),
    _k("first_time_fix_rate", "share", "at_least", "field service",
       "on-site work orders finished on the first visit / finished on site"),
    _k("repair_quality_pass_rate", "share", "at_least", "field service",
       "spot-checked repairs that pass / spot-checked"),
    _k("repair_turnaround_hours", "h", "at_most", "field service",
       "mean time from the call to the final fix"),
    _k("dispatch_wait_hours", "h", "at_most", "field service",
       "mean time from work order to a technician starting it"),
    _k("technician_utilization", "share", "at_most", "field service",
       "technician busy time (travel + work) / staffed time"),
    _k("fill_rate", "share", "at_least", "parts",
       "part requests met from stock at once / part requests"),
    _k("part_wait_hours", "h", "at_most", "parts", "mean wait of jobs that waited for a part"),
    _k("inventory_value_mean", "currency", "at_most", "parts",
       "time-average of on-hand units x unit cost"),
    _k("parts_lost_units", "units", "at_most", "parts",
       "units lost from the shelf (shrinkage_per_year) in the window"),
    _k("followup_on_time_rate", "share", "at_least", "follow-up",
       "follow-ups done within within_hours / follow-ups due"),
    _k("csat_mean", "score 1-5", "at_least", "follow-up",
       "mean satisfaction score of reached customers"),
    _k("total_cost", "currency", "at_most", "costs", "all costs in the horizon"),
    _k("cost_per_repair", "currency", "at_most", "costs", "total_cost / repairs_completed"),
    _k("cost_call_center", "currency", "at_most", "costs",
       "agents' staffed hours, overtime at overtime_factor"),
    _k("cost_tech_support", "currency", "at_most", "costs", "specialists' staffed hours"),
    _k("cost_complaints", "currency", "at_most", "costs", "complaint handlers' staffed hours"),
    _k("cost_field_service", "currency", "at_most", "costs",
       "on-site technicians' staffed hours and travel per visit"),
    _k("cost_depot", "currency", "at_most", "costs", "bench technicians' staffed hours"),
    _k("cost_parts_purchase", "currency", "at_most", "costs", "units ordered x unit cost"),
    _k("cost_holding", "currency", "at_most", "costs",
       "holding_rate_per_year x time-average on-hand value"),
    _k("cost_ordering", "currency", "at_most", "costs", "order_cost per replenishment order"),
    _k("cost_shrinkage", "currency", "at_most", "costs", "units lost from the shelf x unit cost"),
    _k("cost_penalties", "currency", "at_most", "costs", "late_repair_penalty per late repair"),
    _k("revenue", "currency", "at_least", "finance",
       "repair fees and parts billed for paid repairs finished (with a revenue section)"),
    _k("operating_margin", "currency", "at_least", "finance", "revenue - total_cost"),
)

KPI_BY_NAME: dict[str, KpiInfo] = {k.name: k for k in KPIS}
KPI_NAMES: tuple[str, ...] = tuple(k.name for k in KPIS)
COST_KPIS: tuple[str, ...] = tuple(k.name for k in KPIS if k.name.startswith("cost_"))
