"""The Chinese baseline end to end: ``run scenarios/baseline_zh.yaml --lang zh`` prints the KPI
table in Chinese, draws its charts without one missing glyph, and its budget pack's PDF (its text
read back) speaks the manual's KPI names, with CNY as ¥ and months as 2027年1月."""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from sim.cli import main
from sim.i18n import messages
from sim.output.charts.fonts import cjk_family

ROOT = Path(__file__).parents[1]
SCENARIO = ROOT / "scenarios" / "baseline_zh.yaml"
MANUAL = ("客户满意度", "维修及时率", "维修质量合格率", "投诉处理及时率", "服务响应时间")

pytestmark = pytest.mark.skipif(cjk_family() is None,
                                reason="no CJK font (apt-get install fonts-noto-cjk)")


@pytest.fixture(scope="module")
def run_zh(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    out = tmp_path_factory.mktemp("zh") / "baseline_zh"
    pack = out.parent / "pack.zip"
    messages.MISSING.clear()
    capture = io.StringIO()
    with warnings.catch_warnings():
        # matplotlib warns "Glyph ... missing from font(s)" where it would draw a box.
        warnings.filterwarnings("error", message=r".*[Gg]lyph.*missing")
        from contextlib import redirect_stdout
        with redirect_stdout(capture):
            assert main(["run", str(SCENARIO), "--lang", "zh", "--reps", "2", "--workers", "1",
                         "--set", "horizon_days=35", "--out", str(out)]) == 0
            assert main(["pack", str(out), "--lang", "zh", "--out", str(pack),
                         "--date", "2026-12-02"]) == 0
    pdf_name = next(n for n in zipfile.ZipFile(pack).namelist() if n.endswith(".pdf"))
    reader = PdfReader(io.BytesIO(zipfile.ZipFile(pack).read(pdf_name)))
    return out, capture.getvalue(), "\n".join(p.extract_text() for p in reader.pages)


def test_kpi_table_in_chinese(run_zh: tuple[Path, str, str]) -> None:
    _, printed, _ = run_zh
    for name in MANUAL:
        assert name in printed, name
    assert "指标" in printed and "达标" in printed
    assert "csat_mean" not in printed  # every KPI by its Chinese name


def test_pdf_speaks_the_manuals_terms(run_zh: tuple[Path, str, str]) -> None:
    _, _, text = run_zh
    compact = re.sub(r"\s+", "", text)  # extraction may break a line inside a name
    for name in MANUAL:
        assert name in compact, name
    assert re.search(r"¥\d{1,3}(,\d{3})+", text)  # CNY with thousands separators
    assert re.search(r"20\d\d年\d{1,2}月", compact)  # months on the budget and appraisal pages
    assert "压缩机" in compact  # a Chinese SKU name, drawn and extracted


def test_charts_written_and_folder_name_safe(run_zh: tuple[Path, str, str]) -> None:
    out, _, _ = run_zh
    charts = sorted(p.name for p in (out / "charts").iterdir())
    assert any(n.endswith(".png") for n in charts) and any(n.endswith(".svg") for n in charts)
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+", n) for n in charts)
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", out.name)


def test_no_shown_string_lacks_a_chinese_entry(run_zh: tuple[Path, str, str]) -> None:
    assert sorted(messages.MISSING, key=str) == []
