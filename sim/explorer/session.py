"""The explorer's session: the loaded scenario, the edits, the runs asked for, shared widgets.

This module owns what the pages share through `st.session_state` (the scenario source, the lever
values and the extra demand event as last applied, the results a user asked for) and derives
the scenarios from it through the loader: the file's, the edited one (file + overrides) and the
reference for comparisons (file + the edited run settings). It also renders the few elements
every page shows the same way: the scenario line and the loader's problems.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import streamlit as st

from sim.experiments.replicate import RunResult
from sim.experiments.store import scenario_digest
from sim.explorer import runner
from sim.explorer.source import Source, read_file, scenario_dir, scenario_files
from sim.i18n.messages import tr
from sim.scenario.format import Scenario
from sim.scenario.levers import (
    ExtraEvent,
    LeverValue,
    event_override,
    levers_for,
    override,
    overrides_for,
)
from sim.scenario.loader import load_scenario_text
from sim.scenario.problems import OVERRIDE_SOURCE, Problem, ScenarioError

SOURCE = "explorer_source"
VALUES = "explorer_lever_values"
EVENT = "explorer_extra_event"
DECIDED = "explorer_decided"  # keys an applied optimizer decision set that no lever shows
SOURCE_PROBLEMS = "explorer_source_problems"
EDIT_PROBLEMS = "explorer_edit_problems"
RUNS = "explorer_runs"
WORKERS = "workers"
TOKEN = "explorer_session_token"
LANGUAGE = "explorer_language"  # "en" or "zh": the sidebar's language switch
WIDGET_PREFIXES = ("lever:", "event:")
GENERATION = "explorer_widget_generation"
RUN_GROUP_KEYS = ("replications", "seed", "warmup_days", "horizon_days")
DEFAULT_FILE = "baseline.yaml"


@st.cache_data(max_entries=64, show_spinner=False)
def load_text(text: str, label: str, overrides: tuple[str, ...]) -> Scenario:
    """`load_scenario_text`, cached on its arguments (parsing YAML costs ~0.1 s a page)."""
    return load_scenario_text(text, label, overrides)


def clear_widgets() -> None:
    """Forget the lever widgets' state, so they show the values of a newly loaded scenario.

    Deleting their state is not enough: the browser keeps a keyed widget's value across
    reruns, and "Apply edits" would send the previous file's name and horizon with the new
    file. So the widgets of each generation get keys of their own (`widget_key`)."""
    for key in [k for k in st.session_state if str(k).startswith(WIDGET_PREFIXES)]:
        del st.session_state[key]
    st.session_state[GENERATION] = int(st.session_state.get(GENERATION, 0)) + 1


def widget_key(prefix: str, name: str) -> str:
    """The key of a lever (``lever``) or extra-event (``event``) widget in this generation."""
    return f"{prefix}:{int(st.session_state.get(GENERATION, 0))}:{name}"


def set_source(source: Source) -> None:
    """Make ``source`` the scenario of the session; its edits start from scratch."""
    st.session_state[SOURCE] = source
    st.session_state[VALUES] = {}
    st.session_state[EVENT] = None
    st.session_state[DECIDED] = {}
    st.session_state[SOURCE_PROBLEMS] = None
    st.session_state[EDIT_PROBLEMS] = None
    clear_widgets()


def source() -> Source:
    """The session's scenario source; the first call loads `scenarios/baseline.yaml` (or the
    first file of the folder)."""
    current = st.session_state.get(SOURCE)
    if isinstance(current, Source):
        return current
    files = scenario_files(scenario_dir())
    if not files:
        st.error(tr("No scenario files in `{folder}`: upload one on the Scenario page.",
                    folder=scenario_dir()))
        st.stop()
    default = next((p for p in files if p.name == DEFAULT_FILE), files[0])
    try:
        loaded, _ = read_file(default)
    except ScenarioError as err:
        show_problems(err, tr("`{name}` does not load", name=default.name))
        st.stop()
    set_source(loaded)
    return loaded


def lever_values() -> dict[str, LeverValue]:
    """The lever values as last applied (paths left out keep the file's value)."""
    return dict(st.session_state.get(VALUES) or {})


def extra_event() -> ExtraEvent | None:
    """The extra demand event as last applied, if any."""
    event = st.session_state.get(EVENT)
    return event if isinstance(event, ExtraEvent) else None


def file_scenario() -> Scenario:
    """The scenario as its file says."""
    src = source()
    return load_text(src.text, src.label, ())


def edit_overrides(file: Scenario, values: dict[str, LeverValue], event: ExtraEvent | None
                   ) -> list[str]:
    """The overrides for lever values and an extra event on top of ``file``."""
    out = overrides_for(levers_for(file), values)
    if event is not None:
        out.append(event_override(file, event))
    return out


def current_overrides() -> list[str]:
    """The session's overrides, in the order the CLI would take them."""
    decided = dict(st.session_state.get(DECIDED) or {})
    return [*edit_overrides(file_scenario(), lever_values(), extra_event()),
            *(override(path, value) for path, value in decided.items())]


def apply_decision(decision: dict[str, int]) -> None:
    """Make an optimizer's decision the edited scenario's values.

    Keys a lever shows become lever values (so the Scenario page shows them); the others (a
    SKU's initial stock, which follows its policy) are kept as overrides of their own. Other
    edits stay.
    """
    paths = {lever.path for lever in levers_for(file_scenario())}
    values = lever_values()
    decided = dict(st.session_state.get(DECIDED) or {})
    for path, value in decision.items():
        if path in paths:
            values[path] = value
            decided.pop(path, None)
        else:
            decided[path] = value
    st.session_state[VALUES] = values
    st.session_state[DECIDED] = decided
    clear_widgets()


def edited_scenario() -> Scenario:
    """The file with the session's edits, validated by the loader.

    Raises:
        ScenarioError: If the edits do not validate (they were validated when applied, so only
            when the loader's rules changed meanwhile).
    """
    src = source()
    return load_text(src.text, src.label, tuple(current_overrides()))


def reference_scenario() -> Scenario:
    """The file with only the edited run settings (replications, seed, warm-up, horizon): what
    the edited scenario is compared against, so both run equally long on the same seeds."""
    src, file = source(), file_scenario()
    values = {k: v for k, v in lever_values().items() if k in RUN_GROUP_KEYS}
    return load_text(src.text, src.label, tuple(overrides_for(levers_for(file), values)))


def edited_named(name: str) -> Scenario:
    """The edited scenario under another name (one more override, through the loader)."""
    src = source()
    return load_text(src.text, src.label, (*current_overrides(), override("name", name)))


def edited_or_stop() -> Scenario:
    """The edited scenario, or the loader's problems and the end of the page."""
    try:
        return edited_scenario()
    except ScenarioError as err:
        show_problems(err, tr("The edited scenario does not validate"))
        st.stop()
        raise  # unreachable: st.stop() raises


def run_key(scenario: Scenario) -> str:
    """What a run is cached on: the canonical JSON (seed and replications are inside)."""
    return scenario_digest(scenario.model_dump_json())


def token() -> str:
    """This session's own name on the server's shared shelves (made on first use)."""
    if TOKEN not in st.session_state:
        st.session_state[TOKEN] = uuid.uuid4().hex
    value: str = st.session_state[TOKEN]
    return value


def workers() -> int:
    """Worker processes chosen in the sidebar."""
    value = st.session_state.get(WORKERS)
    return max(1, int(value)) if value else runner.default_worker_count()


def requested(kind: str) -> set[str]:
    """Keys of the runs of ``kind`` this session asked for (shown again without a click)."""
    runs: dict[str, set[str]] = st.session_state.setdefault(RUNS, {})
    return runs.setdefault(kind, set())


def scenario_run(scenario: Scenario, start: bool) -> RunResult | None:
    """The run of ``scenario`` if asked for now (``start``) or earlier in the session."""
    key = run_key(scenario)
    if not start and key not in requested("run"):
        return None
    result = runner.run_scenario(scenario.model_dump_json(), scenario.replications,
                                 scenario.seed, runner.executor_for(workers()))
    requested("run").add(key)
    return result


def problem_lines(problems: Sequence[Problem]) -> list[str]:
    """Markdown lines: where (line, or the edited value) then key path and message."""
    lines = []
    for p in problems:
        if p.file == OVERRIDE_SOURCE:
            where = tr("edited value")
        elif p.line is not None:
            where = tr("{file}, line {line}", file=p.file, line=p.line)
        else:
            where = p.file
        path = f" `{p.path}`" if p.path else ""
        lines.append(f"- **{where}**{path}: {p.message}")
    return lines


def show_problems(err: ScenarioError | Sequence[Problem], heading: str) -> None:
    """The loader's problems as an error box (never a traceback)."""
    problems = err.problems if isinstance(err, ScenarioError) else list(err)
    st.error("\n".join([f"**{heading}:**", *problem_lines(problems)]))


def scenario_caption(scenario: Scenario) -> None:
    """One line naming the scenario, its source and how long it runs."""
    src = source()
    edits = len(current_overrides())
    edited = tr(" with {n} edit(s)", n=edits) if edits else ""
    st.caption(tr("Scenario `{name}` from `{file}`{edited}: {reps} replications, seed {seed}, "
                  "warm-up {warmup:g} days, horizon {horizon:g} days. Change these on the "
                  "Scenario page.", name=scenario.name, file=src.label, edited=edited,
                  reps=scenario.replications, seed=scenario.seed, warmup=scenario.warmup_days,
                  horizon=scenario.horizon_days))
