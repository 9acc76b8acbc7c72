"""The Sweep page: one lever over a range, KPI curves, the cheapest point meeting every target.

The lever becomes a `sim.experiments.design.Factor` (its key is the lever's dotted path, as for
`--vary`), `sim.experiments.sweep.run_sweep` runs every point on the same seeds and judges the
targets; the curves are `sim.output.charts.experiments.sweep_kpi_chart`, the frontier
`sim.explorer.figures.frontier_figure`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd
import streamlit as st
from matplotlib.figure import Figure
from pydantic import ValidationError

from sim.experiments.design import Factor
from sim.experiments.store import scenario_digest
from sim.experiments.sweep import SweepResult
from sim.explorer import runner, session
from sim.explorer.figures import frontier_figure
from sim.explorer.widgets import figure_downloads, png, table_download, today
from sim.i18n.messages import tr
from sim.output.charts.experiments import sweep_kpi_chart
from sim.output.numbers import format_value
from sim.output.report import dated
from sim.scenario.format import Scenario
from sim.scenario.levers import Lever, levers_for
from sim.scenario.problems import ScenarioError

KIND = "sweep"
SPEC = "explorer_sweep_spec"


def _nice(value: float) -> float:
    """Three significant digits, so a default range reads well and sits on its grid."""
    if value == 0 or not math.isfinite(value):
        return 0.0
    return float(f"{value:.3g}")


def _default_range(lever: Lever) -> tuple[float | int, float | int, float | int]:
    if lever.kind == "int":
        whole = int(lever.value)
        return max(whole - 2, 0), whole + 2, 1
    value = float(lever.value)
    step = _nice(abs(value) * 0.1) or 1.0
    return _nice(value - 2 * step), _nice(value + 2 * step), step


def _range_form(lever: Lever) -> None:
    low, high, step = _default_range(lever)
    number = {"step": 1, "format": "%d"} if lever.kind == "int" else {"format": "%g"}
    with st.form("sweep_form"):
        cols = st.columns(3)
        cols[0].number_input("From", value=low, key=f"sweep_from:{lever.path}", **number)
        cols[1].number_input("To", value=high, key=f"sweep_to:{lever.path}", **number)
        cols[2].number_input("Step", value=step, key=f"sweep_step:{lever.path}", **number)
        submitted = st.form_submit_button("Run sweep", type="primary")
    if submitted:
        state = st.session_state
        st.session_state[SPEC] = {"key": lever.path, "from": state[f"sweep_from:{lever.path}"],
                                  "to": state[f"sweep_to:{lever.path}"],
                                  "step": state[f"sweep_step:{lever.path}"], "run": True}


def _factor(spec: dict[str, object]) -> Factor | None:
    try:
        return Factor.model_validate({k: spec[k] for k in ("key", "from", "to", "step")})
    except ValidationError as exc:
        lines = [f"- {'.'.join(str(p) for p in e['loc']) or 'range'}: "
                 f"{str(e['msg']).removeprefix('Value error, ')}" for e in exc.errors()]
        st.error("\n".join(["**This range cannot be swept:**", *lines]))
        return None


def _overview(result: SweepResult, key: str, currency: str) -> pd.DataFrame:
    table = result.overview
    return pd.DataFrame({
        "point": table["point"], key: table[key],
        "total cost": [format_value(float(v), "currency", currency) for v in table["total_cost"]],
        "meets every target": ["yes" if bool(v) else "no" for v in table["meets_targets"]],
        "targets not met with confidence": table["targets_not_met"]})


def _results(result: SweepResult, scenario: Scenario, key: str) -> None:
    currency = scenario.currency
    created = today()
    best = result.cheapest_feasible
    if best is None:
        st.warning("No point meets every target with confidence; widen the range.")
    else:
        row = result.overview.set_index("point").to_dict("index")[best]
        cost = format_value(float(row["total_cost"]), "currency", currency)
        st.success(f"Cheapest point meeting every target: **{best}**, `{key}` = {row[key]}, "
                   f"total cost {cost}.")
    st.dataframe(_overview(result, key, currency), hide_index=True, width="stretch")
    options = list(dict.fromkeys(result.summary["kpi"]))
    kpis = st.multiselect("KPI curves", options, default=list(result.kpis), key="sweep_kpis")
    def curve(kpi: str) -> Callable[[], Figure]:
        return lambda: dated(sweep_kpi_chart(result.summary, [key], kpi,
                                             scenario.targets.get(kpi), best, result.name,
                                             currency=currency), created)

    def frontier() -> Figure:
        return dated(frontier_figure(result.summary, key, best, result.name, currency,
                                     target=scenario.targets.get("service_level")), created)

    charts = {kpi: curve(kpi) for kpi in kpis}
    charts["cost vs service level"] = frontier
    tabs = st.tabs(list(charts), key="sweep_tab", on_change="rerun")
    for tab, make in zip(tabs, charts.values(), strict=True):
        if tab.open is not False:
            with tab:
                st.image(png(make()), width="stretch")
    st.subheader("Downloads")
    for label, make in charts.items():
        stem = label.replace(" ", "_")
        figure_downloads(f"Chart: {label}", make, f"{result.name}_{stem}", f"sweep:{stem}")
    table_download("Summary per point and KPI (`sweep_summary.csv`)", result.summary,
                   f"{result.name}_summary", "sweep_summary")
    table_download("One row per point (`sweep_points.csv`)", result.overview,
                   f"{result.name}_points", "sweep_points")
    table_download("Every replication (`sweep.csv`)", result.table, f"{result.name}_table",
                   "sweep_table")


def render() -> None:
    """The Sweep page."""
    st.title(tr("Sweep"))
    scenario = session.edited_or_stop()
    session.scenario_caption(scenario)
    levers = [lv for lv in levers_for(scenario) if lv.kind != "text" and lv.group != "Run"]
    if not levers:
        st.info("This scenario has no levers to sweep.")
        return
    labels = {lv.path: f"{lv.group}: {lv.label}" for lv in levers}
    # Staffing first: the usual question is how many people the targets need.
    first = next((i for i, lv in enumerate(levers) if lv.group == "Call center"), 0)
    path = st.selectbox("Lever", list(labels), index=first, format_func=labels.__getitem__,
                        key="sweep_lever")
    lever = next(lv for lv in levers if lv.path == path)
    st.caption(f"`{lever.path}` is {lever.value} in the edited scenario. Every point runs "
               f"{scenario.replications} replications on seed {scenario.seed}.")
    _range_form(lever)
    spec = st.session_state.get(SPEC)
    if not spec or spec["key"] != lever.path:
        st.info("Choose a range and press **Run sweep**.")
        return
    factor = _factor(spec)
    if factor is None:
        return
    payload = (scenario.model_dump_json(), (factor.model_dump_json(by_alias=True),))
    run_key = scenario_digest("\n".join([payload[0], *payload[1]]))
    if not spec.pop("run", False) and run_key not in session.requested(KIND):
        st.info("Press **Run sweep** to run this range for the edited scenario.")
        return
    try:
        result = runner.run_sweep_cached(payload[0], payload[1], scenario.replications,
                                         scenario.seed, runner.executor_for(session.workers()))
    except ScenarioError as err:
        session.show_problems(err, "Some points of this range are not valid scenarios")
        return
    session.requested(KIND).add(run_key)
    _results(result, scenario, lever.path)
