"""Field practice worked out by hand: the appointment book, failed repairs coming back through
the phone or a spot check, and callbacks of a closed day against the phone queue."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.booking import AppointmentBook
from sim.engine.model import simulate
from sim.measure.outcome import measure
from sim.scenario.field import Slot
from sim.scenario.loader import load_scenario_text

DAY = 1440.0


def test_the_book_gives_the_earliest_slot_with_room_after_the_lead() -> None:
    slots = (Slot(start="08:00", end="12:00"), Slot(start="13:00", end="17:00"))
    # Two technicians on duty from 08:00 to 17:00 on day 0, one on day 1, none after.
    windows = [(8 * 60.0, 17 * 60.0, 2), (DAY + 8 * 60, DAY + 17 * 60, 1)]
    book = AppointmentBook(slots, 1, windows, 3 * DAY)
    assert book.room == [2, 2, 1, 1]
    assert book.book(0.0) == (480.0, 720.0)
    assert book.book(0.0) == (480.0, 720.0)
    assert book.book(0.0) == (780.0, 1020.0)           # the morning is full
    assert book.book(600.0) == (780.0, 1020.0)         # from 10:00: the afternoon slot
    assert book.book(600.0) == (DAY + 480, DAY + 720)  # ... which is full now
    assert book.book(DAY + 500) == (DAY + 780, DAY + 1020)  # 08:20: the morning has begun
    assert book.book(0.0) is None                      # nothing left before the end


SLOTS = """
name: slots
horizon_days: 14
demand: {contacts_per_day: 12, mix: {repair: 1.0}}
call_center: {agents: 5, handle_minutes: {repair: 0}}
field_service:
  technicians: [{name: day, start: "08:00", end: "17:00", count: 4}]
  travel_minutes: 30
  repair_minutes: 60
  booking:
    min_lead_hours: 2
    slots: [{start: "08:00", end: "12:00"}, {start: "13:00", end: "17:00"}]
    capacity_per_technician: 2
"""


def test_slots_promise_the_slots_end_and_are_kept() -> None:
    """Four technicians, two 90-minute jobs each per 4-hour slot (16 a day for 12 calls): every
    booked visit starts in its slot and ends by its end, so appointments are kept and repairs
    on time; a call books a slot starting at least two hours later."""
    scenario = load_scenario_text(SLOTS)
    rep = simulate(scenario, 1)
    jobs = rep.work_orders
    jobs = jobs[jobs["released"].notna()]  # not those the run-out stopped before their slot
    assert np.isin(np.mod(jobs["released"].to_numpy(float), DAY), [480.0, 780.0]).all()
    assert np.allclose(jobs["due"], jobs["slot_end"])
    kpis = measure(scenario, rep).kpis
    assert kpis["appointment_kept_rate"] == 1.0
    assert kpis["repair_on_time_rate"] == 1.0
    assert (jobs["released"] >= jobs["created"] + 120.0 - 1e-9).all()


COMEBACK = """
name: comeback
horizon_days: 21
demand: {contacts_per_day: 40, mix: {repair: 1.0}}
call_center: {agents: 5, handle_minutes: {repair: 4}}
field_service:
  technicians: 20
  repair_minutes: 60
  quality_pass_probability: 0.5
  spot_check_share: SHARE
  spot_check_detection: DETECTION
  rework_delay_hours: 24
"""


@pytest.mark.parametrize(("share", "detection"), [(0.0, 0.0), (1.0, 1.0), (1.0, 0.5)])
def test_a_failed_repair_comes_back_by_phone_unless_a_check_catches_it(
        share: float, detection: float) -> None:
    scenario = load_scenario_text(COMEBACK.replace("SHARE", str(share))
                                  .replace("DETECTION", str(detection)))
    rep = simulate(scenario, 2)
    jobs, calls = rep.work_orders, rep.calls
    failed = jobs[~jobs["quality_pass"].astype(bool) & jobs["finished"].notna()]
    caught = failed["caught"].astype(bool)
    reports = calls[calls["origin"] == "rework"]
    rework = jobs[jobs["rework_of"] >= 0]
    if detection == 0.0:
        assert not caught.any()
    elif detection == 1.0:
        assert caught.all() and reports.empty
    else:
        assert 0.35 < caught.mean() < 0.65
    # Every failure not caught is reported 24 h after its finish by a first call (nobody
    # abandons: no patience), and booked when the call ends.
    first = reports[reports["attempt"] == 1].set_index("rework_of")
    phoned = failed[~caught]
    due = phoned["finished"].to_numpy(float) + 24 * 60
    reported = first["arrival"].reindex(phoned["id"]).to_numpy(float)
    inside = due < rep.run_end_minutes
    assert np.allclose(reported[inside], due[inside])
    assert set(rework["rework_of"]) <= set(failed["id"])
    booked = rework.set_index("rework_of")["created"]
    ends = first["end"].reindex(phoned["id"])
    done = ends.notna().to_numpy()
    assert np.allclose(booked.reindex(phoned["id"]).to_numpy(float)[done],
                       ends.to_numpy(float)[done])
