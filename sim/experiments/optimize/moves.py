"""The optimizer's moves: repairing an infeasible decision, then descending to a cheaper one.

This module owns the search steps that ``sim.experiments.optimize.solve`` runs on one
``sim.experiments.optimize.evaluate.Evaluator``, and which crews or stocks can move which target
(``RELEVANT``):

1. repair: while infeasible, increase a variable that acts on the most violated target, the
   one whose step lowers the total shortfall most per unit of cost (lazy greedy: gains measured
   earlier are re-measured only for the front runner); steps start at about 5% of a variable's
   value and double after each move of that variable;
2. descend: for each variable, most expensive first, decrease while the decision stays
   feasible and gets cheaper (by the paired 95% interval of the cost difference), the step
   (about 5% of the value at first) doubling after each success until the first failure and
   halving after it (an exponential, then a binary search) down to 1, or 1% of a large value;
   a feasible step whose cost differs by less than the noise, either way, ends the
   variable's turn. Then cost-lowering swaps between two shifts of the same crew; passes
   repeat until nothing improves, and a variable whose turn ended waits for a move that
   changes what stopped it (a target it missed, or its own area). Each trial is screened
   against the decision it moves from (``sim.experiments.optimize.evaluate``'s
   ``clearly_missed_against``) on the targets the move can change. With a
   ``cost_tolerance`` (a share of the cost), a variable whose whole possible saving is below
   its part of that share is not descended: the variables so skipped could together have
   saved at most that share (cheap stock, whose every step costs an evaluation for a saving
   the paired test can rarely tell from noise).

Where the search starts, the confirmation with more replications and the result are
``sim.experiments.optimize.solve``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sim.experiments.optimize.decisions import Area
from sim.experiments.optimize.evaluate import Evaluation, Evaluator, Point, cheaper

STEP_SHARE = 0.05
RESOLUTION_SHARE = 0.01

_CALLS: frozenset[Area] = frozenset({"agents"})
_REPAIRS: frozenset[Area] = frozenset({"technicians", "depot", "stock", "vans", "training"})
# Which crews or stocks can move a KPI; "other" variables may move anything.
RELEVANT: dict[str, frozenset[Area]] = {
    **dict.fromkeys(("service_level", "asa_seconds", "response_seconds_p90", "abandon_rate",
                     "calls_blocked_rate", "agent_utilization"), _CALLS),
    **dict.fromkeys(("escalation_wait_minutes", "specialist_utilization"),
                    frozenset({"specialists"})),
    "complaint_on_time_rate": frozenset({"complaint_handlers"}),
    **dict.fromkeys(("repair_on_time_rate", "repair_turnaround_hours", "repairs_completed"),
                    _REPAIRS),
    "dispatch_wait_hours": frozenset({"technicians", "depot"}),
    "technician_utilization": frozenset({"technicians"}),
    "fill_rate": frozenset({"stock", "vans"}),
    "part_wait_hours": frozenset({"stock", "vans"}),
    "first_time_fix_rate": frozenset({"stock", "vans", "training"}),
    "van_fill_rate": frozenset({"vans"}),
    **dict.fromkeys(("repeat_repair_rate", "right_first_time_rate", "repair_quality_pass_rate"),
                    frozenset({"training"})),
    "followup_on_time_rate": frozenset({"agents", "technicians"}),
}


def _first_step(value: int) -> int:
    """A first step of about 5% of the value: +-1 is noise for a stock level of 600."""
    return max(1, round(abs(value) * STEP_SHARE))


def _finest_step(value: int) -> int:
    """The descent's resolution: 1, or 1% of a large value (a stock level of 1000 is settled
    to 10 units; finer steps would cost evaluations for savings below the model's accuracy)."""
    return max(1, round(abs(value) * RESOLUTION_SHARE))


@dataclass(frozen=True)
class _Waiting:
    """What a variable whose turn ended waits for: a move changing one of these targets, or
    a move in its own area."""

    targets: frozenset[str]
    area: Area


def _moved(p: Point, i: int, delta: int) -> Point:
    return (*p[:i], p[i] + delta, *p[i + 1:])


class Search:
    """The repair and descent procedure on one evaluator."""

    def __init__(self, ev: Evaluator, cost_tolerance: float = 0.0) -> None:
        """Search over the evaluator's variables; ``cost_tolerance``: see the module docstring
        (0: descend every variable)."""
        self.ev = ev
        self.vars = ev.variables
        self.cost_tolerance = cost_tolerance

    def repair(self, x: Point, reps: int, phase: str) -> Evaluation | None:
        """Increase variables until the decision is feasible (or the bounds or budget end).

        The choice is lazy-greedy: a variable's last measured gain (shortfall removed per unit
        of cost) is kept when another variable moves; gains shrink as service improves, so a
        kept gain is an optimistic estimate. Only the variable with the best kept gain is
        re-measured from the new decision, and it moves if it still beats every other kept
        gain. Variables never measured are measured together, in one batch.
        """
        current = self.ev.one(x, reps, phase)
        steps = [_first_step(v) for v in x]
        gains: dict[int, tuple[float, float]] = {}  # kept gain per variable
        fresh: dict[int, Evaluation] = {}  # its trial from the current decision
        while current is not None and not current.feasible and not self.ev.exhausted:
            now = current
            open_ = [i for i, v in enumerate(self.vars) if now.values[i] < v.upper]
            # the most violated target first; then any missed one; then anything that can move
            worst = max(now.shortfalls, key=lambda k: now.shortfalls[k])
            cands = (self._acting_on([worst], open_) or self._acting_on(now.shortfalls, open_)
                     or open_)
            unknown = [i for i in cands if i not in gains]
            self._measure(now, unknown, steps, reps, gains, fresh)
            cands = [i for i in cands if i in gains]
            chosen = None
            while cands and chosen is None:
                best = max(cands, key=lambda i: gains[i])
                if best not in fresh:
                    self._measure(now, [best], steps, reps, gains, fresh)
                    if best not in gains:
                        cands.remove(best)
                        continue
                others = [gains[i] for i in cands if i != best]
                if best in fresh and (not others or gains[best] >= max(others)):
                    chosen = best
            if chosen is None:
                break
            current = fresh[chosen]
            steps[chosen] *= 2
            fresh.clear()
        return current

    def _measure(self, now: Evaluation, which: Sequence[int], steps: Sequence[int], reps: int,
                 gains: dict[int, tuple[float, float]], fresh: dict[int, Evaluation]) -> None:
        """Evaluate one step up of each variable from ``now`` and keep their gains."""
        for i in which:
            gains.pop(i, None)
        trials = [_moved(now.values, i, min(steps[i], self.vars[i].upper - now.values[i]))
                  for i in which]
        for i, trial in zip(which, self.ev.many(trials, reps, "repair"), strict=True):
            if trial is not None:
                gains[i], fresh[i] = self._repair_gain(now, trial), trial

    def _targets_moved_by(self, moved: Sequence[int]) -> frozenset[str]:
        """The scenario's targets that moving these variables can change (``RELEVANT``)."""
        areas = {self.vars[i].area for i in moved}
        return frozenset(k for k in self.ev.base.targets
                         if "other" in areas or areas & RELEVANT.get(k, areas))

    def _acting_on(self, kpis: Iterable[str], among: Sequence[int]) -> list[int]:
        areas: set[str] = {"other"}
        for k in kpis:
            areas |= RELEVANT.get(k, {v.area for v in self.vars})
        return [i for i in among if self.vars[i].area in areas]

    @staticmethod
    def _repair_gain(before: Evaluation, after: Evaluation) -> tuple[float, float]:
        # shortfall removed per unit of cost added; when nothing helps, the least shortfall
        gain = before.violation - after.violation
        extra = max(after.cost - before.cost, 1e-9 * (abs(before.cost) + 1.0))
        return (gain / extra if gain > 0 else -math.inf, -after.violation)

    def descend(self, best: Evaluation, reps: int) -> Evaluation:
        """Coordinate descent with adaptive steps, then swaps, until nothing improves.

        A variable whose turn ended waits until a move changes what stopped it
        (``_Waiting``): the targets its failed trial missed, or, for a step lost in the noise
        or a variable at its bound, its own area. A move that cannot change those (a swap of
        agents, for a technician stopped by on-time repair) would only repeat its last trial.
        """
        order = sorted(range(len(self.vars)), key=lambda i: -self.vars[i].unit_cost)
        waiting: dict[int, _Waiting] = {}
        while not self.ev.exhausted:
            moved = False
            for i in order:
                if i in waiting or self._negligible(best, i):
                    continue
                before = best
                best, waiting[i] = self._descend_one(best, i, reps)
                if best is not before:
                    moved = True
                    self._wake(waiting, [i], by=i)
            if moved:
                continue
            swapped = self._swap(best, reps)
            if swapped is best:
                break
            changed = [i for i, (a, b) in enumerate(zip(best.values, swapped.values,
                                                         strict=True)) if a != b]
            best = swapped
            self._wake(waiting, changed)
        return best

    def _descend_one(self, best: Evaluation, i: int, reps: int) -> tuple[Evaluation, _Waiting]:
        """Variable ``i``'s turn: lower it while that pays; the best decision and what stopped
        it."""
        own = _Waiting(frozenset(), self.vars[i].area)
        stop = own
        step, growing = _first_step(best.values[i]), True
        finest = _finest_step(best.values[i])
        while step >= finest and not self.ev.exhausted:
            down = min(step, best.values[i] - self.vars[i].lower)
            if down <= 0:
                return best, own
            trial = self.ev.one(_moved(best.values, i, -down), reps, "descent",
                                best, self._targets_moved_by([i]))
            if trial is not None and trial.feasible and cheaper(trial, best):
                best, stop = trial, own
                step = step * 2 if growing else step
            elif trial is not None and trial.feasible and not cheaper(best, trial):
                # a difference lost in the noise either way: a smaller step saves even less
                return best, own
            else:
                # infeasible, or dearer (e.g. penalties outgrow the saving): the boundary is
                # bracketed, so bisect from here on and never grow again
                step, growing = step // 2, False
                if trial is not None and trial.shortfalls:
                    stop = _Waiting(frozenset(trial.shortfalls), self.vars[i].area)
        return best, stop

    def _wake(self, waiting: dict[int, _Waiting], moved: Sequence[int], by: int = -1) -> None:
        """Let the waiting variables that the move of ``moved`` concerns have a turn again:
        the moved ones themselves, except ``by``, whose own turn made the move and ended at
        its boundary."""
        targets = self._targets_moved_by(moved)
        areas = {self.vars[j].area for j in moved}
        for i in [i for i, w in waiting.items()
                  if i != by and (i in moved or w.area in areas or w.targets & targets)]:
            del waiting[i]

    def _negligible(self, best: Evaluation, i: int) -> bool:
        """Whether lowering variable ``i`` to its lower bound could save less than its share
        (1 / the number of variables) of ``cost_tolerance`` times the cost.

        Its unit cost times its units above the bound bounds the saving: fewer units or people
        do not lower the other costs (penalties, overtime, revisits). So the variables skipped
        could together have saved at most ``cost_tolerance`` of the cost.
        """
        var = self.vars[i]
        most = var.unit_cost * (best.values[i] - var.lower)
        return most < self.cost_tolerance * abs(best.cost) / len(self.vars)

    def _swap(self, best: Evaluation, reps: int) -> Evaluation:
        """One person moved from a dearer shift to a cheaper one of the same crew, if it pays."""
        for j, dear in enumerate(self.vars):
            for i, cheap in enumerate(self.vars):
                if not (dear.group and dear.group == cheap.group
                        and cheap.unit_cost < dear.unit_cost):
                    continue
                trial = self.ev.one(_moved(_moved(best.values, i, 1), j, -1), reps, "swap",
                                    best, self._targets_moved_by([i, j]))
                if trial is not None and trial.feasible and cheaper(trial, best):
                    return trial
        return best
