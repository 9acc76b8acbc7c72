"""The repair job queue: the most urgent job a person may take, however long the backlog.

``JobQueue`` keeps one heap per kind of job, and a crew's accept rule (the overtime rule, the
skills) answers alike for every job of one kind. These tests check the queue against the
definition, the most urgent accepted job by (priority, due time or release order), through
``JobQueue`` and ``SkillQueue``, and that a person for whom no queued job fits looks at one job
per kind, not at the whole backlog.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine.dispatch import JobQueue, SkillQueue, Technician

PRODUCTS = ("a", "b")


@dataclass(eq=False)
class Repair:
    priority: int
    due: float
    product: str = ""


@dataclass(eq=False)
class Visit:  # a task of another kind: its own expected minutes
    priority: int
    due: float


pushes = st.tuples(st.just("push"), st.sampled_from([Repair, Visit]), st.integers(0, 1),
                   st.sampled_from([1.0, 2.0, 3.0, 4.5]), st.sampled_from(["", *PRODUCTS]))
pops = st.tuples(st.just("pop"), st.sets(st.sampled_from([Repair, Visit])),
                 st.sampled_from([None, frozenset(), frozenset({"a"}), frozenset(PRODUCTS)]))
steps = st.lists(st.one_of(pushes, pops), max_size=60)


def make(kind: type, priority: int, due: float, product: str) -> Any:
    return Repair(priority, due, product) if kind is Repair else Visit(priority, due)


@settings(max_examples=300, deadline=None)
@given(steps, st.booleans(), st.booleans())
def test_the_queue_gives_the_most_urgent_job_the_rule_accepts(
        ops: list[tuple[Any, ...]], earliest_due: bool, lines: bool) -> None:
    queue: JobQueue | SkillQueue = (SkillQueue(earliest_due, PRODUCTS, kind=type) if lines
                                    else JobQueue(earliest_due, kind=type))
    waiting: list[tuple[int, float, int, Any]] = []  # the definition: every queued job
    released = 0
    for op in ops:
        if op[0] == "push":
            job = make(*op[1:])
            if not lines:
                job.product = ""
            queue.push(job)
            waiting.append((job.priority, job.due if earliest_due else 0.0, released, job))
            released += 1
            continue
        accepted, skills = op[1], op[2]
        tech = Technician(skills, -1, 0) if lines else None

        def rule(job: Any, kinds: set[type] = accepted) -> bool:
            return type(job) in kinds  # alike for every job of one kind

        fits = [w for w in waiting if rule(w[3]) and (tech is None or tech.can(w[3]))]
        expected = min(fits, key=lambda w: w[:3])[3] if fits else None
        got = queue.pop(0.0, rule, tech)
        assert got is expected
        if expected is not None:
            waiting = [w for w in waiting if w[3] is not expected]
        assert len(queue) == len(waiting)


def test_a_person_no_job_fits_looks_at_one_job_of_each_kind() -> None:
    # Near a shift end, in an overloaded week: 20,000 repairs queued, none short enough.
    queue = JobQueue(True, kind=type)
    for i in range(20_000):
        queue.push(Repair(0, float(i)))
    queue.push(Visit(0, 5.0))
    looked: list[Any] = []

    def too_long(job: Any) -> bool:
        looked.append(job)
        return isinstance(job, Visit)

    assert isinstance(queue.pop(0.0, too_long), Visit)
    assert len(looked) <= 2  # the head of each kind, not the backlog
    looked.clear()
    assert queue.pop(0.0, too_long) is None
    assert len(looked) == 1
    assert len(queue) == 20_000
