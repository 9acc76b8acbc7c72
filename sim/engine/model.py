"""Build and run one replication: ``simulate(scenario, seed) -> Replication``.

This is the single entry point to the engine. It draws the exogenous randomness (arrivals and
each call's attributes) from named streams, wires the departments together, runs the clock for
``warmup_days + horizon_days`` and returns flat records. It computes no statistics: that is
``sim.measure``'s job, so the warm-up cut lives in one place.

The engine's clock unit is the minute; scenario values in hours or days are converted here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import simpy

from sim.engine.arrivals import CONTACT_TYPES, expected_calls_per_hour, poisson_arrivals
from sim.engine.call_center import Call, CallCenter, ComplaintCase
from sim.engine.crew import Crew
from sim.engine.distributions import sample, sampler
from sim.engine.field_service import Repairs, Visit, WorkOrder
from sim.engine.followup import Attempt, FollowUp, FollowUps
from sim.engine.parts import PartCount, PartLoss, PartOrder, PartRequest, PartsStore
from sim.engine.records import frame, levels_frame
from sim.engine.redial import Redials
from sim.engine.rng import Streams
from sim.scenario.calendar import cut_windows, shift_windows
from sim.scenario.disruptions import Absence, PartNeed, SkillGap, SupplierDelay, SystemOutage
from sim.scenario.format import Scenario
from sim.units import MINUTES_PER_DAY, MINUTES_PER_HOUR

Window = tuple[float, float, int]


@dataclass(frozen=True)
class Replication:
    """What one replication leaves behind: flat tables and the staffing it ran with."""

    seed: int
    start_minutes: float
    end_minutes: float
    calls: pd.DataFrame
    cases: pd.DataFrame
    work_orders: pd.DataFrame
    visits: pd.DataFrame
    part_requests: pd.DataFrame
    part_orders: pd.DataFrame
    part_levels: pd.DataFrame
    part_losses: pd.DataFrame
    part_counts: pd.DataFrame
    followups: pd.DataFrame
    attempts: pd.DataFrame
    overtime: pd.DataFrame
    windows: dict[str, list[Window]]


def draw_calls(scenario: Scenario, streams: Streams, end_minutes: float) -> list[Call]:
    """Every customer contact of the run, sorted by arrival, with its attributes drawn."""
    cc = scenario.call_center
    hours = math.ceil(end_minutes / MINUTES_PER_HOUR)
    times: list[np.ndarray] = []
    kinds: list[np.ndarray] = []
    handles: list[np.ndarray] = []
    escalate: list[np.ndarray] = []
    for kind in CONTACT_TYPES:
        if scenario.demand.mix.get(kind, 0.0) <= 0.0:
            continue
        per_hour = expected_calls_per_hour(scenario, kind, hours)
        t = poisson_arrivals(per_hour, streams[f"arrivals.{kind}"]) * MINUTES_PER_HOUR
        t = t[t < end_minutes]
        n = len(t)
        times.append(t)
        kinds.append(np.full(n, kind, dtype=object))
        handles.append(sample(cc.handle_minutes[kind], streams[f"handle.{kind}"], n))
        p = cc.escalation.probability.get(kind, 0.0) if cc.escalation is not None else 0.0
        escalate.append(streams[f"escalation.{kind}"].random(n) < p)
    if not times:
        return []
    all_times = np.concatenate(times)
    order = np.argsort(all_times, kind="stable")
    all_times = all_times[order]
    n = len(all_times)
    patience = (sample(cc.patience_minutes, streams["patience"], n)
                if cc.patience_minutes is not None else np.full(n, math.inf))
    if cc.escalation is not None:
        spec_handle = sample(cc.escalation.handle_minutes, streams["specialist_handle"], n)
        hold = (sample(cc.patience_minutes, streams["hold_patience"], n)
                if cc.patience_minutes is not None else np.full(n, math.inf))
    else:
        spec_handle = np.zeros(n)
        hold = np.full(n, math.inf)
    return [
        Call(i, kind, t, h, t + p, esc, sh, hp)
        for i, (kind, t, h, p, esc, sh, hp) in enumerate(zip(
            np.concatenate(kinds)[order].tolist(), all_times.tolist(),
            np.concatenate(handles)[order].tolist(), patience.tolist(),
            np.concatenate(escalate)[order].tolist(), spec_handle.tolist(), hold.tolist(),
            strict=True))
    ]


def absences(scenario: Scenario, crew: str) -> list[tuple[float, float, float]]:
    """(start, end, share off) cuts of a crew's rosters from the scenario's disruptions."""
    cuts = []
    for d in scenario.disruptions:
        start = d.start_day * MINUTES_PER_DAY
        end = start + d.days * MINUTES_PER_DAY
        if isinstance(d, Absence) and crew in d.crews:
            cuts.append((start, end, d.share))
        elif isinstance(d, SystemOutage) and crew in ("agents", "specialists"):
            cuts.append((start, end, 1.0))
    return cuts


def simulate(scenario: Scenario, seed: int) -> Replication:
    """Run one replication of ``scenario`` with the replication seed ``seed``."""
    env = simpy.Environment()
    streams = Streams(seed)
    start = scenario.warmup_days * MINUTES_PER_DAY
    end = start + scenario.horizon_days * MINUTES_PER_DAY
    cc = scenario.call_center
    complaints = scenario.complaints
    center = CallCenter(
        env,
        lines=cc.lines,
        complaint_deadline_minutes=(complaints.deadline_hours * MINUTES_PER_HOUR
                                    if complaints is not None else None),
        complaint_work=(sampler(complaints.resolution_hours, streams["complaint_work"],
                                MINUTES_PER_HOUR) if complaints is not None else None),
    )
    crews: dict[str, Crew[Any]] = {"agents": center.agents}
    weekday = scenario.first_weekday  # day 0's weekday: shifts follow the calendar

    def roster(staffing: Any) -> list[Window]:
        return shift_windows(staffing, end, weekday)

    windows: dict[str, list[Window]] = {"agents": roster(cc.agents)}
    if cc.escalation is not None:
        crews["specialists"] = center.specialists
        windows["specialists"] = roster(cc.escalation.specialists)
    if complaints is not None:
        crews["complaint_handlers"] = center.handlers
        windows["complaint_handlers"] = roster(complaints.handlers)

    delays = [d for d in scenario.disruptions if isinstance(d, SupplierDelay)]
    store = (PartsStore(env, scenario.parts, streams, delays) if scenario.parts is not None
             else None)
    repairs: Repairs | None = None
    followups: FollowUps | None = None
    fs = scenario.field_service
    if fs is not None:
        repairs = Repairs(env, fs, scenario.parts, store, streams, on_finished=lambda job: None,
                          part_need=[d for d in scenario.disruptions if isinstance(d, PartNeed)],
                          warranty_share=(scenario.revenue.warranty_share
                                          if scenario.revenue is not None else 0.0),
                          skill_gaps=[d for d in scenario.disruptions if isinstance(d, SkillGap)])
        crews["technicians"] = repairs.technicians
        windows["technicians"] = roster(fs.technicians)
        if fs.depot is not None:
            crews["depot_technicians"] = repairs.bench
            windows["depot_technicians"] = roster(fs.depot.technicians)
        wire = repairs

        def on_repair(call: Call) -> None:
            job = wire.create(call.id, call.answer - call.arrival + call.waited_before)
            job.abandoned_calls, job.blocked_calls = call.abandoned_before, call.blocked_before
            call.work_order = job.id

        center.on_repair = on_repair
        if scenario.followup is not None:
            followups = FollowUps(env, scenario.followup, scenario.satisfaction, center, cc,
                                  repairs.technicians, streams,
                                  sampler(fs.travel_minutes, streams["followup_travel"]))
            repairs.on_finished = followups.repair_finished
            center.outbound_work = followups.contact
            repairs.outbound_work = followups.contact
    if cc.redial is not None:
        center.on_failed = Redials(env, cc, center, streams).failed
    windows = {name: cut_windows(w, absences(scenario, name)) for name, w in windows.items()}
    for name, crew_windows in windows.items():
        crews[name].staff(crew_windows)

    env.process(center.arrivals(draw_calls(scenario, streams, end)))
    env.run(until=end)
    center.close()
    for crew in crews.values():
        crew.close()

    overtime = [(name, o.shift_end, o.minutes) for name, crew in crews.items()
                for o in crew.overtime]
    return Replication(
        seed=seed,
        start_minutes=start,
        end_minutes=end,
        calls=frame(center.calls, Call),
        cases=frame(center.cases, ComplaintCase),
        work_orders=frame(repairs.jobs if repairs else [], WorkOrder),
        visits=frame(repairs.visits if repairs else [], Visit),
        part_requests=frame(store.requests if store else [], PartRequest),
        part_orders=frame(store.orders if store else [], PartOrder),
        part_levels=levels_frame(store.levels if store else {}),
        part_losses=frame(store.losses if store else [], PartLoss),
        part_counts=frame(store.counts if store else [], PartCount),
        followups=frame(followups.followups if followups else [], FollowUp),
        attempts=frame(followups.attempts if followups else [], Attempt),
        overtime=pd.DataFrame(overtime, columns=["crew", "shift_end", "minutes"]),
        windows=windows,
    )
