"""Bad input never runs: each error names the file, line, key path and what is allowed."""

from __future__ import annotations

import pathlib
import time
from pathlib import Path

import pytest

from sim.scenario.loader import load_scenario, load_scenario_text
from sim.scenario.problems import Problem, ScenarioError
from sim.scenario.yaml_io import MAX_BYTES

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
BASE_TEXT = BASELINE.read_text(encoding="utf-8")


def _line(text: str, needle: str) -> int:
    """1-based line of the first line containing `needle`."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def _edit(old: str, new: str) -> str:
    assert old in BASE_TEXT, old
    return BASE_TEXT.replace(old, new, 1)


def _problems(tmp_path: Path, text: str, overrides: tuple[str, ...] = ()) -> list[Problem]:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides)
    problems = info.value.problems
    for p in problems:
        assert p.file in (str(path), "--set")
        # pydantic's noise must not reach the user
        assert "https://" not in p.message and "input_type" not in p.message
        assert "Value error," not in p.message
    return problems


def _one(tmp_path: Path, old: str, new: str) -> tuple[Problem, str]:
    text = _edit(old, new)
    problems = _problems(tmp_path, text)
    assert len(problems) == 1, problems
    return problems[0], text


def test_str_is_file_line_path_message(tmp_path: Path) -> None:
    p, text = _one(tmp_path, "  contacts_per_day: 520", "  contacts_per_day: 0")
    line = _line(text, "contacts_per_day")
    path = tmp_path / "bad.yaml"
    assert str(ScenarioError([p])) == (
        f"{path}:{line}: demand.contacts_per_day: must be greater than 0 (got 0)")


def test_yaml_syntax_error(tmp_path: Path) -> None:
    p, text = _one(tmp_path, "complaint: 0.10}", "complaint: 0.10")
    assert p.line == _line(text, "weekly_profile")  # where the parser noticed
    assert p.path.startswith("demand.mix")
    assert "YAML syntax error" in p.message and "'}'" in p.message
    assert f"flow mapping (line {_line(text, '  mix:')})" in p.message  # where it began


def test_duplicate_key(tmp_path: Path) -> None:
    p, text = _one(tmp_path, "  contacts_per_day: 520 ",
                   "  contacts_per_day: 520\n  contacts_per_day: 530 ")
    assert p.line == _line(text, "contacts_per_day: 530")
    assert p.path == "demand.contacts_per_day"
    assert "duplicate key" in p.message and "once" in p.message


def test_unknown_key_suggests_the_nearest(tmp_path: Path) -> None:
    p, text = _one(tmp_path, "  contacts_per_day: 520", "  contacts_per_dya: 520")
    assert (p.line, p.path) == (_line(text, "contacts_per_dya"), "demand.contacts_per_dya")
    assert "did you mean `contacts_per_day`?" in p.message
    assert "allowed keys: contacts_per_day, mix, weekly_profile" in p.message


def test_an_unknown_key_does_not_hide_the_sections_other_problems(tmp_path: Path) -> None:
    text = _edit("  contacts_per_day: 520", "  contacts_per_day: -5\n  colour: red")
    text = text.replace("  fix_probability: 0.92", "  fix_probability: 1.92\n  speed: 3", 1)
    found = {(p.line, p.path): p.message for p in _problems(tmp_path, text)}
    assert set(found) == {
        (_line(text, "colour: red"), "demand.colour"),
        (_line(text, "contacts_per_day: -5"), "demand.contacts_per_day"),
        (_line(text, "speed: 3"), "field_service.speed"),
        (_line(text, "fix_probability: 1.92"), "field_service.fix_probability")}
    assert "must be greater than 0 (got -5)" in found[(_line(text, "contacts_per_day: -5"),
                                                        "demand.contacts_per_day")]


def test_wrong_type(tmp_path: Path) -> None:
    p, text = _one(tmp_path, "  lines: 60 ", "  lines: sixty ")
    assert (p.line, p.path) == (_line(text, "lines: sixty"), "call_center.lines")
    assert "expected a whole number (got 'sixty')" in p.message


def test_non_positive_rate(tmp_path: Path) -> None:
    p, text = _one(tmp_path, "  contacts_per_day: 520", "  contacts_per_day: -3")
    assert (p.line, p.path) == (_line(text, "contacts_per_day"), "demand.contacts_per_day")
    assert p.message == "must be greater than 0 (got -3)"


def test_negative_duration(tmp_path: Path) -> None:
    p, text = _one(tmp_path, "      lead_time_days: 4", "      lead_time_days: -4")
    assert (p.line, p.path) == (_line(text, "lead_time_days: -4"), "parts.skus.2.lead_time_days")
    assert "a duration cannot be negative" in p.message and "0 or more" in p.message


def test_lognormal_cv_out_of_range(tmp_path: Path) -> None:
    p, text = _one(tmp_path, "mean: 5.0, cv: 0.7}", "mean: 5.0, cv: -1}")
    assert (p.line, p.path) == (_line(text, "cv: -1"), "call_center.handle_minutes.inquiry.cv")
    assert p.message == "must be greater than 0 (got -1)"


def test_uniform_high_below_low(tmp_path: Path) -> None:
    p, text = _one(tmp_path, "low: 12, high: 36", "low: 36, high: 12")
    assert (p.line, p.path) == (_line(text, "transit_hours"), "field_service.depot.transit_hours")
    assert "high > low" in p.message and "low 36, high 12" in p.message


def test_unknown_dist_name(tmp_path: Path) -> None:
    p, text = _one(tmp_path, "{dist: exponential, mean: 4.0}", "{dist: expo, mean: 4.0}")
    assert (p.line, p.path) == (_line(text, "patience_minutes"), "call_center.patience_minutes")
    assert "unknown dist `expo`" in p.message
    assert "allowed: constant, exponential, lognormal, gamma, uniform" in p.message


def test_mix_not_summing_to_one_shows_the_sum(tmp_path: Path) -> None:
    p, text = _one(tmp_path, "complaint: 0.10}", "complaint: 0.20}")
    assert (p.line, p.path) == (_line(text, "  mix:"), "demand.mix")
    assert "must sum to 1 (got 1.1)" in p.message


def test_probability_outside_unit_interval(tmp_path: Path) -> None:
    p, text = _one(tmp_path, "reach_probability: 0.8", "reach_probability: 1.5")
    assert (p.line, p.path) == (_line(text, "reach_probability"), "followup.reach_probability")
    assert p.message == "must be at most 1 (got 1.5)"


def test_shift_end_equal_to_start(tmp_path: Path) -> None:
    p, text = _one(tmp_path, 'end: "16:00"', 'end: "08:00"')
    assert (p.line, p.path) == (_line(text, "name: early"), "call_center.agents.0")
    assert "starts and ends at 08:00" in p.message and "past midnight" in p.message


def test_unknown_day_name(tmp_path: Path) -> None:
    p, text = _one(tmp_path, "days: [sat, sun]", "days: [sat, sunday]")
    assert (p.line, p.path) == (_line(text, "sunday"), "call_center.agents.2.days.1")
    assert "`sunday`; did you mean `sun`?" in p.message
    assert "allowed: mon, tue, wed, thu, fri, sat, sun" in p.message


def test_missing_required_key(tmp_path: Path) -> None:
    p, text = _one(tmp_path, "  repair_minutes: {dist: lognormal, mean: 50, cv: 0.6}\n", "")
    assert (p.line, p.path) == (_line(text, "field_service:"), "field_service.repair_minutes")
    assert "required" in p.message


def test_sku_shares_not_summing_to_one(tmp_path: Path) -> None:
    p, text = _one(tmp_path, "share: 0.50", "share: 0.40")
    assert (p.line, p.path) == (_line(text, "  skus:"), "parts.skus")
    assert "must sum to 1 (got 0.9)" in p.message


def test_python_object_tag_is_refused(tmp_path: Path) -> None:
    p, text = _one(tmp_path, "seed: 20261129", "seed: !!python/object/apply:os.system [ls]")
    assert (p.line, p.path) == (_line(text, "seed:"), "seed")
    assert "tags are not allowed: scenario files are plain data" in p.message
    assert "!!python/object/apply:os.system" in p.message


def test_custom_tag_is_refused(tmp_path: Path) -> None:
    p, _ = _one(tmp_path, "  lines: 60", "  lines: !int 60")
    assert p.path == "call_center.lines" and "tags are not allowed" in p.message


def test_unknown_target_kpi(tmp_path: Path) -> None:
    p, text = _one(tmp_path, "  fill_rate: 0.95", "  fill_rat: 0.95")
    assert (p.line, p.path) == (_line(text, "fill_rat:"), "targets.fill_rat")
    assert "unknown KPI `fill_rat`; did you mean `fill_rate`?" in p.message
    assert "service_level" in p.message  # the allowed names are listed


def test_repair_share_requires_field_service(tmp_path: Path) -> None:
    text = BASE_TEXT[:BASE_TEXT.index("field_service:")] + BASE_TEXT[BASE_TEXT.index("parts:"):]
    [p] = _problems(tmp_path, text)
    assert p.path == "field_service"
    assert "repair has a share of 0.35" in p.message and "required" in p.message


def test_handle_minutes_needed_per_type(tmp_path: Path) -> None:
    p, text = _one(tmp_path, "    complaint: {dist: lognormal, mean: 11.0, cv: 0.6}\n", "")
    assert (p.line, p.path) == (_line(text, "handle_minutes:"),
                                "call_center.handle_minutes.complaint")
    assert "complaint has a share of 0.1" in p.message


def test_depot_required_when_not_all_on_site(tmp_path: Path) -> None:
    depot = BASE_TEXT[BASE_TEXT.index("  depot:"):BASE_TEXT.index("parts:")]
    p, _ = _one(tmp_path, depot, "")
    assert p.path == "field_service.depot"
    assert "onsite_share is 0.7" in p.message and "add a `depot` section" in p.message


def test_file_missing(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "nope.yaml")
    assert str(info.value) == f"{tmp_path / 'nope.yaml'}: no such file"


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="is a directory"):
        load_scenario(tmp_path)


@pytest.mark.parametrize("text", ["", "# only a comment\n\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    [p] = _problems(tmp_path, text)
    assert "empty" in p.message and "`name`" in p.message


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    [p] = _problems(tmp_path, "- name: x\n")
    assert p.line == 1 and "top level must be a mapping" in p.message and "list" in p.message


def test_huge_file_refused_by_size_without_reading(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as f:
        f.truncate(50 * 2**20)  # sparse: instant, and no 50 MB written

    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("the loader opened a file it should refuse by size")

    monkeypatch.setattr(pathlib.Path, "open", no_reading)
    started = time.perf_counter()
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert time.perf_counter() - started < 1
    assert "52,428,800 bytes" in str(info.value) and f"{MAX_BYTES:,}" in str(info.value)


def test_huge_text_refused() -> None:
    with pytest.raises(ScenarioError, match="limited to 1,048,576 bytes"):
        load_scenario_text("a: 1\n" + "#" * MAX_BYTES)


def test_alias_flood_refused() -> None:
    laughs = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    laughs += [f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]" for p, c in zip("abcdef", "bcdefg",
                                                                       strict=True)]
    with pytest.raises(ScenarioError, match="expands to more than"):
        load_scenario_text("\n".join(laughs) + "\n")
    many = "a: &x 1\n" + "".join(f"b{i}: *x\n" for i in range(150))
    with pytest.raises(ScenarioError, match="more than 100 anchors and aliases"):
        load_scenario_text(many)


def test_override_to_a_bad_value(tmp_path: Path) -> None:
    [p] = _problems(tmp_path, BASE_TEXT, ("demand.contacts_per_day=-5",))
    assert (p.file, p.line, p.path) == ("--set", None, "demand.contacts_per_day")
    assert "must be greater than 0 (got -5)" in p.message
    assert "--set demand.contacts_per_day=-5" in p.message
    assert str(p).startswith("--set: demand.contacts_per_day: ")


def test_override_through_a_missing_list_index(tmp_path: Path) -> None:
    [p] = _problems(tmp_path, BASE_TEXT, ("call_center.agents.7.count=5",))
    assert (p.file, p.path) == ("--set", "call_center.agents.7")
    assert "3 entries" in p.message and "--set" in p.message


def test_override_without_equals(tmp_path: Path) -> None:
    [p] = _problems(tmp_path, BASE_TEXT, ("demand.contacts_per_day",))
    assert p.file == "--set" and "dotted.key.path=value" in p.message


def test_override_breaking_a_file_rule_is_named(tmp_path: Path) -> None:
    [p] = _problems(tmp_path, BASE_TEXT, ("demand.mix.inquiry=0.6",))
    assert p.path == "demand.mix" and "got 1.05" in p.message
    assert "after `--set demand.mix.inquiry=0.6`" in p.message


def test_several_problems_are_all_reported(tmp_path: Path) -> None:
    text = _edit("  contacts_per_day: 520", "  contacts_per_day: 0")
    text = text.replace("reach_probability: 0.8", "reach_probability: 2")
    problems = _problems(tmp_path, text)
    assert [p.path for p in problems] == ["demand.contacts_per_day",
                                          "followup.reach_probability"]
    assert len(str(ScenarioError(problems)).splitlines()) == 2


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: x\ndescription: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    [p] = info.value.problems
    assert p.line == 2 and "UTF-8" in p.message


def test_override_value_with_a_tag_is_refused(tmp_path: Path) -> None:
    [p] = _problems(tmp_path, BASE_TEXT, ("seed=!!python/name:os.system",))
    assert p.file == "--set" and p.path == "seed" and "tags are not allowed" in p.message


def test_override_through_a_scalar(tmp_path: Path) -> None:
    [p] = _problems(tmp_path, BASE_TEXT, ("call_center.lines.0.count=2",))
    assert p.file == "--set" and p.path == "call_center.lines"
    assert "is 60, not a mapping or list" in p.message
