"""The explorer's language switch: the Results page's labels in English and in Chinese, the
session's results kept across a switch, and a Chinese label for every one the page shows."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sim.explorer.runner import WORKERS_ENV
from sim.explorer.session import LANGUAGE
from sim.i18n import messages
from sim.output.charts.fonts import cjk_family

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "app" / "tiny.yaml"
TIMEOUT = 300

pytestmark = pytest.mark.skipif(cjk_family() is None,
                                reason="no CJK font (apt-get install fonts-noto-cjk)")


@pytest.fixture(autouse=True)
def in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WORKERS_ENV, "1")
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def labels(at: AppTest) -> dict[str, list[str]]:
    return {"title": [t.value for t in at.title], "subheader": [s.value for s in at.subheader],
            "metric": [m.label for m in at.metric], "button": [b.label for b in at.button],
            "tabs": [t.label for t in at.tabs], "expander": [e.label for e in at.expander]}


@pytest.fixture(scope="module")
def results() -> AppTest:
    """The tiny scenario run on the Results page, in English."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    at.file_uploader(key="explorer_upload").set_value(
        ("tiny.yaml", TINY.read_bytes(), "application/x-yaml"))
    at.run()
    at.switch_page("sim/explorer/pages/results.py").run()
    at.button(key="run_button").click().run()
    ok(at)
    return at


def test_results_page_in_english_then_chinese_keeps_the_run(results: AppTest) -> None:
    at = results
    english = labels(at)
    assert english["title"] == ["Results"]
    assert {"Key figures", "Charts"} <= set(english["subheader"])
    assert "Service level" in english["metric"] and "Run" in english["button"]
    assert "Service level per day" in english["tabs"]
    assert at.radio(key=LANGUAGE).value == "en"
    metrics_en = [m.value for m in at.metric]

    messages.MISSING.clear()
    at.radio(key=LANGUAGE).set_value("zh").run()  # no new Run: the session's result stays
    ok(at)
    chinese = labels(at)
    assert chinese["title"] == ["结果"]
    assert {"关键指标", "图表"} <= set(chinese["subheader"])
    assert {"服务水平", "放弃率", "维修及时率", "备件满足率"} <= set(chinese["metric"])
    assert "运行" in chinese["button"] and "每日服务水平" in chinese["tabs"]
    assert "全部指标及其 95% 置信区间和目标" in chinese["expander"]
    assert [m.value for m in at.metric] == metrics_en  # the same run, not a new one
    card = next(m for m in at.metric if m.label == "服务水平")
    assert card.proto.delta.split("（")[0] in ("达标", "未达标", "不显著")
    assert sorted(messages.MISSING, key=str) == []  # every label shown had a Chinese entry

    at.radio(key=LANGUAGE).set_value("en").run()
    ok(at)
    assert labels(at) == english


def test_the_language_defaults_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    ok(at)
    assert at.radio(key=LANGUAGE).value == "zh"
    assert [t.value for t in at.title] == ["情景"]
