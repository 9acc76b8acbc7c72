"""How a fit is shown: the commented scenario YAML, and the report (Markdown with charts).

This module owns ``fitted_yaml`` (the fitted scenario, each key commented with where it came
from) and the report folder next to it (``report.md``, ``charts/*.png``, ``manifest.json``
last): the KPIs measured on the records, demand with its profiles, every fitted distribution
with the families it beat (AIC), its KS distance and a QQ plot, the fitted shares and
probabilities with their intervals, the demand shocks fitted as events, the data remarks, what
was taken from the base and, when one was run, the back-test (``sim.calibrate.backtest``). It only
presents a ``sim.calibrate.fit.Fit``; nothing is estimated here.

The YAML's comments, the report and its charts are in the language of the moment (``sim.i18n``,
the command's ``--lang``): sentences, headings and table headers through ``tr``, KPI names through
``kpi_name``, units through ``unit_name``, days and lists through ``sim.i18n.formats``. Key paths,
log kinds, contact types and file names stay as they are (the contract). A fitted file begins with
``FITTED_MARKERS``'s line of its language, whichever that was.
"""

from __future__ import annotations

import datetime as dt
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
from sim.calibrate.builder import Fit, Path_, dotted, family_name
from sim.calibrate.estimators import DistFit, Estimate, kaplan_meier_supported
from sim.calibrate.measures import LOG_KPIS, kpi_summary, sample_unit
from sim.calibrate.read import Logs
from sim.i18n.formats import date_text, listing, weekdays
from sim.i18n.messages import current_language, kpi_name, tr, unit_name
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
FITTED_MARKERS = {"en": "# Scenario fitted by `aftersales-sim fit`",
                  "zh": "# 由 `aftersales-sim fit` 拟合的情景"}
"""How the fitted YAML begins, by language (its header's first words): ``fit`` may replace a file
that begins so (``sim.cli.fit``); a test checks the header of each language starts with its own."""


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
    base = (tr("the base scenario {file}", file=fit.base_source) if fit.base_source
            else tr("a minimal scenario (no --base given)"))
    # Chinese has few spaces to break at and each character takes two columns: narrower lines,
    # and a run without spaces (file names joined by "、") is kept whole, not cut mid-name.
    english = current_language() == "en"
    header = textwrap.fill(
        tr("Scenario fitted by `aftersales-sim fit` from {files} ({reps} replication(s), "
           "{days:g} days). Keys marked `fitted` come from the logs, with {level} intervals; "
           "every other value is taken from {base}. The fit report is next to this file.",
           files=describe_files(fit.logs), reps=fit.logs.reps, days=fit.logs.days,
           level=percent(fit.confidence), base=base),
        width=98 if english else 60, initial_indent="# ", subsequent_indent="# ",
        break_on_hyphens=False, break_long_words=english) + "\n"
    return header + "\n".join(line for line in buf.getvalue().splitlines()
                              if not line.startswith("# Resolved scenario")) + "\n"


def percent(confidence: float) -> str:
    """A confidence level for people: 0.95 -> "95%", 0.999 -> "99.9%"."""
    return f"{confidence * 100:.10g}%"


def describe_files(logs: Logs) -> str:
    """The logs' file names, with their folder when they share one."""
    paths = [Path(p) for p in logs.sources.values()]
    names = listing(p.name for p in paths)
    folders = {p.parent for p in paths}
    return tr("{names} in {folder}", names=names, folder=folders.pop()) if len(folders) == 1 \
        else names


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
            color=style.color, label=tr("quantiles"))
    top = float(np.nanmax([model.max(), observed.max()]))
    ax.plot([0, top], [0, top], color=EDGE_COLOR, linewidth=1.0, linestyle="--",
            label=tr("perfect fit"))
    unit = unit_name(unit_of(path))
    style_axes(ax, tr("{family} quantile ({unit})", family=family_name(fit.family), unit=unit),
               tr("observed quantile ({unit})", unit=unit))
    legend(ax, loc="upper left")
    censored = tr(", {n} censored (Kaplan-Meier)", n=fit.censored) if fit.censored else ""
    return finish_figure(fig, path, scenario,
                         note=tr("n={n}{censored}; KS {ks}", n=fit.n, censored=censored,
                                 ks=f"{fit.ks:.3f}"))


def weekly_figure(fit: Fit) -> Figure:
    """Weekly weights with their intervals."""
    weights = [p.estimate for p in fit.params if p.path.startswith("demand.weekly_profile.")]
    fig, (ax,) = new_figure()
    x = np.arange(7)
    values = np.array([w.value for w in weights])
    err = np.array([[w.value - w.low for w in weights], [w.high - w.value for w in weights]])
    err = np.where(np.isfinite(err), np.clip(err, 0, None), 0.0)  # an unseen weekday: no bar
    ax.bar(x, values, color=BAR_FACE, edgecolor=EDGE_COLOR, linewidth=0.5, yerr=err, capsize=3,
           label=tr("weight"))
    ax.axhline(1.0, color=EDGE_COLOR, linewidth=0.8, linestyle=":")
    ax.set_xticks(x, weekdays())
    style_axes(ax, tr("day of the week"), tr("contacts / mean per day"))
    return finish_figure(fig, tr("Weekly profile of contacts"), fit.scenario.name,
                         note=tr("bars: {level} intervals", level=percent(fit.confidence)))


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
    style_axes(ax, tr("hour of the day"), tr("share of the day's contacts"))
    return finish_figure(fig, tr("Hourly profile of contacts"), fit.scenario.name,
                         note=tr("bars: {level} intervals", level=percent(fit.confidence)))


def daily_figure(fit: Fit) -> Figure:
    """Customer contacts per day of the records (mean and band over replications)."""
    fig, (ax,) = new_figure()
    ci = mean_ci(fit.daily, "day", "contacts", fit.confidence)
    plot_band(ax, ci["day"], ci, series_style(0), tr("contacts"))
    expected = fit.daily.groupby("day")["expected"].first()
    ax.step(expected.index, expected.to_numpy(), where="mid", color=EDGE_COLOR, linestyle="--",
            linewidth=1.0, label=tr("fitted scenario (profile and shocks)"))
    style_axes(ax, tr("day of the records"), tr("customer contacts"))
    legend(ax, loc="best")
    first = dt.date.fromisoformat(str(fit.daily["date"].iat[0]))
    return finish_figure(fig, tr("Contacts per day"), fit.scenario.name,
                         note=tr("day 0 = {date}", date=date_text(first)))


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
    verdict = (tr("The fitted scenario reproduces every KPI.") if bt.agrees else
               tr("The fitted scenario does **not** reproduce: {names}.",
                  names=listing(kpi_name(c.kpi) for c in bt.checks if not c.agrees)))
    caveat = "" if bt.unit == "replication" else tr(
        " Weeks of one history are not independent (backlogs carry over), so these intervals "
        "are somewhat narrow.")
    out = [tr("## Back-test"), "",
           tr("The fitted scenario simulated ({reps} replications, seed {seed}) and measured like "
              "the records, one value per {unit}. Difference: fitted minus records, Welch "
              "interval at {each} each ({level} jointly). {verdict}{caveat}",
              reps=bt.replications, seed=bt.seed, unit=tr(bt.unit), each=each, level=level,
              verdict=verdict, caveat=caveat), ""]
    ci = tr("{level} CI", level=level)
    return out + _table(
        [tr("KPI"), tr("records"), ci, tr("fitted run"), ci,
         tr("difference ({level})", level=each), tr("agrees")],
        [[kpi_name(c.kpi), _num(c.records.value), _ci(c.records), _num(c.fitted.value),
          _ci(c.fitted),
          f"{_num(c.fitted.value - c.records.value)} [{_num(c.diff_low)}, {_num(c.diff_high)}]",
          tr("yes") if c.agrees else f"**{tr('no')}**"] for c in bt.checks])


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
    ci = tr("{level} CI", level=level)
    first = logs.origin.date().toordinal() + int(logs.start // 1440)
    dates = (datetime.fromordinal(first).date(),
             datetime.fromordinal(first + round(logs.days) - 1).date())
    base = f"`{fit.base_source}`" if fit.base_source else tr("none (a minimal scenario)")
    span = (tr("{days:g} days, {reps} replications", days=logs.days, reps=logs.reps)
            if logs.reps > 1 else tr("{days:g} days", days=logs.days))
    out = [tr("# Fit report: {name}", name=fit.scenario.name), "",
           tr("Fitted scenario: `{file}`. Base scenario: {base}. Records from {first} to {last} "
              "({span}). Intervals: {level}.", file=scenario_file, base=base,
              first=date_text(dates[0]), last=date_text(dates[1]), span=span, level=level),
           ""]
    out += _table([tr("log"), tr("file"), tr("rows")],
                  [[kind, f"`{logs.sources[kind]}`", str(len(table))]
                   for kind, table in logs.tables.items()])
    if fit.notes:
        out += [tr("## Remarks"), "", *[f"- {note}" for note in fit.notes], ""]
    kpis = kpi_summary(fit.kpis, fit.confidence)
    units = len(fit.kpis.dropna(subset=["service_level"]))
    unit = sample_unit(logs.reps)
    out += [tr("## KPIs measured on the records"), "",
            tr("Per {unit} of the records ({n} {unit}s; the weekly service level averaged within "
               "a replication), then mean and {level} t-interval over {unit}s. `fit --backtest "
               "N` simulates the fitted scenario and compares.", unit=tr(unit), n=units,
               level=level), ""]
    out += _table([tr("KPI"), tr("mean"), ci],
                  [[kpi_name(name), _num(kpis[name].value), _ci(kpis[name])]
                   for name in LOG_KPIS if name in kpis])
    if backtest is not None:
        out += backtest_markdown(backtest)
    by_path = {p.path: p for p in fit.params}
    rate = by_path["demand.contacts_per_day"]
    out += [tr("## Demand"), "",
            tr("Customer contacts per day: **{rate}** {ci} ({n} contacts; interval over weekly "
               "totals). Follow-up complaints are left out: the model makes them itself.",
               rate=_num(rate.estimate.value), ci=_ci(rate.estimate), n=rate.n), ""]
    out += _table([tr("type"), tr("share"), ci],
                  [[p.path.rsplit(".", 1)[1], _num(p.estimate.value), _ci(p.estimate)]
                   for p in fit.params if p.path.startswith("demand.mix.")])
    out += [f"![{tr('contacts per day')}](charts/contacts_per_day.png)", ""]
    events = fit.scenario.demand.events
    if events:
        out += [tr("Demand shocks (runs of days off the steady profile, fitted as "
                   "`demand.events`; day 0 is the fitted scenario's `start_date`):"), ""]
        out += _table([tr("event"), tr("days"), tr("types"), tr("multiplier"), ci],
                      [[e.name, tr("{first:g} to {last:g}", first=e.start_day,
                                   last=e.start_day + e.days - 1),
                        listing(e.types), _num(e.multiplier),
                        _ci(by_path[f"demand.events.{i}.multiplier"].estimate)]
                       for i, e in enumerate(events)])
    weekly = [p for p in fit.params if p.path.startswith("demand.weekly_profile.")]
    out += _table(["", *weekdays()],
                  [[tr("weight"), *[_num(p.estimate.value) for p in weekly]],
                   [ci, *[_ci(p.estimate) for p in weekly]]])
    out += [f"![{tr('weekly profile')}](charts/weekly_profile.png)", "",
            f"![{tr('hourly profile')}](charts/hourly_profile.png)", ""]
    out += [tr("## Durations"), "",
            tr("The best of exponential, lognormal and gamma by AIC (lower is better), fitted by "
               "maximum likelihood; intervals from the likelihood's curvature. Patience counts "
               "answered callers as right-censored at their wait. KS: largest gap between the "
               "empirical and the fitted distribution function."), ""]
    rows = []
    for path, d in fit.dists.items():
        aic = [_num(d.aic[f]) if f in d.aic else "-" for f in ("exponential", "lognormal",
                                                                 "gamma")]
        varies = d.family != "constant"
        rows.append([f"`{path}`", unit_name(unit_of(path)), str(d.n), str(d.censored),
                     family_name(d.family),
                     f"{_num(d.mean.value)} {_ci(d.mean) if varies else ''}".strip(),
                     f"{_num(d.cv.value)} {_ci(d.cv) if d.family in ('lognormal', 'gamma') else ''}"
                     .strip(), f"{d.ks:.3f}", *aic])
    out += _table([tr("key"), tr("unit"), tr("n"), tr("censored"), tr("chosen"), tr("mean"),
                   tr("cv"), "KS", tr("AIC exp."), tr("AIC lognormal"), tr("AIC gamma")], rows)
    for path, d in fit.dists.items():
        if has_qq(d):
            out += [f"![{path}](charts/{_stem(path)}.png)", ""]
    other = [p for p in fit.params if not p.path.startswith(("demand.weekly_profile.",
                                                             "demand.hourly_profile.",
                                                             "demand.mix.",
                                                             "demand.contacts_per_day"))]
    out += [tr("## Shares and probabilities"), ""]
    out += _table([tr("key"), tr("estimate"), ci, tr("n")],
                  [[f"`{p.path}`", _num(p.estimate.value), _ci(p.estimate), str(p.n)]
                   for p in other])
    out += [tr("## Taken from the base"), "",
            tr("Not in the logs (staffing, costs, targets, policies): the scenario keeps the "
               "base's values.") if fit.base_source else
            tr("No base was given: staffing is a lower bound from the records, with no costs or "
               "targets."), ""]
    out += _table([tr("key"), tr("why")], [[f"`{path}`", why] for path, why in fit.from_base])
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
