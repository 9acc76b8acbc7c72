"""How well whoever starts a repair visit works: skill gaps, new hires after attrition, training.

This module owns ``Proficiency``: for a visit starting now it says whether the person is still
learning (``untrained``), the factor on their diagnosis and repair time, their chance of fixing
the fault, the factor on the repair time from training, and the chance that a repair holds.

- A ``skill_gap`` disruption: inside its window a share of the visits is done by untrained
  people (its ``time_multiplier`` and ``fix_multiplier``).
- Attrition (``field_service.attrition_per_year``): leavers are replaced at once by new hires who
  start with the ``new_hire_*`` multipliers and lose them linearly over ``new_hire_ramp_months``.
  In steady state a share ``attrition_per_year x new_hire_ramp_months / 12`` (at most 1) of the
  mobile technicians is within their first months, each as far into them as a uniform draw says.
- Training (``sim.scenario.training``): the share ``training_progress`` of the effect applies to
  the other mobile technicians' visits (fix probability and quality added, repair time relative).

Every visit of a crew hit by a gap draws once from ``skill_gap`` and every mobile visit once from
``new_hire`` (with attrition), whatever the outcome, so later visits keep their numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sim.engine.distributions import uniform_sampler
from sim.engine.rng import Streams
from sim.scenario.disruptions import SkillGap
from sim.scenario.field import FieldService
from sim.scenario.training import Training, training_progress
from sim.units import MINUTES_PER_DAY

MOBILE = "technicians"


class Skill(NamedTuple):
    """How one visit is worked (a tuple: one is made per visit, and a frozen dataclass costs
    several times as much to build)."""

    untrained: bool
    slower: float  # factor on diagnosis and repair minutes
    fix_probability: float
    repair_factor: float  # training's factor on repair minutes


def _clip(p: float) -> float:
    return min(1.0, max(0.0, p))


class Proficiency:
    """The skill of whoever starts a visit, by crew and time."""

    def __init__(self, fs: FieldService, training: Training | None,
                 skill_gaps: Sequence[SkillGap], streams: Streams) -> None:
        self.fs = fs
        self.training = training
        self._untrained = uniform_sampler(streams["skill_gap"])
        self._gaps = [(g.start_day * MINUTES_PER_DAY, (g.start_day + g.days) * MINUTES_PER_DAY,
                       g.share, g.time_multiplier, g.fix_multiplier, frozenset(g.crews))
                      for g in skill_gaps]
        self._hires = min(1.0, fs.attrition_per_year * fs.new_hire_ramp_months / 12.0)
        self._hire = uniform_sampler(streams["new_hire"]) if self._hires > 0 else None

    def visit(self, crew: str, now: float, fix_probability: float) -> Skill:
        """The skill of a visit of ``crew`` starting ``now`` on a job whose trained fix
        probability is ``fix_probability``."""
        if self._gaps:
            u = self._untrained()  # one draw per visit, gap or not
            for start, end, share, slower, fix, crews in self._gaps:
                if crew in crews and start <= now < end and u < share:
                    return Skill(True, slower, fix_probability * fix, 1.0)
        if crew != MOBILE:
            return Skill(False, 1.0, fix_probability, 1.0)
        if self._hire is not None:
            u = self._hire()
            if u < self._hires:
                behind = 1.0 - u / self._hires  # the share of their ramp still ahead
                slower = 1.0 + (self.fs.new_hire_time_multiplier - 1.0) * behind
                fix = 1.0 - (1.0 - self.fs.new_hire_fix_multiplier) * behind
                return Skill(True, slower, fix_probability * fix, 1.0)
        progress = training_progress(self.training, now)
        if progress <= 0 or self.training is None:
            return Skill(False, 1.0, fix_probability, 1.0)
        effect = self.training.effect
        return Skill(False, 1.0, _clip(fix_probability + effect.fix_probability * progress),
                     1.0 + effect.repair_minutes * progress)

    def quality(self, onsite: bool, now: float) -> float:
        """The chance that a repair fixed ``now`` holds (on site: with training's effect)."""
        base = self.fs.quality_pass_probability
        progress = training_progress(self.training, now) if onsite else 0.0
        if progress <= 0 or self.training is None:
            return base
        return _clip(base + self.training.effect.quality_pass_probability * progress)
