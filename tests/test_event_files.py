"""Event logs written as replications arrive (``sim.output.event_files``): the files are those
the stacked tables made, in replication order whatever order the workers finish in, listed in
the manifest; the run's result no longer holds the logs; a failure leaves no folder."""

from __future__ import annotations

import hashlib
import io
import json
import tracemalloc
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

import sim.cli.run
from sim.calibrate.logs import event_tables
from sim.calibrate.read import read_logs
from sim.calibrate.schema import KINDS
from sim.cli import main
from sim.experiments.replicate import replicate
from sim.output.event_files import EventLogFiles, EventLogZip, csv_bytes_estimate, csv_piece
from sim.output.folder import ResultsFolder, csv_text, manifest
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
SHORT = ["horizon_days=7", "warmup_days=2"]


def test_streamed_logs_are_the_stacked_tables_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "out"
    # Two worker processes: replications may finish out of order.
    argv = ["run", str(BASELINE), "--reps", "3", "--workers", "2", "--events", "--quiet",
            "--out", str(out)]
    for key in SHORT:
        argv += ["--set", key]
    assert main(argv) == 0
    held = replicate(load_scenario(BASELINE, SHORT), replications=3, workers=1,
                     logs=event_tables)
    assert held.events is not None and sorted(held.events) == sorted(KINDS)
    files = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]
    for kind, table in held.events.items():
        written = (out / "events" / f"{kind}.csv").read_bytes()
        assert written == csv_text(table).encode("utf-8"), kind
        assert files[f"events/{kind}.csv"] == hashlib.sha256(written).hexdigest()
        assert f"events/{kind}.parquet" in files
    from_csv = read_logs({kind: out / "events" / f"{kind}.csv" for kind in KINDS})
    from_parquet = read_logs({kind: out / "events" / f"{kind}.parquet" for kind in KINDS})
    assert from_csv.reps == from_parquet.reps == 3
    for kind in KINDS:
        pd.testing.assert_frame_equal(from_parquet.tables[kind], from_csv.tables[kind],
                                      check_dtype=False)


def test_the_zip_holds_the_folders_csv_files_and_its_size_is_foreseen(tmp_path: Path) -> None:
    """The explorer's download (``EventLogZip``) is the folder's ``events/*.csv`` byte for byte,
    whatever order the replications finish in, and the estimate that bounds it is the size's
    order of magnitude."""
    scenario = load_scenario(BASELINE, [*SHORT, "replications=3"])
    sink = EventLogZip(date(2026, 12, 4), {"scenario.yaml": b"name: x\n"})
    replicate(scenario, workers=2, logs=event_tables, on_logs=sink)
    data = sink.close()
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert {info.date_time for info in archive.infolist()} == {(2026, 12, 4, 0, 0, 0)}
    assert sorted(archive.namelist()) == sorted(
        [*(f"events/{kind}.csv" for kind in KINDS), "scenario.yaml"])
    held = replicate(scenario, workers=1, logs=event_tables)
    assert held.events is not None
    size = 0
    for kind, table in held.events.items():
        text = archive.read(f"events/{kind}.csv")
        assert text == csv_text(table).encode("utf-8"), kind
        size += len(text)
    assert 0.5 < size / csv_bytes_estimate(scenario) < 2.0
    archive.extractall(tmp_path)
    assert read_logs({kind: tmp_path / "events" / f"{kind}.csv" for kind in KINDS}).reps == 3
    # The same run zipped on the same day is the same file.
    again = EventLogZip(date(2026, 12, 4), {"scenario.yaml": b"name: x\n"})
    replicate(scenario, workers=1, logs=event_tables, on_logs=again)
    assert again.close() == data


def test_the_result_passes_each_replications_logs_on_once_and_keeps_none() -> None:
    seen: list[int] = []
    result = replicate(load_scenario(BASELINE, SHORT), replications=3, workers=1,
                       logs=event_tables, on_logs=lambda rep, tables: seen.append(rep))
    assert sorted(seen) == [0, 1, 2]
    assert result.events is None
    assert len(result.replications) == 3


def test_on_logs_without_logs_is_refused() -> None:
    with pytest.raises(ValueError, match="on_logs"):
        replicate(load_scenario(BASELINE, SHORT), replications=1, workers=1,
                  on_logs=lambda rep, tables: None)


def _tables(rep: int) -> dict[str, pd.DataFrame]:
    # Replication 0 has a text column with no value at all, as a run without booked slots.
    slot = [None, None] if rep == 0 else [f"2026-03-0{rep}T08:00:00.000", None]
    return {"work_orders": pd.DataFrame({"work_order_id": [10 * rep, 10 * rep + 1],
                                         "slot_ends_at": pd.Series(slot, dtype=object),
                                         "minutes": [1.5, float(rep)]})}


def test_replications_arriving_out_of_order_are_written_in_order(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    final = tmp_path / "run"
    with ResultsFolder(final) as folder:
        logs = EventLogFiles(folder)
        logs(2, _tables(2))
        assert logs.written == 0  # waits for replications 0 and 1
        logs(0, _tables(0))
        assert logs.written == 1
        logs(1, _tables(1))
        assert logs.written == 3
        logs.close()
        now = datetime.now(UTC)
        folder.finish(manifest(1, 3, ["test"], now, now))
    stacked = pd.concat([_tables(r)["work_orders"].assign(rep=r) for r in range(3)],
                        ignore_index=True)
    stacked = stacked[["rep", "work_order_id", "slot_ends_at", "minutes"]]
    assert (final / "events" / "work_orders.csv").read_text(encoding="utf-8") == \
        csv_text(stacked)
    back = pd.read_parquet(final / "events" / "work_orders.parquet")
    assert back["rep"].tolist() == [0, 0, 1, 1, 2, 2]
    assert back["slot_ends_at"].tolist()[2] == "2026-03-01T08:00:00.000"
    assert back["slot_ends_at"].isna().tolist() == [True, True, False, True, False, True]
    assert back["minutes"].tolist() == stacked["minutes"].tolist()


def test_a_repeated_or_missing_replication_is_refused(tmp_path: Path) -> None:
    final = tmp_path / "a"
    with (pytest.raises(ValueError, match="without those of replication 1"),
          ResultsFolder(final) as folder):
        logs = EventLogFiles(folder)
        logs(0, _tables(0))
        with pytest.raises(ValueError, match="came twice"):
            logs(0, _tables(0))
        logs(2, _tables(2))
        logs.close()
    assert list(tmp_path.iterdir()) == []


def test_a_run_that_fails_midway_leaves_no_folder(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[int] = []

    def failing(scenario: object, replication: object) -> dict[str, pd.DataFrame]:
        made.append(1)
        if len(made) == 2:
            raise RuntimeError("the second replication's logs fail")
        return event_tables(scenario, replication)  # type: ignore[arg-type]

    monkeypatch.setattr(sim.cli.run, "event_tables", failing)
    out = tmp_path / "out"
    argv = ["run", str(BASELINE), "--reps", "3", "--workers", "1", "--events", "--quiet",
            "--out", str(out)]
    for key in SHORT:
        argv += ["--set", key]
    with pytest.raises(RuntimeError, match="second replication"):
        main(argv)
    assert len(made) == 2  # the first replication's logs were written, then it failed
    assert list(tmp_path.iterdir()) == []  # neither the folder nor its staging directory


def test_the_zip_is_made_without_a_second_copy_of_the_text() -> None:
    """``EventLogZip.close`` zips each file from the buffer it was written into: what the close
    allocates is about the zip, never the text again (a copy of a 256 MiB run's logs would more
    than double the server's memory for it)."""
    rows = 60_000
    table = pd.DataFrame({"work_order_id": range(rows),
                          "channel": ["onsite", "depot", "onsite"] * (rows // 3),
                          "minutes": [0.25 * (i % 97) for i in range(rows)]})
    sink = EventLogZip(date(2026, 12, 4))
    for rep in range(3):
        sink(rep, {"work_orders": table})
    text = sum(len(csv_piece(table, rep)) for rep in range(3))
    tracemalloc.start()
    try:
        data = sink.close()
        allocated = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(data) < 0.3 * text
    # zlib's output and the zip's own buffer take about 2.5 times the zip (0.7 of the text
    # here); a copy of the text would add 1.0 of it
    assert allocated < text
    back = zipfile.ZipFile(io.BytesIO(data)).read("events/work_orders.csv")
    assert back == b"".join(csv_piece(table, rep) for rep in range(3))
