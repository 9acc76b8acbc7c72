"""Money, months and table cells in the reader's language, with Babel's locale data.

``money`` writes CNY as ``¥1,234,568`` in either language (the symbol a Chinese reader expects,
thousands separators); other currencies keep the code after the number, as before. ``month``
writes ``2027-01`` as ``2027年1月`` in Chinese and leaves it as it is in English; ``weekdays``
the days of the week, Monday first; ``day`` a date
with its weekday, ``date_text`` one without (``2027-01-04``, ``2027年1月4日``); ``listing`` joins
words as the reader separates them (``a, b``; ``a、b``). ``pad`` aligns
terminal columns by display width (a Chinese character takes two columns).
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Iterable

from babel.dates import format_skeleton
from babel.numbers import format_currency

from sim.i18n.messages import current_language, tr

SYMBOL_CURRENCIES = ("CNY",)
"""Currencies written with their symbol in front (Babel's zh_CN pattern)."""


def money(value: float, currency: str) -> str:
    """An amount in whole units: ``¥1,234,568`` for CNY, ``1,234,568 EUR`` otherwise."""
    if value is None or math.isnan(value):
        return "n/a"
    if currency in SYMBOL_CURRENCIES:
        # zh_CN's own symbol for CNY is ¥ (en gives CN¥); whole units, as every budget line is.
        return format_currency(round(value), currency, format="¤#,##0", locale="zh_CN",
                               currency_digits=False)
    return f"{value:,.0f} {currency}"


def month(period: str) -> str:
    """A calendar month ``YYYY-MM`` as the reader writes it: ``2027年1月`` in Chinese; other
    labels (``total``, a quarter) pass unchanged."""
    if current_language() != "zh":
        return period
    try:
        first = dt.date.fromisoformat(f"{period}-01")
    except ValueError:
        return period
    return format_skeleton("yMMM", first, locale="zh_CN")


WEEKDAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
"""The weekdays, Monday first: msgids, shown through ``weekdays``."""


def weekdays() -> list[str]:
    """The weekdays, Monday first, as a week axis or a table heading names them in the
    reader's language."""
    return [tr(d) for d in WEEKDAYS]


def day(date: dt.date) -> str:
    """A calendar day as the reader writes it: ``Mon 04 Jan 2027`` in English,
    ``2027年1月4日周一`` in Chinese."""
    if current_language() != "zh":
        return date.strftime("%a %d %b %Y")
    return format_skeleton("yMMMdEEE", date, locale="zh_CN")


def date_text(date: dt.date) -> str:
    """A calendar day without its weekday: ``2027-01-04`` (ISO) in English, ``2027年1月4日`` in
    Chinese."""
    if current_language() != "zh":
        return date.isoformat()
    return format_skeleton("yMMMd", date, locale="zh_CN")


def listing(words: Iterable[str]) -> str:
    """Words of a list, separated as the reader separates them: ``a, b`` in English, ``a、b``
    (the enumeration comma) in Chinese."""
    return ("、" if current_language() == "zh" else ", ").join(words)


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal: two for wide (CJK) characters."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, columns: int, align: str = "<") -> str:
    """``text`` padded to ``columns`` terminal columns, left (``<``) or right (``>``)."""
    fill = " " * max(0, columns - width(text))
    return text + fill if align == "<" else fill + text
