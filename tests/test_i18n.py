"""Chinese and English: the catalogs are complete, the language is chosen as documented, money
and months follow the reader, and bad input keeps its key path in English."""

from __future__ import annotations

import ast
import datetime as dt
import re
import string
from pathlib import Path
from typing import get_args

import pytest
from babel.messages.extract import extract_from_dir

from sim.cli import common, main
from sim.experiments.risks.register import CATEGORIES
from sim.i18n import messages
from sim.i18n.formats import WEEKDAYS, date_text, day, listing, money, month, pad, width
from sim.i18n.messages import (
    KPI_CONTEXT,
    LINE_CONTEXT,
    UNIT_CONTEXT,
    catalog,
    kpi_name,
    language_from_env,
    speaking,
    tr,
)
from sim.measure.catalog import KPI_BY_NAME
from sim.measure.costs import DEPARTMENTS, MARGIN, REVENUE, TOTAL
from sim.measure.lateness import CAUSES
from sim.measure.stats import Status
from sim.output.charts.management import BUDGET_LABELS
from sim.output.labels import (
    COLUMN_LABELS,
    RESOURCE_LABELS,
    SHOCK_LABELS,
    STATUS_LABELS,
    UNIT_LABELS,
    column_label,
    kpi_label,
    resource_label,
    shock_label,
    unit_label,
)
from sim.scenario.levers import GROUPS, POLICY_FIELDS
from sim.scenario.loader import load_scenario_text
from sim.scenario.problems import ScenarioError

ROOT = Path(__file__).parents[1]
ZH = catalog("zh")


def _code_messages(keyword: str) -> set[str]:
    """Every literal ``keyword("...")`` of the package, found as ``pybabel extract -k tr``
    finds it."""
    found = extract_from_dir(str(ROOT / "sim"), method_map=[("**.py", "python")],
                             keywords={keyword: None})
    return {str(message) for _, _, message, _, _ in found}


def test_every_message_in_the_code_has_a_chinese_entry() -> None:
    shown = _code_messages("tr")
    assert len(shown) > 160  # the extraction found the messages (not an empty scan)
    assert sorted(m for m in shown if (None, m) not in ZH) == []


# ``tr('...')`` inside an f-string's braces: Babel's extractor skips f-strings, so these (the
# terminal tables' headings) are found by their quotes.
_IN_F_STRINGS = re.compile(r"\btr\('((?:[^'\\]|\\.)*)'[,)]")


def test_messages_inside_f_strings_have_chinese_entries() -> None:
    found = {ast.literal_eval(f"'{m}'") for path in (ROOT / "sim").rglob("*.py")
             for m in _IN_F_STRINGS.findall(path.read_text(encoding="utf-8"))}
    assert {"point", "rank", "KPI"} <= found  # the scan sees the CLI tables' headings
    assert sorted(m for m in found if (None, m) not in ZH) == []


# The nouns the shared validators put into their messages (``what``): the last literal of
# check_sum, check_unique, check_tag and folder_name calls.
_WHAT = re.compile(r"\b(?:check_sum|check_unique|check_tag|folder_name)\(.*, \"([^\"]+)\"\)")


def test_validator_nouns_have_chinese_entries() -> None:
    found = {m for path in (ROOT / "sim").rglob("*.py")
             for m in _WHAT.findall(path.read_text(encoding="utf-8"))}
    assert {"mix shares", "a distribution", "scenario"} <= found  # the scan sees the calls
    assert sorted(w for w in found if (None, w) not in ZH) == []


# Where the fit writes prose (``sim.calibrate``): a note for the report (``notes.append`` /
# ``notes.insert``), a comment of the fitted YAML (the last argument of ``Builder.set``, a
# ``comments[...] =``), a reason for keeping the base's value (``keep``) and the words ``dist``,
# ``share`` and ``staff`` put into both (``what``): argument -> its position.
_FIT_PROSE = {"append": 0, "insert": 1, "keep": 1, "set": 2, "dist": 2, "share": 3, "staff": 4}


def _bare_text(node: ast.AST) -> list[str]:
    """Non-empty string literals and f-strings in ``node`` outside a ``tr(...)`` call."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "tr":
        return []
    if isinstance(node, ast.JoinedStr):
        return [ast.unparse(node)]
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value:
        return [node.value]
    return [text for child in ast.iter_child_nodes(node) for text in _bare_text(child)]


def test_the_fit_writes_its_remarks_and_comments_through_tr() -> None:
    """Babel's extraction finds only what goes through ``tr``: a remark or comment written as a
    bare (f-)string would print in English in Chinese, with no missing entry to show it."""
    bare = []
    for path in sorted((ROOT / "sim" / "calibrate").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                name = node.func.attr
                target = node.func.value
                is_notes = isinstance(target, ast.Attribute) and target.attr == "notes"
                if name in _FIT_PROSE and (is_notes or name not in ("append", "insert")) \
                        and len(node.args) > _FIT_PROSE[name]:
                    bare += [(path.name, node.lineno, t)
                             for t in _bare_text(node.args[_FIT_PROSE[name]])]
            elif isinstance(node, ast.Assign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Subscript) and isinstance(t.value, ast.Attribute)
                       and t.value.attr == "comments" for t in targets):
                    bare += [(path.name, node.lineno, t) for t in _bare_text(node.value)]
    assert bare == []


def test_a_validators_message_in_chinese_keeps_the_key_path() -> None:
    text = BAD.replace("contacts_per_day: -5", "contacts_per_day: 5").replace(
        "mix: {inquiry: 1.0}", "mix: {inquiry: 0.9}")
    with speaking("zh"), pytest.raises(ScenarioError) as err:
        load_scenario_text(text, "bad.yaml")
    assert "demand.mix: 来电构成占比之和必须为 1（实际为 0.9）" in str(err.value)
    with pytest.raises(ScenarioError) as err:
        load_scenario_text(text, "bad.yaml")
    assert "demand.mix: mix shares must sum to 1 (got 0.9)" in str(err.value)


@pytest.mark.parametrize("words", [COLUMN_LABELS, RESOURCE_LABELS, SHOCK_LABELS, STATUS_LABELS],
                         ids=["columns", "resources", "shocks", "statuses"])
def test_every_label_of_the_dictionaries_has_a_chinese_entry(words: dict[str, str]) -> None:
    # These go through `tr` as values, not literals: the extraction cannot see them.
    assert [w for w in words.values() if (None, w) not in ZH] == []


def test_every_unit_and_lever_word_has_a_chinese_entry() -> None:
    units = set(UNIT_LABELS) - {"share"}
    assert sorted(u for u in units if (UNIT_CONTEXT, u) not in ZH) == []
    words = [*GROUPS, *(text for fields in POLICY_FIELDS.values() for _, _, text in fields)]
    assert [w for w in words if (None, w) not in ZH] == []


def test_the_labels_speak_chinese() -> None:
    with speaking("zh"):
        assert column_label("first_break_day") == "首次未达标日"
        assert resource_label("technicians") == "上门技师"
        assert shock_label("system_outage") == "电话系统故障"
        assert kpi_label("repair_on_time_rate") == "维修及时率"
        assert [unit_label(u) for u in ("share", "h", "s")] == ["%", "小时", "秒"]
    assert column_label("first_break_day") == "First day broken"
    assert [unit_label(u) for u in ("share", "h", "s")] == ["%", "h", "s"]


def test_words_shown_from_data_have_chinese_entries() -> None:
    # Statuses, causes, channels, budgets and risk categories come from data, not literals.
    words = [*get_args(Status), *CAUSES, "onsite", "depot", *BUDGET_LABELS.values(),
             "Result", *CATEGORIES, *WEEKDAYS]
    assert [w for w in words if (None, w) not in ZH] == []
    assert [k for k in KPI_BY_NAME if (KPI_CONTEXT, k) not in ZH] == []
    units = {info.unit for info in KPI_BY_NAME.values()} - {"currency"}
    assert [u for u in units if (UNIT_CONTEXT, u) not in ZH] == []
    lines = [*DEPARTMENTS, TOTAL, REVENUE, MARGIN, "total_revenue", "total_expense"]
    assert [x for x in lines if (LINE_CONTEXT, x) not in ZH] == []


def test_translations_keep_their_placeholders() -> None:
    def fields(text: str) -> list[str]:
        return sorted(f for _, f, _, _ in string.Formatter().parse(text) if f)

    wrong = [(k, v) for (_, k), v in ZH.items() if fields(k) != fields(v)]
    assert wrong == []


def test_the_manuals_kpi_terms() -> None:
    with speaking("zh"):
        assert [kpi_name(k) for k in ("csat_mean", "repair_on_time_rate",
                                      "repair_quality_pass_rate", "complaint_on_time_rate",
                                      "asa_seconds")] == \
            ["客户满意度", "维修及时率", "维修质量合格率", "投诉处理及时率", "服务响应时间"]
    assert kpi_name("csat_mean") == "csat_mean"  # English keeps the files' names


def test_glossary_lists_every_kpi_term() -> None:
    text = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
    with speaking("zh"):
        missing = [k for k in KPI_BY_NAME if f"`{k}`" not in text or kpi_name(k) not in text]
    assert missing == []


def test_glossary_lists_shocks_and_risk_categories_as_the_catalog_has_them() -> None:
    text = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
    with speaking("zh"):
        rows = [f"| `{k}` | {v} | {shock_label(k)} |" for k, v in SHOCK_LABELS.items()]
        rows += [f"| `{c}` | {tr(c)} |" for c in CATEGORIES]
    assert [r for r in rows if r not in text] == []


def test_a_missing_entry_is_recorded_and_shown_in_english() -> None:
    text = "a message nobody translated {n}"
    with speaking("zh"):
        assert tr(text, n=3) == "a message nobody translated 3"
    assert (None, text) in messages.MISSING
    messages.MISSING.discard((None, text))


@pytest.mark.parametrize(("env", "expected"), [
    ({"LANG": "zh_CN.UTF-8"}, "zh"), ({"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
    ({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, "en"), ({"LANG": "en_GB.UTF-8"}, "en"), ({}, "en"),
])
def test_language_from_the_environment(env: dict[str, str], expected: str) -> None:
    assert language_from_env(env) == expected


def test_money_and_months() -> None:
    assert money(1234567.6, "CNY") == "¥1,234,568"
    assert money(-2500.0, "CNY") == "-¥2,500"
    assert money(1234567.6, "EUR") == "1,234,568 EUR"
    assert month("2027-01") == "2027-01"
    with speaking("zh"):
        assert [month(m) for m in ("2027-01", "2027-12", "total")] == \
            ["2027年1月", "2027年12月", "total"]
        assert money(1234567.6, "CNY") == "¥1,234,568"
        assert day(dt.date(2027, 1, 4)) == "2027年1月4日周一"
        assert date_text(dt.date(2027, 1, 4)) == "2027年1月4日"
        assert listing(["calls.csv", "visits.csv"]) == "calls.csv、visits.csv"
    assert day(dt.date(2027, 1, 4)) == "Mon 04 Jan 2027"
    assert date_text(dt.date(2027, 1, 4)) == "2027-01-04"
    assert listing(["calls.csv", "visits.csv"]) == "calls.csv, visits.csv"


def test_terminal_columns_count_wide_characters_twice() -> None:
    assert width("维修及时率") == 10 and width("fill_rate") == 9
    assert pad("维修", 6) == "维修  " and pad("ab", 4, ">") == "  ab"


BAD = "name: bad\ndemand:\n  contacts_per_day: -5\n  mix: {inquiry: 1.0}\ncall_center:\n" \
      "  agents: 3\n  handle_minutes: {inquiry: 5}\n  pationce_minutes: 3\n"


def test_bad_input_keeps_the_key_path_in_english() -> None:
    with speaking("zh"), pytest.raises(ScenarioError) as err:
        load_scenario_text(BAD, "bad.yaml")
    text = str(err.value)
    assert "bad.yaml:3: demand.contacts_per_day: 必须大于 0（实际为 -5）" in text
    assert "call_center.pationce_minutes" in text and "未知的键" in text


def test_cli_error_in_chinese_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                      ) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD, encoding="utf-8")
    assert main(["validate", str(bad), "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：") and "demand.contacts_per_day" in err
    assert "Traceback" not in err
    assert main(["validate", str(bad), "--lang", "en"]) == 2
    assert "must be greater than 0 (got -5)" in capsys.readouterr().err


def test_lang_defaults_to_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    scenario = str(ROOT / "scenarios" / "baseline_zh.yaml")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    assert main(["validate", scenario]) == 0
    assert "有效" in capsys.readouterr().out
    assert main(["validate", scenario, "--lang", "en"]) == 0
    assert "valid scenario" in capsys.readouterr().out
    assert messages.current_language() == "en"  # a command's language ends with it


def test_without_a_cjk_font_it_says_so_once_and_speaks_english(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(common, "cjk_family", lambda: None)
    assert main(["validate", str(ROOT / "scenarios" / "baseline_zh.yaml"), "--lang", "zh"]) == 0
    captured = capsys.readouterr()
    assert captured.err.count("no CJK font") == 1
    assert "valid scenario" in captured.out


def test_every_command_takes_lang() -> None:
    from sim.cli.commands import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    commands = sub.choices  # type: ignore[attr-defined]
    assert [name for name, p in commands.items()
            if not any("--lang" in a.option_strings for a in p._actions)] == []
    assert re.search(r"zh", commands["run"].format_help())


def test_a_bad_option_keeps_its_name_and_is_explained_in_chinese(
        capsys: pytest.CaptureFixture[str]) -> None:
    scenario = str(ROOT / "scenarios" / "baseline_zh.yaml")
    assert main(["run", scenario, "--precision", "2", "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert "--precision" in err and "必须在 0 与 1 之间，实际为 2.0" in err
    assert main(["run", scenario, "--precision", "2", "--lang", "en"]) == 2
    assert "--precision: must be between 0 and 1, got 2.0" in capsys.readouterr().err
