"""Training and attrition: the ``training`` section and when technicians are off the road.

This module owns ``Training`` (hours per technician a month, their cost, the weekday they are
taken, the effect reached after the ramp), ``TrainingEffect``, ``WEEKS_PER_MONTH``,
``training_progress`` (how much of the effect applies at a time) and ``training_sessions`` (the
calendar of who is off the road for training: the engine cuts it from the technicians' rosters and
the budget's ``training`` line costs it).

The model: every week, on ``weekday``, each mobile shift working that day sends a share of its
people to training for the whole shift, so that each technician trains
``hours_per_technician_month`` x 12 / 52 hours a week on average. From day 0 the effect grows
linearly to its full size after ``ramp_months`` (30-day months), scaled by
``hours_per_technician_month / full_effect_hours_per_month`` (at most 1): fewer hours sustain a
proportionally smaller effect, more than the full-effect hours add nothing.
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import Field

from sim.scenario.base import DAYS, Day, NonNegFloat, PosFloat, StrictModel
from sim.scenario.calendar import StaffingSpec, shift_windows
from sim.units import MINUTES_PER_DAY, MINUTES_PER_HOUR

WEEKS_PER_MONTH = 52.0 / 12.0
MONTH_MINUTES = 30 * MINUTES_PER_DAY
MAX_TRAINING_HOURS = 160.0  # a month of full-time work


class TrainingEffect(StrictModel):
    """What full training changes in a mobile technician's visit."""

    fix_probability: Annotated[float, Field(ge=-1, le=1)] = Field(
        0.0, strict=True, description="Added to the probability that a visit fixes the fault "
                                      "(-1 to 1; the result is kept within 0-1).")
    quality_pass_probability: Annotated[float, Field(ge=-1, le=1)] = Field(
        0.0, strict=True, description="Added to the probability that a repair holds (-1 to 1; "
                                      "the result is kept within 0-1).")
    repair_minutes: Annotated[float, Field(ge=-0.9, le=10)] = Field(
        0.0, strict=True, description="Relative change of the repair time, e.g. -0.10 = 10% "
                                      "faster (-0.9 to 10).")


class Training(StrictModel):
    """Training of the mobile technicians: time off the road that pays back in fixes."""

    hours_per_technician_month: Annotated[float, Field(ge=0, le=MAX_TRAINING_HOURS)] = Field(
        strict=True, description="Hours each mobile technician spends training a month, off "
                                 f"the road (0-{MAX_TRAINING_HOURS:g}).")
    cost_per_hour: NonNegFloat = Field(
        0.0, description="Trainer and course cost per training hour, in `currency`; the "
                         "technicians' own pay for those hours is added in the budget's "
                         "training line.")
    weekday: Day = Field("wed", description="Weekday on which training is held (mon-sun).")
    ramp_months: PosFloat = Field(
        3.0, description="Months (of 30 days, from day 0) until the effect is reached in full "
                         "(> 0).")
    full_effect_hours_per_month: PosFloat = Field(
        4.0, description="Monthly hours that sustain the whole `effect`; fewer hours give a "
                         "proportional share of it, more add nothing (> 0).")
    effect: TrainingEffect = Field(
        default_factory=TrainingEffect,
        description="The effect of full training on fix_probability, quality_pass_probability "
                    "(added) and repair_minutes (relative).")


def training_progress(training: Training | None, minutes: float) -> float:
    """The share of ``effect`` that applies at time ``minutes`` (0-1)."""
    if training is None or training.hours_per_technician_month <= 0:
        return 0.0
    dose = min(1.0, training.hours_per_technician_month / training.full_effect_hours_per_month)
    return dose * min(1.0, max(minutes, 0.0) / (training.ramp_months * MONTH_MINUTES))


Session = tuple[float, float, float, int]


def training_sessions(pattern: StaffingSpec, training: Training | None,
                      horizon_minutes: float, first_weekday: int = 0) -> list[Session]:
    """(start, end, share off, people off) of one shift pattern's training days.

    Each window of the pattern that starts on ``training.weekday`` sends people to training for
    the whole window: count x weekly hours / window hours of them on average. People come
    whole, so each session sends the whole number that keeps the running total closest to the
    target (a crew of 3 that owes 0.7 people a week sends 1, 1, 0, 1...): over weeks the hours
    are those asked for, not those of rounding every week up. Around-the-clock staff (a bare
    number) train over the whole weekday. Day 0 is weekday ``first_weekday`` (0 = Monday).
    ``share off`` is people off / count, which the
    roster cut (``planned_cut_windows``) turns back into exactly that many people.
    """
    if training is None or training.hours_per_technician_month <= 0:
        return []
    weekly_hours = training.hours_per_technician_month / WEEKS_PER_MONTH
    day = DAYS.index(training.weekday)
    windows: list[tuple[float, float, int]]
    def weekday(minute: float) -> int:
        return (int(minute // MINUTES_PER_DAY) + first_weekday) % 7

    if isinstance(pattern, int):
        windows = [(d * MINUTES_PER_DAY, (d + 1) * MINUTES_PER_DAY, pattern)
                   for d in range(math.ceil(horizon_minutes / MINUTES_PER_DAY))
                   if weekday(d * MINUTES_PER_DAY) == day]
    else:
        windows = [w for w in shift_windows(pattern, horizon_minutes, first_weekday)
                   if weekday(w[0]) == day]
    sessions: list[Session] = []
    owed = 0.0  # people-sessions asked for so far
    sent = 0
    for start, end, count in windows:
        owed += count * min(1.0, weekly_hours * MINUTES_PER_HOUR / (end - start))
        off = min(count, max(0, math.floor(owed + 0.5) - sent))
        sent += off
        if off > 0:
            sessions.append((start, end, off / count, off))
    return sessions
