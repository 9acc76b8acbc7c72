"""Elements several explorer pages show: KPI cards, chart images and download rows.

Cards read the run's summary and target verdicts; images are the byte-stable PNGs of the
figure builders in `sim/`; downloads are deferred (`data=callable`), so a file is built only
when someone clicks for it. Nothing is computed here that the CLI does not compute.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Literal, Protocol

import pandas as pd
import streamlit as st
from matplotlib.figure import Figure

from sim.i18n.messages import current_language, speaking, tr
from sim.measure.catalog import KPI_BY_NAME
from sim.measure.stats import TargetJudgement
from sim.output.charts.style import ImageFormat, figure_bytes
from sim.output.labels import kpi_label, status_label
from sim.output.numbers import format_interval, format_target, format_value, kpi_unit
from sim.output.report import csv_bytes

CARDS_PER_ROW = 3
Color = Literal["green", "red", "gray"]
STATUS_COLOR: dict[str, Color] = {"met": "green", "missed": "red", "not significant": "gray",
                                  "no data": "gray"}
MIME: dict[str, str] = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf",
                        "csv": "text/csv", "zip": "application/zip"}


class Judged(Protocol):
    """What the cards read: a summary per KPI and the targets' verdicts (a run's whole horizon,
    `RunResult`, or a window of it, `WindowSummary`)."""

    @property
    def summary(self) -> pd.DataFrame:
        """Per KPI: mean, 95% interval, n."""

    @property
    def targets(self) -> Mapping[str, TargetJudgement]:
        """The verdict of each target."""


def kpi_card(view: Judged, kpi: str, currency: str, whole: Judged | None = None) -> None:
    """One KPI in a bordered card: mean, target verdict, and under it the whole 95% CI (and,
    for a window, the whole horizon's mean and verdict) as a caption, never cut off."""
    row = view.summary.set_index("kpi").to_dict("index")[kpi]
    unit = kpi_unit(kpi)
    n = int(row["n"])
    info = KPI_BY_NAME.get(kpi)
    about = f"`{kpi}`: {info.definition}" if info is not None else f"`{kpi}`"
    lines = [tr("95% CI {interval}", interval=format_interval(
        float(row["ci_low"]), float(row["ci_high"]), unit, currency)) if n >= 2
        else tr("no CI with one replication")]
    if whole is not None:
        overall = whole.summary.set_index("kpi").to_dict("index")[kpi]
        verdict = whole.targets.get(kpi)
        lines.append(tr("whole horizon: {value}", value=format_value(
            float(overall["mean"]), unit, currency)) +
            (f", {status_label(verdict.status)}" if verdict is not None else ""))
    judged = view.targets.get(kpi)
    help_text = tr("{about}; mean of {n} replications.", about=about, n=n)
    with st.container(border=True):
        if judged is None:
            st.metric(kpi_label(kpi), format_value(float(row["mean"]), unit, currency),
                      delta=tr("no target"), delta_color="gray", delta_arrow="off",
                      help=help_text)
        else:
            target = format_target(judged.target, judged.direction, unit, currency)
            st.metric(kpi_label(kpi), format_value(float(row["mean"]), unit, currency),
                      delta=tr("{status} (target {target})",
                                  status=status_label(judged.status), target=target),
                      delta_color=STATUS_COLOR.get(judged.status, "gray"), delta_arrow="off",
                      help=help_text + " " + tr(
                          "Met: the whole 95% CI is on the good side of the target; missed: "
                          "wholly on the wrong side; otherwise not significant."))
        st.caption(" · ".join(lines))


def kpi_cards(view: Judged, kpis: list[str], currency: str, whole: Judged | None = None
              ) -> None:
    """Cards in rows of `CARDS_PER_ROW`."""
    for start in range(0, len(kpis), CARDS_PER_ROW):
        cols = st.columns(CARDS_PER_ROW)
        for col, kpi in zip(cols, kpis[start:start + CARDS_PER_ROW], strict=False):
            with col:
                kpi_card(view, kpi, currency, whole)


def png(fig: Figure) -> bytes:
    """A figure as the PNG the downloads give (byte-stable)."""
    return figure_bytes(fig, "png")


def download_row(label: str, builders: Mapping[str, Callable[[], bytes]], stem: str,
                 key: str) -> None:
    """A label and one deferred download button per format (``{"png": build, ...}``)."""
    cols = st.columns([4, *[1] * len(builders)], vertical_alignment="center")
    cols[0].markdown(label)
    for col, (fmt, build) in zip(cols[1:], builders.items(), strict=True):
        with col:
            st.download_button(fmt.upper(), data=spoken_now(build), file_name=f"{stem}.{fmt}",
                               mime=MIME.get(fmt, "application/octet-stream"),
                               on_click="ignore", key=f"{key}:{fmt}")


def spoken_now(build: Callable[[], bytes]) -> Callable[[], bytes]:
    """``build`` to run later in the language spoken now.

    Streamlit runs a deferred download's callable in a worker thread of the server
    (``asyncio.to_thread``), whose context is not the script run's: without this, a chart or
    report downloaded from a Chinese page would be drawn in English.
    """
    language = current_language()

    def built() -> bytes:
        with speaking(language):
            return build()

    return built


def figure_downloads(label: str, make: Callable[[], Figure], stem: str, key: str,
                     formats: tuple[ImageFormat, ...] = ("png", "svg", "pdf")) -> None:
    """Download buttons for one chart in every format, each built on click."""
    def builder(fmt: ImageFormat) -> Callable[[], bytes]:
        return lambda: figure_bytes(make(), fmt)

    download_row(label, {fmt: builder(fmt) for fmt in formats}, stem, key)


def table_download(label: str, df: pd.DataFrame, stem: str, key: str) -> None:
    """A CSV download of one table (built on click)."""
    download_row(label, {"csv": lambda: csv_bytes(df)}, stem, key)


def today() -> date:
    """The date printed on charts and reports made now."""
    return date.today()


def percent(value: float) -> str:
    """A share as a percentage, or n/a."""
    return tr("n/a") if value is None or math.isnan(value) else f"{value:.1%}"


# Streamlit keeps a select widget's value as the option's formatted text, so a label that
# changes with the language would come back after a switch as text no option has (the Sweep
# page's lever picker then finds no lever). These pickers are keyed per language and start
# from what was last chosen in any language (kept under ``<key>:chosen``).


def _language_key(key: str) -> str:
    return f"{key}:{current_language()}"


def choose_many(text: str, options: Sequence[str], default: Sequence[str], key: str,
                format_func: Callable[[str], str]) -> list[str]:
    """A multiselect of ``options`` shown through ``format_func``, kept across a switch of
    language."""
    remembered = st.session_state.get(f"{key}:chosen", list(default))
    chosen = st.multiselect(text, list(options), default=[o for o in remembered if o in options],
                            key=_language_key(key), format_func=format_func)
    st.session_state[f"{key}:chosen"] = list(chosen)
    return list(chosen)


def choose_one(text: str, options: Sequence[str], index: int, key: str,
               format_func: Callable[[str], str]) -> str:
    """A selectbox of ``options`` shown through ``format_func``, kept across a switch of
    language (``index``: the first choice)."""
    remembered = st.session_state.get(f"{key}:chosen")
    first = options.index(remembered) if remembered in options else index
    chosen = st.selectbox(text, list(options), index=first, key=_language_key(key),
                          format_func=format_func)
    st.session_state[f"{key}:chosen"] = chosen
    return str(chosen)
