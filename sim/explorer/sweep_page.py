"""The Sweep page: one lever over a range, KPI curves, the cheapest point meeting every target.

The lever becomes a `sim.experiments.design.Factor` (its key is the lever's dotted path, as for
`--vary`), `sim.experiments.sweep.run_sweep` runs every point on the same seeds and judges the
targets; the curves are `sim.output.charts.experiments.sweep_kpi_chart`, the frontier
`sim.explorer.figures.frontier_figure`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import streamlit as st
from matplotlib.figure import Figure
from pydantic import ValidationError

from sim.experiments.design import Factor
from sim.experiments.store import scenario_digest
from sim.experiments.sweep import SweepResult, moved_most
from sim.explorer import runner, session
from sim.explorer.figures import frontier_figure
from sim.explorer.widgets import (
    choose_many,
    choose_one,
    figure_downloads,
    png,
    table_download,
    today,
)
from sim.i18n.messages import tr
from sim.output.charts.experiments import sweep_kpi_chart
from sim.output.labels import kpi_label
from sim.output.numbers import kpi_unit
from sim.output.report import dated
from sim.output.sweep_view import overview_rows, sweep_advice
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
    assert not isinstance(lever.value, tuple), "a sweep varies numbers"
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
        cols[0].number_input(tr("From"), value=low, key=f"sweep_from:{lever.path}", **number)
        cols[1].number_input(tr("To"), value=high, key=f"sweep_to:{lever.path}", **number)
        cols[2].number_input(tr("Step"), value=step, key=f"sweep_step:{lever.path}", **number)
        submitted = st.form_submit_button(tr("Run sweep"), type="primary")
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
        st.error("\n".join([f"**{tr('This range cannot be swept:')}**", *lines]))
        return None


def _results(result: SweepResult, scenario: Scenario, key: str, lever: str) -> None:
    currency = scenario.currency
    created = today()
    best = result.cheapest_feasible
    found, advice = sweep_advice(result, {key: lever}, currency)
    (st.success if found else st.warning)(advice)
    st.dataframe(overview_rows(result, {key: lever}, currency), hide_index=True,
                 width="stretch")
    options = list(dict.fromkeys(result.summary["kpi"]))
    kpis = choose_many(tr("KPI curves"), options, list(result.kpis), "sweep_kpis", kpi_label)
    def curve(kpi: str) -> Callable[[], Figure]:
        return lambda: dated(sweep_kpi_chart(result.summary, [key], kpi,
                                             scenario.targets.get(kpi), best, result.name,
                                             currency=currency, factor_labels={key: lever}),
                             created)

    # Cost against the targeted share the lever moves most: a technicians' sweep against the
    # call center's service level would show a flat cloud that no technician moves.
    services = [k for k in scenario.targets if kpi_unit(k) == "share"] or ["service_level"]
    x_kpi = choose_one(tr("Cost against"), services,
                       services.index(moved_most(result, services) or services[0]),
                       f"sweep_frontier:{key}", kpi_label)

    def frontier() -> Figure:
        return dated(frontier_figure(result.summary, key, best, result.name, currency,
                                     x_kpi=x_kpi, target=scenario.targets.get(x_kpi),
                                     factor_label=lever), created)

    # Stems (KPI names) name the files; titles (labels) name the tabs and the download rows.
    charts = {kpi: curve(kpi) for kpi in kpis}
    charts[f"cost_vs_{x_kpi}"] = frontier
    titles = {stem: kpi_label(stem) for stem in kpis}
    titles[f"cost_vs_{x_kpi}"] = tr("Total cost against {name}", name=kpi_label(x_kpi).lower())
    tabs = st.tabs([titles[stem] for stem in charts], key="sweep_tab", on_change="rerun")
    for tab, make in zip(tabs, charts.values(), strict=True):
        if tab.open is not False:
            with tab:
                st.image(png(make()), width="stretch")
    st.subheader(tr("Downloads"))
    for stem, make in charts.items():
        figure_downloads(tr("Chart: {title}", title=titles[stem]), make,
                         f"{result.name}_{stem}", f"sweep:{stem}")
    table_download(tr("Summary per point and KPI (`sweep_summary.csv`)"), result.summary,
                   f"{result.name}_summary", "sweep_summary")
    table_download(tr("One row per point (`sweep_points.csv`)"), result.overview,
                   f"{result.name}_points", "sweep_points")
    table_download(tr("Every replication (`sweep.csv`)"), result.table, f"{result.name}_table",
                   "sweep_table")


def render() -> None:
    """The Sweep page."""
    st.title(tr("Sweep"))
    scenario = session.edited_or_stop()
    session.scenario_caption(scenario)
    levers = [lv for lv in levers_for(scenario)
              if lv.kind in ("int", "float") and lv.group != "Run"]
    if not levers:
        st.info(tr("This scenario has no levers to sweep."))
        return
    labels = {lv.path: f"{tr(lv.group)}: {lv.label}" for lv in levers}
    # Staffing first: the usual question is how many people the targets need.
    first = next((i for i, lv in enumerate(levers) if lv.group == "Call center"), 0)
    path = choose_one(tr("Lever"), list(labels), first, "sweep_lever", labels.__getitem__)
    lever = next(lv for lv in levers if lv.path == path)
    st.caption(tr("{lever} is {value} in the edited scenario (`{path}`). Every point runs "
                  "{reps} replications on seed {seed}.", lever=labels[lever.path],
                  value=lever.value, path=lever.path, reps=scenario.replications,
                  seed=scenario.seed))
    _range_form(lever)
    spec = st.session_state.get(SPEC)
    if not spec or spec["key"] != lever.path:
        st.info(tr("Choose a range and press **Run sweep**."))
        return
    factor = _factor(spec)
    if factor is None:
        return
    payload = (scenario.model_dump_json(), (factor.model_dump_json(by_alias=True),))
    run_key = scenario_digest("\n".join([payload[0], *payload[1]]))
    if not spec.pop("run", False) and run_key not in session.requested(KIND):
        st.info(tr("Press **Run sweep** to run this range for the edited scenario."))
        return
    try:
        result = runner.run_sweep_cached(payload[0], payload[1], scenario.replications,
                                         scenario.seed, runner.executor_for(session.workers()))
    except ScenarioError as err:
        session.show_problems(err, tr("Some points of this range are not valid scenarios"))
        return
    session.requested(KIND).add(run_key)
    _results(result, scenario, lever.path, labels[lever.path])
