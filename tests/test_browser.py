"""The explorer in a real browser: `streamlit run app.py` on 127.0.0.1, driven by Playwright with
Debian's Chromium (no browser download).

It edits the baseline's run length in the UI, runs it (30 days, 5 replications; how long that
takes is `benchmarks/explorer.py`'s to measure, not a test's), downloads a chart, the budget pack
and the event logs and checks the files, then runs Compare, Sweep and Stress on a shorter
horizon; then switches the sidebar to Chinese. A screenshot of every page, in English and in
zh-CN (`zh_*.png`), goes to `results/screenshots/`. Skipped only without /usr/bin/chromium.
"""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from sim.explorer.app import PAGES
from sim.i18n.messages import speaking, tr

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "results" / "screenshots"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
RUN_TIMEOUT_MS = 180_000

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="needs Debian's Chromium at /usr/bin/chromium "
                                       "(apt-get install -y chromium); CI installs it")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    log = (tmp_path_factory.mktemp("streamlit") / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
         "--server.headless", "true", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start: {Path(log.name).read_text()}")
            time.sleep(0.5)
        yield url
    finally:
        # The server and its worker processes share the session started above.
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def page(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                      accept_downloads=True)
        tab = context.new_page()
        tab.set_default_timeout(RUN_TIMEOUT_MS)
        tab.goto(server)
        tab.get_by_role("heading", name="Scenario", exact=True).wait_for()
        tab.get_by_test_id("stForm").wait_for()
        idle(tab)
        yield tab
        browser.close()


def idle(page: Any) -> None:
    """Wait until the script run is over (the status widget disappears) and skeletons are gone."""
    page.wait_for_timeout(400)
    page.get_by_test_id("stStatusWidget").wait_for(state="hidden")
    page.get_by_test_id("stSkeleton").first.wait_for(state="hidden")
    page.wait_for_timeout(200)


def open_page(page: Any, title: str) -> None:
    page.get_by_test_id("stSidebarNav").locator("a", has_text=title).click()
    page.get_by_role("heading", name=title, exact=True).wait_for()
    idle(page)


def shot(page: Any, name: str) -> None:
    """Screenshot of the whole page (Streamlit scrolls inside its own container, so the
    window is made tall enough to hold it first)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(0, 0)  # no tooltip in the picture
    height = page.get_by_test_id("stMain").evaluate("el => el.scrollHeight")
    page.set_viewport_size({"width": 1400, "height": max(1000, min(int(height) + 40, 6000))})
    page.wait_for_timeout(800)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 1000})


def set_levers(page: Any, values: dict[str, str]) -> None:
    open_page(page, "Scenario")
    for label, value in values.items():
        field = page.get_by_role("spinbutton", name=label, exact=True)
        field.fill(value)
        field.press("Tab")
    page.get_by_role("button", name="Apply edits").click()
    idle(page)
    assert page.get_by_test_id("stAlertContentError").count() == 0


def download(page: Any, button: Any, folder: Path) -> Path:
    with page.expect_download() as info:
        button.click()
    target = folder / info.value.suggested_filename
    info.value.save_as(target)
    return target


def test_baseline_runs_exports_and_every_page_works(page: Any, tmp_path: Path) -> None:
    shot(page, "scenario")
    set_levers(page, {"Horizon (days)": "30", "Replications": "5"})
    diff = page.get_by_test_id("stDataFrame").first
    diff.wait_for()
    open_page(page, "Results")
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_test_id("stMetric").first.wait_for()
    idle(page)
    assert page.get_by_test_id("stMetric").count() >= 8
    assert "Service level" in page.get_by_test_id("stMetric").first.inner_text()
    page.get_by_test_id("stImage").first.wait_for()
    shot(page, "results")

    open_page(page, "Export")
    png = download(page, page.get_by_role("button", name="PNG").first, tmp_path)
    assert png.name == "baseline-edited_service_level_per_day.png"  # 30 days: not the file
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    pack = download(page, page.get_by_role("button", name="Download the budget pack (zip)"),
                    tmp_path)
    with zipfile.ZipFile(io.BytesIO(pack.read_bytes())) as zf:
        names = set(zf.namelist())
        assert {"README.txt", "report.pdf", "scenario.yaml", "summary.json",
                "tables/kpis.csv", "tables/budget.csv", "tables/daily.csv"} <= names
        pdf = zf.read("report.pdf")
        assert "horizon_days: 30.0" in zf.read("scenario.yaml").decode()
    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) >= 10
    # The event logs: built on a click, then fetched from the server's shelf when downloaded.
    page.get_by_role("button", name="Build the event logs").click()
    logs_button = page.get_by_role("button", name="Download the event logs (zip)")
    logs_button.wait_for()
    idle(page)
    logs = download(page, logs_button, tmp_path)
    assert logs.name == "baseline-edited_event_logs.zip"
    with zipfile.ZipFile(io.BytesIO(logs.read_bytes())) as zf:
        calls = zf.read("events/calls.csv").decode().splitlines()
        assert "horizon_days: 30.0" in zf.read("scenario.yaml").decode()
    assert calls[0].startswith("rep,")
    assert {line.split(",")[0] for line in calls[1:]} == {"0", "1", "2", "3", "4"}
    shot(page, "export")

    set_levers(page, {"Horizon (days)": "7", "Replications": "2",
                      "Agents: early (08:00-16:00, mon-fri)": "14"})
    shot(page, "scenario_edited")

    open_page(page, "Compare")
    page.get_by_role("button", name="Compare", exact=True).click()
    page.get_by_test_id("stImage").first.wait_for()
    idle(page)
    main = page.get_by_test_id("stMain")
    assert "baseline-edited" in main.inner_text()  # (tables draw on a canvas)
    shot(page, "compare")

    open_page(page, "Sweep")
    page.get_by_role("button", name="Run sweep").click()
    page.get_by_test_id("stImage").first.wait_for()
    idle(page)
    assert page.get_by_test_id("stDataFrame").count() >= 1
    shot(page, "sweep")

    open_page(page, "Stress")
    page.get_by_role("button", name="Run stress test").click()
    page.get_by_test_id("stImage").first.wait_for()
    idle(page)
    assert "Which targets break first" in main.inner_text()
    shot(page, "stress")
    assert page.get_by_test_id("stException").count() == 0


def test_the_peak_season_question_on_one_results_page(page: Any) -> None:
    """The manager's question, "how many technicians and agents keep on-time repair above 90%
    in the peak?", in one run: window set to the heat wave, the cards judged for it, the
    bottleneck panel naming what binds. Screenshots: the whole horizon, then the peak."""
    open_page(page, "Scenario")
    page.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name="peak_season.yaml").click()
    idle(page)
    set_levers(page, {"Replications": "3"})
    # The lever widgets start afresh with the new file: the browser once kept the previous
    # file's name and horizon in them and "Apply edits" sent them along.
    command = "aftersales-sim run scenarios/peak_season.yaml --set replications=3\n"
    assert command in page.get_by_test_id("stMain").inner_text()  # that edit and no other
    open_page(page, "Results")
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_test_id("stMetric").first.wait_for()
    idle(page)
    main = page.get_by_test_id("stMain")
    assert "Judged over the whole horizon" in main.inner_text()
    shot(page, "results_peak_season_horizon")
    page.get_by_role("button", name=re.compile(r"^heat wave repairs: days 35–76")).click()
    idle(page)
    # The cards and the panel stream in after the caption: wait for them, not for a fixed time.
    page.get_by_text("whole horizon:").first.wait_for()
    page.get_by_text("In days 35–76 (42 days), these bind:").first.wait_for()
    idle(page)
    text = main.inner_text()
    assert "Judged over days 35–76 (42 days) only" in text
    assert "whole horizon:" in text
    assert "In days 35–76 (42 days), these bind:" in text
    assert page.get_by_test_id("stException").count() == 0
    shot(page, "results_peak_season_window")


ZH_PAGES = {"scenario": "情景", "results": "结果", "compare": "对比", "sweep": "参数扫描",
            "stress": "压力测试", "optimize": "优化", "risks": "风险", "export": "导出"}


def test_the_chinese_tour_covers_every_page() -> None:
    # A page added to the explorer must be added to the tour below, under its Chinese title.
    with speaking("zh"):
        assert {stem: tr(title) for stem, title, _ in PAGES} == ZH_PAGES


def test_every_page_in_chinese(page: Any, tmp_path: Path) -> None:
    """After the English tour (same session, its edited scenario and results kept): switch the
    sidebar to 中文, run the edited scenario once more on 结果 (a run already made answers from
    the cache) and save a screenshot of every page as `zh_<page>.png`; the report downloaded
    from 导出 is in Chinese too (the server builds it outside the page's script run)."""
    page.get_by_test_id("stSidebar").get_by_text("中文", exact=True).click()
    idle(page)
    for stem, title in ZH_PAGES.items():
        open_page(page, title)
        if stem == "results":
            page.get_by_role("button", name="运行", exact=True).click()
            page.get_by_test_id("stMetric").first.wait_for()
            page.get_by_test_id("stImage").first.wait_for()
            idle(page)
            assert "服务水平" in page.get_by_test_id("stMetric").first.inner_text()
        if stem == "export":
            report = download(page, page.get_by_role("button", name="仅报告（PDF）"), tmp_path)
            text = "".join(p.extract_text() for p in PdfReader(str(report)).pages)
            assert "全部指标及其95%置信区间和目标" in re.sub(r"\s+", "", text)
        shot(page, f"zh_{stem}")
        assert page.get_by_test_id("stException").count() == 0
