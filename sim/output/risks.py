"""The results folder of a risk register: the base run's own files (so ``aftersales-sim pack``
makes a budget pack of it, with the risk matrix), the register's tables, the resolved register
and every scenario it ran, and the risk matrix chart.

Files: everything of a run folder for the base company (``sim.output.export.write_run_files``),
``risk_register.csv`` (one row per risk, ranked), ``risk_breaches.csv`` (per risk and target),
``risks.yaml`` (the resolved register: its base is the folder's ``scenario.yaml``, so it reruns
from here), ``scenarios/<label>.yaml`` and ``charts/risk_matrix.png|svg``; ``manifest.json``
last.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sim.experiments.risks.run import RegisterResult
from sim.output.charts.management import risk_matrix
from sim.output.export import run_manifest_extra, write_run_files
from sim.output.folder import ResultsFolder, manifest
from sim.output.run_view import RISK_REGISTER_FILE, SCENARIO_FILE
from sim.scenario.loader import scenario_to_yaml
from sim.scenario.yaml_io import to_yaml

BREACHES_FILE = "risk_breaches.csv"


def register_to_yaml(result: RegisterResult) -> str:
    """The resolved register: every shock resolved, the base the folder's scenario.yaml."""
    plan = result.plan
    risks: list[dict[str, Any]] = []
    for planned in plan.risks:
        risk = planned.risk
        entry: dict[str, Any] = {"name": risk.name, "category": risk.category,
                                 "likelihood_per_year": risk.likelihood_per_year,
                                 "description": risk.description,
                                 "shock": planned.shock.model_dump(mode="json")}
        if risk.response is not None:
            entry["response"] = risk.response.model_dump(mode="json")
        risks.append(entry)
    document = {"name": plan.name, "description": plan.description, "base": SCENARIO_FILE,
                "replications": result.replications, "seed": result.seed,
                "breach_day_cost": plan.breach_day_cost, "risks": risks}
    return (f"# Resolved risk register `{plan.name}`: its base is {SCENARIO_FILE} in this "
            "folder (targets included).\n" + to_yaml(document))


def write_register(result: RegisterResult, out: Path, command: list[str], started: datetime,
                   ended: datetime | None = None, overwrite: bool = False) -> Path:
    """Write the register's folder ``out``; ``manifest.json`` comes last (``overwrite`` as for
    ``sim.output.folder.ResultsFolder``)."""
    base = result.plan.base
    with ResultsFolder(out, overwrite) as folder:
        write_run_files(folder, result.base_run)
        folder.write_csv(RISK_REGISTER_FILE, result.table)
        folder.write_csv(BREACHES_FILE, result.breaches)
        folder.write_text("risks.yaml", register_to_yaml(result))
        for label, scenario in result.scenarios.items():
            folder.write_text(f"scenarios/{label.replace(':', '-')}.yaml",
                              scenario_to_yaml(scenario))
        folder.write_figure("risk_matrix", risk_matrix(result.table, base.currency,
                                                       result.plan.name))
        extra = run_manifest_extra(result.base_run) | {
            "register": result.plan.name, "base_scenario": base.name,
            "risks": [r.name for r in result.plan.risks]}
        folder.finish(manifest(result.seed, result.replications, command, started,
                               ended or datetime.now().astimezone(), extra))
    return out
