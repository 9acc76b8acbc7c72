"""``fit --columns MAP.yaml``: a CRM export with its own column names, values and time formats
fits exactly as the same records written in the event-log format, and a bad map or a bad cell
is reported where it is (exit code 2, no traceback, nothing written)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sim.calibrate.columns import load_column_map
from sim.calibrate.fit import fit_files
from sim.cli import main
from sim.scenario.problems import ScenarioError

DATA = Path(__file__).parent / "data"
MAP = DATA / "crm_columns.yaml"
CALLS, ORDERS = DATA / "crm_calls.csv", DATA / "crm_work_orders.csv"
BASE = Path(__file__).parents[1] / "scenarios" / "baseline.yaml"

# The same records in the log's own columns, translated here by hand with pandas (not through
# the map), so that the map's reader is checked against an independent translation.
CALL_COLUMNS = {"来电编号": "call_id", "来电类型": "type", "来源": "origin",
                "重拨来电": "redial_of", "来电时间": "arrived_at", "处理结果": "outcome",
                "接听时间": "answered_at", "放弃时间": "abandoned_at",
                "通话结束时间": "agent_ended_at"}
ORDER_COLUMNS = {"工单号": "work_order_id", "来电编号": "call_id", "服务方式": "channel",
                 "报修时间": "created_at", "承诺完成时间": "promised_by", "派工时间": "released_at",
                 "上门时间": "first_visit_at", "上门次数": "visits", "备件编号": "part_sku",
                 "完工时间": "finished_at"}
WORDS = {"咨询": "inquiry", "报修": "repair", "投诉": "complaint", "客户": "customer",
         "回访": "followup", "返修": "rework", "接通": "answered", "放弃": "abandoned",
         "占线": "blocked", "排队中": "waiting", "上门": "onsite", "送修": "depot"}


def _schema_copy(folder: Path) -> dict[str, Path]:
    calls = pd.read_csv(CALLS, dtype=str, keep_default_na=False).rename(columns=CALL_COLUMNS)
    orders = pd.read_csv(ORDERS, dtype=str, keep_default_na=False).rename(columns=ORDER_COLUMNS)
    for table, fmt in ((calls, "%Y/%m/%d %H:%M"), (orders, "%Y-%m-%dT%H:%M:%S%z")):
        for col in table.columns:
            if col.endswith("_at") or col == "promised_by":
                stamps = pd.to_datetime(table[col], format=fmt, errors="coerce")
                if fmt.endswith("%z"):
                    stamps = stamps.dt.tz_localize(None)
                table[col] = stamps.dt.strftime("%Y-%m-%dT%H:%M:%S").where(stamps.notna(), "")
            elif col in ("type", "origin", "outcome", "channel"):
                table[col] = table[col].map(lambda v: WORDS.get(v, v))
    paths = {"calls": folder / "calls.csv", "work_orders": folder / "work_orders.csv"}
    calls.to_csv(paths["calls"], index=False)
    orders.to_csv(paths["work_orders"], index=False)
    return paths


def test_export_fits_as_its_schema_copy(tmp_path: Path) -> None:
    mapped = fit_files({"calls": CALLS, "work_orders": ORDERS}, BASE, "crm",
                       columns=load_column_map(MAP))
    plain = fit_files(_schema_copy(tmp_path), BASE, "crm")
    assert mapped.logs.days == plain.logs.days == 14
    rate = {p.path: p.estimate.value for p in mapped.params}
    assert rate["demand.contacts_per_day"] == pytest.approx(
        {p.path: p.estimate.value for p in plain.params}["demand.contacts_per_day"], rel=1e-12)
    assert [(p.path, p.estimate.value, p.n) for p in mapped.params] == \
        [(p.path, p.estimate.value, p.n) for p in plain.params]
    assert set(mapped.dists) == set(plain.dists) and mapped.dists
    for key, dist in mapped.dists.items():
        assert (dist.family, dist.n) == (plain.dists[key].family, plain.dists[key].n), key
        assert dist.mean.value == pytest.approx(plain.dists[key].mean.value, rel=1e-12), key
    # Everything but the description (which names the files read) is the same scenario.
    assert mapped.scenario.model_dump(exclude={"description"}) == \
        plain.scenario.model_dump(exclude={"description"})


def test_cli_fits_the_example_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "from_crm.yaml"
    code = main(["fit", "--columns", str(MAP), "--calls", str(CALLS), "--work-orders",
                 str(ORDERS), "--base", str(BASE), "--out", str(out), "--quiet"])
    assert code == 0 and out.is_file()
    assert "BJ-泵-01" in out.read_text(encoding="utf-8")  # a Chinese SKU code kept as written


def _fit_with_map(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str],
                  calls: Path = CALLS) -> str:
    bad = tmp_path / "map.yaml"
    bad.write_text(text, encoding="utf-8")
    out = tmp_path / "out.yaml"
    code = main(["fit", "--columns", str(bad), "--calls", str(calls), "--out", str(out)])
    assert code == 2 and not out.exists()
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(("text", "expected"), [
    ("calls:\n  columns:\n    来电编号: call_id\n    来电时间: arived_at\n",
     "map.yaml:4: calls.columns.来电时间: 'arived_at' is not a column of the calls log"),
    ("calls:\n  columns:\n    来电编号: call_id\n    编号: call_id\n",
     "map.yaml:4: calls.columns.编号: 'call_id' is already the column '来电编号'"),
    ("calls:\n  columns: {来电编号: call_id}\n  values:\n    outcome: {接通: picked_up}\n",
     "map.yaml:4: calls.values.outcome.接通: 'picked_up' is not a value of outcome"),
    ("time_formats: ['%H:%M']\ncalls:\n  columns: {来电编号: call_id}\n",
     "map.yaml:1: time_formats.0: '%H:%M' does not give a full date"),
    ("calls:\n  colums: {来电编号: call_id}\n", "map.yaml:2: calls.colums"),
    ("tickets:\n  columns: {工单号: work_order_id}\n", "map.yaml:1: tickets"),
])
def test_bad_map_is_located(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
                            expected: str) -> None:
    assert expected in _fit_with_map(tmp_path, text, capsys)


def test_bad_cells_name_the_export_column(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    lines = CALLS.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("2026/11/30 ", "30/11/2026 ", 1)  # file line 4
    lines[5] = lines[5].replace(",接通,", ",接听,", 1)  # file line 6: a value the map lacks
    calls = tmp_path / "calls.csv"
    calls.write_text("\n".join(lines) + "\n", encoding="utf-8")
    err = _fit_with_map(tmp_path, MAP.read_text(encoding="utf-8"), capsys, calls)
    assert f"{calls}:4: 来电时间 (arrived_at): cannot read the time '30/11/2026 " in err
    assert f"{calls}:6: 处理结果 (outcome): unknown value '接听'" in err
    assert err.count(":4: 来电时间") == 1  # said once, by the map, not again by the log reader


def test_missing_export_column_is_named(tmp_path: Path) -> None:
    calls = tmp_path / "calls.csv"
    pd.read_csv(CALLS, dtype=str).drop(columns=["来电时间"]).to_csv(calls, index=False)
    with pytest.raises(ScenarioError) as err:
        fit_files({"calls": calls}, BASE, columns=load_column_map(MAP))
    assert f"{calls}:1: 来电时间 (arrived_at): missing column" in str(err.value)
