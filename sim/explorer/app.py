"""The explorer's frame: page registry, navigation and the sidebar (worker processes).

`app.py` at the project root calls `main()`; `make app` runs it with
`streamlit run app.py --server.address 127.0.0.1`. Each page is a small script in
`sim/explorer/pages/` that calls its module's `render()`.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from sim.explorer import runner, session

PAGES_DIR = Path(__file__).resolve().parent / "pages"
PAGES = (("scenario", "Scenario", ":material/tune:"),
         ("results", "Results", ":material/monitoring:"),
         ("compare", "Compare", ":material/compare_arrows:"),
         ("sweep", "Sweep", ":material/stacked_line_chart:"),
         ("stress", "Stress", ":material/bolt:"),
         ("optimize", "Optimize", ":material/savings:"),
         ("risks", "Risks", ":material/warning:"),
         ("export", "Export", ":material/download:"))


def _sidebar() -> None:
    with st.sidebar:
        st.number_input("Worker processes", min_value=1, max_value=64, step=1,
                        value=runner.default_worker_count(), key=session.WORKERS,
                        help="Replications run in this many processes; the numbers do not "
                             "depend on it (`--workers` of the CLI)")
        st.caption("Every number here comes from the same experiment layer as the "
                   "`aftersales-sim` command line, and the scenario you download reproduces it.")


def main() -> None:
    """Set up the page, register the pages and run the selected one."""
    st.set_page_config(page_title="aftersales-sim explorer", page_icon=":material/build:",
                       layout="wide")
    pages = [st.Page(PAGES_DIR / f"{stem}.py", title=title, icon=icon, url_path=stem,
                     default=stem == "scenario")
             for stem, title, icon in PAGES]
    selected = st.navigation(pages)
    _sidebar()
    runner.executor_for(session.workers())  # starts the worker pool before the first run
    selected.run()
