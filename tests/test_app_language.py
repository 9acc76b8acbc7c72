"""The explorer's language switch: the Results page's labels in English and in Chinese, the
session's results kept across a switch, and a Chinese label for every one the page shows."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sim.explorer.runner import WORKERS_ENV
from sim.explorer.session import LANGUAGE
from sim.i18n import messages
from sim.i18n.messages import catalog, speaking, tr
from sim.output.charts.fonts import cjk_family
from sim.scenario.loader import load_scenario

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


def images(at: AppTest) -> list[str]:
    """The media addresses of the page's images: a hash of each PNG's bytes."""
    return [str(i.proto.imgs[0].url) for i in at.get("image")]


def with_tiny() -> AppTest:
    """The explorer started with the tiny scenario uploaded."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    at.file_uploader(key="explorer_upload").set_value(
        ("tiny.yaml", TINY.read_bytes(), "application/x-yaml"))
    at.run()
    return at


@pytest.fixture(scope="module")
def results() -> AppTest:
    """The tiny scenario run on the Results page, in English."""
    at = with_tiny()
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
    images_en = images(at)
    assert len(images_en) >= 2  # what binds, and the open chart tab

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
    # Every chart is drawn again in Chinese (a cached English PNG would keep its address).
    assert len(images(at)) == len(images_en) and not set(images(at)) & set(images_en)
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


PAGES = ("scenario", "results", "compare", "sweep", "stress", "optimize", "risks", "export")
# Text a Chinese page may show without Chinese characters: numbers, formats, file and key names.
LATIN_OK = re.compile(r"^[\W\d_]*$|^(PNG|SVG|PDF|CSV|English|中文)$")


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def shown_texts(at: AppTest) -> list[str]:
    """The page's prose and labels (not the sidebar's language switch, not data cells)."""
    texts = [e.value for kind in ("title", "header", "subheader", "caption", "markdown", "info",
                                  "warning", "success", "error")
             for e in at.get(kind)]
    texts += [w.label for kind in ("button", "number_input", "selectbox", "multiselect",
                                   "text_input", "checkbox", "slider", "tabs", "expander",
                                   "metric")
              for w in at.get(kind)]
    texts += [b.label for b in at.get("download_button")]
    return [t for t in texts if t]


def english_left(at: AppTest) -> list[str]:
    """Shown texts with Latin words and no Chinese character: a string not translated (names of
    the scenario, its shifts and SKUs are data and appear inside translated sentences; the
    scenario's description is the file's own words)."""
    data = {load_scenario(TINY).description}
    return [t for t in shown_texts(at) if not _has_cjk(t) and not LATIN_OK.match(t.strip())
            and t not in data]


def _act(at: AppTest, page: str) -> None:
    """Press the page's own button with the smallest settings, so its results show too."""
    if page == "results":
        at.button(key="run_button").click().run()
    elif page == "compare":
        at.button(key="compare_button").click().run()
    elif page == "sweep":
        path = "call_center.agents.0.count"
        at.selectbox(key="sweep_lever:zh").select(path).run()
        at.number_input(key=f"sweep_from:{path}").set_value(2)
        at.number_input(key=f"sweep_to:{path}").set_value(3)
        at.button(key="FormSubmitter:sweep_form-运行参数扫描").click().run()
    elif page == "stress":
        at.button(key="FormSubmitter:stress_form-运行压力测试").click().run()
    elif page == "optimize":
        at.multiselect(key="optimize_decide").set_value(["call_center.agents"])
        at.number_input(key="optimize_reps").set_value(3)
        at.number_input(key="optimize_confirm").set_value(3)
        at.number_input(key="optimize_max_evals").set_value(4)
        at.button(key="FormSubmitter:optimize_form-运行优化").click().run()


def test_the_explorers_own_words_have_chinese_entries() -> None:
    # Labels the pages keep in dictionaries (values, not literals: extraction cannot see them).
    from sim.explorer.export_page import CHART_LABELS, TABLE_LABELS
    from sim.explorer.risks_page import HEADINGS
    from sim.explorer.stress_page import SHOCKS
    from sim.output.report import CHART_ORDER, TABLE_STEMS

    assert set(CHART_ORDER) - set(CHART_LABELS) == set()  # every download row has a label
    assert set(TABLE_STEMS) - set(TABLE_LABELS) == set()
    words = [*CHART_LABELS.values(), *TABLE_LABELS.values(), *HEADINGS.values(),
             *(text for _, text, _, _ in SHOCKS.values())]
    assert [w for w in words if (None, w) not in catalog("zh")] == []


@pytest.fixture(scope="module")
def chinese() -> AppTest:
    """The tiny scenario in a session switched to Chinese."""
    at = with_tiny()
    at.radio(key=LANGUAGE).set_value("zh").run()
    ok(at)
    return at


@pytest.mark.parametrize("page", PAGES)
def test_every_page_in_chinese_has_every_entry(chinese: AppTest, page: str) -> None:
    at = chinese
    messages.MISSING.clear()
    # AppTest calls a widget's format_func (kpi_label) in this thread, not the script's: it
    # must speak the session's language here too.
    with speaking("zh"):
        at.switch_page(f"sim/explorer/pages/{page}.py").run()
        ok(at)
        _act(at, page)
        ok(at)
    assert _has_cjk(at.title[0].value)
    assert len(shown_texts(at)) > 3  # the page drew its body, not only a title
    if page in ("compare", "sweep", "stress", "optimize"):
        assert at.dataframe, "the page's results are shown, not only its form"
    if page == "results":
        assert at.metric
    assert sorted(messages.MISSING, key=str) == []
    assert english_left(at) == []


def test_compare_page_labels_in_both_languages() -> None:
    """The Compare page's table and texts in English, then in Chinese, on the same run."""
    at = with_tiny()
    at.switch_page("sim/explorer/pages/compare.py").run()
    at.button(key="compare_button").click().run()
    ok(at)
    english = at.dataframe[0].value
    assert list(english.columns) == ["KPI", "tiny", "tiny-edited", "Difference",
                                     "95% CI of the difference", "Significant",
                                     "Variance removed by CRN"]
    assert "Service level" in set(english["KPI"])
    assert [s.value for s in at.subheader] == ["Downloads"]

    messages.MISSING.clear()
    at.radio(key=LANGUAGE).set_value("zh").run()
    ok(at)
    chinese = at.dataframe[0].value
    assert list(chinese.columns) == ["指标", "tiny", "tiny-edited", "差值", "差值的 95% 置信区间",
                                     "是否显著", "公共随机数消除的方差"]
    assert "服务水平" in set(chinese["指标"]) and set(chinese["是否显著"]) <= {"是", "否"}
    assert list(chinese["tiny"]) == list(english["tiny"])  # the same run, not a new one
    assert [s.value for s in at.subheader] == ["下载"]
    assert [t.value for t in at.title] == ["对比"]
    assert sorted(messages.MISSING, key=str) == []


def test_a_switch_on_the_sweep_page_keeps_the_lever_and_the_results() -> None:
    """A picker's value is its label's text: after a switch the lever must still be the one
    chosen (not the first, and no missing lever), with the sweep's results still shown."""
    at = with_tiny()
    at.switch_page("sim/explorer/pages/sweep.py").run()
    path = "call_center.agents.1.count"
    at.selectbox(key="sweep_lever:en").select(path).run()
    at.number_input(key=f"sweep_from:{path}").set_value(2)
    at.number_input(key=f"sweep_to:{path}").set_value(3)
    at.button(key="FormSubmitter:sweep_form-Run sweep").click().run()
    ok(at)
    points = at.dataframe[0].value
    # AppTest formats the widgets of the page it leaves in this thread: English, then Chinese.
    at.radio(key=LANGUAGE).set_value("zh").run()
    ok(at)
    with speaking("zh"):
        assert at.selectbox(key="sweep_lever:zh").value == path
        assert list(at.dataframe[0].value["总成本"]) == list(points["Total cost"])
        at.radio(key=LANGUAGE).set_value("en").run()
    ok(at)
    assert at.selectbox(key="sweep_lever:en").value == path


def test_a_deferred_download_is_built_in_the_language_of_the_page() -> None:
    """Streamlit builds a deferred download in a server thread, outside the script run's
    context: the builder must carry the page's language there."""
    from sim.explorer.widgets import spoken_now

    def build() -> bytes:
        return tr("Results").encode("utf-8")

    with speaking("zh"):
        wrapped, bare = spoken_now(build), build
    out: dict[str, bytes] = {}
    worker = threading.Thread(target=lambda: out.update(wrapped=wrapped(), bare=bare()))
    worker.start()
    worker.join()
    assert out == {"wrapped": "结果".encode(), "bare": b"Results"}
