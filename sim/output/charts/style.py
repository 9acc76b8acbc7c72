"""The shared look of every results chart, and byte-stable export.

This module owns sizes, fonts, the black-and-white-safe series styles (colour *and* line style,
marker and hatch, so a greyscale print still tells series apart), the footnote, the figure
factory, the band and histogram helpers, and `figure_bytes`, which renders a figure
byte-identically for identical input; tick labels are `sim.output.charts.ticks`'s. It does not
own any chart: the builders live in
`sim.output.charts` modules, and the intervals they draw come from `sim.measure.stats`.

Figures are created as `matplotlib.figure.Figure` objects, never through pyplot, so building them
touches no global figure registry, needs no GUI backend and can run in worker threads.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import matplotlib
import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine, PlaceHolderLayoutEngine

from sim.i18n.formats import weekdays
from sim.i18n.messages import tr, unit_name
from sim.output.charts.fonts import install_fonts
from sim.output.charts.ticks import share_axis
from sim.units import HOURS_PER_DAY, HOURS_PER_WEEK

# Chinese names and labels draw from a CJK font behind the house font (see `fonts`).
install_fonts()

DPI = 120
WIDTH_IN = 8.0
HEIGHT_IN = 4.5
TITLE_SIZE = 13.0
LABEL_SIZE = 10.0
TICK_SIZE = 9.0
LEGEND_SIZE = 9.0
FOOTNOTE_SIZE = 8.0
# Height reserved under the axes for the footnote; constrained layout ignores free figure text.
FOOTNOTE_STRIP_IN = 0.35
CONFIDENCE = 0.95
BAND_ALPHA = 0.18

# Okabe-Ito colours, ordered so neighbouring series also differ in greyscale lightness.
COLORS: tuple[str, ...] = (
    "#000000",
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#F0E442",
)
# Lighter fills for bars, so hatches drawn in black stay visible on every segment.
FILLS: tuple[str, ...] = (
    "#56B4E9",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#BBBBBB",
)
LINE_STYLES: tuple[str, ...] = ("-", "--", "-.", ":")
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "*")
HATCHES: tuple[str, ...] = ("", "///", "\\\\\\", "xxx", "...", "+++", "ooo", "---", "|||", "**")
TARGET_COLOR = "#444444"
TARGET_LINESTYLE = (0, (6, 3))
BAR_FACE = "#BBBBBB"
EDGE_COLOR = "#000000"


@dataclass(frozen=True, slots=True)
class SeriesStyle:
    """How the i-th series of a chart is drawn; every field differs between neighbours."""

    color: str
    fill: str
    linestyle: str
    marker: str
    hatch: str


def series_style(i: int) -> SeriesStyle:
    """Return the style of the i-th series (0-based), cycling each list independently.

    Args:
        i: Position of the series in its chart.

    Returns:
        Line colour, bar fill, line style, marker and hatch; consecutive indices differ in all four.
    """
    return SeriesStyle(
        color=COLORS[i % len(COLORS)],
        fill=FILLS[i % len(FILLS)],
        linestyle=LINE_STYLES[i % len(LINE_STYLES)],
        marker=MARKERS[i % len(MARKERS)],
        hatch=HATCHES[i % len(HATCHES)],
    )


def new_figure(
    nrows: int = 1,
    ncols: int = 1,
    *,
    width: float = WIDTH_IN,
    height: float = HEIGHT_IN,
    sharex: bool = False,
) -> tuple[Figure, list[Axes]]:
    """Create a figure with a grid of axes and the house layout.

    Args:
        nrows: Rows of panels.
        ncols: Columns of panels.
        width: Figure width in inches.
        height: Figure height in inches, including the footnote strip.
        sharex: Whether panels share their x axis.

    Returns:
        The figure and its axes in row-major order.
    """
    bottom = min(FOOTNOTE_STRIP_IN / height, 0.3)
    engine = ConstrainedLayoutEngine(rect=(0.0, bottom, 1.0, 1.0 - bottom))
    fig = Figure(figsize=(width, height), dpi=DPI, layout=engine)
    grid = fig.subplots(nrows, ncols, sharex=sharex, squeeze=False)
    return fig, [ax for row in grid for ax in row]


def week_axis(ax: Axes) -> None:
    """An hour-of-week x axis (0-168, Monday 00:00 first): gridlines at midnight, each day's
    name between them, where the day actually is."""
    ax.set_xlim(0, HOURS_PER_WEEK)
    ax.set_xticks(np.arange(0, HOURS_PER_WEEK + 1, HOURS_PER_DAY))
    ax.set_xticklabels([])
    ax.set_xticks(np.arange(HOURS_PER_DAY / 2, HOURS_PER_WEEK, HOURS_PER_DAY), minor=True)
    ax.set_xticklabels(weekdays(), minor=True)
    ax.tick_params(axis="x", which="minor", length=0, labelsize=TICK_SIZE)


def style_axes(ax: Axes, xlabel: str, ylabel: str) -> None:
    """Label an axes and apply the house tick size and light grid.

    Args:
        ax: The axes to style.
        xlabel: X-axis label, including its unit.
        ylabel: Y-axis label, including its unit.
    """
    ax.set_xlabel(xlabel, fontsize=LABEL_SIZE)
    ax.set_ylabel(ylabel, fontsize=LABEL_SIZE)
    ax.tick_params(labelsize=TICK_SIZE)
    ax.grid(True, color="#DDDDDD", linewidth=0.6)
    ax.set_axisbelow(True)


def finish_figure(
    fig: Figure,
    title: str,
    scenario: str,
    note: str | None = None,
    stamp: str | None = None,
) -> Figure:
    """Add the title and the footnote naming the scenario.

    The footnote never contains the current date: anything that varies between runs must be
    passed in as `stamp`, so identical inputs give byte-identical files.

    Args:
        fig: The figure to finish.
        title: Figure title.
        scenario: Scenario name, always shown in the footnote.
        note: Optional reading aid (what the band or bars mean).
        stamp: Optional caller-supplied run stamp, such as a date or git sha.

    Returns:
        The same figure, for chaining.
    """
    fig.suptitle(title, fontsize=TITLE_SIZE, fontweight="bold")
    parts = [tr("Scenario: {name}", name=scenario)]
    if note:
        parts.append(note)
    if stamp:
        parts.append(stamp)
    fig.text(0.01, 0.01, "  |  ".join(parts), fontsize=FOOTNOTE_SIZE, ha="left", va="bottom")
    return fig


def band_note(n_reps: int) -> str:
    """Describe a mean-with-CI band for the footnote.

    Args:
        n_reps: Number of replications behind each mean.

    Returns:
        A short sentence; it says when the band is missing because n < 2.
    """
    if n_reps < 2:
        return tr("Mean of {n} replication (no CI with fewer than 2)", n=n_reps)
    return tr("Line: mean of {n} replications; band: {level} t confidence interval", n=n_reps,
              level=f"{CONFIDENCE:.0%}")


def plot_band(ax: Axes, x: npt.ArrayLike, ci: pd.DataFrame, style: SeriesStyle, label: str) -> None:
    """Draw a mean line with markers and its CI band.

    Args:
        ax: Target axes.
        x: X positions, one per row of `ci`.
        ci: Output of `mean_ci` (columns mean, low, high).
        style: Series style.
        label: Legend label.
    """
    xs = np.asarray(x, dtype=float)
    # Markers on every point clutter long horizons; about a dozen is enough to tell lines apart.
    every = max(1, len(xs) // 12)
    ax.plot(
        xs,
        ci["mean"].to_numpy(dtype=float),
        color=style.color,
        linestyle=style.linestyle,
        marker=style.marker,
        markevery=every,
        markersize=4,
        linewidth=1.6,
        label=label,
    )
    ax.fill_between(
        xs,
        ci["low"].to_numpy(dtype=float),
        ci["high"].to_numpy(dtype=float),
        color=style.color,
        alpha=BAND_ALPHA,
        linewidth=0,
    )


def target_hline(ax: Axes, y: float, label: str) -> None:
    """Draw a dashed horizontal target line.

    Args:
        ax: Target axes.
        y: Target value in data units.
        label: Legend label.
    """
    ax.axhline(y, color=TARGET_COLOR, linestyle=TARGET_LINESTYLE, linewidth=1.3, label=label)


def histogram_shares(ax: Axes, hist: pd.DataFrame, low_col: str, high_col: str, unit: str) -> None:
    """Draw each bin's share of the pooled count; an infinite last bin becomes an overflow bar.

    Rows with the same bin (e.g. one per replication) are summed first. The overflow bar is
    hatched and labelled ">= X <unit>".

    Args:
        ax: Target axes.
        hist: Histogram rows with `low_col`, `high_col` and `count`.
        low_col: Column of bin lower edges.
        high_col: Column of bin upper edges (the last may be inf).
        unit: Unit symbol for the overflow label, e.g. "s".
    """
    pooled = hist.groupby([low_col, high_col], sort=True)["count"].sum().reset_index()
    lows = pooled[low_col].to_numpy(dtype=float)
    highs = pooled[high_col].to_numpy(dtype=float)
    counts = pooled["count"].to_numpy(dtype=float)
    total = counts.sum()
    shares = counts / total if total > 0 else np.zeros_like(counts)
    widths = highs - lows
    finite = np.isfinite(widths)
    # Give an open-ended bin the typical width so it is visible but not misleadingly wide.
    overflow_width = float(np.median(widths[finite])) if finite.any() else 1.0
    widths = np.where(finite, widths, overflow_width)
    ax.bar(lows[finite], shares[finite], width=widths[finite], align="edge", color=BAR_FACE,
           edgecolor=EDGE_COLOR, linewidth=0.5, label=tr("Share per bin"))
    for low, width, share in zip(lows[~finite], widths[~finite], shares[~finite], strict=True):
        ax.bar(low, share, width=width, align="edge", color="white", edgecolor=EDGE_COLOR,
               hatch=HATCHES[1], linewidth=0.5)
        ax.annotate(f">= {low:g} {unit_name(unit)}", (low + width / 2, share), xytext=(0, 3),
                    textcoords="offset points", ha="center", va="bottom", fontsize=TICK_SIZE)
    share_axis(ax)
    ax.set_ylim(0.0, max(float(shares.max(initial=0.0)) * 1.15, 0.05))


def require_columns(df: pd.DataFrame, columns: Sequence[str], chart: str) -> None:
    """Fail early, naming the chart and the missing columns, instead of a bare KeyError.

    Args:
        df: Input table.
        columns: Columns the chart needs.
        chart: Chart name for the message.

    Raises:
        ValueError: If any column is missing.
    """
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{chart}: missing columns {missing}; got {list(df.columns)}")


def legend(ax: Axes, **kwargs: Any) -> None:
    """Add a legend in the house font size, only if something is labelled.

    Args:
        ax: Target axes.
        **kwargs: Passed to `Axes.legend`.
    """
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, fontsize=LEGEND_SIZE, frameon=False, **kwargs)


# ---- Byte-stable export -------------------------------------------------------------------

ImageFormat = Literal["png", "svg", "pdf"]
_PRODUCER = "aftersales-sim"
_SVG_SALT = "aftersales-sim"
# Per-format metadata with every run-dependent field removed (dates; matplotlib's version string
# would change files on upgrade although the chart did not).
_METADATA: dict[str, dict[str, str | None]] = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": _PRODUCER},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": _PRODUCER, "Creator": _PRODUCER},
}
# rc_context mutates the process-global rcParams; serialise our saves so two threads cannot
# interleave their contexts and restore each other's values.
_SAVE_LOCK = threading.Lock()


def figure_bytes(fig: Figure, fmt: ImageFormat) -> bytes:
    """Render a figure to PNG, SVG or PDF bytes, identical for identical figures.

    The first call freezes the figure's layout (see `_freeze_layout`); the figure is otherwise
    unchanged.

    Args:
        fig: The figure to render.
        fmt: "png" (120 dpi), "svg" or "pdf".

    Returns:
        The encoded file.

    Raises:
        ValueError: For any other format.
    """
    if fmt not in _METADATA:
        raise ValueError(f"unsupported chart format {fmt!r}; use one of {sorted(_METADATA)}")
    buf = io.BytesIO()
    # SVG ids hash their content with a salt that is random unless fixed here.
    with _SAVE_LOCK, matplotlib.rc_context({"svg.hashsalt": _SVG_SALT}):
        _freeze_layout(fig)
        fig.savefig(buf, format=fmt, dpi=DPI, metadata=_METADATA[fmt])
    return buf.getvalue()


def _freeze_layout(fig: Figure) -> None:
    """Run the layout engine, then fix the axes where it put them.

    Constrained layout starts each draw from the previous positions and only converges
    geometrically (an outside legend moves the axes by ~1e-6 per draw), so the second render of
    a figure would differ from the first. Freezing makes every render, in any format and any
    order, use the same positions.
    """
    engine = fig.get_layout_engine()
    if engine is None or isinstance(engine, PlaceHolderLayoutEngine):
        return
    for _ in range(2):  # two passes get within rounding of the fixed point
        fig.draw_without_rendering()
    fig.set_layout_engine("none")
