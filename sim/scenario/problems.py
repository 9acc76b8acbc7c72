"""Located problems: pydantic validation errors as `FILE:LINE: key.path: message` lines.

This module owns `Problem` and `ScenarioError` (what every reader in `sim` raises for input a
planner must fix), `Override` (a `--set dotted.path=value` that was applied) and
`validation_problems`, which turns a pydantic `ValidationError` on plain data into one `Problem`
per error: the key path in the data (union tags dropped), the line in the YAML tree, a message
saying what was wrong and what is allowed, and blame on the `--set` that caused it. Reading YAML
safely is `sim.scenario.yaml_io`; scenario files are `sim.scenario.loader`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from sim.i18n.messages import tr

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


def dotted_path(path: Sequence[PathItem]) -> str:
    """A key path as text: `("parts", "skus", 0)` -> `parts.skus.0`."""
    return ".".join(str(p) for p in path)


@dataclass(frozen=True)
class Override:
    """A `--set` that was applied: the key path it set, and its text for messages."""

    path: tuple[PathItem, ...]
    text: str


# --- validation errors ----------------------------------------------------------------------------

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


def line_of(tree: Any, path: Sequence[PathItem]) -> int | None:
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


def number_text(value: float) -> str:
    """A number as short as it can be written without changing it: `1.0000001` stays
    `1.0000001` (`:g` would say `1`, next to the bound it broke), `3.0` is `3`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        text = str(value)
        return text if len(text) <= 30 else f"{text[:12]}... ({len(text)} digits)"
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number_text(value)
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _quoted_names(expected: str) -> list[str]:
    return re.findall(r"'([^']*)'", expected)


def _ctx(err: Any) -> dict[str, Any]:
    return dict(err["ctx"]) if "ctx" in err else {}


def _message(err: Any, about_key: bool) -> str:
    """A human message for one pydantic error: what was wrong and what is allowed."""
    kind, ctx, value = err["type"], _ctx(err), err["input"]
    # The key path stays English (keys are the contract); the explanation is translated.
    got = tr(" (got {value})", value=_show(value))
    if kind == "greater_than":
        return tr("must be greater than {bound}", bound=number_text(ctx["gt"])) + got
    if kind == "greater_than_equal":
        return tr("must be at least {bound}", bound=number_text(ctx["ge"])) + got
    if kind == "less_than":
        return tr("must be less than {bound}", bound=number_text(ctx["lt"])) + got
    if kind == "less_than_equal":
        return tr("must be at most {bound}", bound=number_text(ctx["le"])) + got
    if kind == "missing":
        return tr("required key is missing")
    if kind == "literal_error":
        allowed = _quoted_names(ctx["expected"])
        close = difflib.get_close_matches(str(value), allowed, n=1)
        hint = tr("; did you mean `{name}`?", name=close[0]) if close else ""
        what = (tr("unknown key `{value}`", value=value) if about_key
                else tr("unknown value `{value}`", value=value))
        return what + hint + tr(" (allowed: {names})", names=", ".join(allowed))
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return tr("expected a whole number") + got
    if kind in ("float_type", "float_parsing"):
        return tr("expected a number") + got
    if kind == "finite_number":
        return tr("expected a finite number") + got
    if kind in ("string_type", "str_type"):
        return tr("expected text") + got
    if kind == "string_pattern_mismatch":
        return tr("does not match the pattern {pattern}", pattern=ctx["pattern"]) + got
    if kind in ("string_too_short", "string_too_long"):
        return str(err["msg"]).replace("String", "text") + got
    if kind in ("too_short", "too_long"):
        key = "min_length" if kind == "too_short" else "max_length"
        if kind == "too_short":
            return tr("needs at least {n} item(s) (got {got})", n=ctx[key],
                      got=ctx["actual_length"])
        return tr("needs at most {n} item(s) (got {got})", n=ctx[key], got=ctx["actual_length"])
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return tr("expected a mapping of keys") + got
    if kind in ("tuple_type", "list_type"):
        return tr("expected a list") + got
    if kind.startswith("date"):
        return tr("expected a date YYYY-MM-DD") + got
    if kind == "union_tag_invalid":
        return (tr("unknown {what} `{tag}`", what=ctx["discriminator"].strip(chr(39)),
                   tag=ctx["tag"])
                + tr(" (allowed: {names})", names=", ".join(_quoted_names(ctx["expected_tags"]))))
    if kind == "extra_forbidden":
        return tr("unknown key")
    message = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


def _item_errors_below(loc: tuple[Any, ...], errors: list[Any]) -> bool:
    """Whether some other error is about an item of the list at ``loc``."""
    return any(len(e["loc"]) > len(loc) and tuple(e["loc"][:len(loc)]) == loc
               and isinstance(e["loc"][len(loc)], int) for e in errors)


def _flattened(errors: list[Any]) -> list[Any]:
    """The errors, with those an unknown-keys error found in the rest of its section
    (``others``, located under it) in place after it."""
    out = []
    for err in errors:
        out.append(err)
        if err["type"] == "unknown_keys":
            out += [{**e, "loc": (*err["loc"], *e["loc"])}
                    for e in _flattened(_ctx(err).get("others", []))]
    return out


def validation_problems(exc: ValidationError, data: Any, tree: Any, source: str,
                        overrides: Sequence[Override] = (),
                        file_alone: set[tuple[str, str]] | None = None) -> list[Problem]:
    """One located problem per pydantic error on plain data.

    Args:
        exc: The error of validating `data`.
        data: The plain data that was validated (after overrides).
        tree: The ruamel tree the data was read from, for line numbers; None for data that
            did not come from a file (problems then have no line).
        source: The file (or other origin) named in each problem.
        overrides: The `--set` overrides applied to the data: a problem at or under a key an
            override set is blamed on it.
        file_alone: (key path, message) of the problems the data has without the overrides;
            with it, a problem the file alone does not have is blamed on the overrides even
            where no override set its key (a rule between keys, a section now required),
            instead of on whatever line of the file is nearest.
    """
    found: list[tuple[list[PathItem], str]] = []
    errors = _flattened(exc.errors(include_url=False))
    for err in errors:
        if err["type"] == "too_short" and _item_errors_below(tuple(err["loc"]), errors):
            continue  # pydantic counts only the valid items: "got 0" next to the real errors

        path, about_key = _normalise(err["loc"], data)
        ctx = _ctx(err)
        if err["type"] == "unknown_keys":
            for key in ctx["keys"]:
                close = difflib.get_close_matches(key, ctx["allowed"], n=1, cutoff=0.6)
                hint = tr("; did you mean `{name}`?", name=close[0]) if close else ""
                found.append(([*path, key], tr("unknown key `{value}`", value=key) + hint
                              + tr(" (allowed keys: {names})", names=", ".join(ctx["allowed"]))))
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
            problems.append(Problem(OVERRIDE_SOURCE, None, dotted_path(path),
                                    f"{message} (from `--set {mine[-1].text}`)"))
            continue
        if file_alone is not None and overrides and (dotted_path(path), message) not in file_alone:
            caused = inside or list(overrides)
            problems.append(Problem(OVERRIDE_SOURCE, None, dotted_path(path), message + (
                " (after " + ", ".join(f"`--set {o.text}`" for o in caused) + ")")))
            continue
        if inside:
            message += " (after " + ", ".join(f"`--set {o.text}`" for o in inside) + ")"
        problems.append(Problem(source, line_of(tree, path), dotted_path(path), message))
    return problems
