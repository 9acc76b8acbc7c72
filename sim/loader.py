"""Reading scenario files: YAML to a validated `Scenario`, with errors a planner can act on.

This module owns everything between the bytes of a scenario file and a `Scenario`: the size cap,
safe YAML (no tags, few aliases), `--set` overrides, translating validation errors into
`FILE:LINE: key.path: message` lines, writing a resolved scenario back to YAML, the JSON schema,
and the static capacity check. The models and their rules live in `sim.scenario`.
"""

from __future__ import annotations

import difflib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    MappingStartEvent,
    ScalarEvent,
)
from ruamel.yaml.parser import RoundTripParser
from ruamel.yaml.scalarbool import ScalarBoolean
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from sim.roster import hourly_shares, staffed_by_hour_of_week, weekly_weights
from sim.scenario import CONTACT_TYPES, DAYS, Scenario

MAX_BYTES = 1 << 20  # 1 MiB: real scenarios are a few KiB; the cap bounds parse time and memory
MAX_ALIASES = 100  # anchors plus aliases; a few for shared shifts, never a "billion laughs"
MAX_NODES = 200_000  # after expanding aliases
MAX_DEPTH = 64
OVERRIDE_SOURCE = "--set"

PathItem = str | int


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, located as precisely as the input allows."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioError(Exception):
    """A scenario that must not run; `str()` gives one `FILE:LINE: key.path: message` per line."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class _Fail(Exception):
    """Internal: one YAML-level problem, before the file name is attached."""

    def __init__(self, line: int | None, path: str, message: str) -> None:
        super().__init__(message)
        self.line, self.path, self.message = line, path, message


def _dotted(path: Sequence[PathItem]) -> str:
    return ".".join(str(p) for p in path)


# --- YAML ------------------------------------------------------------------------------------


@dataclass
class _Frame:
    """One open mapping or sequence while scanning parser events."""

    is_mapping: bool
    key: PathItem | None = None  # the current key, or the index in a sequence
    wants_key: bool = True


class _EventScan:
    """Walks the parser events once: refuses tags and alias floods, and remembers which key path
    starts on which line so that syntax and duplicate-key errors can name a key path."""

    def __init__(self) -> None:
        self.stack: list[_Frame] = []
        self.key_lines: list[tuple[int, str]] = []
        self.aliases = 0

    def path_at(self, line: int) -> str:
        """Key path of the last key that starts at or before `line` (1-based)."""
        found = ""
        for key_line, path in self.key_lines:
            if key_line > line:
                break
            found = path
        return found

    def _path(self) -> str:
        return _dotted([frame.key for frame in self.stack if frame.key is not None])

    def _node_done(self) -> None:
        if self.stack:
            top = self.stack[-1]
            if top.is_mapping:
                top.wants_key = True
            else:
                top.key = int(top.key or 0) + 1

    def feed(self, event: Any) -> None:
        """Check one parser event and track the key path."""
        line = event.start_mark.line + 1
        if isinstance(event, ScalarEvent | CollectionStartEvent):
            if event.tag is not None:
                raise _Fail(line, self._path(), f"tags are not allowed: scenario files are plain "
                                                f"data (found `{_short_tag(event.tag)}`)")
            if event.anchor is not None:
                self.aliases += 1
        if isinstance(event, AliasEvent):
            self.aliases += 1
        if self.aliases > MAX_ALIASES:
            raise _Fail(line, self._path(), f"more than {MAX_ALIASES} anchors and aliases; "
                                            "write the values out")
        top = self.stack[-1] if self.stack else None
        if isinstance(event, CollectionEndEvent):
            self.stack.pop()
            self._node_done()
        elif top is not None and top.is_mapping and top.wants_key:
            if not isinstance(event, ScalarEvent):
                raise _Fail(line, self._path(), "keys must be plain names, not lists, "
                                                "mappings or aliases")
            top.key, top.wants_key = event.value, False
            self.key_lines.append((line, self._path()))
        elif isinstance(event, ScalarEvent | AliasEvent | CollectionStartEvent):
            if top is not None and not top.is_mapping:
                self.key_lines.append((line, self._path()))
            if isinstance(event, CollectionStartEvent):
                if len(self.stack) >= MAX_DEPTH:
                    raise _Fail(line, self._path(), f"nested more than {MAX_DEPTH} levels deep")
                mapping = isinstance(event, MappingStartEvent)
                self.stack.append(_Frame(mapping, None if mapping else 0))
            else:
                self._node_done()


def _short_tag(tag: Any) -> str:
    return str(tag).replace("tag:yaml.org,2002:", "!!")


def _yaml_fail(err: YAMLError, scan: _EventScan, text: str) -> _Fail:
    if isinstance(err, MarkedYAMLError):
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = (err.problem or "").strip()
        if isinstance(err, DuplicateKeyError):
            message = f"duplicate key: {problem}; each key may appear once in a mapping"
        elif err.context:
            at = f" (line {err.context_mark.line + 1})" if err.context_mark is not None else ""
            sep = ", " if problem.startswith("but ") else ": "
            message = f"YAML syntax error {err.context.strip()}{at}{sep}{problem}"
        else:
            message = f"YAML syntax error: {problem}"
        return _Fail(line, scan.path_at(line) if line is not None else "", message)
    position = getattr(err, "position", None)  # ReaderError: a character YAML cannot carry
    line = text[:position].count("\n") + 1 if isinstance(position, int) else None
    return _Fail(line, "", f"YAML error: {str(err).strip().splitlines()[0]}")


def _plain(node: Any, budget: list[int], depth: int = 0) -> Any:
    """Copy ruamel's round-trip objects into plain dict/list/str/int/float/bool/None/date."""
    budget[0] -= 1
    if budget[0] < 0:
        raise _Fail(None, "", f"the file expands to more than {MAX_NODES} values (aliases?)")
    if depth > MAX_DEPTH:
        raise _Fail(None, "", f"nested more than {MAX_DEPTH} levels deep")
    if isinstance(node, dict):
        return {_plain_key(k): _plain(v, budget, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v, budget, depth + 1) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, ScalarBoolean):  # ruamel's anchored booleans subclass int, not bool
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    if hasattr(node, "isoformat"):  # dates (a timestamp stays a datetime for pydantic to judge)
        return node
    raise _Fail(None, "", f"unsupported YAML value {node!r}")


def _plain_key(key: Any) -> Any:
    return key if isinstance(key, str | int | float | bool) or key is None else str(key)


class _ScanningParser(RoundTripParser):
    """ruamel's round-trip parser, showing each event to an `_EventScan` as the composer takes
    it, so the checks cost no second parse (ruamel is pure Python: ~5 s per MiB and pass)."""

    def get_event(self) -> Any:
        event = super().get_event()
        self.loader.event_scan.feed(event)
        return event


class _ScanningYAML(YAML):
    def __init__(self) -> None:
        super().__init__(typ="rt")
        self.event_scan = _EventScan()
        self.Parser = _ScanningParser


def _read_yaml(text: str) -> tuple[Any, Any]:
    """Parse YAML text safely; return (plain data, ruamel tree with line info)."""
    yaml = _ScanningYAML()
    try:
        tree = yaml.load(text)
    except YAMLError as err:
        raise _yaml_fail(err, yaml.event_scan, text) from None
    except RecursionError:
        raise _Fail(None, "", f"nested more than {MAX_DEPTH} levels deep") from None
    return _plain(tree, [MAX_NODES]), tree


# --- overrides -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Override:
    path: tuple[PathItem, ...]
    text: str


def _override_error(raw: str, path: str, message: str) -> ScenarioError:
    return ScenarioError([Problem(OVERRIDE_SOURCE, None, path, f"{message} (in `--set {raw}`)")])


def _apply_overrides(data: dict[str, Any], overrides: Sequence[str]) -> list[_Override]:
    """Apply `dotted.path=value` overrides to plain data in place; return what was set."""
    applied: list[_Override] = []
    for raw in overrides:
        key, sep, text = raw.partition("=")
        key = key.strip()
        names = key.split(".")
        if not sep or not all(names):
            raise _override_error(raw, key, "expected `dotted.key.path=value`, e.g. "
                                            "`demand.contacts_per_day=600`")
        try:
            value = _read_yaml(text)[0] if text.strip() else None
        except _Fail as fail:
            raise _override_error(raw, key, f"cannot read the value: {fail.message}") from None
        node: Any = data
        done: list[PathItem] = []
        for i, name in enumerate(names):
            last = i == len(names) - 1
            if isinstance(node, dict):
                item: PathItem = name
                if not last and (name not in node or node[name] is None):
                    node[name] = {}  # a missing or null section: start an empty one
            elif isinstance(node, list):
                if not name.isdigit() or int(name) >= len(node):
                    raise _override_error(
                        raw, _dotted([*done, name]),
                        f"`{_dotted(done)}` is a list of {len(node)} entries (indexes 0-"
                        f"{len(node) - 1}); --set can change entries, not add them")
                item = int(name)
            else:
                raise _override_error(raw, _dotted(done), f"`{_dotted(done)}` is {node!r}, not "
                                                          f"a mapping or list, so it has no "
                                                          f"`{name}`")
            done.append(item)
            if last:
                node[item] = value
            else:
                node = node[item]
        applied.append(_Override(tuple(done), raw))
    return applied


# --- validation errors -----------------------------------------------------------------------

_MISSING = object()
_TAG_KEYS = ("dist", "type")


def _normalise(loc: Sequence[PathItem], data: Any) -> tuple[list[PathItem], bool]:
    """Turn a pydantic `loc` into the key path in the data: drop union member tags (`lognormal`,
    `shifts`, ...) and `[key]`; report whether the error is about a mapping key."""
    path: list[PathItem] = []
    node = data
    about_key = False
    for item in loc:
        if item == "[key]":
            about_key = True
        elif node is _MISSING:
            path.append(item)
        elif isinstance(node, dict):
            if item in node:
                path.append(item)
                node = node[item]
            elif any(k in node and node[k] == item for k in _TAG_KEYS):
                continue
            else:
                path.append(item)
                node = _MISSING
        elif isinstance(node, list):
            if isinstance(item, int) and 0 <= item < len(node):
                path.append(item)
                node = node[item]
            elif isinstance(item, int):
                path.append(item)
                node = _MISSING
        elif isinstance(item, int):
            path.append(item)
    return path, about_key


def _line_of(tree: Any, path: Sequence[PathItem]) -> int | None:
    """Line (1-based) of the deepest existing key of `path` in the ruamel tree."""
    line = tree.lc.line + 1 if isinstance(tree, CommentedMap | CommentedSeq) else None
    node = tree
    for item in path:
        if isinstance(node, CommentedMap) and item in node:
            line = node.lc.key(item)[0] + 1
        elif (isinstance(node, CommentedSeq) and isinstance(item, int)
              and 0 <= item < len(node)):
            line = node.lc.item(item)[0] + 1
        else:
            break
        node = node[item]
    return line


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, float):
        return f"{value:g}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _quoted_names(expected: str) -> list[str]:
    return re.findall(r"'([^']*)'", expected)


def _ctx(err: Any) -> dict[str, Any]:
    return dict(err["ctx"]) if "ctx" in err else {}


def _message(err: Any, about_key: bool) -> str:
    """A human message for one pydantic error: what was wrong and what is allowed."""
    kind, ctx, value = err["type"], _ctx(err), err["input"]
    got = f" (got {_show(value)})"
    bounds = {"greater_than": ("greater than", "gt"),
              "greater_than_equal": ("at least", "ge"),
              "less_than": ("less than", "lt"),
              "less_than_equal": ("at most", "le")}
    if kind in bounds:
        words, key = bounds[kind]
        return f"must be {words} {ctx[key]:g}{got}"
    if kind == "missing":
        return "required key is missing"
    if kind == "literal_error":
        allowed = _quoted_names(ctx["expected"])
        close = difflib.get_close_matches(str(value), allowed, n=1)
        hint = f"; did you mean `{close[0]}`?" if close else ""
        what = "key" if about_key else "value"
        return f"unknown {what} `{value}`{hint} (allowed: {', '.join(allowed)})"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number{got}"
    if kind in ("float_type", "float_parsing"):
        return f"expected a number{got}"
    if kind == "finite_number":
        return f"expected a finite number{got}"
    if kind in ("string_type", "str_type"):
        return f"expected text{got}"
    if kind == "string_pattern_mismatch":
        return f"does not match the pattern {ctx['pattern']}{got}"
    if kind in ("string_too_short", "string_too_long"):
        return str(err["msg"]).replace("String", "text") + got
    if kind in ("too_short", "too_long"):
        words, key = ("at least", "min_length") if kind == "too_short" else ("at most",
                                                                                 "max_length")
        return f"needs {words} {ctx[key]} item(s) (got {ctx['actual_length']})"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping of keys{got}"
    if kind in ("tuple_type", "list_type"):
        return f"expected a list{got}"
    if kind.startswith("date"):
        return f"expected a date YYYY-MM-DD{got}"
    if kind == "union_tag_invalid":
        return (f"unknown {ctx['discriminator'].strip(chr(39))} `{ctx['tag']}` "
                f"(allowed: {', '.join(_quoted_names(ctx['expected_tags']))})")
    if kind == "extra_forbidden":
        return "unknown key"
    message = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


def _problems(exc: ValidationError, data: Any, tree: Any, source: str,
              overrides: Sequence[_Override]) -> list[Problem]:
    found: list[tuple[list[PathItem], str]] = []
    for err in exc.errors(include_url=False):
        path, about_key = _normalise(err["loc"], data)
        ctx = _ctx(err)
        if err["type"] == "unknown_keys":
            for key in ctx["keys"]:
                close = difflib.get_close_matches(key, ctx["allowed"], n=1, cutoff=0.6)
                hint = f"; did you mean `{close[0]}`?" if close else ""
                found.append(([*path, key], f"unknown key `{key}`{hint} "
                                            f"(allowed keys: {', '.join(ctx['allowed'])})"))
        elif err["type"] == "scenario_rule":
            for rel, message in ctx["problems"]:
                found.append(([*path, *(int(p) if p.isdigit() else p for p in rel.split("."))]
                              if rel else path, message))
        else:
            found.append((path, _message(err, about_key)))
    problems = []
    for path, message in found:
        mine = [o for o in overrides if tuple(path[:len(o.path)]) == o.path]
        inside = [o for o in overrides if o.path[:len(path)] == tuple(path)]
        if mine:
            problems.append(Problem(OVERRIDE_SOURCE, None, _dotted(path),
                                    f"{message} (from `--set {mine[-1].text}`)"))
            continue
        if inside:
            message += " (after " + ", ".join(f"`--set {o.text}`" for o in inside) + ")"
        problems.append(Problem(source, _line_of(tree, path), _dotted(path), message))
    return problems


# --- public API ------------------------------------------------------------------------------


def load_scenario_text(text: str, source: str = "<text>", overrides: Sequence[str] = ()
                       ) -> Scenario:
    """Validate scenario YAML given as text (an upload, a test fixture).

    Args:
        text: The YAML document.
        source: Name used for the text in error messages.
        overrides: `dotted.path=value` settings applied before validation.

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: With one problem per error, each naming the line and key path.
    """
    # Every character is at least one byte: a long text is refused before encoding it.
    size = len(text) if len(text) > MAX_BYTES else len(text.encode("utf-8", errors="replace"))
    if size > MAX_BYTES:
        raise ScenarioError([Problem(source, None, "", _too_big(size))])
    try:
        data, tree = _read_yaml(text)
    except _Fail as fail:
        raise ScenarioError([Problem(source, fail.line, fail.path, fail.message)]) from None
    if data is None:
        raise ScenarioError([Problem(source, None, "", "the file is empty (or only comments): a "
                                     "scenario needs at least `name`, `demand` and "
                                     "`call_center`")])
    if not isinstance(data, dict):
        raise ScenarioError([Problem(source, _line_of(tree, ()), "",
                                     "the top level must be a mapping of keys such as `name:` "
                                     f"and `demand:` (got a {type(data).__name__})")])
    applied = _apply_overrides(data, overrides)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_problems(exc, data, tree, source, applied)) from None


def _too_big(size: int) -> str:
    return (f"the file is {size:,} bytes; scenario files are limited to {MAX_BYTES:,} bytes "
            "(1 MiB)")


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Read and validate a scenario file.

    The size is checked before the file is read, so a huge upload costs nothing.

    Args:
        path: The YAML file.
        overrides: `dotted.path=value` settings applied before validation (the CLI's `--set`).

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: For a missing, oversized, unreadable or invalid file.
    """
    source = str(path)
    p = Path(path)

    def fail(message: str, line: int | None = None) -> ScenarioError:
        return ScenarioError([Problem(source, line, "", message)])

    try:
        if p.is_dir():
            raise fail("is a directory, not a scenario file")
        if not p.exists():
            raise fail("no such file")
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise fail(_too_big(size))
        with p.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)  # a pipe or a growing file can exceed its stat size
    except OSError as err:
        raise fail(f"cannot read the file: {err.strerror or err}") from None
    if len(raw) > MAX_BYTES:
        raise fail(_too_big(len(raw)))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise fail("not UTF-8 text (save the file as UTF-8)",
                   raw[: err.start].count(b"\n") + 1) from None
    return load_scenario_text(text, source, overrides)


_CLOCK = re.compile(r"^\d\d:\d\d$")


def _represent_none(representer: Any, _: None) -> Any:
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")


def _yaml_tree(value: Any) -> Any:
    """Plain data to ruamel objects: short mappings and lists of scalars in flow style."""
    out: CommentedMap | CommentedSeq
    if isinstance(value, dict):
        out = CommentedMap((k, _yaml_tree(v)) for k, v in value.items())
        children = list(value.values())
    elif isinstance(value, list):
        out = CommentedSeq(_yaml_tree(v) for v in value)
        children = value
    elif isinstance(value, str) and _CLOCK.match(value):
        # Quoted, because YAML 1.1 readers (PyYAML, some editors) read 08:00 as the number 480.
        return DoubleQuotedScalarString(value)
    else:
        return value
    # Flow style keeps distributions, day lists and profiles on one line, as people write them;
    # longer mappings (costs, satisfaction) stay in block style to remain readable.
    if isinstance(value, dict):
        flow = 0 < len(children) <= 5 and all(_short(v) for v in children)
    else:
        flow = bool(children) and not any(isinstance(v, dict | list) for v in children)
    if flow:
        out.fa.set_flow_style()
    return out


def _short(value: Any) -> bool:
    if isinstance(value, list):
        return len(value) <= 7 and not any(isinstance(v, dict | list) for v in value)
    return not isinstance(value, dict)


def scenario_to_yaml(scenario: Scenario) -> str:
    """Write a scenario back as YAML with every default filled in (the resolved scenario).

    Args:
        scenario: A validated scenario.

    Returns:
        YAML text that `load_scenario_text` turns back into an equal scenario.
    """
    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.representer.add_representer(type(None), _represent_none)  # `null`, not an empty value
    buf = io.StringIO()
    yaml.dump(_yaml_tree(scenario.model_dump(mode="json")), buf)
    return (f"# Resolved scenario `{scenario.name}`: every default filled in.\n"
            + buf.getvalue())


def json_schema() -> dict[str, Any]:
    """Return the JSON schema of scenario files (what `schemas/scenario.schema.json` holds)."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "After-sales service simulation scenario"
    return schema


def offered_erlangs_by_hour(scenario: Scenario) -> np.ndarray:
    """Return the offered call-center work in each hour of the week, in Erlangs, shape (7, 24).

    contacts_per_day x weekly weight x hourly share x sum over types of (share x mean handle
    minutes) / 60. Demand events, escalations and follow-up calls are left out.

    Args:
        scenario: A validated scenario.
    """
    demand, cc = scenario.demand, scenario.call_center
    minutes_per_contact = sum(demand.share(t) * cc.handle_minutes[t].mean_value()
                              for t in CONTACT_TYPES if demand.share(t) > 0)
    weekly = weekly_weights(demand.weekly_profile)
    shares = hourly_shares(demand.hourly_profile, cc.hours)
    return demand.contacts_per_day * weekly[:, np.newaxis] * shares * minutes_per_contact / 60.0


def capacity_warnings(scenario: Scenario) -> list[str]:
    """Warn about hours of the week whose offered call work exceeds the agents on duty.

    Consecutive overloaded hours of one day make one warning. A warning is not an error: with
    abandonment the run is still meaningful, but queues will build in those hours.

    Args:
        scenario: A validated scenario.

    Returns:
        One line per overloaded stretch, e.g. `call center mon 08:00-10:00: ...`.
    """
    load = offered_erlangs_by_hour(scenario)
    staffed = staffed_by_hour_of_week(scenario.call_center.agents).reshape(7, 24)
    over = load > staffed + 1e-9
    warnings: list[str] = []
    for day in range(7):
        hour = 0
        while hour < 24:
            if not over[day, hour]:
                hour += 1
                continue
            end = hour
            while end < 24 and over[day, end]:
                end += 1
            peak = hour + int(np.argmax(load[day, hour:end] - staffed[day, hour:end]))
            warnings.append(
                f"call center {DAYS[day]} {hour:02d}:00-{end:02d}:00: offered load up to "
                f"{load[day, hour:end].max():.1f} Erlangs exceeds the agents on duty (at "
                f"{peak:02d}:00: {load[day, peak]:.1f} Erlangs, {staffed[day, peak]:g} agents); "
                "queues will grow")
            hour = end
    return warnings
