"""The budget pack's PDF read as a manager reads it: the first page answers "does this plan meet
its targets and what does it cost" (verdicts, money, the changes from its file), the charts fill
their pages, the assumptions come last, no page header sits on a title, and KPIs nobody measured
are left out rather than printed as "n/a, n=0".

Text boxes come from the PDF itself (pypdf: each text run's position and size, its width from
the embedded font's glyph widths), so the check sees what a printer prints."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from pypdf import PageObject, PdfReader

from sim.cli import main
from sim.experiments.replicate import RunResult, replicate
from sim.output.export import run_files
from sim.output.pages import PAGE
from sim.output.report import report_pdf
from sim.output.saved import saved_run_from_files
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "app" / "tiny.yaml"
DAY = date(2026, 12, 2)
ASCENT, DESCENT = 0.93, 0.24  # DejaVu Sans, in em: a line's box above and below its baseline
HEADER = re.compile(r"page \d+ of \d+$")

Box = tuple[float, float, float, float]


def text_boxes(page: PageObject) -> list[tuple[str, Box]]:
    """Every horizontal text run of a page with its box in points (rotated axis labels are
    left out: no header is rotated)."""
    found: list[tuple[str, Box]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        text = text.strip()
        if not text or font is None or abs(cm[1]) > 1e-9 or abs(cm[2]) > 1e-9:
            return
        x, y = tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]
        widths = font.get("/Widths")
        widths = widths.get_object() if widths is not None else []
        first = int(font.get("/FirstChar", 0))
        scale = float(font["/FontMatrix"][0]) if "/FontMatrix" in font else 0.001
        # A glyph outside the table (a symbol from another font) counts as a wide one.
        units = sum(float(widths[ord(c) - first]) if 0 <= ord(c) - first < len(widths)
                    else 1000.0 for c in text)
        width, height = units * scale * size * cm[0] * tm[0], size * cm[3] * tm[3]
        found.append((text, (x, y - DESCENT * height, x + width, y + ASCENT * height)))

    page.extract_text(visitor_text=visit)
    return found


def overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def header_clashes(reader: PdfReader) -> list[str]:
    """Every text a page header overlaps, as ``page N: text``; a page without a header too."""
    bad = []
    for n, page in enumerate(reader.pages, start=1):
        boxes = text_boxes(page)
        heads = [b for b in boxes if HEADER.search(b[0])]
        if not heads:
            bad.append(f"page {n}: no header")
        bad += [f"page {n}: {t!r}" for h in heads for t, box in boxes
                if t != h[0] and overlaps(h[1], box)]
    return bad


@pytest.fixture(scope="module")
def run() -> RunResult:
    return replicate(load_scenario(TINY, ["call_center.agents.0.count=3"]), 2, workers=1)


@pytest.fixture(scope="module")
def pdf(run: RunResult) -> PdfReader:
    base = load_scenario(TINY)
    return PdfReader(io.BytesIO(report_pdf(saved_run_from_files(run_files(run)), DAY,
                                           base=base)))


def test_the_check_sees_a_header_on_a_title() -> None:
    """The check can fail: a chart page whose header sits on its title, as the pack had."""
    buf = io.BytesIO()
    with PdfPages(buf) as out:
        fig = Figure(figsize=(8, 4.5))
        fig.suptitle("Service level per day (answered within 20 s)", fontsize=13, y=0.995)
        fig.text(0.99, 0.99, "tiny | Date: 2026-12-02 | page 1 of 1", fontsize=8, ha="right",
                 va="top")
        out.savefig(fig)
    assert header_clashes(PdfReader(buf)) == [
        "page 1: 'Service level per day (answered within 20 s)'"]


def test_no_page_header_sits_on_a_title_or_anything_else(pdf: PdfReader) -> None:
    assert header_clashes(pdf) == []


def test_the_first_page_answers_the_question(pdf: PdfReader, run: RunResult) -> None:
    first = pdf.pages[0].extract_text()
    assert "does the plan meet its targets, and what does it cost?" in first
    met = sum(j.status == "met" for j in run.targets.values())
    assert f"Meets {met} of {len(run.targets)} targets with confidence" in first
    for name in ("Service level", "Abandon rate", "Repairs on time", "Fill rate"):
        assert name in first
    assert "Total cost:" in first and "EUR" in first
    assert "No revenue section" in first  # tiny bills nothing: said, not "n/a"
    assert "Changes from tiny:" in first
    assert "call_center.agents.0.count: 2 → 3" in first


def test_every_page_is_a4_and_the_assumptions_come_last(pdf: PdfReader) -> None:
    width, height = (round(v * 72) for v in PAGE)
    for page in pdf.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (
            width, height)
    texts = [p.extract_text() for p in pdf.pages]
    assumptions = [i for i, t in enumerate(texts) if "Assumptions: tiny" in t]
    assert assumptions and assumptions == list(range(assumptions[0], len(texts)))
    charts = [i for i, t in enumerate(texts) if "Service level per day" in t]
    assert charts and charts[0] < assumptions[0]  # the charts before the assumptions


def test_kpis_nobody_measured_are_left_out(pdf: PdfReader) -> None:
    text = "\n".join(p.extract_text() for p in pdf.pages[:2])
    assert "n=0" not in text and "Revenue" not in text.split("No revenue section")[0]
    assert "Operating margin" not in text


def test_pack_base_lists_the_changes_and_a_bad_base_is_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "plan"
    assert main(["run", str(TINY), "--reps", "2", "--workers", "1", "--quiet", "--out", str(out),
                 "--set", "complaints.handlers=2"]) == 0
    zipped = tmp_path / "plan.zip"
    assert main(["pack", str(out), "--base", str(TINY), "--out", str(zipped), "--quiet"]) == 0
    with zipfile.ZipFile(zipped) as zf:
        first = PdfReader(io.BytesIO(zf.read("report.pdf"))).pages[0].extract_text()
    assert "Changes from tiny:" in first and "complaints.handlers: 1 → 2" in first
    assert main(["pack", str(out), "--base", str(tmp_path / "missing.yaml"),
                 "--out", str(tmp_path / "other.zip"), "--quiet"]) == 2
    assert "missing.yaml" in capsys.readouterr().err
    assert not (tmp_path / "other.zip").exists()
