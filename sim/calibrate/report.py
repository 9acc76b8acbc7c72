"""How a fit is shown: the commented scenario YAML, and the report (Markdown with charts).

This module owns ``fitted_yaml`` (the fitted scenario, each key commented with where it came
from) and the report folder next to it (``report.md``, ``charts/*.png``, ``manifest.json``
last): the KPIs measured on the records, demand with its profiles, every fitted distribution
with the families it beat (AIC), its KS distance and a QQ plot, the fitted shares and
probabilities with their intervals, the demand shocks fitted as events, the data remarks, what
was taken from the base and, when one was run, the back-test (``sim.calibrate.backtest``). It only
presents a ``sim.calibrate.fit.Fit``; nothing is estimated here.
"""

from __future__ import annotations

import io
import math
import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from sim.calibrate.backtest import BackTest
from sim.calibrate.builder import DAY_NAMES, Fit, Path_, dotted
from sim.calibrate.estimators import DistFit, Estimate, kaplan_meier_supported
from sim.calibrate.measures import LOG_KPIS, kpi_summary, sample_unit
from sim.calibrate.read import Logs
from sim.measure.stats import mean_ci
from sim.output.charts.style import (
    BAR_FACE,
    EDGE_COLOR,
    finish_figure,
    legend,
    new_figure,
    plot_band,
    series_style,
    style_axes,
)
from sim.output.charts.ticks import share_axis
from sim.output.folder import ResultsFolder, manifest
from sim.scenario.loader import scenario_to_yaml

QQ_POINTS = 200  # quantiles drawn per QQ plot: enough to see a tail, light enough to render
UNITS = {"_minutes": "min", "_hours": "h", "_days": "days"}


def unit_of(path: str) -> str:
    """The unit of a scenario key, from its name (``travel_minutes`` -> min)."""
    leaf = path.split(".")[-2 if path.split(".")[-1] in ("inquiry", "repair", "complaint",
                                                            "onsite", "depot") else -1]
    return next((u for suffix, u in UNITS.items() if leaf.endswith(suffix)), "")


def _num(x: float) -> str:
    """A number for a report table: 3 significant digits, thousands separated, "-" if unknown."""
    if not math.isfinite(x):
        return "-"
    if x == 0:
        return "0"
    magnitude = abs(x)
    if magnitude >= 1000:
        return f"{x:,.0f}"
    if magnitude >= 1:
        return f"{x:.3g}" if magnitude < 100 else f"{x:.1f}"
    return f"{x:.3g}"


def _ci(est: Estimate) -> str:
    """An interval for a report table."""
    return f"[{_num(est.low)}, {_num(est.high)}]"


def _stem(path: str) -> str:
    """The chart file stem of a key's QQ plot."""
    return "qq_" + path.replace(".", "_")


# --- the scenario as YAML ------------------------------------------------------------------


def _block_parent(tree: Any, path: Path_) -> tuple[Any, str | int, int] | None:
    """The deepest (mapping, key, depth) along ``path`` whose mapping is in block style: a
    comment can only follow a key written on its own line."""
    node, found = tree, None
    for depth, key in enumerate(path):
        if isinstance(node, CommentedMap) and key in node:
            if not node.fa.flow_style():
                found = (node, key, depth)
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            break
    return found


def fitted_yaml(fit: Fit) -> str:
    """The fitted scenario as YAML; each key says in a comment whether it was fitted (with its
    interval) or taken from the base (and why)."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True  # "08:00" stays quoted (YAML 1.1 readers take 08:00 for 480)
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    tree = yaml.load(scenario_to_yaml(fit.scenario))
    notes: dict[tuple[int, str | int], tuple[Any, list[str]]] = {}
    for path, comment in fit.comments.items():
        found = _block_parent(tree, path) if comment else None
        if found is not None:
            holder, key, depth = found
            inner = path[depth + 1:]
            shown = f"{dotted(inner)}: {comment}" if inner else comment
            notes.setdefault((id(holder), key), (holder, []))[1].append(shown)
    for (_, key), (holder, texts) in notes.items():
        # column 0: one space before every comment, however long the line.
        holder.yaml_add_eol_comment("# " + "; ".join(dict.fromkeys(texts)), key, column=0)
    buf = io.StringIO()
    yaml.dump(tree, buf)
    base = (f"the base scenario {fit.base_source}" if fit.base_source
            else "a minimal scenario (no --base given)")
    header = textwrap.fill(
        f"Scenario fitted by `aftersales-sim fit` from {describe_files(fit.logs)} "
        f"({fit.logs.reps} replication(s), {fit.logs.days:g} days). Keys marked `fitted` come "
        f"from the logs, with {percent(fit.confidence)} intervals; every other value is taken "
        f"from {base}. The fit report is next to this file.", width=98,
        initial_indent="# ", subsequent_indent="# ", break_on_hyphens=False) + "\n"
    return header + "\n".join(line for line in buf.getvalue().splitlines()
                              if not line.startswith("# Resolved scenario")) + "\n"


def percent(confidence: float) -> str:
    """A confidence level for people: 0.95 -> "95%", 0.999 -> "99.9%"."""
    return f"{confidence * 100:.10g}%"


def describe_files(logs: Logs) -> str:
    """The logs' file names, with their folder when they share one."""
    paths = [Path(p) for p in logs.sources.values()]
    names = ", ".join(p.name for p in paths)
    folders = {p.parent for p in paths}
    return f"{names} in {folders.pop()}" if len(folders) == 1 else names


# --- charts ----------------------------------------------------------------------------------


def qq_figure(path: str, fit: DistFit, scenario: str) -> Figure:
    """Observed against fitted quantiles; Kaplan-Meier quantiles when there is censoring."""
    dist = fit.frozen()
    assert dist is not None
    if fit.censored:
        times, cdf = kaplan_meier_supported(fit.values, fit.observed)
        keep = np.unique(np.linspace(0, len(times) - 1, min(QQ_POINTS, len(times))).astype(int))
        observed, probs = times[keep], cdf[keep]
        probs = np.clip(probs, 1e-6, 1 - 1e-6)
    else:
        probs = (np.arange(QQ_POINTS) + 0.5) / QQ_POINTS
        observed = np.quantile(fit.values, probs)
    model = dist.ppf(probs)
    fig, (ax,) = new_figure(width=5.5, height=5.0)
    style = series_style(1)
    ax.plot(model, observed, linestyle="none", marker=style.marker, markersize=3.5,
            color=style.color, label="quantiles")
    top = float(np.nanmax([model.max(), observed.max()]))
    ax.plot([0, top], [0, top], color=EDGE_COLOR, linewidth=1.0, linestyle="--",
            label="perfect fit")
    unit = unit_of(path)
    style_axes(ax, f"{fit.family} quantile ({unit})", f"observed quantile ({unit})")
    legend(ax, loc="upper left")
    censored = f", {fit.censored} censored (Kaplan-Meier)" if fit.censored else ""
    return finish_figure(fig, path, scenario,
                         note=f"n={fit.n}{censored}; KS {fit.ks:.3f}")


def weekly_figure(fit: Fit) -> Figure:
    """Weekly weights with their intervals."""
    weights = [p.estimate for p in fit.params if p.path.startswith("demand.weekly_profile.")]
    fig, (ax,) = new_figure()
    x = np.arange(7)
    values = np.array([w.value for w in weights])
    err = np.array([[w.value - w.low for w in weights], [w.high - w.value for w in weights]])
    err = np.where(np.isfinite(err), np.clip(err, 0, None), 0.0)  # an unseen weekday: no bar
    ax.bar(x, values, color=BAR_FACE, edgecolor=EDGE_COLOR, linewidth=0.5, yerr=err, capsize=3,
           label="weight")
    ax.axhline(1.0, color=EDGE_COLOR, linewidth=0.8, linestyle=":")
    ax.set_xticks(x, DAY_NAMES)
    style_axes(ax, "day of the week", "contacts / mean per day")
    return finish_figure(fig, "Weekly profile of contacts", fit.scenario.name,
                         note=f"bars: {percent(fit.confidence)} intervals")


def hourly_figure(fit: Fit) -> Figure:
    """Share of contacts per hour of the day with their intervals."""
    shares = [p.estimate for p in fit.params if p.path.startswith("demand.hourly_profile.")]
    fig, (ax,) = new_figure()
    x = np.arange(24)
    values = np.array([s.value for s in shares])
    err = np.array([[s.value - s.low for s in shares], [s.high - s.value for s in shares]])
    ax.bar(x, values, color=BAR_FACE, edgecolor=EDGE_COLOR, linewidth=0.5,
           yerr=np.clip(err, 0, None), capsize=2)
    ax.set_xticks(x[::2], [f"{h:02d}" for h in x[::2]])
    share_axis(ax)
    style_axes(ax, "hour of the day", "share of the day's contacts")
    return finish_figure(fig, "Hourly profile of contacts", fit.scenario.name,
                         note=f"bars: {percent(fit.confidence)} intervals")


def daily_figure(fit: Fit) -> Figure:
    """Customer contacts per day of the records (mean and band over replications)."""
    fig, (ax,) = new_figure()
    ci = mean_ci(fit.daily, "day", "contacts", fit.confidence)
    plot_band(ax, ci["day"], ci, series_style(0), "contacts")
    expected = fit.daily.groupby("day")["expected"].first()
    ax.step(expected.index, expected.to_numpy(), where="mid", color=EDGE_COLOR, linestyle="--",
            linewidth=1.0, label="fitted scenario (profile and shocks)")
    style_axes(ax, "day of the records", "customer contacts")
    legend(ax, loc="best")
    first = str(fit.daily["date"].iat[0])
    return finish_figure(fig, "Contacts per day", fit.scenario.name,
                         note=f"day 0 = {first}")


def has_qq(dist: DistFit) -> bool:
    """Whether a fit has a QQ plot: it varies, and under censoring Kaplan-Meier has quantiles
    with enough observations at risk (a short log may have none)."""
    if dist.family == "constant":
        return False
    return not dist.censored or len(kaplan_meier_supported(dist.values, dist.observed)[0]) > 0


def report_figures(fit: Fit) -> dict[str, Figure]:
    """Every chart of the report, by file stem."""
    figures = {"contacts_per_day": daily_figure(fit), "weekly_profile": weekly_figure(fit),
               "hourly_profile": hourly_figure(fit)}
    for path, dist in fit.dists.items():
        if has_qq(dist):
            figures[_stem(path)] = qq_figure(path, dist, fit.scenario.name)
    return figures


# --- Markdown --------------------------------------------------------------------------------


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table as lines, followed by a blank line."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def backtest_markdown(bt: BackTest) -> list[str]:
    """The back-test section: records against the fitted run, KPI by KPI."""
    level, each = percent(bt.confidence), percent(bt.each_level)
    verdict = ("The fitted scenario reproduces every KPI." if bt.agrees else
               "The fitted scenario does **not** reproduce: "
               + ", ".join(c.kpi for c in bt.checks if not c.agrees) + ".")
    caveat = "" if bt.unit == "replication" else (
        " Weeks of one history are not independent (backlogs carry over), so these intervals "
        "are somewhat narrow.")
    out = ["## Back-test", "",
           f"The fitted scenario simulated ({bt.replications} replications, seed {bt.seed}) and "
           f"measured like the records, one value per {bt.unit}. Difference: fitted minus "
           f"records, Welch interval at {each} each ({level} jointly). {verdict}{caveat}", ""]
    return out + _table(
        ["KPI", "records", f"{level} CI", "fitted run", f"{level} CI", f"difference ({each})",
         "agrees"],
        [[c.kpi, _num(c.records.value), _ci(c.records), _num(c.fitted.value), _ci(c.fitted),
          f"{_num(c.fitted.value - c.records.value)} [{_num(c.diff_low)}, {_num(c.diff_high)}]",
          "yes" if c.agrees else "**no**"] for c in bt.checks])


def backtest_table(bt: BackTest) -> pd.DataFrame:
    """The back-test as a flat table (``backtest.csv``)."""
    return pd.DataFrame([{"kpi": c.kpi, "unit": bt.unit, "records_mean": c.records.value,
                          "records_ci_low": c.records.low, "records_ci_high": c.records.high,
                          "fitted_mean": c.fitted.value, "fitted_ci_low": c.fitted.low,
                          "fitted_ci_high": c.fitted.high, "diff_ci_low": c.diff_low,
                          "diff_ci_high": c.diff_high, "diff_level": bt.each_level,
                          "agrees": c.agrees} for c in bt.checks])


def report_markdown(fit: Fit, scenario_file: str, backtest: BackTest | None = None) -> str:
    """The report's Markdown; charts are referenced as ``charts/<stem>.png``."""
    logs = fit.logs
    level = percent(fit.confidence)
    first = logs.origin.date().toordinal() + int(logs.start // 1440)
    dates = (datetime.fromordinal(first).date(),
             datetime.fromordinal(first + round(logs.days) - 1).date())
    base = f"`{fit.base_source}`" if fit.base_source else "none (a minimal scenario)"
    out = [f"# Fit report: {fit.scenario.name}", "",
           f"Fitted scenario: `{scenario_file}`. Base scenario: {base}. Records from "
           f"{dates[0]} to {dates[1]} ({logs.days:g} days"
           + (f", {logs.reps} replications" if logs.reps > 1 else "") + f"). Intervals: {level}.",
           ""]
    out += _table(["log", "file", "rows"], [[kind, f"`{logs.sources[kind]}`",
                                             str(len(table))]
                                            for kind, table in logs.tables.items()])
    if fit.notes:
        out += ["## Remarks", "", *[f"- {note}" for note in fit.notes], ""]
    kpis = kpi_summary(fit.kpis, fit.confidence)
    units = len(fit.kpis.dropna(subset=["service_level"]))
    unit = sample_unit(logs.reps)
    out += ["## KPIs measured on the records", "",
            f"Per {unit} of the records ({units} {unit}s; the weekly service level averaged "
            f"within a replication), then mean and {level} t-interval over {unit}s. "
            "`fit --backtest N` simulates the fitted scenario and compares.", ""]
    out += _table(["KPI", "mean", f"{level} CI"],
                  [[name, _num(kpis[name].value), _ci(kpis[name])] for name in LOG_KPIS
                   if name in kpis])
    if backtest is not None:
        out += backtest_markdown(backtest)
    by_path = {p.path: p for p in fit.params}
    rate = by_path["demand.contacts_per_day"]
    out += ["## Demand", "",
            f"Customer contacts per day: **{_num(rate.estimate.value)}** {_ci(rate.estimate)} "
            f"({rate.n} contacts; interval over weekly totals). Follow-up complaints are left "
            "out: the model makes them itself.", ""]
    out += _table(["type", "share", f"{level} CI"],
                  [[p.path.rsplit(".", 1)[1], _num(p.estimate.value), _ci(p.estimate)]
                   for p in fit.params if p.path.startswith("demand.mix.")])
    out += ["![contacts per day](charts/contacts_per_day.png)", ""]
    events = fit.scenario.demand.events
    if events:
        out += ["Demand shocks (runs of days off the steady profile, fitted as "
                "`demand.events`; day 0 is the fitted scenario's `start_date`):", ""]
        out += _table(["event", "days", "types", "multiplier", f"{level} CI"],
                      [[e.name, f"{e.start_day:g} to {e.start_day + e.days - 1:g}",
                        ", ".join(e.types), _num(e.multiplier),
                        _ci(by_path[f"demand.events.{i}.multiplier"].estimate)]
                       for i, e in enumerate(events)])
    weekly = [p for p in fit.params if p.path.startswith("demand.weekly_profile.")]
    out += _table(["", *DAY_NAMES], [["weight", *[_num(p.estimate.value) for p in weekly]],
                                     [f"{level} CI", *[_ci(p.estimate) for p in weekly]]])
    out += ["![weekly profile](charts/weekly_profile.png)", "",
            "![hourly profile](charts/hourly_profile.png)", ""]
    out += ["## Durations", "",
            "The best of exponential, lognormal and gamma by AIC (lower is better), fitted by "
            "maximum likelihood; intervals from the likelihood's curvature. Patience counts "
            "answered callers as right-censored at their wait. KS: largest gap between the "
            "empirical and the fitted distribution function.", ""]
    rows = []
    for path, d in fit.dists.items():
        aic = [_num(d.aic[f]) if f in d.aic else "-" for f in ("exponential", "lognormal",
                                                                 "gamma")]
        varies = d.family != "constant"
        rows.append([f"`{path}`", unit_of(path), str(d.n), str(d.censored), d.family,
                     f"{_num(d.mean.value)} {_ci(d.mean) if varies else ''}".strip(),
                     f"{_num(d.cv.value)} {_ci(d.cv) if d.family in ('lognormal', 'gamma') else ''}"
                     .strip(), f"{d.ks:.3f}", *aic])
    out += _table(["key", "unit", "n", "censored", "chosen", "mean", "cv", "KS", "AIC exp.",
                   "AIC lognormal", "AIC gamma"], rows)
    for path, d in fit.dists.items():
        if has_qq(d):
            out += [f"![{path}](charts/{_stem(path)}.png)", ""]
    other = [p for p in fit.params if not p.path.startswith(("demand.weekly_profile.",
                                                             "demand.hourly_profile.",
                                                             "demand.mix.",
                                                             "demand.contacts_per_day"))]
    out += ["## Shares and probabilities", ""]
    out += _table(["key", "estimate", f"{level} CI", "n"],
                  [[f"`{p.path}`", _num(p.estimate.value), _ci(p.estimate), str(p.n)]
                   for p in other])
    out += ["## Taken from the base", "",
            "Not in the logs (staffing, costs, targets, policies): the scenario keeps the base's "
            "values." if fit.base_source else
            "No base was given: staffing is a lower bound from the records, with no costs or "
            "targets.", ""]
    out += _table(["key", "why"], [[f"`{path}`", why] for path, why in fit.from_base])
    return "\n".join(out).rstrip() + "\n"


def write_report(fit: Fit, out_dir: Path, scenario_file: str, command: list[str],
                 started: datetime, backtest: BackTest | None = None,
                 overwrite: bool = False) -> Path:
    """Write the report folder (``report.md``, charts, ``backtest.csv`` with a back-test,
    ``manifest.json`` last); ``overwrite`` as for ``sim.output.folder.ResultsFolder``."""
    with ResultsFolder(out_dir, overwrite) as folder:
        folder.write_text("report.md", report_markdown(fit, scenario_file, backtest))
        if backtest is not None:
            folder.write_csv("backtest.csv", backtest_table(backtest))
        for stem, figure in report_figures(fit).items():
            folder.write_figure(stem, figure, formats=("png",))
        folder.finish(manifest(fit.scenario.seed, fit.logs.reps, command, started,
                               datetime.now().astimezone(),
                               extra={"fitted_scenario": scenario_file}))
    return out_dir
