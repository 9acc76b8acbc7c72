"""Hostile input, generated: mutated scenario files and `--set` values (issue 14, "Done when").

Whatever the mutation, `run` exits 0 or 2, raises nothing (no traceback), writes nothing outside
`--out`, and never deletes a file it did not write. Few examples by default, on a small scenario
over a short horizon; `HOSTILE_EXAMPLES=500` runs more. The workload limit is lowered for the
test (a mutation may ask for a million contacts a day: that is refused, not simulated).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim.scenario.workload
from sim.cli import main
from sim.scenario.yaml_io import read_yaml, to_yaml

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "20"))

VALID = """\
name: hostile
horizon_days: 2
warmup_days: 0.5
seed: 5
demand:
  contacts_per_day: 60
  mix: {inquiry: 0.5, repair: 0.4, complaint: 0.1}
  weekly_profile: [1.2, 1, 1, 1, 1, 0.5, 0.3]
  hourly_profile: business_hours
  events: [{name: wave, start_day: 1, days: 0.5, multiplier: 1.5, types: [repair]}]
call_center:
  hours: {open: "08:00", close: "18:00"}
  agents:
    - {name: day, start: "08:00", end: "18:00", days: [mon, tue, wed, thu, fri, sat, sun], count: 3}
  handle_minutes:
    inquiry: {dist: lognormal, mean: 5, cv: 0.6}
    repair: {dist: gamma, mean: 7, cv: 0.5}
    complaint: {dist: empirical, values: [4, 9, 15], weights: [1, 2, 1]}
  patience_minutes: {dist: exponential, mean: 4}
  lines: 12
  escalation: {probability: {inquiry: 0.1}, specialists: 1,
               handle_minutes: {dist: triangular, low: 5, mode: 8, high: 20}}
  redial: {probability: 0.5, delay_minutes: {dist: exponential, mean: 10}, max_attempts: 3}
complaints: {deadline_hours: 24, handlers: 1, resolution_hours: {dist: uniform, low: 1, high: 3}}
field_service:
  onsite_share: 0.8
  technicians: 3
  travel_minutes: {dist: gamma, mean: 20, cv: 0.5}
  repair_minutes: {dist: lognormal, mean: 45, cv: 0.5}
  fix_probability: 0.9
  quality_pass_probability: 0.95
  booking: {min_lead_hours: 2}
  depot: {technicians: 1, transit_hours: 12, repair_minutes: 60}
parts:
  need_probability: 0.5
  skus:
    - {sku: pump, share: 0.6, unit_cost: 50, initial_on_hand: 4,
       policy: {type: sS, s: 2, S: 6}, lead_time_days: {dist: gamma, mean: 2, cv: 0.4}}
    - {sku: board, share: 0.4, unit_cost: 90, initial_on_hand: 3,
       policy: {type: base_stock, level: 3}, lead_time_days: 1}
followup: {within_hours: 24, reach_probability: 0.8}
costs: {agent_per_hour: 20, technician_per_hour: 30}
revenue: {repair_fee: {onsite: 80, depot: 60}, warranty_share: 0.3}
disruptions:
  - {type: absence, start_day: 1, days: 0.5, share: 0.3}
targets: {service_level: 0.8, fill_rate: 0.9}
"""

HOSTILE_VALUES = [
    "-1", "0", "1e308", "-1e308", ".nan", ".inf", "-.inf", "1.0000001", "18446744073709551616",
    "9" * 40, "true", "null", "''", "abc", "[]", "{}", "[1, 2, 3]", "[[[[[]]]]]", '"08:00"',
    "25:61", "{dist: normal, mean: -3, sd: 1}", "{dist: empirical, values: [-1, -2]}",
    "{dist: gamma, mean: 1e300, cv: 1e-300}", "{dist: exponential, mean: 1e-300}",
    "{dist: uniform, low: 5, high: 1}", "{dist: triangular, low: 0, mode: 9, high: 1}",
    "{dist: lognormal, mean: 1e308, cv: 1e308}", "{type: sS, s: 9, S: 1}", "!!python/none ''",
    "&a [*a]", "{a: {b: {c: {d: 1}}}}", "2027-01-04", "2027-01-05", "[mon, mon]", "10000",
    "100000", "{name: x, start: '23:00', end: '01:00', days: [sun], count: 10000}",
    "{type: base_stock, level: 1000000000000}", "1e-300", "0.5", "2", "3660", "0.0001",
    "{type: periodic, review_days: 1e-300, S: 5}", "{type: rQ, r: 0, Q: 1000000000000}",
    "{dist: empirical, values: [1, 2], weights: [1e308, 1e308]}",
]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path of plain data (lists by index)."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


BASE_DATA = read_yaml(VALID)[0]
PATHS = [".".join(map(str, p)) for p in _paths(BASE_DATA)]
EXTRA_PATHS = ["demand.events.0", "disruptions.0.type", "nonexistent.key", "parts.skus.5.sku",
               "call_center.hours.days", "field_service.depot", "name", "start_date",
               "demand.mix.repair", "call_center.agents.0.count", "revenue", "followup",
               "call_center..agents", "", ".", "parts.skus.0.policy.type", "parts.count_days",
               "followup.retry_hours", "parts.skus.1.policy", "field_service.rework_delay_hours"]

override = st.builds(lambda p, v: f"{p}={v}", st.sampled_from(PATHS + EXTRA_PATHS),
                     st.sampled_from(HOSTILE_VALUES))


@st.composite
def mutated_yaml(draw: st.DrawFn) -> str:
    """The valid scenario, mutated: in its data (a value replaced, a key removed or added), or
    in its text (a line removed, repeated, replaced or cut)."""
    how = draw(st.sampled_from(["value", "delete", "add", "text", "none"]))
    if how == "text":
        lines = VALID.splitlines()
        i = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(["drop", "repeat", "garbage", "cut", "tab"]))
        if edit == "drop":
            del lines[i]
        elif edit == "repeat":
            lines.insert(i, lines[i])
        elif edit == "garbage":
            lines[i] = draw(st.text(max_size=30))
        elif edit == "cut":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
        else:
            lines[i] = "\t" + lines[i]
        return "\n".join(lines) + "\n"
    data = read_yaml(VALID)[0]
    if how == "none":
        return to_yaml(data)
    path = draw(st.sampled_from(_paths(data)))
    node: Any = data
    for key in path[:-1]:
        node = node[key]
    if how == "delete":
        node.pop(path[-1])
    elif how == "add" and isinstance(node, dict):
        node[draw(st.sampled_from(["extra", "contacts_per_dya", "seed", "type"]))] = 1
    else:
        text = draw(st.sampled_from(HOSTILE_VALUES))
        try:
            node[path[-1]] = read_yaml(text)[0]
        except Exception:  # a value YAML itself refuses: put it in as text
            node[path[-1]] = text
    return to_yaml(data)


@pytest.fixture(scope="module")
def previous_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished results folder of the valid scenario, copied into each example's --out."""
    root = tmp_path_factory.mktemp("previous")
    (root / "s.yaml").write_text(VALID, encoding="utf-8")
    assert main(["run", str(root / "s.yaml"), "--reps", "1", "--workers", "1", "--quiet",
                 "--out", str(root / "out")]) == 0
    return root / "out"


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else b"<dir>")
            for p in sorted(folder.rglob("*"))}


def _outside(work: Path) -> dict[str, bytes]:
    """Everything in the example's folder but --out (and the folder holding it, which a run
    creates: a folder, not a file)."""
    return {k: v for k, v in _tree(work).items()
            if not (k == "results" or k.startswith("results/out"))}


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=mutated_yaml(), overrides=st.lists(override, max_size=3),
       out_state=st.sampled_from(["absent", "previous run", "user file", "user file, overwrite"]))
def test_hostile_input_exits_cleanly_and_keeps_every_file(
        text: str, overrides: list[str], out_state: str, previous_run: Path,
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sim.scenario.workload, "MAX_CONTACTS", 20_000)
    monkeypatch.setattr(sim.scenario.workload, "MAX_WORK_ORDERS", 10_000)
    work = tmp_path_factory.mktemp("hostile")
    scenario = work / "scenario.yaml"
    scenario.write_text(text, encoding="utf-8")
    (work / "mine.txt").write_text("not the tool's", encoding="utf-8")
    out = work / "results" / "out"
    argv = ["run", str(scenario), "--reps", "1", "--workers", "1", "--quiet", "--out", str(out)]
    argv += [f"--set={o}" for o in overrides]
    if out_state != "absent":
        shutil.copytree(previous_run, out)
    if out_state.startswith("user file"):
        (out / "my_notes.txt").write_text("keep me", encoding="utf-8")
    if out_state.endswith("overwrite"):
        argv.append("--overwrite")
    outside = _outside(work)
    before_out = _tree(out) if out.exists() else {}

    code = main(argv)  # an exception here is the traceback a user would see

    err = capsys.readouterr().err
    assert code in (0, 2), err
    assert "Traceback" not in err
    if code == 2:
        said = [line for line in err.splitlines() if not line.startswith("warning: ")]
        assert said and said[0].startswith("error: "), err
        assert (_tree(out) if out.exists() else {}) == before_out, "a refused run changed --out"
    assert _outside(work) == outside
    if out_state.startswith("user file"):
        assert (out / "my_notes.txt").read_text(encoding="utf-8") == "keep me"
    if out_state == "user file":
        assert code == 2  # without --overwrite, a run holding the user's file is not replaced
