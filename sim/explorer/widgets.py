"""Elements several explorer pages show: KPI cards, chart images and download rows.

Cards read the run's summary and target verdicts; images are the byte-stable PNGs of the
figure builders in `sim/`; downloads are deferred (`data=callable`), so a file is built only
when someone clicks for it. Nothing is computed here that the CLI does not compute.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date
from typing import Literal

import pandas as pd
import streamlit as st
from matplotlib.figure import Figure

from sim.experiments.replicate import RunResult
from sim.i18n.messages import current_language, kpi_name, tr
from sim.measure.catalog import KPI_BY_NAME
from sim.output.charts.style import ImageFormat, figure_bytes
from sim.output.numbers import format_interval, format_target, format_value, kpi_unit
from sim.output.report import csv_bytes

CARDS_PER_ROW = 3
Color = Literal["green", "red", "gray"]
STATUS_COLOR: dict[str, Color] = {"met": "green", "missed": "red", "not significant": "gray",
                                  "no data": "gray"}
MIME: dict[str, str] = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf",
                        "csv": "text/csv", "zip": "application/zip"}


LABELS = {"asa_seconds": "Average speed of answer", "csat_mean": "Satisfaction (mean score)",
          "response_seconds_p90": "Answer time, 90th percentile"}


def kpi_label(kpi: str) -> str:
    """A KPI name for a card: ``service_level`` -> ``Service level`` (in Chinese the manual's
    term, ``服务水平``)."""
    if current_language() != "en":
        return kpi_name(kpi)
    text = LABELS.get(kpi, kpi.replace("_", " "))
    return text[:1].upper() + text[1:]


def kpi_card(result: RunResult, kpi: str) -> None:
    """One KPI: mean, 95% CI and the target verdict (met, missed or not significant)."""
    row = result.summary.set_index("kpi").to_dict("index")[kpi]
    unit, currency = kpi_unit(kpi), result.scenario.currency
    n = int(row["n"])
    interval = format_interval(float(row["ci_low"]), float(row["ci_high"]), unit, currency)
    ci = (tr("95% CI {interval}", interval=interval) if n >= 2
          else tr("no CI with one replication"))
    info = KPI_BY_NAME.get(kpi)
    about = f"`{kpi}`: {info.definition}" if info is not None else f"`{kpi}`"
    judged = result.targets.get(kpi)
    if judged is None:
        st.metric(kpi_label(kpi), format_value(float(row["mean"]), unit, currency),
                  delta=tr("no target"), delta_color="gray", delta_arrow="off",
                  delta_description=ci, help=tr("{about}; mean of {n} replications", about=about,
                                                n=n), border=True)
        return
    target = format_target(judged.target, judged.direction, unit, currency)
    st.metric(kpi_label(kpi), format_value(float(row["mean"]), unit, currency),
              delta=tr("{status} (target {target})", status=tr(judged.status), target=target),
              delta_color=STATUS_COLOR.get(judged.status, "gray"), delta_arrow="off",
              delta_description=ci,
              help=tr("{about}; mean of {n} replications. Met: the whole 95% CI is on the "
                      "good side of the target; missed: wholly on the wrong side; otherwise not "
                      "significant.", about=about, n=n), border=True)


def kpi_cards(result: RunResult, kpis: list[str]) -> None:
    """Cards in rows of `CARDS_PER_ROW`."""
    for start in range(0, len(kpis), CARDS_PER_ROW):
        cols = st.columns(CARDS_PER_ROW)
        for col, kpi in zip(cols, kpis[start:start + CARDS_PER_ROW], strict=False):
            with col:
                kpi_card(result, kpi)


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
            st.download_button(fmt.upper(), data=build, file_name=f"{stem}.{fmt}",
                               mime=MIME.get(fmt, "application/octet-stream"),
                               on_click="ignore", key=f"{key}:{fmt}")


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
    return "n/a" if value is None or math.isnan(value) else f"{value:.1%}"
