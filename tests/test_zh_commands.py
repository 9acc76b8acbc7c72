"""The experiment commands in Chinese: ``sweep``, ``stress``, ``compare``, ``risks``, ``optimize``
and ``warmup`` with ``--lang zh`` print their tables in Chinese and draw their charts without a
missing glyph, and nothing they show lacks a Chinese entry; the same commands in English keep
their English headings.

A short week of the explorer's tiny scenario, two replications: the words are under test, not
the numbers.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text
from pypdf import PdfReader

from sim.cli import main
from sim.experiments.replicate import replicate
from sim.i18n import messages
from sim.i18n.messages import speaking
from sim.output.charts.fonts import cjk_family
from sim.output.folder import ResultsFolder
from sim.output.report import chart_stems, explorer_figures
from sim.scenario.loader import load_scenario_text

ROOT = Path(__file__).parents[1]
TINY = ROOT / "tests" / "data" / "app" / "tiny.yaml"
SHORT = ["--reps", "2", "--workers", "1", "--set", "horizon_days=3"]
REGISTER = """name: tiny_risks
base: tiny.yaml
replications: 2
risks:
  - name: surge
    category: market
    likelihood_per_year: 2
    shock: {type: demand_surge, start_day: 2, days: 2, multiplier: 1.5}
"""

pytestmark = pytest.mark.skipif(cjk_family() is None,
                                reason="no CJK font (apt-get install fonts-noto-cjk)")


def _commands(tmp: Path) -> dict[str, list[str]]:
    (tmp / "tiny.yaml").write_bytes(TINY.read_bytes())
    (tmp / "register.yaml").write_text(REGISTER, encoding="utf-8")
    tiny = str(tmp / "tiny.yaml")
    return {
        "sweep": ["sweep", tiny, "--vary", "call_center.agents.0.count=2:3:1", *SHORT],
        "stress": ["stress", tiny, "--shock", "demand_surge:multiplier=2", *SHORT],
        "compare": ["compare", tiny, tiny, "--set", "2:call_center.agents.0.count=4", *SHORT],
        "risks": ["risks", str(tmp / "register.yaml"), *SHORT],
        "optimize": ["optimize", tiny, "--decide", "call_center.agents", "--max-evals", "3",
                     "--confirm-reps", "3", *SHORT, "--reps", "3"],
        "warmup": ["warmup", tiny, *SHORT],
    }


@pytest.fixture(autouse=True)
def no_missing() -> Iterator[None]:
    messages.MISSING.clear()
    yield
    messages.MISSING.clear()


def _run_reading_charts(argv: list[str], monkeypatch: pytest.MonkeyPatch
                        ) -> tuple[int, dict[str, list[str]]]:
    """``main(argv)``, each chart it writes read for the Latin words left in it
    (``chart_words``, by chart stem), with matplotlib's missing-glyph warning an error."""
    left: dict[str, list[str]] = {}
    write = ResultsFolder.write_figure

    def reading(folder: ResultsFolder, stem: str, fig: Figure, *args: Any, **kw: Any
                ) -> list[Path]:
        left[stem] = chart_words(fig)
        return write(folder, stem, fig, *args, **kw)

    monkeypatch.setattr(ResultsFolder, "write_figure", reading)
    with warnings.catch_warnings():
        # matplotlib warns "Glyph ... missing from font(s)" where it would draw a box.
        warnings.filterwarnings("error", message=r".*[Gg]lyph.*missing")
        code = main(argv)
    return code, left


@pytest.mark.parametrize("command", ["sweep", "stress", "compare", "risks", "optimize",
                                     "warmup"])
def test_command_in_chinese(command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    argv = _commands(tmp_path)[command]
    out = tmp_path / "out"
    code, left = _run_reading_charts([*argv, "--lang", "zh", "--out", str(out)], monkeypatch)
    assert code in (0, 1)  # optimize exits 1 when three evaluations find nothing feasible
    printed = capsys.readouterr()
    assert left, "the command drew its charts"
    assert {stem: words for stem, words in left.items() if words} == {}
    assert re.search(r"[\u4e00-\u9fff]", printed.out), printed.out
    assert "结果：" in printed.out
    assert sorted(messages.MISSING, key=str) == []


def test_english_headings_stay(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = _commands(tmp_path)["stress"]
    assert main([*argv, "--lang", "en", "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    # The heading as the English table always printed it.
    assert printed.startswith(f"{'rank':<5}{'shock':<22}{'type':<16}{'broken days':>12}"
                              f"{'targets':>9}  {'first break':<32}{'cost change':>12}\n")
    assert "results: " in printed and not re.search(r"[\u4e00-\u9fff]", printed)


def test_the_register_pack_speaks_chinese(tmp_path: Path) -> None:
    """The PDF's risk table: headings, categories and the note in Chinese (its text read back)."""
    argv = _commands(tmp_path)["risks"]
    folder, pack = tmp_path / "out", tmp_path / "pack.zip"
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r".*[Gg]lyph.*missing")
        assert main([*argv, "--lang", "zh", "--quiet", "--out", str(folder)]) == 0
        assert main(["pack", str(folder), "--lang", "zh", "--date", "2026-12-01", "--out",
                     str(pack), "--quiet"]) == 0
    with zipfile.ZipFile(pack) as zf:
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(
            zf.read("report.pdf"))).pages)
    compact = re.sub(r"\s+", "", text)  # extraction may break a line inside a word
    assert "风险登记册，按预期年度影响排序" in compact
    assert "市场" in compact and "年度预期" in compact  # the category and a heading
    assert "Risk register" not in text and "expected / yr" not in text
    assert sorted(messages.MISSING, key=str) == []


# Words a Chinese chart may keep in Latin letters: the names of the tiny scenario, its SKUs,
# shocks and risks (the user's), the model's name (Erlang C, MSER-5), the currency.
CHART_LATIN_OK = {"tiny", "tiny-2", "pump", "valve", "surge", "Erlang", "C", "MSER-5", "EUR",
                  "pp"}


def chart_words(fig: Figure) -> list[str]:
    """The Latin words of every text a figure draws without a Chinese character, but keys
    (with ``_`` or ``.``: scenario keys, shock types) and the names above."""
    texts = [t.get_text() for t in fig.findobj(Text) if t.get_text().strip()]
    return [word for text in texts if not re.search(r"[\u4e00-\u9fff]", text)
            for word in re.findall(r"[A-Za-z][\w.-]*", text)
            if word not in CHART_LATIN_OK and not re.search(r"[_.]", word)]


def test_every_chart_of_a_run_speaks_chinese() -> None:
    scenario = load_scenario_text(TINY.read_text(encoding="utf-8"), "tiny.yaml",
                                  ("horizon_days=3",))
    result = replicate(scenario, 2, workers=1)
    with speaking("zh"), warnings.catch_warnings():
        warnings.filterwarnings("error", message=r".*[Gg]lyph.*missing")
        figures = explorer_figures(result, dt.date(2026, 12, 1))
        left = {stem: chart_words(fig) for stem, fig in figures.items()}
    assert set(figures) == set(chart_stems(scenario))
    assert {stem: words for stem, words in left.items() if words} == {}
    assert sorted(messages.MISSING, key=str) == []


# --- fit: its remarks, the fitted scenario's comments, report.md and the report's charts ------

DATA = ROOT / "tests" / "data"
CRM = ["--columns", str(DATA / "crm_columns.yaml"), "--calls", str(DATA / "crm_calls.csv"),
       "--work-orders", str(DATA / "crm_work_orders.csv")]

# Latin words a Chinese fit may keep: the statistics' names, the log kinds, columns and contact
# types (the logs' and the scenario's words, as keys are) and the tiny scenario's SKU names.
FIT_LATIN_OK = {"KS", "AIC", "Welch", "t", "Kaplan-Meier", "calls", "visits", "parts",
                "complaints", "escalated", "channel", "inquiry", "repair", "complaint", "onsite",
                "depot", "pump", "valve"}


def latin_words(text: str) -> list[str]:
    """The Latin words of ``text`` but code spans, image targets, options, keys and paths (with
    ``_``, ``.`` or ``/``), names with Chinese in them and the words above."""
    text = re.sub(r"`[^`]*`|\]\([^)]*\)|--[\w-]+", " ", text)
    words = re.findall(r"[A-Za-z][\w./-]*", text)
    return [w for w in words if not re.search(r"[_./]|[^\x00-\x7f]", w)
            and not re.fullmatch(r"e[-+]?\d+", w) and w not in FIT_LATIN_OK]


def yaml_comments(text: str) -> str:
    """The comments of a YAML file (whole-line and trailing)."""
    return "\n".join(line.split("#", 1)[1] for line in text.splitlines()
                     if line.lstrip().startswith("#") or " # " in line)


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Event logs of five days of the tiny scenario: too short to see every weekday, so the fit
    remarks on that too."""
    folder = tmp_path_factory.mktemp("records") / "tiny"
    assert main(["run", str(TINY), "--out", str(folder), "--events", "--workers", "1",
                 "--set", "horizon_days=5", "--quiet", "--lang", "en"]) == 0
    return folder / "events"


def _fit(argv: list[str], out: Path, lang: str, monkeypatch: pytest.MonkeyPatch,
         capsys: pytest.CaptureFixture[str]) -> tuple[str, str, str, dict[str, list[str]]]:
    """``fit`` in ``lang``: what it printed, the fitted YAML, report.md and each chart's Latin
    words left (``chart_words``)."""
    code, left = _run_reading_charts(["fit", *argv, "--out", str(out), "--lang", lang],
                                     monkeypatch)
    printed = capsys.readouterr()
    assert code in (0, 1), printed.err  # 1: the back-test of five days may disagree
    report = (out.with_suffix(".fit") / "report.md").read_text(encoding="utf-8")
    return printed.out, out.read_text(encoding="utf-8"), report, left


@pytest.mark.parametrize("case", ["records without a base, back-tested",
                                  "the CRM export on the Chinese baseline"])
def test_fit_speaks_chinese(case: str, records: Path, tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    """Remarks, the YAML's comments, report.md and its charts: Chinese, no missing entry, no
    English sentence left (a remark written past ``tr`` would show here in English)."""
    argv = (["--events", str(records), "--backtest", "2", "--workers", "1"]
            if case.startswith("records") else
            [*CRM, "--base", str(ROOT / "scenarios" / "baseline_zh.yaml")])
    printed, fitted, report, charts = _fit(argv, tmp_path / "zh_fit.yaml", "zh", monkeypatch,
                                           capsys)
    notes = [line for line in printed.splitlines() if line.startswith("注：")]
    assert len(notes) >= 3, printed  # the remarks are printed, each in Chinese
    assert all(re.search(r"[\u4e00-\u9fff]{4}", note) for note in notes), notes
    assert latin_words(printed) == []
    assert report.startswith("# 拟合报告：") and "## 备注" in report
    assert all(f"- {note.removeprefix('注：')}" in report for note in notes)
    assert latin_words(report) == []
    assert fitted.startswith("# 由 `aftersales-sim fit` 拟合的情景")
    assert latin_words(yaml_comments(fitted)) == []
    assert charts and {stem: words for stem, words in charts.items() if words} == {}
    assert sorted(messages.MISSING, key=str) == []


def test_fit_in_english_stays_english(records: Path, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The same fit in English: English words only, as before; and a scenario fitted in
    Chinese is fit's own, replaced by the next fit without --overwrite."""
    out = tmp_path / "fitted.yaml"
    argv = ["--events", str(records), "--quiet"]
    _fit(argv, out, "zh", monkeypatch, capsys)
    printed, fitted, report, _ = _fit(argv, out, "en", monkeypatch, capsys)
    assert fitted.startswith("# Scenario fitted by `aftersales-sim fit` from calls.csv")
    assert report.startswith("# Fit report: fitted\n") and "## Remarks" in report
    assert "- No base scenario: staffing is the peak of simultaneous work" in report
    assert "# not in the logs and not in the base: the peak number of calls in conversation" \
        in fitted
    assert not re.search(r"[\u4e00-\u9fff]", printed + fitted + report)
