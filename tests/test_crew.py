"""Crews of light processes: how a job is handed over, queued, refused at a shift's end.

People are run by ``sim.engine.runner.Runner``: an idle person is parked and resumed by the
crew within the event that made the job. These tests pin what that must keep: a job that finds
someone idle starts at that same instant, a queued job is taken by the next person free, no
one does two jobs at once even when work offers more work to its own crew, and people go home
at their shift's end (finishing the task in hand, as overtime).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest
import simpy

from sim.engine.crew import Crew, FifoQueue
from sim.engine.runner import PARK, Runner


class Log:
    """Work that takes ``minutes`` per job and records when each job started and ended."""

    def __init__(self, env: simpy.Environment, minutes: float) -> None:
        self.env = env
        self.minutes = minutes
        self.started: dict[str, float] = {}
        self.ended: dict[str, float] = {}
        self.busy = 0
        self.most_busy = 0
        self.follow_up: dict[str, str] = {}  # job -> job it offers to the crew when it starts
        self.crew: Crew[str] | None = None

    def work(self, job: str) -> Generator[simpy.Event, Any, None]:
        self.started[job] = self.env.now
        self.busy += 1
        self.most_busy = max(self.most_busy, self.busy)
        if job in self.follow_up:
            assert self.crew is not None
            self.crew.offer(self.follow_up[job])
        yield self.env.timeout(self.minutes)
        self.busy -= 1
        self.ended[job] = self.env.now


def crew_of(people: int, minutes: float, until: float = 1000.0) -> tuple[
        simpy.Environment, Crew[str], Log]:
    env = simpy.Environment()
    log = Log(env, minutes)
    crew: Crew[str] = Crew(env, "test", FifoQueue(), log.work)
    log.crew = crew
    crew.staff([(0.0, until, people)])
    return env, crew, log


def offer_at(env: simpy.Environment, crew: Crew[str], when: float, job: str,
             taken: dict[str, bool]) -> None:
    env.timeout(when).callbacks.append(lambda _e: taken.__setitem__(job, crew.offer(job)))


def test_a_job_that_finds_someone_idle_starts_at_that_instant() -> None:
    env, crew, log = crew_of(people=1, minutes=5.0)
    taken: dict[str, bool] = {}
    offer_at(env, crew, 2.5, "a", taken)
    env.run(until=100)
    assert taken == {"a": True}
    assert log.started == {"a": 2.5} and log.ended == {"a": 7.5}


def test_a_queued_job_is_taken_by_the_next_person_free_in_order() -> None:
    env, crew, log = crew_of(people=2, minutes=10.0)
    taken: dict[str, bool] = {}
    for i, when in enumerate((1.0, 2.0, 3.0, 4.0)):
        offer_at(env, crew, when, f"j{i}", taken)
    env.run(until=100)
    assert taken == {"j0": True, "j1": True, "j2": False, "j3": False}
    # j2 waits for the first to finish (j0 at 11), j3 for the second (j1 at 12).
    assert log.started == {"j0": 1.0, "j1": 2.0, "j2": 11.0, "j3": 12.0}
    assert log.most_busy == 2


def test_work_that_offers_work_to_its_own_crew_never_doubles_a_person() -> None:
    env, crew, log = crew_of(people=2, minutes=10.0)
    log.follow_up = {"a": "b", "b": "c"}  # a starts b at once, b starts c (queued: both busy)
    taken: dict[str, bool] = {}
    offer_at(env, crew, 1.0, "a", taken)
    env.run(until=100)
    assert log.started == {"a": 1.0, "b": 1.0, "c": 11.0}
    assert log.most_busy == 2
    assert len(crew.idle) == 2  # both parked again, each once


def test_people_go_home_at_the_shift_end_and_finish_the_task_in_hand() -> None:
    env, crew, log = crew_of(people=1, minutes=30.0, until=60.0)
    taken: dict[str, bool] = {}
    offer_at(env, crew, 50.0, "late", taken)  # ends at 80: 20 minutes of overtime
    offer_at(env, crew, 60.0, "after", taken)  # nobody is on duty any more
    env.run(until=200)
    crew.close()
    assert log.ended == {"late": 80.0}
    assert taken == {"late": True, "after": False}
    assert [(o.shift_end, o.minutes) for o in crew.overtime] == [(60.0, 20.0)]
    assert len(crew.idle) == 0


def test_someone_whose_shift_ends_this_instant_does_not_start_a_job() -> None:
    env, crew, log = crew_of(people=1, minutes=5.0, until=10.0)
    taken: dict[str, bool] = {}
    offer_at(env, crew, 10.0, "j", taken)
    env.run(until=50)
    assert taken == {"j": False} and log.started == {}


def test_a_runner_resumes_at_each_wait_and_a_parked_one_on_send() -> None:
    env = simpy.Environment()
    seen: list[tuple[float, Any]] = []

    def steps() -> Generator[Any, Any, None]:
        yield env.timeout(3.0)
        seen.append((env.now, "timeout"))
        value = yield PARK
        seen.append((env.now, value))
        yield 2.0
        seen.append((env.now, "delay"))
        yield 1  # a whole number of minutes is a delay too
        seen.append((env.now, "done"))

    runner = Runner(env)
    runner.start(steps())
    env.timeout(7.0).callbacks.append(lambda _e: runner.send("hello"))
    env.run()
    assert seen == [(3.0, "timeout"), (7.0, "hello"), (9.0, "delay"), (10.0, "done")]


def test_a_delay_takes_its_turn_as_a_timeout_made_at_that_moment_would() -> None:
    """Same time, same priority: first scheduled, first served, whether a runner's delay or a
    Timeout. The numbers of a run depend on that order."""
    env = simpy.Environment()
    order: list[str] = []

    def waits(name: str, delays: list[float]) -> Generator[Any, Any, None]:
        for delay in delays:
            yield delay
            order.append(f"{name}@{env.now:g}")

    Runner(env).start(waits("a", [5.0, 1.0]))
    env.timeout(5.0).callbacks.append(lambda _e: order.append("timeout@5"))
    Runner(env).start(waits("b", [5.0, 0.0]))
    env.timeout(6.0).callbacks.append(lambda _e: order.append("timeout@6"))
    env.run()
    # a's second wait is made at 5, after the timeout at 6 was: it comes second at 6.
    assert order == ["a@5", "timeout@5", "b@5", "b@5", "timeout@6", "a@6"]


def test_a_negative_delay_is_refused() -> None:
    env = simpy.Environment()

    def back() -> Generator[Any, Any, None]:
        yield -1.0

    with pytest.raises(ValueError, match="cannot end in the past"):
        Runner(env).start(back())
