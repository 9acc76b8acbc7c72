"""The budget pack from the command line: `aftersales-sim pack` on a baseline results folder gives
a zip whose PDF opens and reads (pages, the KPI table, the budgets by month, the appraisal),
whose CSVs are the folder's byte for byte, the same bytes as the explorer builds from the run,
and whose report pages have no text cut off; a risk register's folder adds the risk matrix."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.table import Table
from matplotlib.text import Text
from pypdf import PdfReader

from sim.cli import main
from sim.experiments.replicate import replicate
from sim.output import report
from sim.output.export import run_files
from sim.output.saved import read_saved_run, saved_run_from_files
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]
DAY = dt.date(2026, 12, 1)
# The golden run's settings: the shipped baseline, short, so a heat wave and two months are in it.
ARGS = ["--reps", "2", "--set", "horizon_days=35", "--set", "start_date=2027-01-25",
        "--workers", "1", "--quiet"]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pack") / "baseline"
    assert main(["run", str(ROOT / "scenarios" / "baseline.yaml"), *ARGS, "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def pack(baseline: Path) -> bytes:
    zip_path = baseline.parent / "pack.zip"
    assert main(["pack", str(baseline), "--date", DAY.isoformat(), "--out", str(zip_path),
                 "--quiet"]) == 0
    return zip_path.read_bytes()


def cut_off(fig: Figure) -> list[str]:
    """Texts of a page that do not fit: outside the page, or wider than their table cell."""
    canvas = FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    fig.draw(renderer)
    page = fig.bbox
    undrawn = set()  # tick labels outside an axis's limits: matplotlib does not draw them
    for ax in fig.axes:
        for at, axis, limits in ((0, ax.xaxis, ax.get_xlim()), (1, ax.yaxis, ax.get_ylim())):
            lo, hi = sorted(limits)
            for label in [*axis.get_ticklabels(), *axis.get_ticklabels(minor=True)]:
                if not lo - 1e-9 <= label.get_position()[at] <= hi + 1e-9:
                    undrawn.add(id(label))
    bad = []
    for text in fig.findobj(Text):
        if not text.get_visible() or not text.get_text().strip() or id(text) in undrawn:
            continue
        box = text.get_window_extent(renderer)
        if box.x0 < page.x0 - 1 or box.x1 > page.x1 + 1 or box.y0 < page.y0 - 1 \
                or box.y1 > page.y1 + 1:
            bad.append(f"off the page: {text.get_text()[:60]!r}")
    for table in fig.findobj(Table):
        for cell in table.get_celld().values():
            width = cell.get_window_extent(renderer).width
            if cell.get_text().get_window_extent(renderer).width > width + 1:
                bad.append(f"wider than its cell: {cell.get_text().get_text()!r}")
    return bad


def test_the_pack_pdf_opens_and_reads(pack: bytes, baseline: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(pack)) as zf:
        reader = PdfReader(io.BytesIO(zf.read("report.pdf")))
    saved = read_saved_run(baseline)
    assert len(reader.pages) == len(report.report_pages(saved, DAY))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for words in ("Budget pack: baseline - assumptions", "Key figures with 95% confidence",
                  "service_level", "repair_on_time_rate", "Budget by calendar month",
                  "Cost budget: total", "Revenue budget: total_revenue", "Result: margin",
                  "2027-01", "2027-02", "KPI appraisal by calendar month",
                  "KPI appraisal by calendar quarter", "2027-Q1", "day 0 is 2027-01-25"):
        assert words in text, words
    # A number of the KPI table as the folder has it.
    level = saved.summary.set_index("kpi").loc["service_level", "mean"]
    assert f"{level:.1%}" in text
    assert f"page {len(reader.pages)} of {len(reader.pages)}" in text


def test_the_zip_holds_the_folders_tables_unchanged(pack: bytes, baseline: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(pack)) as zf:
        names = zf.namelist()
        tables = [n for n in names if n.startswith("tables/")]
        in_folder = [n for n in tables if (baseline / Path(n).name).is_file()]
        assert {Path(n).name for n in in_folder} >= {"budget.csv", "appraisal.csv",
                                                      "replications.csv", "summary.csv",
                                                      "daily.csv"}
        for name in in_folder:
            assert zf.read(name) == (baseline / Path(name).name).read_bytes(), name
        assert zf.read("scenario.yaml") == (baseline / "scenario.yaml").read_bytes()
        assert any(n.startswith("charts/") and n.endswith(".png") for n in names)


def test_the_pack_is_the_explorers(pack: bytes, baseline: Path) -> None:
    # The explorer builds its pack from the files the run would write: the same bytes.
    scenario = load_scenario(baseline / "scenario.yaml")
    result = replicate(scenario, 2, workers=1)
    assert report.budget_pack(saved_run_from_files(run_files(result)), DAY) == pack


def test_no_text_is_cut_off(baseline: Path) -> None:
    long_note = Figure(figsize=(4, 3))
    long_note.text(0.5, 0.5, "a note much too long for the narrow page it is printed on")
    assert cut_off(long_note)  # the check sees a cut text
    saved = read_saved_run(baseline)
    problems = {i: cut_off(page) for i, page in
                enumerate(report.report_pages(saved, DAY), start=1)}
    assert not {i: p for i, p in problems.items() if p}


def test_pack_refuses_what_is_not_a_finished_folder(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "budget.csv").write_text("x\n")
    assert main(["pack", str(tmp_path / "half")]) == 2
    assert "not a finished results folder" in capsys.readouterr().err
    assert main(["pack", str(tmp_path / "nowhere")]) == 2
    assert not list(tmp_path.glob("*.zip"))
