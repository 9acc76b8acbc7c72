"""The Scenario page: pick or upload a scenario, edit its levers, see and download the edits.

Levers become `--set` overrides (`sim.scenario.levers`) applied by the loader, so a rejected edit
shows the loader's message, and the downloaded YAML or the printed command reproduces the scenario
with the CLI. The page holds no rules of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import streamlit as st

from sim.explorer import session
from sim.explorer.source import display_path, read_file, read_upload, scenario_dir, scenario_files
from sim.i18n.messages import tr
from sim.scenario.base import CONTACT_TYPES
from sim.scenario.capacity import capacity_warnings
from sim.scenario.format import Scenario
from sim.scenario.levers import (
    GROUPS,
    ExtraEvent,
    Lever,
    LeverValue,
    cli_command,
    levers_for,
    scenario_diff,
)
from sim.scenario.loader import scenario_to_yaml
from sim.scenario.problems import ScenarioError
from sim.scenario.yaml_io import MAX_BYTES

UPLOAD = "explorer_upload"
PICK = "explorer_pick"
MAX_UPLOAD_MB = max(1, MAX_BYTES // (1024 * 1024))
COLUMNS = 3


def _load_picked() -> None:
    name = st.session_state.get(PICK)
    if not name:
        return
    path = scenario_dir() / str(name)
    try:
        loaded, _ = read_file(path)
    except ScenarioError as err:
        st.session_state[session.SOURCE_PROBLEMS] = (tr("`{name}` was not loaded", name=name),
                                                     err.problems)
        return
    session.set_source(loaded)


def _load_upload() -> None:
    upload = st.session_state.get(UPLOAD)
    if upload is None:
        return
    try:
        loaded, _ = read_upload(upload.getvalue(), upload.name)
    except ScenarioError as err:
        label = err.problems[0].file if err.problems else tr("the upload")
        st.session_state[session.SOURCE_PROBLEMS] = (tr("`{name}` was not loaded", name=label),
                                                     err.problems)
        return
    session.set_source(loaded)


def _pick_source() -> None:
    files = scenario_files(scenario_dir())
    names = [p.name for p in files]
    current = session.source()
    here = Path(current.label).name if current.kind == "file" else None
    left, right = st.columns(2)
    with left:
        st.selectbox(tr("Scenario file (`{folder}/`)", folder=display_path(scenario_dir())),
                     names, index=names.index(here) if here in names else None,
                     placeholder=tr("Choose a file"), key=PICK, on_change=_load_picked)
    with right:
        st.file_uploader(tr("... or upload a scenario (YAML, at most {mb} MB)",
                            mb=MAX_UPLOAD_MB),
                         type=["yaml", "yml"], max_upload_size=MAX_UPLOAD_MB, key=UPLOAD,
                         on_change=_load_upload)
    failed = st.session_state.get(session.SOURCE_PROBLEMS)
    if failed:
        heading, problems = failed
        session.show_problems(problems, tr("{heading}; still using `{name}`", heading=heading,
                                           name=current.label))


def _widget(lever: Lever, current: LeverValue) -> None:
    key = session.widget_key("lever", lever.path)
    if lever.kind == "text":
        st.text_input(lever.label, value=str(current), key=key, help=lever.help)
    elif lever.kind == "choices":
        chosen = list(current) if isinstance(current, tuple | list) else []
        st.multiselect(lever.label, list(lever.options), default=chosen, key=key,
                       help=lever.help)
    elif isinstance(current, tuple):
        raise TypeError(f"lever {lever.path}: a {lever.kind} lever holds a number")
    elif lever.kind == "int":
        st.number_input(lever.label, value=int(current), step=1, format="%d", key=key,
                        help=lever.help)
    else:
        st.number_input(lever.label, value=float(current), step=lever.step, format="%g", key=key,
                        help=lever.help)


def _event_widgets(file: Scenario, event: ExtraEvent | None) -> None:
    types = [t for t in CONTACT_TYPES if file.demand.share(t) > 0]

    def key(name: str) -> str:
        return session.widget_key("event", name)

    st.checkbox(tr("Add an extra demand event"), value=event is not None, key=key("on"),
                help=tr("Appended to `demand.events`; its days count from day 0, the start of "
                        "the warm-up"))
    cols = st.columns(4)
    # The default name stays English: it goes into the scenario file (names are data).
    cols[0].text_input(tr("Name"), value=event.name if event else "extra demand",
                       key=key("name"))
    cols[1].number_input(tr("Start day"), value=float(event.start_day if event else
                                                      file.warmup_days), step=1.0, format="%g",
                         key=key("start_day"))
    cols[2].number_input(tr("Days"), value=float(event.days if event else 7.0), step=1.0,
                         format="%g", key=key("days"))
    cols[3].number_input(tr("Multiplier"), value=float(event.multiplier if event else 1.5),
                         step=0.1, format="%g", key=key("multiplier"))
    st.multiselect(tr("Contact types hit"), list(CONTACT_TYPES),
                   default=list(event.types) if event else types, key=key("types"))


def _apply(levers: Sequence[Lever]) -> None:
    """Form callback: validate the edits through the loader; keep them only if they pass."""
    state = st.session_state
    keys = {lv.path: session.widget_key("lever", lv.path) for lv in levers}
    kinds = {lv.path: lv.kind for lv in levers}
    values = {path: (tuple(state[key]) if kinds[path] == "choices" else state[key])
              for path, key in keys.items() if key in state}
    event = None

    def ev(name: str) -> str:
        return session.widget_key("event", name)

    if state.get(ev("on")):
        event = ExtraEvent(str(state.get(ev("name"), "")), float(state[ev("start_day")]),
                           float(state[ev("days")]), float(state[ev("multiplier")]),
                           tuple(state.get(ev("types")) or ()))
    src = session.source()
    try:
        file = session.file_scenario()
        session.load_text(src.text, src.label,
                          tuple(session.edit_overrides(file, values, event)))
    except ScenarioError as err:
        state[session.EDIT_PROBLEMS] = err.problems
        return
    state[session.VALUES] = values
    state[session.EVENT] = event
    state[session.EDIT_PROBLEMS] = None


def _reset() -> None:
    st.session_state[session.VALUES] = {}
    st.session_state[session.DECIDED] = {}
    st.session_state[session.EVENT] = None
    st.session_state[session.EDIT_PROBLEMS] = None
    session.clear_widgets()


def _lever_form(file: Scenario) -> None:
    levers = levers_for(file)
    values = session.lever_values()
    with st.form("levers"):
        st.markdown(tr("**Levers** (the file's values until you apply an edit)"))
        for group in GROUPS:
            mine = [lv for lv in levers if lv.group == group]
            if not mine:
                continue
            st.markdown(f"*{tr(group)}*")
            cols = st.columns(COLUMNS)
            for i, lever in enumerate(mine):
                with cols[i % COLUMNS]:
                    _widget(lever, values.get(lever.path, lever.value))
        st.markdown(f"*{tr('Extra demand event')}*")
        _event_widgets(file, session.extra_event())
        left, right = st.columns([1, 5])
        left.form_submit_button(tr("Apply edits"), type="primary", on_click=_apply,
                                args=(levers,))
        right.form_submit_button(tr("Reset to the file"), on_click=_reset)
    problems = st.session_state.get(session.EDIT_PROBLEMS)
    if problems:
        session.show_problems(problems, tr("These edits were not applied"))


def _changes(file: Scenario, edited: Scenario) -> None:
    src = session.source()
    overrides = session.current_overrides()
    st.subheader(tr("What changed"))
    diff = scenario_diff(file, edited)
    if diff.empty:
        st.caption(tr("No edits: the scenario is the file as it is."))
    else:
        st.dataframe(diff, hide_index=True, width="stretch",
                     column_config={"key_path": tr("key path"), "file_value": tr("file value"),
                                    "edited_value": tr("edited value")})
    if src.kind == "file":
        st.markdown(tr("The same scenario from the command line:"))
    else:
        st.markdown(tr("The same scenario from the command line, next to the uploaded file "
                       "saved as `{name}`:", name=src.label))
    st.code(cli_command(src.label, overrides), language="bash", wrap_lines=True)
    st.download_button(tr("Download the edited scenario (YAML)"),
                       data=lambda: scenario_to_yaml(edited).encode("utf-8"),
                       file_name=f"{edited.name}.yaml", mime="application/x-yaml",
                       on_click="ignore", key="download_scenario")
    for warning in capacity_warnings(edited):
        st.warning(warning)


def render() -> None:
    """The Scenario page."""
    st.title(tr("Scenario"))
    _pick_source()
    try:
        file = session.file_scenario()
    except ScenarioError as err:  # only if the loader's rules changed since it was loaded
        session.show_problems(err, tr("The scenario no longer validates"))
        return
    if file.description:
        st.caption(file.description)
    _lever_form(file)
    edited = session.edited_or_stop()
    _changes(file, edited)
