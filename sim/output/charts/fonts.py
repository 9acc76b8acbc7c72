"""Fonts for Chinese text in charts and the PDF: find a CJK font, put it behind the house font.

matplotlib draws each glyph from the first family of ``font.family`` that has it (font
fallback), so the house font (DejaVu Sans) stays first and English charts are drawn exactly as
before; a CJK font behind it draws the Chinese glyphs (labels, shift, SKU and scenario names).
Without one, Chinese text would be drawn as empty boxes: ``cjk_family`` is then None, and the
caller says so once and draws English labels (``sim.output.i18n``).
"""

from __future__ import annotations

import functools
from pathlib import Path

import matplotlib
from matplotlib import font_manager

# Simplified-Chinese faces first, in the order we prefer them; Debian's fonts-noto-cjk gives the
# first. Others are what Windows, macOS and other Linux distributions commonly ship.
CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei", "PingFang SC", "Noto Sans CJK JP",
)
# File names that hold those faces, for fonts installed after matplotlib built its font cache
# (it rebuilds the cache only on its own upgrade, so a font installed later is not in it).
_FILE_HINTS = ("cjk", "sourcehan", "wqy", "simhei", "msyh", "pingfang", "notosanssc")
HOUSE_FAMILY = "DejaVu Sans"


@functools.cache
def cjk_family() -> str | None:
    """The CJK font family charts fall back to, or None when the machine has none.

    Looked up once per process: first among the fonts matplotlib knows, then among the system's
    font files (added to matplotlib's font list when found there).
    """
    def known() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((family for family in CJK_FAMILIES if family in names), None)

    found = known()
    if found is not None:
        return found
    for path in font_manager.findSystemFonts():
        if any(hint in Path(path).name.lower() for hint in _FILE_HINTS):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):  # an unreadable font file is no font
                continue
    return known()


def install_fonts() -> None:
    """Put the CJK font (when there is one) behind the house font for every text drawn.

    The house font is the one every chart used before (matplotlib's default sans-serif).

    Idempotent; called when the chart style is imported, before any figure exists.
    """
    family = cjk_family()
    fallback = [family] if family is not None else []
    # Named families, not the generic "sans-serif": matplotlib falls back glyph by glyph only
    # along a list of named families (a generic name resolves to its first font alone).
    matplotlib.rcParams["font.family"] = [HOUSE_FAMILY, *fallback]
