"""The explorer's theory panel: Erlang C service level per hour of the week beside the simulation.

This module owns the theory side of the panel (offered calls per hour of the week from the scenario,
`sim.scenario.capacity.offered_erlangs_by_hour`; staffed agents from `sim.scenario.calendar`;
service level from `sim.theory.queues.hourly_erlang_c`), the simulated side as the result provides
it, and the chart. Erlang C treats each hour as its own steady state without abandonment, busy
signals, escalation holds, follow-up calls or demand events, so it is a reference line, not a
prediction. Pure functions; no Streamlit.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.i18n.messages import tr
from sim.measure.stats import Interval, mean_ci, t_interval
from sim.output.charts import style as cs
from sim.output.charts import ticks
from sim.output.run_view import RunView
from sim.scenario.base import CONTACT_TYPES
from sim.scenario.calendar import staffed_by_hour_of_week
from sim.scenario.capacity import offered_erlangs_by_hour
from sim.scenario.format import Scenario
from sim.theory.queues import hourly_erlang_c
from sim.units import HOURS_PER_WEEK

THEORY_COLUMNS = ("hour_of_week", "offered_calls_per_hour", "offered_erlangs", "staffed_agents",
                  "erlang_c_service_level")


def mean_handle_minutes(scenario: Scenario) -> float:
    """Mean agent talk time per contact over the demand mix (the load's own weighting)."""
    demand, cc = scenario.demand, scenario.call_center
    return float(sum(demand.share(t) * cc.handle_minutes[t].mean_value()
                     for t in CONTACT_TYPES if demand.share(t) > 0))


def erlang_c_by_hour_of_week(scenario: Scenario) -> pd.DataFrame:
    """Erlang C service level in each hour of a typical week for the staffed agents.

    Args:
        scenario: A validated scenario.

    Returns:
        One row per hour of the week (0 = Monday 00:00-01:00), columns `THEORY_COLUMNS`; the
        service level is nan in hours without calls and 0 in hours with calls but no agents.
    """
    erlangs = offered_erlangs_by_hour(scenario).reshape(HOURS_PER_WEEK)
    handle = mean_handle_minutes(scenario)
    rate = erlangs * 60.0 / handle if handle > 0 else np.zeros(HOURS_PER_WEEK)
    staffed = staffed_by_hour_of_week(scenario.call_center.agents)
    level = hourly_erlang_c(rate, max(handle, 1e-9), staffed,
                            scenario.call_center.answer_target_seconds)
    return pd.DataFrame({"hour_of_week": np.arange(HOURS_PER_WEEK),
                         "offered_calls_per_hour": rate, "offered_erlangs": erlangs,
                         "staffed_agents": staffed, "erlang_c_service_level": level})


def simulated_by_hour_of_week(result: RunView) -> pd.DataFrame | None:
    """Simulated service level per hour of the week with its 95% CI, when the result has it.

    Needs a `service_level` column in `result.hourly` (one value per replication and hour of
    the week); returns None while the experiment layer does not provide it.
    """
    if "service_level" not in result.hourly.columns:
        return None
    return mean_ci(result.hourly, "hour_of_week", "service_level")


def simulated_daily_mean(result: RunView) -> Interval:
    """Mean daily service level over the horizon: one mean per replication, then a t-interval."""
    per_rep = result.daily.groupby("rep")["service_level"].mean()
    return t_interval(per_rep.to_numpy(float))


def theory_figure(theory: pd.DataFrame, scenario: str, answer_target_seconds: float,
                  target: float | None, *, simulated_hourly: pd.DataFrame | None = None,
                  simulated_mean: Interval | None = None, stamp: str | None = None) -> Figure:
    """Plot Erlang C service level per hour of the week against the simulated one.

    Args:
        theory: From `erlang_c_by_hour_of_week`.
        scenario: Scenario name for the footnote.
        answer_target_seconds: The threshold defining the service level.
        target: The service-level target, or None.
        simulated_hourly: From `simulated_by_hour_of_week`, drawn per hour with its band.
        simulated_mean: Drawn as a flat line with its band when there is no hourly series.
        stamp: Date or other caller-supplied text for the footnote.

    Returns:
        The figure.
    """
    cs.require_columns(theory, ["hour_of_week", "erlang_c_service_level"], "theory_figure")
    fig, (ax,) = cs.new_figure(width=10.0)
    hours = theory["hour_of_week"].to_numpy(float)
    theory_style, sim_style = cs.series_style(0), cs.series_style(1)
    ax.plot(hours + 0.5, theory["erlang_c_service_level"].to_numpy(float),
            color=theory_style.color, linestyle=theory_style.linestyle, linewidth=1.6,
            marker=theory_style.marker, markersize=3, label=tr("Erlang C (staffed agents)"))
    if simulated_hourly is not None:
        cs.plot_band(ax, simulated_hourly["hour_of_week"].to_numpy(float) + 0.5,
                     simulated_hourly, sim_style, tr("Simulated (mean per hour)"))
        note = tr("Simulated: mean per hour of week, 95% CI band")
    elif simulated_mean is not None and not math.isnan(simulated_mean.mean):
        ax.axhline(simulated_mean.mean, color=sim_style.color, linestyle=sim_style.linestyle,
                   linewidth=1.6, label=tr("Simulated daily mean {share}",
                                           share=f"{simulated_mean.mean:.1%}"))
        if simulated_mean.n >= 2:
            ax.axhspan(simulated_mean.ci_low, simulated_mean.ci_high, color=sim_style.color,
                       alpha=cs.BAND_ALPHA, linewidth=0)
        note = tr("Simulated: mean daily service level with 95% CI (no hourly series yet)")
    else:
        note = tr("No simulated series")
    if target is not None:
        cs.target_hline(ax, target, tr("Target {value}", value=f"{target:.0%}"))
    cs.style_axes(ax, tr("Hour of week (h; gridlines at midnight)"),
                  tr("Service level (% answered within {seconds} s)",
                     seconds=f"{answer_target_seconds:g}"))
    ticks.share_axis(ax)
    ax.set_ylim(0.0, 1.02)
    cs.week_axis(ax)
    cs.legend(ax, loc="lower left")
    note += tr("; Erlang C: each hour in steady state, no abandonment, escalation or events")
    return cs.finish_figure(fig, tr("Service level per hour of the week: Erlang C and "
                                    "simulation"),
                            scenario, note, stamp)
