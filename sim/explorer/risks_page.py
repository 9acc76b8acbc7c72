"""The Risks page: a risk register played on its base company, ranked, with the risk matrix and
the responses.

A register file of the scenarios folder (a YAML file with `base` and `risks`, such as the
shipped `risks.yaml`) is run by `sim.experiments.risks.run.run_register` behind the cache of
`sim.explorer.runner`; the table is `risk_register.csv`, the chart the risk matrix of
`sim.output.charts.management`, exactly as `aftersales-sim risks FILE` writes them.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from matplotlib.figure import Figure

from sim.experiments.risks.register import load_register
from sim.explorer import runner, session
from sim.explorer.source import scenario_dir
from sim.explorer.widgets import figure_downloads, png, table_download, today
from sim.i18n.messages import tr
from sim.output.charts.management import risk_matrix
from sim.output.report import dated
from sim.scenario.problems import ScenarioError

REGISTER_VIEW = ("rank", "risk", "category", "likelihood_per_year", "impact", "impact_ci_low",
                 "impact_ci_high", "expected_yearly_impact", "extra_cost", "lost_revenue",
                 "breach_cost", "breach_days", "shock")
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


def render() -> None:
    """The Risks page."""
    st.title(tr("Risks"))
    st.markdown("Each risk of the register is a stress shock played on its base company with "
                "the same random numbers; its impact per occurrence is the extra cost, the lost "
                "revenue and the breach-day costs against the base, and the expected yearly "
                "impact is likelihood x impact. The same as `aftersales-sim risks FILE`.")
    files = register_files(scenario_dir())
    if not files:
        st.info(f"No risk register in {scenario_dir()} (a YAML file with `base:` and "
                "`risks:`, such as risks.yaml).")
        return
    chosen = st.selectbox("Register", files, format_func=lambda p: p.name, key="risks:file")
    try:
        plan = load_register(chosen)
    except ScenarioError as err:
        session.show_problems(err, "The register cannot run")
        return
    reps = st.number_input("Replications per scenario", min_value=2, max_value=200, step=1,
                           value=int(plan.replications or plan.base.replications),
                           key="risks:reps")
    scenarios = 1 + sum(3 if r.response_base is not None else 1 for r in plan.risks)
    st.caption(f"{len(plan.risks)} risks on `{plan.base.name}`: {scenarios} scenarios x "
               f"{reps} replications.")
    clicked = st.button("Run the register", type="primary", key="risks:run")
    if not clicked and st.session_state.get("risks:ran") != (str(chosen), reps):
        return
    st.session_state["risks:ran"] = (str(chosen), reps)
    result = runner.run_register_cached(str(chosen), int(reps), session.workers())
    table = result.table
    created = today()
    st.subheader("Register, ranked by expected yearly impact")
    st.dataframe(table[list(REGISTER_VIEW)], hide_index=True, width="stretch")
    table_download("risk_register.csv", table, f"{plan.name}_risk_register", "risks:table")
    st.subheader("Risk matrix")

    def matrix() -> Figure:
        return dated(risk_matrix(table, plan.base.currency, plan.name), created)

    st.image(png(matrix()), width="stretch")
    figure_downloads("Risk matrix", matrix, f"{plan.name}_risk_matrix", "risks:matrix")
    responses = table[table["response"].astype(str) != ""]
    if not responses.empty:
        st.subheader("Responses")
        st.markdown("A response's reduction is its paired effect on the impact (the shocked "
                    "and base runs both with it in place); it pays for itself when the yearly "
                    "saving (likelihood x reduction) exceeds its cost per year.")
        st.dataframe(responses[list(RESPONSE_VIEW)], hide_index=True, width="stretch")
    st.subheader("Extra breach days per target")
    st.dataframe(result.breaches, hide_index=True, width="stretch")
