"""The experiment commands in Chinese: ``sweep``, ``stress``, ``compare``, ``risks``, ``optimize``
and ``warmup`` with ``--lang zh`` print their tables in Chinese and draw their charts without a
missing glyph, and nothing they show lacks a Chinese entry; the same commands in English keep
their English headings.

A short week of the explorer's tiny scenario, two replications: the words are under test, not
the numbers.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim.cli import main
from sim.i18n import messages
from sim.output.charts.fonts import cjk_family

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


@pytest.mark.parametrize("command", ["sweep", "stress", "compare", "risks", "optimize",
                                     "warmup"])
def test_command_in_chinese(command: str, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    argv = _commands(tmp_path)[command]
    out = tmp_path / "out"
    with warnings.catch_warnings():
        # matplotlib warns "Glyph ... missing from font(s)" where it would draw a box.
        warnings.filterwarnings("error", message=r".*[Gg]lyph.*missing")
        code = main([*argv, "--lang", "zh", "--out", str(out)])
    assert code in (0, 1)  # optimize exits 1 when three evaluations find nothing feasible
    printed = capsys.readouterr()
    charts = list(out.rglob("*.png"))
    assert charts, "the command drew its charts"
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
