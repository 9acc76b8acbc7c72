"""Calendar arithmetic: profiles to rates, shifts and opening hours to windows."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.engine.crew import person_spans
from sim.scenario.calendar import (
    hourly_shares,
    open_windows,
    shift_windows,
    staffed_by_hour_of_week,
    weekly_weights,
)
from sim.scenario.clock import OpenHours, Shift

DAY = 1440.0
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def test_weekly_weights_normalised_to_mean_one() -> None:
    w = weekly_weights((2, 2, 2, 2, 2, 1, 3))
    assert w.mean() == pytest.approx(1.0)
    assert w[0] / w[5] == pytest.approx(2.0)
    assert np.array_equal(weekly_weights("flat"), np.ones(7))


@pytest.mark.parametrize("profile", ["flat", "business_hours"])
def test_even_profiles_spread_over_open_hours(profile: str) -> None:
    hours = OpenHours(open="08:00", close="20:00", days=WEEKDAYS)
    shares = hourly_shares(profile, hours)
    assert shares.shape == (7, 24)
    assert np.allclose(shares[:5, 8:20], 1 / 12)
    assert shares[:5, :8].sum() == 0 and shares[:5, 20:].sum() == 0
    assert shares[5:].sum() == 0  # closed at the weekend
    assert np.allclose(hourly_shares(profile, None), 1 / 24)


def test_hourly_weights_masked_and_renormalised() -> None:
    weights = [0.0] * 24
    weights[7], weights[9], weights[10] = 5.0, 1.0, 3.0  # 07:00 is before opening
    shares = hourly_shares(weights, OpenHours(open="08:00", close="20:00"))
    assert np.allclose(shares.sum(axis=1), 1.0)
    assert shares[0, 7] == 0 and shares[0, 9] == pytest.approx(0.25)
    assert shares[0, 10] == pytest.approx(0.75)


def test_zero_weights_in_open_hours_spread_evenly() -> None:
    weights = [1.0] * 6 + [0.0] * 18  # weights only at night, center open by day
    shares = hourly_shares(weights, OpenHours(open="09:00", close="17:00"))
    assert np.allclose(shares[:, 9:17], 1 / 8)


def test_half_hour_opening_counts_half() -> None:
    shares = hourly_shares("business_hours", OpenHours(open="08:30", close="10:00"))
    assert shares[0, 8] == pytest.approx(1 / 3) and shares[0, 9] == pytest.approx(2 / 3)


def test_opening_past_midnight_belongs_to_the_calendar_day() -> None:
    shares = hourly_shares("flat", OpenHours(open="20:00", close="02:00", days=("sun",)))
    assert np.allclose(shares[6, 20:], 1 / 4)  # Sunday evening
    assert np.allclose(shares[0, :2], 1 / 2)  # Monday 00:00-02:00, carried over from Sunday
    assert shares[1:6].sum() == 0


def test_around_the_clock_is_one_window() -> None:
    assert shift_windows(7, 10 * DAY) == [(0.0, math.inf, 7)]
    assert open_windows(None, 10 * DAY) == [(0.0, math.inf)]


def test_shift_windows_cross_midnight() -> None:
    night = Shift(name="night", start="22:00", end="06:00", days=("mon", "sun"), count=3)
    windows = shift_windows((night,), 8 * DAY)
    assert windows == [
        (0.0, 360.0, 3),  # the shift that began on the Sunday before day 0
        (1320.0, DAY + 360.0, 3),  # Monday night
        (6 * DAY + 1320.0, 7 * DAY + 360.0, 3),  # Sunday night runs into the next Monday
        (7 * DAY + 1320.0, 8 * DAY + 360.0, 3),  # next Monday, starts before the horizon
    ]


def test_shift_windows_skip_empty_and_late_shifts() -> None:
    day = Shift(name="day", start="08:00", end="16:00", days=WEEKDAYS, count=2)
    nobody = Shift(name="x", start="08:00", end="16:00", count=0)
    windows = shift_windows((day, nobody), 7 * DAY)
    assert [w[0] / DAY for w in windows] == [d + 1 / 3 for d in range(5)]
    assert all(count == 2 for _, _, count in windows)
    assert shift_windows((day,), 0.5 * DAY) == [(480.0, 960.0, 2)]


def test_open_windows_merge_whole_days() -> None:
    assert open_windows(OpenHours(open="00:00", close="24:00"), 3 * DAY) == [(0.0, 3 * DAY)]
    evening = open_windows(OpenHours(open="18:00", close="01:00", days=("fri",)), 7 * DAY)
    assert evening == [(4 * DAY + 1080.0, 5 * DAY + 60.0)]


def test_staffed_by_hour_of_week() -> None:
    agents = (
        Shift(name="early", start="08:00", end="16:00", days=WEEKDAYS, count=9),
        Shift(name="late", start="12:00", end="20:00", days=WEEKDAYS, count=8),
        Shift(name="weekend", start="08:00", end="20:00", days=("sat", "sun"), count=5),
        Shift(name="night", start="23:30", end="00:30", days=("sun",), count=2),
    )
    staffed = staffed_by_hour_of_week(agents).reshape(7, 24)
    assert list(staffed[0, 7:21]) == [0, 9, 9, 9, 9, 17, 17, 17, 17, 8, 8, 8, 8, 0]
    assert np.all(staffed[5, 8:20] == 5) and staffed[5, :8].sum() == 0
    assert staffed[6, 23] == 1.0 and staffed[0, 0] == 1.0  # half an hour of 2 people each side
    assert np.array_equal(staffed_by_hour_of_week(4), np.full(168, 4.0))


# --- who goes on past a cut (sim.engine.crew.person_spans) ---------------------------------------


def test_the_people_of_a_cut_shift_go_on_past_the_cut() -> None:
    # A shift 08:00-16:00 of 3, one of them in training 10:00-12:00: two people work the whole
    # shift, the third leaves at 10:00 and one comes back at 12:00 (no one ends at 12:00).
    windows = [(480.0, 600.0, 3, 960.0), (600.0, 720.0, 2, 960.0), (720.0, 960.0, 3, 960.0)]
    spans = person_spans(windows)
    assert sorted(spans) == [(480.0, 600.0, 960.0, 2), (480.0, 960.0, 960.0, 0),
                             (480.0, 960.0, 960.0, 1), (720.0, 960.0, 960.0, 2)]


def test_back_to_back_shifts_are_different_people() -> None:
    # 08:00-16:00 then 16:00-24:00: the same times, but different shifts (planned ends), so the
    # day shift goes home at 16:00 (and books any overtime there).
    spans = person_spans([(480.0, 960.0, 2, 960.0), (960.0, 1440.0, 2, 1440.0)])
    assert sorted(spans) == [(480.0, 960.0, 960.0, 0), (480.0, 960.0, 960.0, 1),
                             (960.0, 1440.0, 1440.0, 0), (960.0, 1440.0, 1440.0, 1)]


def test_two_shifts_cut_at_once_hand_on_as_many_as_stay() -> None:
    # Shifts of 5 (08:00-16:00) and 3 (12:00-16:00), a quarter absent from 14:00: 4 + 2 stay on,
    # so exactly 2 people go home at 14:00 and nobody new comes on.
    windows = sorted([(480.0, 840.0, 5, 960.0), (840.0, 960.0, 4, 960.0),
                      (720.0, 840.0, 3, 960.0), (840.0, 960.0, 2, 960.0)])
    spans = person_spans(windows)
    assert len(spans) == 8
    assert sum(1 for _, off, _, _ in spans if off == 840.0) == 2
    assert sum(1 for start, _, _, _ in spans if start == 840.0) == 0
