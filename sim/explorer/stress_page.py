"""The Stress page: shocks in a window, daily trajectories against the baseline, recovery.

Each chosen shock is a `sim.experiments.stress.plan` shock model (validated there), applied alone to
the edited scenario by `sim.experiments.stress.plan.run_stress` on the baseline's seeds. The tables
are its summary (which targets break, when, how badly, days to recover) and ranking; the charts its
`stress_figures`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import streamlit as st
from matplotlib.figure import Figure
from pydantic import ValidationError

from sim.experiments.store import scenario_digest
from sim.experiments.stress.plan import StressResult
from sim.experiments.stress.shocks import SHOCK_ADAPTER, AnyShock, crews_of
from sim.explorer import runner, session
from sim.explorer.widgets import figure_downloads, png, table_download, today
from sim.i18n.messages import tr
from sim.output.experiments import stress_figures
from sim.output.labels import column_label, kpi_label, shock_label
from sim.output.report import dated
from sim.output.stress_view import already_missed_notes, damage_note, ranking_rows, summary_rows
from sim.scenario.format import Scenario
from sim.scenario.problems import ScenarioError

KIND = "stress"
SPEC = "explorer_stress_spec"
# type -> (parameter, its label, default, step); the models hold the real defaults, the type's
# name is `sim.output.labels.shock_label`. The labels are msgids, shown through `tr`.
SHOCKS: dict[str, tuple[str, str, float, float]] = {
    "demand_surge": ("multiplier", "contacts x", 2.0, 0.1),
    "defect_wave": ("repair_multiplier", "repair calls x", 1.5, 0.1),
    "supplier_delay": ("lead_time_multiplier", "lead times x", 2.0, 0.1),
    "absence": ("share", "share of crews off", 0.2, 0.05),
    "system_outage": ("hours", "hours down", 4.0, 1.0),
    "skill_gap": ("share", "share of repairs by trainees", 0.3, 0.05),
}


def _available(scenario: Scenario) -> list[str]:
    out = ["demand_surge"]
    if scenario.field_service is not None and scenario.demand.share("repair") > 0:
        out.append("defect_wave")
    if scenario.parts is not None:
        out.append("supplier_delay")
    if {"agents", "technicians"} & set(crews_of(scenario)):
        out.append("absence")
    out.append("system_outage")
    if scenario.field_service is not None:
        out.append("skill_gap")
    return out


def _form(scenario: Scenario) -> None:
    middle = float(math.floor(scenario.warmup_days + scenario.horizon_days / 2))
    with st.form("stress_form"):
        cols = st.columns(2)
        cols[0].number_input(tr("Window starts on day"), value=middle, step=1.0, format="%g",
                             key="stress:start",
                             help=tr("Counted from day 0, the start of the warm-up; default "
                                        "the middle of the run"))
        cols[1].number_input(tr("Window length (days)"),
                             value=float(min(7.0, scenario.horizon_days)), step=1.0,
                             format="%g", key="stress:days",
                             help=tr("The outage lasts its hours instead"))
        kinds = _available(scenario)
        for col, kind in zip(st.columns(len(kinds)), kinds, strict=True):
            _, param_label, default, step = SHOCKS[kind]
            with col:
                st.checkbox(shock_label(kind), value=kind == "demand_surge",
                            key=f"stress:on:{kind}")
                st.number_input(tr(param_label), value=default, step=step, format="%g",
                                key=f"stress:{kind}")
        submitted = st.form_submit_button(tr("Run stress test"), type="primary")
    if submitted:
        state = st.session_state
        chosen = [k for k in _available(scenario) if state.get(f"stress:on:{k}")]
        state[SPEC] = {"start": state["stress:start"], "days": state["stress:days"],
                       "shocks": {k: state[f"stress:{k}"] for k in chosen}, "run": True}


def _shocks(spec: dict[str, Any]) -> list[AnyShock] | None:
    shocks, lines = [], []
    for kind, value in spec["shocks"].items():
        param = SHOCKS[kind][0]
        data: dict[str, Any] = {"name": kind, "type": kind, "start_day": spec["start"],
                                param: value}
        if kind != "system_outage":
            data["days"] = spec["days"]
        try:
            shocks.append(SHOCK_ADAPTER.validate_python(data))
        except ValidationError as exc:
            lines += [f"- {kind}.{'.'.join(str(p) for p in e['loc'][1:]) or param}: "
                      f"{str(e['msg']).removeprefix('Value error, ')}" for e in exc.errors()]
    if lines:
        st.error("\n".join([f"**{tr('These shocks are not valid:')}**", *lines]))
        return None
    if not shocks:
        st.warning(tr("Choose at least one shock."))
        return None
    return shocks


def _figures(result: StressResult) -> dict[str, Figure]:
    created = today()
    return {stem: dated(fig, created) for stem, fig in stress_figures(result).items()}


def _figure(result: StressResult, stem: str) -> Callable[[], Figure]:
    return lambda: _figures(result)[stem]


def _tab_title(stem: str) -> str:
    series = stem.removeprefix("stress_")
    return tr("Damage per shock") if series == "damage" else column_label(series)


def _results(result: StressResult) -> None:
    ranking = result.ranking
    currency = result.base.currency
    st.subheader(tr("Which targets break first"))
    if ranking.empty or not bool(result.summary["breaks"].any()):
        st.success(tr("No target breaks under these shocks (against the baseline, same "
                         "seeds)."))
    else:
        first = result.summary.dropna(subset=["first_break_day"]).sort_values(
            "first_break_day", kind="stable")
        if len(first):
            row = first.iloc[0]
            st.markdown(tr("First break: **{name}** under **{shock}** on day {day}.",
                              name=kpi_label(str(row["target"])), shock=row["shock"],
                              day=row["first_break_day"]))
    for note in already_missed_notes(result.summary, currency):
        st.warning(note)
    st.dataframe(ranking_rows(ranking, currency), hide_index=True, width="stretch")
    st.caption(damage_note())
    st.markdown(tr("Per shock and target: the first day it breaks, the worst day, and the "
                      "days it takes after the window to recover (–: it does not recover within "
                      "the run)."))
    st.dataframe(summary_rows(result.summary, currency), hide_index=True, width="stretch")
    st.subheader(tr("Daily trajectories against the baseline"))
    figures = _figures(result)
    tabs = st.tabs([_tab_title(stem) for stem in figures], key="stress_tab", on_change="rerun")
    for tab, fig in zip(tabs, figures.values(), strict=True):
        if tab.open is not False:
            with tab:
                st.image(png(fig), width="stretch")
    st.subheader(tr("Downloads"))
    for stem in figures:
        figure_downloads(tr("Chart: {title}", title=_tab_title(stem)),
                         _figure(result, stem), f"{result.base.name}_{stem}", f"stress:{stem}")
    table_download(tr("Summary (`stress_summary.csv`)"), result.summary,
                   f"{result.base.name}_stress_summary", "stress_summary")
    table_download(tr("Ranking (`stress_ranking.csv`)"), ranking,
                   f"{result.base.name}_stress_ranking", "stress_ranking")
    table_download(tr("Daily rows of every run (`daily.csv`)"), result.daily,
                   f"{result.base.name}_stress_daily", "stress_daily")


def render() -> None:
    """The Stress page."""
    st.title(tr("Stress"))
    scenario = session.edited_or_stop()
    session.scenario_caption(scenario)
    st.caption(tr("Each shock is applied alone to the edited scenario and run on the same "
                     "seeds as the unshocked baseline; a target breaks on a day when the shocked "
                     "mean is on the wrong side while the baseline's is not."))
    _form(scenario)
    spec = st.session_state.get(SPEC)
    if not spec:
        st.info(tr("Choose shocks and press **Run stress test**."))
        return
    shocks = _shocks(spec)
    if shocks is None:
        return
    shocks_json = tuple(s.model_dump_json() for s in shocks)
    key = scenario_digest("\n".join([scenario.model_dump_json(), *shocks_json]))
    if not spec.pop("run", False) and key not in session.requested(KIND):
        st.info(tr("Press **Run stress test** to run these shocks on the edited scenario."))
        return
    try:
        result = runner.run_stress_cached(scenario.model_dump_json(), shocks_json,
                                          scenario.replications, scenario.seed,
                                          runner.executor_for(session.workers()))
    except ScenarioError as err:
        session.show_problems(err, tr("These shocks do not fit the scenario"))
        return
    session.requested(KIND).add(key)
    _results(result)
