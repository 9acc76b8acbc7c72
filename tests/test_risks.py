"""The risk register: impacts, expected yearly impact and the ranking on a register computable by
hand, a response that removes a shock's effect shows a significant paired gain, the command
writes its folder (which `pack` turns into a budget pack with the risk matrix), and a bad
register is refused with a located error and nothing written."""

from __future__ import annotations

import io
import math
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from sim.cli import main
from sim.experiments.risks.impact import (
    RiskInfo,
    breach_days,
    impact_parts,
    register_table,
)
from sim.experiments.risks.register import CATEGORIES, load_register

ROOT = Path(__file__).resolve().parents[1]

# --- by hand ---------------------------------------------------------------------------------


def _outcome(cost: list[float], revenue: list[float], late: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"rep": range(len(cost)), "total_cost": cost, "revenue": revenue,
                         "breach.repair_on_time_rate": late})


BASE = _outcome([1000, 1100, 1200], [5000, 5000, 5000], [1, 0, 2])


def test_breach_days_count_the_days_on_the_wrong_side() -> None:
    daily = pd.DataFrame({"rep": [0, 0, 0, 1, 1, 1], "day": [0, 1, 2] * 2,
                          "repair_on_time_rate": [0.95, 0.85, np.nan, 0.89, 0.9, 0.7],
                          "abandon_rate": [0.01, 0.06, 0.05, 0.2, 0.0, np.nan]})
    table = breach_days(daily, {"repair_on_time_rate": 0.9, "abandon_rate": 0.05})
    assert table["breach.repair_on_time_rate"].tolist() == [1.0, 2.0]  # 0.9 itself meets it
    assert table["breach.abandon_rate"].tolist() == [1.0, 1.0]


def test_a_register_by_hand_ranks_by_expected_yearly_impact() -> None:
    # Risk A: +100, +120, +140 of cost, no revenue lost, no extra breach: impact 120 a time,
    # twice in ten years: 24 a year. Risk B: 10 of cost and 20 of revenue lost a time, and one
    # extra breach day at 5 a day: impact 35, once a year: 35 a year. B ranks first.
    a = _outcome([1100, 1220, 1340], [5000, 5000, 5000], [1, 0, 2])
    b = _outcome([1010, 1110, 1210], [4980, 4980, 4980], [2, 1, 3])
    cost = {"repair_on_time_rate": 5.0}
    impacts = {"A": impact_parts(a, BASE, cost), "B": impact_parts(b, BASE, cost)}
    assert impacts["A"]["impact"].tolist() == [100.0, 120.0, 140.0]
    assert impacts["B"]["impact"].tolist() == [35.0, 35.0, 35.0]
    assert impacts["B"]["breach_cost"].tolist() == [5.0, 5.0, 5.0]
    # A response to A that removes its effect: the shocked and base runs with it are equal.
    removed = impact_parts(BASE, BASE, cost)
    infos = [RiskInfo("A", "quality", 0.2, "defect_wave", "stock", 20.0),
             RiskInfo("B", "market", 1.0, "demand_surge")]
    table = register_table(infos, impacts, {"A": removed}).set_index("risk")
    assert table.loc["B", "rank"] == 1 and table.loc["A", "rank"] == 2
    assert table.loc["A", "impact"] == pytest.approx(120.0)
    assert table.loc["A", "expected_yearly_impact"] == pytest.approx(24.0)
    assert table.loc["B", "expected_yearly_impact"] == pytest.approx(35.0)
    assert table.loc["B", "impact_ci_low"] == table.loc["B", "impact_ci_high"] == 35.0
    # t(0.975, 2) x 20 / sqrt(3) either side of 120
    assert table.loc["A", "impact_ci_high"] - 120 == pytest.approx(4.302653 * 20 / math.sqrt(3),
                                                                   rel=1e-5)
    assert table.loc["A", "response_reduction"] == pytest.approx(120.0)
    assert bool(table.loc["A", "response_gain_significant"])
    assert table.loc["A", "response_yearly_saving"] == pytest.approx(24.0)
    assert bool(table.loc["A", "response_pays"]) and table.loc["A", "response_net_per_year"] \
        == pytest.approx(4.0)
    assert not bool(table.loc["A", "response_pays_surely"])  # the saving's interval reaches 20
    assert table.loc["B", "response_pays"] is None


# --- a real run ------------------------------------------------------------------------------

TINY = """
name: tiny
seed: 7
replications: 4
start_date: 2027-03-01
warmup_days: 0
horizon_days: 21
demand:
  contacts_per_day: 400
  mix: {inquiry: 0.7, repair: 0.3}
call_center:
  agents: 4
  handle_minutes: {inquiry: 5, repair: 6}
  patience_minutes: {dist: exponential, mean: 3}
field_service:
  promised_hours: {onsite: 24}
  technicians: 6
  repair_minutes: {dist: exponential, mean: 50}
parts:
  need_probability: 0.5
  skus:
    - {sku: pump, share: 1.0, unit_cost: 50, initial_on_hand: 300,
       policy: {type: base_stock, level: 300}, lead_time_days: 2}
costs: {agent_per_hour: 20, technician_per_hour: 30, late_repair_penalty: 40}
revenue: {repair_fee: {onsite: 100}}
targets: {service_level: 0.8, repair_on_time_rate: 0.9, fill_rate: 0.9}
"""

REGISTER = """name: tiny-risks
base: tiny.yaml
breach_day_cost: {repair_on_time_rate: 1000, fill_rate: 200}
risks:
  - name: embargo
    category: legal
    likelihood_per_year: 0.5
    shock: {type: supplier_delay, start_day: 3, days: 10, lead_time_multiplier: 5}
    response:
      description: parts on consignment
      set: {parts.skus.0.lead_time_days: 0}
      cost_per_year: 5000
  - name: flu
    category: personnel
    likelihood_per_year: 1
    shock:
      - {type: absence, start_day: 5, days: 5, share: 0.5, crews: [technicians]}
      - {type: demand_surge, start_day: 4, days: 6, multiplier: 1.5, types: [repair]}
  - name: outage
    category: technical
    likelihood_per_year: 3
    shock: {type: system_outage, start_day: 7, start_hour: 9, hours: 5}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("risks")
    (path / "tiny.yaml").write_text(TINY)
    (path / "register.yaml").write_text(REGISTER)
    out = path / "out"
    assert main(["risks", str(path / "register.yaml"), "--workers", "1", "--quiet",
                 "--out", str(out)]) == 0
    return out


def test_the_register_folder_ranks_every_risk(folder: Path) -> None:
    table = pd.read_csv(folder / "risk_register.csv")
    assert list(table["rank"]) == [1, 2, 3]
    assert set(table["risk"]) == {"embargo", "flu", "outage"}
    expected = table["likelihood_per_year"] * table["impact"]
    np.testing.assert_allclose(table["expected_yearly_impact"], expected)
    assert (table["expected_yearly_impact"].diff().dropna() <= 0).all()
    assert (table["impact_ci_low"] <= table["impact"]).all()
    breaches = pd.read_csv(folder / "risk_breaches.csv")
    assert set(breaches["target"]) == {"service_level", "repair_on_time_rate", "fill_rate"}
    for name in ("scenario.yaml", "budget.csv", "appraisal.csv", "risks.yaml", "manifest.json",
                 "charts/risk_matrix.png", "scenarios/embargo+response.yaml"):
        assert (folder / name).is_file(), name
    again = load_register(folder / "risks.yaml")  # the resolved register reruns from here
    assert [r.name for r in again.risks] == ["embargo", "flu", "outage"]


def test_a_response_that_removes_the_shock_gains_significantly(folder: Path) -> None:
    row = pd.read_csv(folder / "risk_register.csv").set_index("risk").loc["embargo"]
    # With no lead time, the delayed orders arrive at once: the shock does nothing, so the
    # whole impact is the response's gain, well above zero.
    assert row["impact_ci_low"] > 0
    assert row["response_reduction"] == pytest.approx(row["impact"])
    assert row["response_gain_significant"] and row["response_reduction_ci_low"] > 0
    assert row["response_yearly_saving"] == pytest.approx(0.5 * row["impact"])
    assert row["response_pays"] == (row["response_yearly_saving"] > 5000)


def test_pack_of_a_register_holds_the_risk_matrix(folder: Path) -> None:
    out = folder.parent / "risks_pack.zip"
    assert main(["pack", str(folder), "--date", "2026-12-01", "--out", str(out),
                 "--quiet"]) == 0
    with zipfile.ZipFile(out) as zf:
        assert "charts/risk_matrix.png" in zf.namelist()
        assert zf.read("tables/risk_register.csv") == (folder / "risk_register.csv").read_bytes()
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(
            zf.read("report.pdf"))).pages)
    assert "Risk matrix: likelihood x impact" in text
    assert "Risk register, ranked by expected yearly impact" in text and "embargo" in text


@pytest.mark.parametrize(("edit", "where"), [
    (("category: legal", "category: weather"), "register.yaml:6: risks.0.category:"),
    (("likelihood_per_year: 3", "likelihood_per_year: 0"),
     "register.yaml:21: risks.2.likelihood_per_year: must be greater than 0"),
    (("lead_time_multiplier: 5}", "lead_time_multiplier: 5, skus: [valve]}"),
     "risks.0.shock.skus: unknown SKU valve"),
    (("parts.skus.0.lead_time_days: 0", "parts.skus.3.lead_time_days: 0"),
     "risks.0.response.set.parts.skus.3"),
    (("parts.skus.0.lead_time_days: 0", "parts.skus.0.lead_time_days: -1"),
     "risks.0.response.set.parts.skus.0.lead_time_days"),
    (("fill_rate: 200}", "csat_mean: 200}"),
     "breach_day_cost.csat_mean: `csat_mean` has no target"),
    (("name: flu", "name: embargo"), "risk name(s) listed twice: embargo"),
])
def test_bad_registers_exit_2_and_write_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: tuple[str, str],
        where: str) -> None:
    (tmp_path / "tiny.yaml").write_text(TINY)
    path = tmp_path / "register.yaml"
    path.write_text(REGISTER.replace(*edit))
    assert main(["risks", str(path), "--quiet", "--out", str(tmp_path / "out")]) == 2
    assert where in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_shipped_register_covers_the_five_categories() -> None:
    plan = load_register(ROOT / "scenarios" / "risks.yaml")
    assert {r.risk.category for r in plan.risks} == set(CATEGORIES)
    assert plan.base.name == "baseline"
    assert any(r.response_base is not None for r in plan.risks)


def test_the_shipped_responses_add_what_they_say_to_the_base() -> None:
    """Each shipped response adds staff or stock: every number it sets is above the base's.
    (When the baseline was retuned to 50 day technicians, "two more technicians" still set 42:
    the response cut eight and read as significantly worse.)"""
    plan = load_register(ROOT / "scenarios" / "risks.yaml")
    base = plan.base.model_dump()

    def at(doc: object, path: str) -> object:
        for part in path.split("."):
            doc = doc[int(part)] if isinstance(doc, list | tuple) else doc[part]  # type: ignore[index]
        return doc

    checked = 0
    for planned in plan.risks:
        if planned.risk.response is None:
            continue
        for path, value in planned.risk.response.set.items():
            numbers = value.items() if isinstance(value, dict) else [("", value)]
            for key, number in numbers:
                if isinstance(number, int | float):
                    before = at(base, f"{path}.{key}" if key else path)
                    assert isinstance(before, int | float) and number > before, (
                        planned.risk.name, path, key, before, number)
                    checked += 1
    assert checked >= 3
