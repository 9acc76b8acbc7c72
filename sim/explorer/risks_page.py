"""The Risks page: a risk register played on its base company, ranked, with the risk matrix and
the responses.

A register file of the scenarios folder (a YAML file with `base` and `risks`, such as the
shipped `risks.yaml`) is run by `sim.experiments.risks.run.run_register` behind the cache of
`sim.explorer.runner`; the table is `risk_register.csv`, the chart the risk matrix of
`sim.output.charts.management`, exactly as `aftersales-sim risks FILE` writes them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st
from matplotlib.figure import Figure

from sim.experiments.risks.register import load_register
from sim.explorer import runner, session
from sim.explorer.source import scenario_dir
from sim.explorer.widgets import figure_downloads, png, table_download, today
from sim.i18n.messages import tr
from sim.output.charts.management import risk_matrix
from sim.output.labels import kpi_label
from sim.output.report import dated
from sim.scenario.problems import ScenarioError

REGISTER_VIEW = ("rank", "risk", "category", "likelihood_per_year", "impact", "impact_ci_low",
                 "impact_ci_high", "expected_yearly_impact", "extra_cost", "lost_revenue",
                 "breach_cost", "breach_days", "shock")
# Headings of the tables (msgids, shown through `tr`); the CSV download keeps the file's names.
HEADINGS: dict[str, str] = {
    "rank": "Rank", "risk": "Risk", "category": "Category",
    "likelihood_per_year": "Likelihood a year", "impact": "Impact per occurrence",
    "impact_ci_low": "Impact, 95% CI low", "impact_ci_high": "Impact, 95% CI high",
    "expected_yearly_impact": "Expected yearly impact", "extra_cost": "Extra cost",
    "lost_revenue": "Lost revenue", "breach_cost": "Breach cost", "breach_days": "Breach days",
    "shock": "Shock", "response": "Response", "response_cost_per_year": "Response cost a year",
    "response_reduction": "Reduction of the impact",
    "response_reduction_ci_low": "Reduction, 95% CI low",
    "response_reduction_ci_high": "Reduction, 95% CI high",
    "response_gain_significant": "Reduction significant",
    "response_yearly_saving": "Yearly saving", "response_pays": "Pays for itself",
    "response_pays_surely": "Pays for itself with confidence",
    "target": "Target", "breach_days_ci_low": "Breach days, 95% CI low",
    "breach_days_ci_high": "Breach days, 95% CI high", "base_breach_days": "Base's breach days",
    "breach_days_with_response": "Breach days with the response",
    "breach_day_cost": "Cost of a breach day",
}
RESPONSE_VIEW = ("risk", "response", "response_cost_per_year", "response_reduction",
                 "response_reduction_ci_low", "response_reduction_ci_high",
                 "response_gain_significant", "response_yearly_saving", "response_pays",
                 "response_pays_surely")


def register_files(folder: Path) -> list[Path]:
    """The risk registers of a folder: top-level YAML files with `risks:` and `base:`."""
    out = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        lines = text.splitlines()
        if any(x.startswith("risks:") for x in lines) and any(x.startswith("base:")
                                                               for x in lines):
            out.append(path)
    return out


def _shown(table: pd.DataFrame, columns: tuple[str, ...] | None = None) -> pd.DataFrame:
    """``columns`` of ``table`` (all by default) under headings in the reader's language, risk
    categories and targets in words too."""
    out = table[list(columns or table.columns)].copy()
    if "category" in out.columns:
        out["category"] = out["category"].map(lambda c: tr(str(c)))
    if "target" in out.columns:
        out["target"] = out["target"].map(lambda k: kpi_label(str(k)))
    return out.rename(columns={c: tr(HEADINGS[c]) for c in out.columns if c in HEADINGS})


def render() -> None:
    """The Risks page."""
    st.title(tr("Risks"))
    st.markdown(tr("Each risk of the register is a stress shock played on its base company "
                   "with the same random numbers; its impact per occurrence is the extra cost, "
                   "the lost revenue and the breach-day costs against the base, and the "
                   "expected yearly impact is likelihood x impact. The same as `aftersales-sim "
                   "risks FILE`."))
    files = register_files(scenario_dir())
    if not files:
        st.info(tr("No risk register in {folder} (a YAML file with `base:` and `risks:`, such "
                   "as risks.yaml).", folder=scenario_dir()))
        return
    chosen = st.selectbox(tr("Register"), files, format_func=lambda p: p.name, key="risks:file")
    try:
        plan = load_register(chosen)
    except ScenarioError as err:
        session.show_problems(err, tr("The register cannot run"))
        return
    reps = st.number_input(tr("Replications per scenario"), min_value=2, max_value=200, step=1,
                           value=int(plan.replications or plan.base.replications),
                           key="risks:reps")
    scenarios = 1 + sum(3 if r.response_base is not None else 1 for r in plan.risks)
    st.caption(tr("{risks} risks on `{base}`: {scenarios} scenarios x {reps} replications.",
                  risks=len(plan.risks), base=plan.base.name, scenarios=scenarios, reps=reps))
    clicked = st.button(tr("Run the register"), type="primary", key="risks:run")
    if not clicked and st.session_state.get("risks:ran") != (str(chosen), reps):
        return
    st.session_state["risks:ran"] = (str(chosen), reps)
    result = runner.run_register_cached(str(chosen), int(reps), session.workers())
    table = result.table
    created = today()
    st.subheader(tr("Register, ranked by expected yearly impact"))
    st.dataframe(_shown(table, REGISTER_VIEW), hide_index=True, width="stretch")
    table_download("risk_register.csv", table, f"{plan.name}_risk_register", "risks:table")
    st.subheader(tr("Risk matrix"))

    def matrix() -> Figure:
        return dated(risk_matrix(table, plan.base.currency, plan.name), created)

    st.image(png(matrix()), width="stretch")
    figure_downloads(tr("Risk matrix"), matrix, f"{plan.name}_risk_matrix", "risks:matrix")
    responses = table[table["response"].astype(str) != ""]
    if not responses.empty:
        st.subheader(tr("Responses"))
        st.markdown(tr("A response's reduction is its paired effect on the impact (the shocked "
                       "and base runs both with it in place); it pays for itself when the "
                       "yearly saving (likelihood x reduction) exceeds its cost per year."))
        st.dataframe(_shown(responses, RESPONSE_VIEW), hide_index=True, width="stretch")
    st.subheader(tr("Extra breach days per target"))
    st.dataframe(_shown(result.breaches), hide_index=True, width="stretch")
