"""The Optimize page: the cheapest decision meeting every target, and applying it.

The search is `sim.experiments.optimize.solve.optimize` (as `aftersales-sim optimize`), run behind
the cache of `sim.explorer.runner.run_optimize` with a progress bar. The page shows the decision
against the start, its cost with its 95% interval, its KPIs against the targets, and the cost
frontier (`sim.output.charts.optimize.cost_frontier`, the chart of the CLI's folder); **Apply**
makes the decision the edited scenario (`sim.explorer.session.apply_decision`).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sim.experiments.optimize.decisions import STAFFING, TRAINING_HOURS
from sim.experiments.optimize.evaluate import kpi_stats
from sim.experiments.optimize.solve import MAX_COST_TOLERANCE, MIN_REPLICATIONS, OptimizeResult
from sim.experiments.store import scenario_digest
from sim.explorer import runner, session
from sim.explorer.widgets import png, table_download, today
from sim.i18n.messages import tr
from sim.measure.catalog import KPI_BY_NAME
from sim.output.charts.optimize import cost_frontier
from sim.output.labels import column_label, kpi_label, status_label
from sim.output.numbers import format_value
from sim.output.report import dated
from sim.scenario.format import Scenario

KIND = "optimize"
SPEC = "explorer_optimize_spec"
STOCK = "parts.skus.*.policy"
VANS = "parts.van_stock.*.level"
DEFAULT_MAX_EVALUATIONS = 60


def choices(scenario: Scenario) -> list[str]:
    """The ``--decide`` paths this scenario has: its crews, its stock policies, the units on
    its vans and its training hours."""
    data = scenario.model_dump(mode="json")
    out = []
    for path in STAFFING:
        node: object = data
        for key in path.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        if node is not None:
            out.append(path)
    if scenario.parts is not None:
        out.append(STOCK)
        if scenario.parts.van_stock is not None and scenario.parts.van_stock.skus:
            out.append(VANS)
    if scenario.training is not None:
        out.append(TRAINING_HOURS)
    return out


def _form(scenario: Scenario) -> None:
    options = choices(scenario)
    default = [p for p in ("call_center.agents", "field_service.technicians", STOCK)
               if p in options]
    reps = max(scenario.replications, MIN_REPLICATIONS)
    with st.form("optimize_form"):
        st.multiselect(tr("Decide"), options, default=default, key="optimize_decide",
                       help=tr("Crews (each shift's count), stock policies, van units and "
                               "training hours the search may move"))
        cols = st.columns(4)
        cols[0].number_input(tr("Replications per evaluation"), min_value=MIN_REPLICATIONS,
                             value=reps, step=1, key="optimize_reps")
        cols[1].number_input(tr("Replications of the final check"), min_value=MIN_REPLICATIONS,
                             value=max(2 * reps, 20), step=1, key="optimize_confirm")
        cols[2].number_input(tr("Most evaluations"), min_value=1, value=DEFAULT_MAX_EVALUATIONS,
                             step=1, key="optimize_max_evals")
        cols[3].number_input(tr("Cost tolerance (%)"), min_value=0.0,
                             max_value=100.0 * MAX_COST_TOLERANCE, value=0.0, step=0.1,
                             key="optimize_tolerance",
                             help=tr("Leave alone the levels too cheap to matter: together they "
                                     "could save at most this share of the cost. Fewer "
                                     "evaluations; 0 searches every variable."))
        submitted = st.form_submit_button(tr("Run optimizer"), type="primary")
    if submitted:
        state = st.session_state
        st.session_state[SPEC] = {
            "decide": tuple(state["optimize_decide"]), "reps": int(state["optimize_reps"]),
            "confirm": max(int(state["optimize_confirm"]), int(state["optimize_reps"])),
            "max_evals": int(state["optimize_max_evals"]),
            "tolerance": float(state["optimize_tolerance"]) / 100.0, "run": True}


def decision_table(result: OptimizeResult) -> pd.DataFrame:
    """One row per decided variable: where the search started and what it chose."""
    return pd.DataFrame({tr("variable"): [v.label for v in result.variables],
                         tr("now"): [v.current for v in result.variables],
                         tr("start"): list(result.start),
                         tr("chosen"): list(result.best.values)})


def targets_table(result: OptimizeResult) -> pd.DataFrame:
    """The chosen decision's targeted KPIs: mean, 95% interval, target and verdict."""
    stats = kpi_stats(result.best.result)
    rows = []
    for kpi, judged in result.best.result.targets.items():
        unit = KPI_BY_NAME[kpi].unit if kpi in KPI_BY_NAME else ""

        def show(value: float, unit: str = unit) -> str:
            return format_value(value, unit, result.base.currency)

        rows.append({column_label("kpi"): kpi_label(kpi),
                     column_label("mean"): show(stats[kpi]["mean"]),
                     column_label("ci"): tr("{low} to {high}", low=show(stats[kpi]["ci_low"]),
                                            high=show(stats[kpi]["ci_high"])),
                     column_label("target"): f"{'≥' if judged.direction == 'at_least' else '≤'} "
                                             f"{show(judged.target)}",
                     column_label("status"): status_label(judged.status)})
    return pd.DataFrame(rows)


def _results(result: OptimizeResult) -> None:
    currency = result.base.currency
    doc = result.document()
    cost = format_value(result.best.cost, "currency", currency)
    low, high = (format_value(v, "currency", currency) for v in doc["cost_ci"])
    effort = tr("{n} evaluations, {reps} replications simulated", n=len(result.evaluations),
                reps=result.replications_used)
    if result.feasible:
        st.success(tr("Cheapest decision meeting every target with confidence: total cost "
                      "**{cost}** (95% CI {low} to {high}, {reps} replications). {effort}.",
                      cost=cost, low=low, high=high, reps=result.best.replications,
                      effort=effort))
    else:
        st.warning(tr("No evaluated decision meets every target with confidence; the closest "
                      "costs {cost}. Raise the evaluations or decide on more. {effort}.",
                      cost=cost, effort=effort))
    st.dataframe(decision_table(result), hide_index=True, width="stretch")
    st.subheader(tr("KPIs against targets"))
    st.dataframe(targets_table(result), hide_index=True, width="stretch")
    if st.button(tr("Apply this decision as the edited scenario"), key="optimize_apply"):
        session.apply_decision(result.decision())
        st.success(tr("Applied: the Scenario page and every run now use this decision."))
    table = result.table()
    kpi = result.binding_kpi
    if kpi in table.columns:
        info = KPI_BY_NAME.get(kpi)
        st.subheader(tr("Cost against {name} (the tightest target)", name=kpi_label(kpi)))
        fig = dated(cost_frontier(table, kpi, result.base.targets.get(kpi),
                                  info is None or info.direction == "at_least",
                                  info is not None and info.unit == "share", currency,
                                  result.base.name), today())
        st.image(png(fig), width="stretch")
    table_download(tr("Every evaluation (`evaluations.csv`)"), table,
                   f"{result.base.name}_evaluations", "optimize_evaluations")


def render() -> None:
    """The Optimize page."""
    st.title(tr("Optimize"))
    scenario = session.edited_or_stop()
    session.scenario_caption(scenario)
    if not scenario.targets:
        st.info(tr("This scenario has no targets: without them the cheapest decision is to "
                   "staff and stock nothing."))
        return
    if not choices(scenario):
        st.info(tr("This scenario has no crews or stock to decide on."))
        return
    st.caption(tr("The cheapest decision whose KPIs meet every target by their whole 95% "
                  "interval, searched from textbook estimates under common random numbers "
                  "(`aftersales-sim optimize`)."))
    _form(scenario)
    spec = st.session_state.get(SPEC)
    if not spec or not spec["decide"]:
        st.info(tr("Choose what to decide and press **Run optimizer**."))
        return
    payload = scenario.model_dump_json()
    run_key = scenario_digest("\n".join([payload, *spec["decide"], str(spec["reps"]),
                                         str(spec["confirm"]), str(spec["max_evals"]),
                                         str(spec["tolerance"])]))
    if not spec.pop("run", False) and run_key not in session.requested(KIND):
        st.info(tr("Press **Run optimizer** to search for the edited scenario."))
        return
    result = runner.run_optimize(payload, spec["decide"], spec["reps"], spec["confirm"],
                                 spec["max_evals"], scenario.seed, spec["tolerance"],
                                 runner.executor_for(session.workers()))
    session.requested(KIND).add(run_key)
    _results(result)
