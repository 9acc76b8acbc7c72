"""Messages in the reader's language: the language of the moment and the catalog lookup.

Every user-facing string is written in English in the code and passed through ``tr`` (the
gettext msgid: ``pybabel extract -k tr`` finds them all); KPI names go through ``kpi_name``
(msgctxt ``kpi``: the msgid is the KPI's own name, so English prints it unchanged). Catalogs are
gettext ``.po`` files read with Babel when first needed: no compile step, so a fresh clone runs as
it is, and a catalog edit shows at the next start (see the README for why not ``.mo``).

The language lives in a context variable: a command sets it once (``use_language``), and each
explorer session sets its own at the top of every script run, so two sessions never see each
other's. A message without a Chinese entry prints in English and is remembered in ``MISSING``
(tests fail on it).
"""

from __future__ import annotations

import contextvars
import functools
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from babel.messages.pofile import read_po

Language = Literal["en", "zh"]
LANGUAGES: tuple[Language, ...] = ("en", "zh")
LOCALES: dict[Language, str] = {"en": "en", "zh": "zh_CN"}
LOCALE_DIR = Path(__file__).parent / "locale"
KPI_CONTEXT = "kpi"

_LANGUAGE: contextvars.ContextVar[Language] = contextvars.ContextVar("language", default="en")
MISSING: set[tuple[str | None, str]] = set()
"""(context, msgid) of every message looked up in Chinese without an entry, since the start."""


def language_from_env(environ: Mapping[str, str] | None = None) -> Language:
    """The language the environment asks for: ``LC_ALL``, then ``LANG`` (POSIX precedence).

    ``zh_CN.UTF-8``, ``zh_SG``, ``zh`` ... give Chinese; anything else (``C``, ``en_US``, unset)
    English.
    """
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LANG"):
        value = env.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def current_language() -> Language:
    """The language messages are given in now."""
    return _LANGUAGE.get()


def use_language(language: Language) -> None:
    """Speak ``language`` from now on, in this context (a command, or a session's script run)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; use one of {', '.join(LANGUAGES)}")
    _LANGUAGE.set(language)


@contextmanager
def speaking(language: Language) -> Iterator[None]:
    """Speak ``language`` inside the ``with`` block only."""
    token = _LANGUAGE.set(language)
    try:
        yield
    finally:
        _LANGUAGE.reset(token)


@functools.cache
def catalog(language: Language) -> dict[tuple[str | None, str], str]:
    """The translated entries of a language's catalog: (context, msgid) -> text.

    English has no catalog: its msgids are the English text. Fuzzy and empty entries are left
    out, so they count as missing.
    """
    if language == "en":
        return {}
    path = LOCALE_DIR / LOCALES[language] / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        po = read_po(fh, locale=LOCALES[language])
    return {(m.context, str(m.id)): str(m.string) for m in po
            if m.id and m.string and not m.fuzzy and isinstance(m.id, str)}


def _lookup(context: str | None, text: str) -> str:
    language = current_language()
    if language == "en":
        return text
    found = catalog(language).get((context, text))
    if found is None:
        MISSING.add((context, text))
        return text
    return found


def tr(text: str, **values: object) -> str:
    """A message in the reader's language, its ``{placeholders}`` filled with ``values``.

    Translation first, formatting second, so a catalog may move the placeholders.
    """
    found = _lookup(None, text)
    return found.format(**values) if values else found


def kpi_name(name: str) -> str:
    """A KPI by its name in the reader's language: ``csat_mean`` in English, ``客户满意度`` in
    Chinese (the manual's terms; see docs/glossary.md)."""
    return _lookup(KPI_CONTEXT, name)


LINE_CONTEXT = "line"


def line_name(key: str) -> str:
    """A budget line by its name in the reader's language (msgctxt ``line``): the model's own
    lines (``call_center``, ``total_revenue``, ``margin`` ...) have entries; a finance line the
    user named (``rent``, ``房租``) is the user's word and shows as written."""
    if current_language() == "en":
        return key
    return catalog(current_language()).get((LINE_CONTEXT, key), key)


UNIT_CONTEXT = "unit"


def unit_name(unit: str, currency: str = "") -> str:
    """A KPI catalogue unit in the reader's language (msgctxt ``unit``): the scenario's currency
    for ``currency`` (issue 16: the table says EUR, not "currency"); otherwise English prints the
    catalogue's word (``share``, ``s``) unchanged and Chinese its term."""
    if unit == "currency":
        return currency or unit
    if current_language() == "en" or not unit:
        return unit
    return _lookup(UNIT_CONTEXT, unit)
