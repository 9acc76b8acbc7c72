"""A finished results folder read back: its tables, scenario and verdicts as a ``RunView``.

This module owns ``SavedRun`` and reading it from a folder (``read_saved_run``) or from the bytes
of its files (``saved_run_from_files``; the explorer hands it the bytes a run folder would hold,
``sim.output.export.run_files``, so the budget pack it builds is the one ``aftersales-sim pack``
builds from the folder, byte for byte). Floats are read back exactly (``round_trip``), and every
problem (a missing file, a table that does not parse, a scenario that no longer validates) is a
``ScenarioError`` naming the file.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sim.measure.stats import TargetJudgement
from sim.output.folder import MANIFEST_NAME, is_finished
from sim.output.run_view import RISK_REGISTER_FILE, SCENARIO_FILE, SUMMARY_JSON, TABLE_FILES
from sim.scenario.format import Scenario
from sim.scenario.loader import load_scenario_text
from sim.scenario.problems import Problem, ScenarioError

OPTIONAL_FILES = (RISK_REGISTER_FILE,)
# The floats the folder wrote, bit for bit: pandas 3 parses them exactly by default (and
# deprecates the option); pandas 2 needs `round_trip`.
_EXACT_FLOATS: dict[str, Any] = ({} if int(pd.__version__.split(".")[0]) >= 3
                                 else {"float_precision": "round_trip"})
"""Files a run folder may hold beyond a plain run's (a risk register's folder has them)."""


@dataclass(frozen=True)
class SavedRun:
    """A run as its results folder holds it (see ``sim.output.run_view.RunView``).

    Attributes:
        files: The bytes of every file read (``scenario.yaml``, ``summary.json``, the tables):
            the budget pack copies the CSVs from here unchanged.
        risk_register: ``risk_register.csv`` when the folder is a risk register's, else None.
    """

    scenario: Scenario
    seed: int
    replications: pd.DataFrame
    daily: pd.DataFrame
    hourly: pd.DataFrame
    wait_hist: pd.DataFrame
    turnaround_hist: pd.DataFrame
    budget: pd.DataFrame
    appraisal: pd.DataFrame
    late_drivers: pd.DataFrame
    summary: pd.DataFrame
    targets: dict[str, TargetJudgement]
    files: Mapping[str, bytes]
    risk_register: pd.DataFrame | None = None


def _problem(name: str, message: str) -> ScenarioError:
    return ScenarioError([Problem(name, None, "", message)])


def _csv(files: Mapping[str, bytes], name: str) -> pd.DataFrame:
    try:
        return pd.read_csv(io.BytesIO(files[name]), **_EXACT_FLOATS)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise _problem(name, f"not a readable CSV table: {err}") from None


def saved_run_from_files(files: Mapping[str, bytes]) -> SavedRun:
    """Read a run from the bytes of its folder's files (name -> bytes).

    Raises:
        ScenarioError: A file is missing or does not parse, naming it.
    """
    needed = [SCENARIO_FILE, SUMMARY_JSON, *TABLE_FILES.values()]
    missing = [n for n in needed if n not in files]
    if missing:
        raise _problem(missing[0], "missing: a finished run folder has "
                                   f"{', '.join(needed)}")
    scenario = load_scenario_text(files[SCENARIO_FILE].decode("utf-8"), SCENARIO_FILE)
    try:
        document = json.loads(files[SUMMARY_JSON].decode("utf-8"))
        seed = int(document["seed"])
        targets = {name: TargetJudgement(float(v["target"]), v["direction"], bool(v["met"]),
                                         v["status"])
                   for name, v in document.get("targets", {}).items()}
    except (ValueError, KeyError, TypeError) as err:
        raise _problem(SUMMARY_JSON, f"not a run summary: {err}") from None
    tables = {attr: _csv(files, name) for attr, name in TABLE_FILES.items()}
    register = _csv(files, RISK_REGISTER_FILE) if RISK_REGISTER_FILE in files else None
    return SavedRun(scenario=scenario, seed=seed, targets=targets, files=dict(files),
                    risk_register=register, **tables)


def read_saved_run(folder: Path) -> SavedRun:
    """Read a finished results folder (one with ``manifest.json``).

    Raises:
        ScenarioError: The folder is not a finished run folder, or a file is missing or broken.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise _problem(str(folder), "no such results folder")
    if not is_finished(folder):
        raise _problem(str(folder), f"not a finished results folder (no {MANIFEST_NAME}): run "
                                    "it again or choose a folder written by `aftersales-sim run`")
    names = [SCENARIO_FILE, SUMMARY_JSON, *TABLE_FILES.values(), *OPTIONAL_FILES]
    files = {}
    for name in names:
        path = folder / name
        if path.is_file():
            try:
                files[name] = path.read_bytes()
            except OSError as err:
                raise _problem(str(path), f"cannot read: {err.strerror or err}") from None
    try:
        return saved_run_from_files(files)
    except ScenarioError as err:
        raise ScenarioError([Problem(str(folder / p.file), p.line, p.path, p.message)
                             for p in err.problems]) from None


def manifest_date(folder: Path) -> str | None:
    """The local date (``YYYY-MM-DD``) a finished folder's run ended, from its manifest."""
    try:
        ended = json.loads((Path(folder) / MANIFEST_NAME).read_text(encoding="utf-8"))["ended"]
        moment = datetime.fromisoformat(str(ended).replace("Z", "+00:00"))
        return moment.astimezone().date().isoformat()
    except (OSError, ValueError, KeyError, TypeError):
        return None
