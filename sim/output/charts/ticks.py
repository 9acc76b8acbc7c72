"""Tick labels people read: never two alike, in the unit of the axis, months that say when
they are measured in part.

This module owns the axis formatters of every chart: ``UniqueFormatter`` (as few decimals as
keep the ticks apart: ``0% 0.5% 1%``, never ``0% 0% 1%``), shares as percentages, differences of
shares as percentage points, money with thousands separators and few enough ticks not to run
together, and calendar months whose partly measured ones say so under their bar. The rest of
the house look is `sim.output.charts.style`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import Formatter, MaxNLocator

from sim.i18n.formats import month as month_label
from sim.i18n.messages import tr


class UniqueFormatter(Formatter):
    """Tick labels with as few decimals as keep them apart: ``0% 0.5% 1% 1.5%``, never
    ``0% 0% 1% 1%`` (matplotlib hands every tick of an axis to ``format_ticks`` at once)."""

    MAX_DECIMALS = 6

    def __init__(self, text: Callable[[float, int], str]) -> None:
        """Args: text: (value, decimals) -> label."""
        super().__init__()
        self.text = text
        self.decimals = 0

    def __call__(self, x: float, pos: int | None = None) -> str:
        """One label (a cursor read-out) with the decimals the ticks needed."""
        return self.text(x, self.decimals)

    def format_ticks(self, values: Sequence[float]) -> list[str]:
        """Every tick's label, with the fewest decimals (up to 6) that keep them distinct."""
        for decimals in range(self.MAX_DECIMALS + 1):
            labels = [self.text(v, decimals) for v in values]
            if len(set(labels)) == len(labels):
                break
        self.decimals = decimals
        return labels


def _percent(value: float, decimals: int) -> str:
    return f"{value * 100:.{decimals}f}%"


def _thousands(value: float, decimals: int) -> str:
    text = f"{value:,.{decimals}f}"
    return "0" if text.lstrip("-").strip("0.,") == "" else text  # no "-0"


def month_ticks(table: pd.DataFrame, months: Sequence[str]) -> list[str]:
    """Tick labels of calendar months, a month measured only in part saying so
    (``2027-04`` then ``10 of 30 days``): a partial month's low bar is fewer days, not a
    collapse. Months without ``measured_days`` and ``month_days`` columns keep their name."""
    if not {"month", "measured_days", "month_days"} <= set(table.columns):
        return [month_label(str(m)) for m in months]
    days = (table.assign(month=table["month"].astype(str)).drop_duplicates("month")
            .set_index("month")[["measured_days", "month_days"]].to_dict("index"))
    out = []
    for month in months:
        label = month_label(str(month))
        row = days.get(str(month))
        if row is not None:
            measured, whole = float(row["measured_days"]), float(row["month_days"])
            if measured < whole - 1e-9:
                label += "\n" + tr("{measured:g} of {whole:g} days", measured=measured,
                                   whole=whole)
        out.append(label)
    return out


def _points(value: float, decimals: int) -> str:
    text = f"{value * 100:+.{decimals}f}"
    return "0 pp" if text.lstrip("+-").strip("0.") == "" else f"{text} pp"


def points_axis(ax: Axes, axis: str = "x", ticks: int = 5) -> None:
    """Show differences of 0..1 shares as signed percentage points (``+1.5 pp``): a
    difference of 80% and 82% is 2 points, not 2%. At most ``ticks`` ticks: the unit makes
    each label wide.

    Args:
        ax: The axes.
        axis: "x" or "y".
        ticks: Most ticks on the axis.
    """
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(MaxNLocator(nbins=ticks - 1, steps=[1, 2, 2.5, 5, 10]))
    target.set_major_formatter(UniqueFormatter(_points))


def money_axis(ax: Axes, axis: str = "x", ticks: int = 5) -> None:
    """Money with thousands separators and at most ``ticks`` ticks, so wide numbers never run
    into each other ("100000150000200000").

    Args:
        ax: The axes.
        axis: "x" or "y".
        ticks: Most ticks on the axis.
    """
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(MaxNLocator(nbins=ticks - 1, steps=[1, 2, 2.5, 5, 10]))
    target.set_major_formatter(UniqueFormatter(_thousands))


def share_axis(ax: Axes, axis: str = "y") -> None:
    """Show a 0..1 share axis as percentages (as many decimals as keep the ticks apart).

    Args:
        ax: The axes.
        axis: "x" or "y".
    """
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(UniqueFormatter(_percent))


def thousands_axis(ax: Axes) -> None:
    """Format the y axis with thousands separators (budget readers expect 12,500 not 12500),
    with decimals only where ticks would otherwise repeat.

    Args:
        ax: The axes.
    """
    ax.yaxis.set_major_formatter(UniqueFormatter(_thousands))
