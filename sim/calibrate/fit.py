"""Fitting a scenario to event logs: validated logs and a base -> fitted parameters -> scenario.

This module owns ``aftersales-sim fit``'s estimation, pure: ``fit_logs`` takes logs read and
validated by ``sim.calibrate.read.read_logs`` and a base scenario, estimates every parameter the
logs can tell with its confidence interval, takes the rest from the base (saying why), and returns a
``Fit`` holding the validated scenario and the provenance of each key. ``fit_files`` chains reading
the files and the base with it. Measures taken directly on the logs (service level, abandon rate,
on-time rate, fill rate) are ``sim.calibrate.measures.log_kpis``: the back-test compares them with
what the fitted scenario simulates.

The pieces: the scenario under construction and its provenance (``Fit``, ``Builder``) are in
``sim.calibrate.builder``; the customer-side fitters (demand, call center, complaints) in
``sim.calibrate.calls``; the repair-side fitters (field service, parts, follow-ups) in
``sim.calibrate.service``; the log measures in ``sim.calibrate.measures``. The statistics
(distribution fits, censoring, intervals, profiles) are in ``sim.calibrate.estimators``; the
commented YAML, the Markdown report and its charts in ``sim.calibrate.report``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from sim.calibrate.builder import Builder, Fit, dotted
from sim.calibrate.calls import fit_calls, fit_complaints, fit_demand
from sim.calibrate.columns import ColumnMap
from sim.calibrate.measures import kpi_samples, sample_unit
from sim.calibrate.read import Logs, read_logs
from sim.calibrate.service import fit_field_service, fit_followup, fit_parts
from sim.i18n.formats import listing
from sim.i18n.messages import tr
from sim.scenario.format import NAME_PATTERN, Scenario
from sim.scenario.loader import load_scenario
from sim.scenario.problems import Problem, ScenarioError, validation_problems

# The scaffold without --base: valid, and overwritten key by key by what the logs tell.
MINIMAL_BASE = {"name": "fitted", "demand": {"contacts_per_day": 1.0, "mix": {"inquiry": 1.0}},
                "call_center": {"agents": 1, "handle_minutes": {"inquiry": 1.0}}}


def fit_logs(logs: Logs, base: Scenario | None = None, base_source: str | None = None,
             name: str = "fitted", confidence: float = 0.95) -> Fit:
    """Estimate a scenario from event logs.

    Args:
        logs: From ``read_logs``.
        base: Where everything the logs cannot tell comes from (staffing, costs, targets,
            policies, ...); None = a minimal scenario, staffing then being the records' peak of
            simultaneous work.
        base_source: The base's file name, for comments.
        name: The fitted scenario's name.
        confidence: Level of every interval.

    Returns:
        The fit, its scenario validated; its comments, notes and reasons (and the generated
        description and shock names) in the language of the moment (``sim.i18n``).

    Raises:
        ScenarioError: When the logs need a section that neither they nor the base can fill.
    """
    has_base = base is not None
    base_data = (base if base is not None else Scenario.model_validate(MINIMAL_BASE)
                 ).model_dump(mode="json")
    b = Builder(base_data, has_base, logs, confidence)
    safe = re.sub(r"[^A-Za-z0-9_.-]", "-", name).lstrip("_.-")[:64] or "fitted"
    b.set(("name",), safe if NAME_PATTERN.match(safe) else "fitted", "")
    files = listing(Path(p).name for p in logs.sources.values())
    b.set(("description",), tr("Fitted from event logs ({files}) on the base {base}", files=files,
                               base=Path(base_source).name) if base_source else
          tr("Fitted from event logs ({files}) without a base", files=files), "")
    warmup = float(base_data["warmup_days"]) if has_base else 7.0
    first = logs.origin + dt.timedelta(minutes=logs.start)
    start = (first - dt.timedelta(days=warmup)).date()
    monday = start - dt.timedelta(days=start.weekday())
    # Day 0 must be a Monday (the weekly profile starts there) and the measured window must
    # start on the records' first day, so the warm-up absorbs the difference.
    lead = float((first.date() - monday).days)
    b.set(("warmup_days",), lead, (tr("from the base") if has_base else
                                   tr("a week to fill queues"))
          + (tr(", lengthened to start on the records' first day") if lead > warmup else ""))
    b.set(("start_date",), monday.isoformat(),
          tr("the Monday before the records' first day, less the warm-up"))
    b.set(("horizon_days",), round(logs.days, 6), tr("the records' length in days"))
    daily = fit_demand(b)
    fit_calls(b)
    fit_complaints(b)
    fit_field_service(b)
    fit_parts(b)
    fit_followup(b)
    b.set(("disruptions",), [], tr("not copied from the base: the records already hold their "
                                   "effect"))
    for key, reason in (("satisfaction", tr("the score model is not in the logs")),
                        ("costs", tr("costs are not in the logs")),
                        ("revenue", tr("prices are not in the logs")),
                        ("targets", tr("targets are not in the logs")),
                        ("seed", tr("run settings")), ("replications", tr("run settings")),
                        ("currency", tr("run settings"))):
        b.keep((key,), reason)
    if not has_base:
        b.notes.insert(0, tr("No base scenario: staffing is the peak of simultaneous work in "
                             "the records (a lower bound) and there are no costs or targets"))
    problems = _missing_sections(b)
    if problems:
        raise ScenarioError(problems)
    try:
        scenario = Scenario.model_validate(b.data)
    except ValidationError as err:  # the fit built something invalid: say what and whence
        raise ScenarioError([_whence(p, b) for p in
                             validation_problems(err, b.data, None,
                                                 tr("the fitted scenario"))]) from None
    return Fit(scenario, b.params, b.dists, daily, b.comments, b.notes, b.from_base,
               kpi_samples(logs, scenario.call_center.answer_target_seconds,
                           sample_unit(logs.reps)), base_source, confidence, logs)



def _whence(problem: Problem, b: Builder) -> Problem:
    """A problem of the fitted scenario, with where its value came from (the nearest key the
    fit commented: fitted from which records, or from the base)."""
    parts = problem.path.split(".") if problem.path else []
    for depth in range(len(parts), 0, -1):
        key = tuple(int(p) if p.isdigit() else p for p in parts[:depth])
        comment = b.comments.get(key)
        if comment:
            return Problem(problem.file, problem.line, problem.path,
                           f"{problem.message}; {dotted(key)}: {comment}")
    return problem


def _missing_sections(b: Builder) -> list[Problem]:
    """Sections the records need that neither the logs given nor the base can fill."""
    problems = []
    mix = b.data["demand"]["mix"]
    if mix.get("repair", 0) > 0 and not b.data.get("field_service"):
        problems.append(Problem("--work-orders", None, "field_service",
                                tr("the calls log has repair calls: give the work-orders log "
                                   "(and visits) or a --base scenario with a field_service "
                                   "section")))
    fs = b.data.get("field_service") or {}
    if fs and "repair_minutes" not in fs:
        problems.append(Problem("--visits", None, "field_service.repair_minutes",
                                tr("repair times come from the visits log: give --visits or a "
                                   "--base with field_service")))
    if fs and "technicians" not in fs:
        problems.append(Problem("--visits", None, "field_service.technicians",
                                tr("give --visits (for a lower bound) or a --base with "
                                   "technicians")))
    depot = fs.get("depot") or {}
    for key in ("technicians", "repair_minutes"):
        if depot and key not in depot:
            problems.append(Problem("--visits", None, f"field_service.depot.{key}",
                                    tr("the records have depot repairs: give --visits or a "
                                       "--base with a depot section")))
    return problems


def fit_files(paths: Mapping[str, Path | str], base: Path | str | None = None,
              name: str = "fitted", confidence: float = 0.95,
              columns: ColumnMap | None = None) -> Fit:
    """``read_logs`` (through the column map ``columns`` when given) and
    ``load_scenario(base)``, then ``fit_logs``; every problem of the logs and of the base is
    raised together."""
    problems: list[Problem] = []
    scenario = None
    if base is not None:
        try:
            scenario = load_scenario(base)
        except ScenarioError as err:
            problems += err.problems
    try:
        logs = read_logs(paths, columns)
    except ScenarioError as err:
        raise ScenarioError([*problems, *err.problems]) from None
    if problems:
        raise ScenarioError(problems)
    return fit_logs(logs, scenario, str(base) if base is not None else None, name, confidence)
