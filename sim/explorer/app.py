"""The explorer's frame: page registry, navigation and the sidebar (worker processes).

`app.py` at the project root calls `main()`; `make app` runs it with
`streamlit run app.py --server.address 127.0.0.1`. Each page is a small script in
`sim/explorer/pages/` that calls its module's `render()`.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from sim.explorer import runner, session
from sim.i18n.messages import LANGUAGES, Language, language_from_env, tr, use_language
from sim.output.charts.fonts import cjk_family

PAGES_DIR = Path(__file__).resolve().parent / "pages"
# Titles are msgids: each is shown through `tr` (a literal here, so extraction finds it, and
# the same words as the page's own `st.title`).
PAGES = (("scenario", "Scenario", ":material/tune:"),
         ("results", "Results", ":material/monitoring:"),
         ("compare", "Compare", ":material/compare_arrows:"),
         ("sweep", "Sweep", ":material/stacked_line_chart:"),
         ("stress", "Stress", ":material/bolt:"),
         ("optimize", "Optimize", ":material/savings:"),
         ("risks", "Risks", ":material/warning:"),
         ("export", "Export", ":material/download:"))


def _page_title(stem: str) -> str:
    return {"scenario": tr("Scenario"), "results": tr("Results"), "compare": tr("Compare"),
            "sweep": tr("Sweep"), "stress": tr("Stress"), "optimize": tr("Optimize"),
            "risks": tr("Risks"), "export": tr("Export")}[stem]


def _language() -> Language:
    """The session's language: the sidebar's choice, first the environment's (LC_ALL, LANG).

    Set at the top of every script run (a context variable of the run's thread), before any
    label is drawn; switching reruns the page with the session's results kept.
    """
    if session.LANGUAGE not in st.session_state:
        st.session_state[session.LANGUAGE] = language_from_env()
    chosen: Language = st.session_state[session.LANGUAGE]
    if chosen == "zh" and cjk_family() is None:
        chosen = "en"  # Chinese charts would be boxes: the sidebar says so
    use_language(chosen)
    return chosen


def _sidebar(spoken: Language) -> None:
    with st.sidebar:
        st.radio("Language / 语言", LANGUAGES, key=session.LANGUAGE, horizontal=True,
                 format_func=lambda lang: {"en": "English", "zh": "中文"}[lang])
        if st.session_state[session.LANGUAGE] != spoken:
            st.warning("No CJK font found (install fonts-noto-cjk): the explorer stays in "
                       "English / 未找到中文字体，改用英文")
        st.number_input(tr("Worker processes"), min_value=1, max_value=64, step=1,
                        value=runner.default_worker_count(), key=session.WORKERS,
                        help=tr("Replications run in this many processes; the numbers do not "
                                "depend on it (`--workers` of the CLI)"))
        st.caption(tr("Every number here comes from the same experiment layer as the "
                      "`aftersales-sim` command line, and the scenario you download reproduces "
                      "it."))


def main() -> None:
    """Set up the page, register the pages and run the selected one."""
    st.set_page_config(page_title="aftersales-sim explorer", page_icon=":material/build:",
                       layout="wide")
    spoken = _language()
    pages = [st.Page(PAGES_DIR / f"{stem}.py", title=_page_title(stem), icon=icon,
                     url_path=stem, default=stem == "scenario")
             for stem, _, icon in PAGES]
    selected = st.navigation(pages)
    _sidebar(spoken)
    runner.executor_for(session.workers())  # starts the worker pool before the first run
    selected.run()
