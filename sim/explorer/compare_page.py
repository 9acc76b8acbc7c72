"""The Compare page: the edited scenario against its file, on common random numbers.

Both run with the edited run settings (replications, seed, warm-up, horizon), so replication k of
each shares its random numbers and the differences are paired (`sim.experiments.compare`). The table
and chart are `sim.experiments.compare`'s table and
`sim.output.charts.experiments.compare_differences_chart`.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from matplotlib.figure import Figure

from sim.experiments.compare import CompareResult
from sim.experiments.store import scenario_digest
from sim.explorer import runner, session
from sim.explorer.widgets import choose_many, figure_downloads, png, table_download, today
from sim.i18n.messages import tr
from sim.output.charts.experiments import compare_differences_chart
from sim.output.labels import kpi_label
from sim.output.numbers import format_difference, format_value, kpi_unit
from sim.output.report import dated
from sim.scenario.format import Scenario
from sim.scenario.levers import scenario_diff

KIND = "compare"
SUFFIX = "-edited"


def _pair() -> tuple[Scenario, Scenario]:
    reference = session.reference_scenario()
    edited = session.edited_or_stop()
    if edited.name == reference.name:
        edited = session.edited_named(f"{reference.name[:64 - len(SUFFIX)]}{SUFFIX}")
    return reference, edited


def _crn(value: float) -> str:
    """Variance removed by common random numbers, with what a negative share means."""
    if pd.isna(value):
        return tr("n/a")
    if value < 0:
        return tr("{share} (pairing did not help here)", share=f"{value:.0%}")
    return f"{value:.0%}"


def _view(result: CompareResult, kpis: list[str]) -> pd.DataFrame:
    """The alternative's rows, readable: means of both, difference and its CI (in percentage
    points for shares), significance, and what pairing saved."""
    table = result.table
    ref, alt = result.labels[0], result.labels[1]
    base = table[table["scenario"] == ref].set_index("kpi")["mean"]
    currency = result.runs[0].scenario.currency
    rows = []
    for r in table[(table["scenario"] == alt) & table["kpi"].isin(kpis)].to_dict("records"):
        kpi, unit = str(r["kpi"]), kpi_unit(str(r["kpi"]))
        low, high = (format_difference(float(r[c]), unit, currency)
                     for c in ("diff_ci_low", "diff_ci_high"))
        rows.append({
            tr("KPI"): kpi_label(kpi),
            ref: format_value(float(base.get(kpi, float("nan"))), unit, currency),
            alt: format_value(float(r["mean"]), unit, currency),
            tr("Difference"): format_difference(float(r["diff"]), unit, currency),
            tr("95% CI of the difference"): tr("{low} to {high}", low=low, high=high),
            tr("Significant"): tr("yes") if bool(r["significant"]) else tr("no"),
            tr("Variance removed by CRN"): _crn(float(r["variance_reduction"]))})
    return pd.DataFrame(rows)


def render() -> None:
    """The Compare page."""
    st.title(tr("Compare"))
    reference, edited = _pair()
    session.scenario_caption(edited)
    src = session.source()
    st.markdown(tr("**{reference}** is `{file}` as it is (with the edited run settings); "
                   "**{edited}** is the edited scenario. Both run on the same seeds, so each "
                   "replication of one is paired with the same replication of the other.",
                   reference=reference.name, file=src.label, edited=edited.name))
    if set(scenario_diff(reference, edited)["key_path"]) <= {"name"}:
        st.info(tr("The edited scenario equals the file: edit a lever on the Scenario page to "
                   "see differences."))
    payload = (reference.model_dump_json(), edited.model_dump_json())
    key = scenario_digest("\n".join(payload))
    start = st.button(tr("Compare"), type="primary", key="compare_button")
    if not start and key not in session.requested(KIND):
        st.info(tr("Press **Compare** to run both scenarios."))
        return
    result = runner.run_compare(payload, edited.replications, edited.seed,
                                runner.executor_for(session.workers()))
    session.requested(KIND).add(key)
    options = list(dict.fromkeys(result.table["kpi"]))
    kpis = choose_many(tr("KPIs"), options, result.targeted_kpis, "compare_kpis", kpi_label)
    if not kpis:
        st.warning(tr("Choose at least one KPI."))
        return
    st.dataframe(_view(result, kpis), hide_index=True, width="stretch")
    currency = edited.currency

    def chart() -> Figure:
        return dated(compare_differences_chart(result.table, kpis, currency=currency), today())

    st.image(png(chart()), width="stretch")
    st.caption(tr("Filled marker: the 95% paired interval excludes 0 (a real difference); "
                  "hollow: the difference may be noise. Differences of shares are in "
                  "percentage points (pp: 80% to 82% is +2 pp). Variance removed by CRN "
                  "compares the paired difference with independent runs: 50% means pairing "
                  "halved the variance; a negative share means pairing did not help for that "
                  "KPI (the two scenarios react differently to the same random numbers), and "
                  "its interval is as wide as it says."))
    st.subheader(tr("Downloads"))
    stem = f"{reference.name}_vs_{edited.name}"
    figure_downloads(tr("Differences chart"), chart, f"{stem}_differences", "compare_chart")
    table_download(tr("Comparison table (`compare.csv`)"), result.table, f"{stem}_compare",
                   "compare_table")
    table_download(tr("Every replication of both"), result.replications_table(),
                   f"{stem}_replications", "compare_reps")
