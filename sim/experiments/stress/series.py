"""The daily series a stress test judges: every targeted KPI per replication and day, taken from
each run's ledger, beside the run's daily table (backlog, queue, stock for the daily limits).

This module owns ``DAILY_KPIS`` (the KPIs always carried, targeted or not, for the charts and
``daily.csv``), ``run_daily`` and ``stress_daily_table``. A KPI's daily value is the ledger
combined over that day (``sim.experiments.windows.daily_kpis``), so it has the horizon's
definition and cohort rules: a repair's timeliness counts on the day its work order was created,
a complaint's on the day it was opened, a part request's on the day it was made, a follow-up's on
the day it fell due, a satisfaction score on the day the customer's journey began.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from sim.experiments.replicate import RunResult
from sim.experiments.windows import daily_kpis

DAILY_KPIS: tuple[str, ...] = ("service_level", "abandon_rate", "calls_blocked_rate")
"""KPIs every stress daily table carries, whether targeted or not."""


def judged_kpis(targets: Iterable[str]) -> list[str]:
    """The KPIs a stress daily table carries: ``DAILY_KPIS`` and every targeted KPI."""
    return list(dict.fromkeys([*DAILY_KPIS, *targets]))


def run_daily(run: RunResult, kpis: Iterable[str]) -> pd.DataFrame:
    """A run's daily table with each of ``kpis`` per replication and day from its ledger (the
    ledger's value replaces a column of the same name)."""
    wanted = list(kpis)
    by_day = daily_kpis(run)[["rep", "day", *wanted]]
    own = run.daily.drop(columns=[k for k in wanted if k in run.daily.columns])
    return own.merge(by_day, on=["rep", "day"], how="left", validate="one_to_one")


def stress_daily_table(runs: Mapping[str, RunResult], kpis: Iterable[str]) -> pd.DataFrame:
    """Every run's daily table, one under the other, with a ``shock`` column first (the keys
    of ``runs``, ``baseline`` for the base)."""
    wanted = list(kpis)
    daily = pd.concat([run_daily(run, wanted).assign(shock=name) for name, run in runs.items()],
                      ignore_index=True)
    return daily[["shock", *[c for c in daily.columns if c != "shock"]]]
