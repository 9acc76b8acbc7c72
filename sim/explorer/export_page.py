"""The Export page: every chart as PNG, SVG and PDF, the tables as CSV, the budget pack and the
event logs.

Every button builds its file when clicked (`st.download_button(data=callable)`) with the plain
builders of `sim.output.report`, so the bytes are those a test or a script gets for the same run and
date. The budget pack is a zip of the PDF report, the CSV tables and the scenario file. The event
logs are built on a button of their own (they run the replications again) and held on the
server's shelf (`sim.explorer.log_shelf`), one zip per session within one budget for all.

Files are named after a name field: the scenario's name, or ``<name>-edited`` when the session
edited it (as on the Compare page), so a pack of an edited plan is never taken for its file's.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import date

import streamlit as st

from sim.experiments.replicate import RunResult
from sim.explorer import runner, session
from sim.explorer.results_page import run_button
from sim.explorer.widgets import MIME, download_row, spoken_now, table_download, today
from sim.i18n.messages import tr
from sim.output.charts.style import ImageFormat
from sim.output.event_files import ZIP_LIMIT_BYTES, csv_bytes_estimate
from sim.output.export import run_files
from sim.output.report import budget_pack, chart_bytes, chart_stems, report_pdf, result_tables
from sim.output.saved import SavedRun, saved_run_from_files
from sim.scenario.format import Scenario
from sim.scenario.loader import scenario_to_yaml

FORMATS: tuple[ImageFormat, ...] = ("png", "svg", "pdf")
EDITED_SUFFIX = "-edited"
NAME_KEY = "export_name"
EVENT_LOGS_KEY = "event_logs"  # session state: the run key of the last logs this session built
# Characters a file name keeps on every system; anything else becomes "_".
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# Labels of the download rows: msgids, shown through `tr`.
CHART_LABELS = {"service_level_per_day": "Service level per day",
                "backlog_per_day": "Field-service backlog per day",
                "stock_per_sku": "Stock on hand per SKU",
                "late_drivers": "Why repairs are late",
                "cost_per_department": "Monthly cost per department",
                "budget_by_month": "Revenue, cost and expense budgets by month",
                "appraisal_by_month": "KPI appraisal by calendar month (heat map)",
                "service_level_by_hour_of_week": "Service level per hour of the week (Erlang C)",
                "offered_vs_staffed": "Offered calls vs staffed agents",
                "wait_distribution": "Waiting time of answered calls",
                "turnaround_distribution": "Repair turnaround time"}
TABLE_LABELS = {"kpis": "KPIs with 95% CI and targets",
                "budget": "Revenue, cost and expense budgets by calendar month",
                "appraisal": "KPI appraisal by calendar month and quarter",
                "replications": "One row per replication", "daily": "Daily series",
                "hourly": "Hour-of-week profile", "wait_histogram": "Wait histogram",
                "turnaround_histogram": "Turnaround histogram",
                "late_drivers": "Hours per late work order by cause and replication",
                "theory_by_hour_of_week": "Erlang C per hour of the week"}


def _chart_builder(result: RunResult, stem: str, fmt: ImageFormat, created: date
                   ) -> Callable[[], bytes]:
    return lambda: chart_bytes(result, stem, fmt, created)


def saved_view(result: RunResult) -> SavedRun:
    """The run as its results folder would hold it: what `aftersales-sim pack` reads, so the
    pack built here is the one the command builds from the folder, byte for byte."""
    return saved_run_from_files(run_files(result))


def file_stem(text: str, fallback: str) -> str:
    """``text`` as the start of a file name (letters, digits, ``.``, ``_``, ``-``), or
    ``fallback`` when nothing of it is left."""
    stem = _UNSAFE.sub("_", text.strip()).strip("._")
    return stem[:80] or fallback


def default_name(scenario: Scenario, edited: bool) -> str:
    """The files' name: the scenario's, marked ``-edited`` when the session changed it."""
    return f"{scenario.name}{EDITED_SUFFIX}" if edited else scenario.name


def _name_field(scenario: Scenario) -> str:
    edits = session.current_overrides()
    default = default_name(scenario, bool(edits))
    # One field per scenario content: an edit resets the name to the new default.
    key = f"{NAME_KEY}:{session.run_key(scenario)}"
    text = st.text_input(tr("Name of the files"), value=default, key=key, max_chars=80,
                         help=tr("The start of every file name on this page"))
    stem = file_stem(text, default)
    if edits:
        st.caption(tr("This is `{name}` with {n} edit(s); the files are named `{stem}_...`.",
                      name=scenario.name, n=len(edits), stem=stem))
    return stem


def _pack(result: RunResult, created: date, name: str) -> None:
    # The report's first page lists what the edits change against the file.
    base = session.file_scenario() if session.current_overrides() else None
    st.subheader(tr("Budget pack"))
    st.markdown(tr("A zip with the PDF report (first page: does the plan meet its targets, what "
                   "it costs and what the edits change; then every KPI with its 95% CI and "
                   "target, the charts, the revenue, cost and expense budgets by calendar "
                   "month, the monthly and quarterly appraisal, the assumptions), every table "
                   "as CSV, the charts and the scenario file that reproduces the numbers with "
                   "`aftersales-sim run scenario.yaml`; `aftersales-sim pack RESULTS_DIR` "
                   "writes the same zip from a results folder."))
    left, right = st.columns(2)
    with left:
        st.download_button(tr("Download the budget pack (zip)"),
                           data=spoken_now(lambda: budget_pack(saved_view(result), created,
                                                               base)),
                           file_name=f"{name}_budget_pack.zip", mime=MIME["zip"],
                           on_click="ignore", type="primary", key="download_pack")
    with right:
        st.download_button(tr("Report only (PDF)"),
                           data=spoken_now(lambda: report_pdf(saved_view(result), created,
                                                              base=base)),
                           file_name=f"{name}_report.pdf", mime=MIME["pdf"], on_click="ignore",
                           key="download_report")


def _event_logs(scenario: Scenario, name: str, created: date) -> None:
    st.subheader(tr("Event logs"))
    size = csv_bytes_estimate(scenario)
    mib = size / 2**20
    if size > ZIP_LIMIT_BYTES:
        st.info(tr("The event logs of this run would be about {mib:,.0f} MiB of CSV, more than "
                   "the {limit:,.0f} MiB this page builds in memory: write them to a results "
                   "folder with `aftersales-sim run SCENARIO --events`.",
                   mib=mib, limit=ZIP_LIMIT_BYTES / 2**20))
        return
    st.markdown(tr("Every call, complaint, work order, visit, follow-up and part movement of "
                   "each replication, one row each: the files `aftersales-sim run --events` "
                   "writes and `aftersales-sim fit` reads, zipped with the scenario file. They "
                   "are built by running the {reps} replications again with seed {seed}, so "
                   "they are the run these pages show (about {mib:,.0f} MiB of CSV before "
                   "zipping).", reps=scenario.replications, seed=scenario.seed, mib=mib))
    key = session.run_key(scenario)
    owner = session.token()
    shelf = runner.log_shelf()
    if st.button(tr("Build the event logs"), key="build_event_logs"):
        with shelf.building() as mine:
            if mine:
                shelf.put(owner, key, runner.event_logs(
                    scenario, runner.executor_for(session.workers()), created))
                st.session_state[EVENT_LOGS_KEY] = key
            else:
                st.warning(tr("Another session of this explorer is building its event logs "
                              "now; they are built one at a time, so that the server's memory "
                              "stays bounded. Try again in a moment."))
    if shelf.get(owner, key) is not None:
        st.download_button(tr("Download the event logs (zip)"),
                           data=functools.partial(shelf.download, owner, key),
                           file_name=f"{name}_event_logs.zip", mime=MIME["zip"],
                           on_click="ignore", key="download_event_logs")
    elif st.session_state.get(EVENT_LOGS_KEY) == key:
        st.info(tr("The event logs built for this run were let go to make room for those of "
                   "other sessions (the server holds {limit:,.0f} MiB of them in all): build "
                   "them again.", limit=ZIP_LIMIT_BYTES / 2**20))


def render() -> None:
    """The Export page."""
    st.title(tr("Export"))
    scenario = session.edited_or_stop()
    session.scenario_caption(scenario)
    result = session.scenario_run(scenario, start=False)
    if result is None:
        st.info(tr("Nothing to export yet: run the edited scenario (here or on the Results "
                   "page)."))
        if not run_button():
            return
        result = session.scenario_run(scenario, start=True)
        if result is None:
            return
    created = today()
    name = _name_field(scenario)
    _pack(result, created, name)
    st.subheader(tr("Charts"))
    st.caption(tr("Each chart names the scenario and is dated {date}; files are built when you "
                  "click.", date=created.isoformat()))
    for stem in chart_stems(scenario):
        download_row(tr(CHART_LABELS[stem]) if stem in CHART_LABELS else stem,
                     {fmt: _chart_builder(result, stem, fmt, created) for fmt in FORMATS},
                     f"{name}_{stem}", f"chart:{stem}")
    st.subheader(tr("Tables (CSV)"))
    for stem, table in result_tables(result).items():
        table_download(tr(TABLE_LABELS[stem]) if stem in TABLE_LABELS else stem, table,
                       f"{name}_{stem}", f"table:{stem}")
    st.subheader(tr("Scenario"))
    st.download_button(tr("The scenario of this run (YAML)"),
                       data=lambda: scenario_to_yaml(scenario).encode("utf-8"),
                       file_name=f"{name}.yaml", mime="application/x-yaml", on_click="ignore",
                       key="download_run_scenario")
    _event_logs(scenario, name, created)
