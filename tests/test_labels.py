"""The words a reader sees: every KPI and unit of the catalogue has a label, and the number
formats never print a raw decimal, "None" or "currency"."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sim.cli.common import kpi_table
from sim.experiments.replicate import replicate
from sim.measure.catalog import KPI_BY_NAME, KPI_NAMES
from sim.output.labels import KPI_LABELS, UNIT_LABELS, column_label, kpi_unit_label, unit_label
from sim.output.numbers import format_difference, format_interval
from sim.scenario.loader import load_scenario

TINY = Path(__file__).resolve().parent / "data" / "app" / "tiny.yaml"


def test_every_catalogue_kpi_has_a_label_and_no_label_is_stale() -> None:
    assert set(KPI_NAMES) - set(KPI_LABELS) == set()
    assert set(KPI_LABELS) - set(KPI_NAMES) == set()
    assert len(set(KPI_LABELS.values())) == len(KPI_LABELS)  # two KPIs never read alike


def test_every_catalogue_unit_prints() -> None:
    units = {info.unit for info in KPI_BY_NAME.values()}
    assert units - {"currency"} <= set(UNIT_LABELS)
    for name in KPI_NAMES:
        printed = kpi_unit_label(name, "EUR")
        assert printed and printed != "currency", name
    assert unit_label("currency", "EUR") == "EUR"


def test_a_table_heading_is_never_a_raw_name() -> None:
    for raw in ("first_break_day", "total_cost_diff_ci", "meets_targets", "service_level"):
        assert "_" not in column_label(raw)


@pytest.mark.parametrize(("low", "high", "unit", "expected"), [
    (0.939, 0.949, "share", "93.9–94.9%"),
    (-317877.0, -269743.0, "currency", "-317,877 to -269,743 EUR"),
    (-1.5, 2.5, "h", "-1.5 to 2.5 h"),
    (math.nan, 1.0, "h", "n/a"),
])
def test_an_interval_reads_with_its_unit_once(low: float, high: float, unit: str,
                                              expected: str) -> None:
    assert format_interval(low, high, unit, "EUR") == expected


def test_a_difference_of_shares_is_in_percentage_points() -> None:
    assert format_difference(0.012, "share", "EUR") == "+1.2 pp"
    assert format_difference(-0.004, "share", "EUR") == "-0.4 pp"
    assert format_difference(1500.0, "currency", "EUR").startswith("+1,500")
    assert format_difference(math.nan, "h", "EUR") == "n/a"


def test_the_cli_kpi_table_gives_every_kpi_its_unit_and_money_its_currency() -> None:
    scenario = load_scenario(TINY, ["currency=CHF"])
    table = kpi_table(replicate(scenario, 2, workers=1)).splitlines()
    rows = {line.split()[0]: line for line in table[1:]}
    assert set(rows) == set(KPI_NAMES)
    for name, line in rows.items():
        assert line.endswith(" " + KPI_BY_NAME[name].unit.replace("currency", "CHF")), line
    assert "currency" not in "\n".join(table)
