"""The Results page: run the edited scenario, then KPI cards, charts and the theory panel.

A run is `sim.experiments.replicate.replicate` behind the cache of `sim.explorer.runner`: the same
scenario, seed and replication count answer from the cache. Cards, the bottleneck panel and the
KPI table judge the whole horizon or any window of its days (`sim.explorer.judge_panel`); the
charts are the results folder's charts (`sim.output.export.run_figures`: the late-drivers chart
with a line naming the lever it points to) and the theory panel
(`sim.output.theory_panel`).
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from sim.experiments.replicate import RunResult
from sim.explorer import session
from sim.explorer.judge_panel import judged_section
from sim.explorer.widgets import percent, today
from sim.i18n.messages import Language, current_language, speaking, tr
from sim.output.report import chart_bytes, chart_stems
from sim.output.theory_panel import erlang_c_by_hour_of_week, simulated_daily_mean


def tabs_by_label() -> dict[str, str]:
    """The chart tabs, label (in the reader's language) -> chart stem, in the order shown."""
    return {tr("Service level per day"): "service_level_per_day",
            tr("Backlog"): "backlog_per_day", tr("Why repairs are late"): "late_drivers",
            tr("Stock per SKU"): "stock_per_sku",
            tr("Appraisal by month"): "appraisal_by_month",
            tr("Budget by month"): "budget_by_month", tr("Cost per month"): "cost_per_department",
            tr("Theory: Erlang C"): "service_level_by_hour_of_week",
            tr("Calls and staffing"): "offered_vs_staffed", tr("Waits"): "wait_distribution",
            tr("Turnaround"): "turnaround_distribution"}


@st.cache_data(max_entries=64, show_spinner=False)
def chart_png(run_key: str, stem: str, created: date, language: Language,
              _result: RunResult) -> bytes:
    """One chart of a run as PNG, cached on the run's key, the chart, the date and the language
    (drawn in it: the cache runs this in the caller's thread, but a cached chart keeps the
    language it was drawn in)."""
    with speaking(language):
        return chart_bytes(_result, stem, "png", created)


def run_button(label: str | None = None) -> bool:
    """The run button every result page shares (``Run`` in the reader's language)."""
    return st.button(tr("Run") if label is None else label, type="primary", key="run_button",
                     help=tr("Runs the edited scenario; a run already made answers from the "
                             "cache"))


def _charts(result: RunResult, key: str, created: date) -> None:
    available = chart_stems(result.scenario)
    tabs = {label: stem for label, stem in tabs_by_label().items() if stem in available}
    containers = st.tabs(list(tabs), key="results_tab", on_change="rerun")
    for container, stem in zip(containers, tabs.values(), strict=True):
        if container.open is False:
            continue
        with container:
            st.image(chart_png(key, stem, created, current_language(), result),
                     width="stretch")
            if stem == "budget_by_month":
                st.caption(tr("Revenue, cost and expense budgets by calendar month (mean and "
                              "95% CI over replications; `month` = total for the whole "
                              "horizon): budget.csv of the results folder."))
                st.dataframe(result.budget, hide_index=True, width="stretch")
            if stem == "appraisal_by_month":
                st.caption(tr("Each targeted KPI per calendar month and quarter: mean, 95% CI "
                              "and the share of replications in which the period met its "
                              "target (appraisal.csv)."))
                st.dataframe(result.appraisal, hide_index=True, width="stretch")
            if stem == "service_level_by_hour_of_week":
                _theory_note(result)
            if stem == "late_drivers":
                _late_note(result)


def _late_note(result: RunResult) -> None:
    drivers = result.late_drivers
    late = drivers.groupby("rep")["late_jobs"].first()
    if late.sum() == 0:
        st.markdown(tr("No repair was late in any replication."))
        return
    weights = drivers["late_jobs"].to_numpy(float)
    shares = (drivers.assign(weighted=drivers["hours"] * weights).groupby("cause", sort=False)
              ["weighted"].sum())
    shares = shares / shares.sum()
    top = str(shares.idxmax())
    lever = {"dispatch": tr("more technicians (or shifts where the queue builds)"),
             "parts": tr("stock (reorder points, lead times)"),
             "rework": tr("quality (fix and quality probabilities, training, spot checks)"),
             "booking": tr("the booking rules (lead time, slots and their capacity)"),
             "travel": tr("routing and territories"), "depot": tr("depot transit"),
             "work": tr("hands-on time (training, tools)")}.get(top, top)
    st.markdown(tr(
        "On average **{late}** work orders a replication were late (finished after the promise "
        "or open at the run-out's cap). Most of their time went to **{cause}** ({share}): the "
        "lever is {lever}.", late=f"{late.mean():,.0f}", cause=tr(top),
        share=percent(float(shares[top])), lever=lever))
    with st.expander(tr("Hours per late work order by cause and replication "
                        "(late_drivers.csv)")):
        st.dataframe(drivers, hide_index=True, width="stretch")


def _theory_note(result: RunResult) -> None:
    theory = erlang_c_by_hour_of_week(result.scenario)
    open_hours = theory[theory["offered_calls_per_hour"] > 0]
    weights = open_hours["offered_calls_per_hour"]
    weighted = float((open_hours["erlang_c_service_level"] * weights).sum() / weights.sum()) \
        if len(open_hours) else float("nan")
    simulated = simulated_daily_mean(result)
    st.markdown(tr(
        "Erlang C for the staffed agents, weighted by calls: **{theory}**; simulated mean daily "
        "service level: **{simulated}**. Erlang C treats each hour as its own steady state and "
        "leaves out abandonment, busy signals, escalation holds, follow-up calls and demand "
        "events; a gap between the lines shows how much those matter.",
        theory=percent(weighted), simulated=percent(simulated.mean)))
    with st.expander(tr("Erlang C per hour of the week (table)")):
        st.dataframe(theory, hide_index=True, width="stretch")


def render() -> None:
    """The Results page."""
    st.title(tr("Results"))
    scenario = session.edited_or_stop()
    session.scenario_caption(scenario)
    start = run_button()
    result = session.scenario_run(scenario, start)
    if result is None:
        st.info(tr("Press **Run** to simulate the edited scenario."))
        return
    key = session.run_key(scenario)
    created = today()
    judged_section(result, key, created)
    st.subheader(tr("Charts"))
    _charts(result, key, created)
