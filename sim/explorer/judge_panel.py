"""The Results page's judging: which days to judge, the KPI cards for them, and what binds.

A run's cached result holds its KPI ledger, so any window of its days is judged from the same
replications without a rerun (`sim.experiments.windows.window_summary`, the CLI's `run --window`):
the days slider (with one button per demand event of the scenario, the peak to judge) sets the
window, the cards show its KPIs and verdicts with the whole horizon's beside them, and the
bottleneck panel (`sim.experiments.bottlenecks`) ranks every crew's utilisation and every
stock's fill rate over the same days. Nothing is computed here that the CLI does not compute.
"""

from __future__ import annotations

from datetime import date
from typing import cast

import pandas as pd
import streamlit as st

from sim.experiments.bottlenecks import Bottlenecks, bottlenecks
from sim.experiments.replicate import RunResult
from sim.experiments.windows import (
    WindowSummary,
    date_of,
    event_windows,
    measured_days,
    window_summary,
)
from sim.explorer.widgets import Judged, kpi_cards
from sim.i18n.formats import day
from sim.i18n.messages import Language, current_language, speaking, tr
from sim.output.bottleneck_view import BINDS, PRESSED, bottleneck_rows, bottleneck_sentence
from sim.output.charts.bottlenecks import bottleneck_chart
from sim.output.charts.style import figure_bytes
from sim.output.kpi_view import kpi_rows, unmeasured
from sim.output.labels import column_label, days_label, kpi_label
from sim.output.numbers import headline_kpis
from sim.output.report import dated

WINDOW = "results_window"
# Keyed by the status word, looked up in the reader's language when the table is styled (a
# module constant translated at import would only ever match English).
HIGHLIGHT = {BINDS: "background-color: #F6C9A6", PRESSED: "background-color: #FBE8C8"}


def _slider_key(first: int, last: int) -> str:
    # One key per run length: a slider kept from a longer run would hold days this run lacks.
    return f"{WINDOW}:{first}:{last}"


@st.cache_data(max_entries=64, show_spinner=False)
def judged_window(run_key: str, first: int, last: int, _result: RunResult
                  ) -> WindowSummary | None:
    """The window's KPIs (None for the whole horizon: the run's own), cached on the run's key
    and the days."""
    whole = measured_days(_result.scenario) == (first, last)
    return None if whole else window_summary(_result, first, last)


@st.cache_data(max_entries=64, show_spinner=False)
def what_binds(run_key: str, first: int, last: int, _result: RunResult,
               _window: WindowSummary | None) -> Bottlenecks:
    """What binds in the window (``_window``: its KPIs, None for the whole horizon), cached on
    the run's key and the days. Apart from ``judged_window`` so the cards are on the page
    before it is worked out."""
    return bottlenecks(_result, _window)


@st.cache_data(max_entries=64, show_spinner=False)
def bottleneck_png(run_key: str, first: int, last: int, created: date, _found: Bottlenecks,
                   scenario: str, language: Language) -> bytes:
    """The bottleneck chart as PNG, cached on the run's key, the days, the date and the
    language it is drawn in (the session's: a switch draws it again)."""
    with speaking(language):
        return figure_bytes(dated(bottleneck_chart(_found, scenario), created), "png")


def _set_window(key: str, first: int, last: int) -> None:
    st.session_state[key] = (first, last)


def window_control(result: RunResult) -> tuple[int, int]:
    """The days to judge: a slider over the measured days and a button per demand event."""
    first, last = measured_days(result.scenario)
    key = _slider_key(first, last)
    presets = [(tr("Whole horizon"), first, last),
               *[(tr("{name}: days {a}–{b}", name=name, a=a, b=b), a, b)
                 for name, a, b in event_windows(result.scenario)]]
    # At most three buttons a row: narrower ones cut the event's days off ("days 35–7...").
    cols = st.columns(min(len(presets), 3))
    for i, (text, a, b) in enumerate(presets):
        cols[i % len(cols)].button(text, key=f"{WINDOW}_preset:{i}", on_click=_set_window,
                                   args=(key, a, b), width="stretch")
    if first == last:
        return first, last
    st.session_state.setdefault(key, (first, last))
    # The state holds a pair (set above or by a button), so the slider is a range slider.
    about = tr("Days of the clock: day 0 ({start}) starts the warm-up, as a demand event's "
                  "start_day. The cards, their verdicts and what binds are recomputed for these "
                  "days from the same replications, without a rerun (`aftersales-sim run "
                  "--window {a}:{b}`, or dates).", start=result.scenario.start_date.isoformat(),
                  a=first, b=last)
    chosen = cast(tuple[int, int], st.slider(tr("Days judged"), min_value=first,
                                             max_value=last, key=key, help=about))
    return int(chosen[0]), int(chosen[1])


def _style(rows: pd.DataFrame) -> pd.io.formats.style.Styler:
    status = column_label("status")
    colours = {tr(word): colour for word, colour in HIGHLIGHT.items()}
    return rows.style.apply(
        lambda row: [colours.get(str(row[status]), "")] * len(row), axis=1)


def judged_section(result: RunResult, key: str, created: date) -> None:
    """Window control, KPI cards for the window, the bottleneck panel and every KPI."""
    scn = result.scenario
    st.subheader(tr("Key figures"))
    first, last = window_control(result)
    window = judged_window(key, first, last, result)
    view: Judged = result if window is None else window
    dates = tr("{start} to {end}", start=day(date_of(scn, first)),
                  end=day(date_of(scn, last)))
    if window is None:
        st.caption(tr("Judged over the whole horizon, {days}, {dates}: pick a demand event "
                         "or drag the slider to judge a peak.", days=days_label(first, last),
                         dates=dates))
    else:
        st.caption(tr("Judged over {days} only, {dates}, from the same {n} replications; "
                         "each card also gives the whole horizon's value.",
                         days=days_label(first, last), dates=dates,
                         n=len(result.replications)))
    kpi_cards(view, headline_kpis(result), scn.currency, result if window is not None else None)
    st.subheader(tr("What binds"))
    found = what_binds(key, first, last, result, window)
    st.markdown(bottleneck_sentence(found))
    st.image(bottleneck_png(key, first, last, created, found, scn.name, current_language()),
             width="stretch")
    st.dataframe(_style(bottleneck_rows(found)), hide_index=True, width="stretch",
                 key="bottleneck_table")
    with st.expander(tr("Every KPI with its 95% CI and target")):
        st.dataframe(kpi_rows(view.summary, view.targets, scn.currency,
                              result.summary if window is not None else None,
                              result.targets if window is not None else None),
                     hide_index=True, width="stretch")
        missing = unmeasured(view.summary)
        if missing:
            st.caption(tr("Not measured in this run: {names}.",
                             names=", ".join(kpi_label(k) for k in missing)))
