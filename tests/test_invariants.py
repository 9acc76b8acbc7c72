"""Property tests: invariants that must hold in every replication of every valid scenario.

Each test draws random valid scenarios (``tests.strategies``) and a seed, runs one replication and
checks bookkeeping that no parameter choice may break: every call ends in exactly one state, lines
and people are never over-committed, parts are conserved unit by unit, every work order is
somewhere, follow-ups and complaint cases happen in order. The checks read only the flat tables of
``sim.engine.model.Replication`` (and ``rep.windows`` for staffing), never the engine's internals.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from strategies import scenarios, seeds
from test_vans import units_accounted

from sim.engine.cohort import CHECK_MINUTES
from sim.engine.model import Replication, simulate
from sim.engine.records import (
    ABANDONED,
    BLOCKED,
    DONE,
    HOLD_ABANDONED,
    HOLDING,
    TALKING,
    WAITING,
    WITH_SPECIALIST,
)
from sim.measure.outcome import measure
from sim.scenario.calendar import open_windows
from sim.scenario.format import Scenario
from sim.scenario.inventory import BaseStockPolicy, PeriodicPolicy, RQPolicy, SSPolicy

EPS = 1e-6
# SIM_PROPERTY_EXAMPLES=500 pytest tests/test_invariants.py for a longer bug hunt.
PROPERTY = settings(max_examples=int(os.environ.get("SIM_PROPERTY_EXAMPLES", "30")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.large_base_example])


def run(data: dict, seed: int) -> tuple[Scenario, Replication]:
    scenario = Scenario.model_validate(data)
    return scenario, simulate(scenario, seed)


def col(frame: pd.DataFrame, name: str) -> np.ndarray:
    return frame[name].to_numpy(dtype=float)


# --- calls -------------------------------------------------------------------------------------


def check_call_partition(calls: pd.DataFrame, what: str) -> None:
    state = calls["state"].to_numpy()
    answered = ~np.isnan(col(calls, "answer"))
    abandoned = state == ABANDONED
    blocked = state == BLOCKED
    waiting = state == WAITING
    assert not (answered & (abandoned | blocked | waiting)).any(), what
    assert len(calls) == answered.sum() + abandoned.sum() + blocked.sum() + waiting.sum(), (
        f"{what}: offered {len(calls)} != answered {answered.sum()} + abandoned "
        f"{abandoned.sum()} + blocked {blocked.sum()} + waiting {waiting.sum()}")
    answered_states = np.isin(state, (TALKING, HOLDING, WITH_SPECIALIST, DONE, HOLD_ABANDONED))
    assert (answered == answered_states).all(), f"{what}: answer time and state disagree"


# Found by the property below: a depot shift ends at 22:45 in the warm-up and its overtime runs
# past midnight into the measured window; that overtime counted as busy but not as worked time
# (it was booked at the shift's end), so depot utilisation came out above 1.
OVERTIME_INTO_WINDOW = {
    "name": "prop", "warmup_days": 1, "horizon_days": 2,
    "demand": {"contacts_per_day": 50, "mix": {"repair": 0.5, "complaint": 0.5}},
    "call_center": {"agents": [{"name": "s0", "start": "17:00", "end": "01:00", "count": 1,
                                "days": ["mon"]}],
                    "handle_minutes": {"repair": 1.0, "complaint": 1.0}},
    "field_service": {
        "technicians": [{"name": "s0", "start": "17:00", "end": "01:00", "count": 1}],
        "dispatch_rule": "fifo", "promised_hours": {"onsite": 8, "depot": 24},
        "travel_minutes": 5.0, "diagnosis_minutes": {"dist": "exponential", "mean": 13.0},
        "repair_minutes": 10.0, "fix_probability": 0.5, "quality_pass_probability": 0.5,
        "spot_check_share": 0.0, "rework_delay_hours": 1.0, "onsite_share": 0.0,
        "depot": {"technicians": [{"name": "s0", "start": "12:45", "end": "22:45", "count": 1}],
                  "transit_hours": 2.75, "repair_minutes": 55.0}},
}

# Found by the property below: agents on duty 17:00-01:00, the center open Mondays 00:00-10:00.
# The Monday tickets not called back by 10:00 were once called back by the evening shift, with
# the center closed; they wait for the next opening now.
TICKETS_AFTER_CLOSING = {
    "name": "prop", "warmup_days": 0, "horizon_days": 5, "run_out_max_days": 3.0,
    "demand": {"contacts_per_day": 50, "mix": {"inquiry": 1.0}, "closed_hours": "queue"},
    "call_center": {"agents": [{"name": "s0", "start": "17:00", "end": "01:00", "count": 1}],
                    "handle_minutes": {"inquiry": 1.0}, "answer_target_seconds": 20,
                    "hours": {"open": "00:00", "close": "10:00", "days": ["mon"]}},
}

# Found by the property below: the last tickets of a day wait for the next 00:00 opening, and a
# failed repair's ticket raised later is offered at that same instant; an agent idle at the
# opening took it first, ahead of the older tickets in the queue.
TICKETS_AT_THE_OPENING = {
    "name": "prop", "warmup_days": 0, "horizon_days": 4, "run_out_max_days": 3.0,
    "demand": {"contacts_per_day": 323, "closed_hours": "queue",
               "mix": {"inquiry": 1 / 3, "repair": 1 / 3, "complaint": 1 / 3},
               "weekly_profile": [1, 1, 1, 1, 1, 2, 1],
               "events": [{"name": "shock", "start_day": 0, "days": 1, "multiplier": 0.5}]},
    "call_center": {"agents": 1, "handle_minutes": {"inquiry": 1.0, "repair": 1.0,
                                                    "complaint": 1.0},
                    "hours": {"open": "00:00", "close": "10:00"}},
    "field_service": {"technicians": 2, "travel_minutes": 5.0, "diagnosis_minutes": 5.0,
                      "repair_minutes": 10.0, "fix_probability": 0.5,
                      "quality_pass_probability": 0.5, "rework_delay_hours": 1.0,
                      "max_overtime_minutes": 0.0, "attrition_per_year": 0.2},
}

# Found by the property below: a center open on Thursdays only, in a run with no Thursday.
NEVER_OPEN = {
    "name": "prop", "warmup_days": 0, "horizon_days": 2, "run_out_max_days": 0.0,
    "demand": {"contacts_per_day": 50, "mix": {"inquiry": 1.0}, "closed_hours": "queue"},
    "call_center": {"agents": 1, "handle_minutes": {"inquiry": 1.0},
                    "hours": {"open": "00:00", "close": "10:00", "days": ["thu"]}},
}


@PROPERTY
@example(OVERTIME_INTO_WINDOW, 228)
@example(TICKETS_AFTER_CLOSING, 0)
@example(TICKETS_AT_THE_OPENING, 0)
@example(NEVER_OPEN, 0)
@given(scenarios(), seeds)
def test_calls_are_accounted_for_and_times_are_ordered(data: dict, seed: int) -> None:
    scenario, rep = run(data, seed)
    calls = rep.calls
    check_call_partition(calls, "all calls")
    check_call_partition(calls[calls["arrival"] >= rep.start_minutes], "measured calls")

    state = calls["state"].to_numpy()
    arrival, answer, end = col(calls, "arrival"), col(calls, "answer"), col(calls, "end")
    abandon, deadline = col(calls, "abandon"), col(calls, "deadline")
    handle = col(calls, "handle")
    hold, spec = col(calls, "hold_start"), col(calls, "specialist_answer")
    spec_end = col(calls, "specialist_end")
    escalate = calls["escalate"].to_numpy(dtype=bool)
    answered = ~np.isnan(answer)

    assert (arrival >= 0).all() and (arrival < rep.run_end_minutes).all()
    # No negative waits; nobody is answered after hanging up.
    assert (answer[answered] >= arrival[answered] - EPS).all()
    plain = answered & ~escalate
    assert (answer[plain] <= deadline[plain] + EPS).all(), "a caller answered after hanging up"
    done = state == DONE
    assert (~np.isnan(end[done])).all()
    assert (end[done] >= answer[done] - EPS).all()
    assert np.allclose(end[done & ~escalate], answer[done & ~escalate] + handle[done & ~escalate])
    # Abandonment: at the caller's deadline, after arrival, within the run.
    gone = (state == ABANDONED) | (state == HOLD_ABANDONED)
    assert (~np.isnan(abandon[gone])).all() and np.isnan(abandon[~gone]).all()
    assert (abandon[gone] >= arrival[gone] - EPS).all()
    assert (abandon[gone] <= rep.run_end_minutes + EPS).all()
    assert np.allclose(abandon[gone], deadline[gone])
    # Callers still queued at the end have not yet run out of patience.
    queued = (state == WAITING) | (state == HOLDING)
    assert (deadline[queued] > rep.run_end_minutes - EPS).all(), \
        "queued past its deadline at the end"
    # Blocked calls never got anything.
    blocked = state == BLOCKED
    assert np.isnan(answer[blocked]).all() and np.isnan(end[blocked]).all()
    # Escalation: hold after the agent, specialist after the hold, within the hold patience.
    held = ~np.isnan(hold)
    assert (escalate[held]).all()
    assert np.allclose(hold[held], answer[held] + handle[held])
    consulted = ~np.isnan(spec)
    assert (held[consulted]).all()
    assert (spec[consulted] >= hold[consulted] - EPS).all()
    assert (spec[consulted] <= deadline[consulted] + EPS).all()
    assert (abandon[state == HOLD_ABANDONED] >= hold[state == HOLD_ABANDONED] - EPS).all()
    fin = ~np.isnan(spec_end)
    assert (spec_end[fin] >= spec[fin] - EPS).all()
    assert np.allclose(end[done & escalate], spec_end[done & escalate])

    # One queue each, first come first served: answers follow arrivals (in order received),
    # on the phone and among the tickets of closed hours alike.
    ticket = calls["callback"].to_numpy(bool)
    for queue in (~ticket, ticket):
        answers = answer[answered & queue]
        assert (np.diff(answers) >= -EPS).all(), "a later caller was answered first"
    # A ticket arrived while closed and is called back once the center is open.
    opens = open_windows(scenario.call_center.hours, rep.run_end_minutes + 1440.0)
    starts = np.array([s for s, _ in opens])
    ends = np.array([e for _, e in opens])
    where = np.searchsorted(starts, arrival, side="right") - 1
    # A center open on no day of the run has no window to look up.
    is_open = ((where >= 0) & (arrival < ends[np.maximum(where, 0)]) if len(ends)
               else np.zeros(len(arrival), dtype=bool))
    assert not (ticket & is_open).any(), "a ticket arrived while the center was open"
    if scenario.demand.closed_hours == "lost":
        assert not (ticket & (calls["origin"] == "customer").to_numpy()).any(), (
            "contacts kept on a closed day under closed_hours: lost")
    called = ticket & answered
    at = np.searchsorted(starts, answer[called], side="right") - 1
    assert not called.any() or ((at >= 0) & (answer[called] < ends[np.maximum(at, 0)])).all(), \
        "a ticket called back while the center was closed"
    assert np.isnan(abandon[ticket]).all() and (state[ticket] != BLOCKED).all()
    order = np.lexsort((spec[consulted], hold[consulted]))
    assert (np.diff(spec[consulted][order]) >= -EPS).all(), "specialists skipped the hold queue"

    kpis = measure(scenario, rep).kpis
    for name in ("service_level", "abandon_rate", "calls_blocked_rate", "hold_abandon_rate",
                 "complaint_on_time_rate", "repair_on_time_rate", "first_time_fix_rate",
                 "repair_quality_pass_rate", "fill_rate", "followup_on_time_rate", "rework_rate",
                 "repeat_repair_rate", "right_first_time_rate", "appointment_kept_rate"):
        value = kpis.get(name, math.nan)
        assert math.isnan(value) or -EPS <= value <= 1 + EPS, f"{name} = {value}"
    # Utilisation is busy / staffed time, and busy time includes overtime: it stays within
    # (staffed + overtime worked in the window) / staffed.
    for crew in ("agents", "specialists", "technicians", "depot_technicians"):
        name = {"agents": "agent", "specialists": "specialist", "technicians": "technician",
                "depot_technicians": "depot"}[crew] + "_utilization"
        value = kpis[name]
        if math.isnan(value):
            continue
        staffed = sum(c * max(0.0, min(e, rep.end_minutes) - max(s, rep.start_minutes))
                      for s, e, c in rep.windows[crew])
        ot = rep.overtime[rep.overtime["crew"] == crew]
        worked = np.clip(np.minimum(col(ot, "shift_end") + col(ot, "minutes"), rep.end_minutes)
                         - np.maximum(col(ot, "shift_end"), rep.start_minutes), 0, None).sum()
        assert -EPS <= value <= 1 + worked / staffed + EPS, f"{name} = {value}"
    assert math.isnan(kpis["csat_mean"]) or 1 - EPS <= kpis["csat_mean"] <= 5 + EPS
    for name, value in kpis.items():
        assert math.isnan(value) or value >= -EPS, f"{name} = {value} < 0"
    in_window = (arrival >= rep.start_minutes) & (arrival < rep.end_minutes)
    assert kpis["calls_offered"] == (in_window & ~ticket).sum()


# --- lines -------------------------------------------------------------------------------------


def max_occupancy(starts: np.ndarray, ends: np.ndarray) -> int:
    """Most intervals [start, end) open at once (an end frees its slot before a start at ties)."""
    times = np.concatenate((starts, ends))
    delta = np.concatenate((np.ones(len(starts)), -np.ones(len(ends))))
    order = np.lexsort((delta, times))  # at equal times -1 (release) sorts first
    return int(np.cumsum(delta[order]).max()) if len(order) else 0


# One technician on 17:00-01:00 with round-number times and no overtime allowed: the field service
# of two cases the properties found.
EVENING_TECHNICIAN = {
    "technicians": [{"name": "s0", "start": "17:00", "end": "01:00", "count": 1}],
    "travel_minutes": 5.0, "diagnosis_minutes": 5.0, "repair_minutes": 10.0,
    "fix_probability": 0.5, "quality_pass_probability": 0.5, "rework_delay_hours": 1.0,
    "max_overtime_minutes": 0.0, "attrition_per_year": 0.2}

# Found by the property below: with constant handle times a failed repair's call rings at 4340.0,
# the instant the only line's call ends; SimPy ran the ring first, so it got a busy signal.
LINE_FREED_AT_THE_RING = {
    "name": "prop", "warmup_days": 0, "horizon_days": 2, "run_out_max_days": 3.0,
    "demand": {"contacts_per_day": 50, "mix": {"repair": 0.5, "complaint": 0.5},
               "closed_hours": "queue",
               "events": [{"name": "shock", "start_day": 0, "days": 1, "multiplier": 0.5}],
               "products": [{"name": "l0", "share": 1.0}]},
    "call_center": {"agents": 1, "handle_minutes": {"repair": 5.0, "complaint": 1.0},
                    "lines": 1, "hours": {"open": "00:00", "close": "10:00"}},
    "field_service": EVENING_TECHNICIAN,
    "parts": {"need_probability": 0.3, "order_cost": 10,
              "skus": [{"sku": "p0", "share": 1.0, "unit_cost": 0.0, "initial_on_hand": 0,
                        "policy": {"type": "base_stock", "level": 0}, "lead_time_days": 0.203}],
              "van_stock": {"delivery_hours": 0.0, "skus": {}}},
}


@PROPERTY
@example(LINE_FREED_AT_THE_RING, 0)
@given(scenarios(lines=True), seeds)
def test_lines_are_never_over_committed(data: dict, seed: int) -> None:
    scenario, rep = run(data, seed)
    calls = rep.calls
    state = calls["state"].to_numpy()
    # Callbacks of closed hours never held a line.
    admitted = (state != BLOCKED) & ~calls["callback"].to_numpy(bool)
    release = np.full(len(calls), np.inf)
    done = state == DONE
    release[done] = col(calls, "end")[done]
    gone = (state == ABANDONED) | (state == HOLD_ABANDONED)
    release[gone] = col(calls, "abandon")[gone]
    peak = max_occupancy(col(calls, "arrival")[admitted], release[admitted])
    assert peak <= scenario.call_center.lines, (
        f"{peak} calls on {scenario.call_center.lines} lines")
    # A busy signal only when every line is taken at that moment.
    arrival = col(calls, "arrival")
    for t in arrival[state == BLOCKED][:50]:
        # A call ringing at the same instant may have taken the last line just before, and one
        # ending at that instant may not have hung up yet (the order of simultaneous events is
        # SimPy's, not the model's).
        inside = admitted & (arrival <= t) & (release >= t)
        assert inside.sum() >= scenario.call_center.lines, (
            f"blocked at {t} with only {inside.sum()} lines in use")


# --- parts -------------------------------------------------------------------------------------


def position_path(scenario: Scenario, rep: Replication, sku: str) -> tuple[np.ndarray, np.ndarray]:
    """Inventory position (on the books) after all events at each event time: initial + ordered
    - rejected - requested - losses the books have learnt of at counts (receipts move units from
    on-order to on-hand or to backorders: IP unchanged)."""
    spec = next(s for s in scenario.parts.skus if s.sku == sku)
    # A van's refill draws on the store like a job's request (one row per unit).
    req = pd.concat([rep.part_requests.loc[rep.part_requests["sku"] == sku, ["time"]],
                     rep.van_transfers.loc[rep.van_transfers["sku"] == sku, ["time"]]])
    orders = rep.part_orders[rep.part_orders["sku"] == sku]
    counts = rep.part_counts[rep.part_counts["sku"] == sku]
    received = ~np.isnan(col(orders, "received"))
    times = np.concatenate((col(req, "time"), col(orders, "placed"),
                            col(orders, "received")[received], col(counts, "time")))
    deltas = np.concatenate((-np.ones(len(req)), col(orders, "quantity"),
                             -col(orders, "rejected")[received],
                             col(counts, "counted") - col(counts, "booked")))
    order = np.argsort(times, kind="stable")
    times, level = times[order], spec.initial_on_hand + np.cumsum(deltas[order])
    last = np.append(times[1:] != times[:-1], True)[: len(times)]  # after all events at a time
    return times[last], level[last]


@PROPERTY
@given(scenarios(parts=True), seeds)
def test_parts_are_conserved_unit_by_unit(data: dict, seed: int) -> None:
    scenario, rep = run(data, seed)
    assert scenario.parts is not None
    requests, orders, levels = rep.part_requests, rep.part_orders, rep.part_levels
    assert (levels["on_hand"] >= 0).all(), "negative on-hand"
    received = ~np.isnan(col(orders, "received"))
    qty, acc, rej = (orders[c].to_numpy() for c in ("quantity", "accepted", "rejected"))
    assert (qty[received] == acc[received] + rej[received]).all(), "delivered != accepted+rejected"
    assert (acc[~received] == 0).all() and (rej[~received] == 0).all()
    assert (qty > 0).all()
    assert np.allclose(col(orders, "received")[received],
                       col(orders, "placed")[received] + col(orders, "lead_minutes")[received])
    late = col(orders, "placed")[~received] + col(orders, "lead_minutes")[~received]
    assert (late >= rep.run_end_minutes - EPS).all(), "an order due before the end never arrived"

    time, filled = col(requests, "time"), col(requests, "filled")
    from_stock = requests["from_stock"].to_numpy(dtype=bool)
    assert np.allclose(filled[from_stock], time[from_stock])
    ok = ~np.isnan(filled)
    assert (filled[ok] >= time[ok] - EPS).all()
    for spec in scenario.parts.skus:
        sku = spec.sku
        mine = (requests["sku"] == sku).to_numpy()
        its_orders = (orders["sku"] == sku).to_numpy()
        steps = levels[levels["sku"] == sku]
        final = int(steps.sort_values("time", kind="stable")["on_hand"].iloc[-1])
        transfers = rep.van_transfers[rep.van_transfers["sku"] == sku]
        used = int((mine & ok).sum()) + int((~np.isnan(col(transfers, "filled"))).sum())
        accepted = int(acc[its_orders & received].sum())
        losses = rep.part_losses
        lost = int(losses.loc[losses["sku"] == sku, "units"].sum()) if len(losses) else 0
        assert spec.initial_on_hand + accepted == used + final + lost, (
            f"{sku}: initial {spec.initial_on_hand} + accepted {accepted} != used {used} "
            f"(jobs and van refills) + final on hand {final} + lost {lost}")
        if spec.shrinkage_per_year == 0:
            assert lost == 0 and not (rep.part_counts["sku"] == sku).any(), "books drifted"
        # Backorders are served first come, first served.
        waited = filled[mine & ~from_stock]
        served = waited[~np.isnan(waited)]
        assert (np.diff(served) >= -EPS).all(), f"{sku}: backorders served out of order"
        assert not np.isnan(waited[: len(served)]).any(), f"{sku}: a later request overtook"
        # ... and stock goes to nobody while an earlier request still waits.
        its = requests[mine].sort_values("id")
        pending = np.where(its["from_stock"].to_numpy(dtype=bool), -np.inf,
                           np.nan_to_num(col(its, "filled"), nan=np.inf))
        earlier = np.maximum.accumulate(np.concatenate(([-np.inf], pending[:-1])))
        took = its["from_stock"].to_numpy(dtype=bool)
        assert (earlier[took] <= col(its, "time")[took] + EPS).all(), (
            f"{sku}: served from stock while an earlier request waited")
        # Every rejected unit is reordered at once.
        rejects = orders[its_orders & received & (rej > 0)]
        reorders = orders[its_orders & (orders["reason"] == "reject_reorder").to_numpy()]
        assert sorted(rejects["rejected"]) == sorted(reorders["quantity"])
        # The policy acts on the inventory position after every demand.
        t, ip = position_path(scenario, rep, sku)
        policy = spec.policy
        demand_times = np.unique(time[mine])
        at_demand = ip[np.searchsorted(t, demand_times)] if len(demand_times) else ip[:0]
        if isinstance(policy, SSPolicy):
            assert (at_demand > policy.s).all(), f"{sku}: position at or below s after demand"
            assert (ip <= max(policy.S, spec.initial_on_hand)).all()
        elif isinstance(policy, RQPolicy):
            assert (at_demand > policy.r).all(), f"{sku}: position at or below r after demand"
            assert (ip <= max(policy.r + policy.Q, spec.initial_on_hand)).all()
        elif isinstance(policy, BaseStockPolicy):
            assert (at_demand >= policy.level).all(), f"{sku}: position below level"
            assert (ip <= max(policy.level, spec.initial_on_hand)).all()
        else:
            assert isinstance(policy, PeriodicPolicy)
            assert (orders[its_orders]["reason"] != "policy").all()
    if scenario.parts.van_stock is not None:
        units_accounted(scenario, rep)  # store, vans, pipeline and use


@PROPERTY
@given(scenarios(products=True), seeds)
def test_a_technician_without_the_skill_is_never_sent(data: dict, seed: int) -> None:
    scenario, rep = run(data, seed)
    fs = scenario.field_service
    assert fs is not None and isinstance(fs.technicians, tuple)
    # People are numbered shift pattern by shift pattern, each pattern's count in turn.
    skills: list[set[str] | None] = []
    for pattern in fs.technicians:
        skills += [set(pattern.skills) if pattern.skills is not None else None] * pattern.count
    product = rep.work_orders.set_index("id")["product"].astype(str)
    visits = rep.visits[rep.visits["crew"] == "technicians"]
    for person, line in zip(visits["technician"], product.reindex(visits["job_id"]),
                            strict=True):
        assert 0 <= person < len(skills), f"visit by unknown technician {person}"
        known = skills[person]
        assert known is None or line in known, f"technician {person} ({known}) sent to {line}"


# --- work orders -------------------------------------------------------------------------------


@PROPERTY
@given(scenarios(repair=True), seeds)
def test_every_work_order_is_somewhere_and_in_order(data: dict, seed: int) -> None:
    scenario, rep = run(data, seed)
    jobs, visits, calls = rep.work_orders, rep.visits, rep.calls
    created, finished = col(jobs, "created"), col(jobs, "finished")
    first = col(jobs, "first_start")
    n_visits = jobs["visits"].to_numpy()
    is_finished = ~np.isnan(finished)
    in_progress = ~is_finished & ~np.isnan(first)
    waiting = np.isnan(first)
    assert not (is_finished & waiting).any(), "finished without ever being started"
    assert is_finished.sum() + in_progress.sum() + waiting.sum() == len(jobs)
    assert ((n_visits == 0) == waiting).all(), "visit count and first start disagree"
    assert (n_visits[is_finished] >= 1).all()
    assert (~np.isnan(col(jobs, "fixed_at")[is_finished])).all()

    arrival = calls.set_index("id")["arrival"].reindex(jobs["call_id"]).to_numpy(float)
    call_end = calls.set_index("id")["end"].reindex(jobs["call_id"]).to_numpy(float)
    assert not np.isnan(arrival).any(), "work order of an unknown call"
    assert (created >= arrival - EPS).all()
    original = (jobs["rework_of"] < 0).to_numpy()
    assert np.allclose(created[original], call_end[original]), "job not created at hang-up"
    assert (finished[is_finished] >= created[is_finished] - EPS).all()
    assert (finished[is_finished] <= rep.run_end_minutes + EPS).all()
    started = ~waiting
    released = col(jobs, "released")
    assert (~np.isnan(released[started])).all()
    assert (first[started] >= released[started] - EPS).all()
    assert (released[started] >= created[started] - EPS).all()
    assert (first[started] >= created[started] - EPS).all()
    fixed_at = col(jobs, "fixed_at")
    assert (finished[is_finished] >= fixed_at[is_finished] - EPS).all()
    onsite = (jobs["channel"] == "onsite").to_numpy()
    assert np.allclose(finished[is_finished & onsite], fixed_at[is_finished & onsite])
    booking = scenario.field_service.booking
    lead = booking.min_lead_hours * 60 if booking is not None else 0.0
    rel = ~np.isnan(released) & onsite & np.isnan(col(jobs, "slot_end"))  # slots: see below
    assert np.allclose(released[rel], created[rel] + lead)

    # Rework: after the failed fix, at most once per failed repair.
    rework = jobs[~original]
    assert rework["rework_of"].is_unique
    failed = jobs.set_index("id").loc[rework["rework_of"]]
    assert not failed["quality_pass"].astype(bool).any()
    assert (col(rework, "created") >= failed["finished"].to_numpy(float) - EPS).all()
    # A failure comes back by the customer's report (a call, or a callback of a message left
    # while closed), created when the agent hangs up; or caught by a spot check at the finish.
    by_call = calls.set_index("id")
    reporting = by_call.loc[rework["call_id"]]
    reported = ((reporting["origin"] == "rework").to_numpy()
                & (reporting["rework_of"].to_numpy() == rework["rework_of"].to_numpy()))
    assert np.allclose(col(rework, "created")[reported],
                       by_call.loc[rework["call_id"][reported], "end"].to_numpy(float))
    caught = failed["caught"].to_numpy(bool)
    assert (caught == ~reported).all(), "a rework job neither reported nor caught"
    assert failed["spot_checked"].to_numpy(bool)[caught].all()
    assert np.allclose(col(rework, "created")[caught],
                       failed["finished"].to_numpy(float)[caught])

    # Visits: recorded ones within the job's life; a finished job has exactly one fix.
    count = visits.groupby("job_id").size().reindex(jobs["id"], fill_value=0).to_numpy()
    assert ((count == n_visits) | (count == n_visits - 1)).all()
    assert (count[is_finished] == n_visits[is_finished]).all()
    fixes = visits[visits["outcome"] == "fixed"]
    assert fixes["job_id"].is_unique
    fixed = ~np.isnan(fixed_at)
    assert set(fixes["job_id"]) == set(jobs.loc[fixed, "id"])
    by_job = jobs.set_index("id")
    assert np.allclose(fixes["end"].to_numpy(float),
                       by_job.loc[fixes["job_id"], "fixed_at"].to_numpy(float))
    assert (col(visits, "start") >= by_job.loc[visits["job_id"], "created"].to_numpy(float)
            - EPS).all()
    assert (col(visits, "end") >= col(visits, "start") - EPS).all()
    no_part = visits[visits["outcome"] == "no_part"]
    assert (by_job.loc[no_part["job_id"], "sku"] != "").all()


# --- people ------------------------------------------------------------------------------------


def busy_intervals(rep: Replication, crew: str) -> tuple[np.ndarray, np.ndarray]:
    """Every recorded stretch of work of ``crew``: start and end (end may lie past the run)."""
    starts: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    for table in (rep.visits, rep.attempts):
        if not table.empty:
            rows = table[(table["crew"] == crew).to_numpy()]
            starts.append(col(rows, "start"))
            ends.append(col(rows, "end"))
    calls = rep.calls
    if crew == "agents":
        ok = ~np.isnan(col(calls, "answer"))
        starts.append(col(calls, "answer")[ok])
        ends.append(col(calls, "answer")[ok] + col(calls, "handle")[ok])
    elif crew == "specialists":
        ok = ~np.isnan(col(calls, "specialist_answer"))
        starts.append(col(calls, "specialist_answer")[ok])
        ends.append(col(calls, "specialist_answer")[ok] + col(calls, "specialist_handle")[ok])
    elif crew == "complaint_handlers" and not rep.cases.empty:
        ok = ~np.isnan(col(rep.cases, "started"))
        starts.append(col(rep.cases, "started")[ok])
        ends.append(col(rep.cases, "started")[ok] + col(rep.cases, "work")[ok])
    if not starts:
        return np.empty(0), np.empty(0)
    return np.concatenate(starts), np.concatenate(ends)


def active(starts: np.ndarray, ends: np.ndarray, t: np.ndarray) -> np.ndarray:
    """How many intervals [start, end) contain each time in ``t``."""
    return (np.searchsorted(np.sort(starts), t, side="right")
            - np.searchsorted(np.sort(ends), t, side="right"))


def check_headcount(rep: Replication, crew: str, starts: np.ndarray, ends: np.ndarray) -> None:
    """Nobody does two things at once: at every moment, the stretches of work under way are no
    more than the people on shift plus the people finishing a task after their shift ended.

    The second term comes from the roster alone (sound, and independent of the engine's
    overtime records, which ``check_overtime_records`` checks): a person still working after the
    end of window W is doing a stretch that started inside W (or at its very end), so W
    contributes at most min(count, stretches under way that started there). Busy people only
    rise at a start and the bound only falls at a shift end, so those are the moments to check.
    """
    windows = rep.windows[crew]
    ws = np.array([w[0] for w in windows])
    we = np.array([w[1] for w in windows])
    count = np.array([w[2] for w in windows])
    timed = ends > starts
    s, e = starts[timed], ends[timed]
    t = np.unique(np.concatenate((s, we[np.isfinite(we) & (we <= rep.run_end_minutes)])))
    busy = active(s, e, t)
    duty = ((ws[None, :] <= t[:, None]) & (t[:, None] < we[None, :])) @ count
    late = np.zeros(len(t), dtype=int)
    for w_s, w_e, c in windows:
        # Started inside W, its end included: taking a task at the very end of one's shift is
        # another property's business (test_work_is_started_only_on_shift), not double-booking.
        mine = (s >= w_s) & (s <= w_e)
        ended = t >= w_e
        late += np.where(ended, np.minimum(c, active(s[mine], e[mine], t)), 0)
    over = busy > duty + late
    assert not over.any(), (
        f"{crew}: {busy[over][:3]} busy at {t[over][:3]} with {duty[over][:3]} on shift and at "
        f"most {late[over][:3]} finishing late")


def people_leaving(rep: Replication, crew: str) -> dict[float, int]:
    """Time -> how many people of ``crew`` go home then: the people of the windows ending there
    less those of the same shift's windows (same planned end) starting there."""
    net: dict[tuple[float, float], int] = {}
    for (s, e, c), planned in zip(rep.windows[crew], rep.planned_ends[crew], strict=True):
        net[(e, planned)] = net.get((e, planned), 0) + c
        net[(s, planned)] = net.get((s, planned), 0) - c
    out: dict[float, int] = {}
    for (at, _), n in net.items():
        if n > 0:
            out[float(at)] = out.get(float(at), 0) + n
    return out


def check_overtime_records(rep: Replication, crew: str, starts: np.ndarray, ends: np.ndarray
                           ) -> None:
    """The overtime table accounts for everyone working past the end of their shift: at every
    moment, work under way <= people on shift + recorded overtime intervals under way; and
    each record is a task that started before the shift end and ended with the overtime."""
    windows = rep.windows[crew]
    ws = np.array([w[0] for w in windows])
    we = np.array([w[1] for w in windows])
    count = np.array([w[2] for w in windows])
    timed = ends > starts
    s, e = starts[timed], ends[timed]
    t = np.unique(np.concatenate((s, we[np.isfinite(we)])))
    t = t[t < rep.run_end_minutes]  # no overtime is worked after the run stops
    busy = active(s, e, t)
    duty = ((ws[None, :] <= t[:, None]) & (t[:, None] < we[None, :])) @ count
    ot = rep.overtime[rep.overtime["crew"] == crew]
    ot_s = col(ot, "shift_end")
    ot_e = ot_s + col(ot, "minutes")
    recorded = active(ot_s, ot_e, t)
    over = busy > duty + recorded
    assert not over.any(), (
        f"{crew}: {busy[over][:3]} busy at {t[over][:3]} with {duty[over][:3]} on shift and "
        f"{recorded[over][:3]} in recorded overtime")
    assert (col(ot, "minutes") > 0).all()
    assert set(ot_s) <= set(we.tolist()), f"{crew}: overtime after no shift end"
    # Overtime only where people go home: where an absence or a training session cut a shift
    # and the shift goes on, its people go on with it.
    leaving = people_leaving(rep, crew)
    for at, records in zip(*np.unique(ot_s, return_counts=True), strict=True):
        assert records <= leaving.get(float(at), 0), (
            f"{crew}: {records} overtime record(s) at {at:g}, where "
            f"{leaving.get(float(at), 0)} people go home")
    for end_ot, end_shift in zip(ot_e, ot_s, strict=True):
        assert (np.isclose(ends, end_ot) & (starts < end_shift)).any() or (
            np.isclose(end_ot, rep.run_end_minutes)), (
                f"{crew}: overtime until {end_ot} matches no task")


@PROPERTY
@given(scenarios(), seeds)
def test_nobody_does_two_things_at_once(data: dict, seed: int) -> None:
    _, rep = run(data, seed)
    for crew in rep.windows:
        starts, ends = busy_intervals(rep, crew)
        assert (ends >= starts - EPS).all()
        check_headcount(rep, crew, starts, ends)
        # Work finished within the run has had its overtime recorded.
        done = ends <= rep.run_end_minutes
        check_overtime_records(rep, crew, starts[done], ends[done])


# Found by the property below (shrunk by hand to round numbers): a technician on 08:00-16:00,
# bare-number durations, a failed repair back 29 hours later. A job fixed at 11:00 comes back at
# 16:00 the next day, just as the shift ends, and the idle technician starts it then: 90 minutes
# of overtime on a job taken after the shift was over.
LATE_START = {
    "name": "late-start", "horizon_days": 28,
    "demand": {"contacts_per_day": 4, "mix": {"repair": 1.0}},
    "call_center": {"agents": 2, "handle_minutes": {"repair": 5}},
    "field_service": {
        "technicians": [{"name": "day", "start": "08:00", "end": "16:00", "count": 1}],
        "travel_minutes": 30, "repair_minutes": 60, "quality_pass_probability": 0.5,
        "rework_delay_hours": 29},
}


@PROPERTY
@example(LATE_START, 0)
@given(scenarios(), seeds)
def test_work_is_started_only_on_shift(data: dict, seed: int) -> None:
    _, rep = run(data, seed)
    for crew, windows in rep.windows.items():
        starts, _ = busy_intervals(rep, crew)
        ws = np.array([w[0] for w in windows])
        we = np.array([w[1] for w in windows])
        on_shift = ((ws[None, :] <= starts[:, None]) & (starts[:, None] < we[None, :])).any(1)
        assert on_shift.all(), (
            f"{crew}: work started with nobody on shift at {starts[~on_shift][:5]}")


# Found by the property below: three complaint handlers run over the 17:45 end of the last shift;
# the one still working when the run stops has no overtime record.
OVERTIME_AT_END = {
    "name": "prop", "warmup_days": 0, "horizon_days": 4,
    "demand": {"contacts_per_day": 50, "mix": {"complaint": 1.0},
               "events": [{"name": "shock", "start_day": 0, "days": 1, "multiplier": 0.5}]},
    "call_center": {"agents": 1, "handle_minutes": {"complaint": 1.0},
                    "hours": {"open": "00:00", "close": "10:00"}},
    "complaints": {"deadline_hours": 4,
                   "handlers": [{"name": "s0", "start": "13:45", "end": "17:45", "count": 3}],
                   "resolution_hours": {"dist": "exponential", "mean": 2.0}},
}


# Found by the property below: seven technicians around the clock, one in training all of day 0.
# The six on duty that day were let go at midnight and seven "new" ones came on: the six booked
# overtime finishing their visits (none is allowed) while their own next shift had begun.
TRAINING_DAY = {
    "name": "prop", "warmup_days": 0, "horizon_days": 2, "run_out_max_days": 0.0,
    "demand": {"contacts_per_day": 50, "mix": {"repair": 1.0},
               "events": [{"name": "shock", "start_day": 0, "days": 1, "multiplier": 0.5}]},
    "call_center": {"agents": [{"name": "s0", "start": "17:00", "end": "01:00", "count": 1}],
                    "handle_minutes": {"repair": 1.0}},
    "training": {"hours_per_technician_month": 8.0, "weekday": "mon", "ramp_months": 0.05,
                 "effect": {"fix_probability": -0.2, "quality_pass_probability": -0.2,
                            "repair_minutes": -0.5}},
    "field_service": {"technicians": 7, "travel_minutes": 5.0, "diagnosis_minutes": 5.0,
                      "repair_minutes": 10.0, "fix_probability": 0.5,
                      "quality_pass_probability": 0.5, "rework_delay_hours": 1.0,
                      "max_overtime_minutes": 0.0},
}


@PROPERTY
@example(OVERTIME_AT_END, 0)
@example(TRAINING_DAY, 0)
@given(scenarios(), seeds)
def test_overtime_records_cover_work_running_past_the_end(data: dict, seed: int) -> None:
    _, rep = run(data, seed)
    for crew in rep.windows:
        starts, ends = busy_intervals(rep, crew)
        check_overtime_records(rep, crew, starts, ends)


# --- follow-ups --------------------------------------------------------------------------------


@PROPERTY
@given(scenarios(followup=True), seeds)
def test_followups_follow_finished_repairs(data: dict, seed: int) -> None:
    scenario, rep = run(data, seed)
    assert scenario.followup is not None
    fu, attempts, jobs = rep.followups, rep.attempts, rep.work_orders
    by_job = jobs.set_index("id")
    assert fu["job_id"].is_unique, "two follow-ups of one repair"
    assert fu["job_id"].isin(by_job.index).all()
    finished = by_job.loc[fu["job_id"], "finished"].to_numpy(float)
    assert (~np.isnan(finished)).all(), "follow-up of an unfinished repair"
    assert (finished <= col(fu, "created") + EPS).all()
    assert set(fu["job_id"]) == set(jobs.loc[~jobs["finished"].isna(), "id"])
    assert np.allclose(col(fu, "due"), col(fu, "created") + scenario.followup.within_hours * 60)

    crew = "agents" if scenario.followup.channel == "call" else "technicians"
    assert (attempts["crew"] == crew).all()
    by_fu = fu.set_index("id")
    a_created = by_fu.loc[attempts["followup_id"], "created"].to_numpy(float)
    start, end = col(attempts, "start"), col(attempts, "end")
    assert (start >= a_created - EPS).all(), "attempt before the follow-up existed"
    assert (end >= start - EPS).all()
    counts = attempts.groupby("followup_id").size().reindex(fu["id"], fill_value=0).to_numpy()
    tries = fu["attempts"].to_numpy()
    assert ((counts == tries) | (counts == tries - 1)).all(), "attempt count and records disagree"
    # Retries are spaced by retry_hours at least.
    gap = scenario.followup.retry_hours * 60
    ordered = attempts.sort_values(["followup_id", "start"])
    same = (ordered["followup_id"].to_numpy()[1:] == ordered["followup_id"].to_numpy()[:-1])
    waits = col(ordered, "start")[1:] - col(ordered, "end")[:-1]
    assert (waits[same] >= gap - EPS).all(), "retry sooner than retry_hours"
    # Reached at the end of the one attempt that reached, and never tried again after.
    reached = attempts[attempts["reached"].to_numpy(dtype=bool)]
    assert reached["followup_id"].is_unique
    assert set(reached["followup_id"]) == set(fu.loc[~fu["reached"].isna(), "id"])
    got = by_fu.loc[reached["followup_id"], "reached"].to_numpy(float)
    assert np.allclose(got, col(reached, "end"))
    last = attempts.groupby("followup_id")["start"].max()
    assert (last.reindex(reached["followup_id"]).to_numpy(float)
            <= col(reached, "start") + EPS).all()
    scored = ~np.isnan(col(fu, "score"))
    assert (scored == ~np.isnan(col(fu, "reached"))).all()
    assert ((col(fu, "score")[scored] >= 1) & (col(fu, "score")[scored] <= 5)).all()


# Found by the property below: the only agent works 17:00-01:00, repairs finish in the morning,
# follow-ups due two hours later wait for the evening shift and are attempted then.
FOLLOWUP_LATE = {
    "name": "prop", "warmup_days": 0, "horizon_days": 2,
    "demand": {"contacts_per_day": 50, "mix": {"repair": 1.0}},
    "call_center": {"agents": [{"name": "s0", "start": "17:00", "end": "01:00", "count": 1}],
                    "handle_minutes": {"repair": 1.0, "complaint": 2.0},
                    "hours": {"open": "00:00", "close": "10:00"}},
    "field_service": {"technicians": 1, "travel_minutes": 5.0, "diagnosis_minutes": 5.0,
                      "repair_minutes": 10.0, "fix_probability": 0.5,
                      "quality_pass_probability": 0.5, "rework_delay_hours": 1.0},
    "followup": {"channel": "call", "within_hours": 2, "call_minutes": 1.0,
                 "reach_probability": 0.0, "retry_hours": 0.5},
}


@PROPERTY
@example(FOLLOWUP_LATE, 0)
@given(scenarios(followup=True), seeds)
def test_followup_attempts_only_within_their_window(data: dict, seed: int) -> None:
    _, rep = run(data, seed)
    fu, attempts = rep.followups, rep.attempts
    by_fu = fu.set_index("id")
    a_created = by_fu.loc[attempts["followup_id"], "created"].to_numpy(float)
    a_due = by_fu.loc[attempts["followup_id"], "due"].to_numpy(float)
    start, end = col(attempts, "start"), col(attempts, "end")
    assert (start >= a_created - EPS).all(), "attempt before the follow-up existed"
    # Between creation and the due time, plus the length of the attempt under way then.
    late = end > a_due + (end - start) + EPS
    assert not late.any(), (
        f"{late.sum()} of {len(attempts)} attempts start after the follow-up's due time, e.g. "
        f"{attempts[late].head(3).to_dict('records')} due {a_due[late][:3]}")


# --- complaint cases ---------------------------------------------------------------------------


@PROPERTY
@given(scenarios(complaints=True), seeds)
def test_complaint_cases_resolve_in_order(data: dict, seed: int) -> None:
    scenario, rep = run(data, seed)
    cases, calls = rep.cases, rep.calls
    if cases.empty:
        return
    opened, started, resolved = col(cases, "opened"), col(cases, "started"), col(cases, "resolved")
    s_ok, r_ok = ~np.isnan(started), ~np.isnan(resolved)
    assert (s_ok[r_ok]).all(), "resolved without being started"
    assert (started[s_ok] >= opened[s_ok] - EPS).all()
    assert (resolved[r_ok] >= started[r_ok] - EPS).all()
    assert np.allclose(resolved[r_ok], started[r_ok] + col(cases, "work")[r_ok])
    assert np.allclose(col(cases, "due"), opened + scenario.complaints.deadline_hours * 60)
    by_call = calls.set_index("id")
    assert (by_call.loc[cases["call_id"], "kind"] == "complaint").all()
    assert np.allclose(by_call.loc[cases["call_id"], "end"].to_numpy(float), opened)
    # One queue, first come first served: cases start in the order they were opened.
    assert (np.diff(started[s_ok]) >= -EPS).all()
    never = np.flatnonzero(~s_ok)
    assert not len(never) or not s_ok[never[0]:].any(), "a later case started before an earlier"


# --- the run-out, booking slots, the overtime rule ---------------------------------------------


@PROPERTY
@given(scenarios(), seeds)
def test_the_run_out_follows_the_window_to_its_end(data: dict, seed: int) -> None:
    scenario, rep = run(data, seed)
    limit = rep.end_minutes + scenario.run_out_max_days * 1440.0
    assert rep.end_minutes - EPS <= rep.run_end_minutes <= limit + EPS
    lo, hi = rep.start_minutes, rep.end_minutes
    calls = rep.calls
    arrival = col(calls, "arrival")
    state = calls["state"].to_numpy()
    open_call = np.isin(state, (WAITING, TALKING, HOLDING, WITH_SPECIALIST)) & ~(
        np.isin(state, (WAITING, HOLDING)) & (col(calls, "deadline") <= rep.run_end_minutes))
    jobs, cases, fu = rep.work_orders, rep.cases, rep.followups

    def window(times: np.ndarray) -> np.ndarray:
        return (times >= lo) & (times < hi)

    still_open = {
        "calls": int((window(arrival) & open_call).sum()),
        "work_orders": int((window(col(jobs, "created")) & np.isnan(col(jobs, "finished"))).sum())
        if not jobs.empty else 0,
        "complaint_cases": int((window(col(cases, "opened"))
                                & np.isnan(col(cases, "resolved"))).sum())
        if not cases.empty else 0,
        "followups": int((window(col(fu, "created")) & np.isnan(col(fu, "closed"))).sum())
        if not fu.empty else 0,
    }
    assert rep.cut == still_open
    if any(still_open.values()):
        assert rep.run_end_minutes == pytest.approx(limit), "stopped with the cohort open"
    else:
        # ... and no later than the first check after the cohort's last item was done.
        done = [col(calls, "arrival")[window(arrival)], col(calls, "end")[window(arrival)],
                col(calls, "abandon")[window(arrival)]]
        for table, opened, closed in ((jobs, "created", "finished"), (cases, "opened", "resolved"),
                                      (fu, "created", "closed")):
            if not table.empty:
                done.append(col(table, closed)[window(col(table, opened))])
        last = max([rep.end_minutes, *(np.nanmax(d) for d in done if np.isfinite(d).any())])
        assert rep.run_end_minutes < max(last, rep.end_minutes) + CHECK_MINUTES + EPS
    # Closed follow-ups: reached, or no attempt left in their window.
    if not fu.empty:
        closed, reached = col(fu, "closed"), col(fu, "reached")
        ok = ~np.isnan(reached)
        assert np.allclose(closed[ok], reached[ok])
        lapsed = ~np.isnan(closed) & ~ok
        retry = scenario.followup.retry_hours * 60
        assert (closed[lapsed] + retry > col(fu, "due")[lapsed] - EPS).all()


SLOT_PAST_THE_RUN = {
    "name": "prop", "warmup_days": 0, "horizon_days": 2, "run_out_max_days": 3.0,
    "demand": {"contacts_per_day": 50, "mix": {"repair": 0.5, "complaint": 0.5},
               "closed_hours": "queue",
               "events": [{"name": "shock", "start_day": 0, "days": 1, "multiplier": 0.5}]},
    "call_center": {"agents": [{"name": "s0", "start": "00:00", "end": "04:00", "count": 1}],
                    "handle_minutes": {"repair": 1.0, "complaint": 1.0},
                    "answer_target_seconds": 20},
    "complaints": {"deadline_hours": 4, "resolution_hours": 1.0,
                   "handlers": [{"name": "s0", "start": "17:00", "end": "01:00", "count": 1}]},
    "field_service": {
        "technicians": 1, "dispatch_rule": "fifo", "promised_hours": {"onsite": 8, "depot": 24},
        "travel_minutes": 5.0, "diagnosis_minutes": 5.0, "repair_minutes": 10.0,
        "fix_probability": 0.5, "quality_pass_probability": 0.5, "spot_check_share": 0.0,
        "spot_check_detection": 0.0, "rework_delay_hours": 1.0, "max_overtime_minutes": 0.0,
        "booking": {"min_lead_hours": 0, "capacity_per_technician": 2,
                    "slots": [{"start": "00:00", "end": "04:00"},
                              {"start": "05:00", "end": "09:00"}]}},
}
"""Found by the property below: jobs created after the horizon booked into slots past the
run's end, never released (the check once compared their missing release time)."""


@PROPERTY
@example(SLOT_PAST_THE_RUN, 0)
@given(scenarios(repair=True), seeds)
def test_booked_jobs_take_a_slot_with_room(data: dict, seed: int) -> None:
    scenario, rep = run(data, seed)
    fs = scenario.field_service
    jobs = rep.work_orders
    booked = ~np.isnan(col(jobs, "slot_end"))
    if fs.booking is None or not fs.booking.slots:
        assert not booked.any()
        return
    slots = fs.booking.slots
    lead = fs.booking.min_lead_hours * 60
    assert (jobs["channel"][booked] == "onsite").all()
    assert np.allclose(col(jobs, "due")[booked], col(jobs, "slot_end")[booked]), \
        "promise is not the slot's end"
    # A job created after the horizon may hold a slot the run-out never reached (the run stops
    # once the window's cohort is done): it is never released, and its slot lies past the end.
    unreleased = booked & np.isnan(col(jobs, "released"))
    assert (col(jobs, "slot_end")[unreleased] > rep.run_end_minutes - EPS).all(), \
        "a booked job was not released although the run reached its slot"
    booked &= ~unreleased
    released, created = col(jobs, "released")[booked], col(jobs, "created")[booked]
    slot_end = col(jobs, "slot_end")[booked]
    assert (released >= created + lead - EPS).all(), "booked before the lead time"
    clock = np.mod(released, 1440.0)
    starts = {s.start_minute: s.end_minute - s.start_minute for s in slots}
    assert all(round(c) in starts for c in clock), "released outside a slot start"
    assert np.allclose(slot_end - released, [starts[round(c)] for c in clock])
    windows = rep.windows["technicians"]
    for at, n in zip(*np.unique(released, return_counts=True), strict=True):
        duty = sum(c for s, e, c in windows if s <= at < e)
        assert n <= fs.booking.capacity_per_technician * duty, f"slot at {at} overbooked"


# Found by the property below: a product line repairs in 10 minutes where the default is 11; the
# technicians plan that line's visits on its own time (20 minutes), so the last one starts 20
# minutes before a 01:00 shift end with no overtime allowed.
LINE_REPAIR_TIME = {
    "name": "prop", "warmup_days": 0, "horizon_days": 2, "run_out_max_days": 3.0,
    "demand": {"contacts_per_day": 50, "mix": {"repair": 1.0},
               "events": [{"name": "shock", "start_day": 0, "days": 1, "multiplier": 0.5}],
               "products": [{"name": "l0", "share": 1.0, "repair_minutes": 10.0}]},
    "call_center": {"agents": 1, "handle_minutes": {"repair": 1.0},
                    "hours": {"open": "00:00", "close": "10:00"}},
    "field_service": {**EVENING_TECHNICIAN, "repair_minutes": 11.0},
}


@PROPERTY
@example(LINE_REPAIR_TIME, 0)
@example(TRAINING_DAY, 0)
@given(scenarios(repair=True), seeds)
def test_no_job_is_started_that_is_expected_to_run_past_the_margin(data: dict, seed: int
                                                                     ) -> None:
    scenario, rep = run(data, seed)
    fs = scenario.field_service
    margin = fs.max_overtime_minutes
    starts: list[tuple[str, float, float]] = []
    visits = rep.visits
    if not visits.empty:
        # A visit is planned on its product line's repair time.
        lines = {line.name: line for line in scenario.demand.products or ()}
        product = rep.work_orders.set_index("id")["product"].astype(str)
        onsite = visits[(visits["crew"] == "technicians").to_numpy()]
        starts += [("technicians", s, fs.onsite_minutes(lines.get(line)))
                   for s, line in zip(col(onsite, "start"),
                                      product.reindex(onsite["job_id"]), strict=True)]
        bench = visits[(visits["crew"] == "depot_technicians").to_numpy()]
        starts += [("depot_technicians", s, fs.bench_minutes()) for s in col(bench, "start")]
    if scenario.followup is not None and scenario.followup.channel == "visit":
        visit = fs.travel_minutes.mean_value() + scenario.followup.call_minutes.mean_value()
        starts += [("technicians", s, visit) for s in col(rep.attempts, "start")]
    for crew, start, expected in starts:
        # Planned against the end of the shift, not of a piece an absence or training cut off.
        on = [p for (s, e, _), p in zip(rep.windows[crew], rep.planned_ends[crew], strict=True)
              if s <= start < e]
        assert any(start + expected <= e + margin + EPS for e in on), (
            f"{crew}: a job expected to take {expected:g} min started at {start:g} with the "
            f"shifts under way ending at {on}")
