"""Date parsing and the inclusive windows (core): every preset's first and last day, in and out."""

from datetime import date, timedelta

import pytest
from hypothesis import given, strategies as st

from cpe_cli.core.errors import CpeError
from cpe_cli.core.periods import completion_date, describe, parse_date, preset_window, resolve_window

TODAY = date(2026, 6, 11)


@pytest.mark.parametrize("text", ["2026-06-11", "06/11/2026", "6/11/2026", "June 11, 2026", "Jun 11 2026",
                                  "11 June 2026"])
def test_accepted_date_forms(text):
    assert parse_date(text) == date(2026, 6, 11)


def test_us_dates_are_month_first():
    assert parse_date("03/04/2026") == date(2026, 3, 4)


@pytest.mark.parametrize("text", ["2026-02-30", "02/30/2026", "99/99/9999", "2026-13-01", "June 2026",
                                  "February 30, 2026", "yesterday", "", "2026-06-11T10:00", "11.06.2026"])
def test_refused_dates(text):
    with pytest.raises(CpeError) as raised:
        parse_date(text)
    assert raised.value.exit_code == 2


def test_completion_date_defaults_to_today_and_refuses_the_future():
    assert completion_date(None, TODAY) == TODAY
    assert completion_date("", TODAY) == TODAY
    assert completion_date("2026-06-11", TODAY) == TODAY
    with pytest.raises(CpeError, match="in the future"):
        completion_date("2026-06-12", TODAY)


@pytest.mark.parametrize("preset, first, last", [
    ("ytd", date(2026, 1, 1), TODAY),
    ("last-7-days", date(2026, 6, 5), TODAY),
    ("last-30-days", date(2026, 5, 13), TODAY),
    ("last-year", date(2025, 1, 1), date(2025, 12, 31)),
])
def test_preset_bounds_first_and_last_day_in_and_out(preset, first, last):
    window = preset_window(preset, TODAY)
    assert (window.start, window.end) == (first, last)
    assert window.contains(first) and window.contains(last)
    assert not window.contains(first - timedelta(days=1))
    assert not window.contains(last + timedelta(days=1))


def test_last_7_days_is_seven_days():
    window = preset_window("last-7-days", TODAY)
    assert sum(window.contains(TODAY - timedelta(days=n)) for n in range(30)) == 7


def test_all_time_and_its_alias_are_unbounded():
    for name in ("all-time", "all", "ALL"):
        window = preset_window(name, TODAY)
        assert window.start is None and window.end is None
        assert window.contains(date(1900, 1, 1))


def test_ytd_on_new_years_day_is_one_day():
    window = preset_window("ytd", date(2027, 1, 1))
    assert (window.start, window.end) == (date(2027, 1, 1), date(2027, 1, 1))


def test_last_year_in_a_leap_year_context():
    window = preset_window("last-year", date(2025, 3, 1))
    assert (window.start, window.end) == (date(2024, 1, 1), date(2024, 12, 31))


def test_from_alone_runs_to_today_and_to_alone_from_the_first_record():
    window = resolve_window(TODAY, start="2026-03-01")
    assert (window.start, window.end) == (date(2026, 3, 1), TODAY)
    window = resolve_window(TODAY, end="2026-03-01")
    assert (window.start, window.end) == (None, date(2026, 3, 1))


def test_from_and_to_override_the_preset():
    window = resolve_window(TODAY, preset="last-7-days", start="2020-01-01", end="2020-12-31")
    assert (window.start, window.end) == (date(2020, 1, 1), date(2020, 12, 31))


def test_year_is_one_calendar_year_and_cannot_mix_with_from_to():
    window = resolve_window(TODAY, year=2025)
    assert (window.start, window.end) == (date(2025, 1, 1), date(2025, 12, 31))
    with pytest.raises(CpeError, match="--year cannot be combined"):
        resolve_window(TODAY, year=2025, start="2025-01-01")


def test_reversed_range_and_unknown_preset_are_refused():
    with pytest.raises(CpeError, match="after --to"):
        resolve_window(TODAY, start="2026-06-01", end="2026-05-01")
    with pytest.raises(CpeError, match="unknown preset 'quarterly'"):
        resolve_window(TODAY, preset="quarterly")



@pytest.mark.parametrize("words, refused", [
    ({"year": 2026}, False), ({"year": 2027}, True),
    ({"start": "2026-06-11"}, False), ({"start": "2026-06-12"}, True),
    ({"start": "2026-06-11", "end": "2027-12-31"}, False), ({"start": "2026-06-12", "end": "2027-12-31"}, True),
    ({"end": "2030-01-01"}, False),
])
def test_a_window_starting_after_today_is_refused_by_every_option_alike(words, refused):
    """--year and --from name future days alike: both refused once the window starts after today (the
    last accepted start is today itself), while a window that merely ends after today is fine."""
    if not refused:
        window = resolve_window(TODAY, **words)
        assert window.start is None or window.start <= TODAY
        return
    with pytest.raises(CpeError, match=r"after today \(2026-06-11\); no record is dated in the future"):
        resolve_window(TODAY, **words)


def test_next_year_opens_on_new_years_day():
    assert resolve_window(date(2027, 1, 1), year=2027).start == date(2027, 1, 1)
    with pytest.raises(CpeError):
        resolve_window(date(2026, 12, 31), year=2027)

def test_default_window_is_ytd():
    assert resolve_window(TODAY) == preset_window("ytd", TODAY)


def test_describe_reads_like_the_dashboard():
    assert describe(preset_window("ytd", TODAY)) == "Jan 1, 2026 - Jun 11, 2026"
    assert describe(preset_window("all", TODAY)) == "all dates"


@given(st.dates(min_value=date(1901, 1, 1), max_value=date(9998, 12, 31)))
def test_every_rolling_preset_contains_today_and_is_the_right_length(today):
    for name, days in (("last-7-days", 7), ("last-30-days", 30)):
        window = preset_window(name, today)
        assert window.end == today
        assert (window.end - window.start).days + 1 == days
    assert preset_window("ytd", today).contains(today)
    assert not preset_window("last-year", today).contains(today)


@given(st.dates())
def test_iso_and_us_forms_agree(day):
    if day.year >= 1900:  # earlier years are refused (a two-digit year typed by mistake)
        assert parse_date(day.isoformat()) == day
        assert parse_date(f"{day.month:02d}/{day.day:02d}/{day.year}") == day


def test_a_day_first_date_is_refused_with_the_month_first_reading_offered():
    with pytest.raises(CpeError) as refused:
        parse_date("13/04/2026")
    assert refused.value.message == ("date '13/04/2026' is not a real calendar date: numeric dates are month "
                                     "first (MM/DD/YYYY); did you mean 04/13/2026?")
    with pytest.raises(CpeError, match=r"not a real calendar date$"):
        parse_date("02/30/2026")
    with pytest.raises(CpeError, match=r"'13/45/2026' is not a real calendar date \(numeric dates are month first: "
                                       r"MM/DD/YYYY\)$"):
        parse_date("13/45/2026")
