"""What the charts, the KPI table and the report read from a run, whether it is in memory
(``sim.experiments.replicate.RunResult``) or read back from a finished results folder
(``sim.output.saved.SavedRun``): ``RunView``, and the names of the files that hold each table.

This module owns that contract only; it imports no other output module, so every one of them can
type against it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import pandas as pd

from sim.measure.stats import TargetJudgement
from sim.scenario.format import Scenario

TABLE_FILES: dict[str, str] = {
    "replications": "replications.csv", "summary": "summary.csv", "daily": "daily.csv",
    "hourly": "hourly.csv", "wait_hist": "wait_histogram.csv",
    "turnaround_hist": "turnaround_histogram.csv", "budget": "budget.csv",
    "appraisal": "appraisal.csv", "late_drivers": "late_drivers.csv"}
"""The tables of a run folder: ``RunView`` attribute -> file name."""
SCENARIO_FILE, SUMMARY_JSON = "scenario.yaml", "summary.json"
RISK_REGISTER_FILE = "risk_register.csv"


class RunView(Protocol):
    """A run as the results folder describes it: the resolved scenario, the root seed and the
    tables of ``TABLE_FILES`` with the targets' verdicts."""

    @property
    def scenario(self) -> Scenario:
        """The resolved scenario."""

    @property
    def seed(self) -> int:
        """The root seed."""

    @property
    def replications(self) -> pd.DataFrame:
        """One row per replication: ``rep``, ``seed``, every KPI."""

    @property
    def daily(self) -> pd.DataFrame:
        """Per replication and day: the daily series."""

    @property
    def hourly(self) -> pd.DataFrame:
        """Per replication and hour of the week."""

    @property
    def wait_hist(self) -> pd.DataFrame:
        """Pooled waits of answered calls, by bin."""

    @property
    def turnaround_hist(self) -> pd.DataFrame:
        """Pooled repair turnaround, by bin."""

    @property
    def budget(self) -> pd.DataFrame:
        """The budget by calendar month (``sim.experiments.budget``)."""

    @property
    def appraisal(self) -> pd.DataFrame:
        """The appraisal by calendar month and quarter (``sim.experiments.appraisal``)."""

    @property
    def late_drivers(self) -> pd.DataFrame:
        """Per replication and cause, why repairs were late (empty without field service)."""

    @property
    def summary(self) -> pd.DataFrame:
        """Per KPI: mean, std, 95% interval, n."""

    @property
    def targets(self) -> Mapping[str, TargetJudgement]:
        """The verdict of each target over the horizon."""
