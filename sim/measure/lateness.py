"""Why repairs are late: the time of every late work order split by what it was spent on.

This module owns ``CAUSES``, ``late_drivers`` (one replication's late work orders, their hours by
cause) and ``job_causes`` (the split of one job's time). A work order of the measured window is
late when it finished after its promise or was still open when the run-out reached its cap. Its
time from the customer's call to the finish (or to the end of the run) is cut into consecutive
stretches, each put down to one cause:

- ``booking``: the call itself, then waiting for the appointment (booking lead, slot start);
- ``dispatch``: released and waiting for a technician (first visit; the revisit once a missing
  part has come);
- ``travel``: driving to the customer, every visit;
- ``parts``: a visit that found the part missing, and the wait until it came;
- ``depot``: shipping the device to the depot bench and back;
- ``rework``: a visit that did not fix the fault and the wait for the next one; and the whole of
  a rework job (it exists only because an earlier repair failed);
- ``work``: diagnosis and repair at the visit (or bench session) that fixed it.

So a manager reads which lever a late repair waits on: technicians (dispatch), stock (parts),
quality (rework), routing (travel), the booking rules or the depot. Clock unit: minutes; the
table is in hours.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.engine.model import Replication
from sim.units import MINUTES_PER_HOUR

CAUSES: tuple[str, ...] = ("booking", "dispatch", "travel", "parts", "depot", "rework", "work")
"""The contract's six causes of lateness, then ``work`` (hands-on time) so that the causes of a
job add up to its whole time."""


def job_causes(t0: float, end: float, created: float, released: float, onsite: bool,
               rework: bool, part_ready: float,
               visits: Sequence[tuple[float, float, float, str]]) -> dict[str, float]:
    """Minutes of one job by cause, from ``t0`` (the call) to ``end`` (the finish, or the end of
    the run for a job still open).

    Args:
        t0: When the customer's call rang (a rework job caught by a spot check: its creation).
        end: When the job finished, or the end of the run.
        created: When the work order was created.
        released: When it could be worked on (NaN: not yet).
        onsite: On site (else at the depot bench).
        rework: A rework job: its whole time is ``rework``.
        part_ready: When a backordered part came (NaN: never waited, or still waiting).
        visits: (start, travel minutes, end, outcome) of its recorded visits (hands-on time is
            the rest of the visit), in
            order; after the visit that fixed it, a depot job's return transit follows.
    """
    out = dict.fromkeys(CAUSES, 0.0)

    def put(cause: str, a: float, b: float) -> None:
        a, b = max(a, t0), min(b, end)
        if b > a:
            out[cause] += b - a

    if rework:
        put("rework", t0, end)
        return out
    put("booking", t0, created)
    waiting = released if not math.isnan(released) else end
    put("booking" if onsite else "depot", created, waiting)
    ready, after = waiting, "dispatch"
    for start, travel, stop, outcome in visits:
        if after == "parts":
            came = part_ready if not math.isnan(part_ready) else start
            put("parts", ready, came)
            put("dispatch", came, start)
        else:
            put(after, ready, start)
        put("travel", start, start + travel)
        put({"fixed": "work", "not_fixed": "rework", "no_part": "parts"}[outcome],
            start + travel, stop)
        ready = stop
        after = {"fixed": "done", "not_fixed": "rework", "no_part": "parts"}[outcome]
    if after == "done":
        put("depot", ready, end)  # the return transit of a depot job (nothing on site)
    elif after == "parts":
        came = part_ready if not math.isnan(part_ready) else end
        put("parts", ready, came)
        put("dispatch", came, end)
    else:  # still open at the end of the run: waiting for a (first or next) visit
        put(after, ready, end)
    return out


def late_drivers(rep: Replication) -> pd.DataFrame:
    """The late work orders of the measured window and their hours by cause.

    Returns:
        One row per cause (``CAUSES`` order): ``cause``, ``late_jobs`` (how many work orders
        were late), ``hours`` (their hours of that cause, summed).
    """
    jobs = rep.work_orders
    totals = dict.fromkeys(CAUSES, 0.0)
    late_count = 0
    if not jobs.empty:
        created = jobs["created"].to_numpy(float)
        finished = jobs["finished"].to_numpy(float)
        due = jobs["due"].to_numpy(float)
        window = (created >= rep.start_minutes) & (created < rep.end_minutes)
        late = window & (np.isnan(finished) | (finished > due))
        late_jobs = jobs[late]
        late_count = len(late_jobs)
        calls = rep.calls[["id", "origin", "rework_of", "arrival"]].set_index("id")
        call = calls.reindex(late_jobs["call_id"])
        # A rework job reported by phone starts at the report; one a spot check caught, when
        # it was created (its call is the original repair call, days before).
        reported = ((call["origin"].astype(str).to_numpy() == "rework")
                    & (call["rework_of"].to_numpy() == late_jobs["rework_of"].to_numpy()))
        is_rework = late_jobs["rework_of"].to_numpy() >= 0
        t0 = np.where(is_rework & ~reported, late_jobs["created"].to_numpy(float),
                      call["arrival"].to_numpy(float))
        visits = rep.visits
        mine = visits[visits["job_id"].isin(late_jobs["id"])].sort_values(
            ["job_id", "start"], kind="stable")
        by_job: dict[int, list[tuple[float, float, float, str]]] = {}
        for job_id, start, travel, stop, outcome in zip(
                mine["job_id"].tolist(), mine["start"].tolist(), mine["travel"].tolist(),
                mine["end"].tolist(), mine["outcome"].astype(str).tolist(), strict=True):
            by_job.setdefault(job_id, []).append((start, travel, stop, outcome))
        ends = np.where(np.isnan(late_jobs["finished"].to_numpy(float)), rep.run_end_minutes,
                        late_jobs["finished"].to_numpy(float))
        for job_id, start, end, made, released, onsite, rework, part_ready in zip(
                late_jobs["id"].tolist(), t0.tolist(), ends.tolist(),
                late_jobs["created"].tolist(), late_jobs["released"].tolist(),
                (late_jobs["channel"].astype(str) == "onsite").tolist(), is_rework.tolist(),
                late_jobs["part_ready"].tolist(), strict=True):
            split = job_causes(start, end, made, released, onsite, rework, part_ready,
                               by_job.get(job_id, []))
            for cause, minutes in split.items():
                totals[cause] += minutes
    return pd.DataFrame({"cause": list(CAUSES), "late_jobs": late_count,
                         "hours": [totals[c] / MINUTES_PER_HOUR for c in CAUSES]})
