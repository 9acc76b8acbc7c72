"""Safe YAML: reading a document into plain data with line numbers, and writing plain data back.

This module owns the YAML safety rules shared by every YAML input of `sim` (the size cap, no tags,
few aliases, bounded nesting and expansion), reading through ruamel's round-trip parser so that
syntax errors and duplicate keys name a line and key path, applying `--set dotted.path=value`
overrides, writing plain data as readable YAML (`to_yaml`), and the public reader of non-scenario
documents: `load_document` validates one against a pydantic model with the same
`FILE:LINE: key.path: message` errors as scenario files (`sim.scenario.loader`), located by
`sim.scenario.problems`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
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

from sim.scenario.problems import (
    OVERRIDE_SOURCE,
    Override,
    PathItem,
    Problem,
    ScenarioError,
    dotted_path,
    line_of,
    validation_problems,
)

MAX_BYTES = 1 << 20  # 1 MiB: real scenarios are a few KiB; the cap bounds parse time and memory
MAX_ALIASES = 100  # anchors plus aliases; a few for shared shifts, never a "billion laughs"
MAX_NODES = 200_000  # after expanding aliases
MAX_DEPTH = 64


class YamlProblem(Exception):
    """One YAML-level problem (syntax, tag, alias flood, ...), before a file name is attached."""

    def __init__(self, line: int | None, path: str, message: str) -> None:
        super().__init__(message)
        self.line, self.path, self.message = line, path, message


# --- YAML -----------------------------------------------------------------------------------------


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
        return dotted_path([frame.key for frame in self.stack if frame.key is not None])

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
                raise YamlProblem(line, self._path(), "tags are not allowed: scenario files are "
                                  f"plain data (found `{_short_tag(event.tag)}`)")
            if event.anchor is not None:
                self.aliases += 1
        if isinstance(event, AliasEvent):
            self.aliases += 1
        if self.aliases > MAX_ALIASES:
            raise YamlProblem(line, self._path(), f"more than {MAX_ALIASES} anchors and "
                                                  "aliases; write the values out")
        top = self.stack[-1] if self.stack else None
        if isinstance(event, CollectionEndEvent):
            self.stack.pop()
            self._node_done()
        elif top is not None and top.is_mapping and top.wants_key:
            if not isinstance(event, ScalarEvent):
                raise YamlProblem(line, self._path(), "keys must be plain names, not lists, "
                                                      "mappings or aliases")
            top.key, top.wants_key = event.value, False
            self.key_lines.append((line, self._path()))
        elif isinstance(event, ScalarEvent | AliasEvent | CollectionStartEvent):
            if top is not None and not top.is_mapping:
                self.key_lines.append((line, self._path()))
            if isinstance(event, CollectionStartEvent):
                if len(self.stack) >= MAX_DEPTH:
                    raise YamlProblem(line, self._path(),
                                      f"nested more than {MAX_DEPTH} levels deep")
                mapping = isinstance(event, MappingStartEvent)
                self.stack.append(_Frame(mapping, None if mapping else 0))
            else:
                self._node_done()


def _short_tag(tag: Any) -> str:
    return str(tag).replace("tag:yaml.org,2002:", "!!")


def _yaml_fail(err: YAMLError, scan: _EventScan, text: str) -> YamlProblem:
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
        return YamlProblem(line, scan.path_at(line) if line is not None else "", message)
    position = getattr(err, "position", None)  # ReaderError: a character YAML cannot carry
    line = text[:position].count("\n") + 1 if isinstance(position, int) else None
    return YamlProblem(line, "", f"YAML error: {str(err).strip().splitlines()[0]}")


def _plain(node: Any, budget: list[int], depth: int = 0) -> Any:
    """Copy ruamel's round-trip objects into plain dict/list/str/int/float/bool/None/date."""
    budget[0] -= 1
    if budget[0] < 0:
        raise YamlProblem(None, "", f"the file expands to more than {MAX_NODES} values "
                                    "(aliases?)")
    if depth > MAX_DEPTH:
        raise YamlProblem(None, "", f"nested more than {MAX_DEPTH} levels deep")
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
    raise YamlProblem(None, "", f"unsupported YAML value {node!r}")


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


def read_yaml(text: str) -> tuple[Any, Any]:
    """Parse YAML text safely; return (plain data, ruamel tree with line info)."""
    yaml = _ScanningYAML()
    try:
        tree = yaml.load(text)
    except YAMLError as err:
        raise _yaml_fail(err, yaml.event_scan, text) from None
    except RecursionError:
        raise YamlProblem(None, "", f"nested more than {MAX_DEPTH} levels deep") from None
    return _plain(tree, [MAX_NODES]), tree


# --- overrides ------------------------------------------------------------------------------------


def _override_error(raw: str, path: str, message: str) -> ScenarioError:
    return ScenarioError([Problem(OVERRIDE_SOURCE, None, path, f"{message} (in `--set {raw}`)")])


def apply_overrides(data: dict[str, Any], overrides: Sequence[str]) -> list[Override]:
    """Apply `dotted.path=value` overrides to plain data in place; return what was set."""
    applied: list[Override] = []
    for raw in overrides:
        key, sep, text = raw.partition("=")
        key = key.strip()
        names = key.split(".")
        if not sep or not all(names):
            raise _override_error(raw, key, "expected `dotted.key.path=value`, e.g. "
                                            "`demand.contacts_per_day=600`")
        try:
            value = read_yaml(text)[0] if text.strip() else None
        except YamlProblem as fail:
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
                        raw, dotted_path([*done, name]),
                        f"`{dotted_path(done)}` is a list of {len(node)} entries (indexes "
                        f"0-{len(node) - 1}); --set can change entries, not add them")
                item = int(name)
            else:
                where = dotted_path(done)
                raise _override_error(raw, where, f"`{where}` is {node!r}, not a mapping or "
                                                  f"list, so it has no `{name}`")
            done.append(item)
            if last:
                node[item] = value
            else:
                node = node[item]
        applied.append(Override(tuple(done), raw))
    return applied


# --- writing --------------------------------------------------------------------------------------

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




def to_yaml(data: Any) -> str:
    """Write plain data (dict/list/scalars, e.g. a `model_dump(mode="json")`) as YAML text.

    Short mappings and lists of scalars go in flow style (`{dist: exponential, mean: 6}`),
    clock times `HH:MM` are quoted, None is written `null`; 100 columns, 2-space indents.
    """
    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.representer.add_representer(type(None), _represent_none)  # `null`, not an empty value
    buf = io.StringIO()
    yaml.dump(_yaml_tree(data), buf)
    return buf.getvalue()


# --- documents ------------------------------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class YamlDocument:
    """A YAML document read safely: its plain data, and the line where each key path starts."""

    source: str
    data: Any
    tree: Any = field(default=None, repr=False, compare=False)

    def line_of(self, path: Sequence[PathItem]) -> int | None:
        """Line (1-based) of the deepest existing key of `path`; None without line info."""
        return line_of(self.tree, path)

    def problem(self, path: Sequence[PathItem], message: str) -> Problem:
        """A problem about the key at `path`, located in this document."""
        return Problem(self.source, self.line_of(path), dotted_path(path), message)


def parse_yaml(text: str, source: str) -> YamlDocument:
    """Read YAML text with the safety rules (no tags, few aliases, bounded nesting and size).

    The byte-size cap is the caller's (`load_document`, `sim.scenario.loader.load_scenario_text`).

    Raises:
        ScenarioError: One `FILE:LINE: key.path: message` problem for unreadable YAML.
    """
    try:
        data, tree = read_yaml(text)
    except YamlProblem as fail:
        raise ScenarioError([Problem(source, fail.line, fail.path, fail.message)]) from None
    return YamlDocument(source, data, tree)


def load_document(text: str, model: type[M], source: str, overrides: Sequence[str] = (), *,
                  not_mapping: str = "the top level must be a mapping of keys"
                  ) -> tuple[M, YamlDocument]:
    """Read and validate a YAML document that is not a scenario (a stress file, ...).

    Same rules and messages as scenario files: the size cap, safe YAML, `--set` overrides, and
    one `FILE:LINE: key.path: message` per validation error.

    Args:
        text: The YAML text (the caller reads the file, with its own wording of file errors).
        model: The pydantic model of the document.
        source: Name of the document in messages (its file name).
        overrides: `dotted.path=value` settings applied before validation.
        not_mapping: Message when the top level is not a mapping (an empty document included).

    Returns:
        The validated model, and the document (plain data after overrides, and its lines, for
        problems found after validation).

    Raises:
        ScenarioError: With one problem per error.
    """
    size = len(text) if len(text) > MAX_BYTES else len(text.encode("utf-8", errors="replace"))
    if size > MAX_BYTES:
        raise ScenarioError([Problem(source, None, "", f"the file is {size:,} bytes; the limit "
                                                       f"is {MAX_BYTES:,} bytes (1 MiB)")])
    document = parse_yaml(text, source)
    if not isinstance(document.data, dict):
        raise ScenarioError([Problem(source, None, "", not_mapping)])
    applied = apply_overrides(document.data, overrides)
    try:
        return model.model_validate(document.data), document
    except ValidationError as exc:
        raise ScenarioError(validation_problems(exc, document.data, document.tree, source,
                                                applied)) from None
