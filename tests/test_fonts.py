"""Chinese text in charts and the PDF: drawn from a CJK font, never as missing-glyph boxes, and
English charts drawn byte for byte as before the CJK fallback existed.

matplotlib warns "Glyph ... missing from font(s)" when it draws a box; these tests turn that
warning into an error. They need a CJK font (Debian's fonts-noto-cjk, installed by .ci/run).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator

import matplotlib
import numpy as np
import pandas as pd
import pytest

from sim.output.charts import run as charts
from sim.output.charts import style as chart_style
from sim.output.charts.fonts import HOUSE_FAMILY, cjk_family

needs_cjk = pytest.mark.skipif(cjk_family() is None,
                               reason="no CJK font (apt-get install fonts-noto-cjk)")
FORMATS: tuple[chart_style.ImageFormat, ...] = ("png", "svg", "pdf")


@pytest.fixture
def glyphs_strict() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r".*[Gg]lyph.*missing")
        yield


def _stock_daily() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame([{"rep": rep, "day": day, "on_hand_压缩机": 20 + rng.normal(0, 2),
                          "on_hand_控制板": 8 + rng.normal(0, 1)}
                         for rep in range(3) for day in range(1, 7)])


def _chinese_chart() -> matplotlib.figure.Figure:
    fig = charts.stock_per_sku(_stock_daily(), {"压缩机": 12.0, "控制板": None}, "基准情景")
    fig.axes[0].set_ylabel("库存 (件)")
    fig.suptitle("各备件库存 · 早班 晚班 周末班")
    return fig


@needs_cjk
@pytest.mark.parametrize("fmt", FORMATS)
def test_chinese_names_draw_without_missing_glyphs(glyphs_strict: None,
                                                   fmt: chart_style.ImageFormat) -> None:
    data = chart_style.figure_bytes(_chinese_chart(), fmt)
    assert data
    if fmt == "pdf":
        # A second face besides the house font is embedded: the CJK one.
        faces = set(re.findall(rb"/BaseFont /(?:\w+\+)?([\w-]+)", data))
        assert any(not face.startswith(b"DejaVu") for face in faces), faces


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_check_fails_without_a_cjk_font(glyphs_strict: None,
                                            fmt: chart_style.ImageFormat) -> None:
    # The same chart with the house font alone draws boxes: the strict check must catch it,
    # or the test above proves nothing.
    with matplotlib.rc_context({"font.family": [HOUSE_FAMILY]}):
        fig = _chinese_chart()
        with pytest.raises(UserWarning, match="missing"):
            chart_style.figure_bytes(fig, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_english_charts_are_unchanged_by_the_fallback(fmt: chart_style.ImageFormat) -> None:
    def english() -> bytes:
        daily = _stock_daily().rename(columns={"on_hand_压缩机": "on_hand_PUMP",
                                               "on_hand_控制板": "on_hand_VALVE"})
        return chart_style.figure_bytes(
            charts.stock_per_sku(daily, {"PUMP": 12.0, "VALVE": None}, "baseline"), fmt)

    with_fallback = english()
    with matplotlib.rc_context({"font.family": [HOUSE_FAMILY]}):
        house_only = english()
    assert with_fallback == house_only
