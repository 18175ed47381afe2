"""Calendar dates and the inclusive date windows every filter shares.

A window is a pair of whole days, both included; None on either side means
unbounded. Off-by-one errors in date ranges are the classic bug of time
trackers, so the arithmetic lives here once and the CLI echoes the resolved
range back to the user.
"""

from __future__ import annotations

from collections import namedtuple
from datetime import date, datetime, timedelta

from .errors import CpeError

PRESETS: tuple[str, ...] = ("ytd", "last-7-days", "last-30-days", "last-year", "all-time")
PRESET_ALIASES: dict[str, str] = {"all": "all-time"}
DEFAULT_PRESET = "ytd"

_ACCEPTED = "use YYYY-MM-DD, MM/DD/YYYY or 'June 11, 2026'"


class Window(namedtuple("Window", ("start", "end", "label"))):
    """An inclusive window of whole days (None: unbounded on that side) and its name ("Year to date").

    A named tuple rather than a dataclass: ``dataclasses`` costs ``cpe total`` 15-40 ms of imports."""

    __slots__ = ()

    def contains(self, day: date) -> bool:
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)


def _digits_joined(text: str, separator: str, *lengths: tuple[int, int]) -> bool:
    """Whether ``text`` is runs of ASCII digits joined by ``separator``, each run's length within its bounds
    (``2026-6-11``: (4, 4), (1, 2), (1, 2)); what a regular expression would say, without importing ``re``."""
    parts = text.split(separator)
    return len(parts) == len(lengths) and all(
        low <= len(part) <= high and part.isascii() and part.isdigit() for part, (low, high) in zip(parts, lengths))


def parse_date(text: str, what: str = "date") -> date:
    """Read a date as users write it on US certificates.

    ISO and numeric US (month first) forms are parsed strictly; written-out
    months ("June 11, 2026", "Jun 11 2026") go through dateutil, imported
    only then because it costs tens of milliseconds at start-up.
    """
    raw = str(text).strip()
    if not raw:
        raise CpeError.invalid(f"{what} is required: {_ACCEPTED}")
    try:
        if _digits_joined(raw, "-", (4, 4), (1, 2), (1, 2)):
            year, month, day = (int(part) for part in raw.split("-"))
            return date(_checked_year(year, raw, what), month, day)
        if _digits_joined(raw, "/", (1, 2), (1, 2), (4, 4)):
            month, day, year = (int(part) for part in raw.split("/"))
            if month > 12 and day <= 12:  # 13/04/2026: written day first
                raise CpeError.invalid(f"{what} {raw!r} is not a real calendar date: numeric dates are month "
                                       f"first (MM/DD/YYYY); did you mean {day:02d}/{month:02d}/{year}?")
            return date(_checked_year(year, raw, what), month, day)
    except ValueError:
        # 13/45/2026: no month at all where the month goes (02/30/2026 is month first and still no date)
        form = " (numeric dates are month first: MM/DD/YYYY)" if "/" in raw and int(raw.split("/")[0]) > 12 else ""
        raise CpeError.invalid(f"{what} {raw!r} is not a real calendar date{form}") from None
    import re  # only for dates written out in words (the numeric forms above need no regular expression)

    written = re.findall(r"\d{4,}", raw)
    if not re.search(r"[A-Za-z]", raw) or len(written) != 1 or len(written[0]) != 4:
        raise CpeError.invalid(f"{what} {raw!r} is not a date I can read: {_ACCEPTED}")
    year = _checked_year(int(written[0]), raw, what)
    from dateutil import parser as dateutil_parser

    try:
        # Parsed against two different defaults: if any part of the date was
        # missing from the text ("June 2026"), the two results differ.
        first = dateutil_parser.parse(raw, default=datetime(2000, 1, 1))
        second = dateutil_parser.parse(raw, default=datetime(2004, 2, 2))
    except (ValueError, OverflowError):
        raise CpeError.invalid(f"{what} {raw!r} is not a date I can read: {_ACCEPTED}") from None
    if first != second or first.time() != datetime.min.time() or first.year != year:
        # A year as written is never rewritten: dateutil reads "0026" as 2026 and "0001" as 2001.
        raise CpeError.invalid(f"{what} {raw!r} is not a date I can read: {_ACCEPTED}")
    return first.date()


FIRST_YEAR = 1900  # no CPE course, period or window starts earlier; an earlier year is a typo


def _checked_year(year: int, raw: str, what: str) -> int:
    if year < FIRST_YEAR:
        raise CpeError.invalid(f"{what} {raw!r} is before {FIRST_YEAR}; give the year in full, e.g. 2026")
    return year


def completion_date(text: str | None, today: date) -> date:
    """A course's completion date: today when not given, never in the future."""
    if text is None or not str(text).strip():
        return today
    day = parse_date(text)
    if day > today:
        raise CpeError.invalid(f"date {day.isoformat()} is in the future (today is {today.isoformat()})")
    return day


def preset_window(preset: str, today: date) -> Window:
    name = PRESET_ALIASES.get(preset.strip().lower(), preset.strip().lower())
    if name == "ytd":
        return Window(date(today.year, 1, 1), today, "Year to date")
    if name == "last-7-days":
        return Window(today - timedelta(days=6), today, "Last 7 days")
    if name == "last-30-days":
        return Window(today - timedelta(days=29), today, "Last 30 days")
    if name == "last-year":
        return Window(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31), "Last year")
    if name == "all-time":
        return Window(None, None, "All time")
    raise CpeError.invalid(f"unknown preset {preset!r}; accepted: {', '.join(PRESETS)}, all")


def resolve_window(today: date, preset: str | None = None, start: str | None = None,
                   end: str | None = None, year: int | None = None) -> Window:
    """Turn the shared window options into one inclusive window.

    ``--from``/``--to`` override the preset; ``--from`` alone runs to today,
    ``--to`` alone from the first record; ``--year`` is one calendar year and
    cannot be mixed with ``--from``/``--to``. A window that starts after today
    is refused the same way whichever option names it: no record is ever
    dated in the future (``completion_date``), so such a window could only
    answer 0 and hide a typo. A window that ends after today is fine (the
    current year, a period that runs on).
    """
    if year is not None:
        if start is not None or end is not None:
            raise CpeError.invalid("--year cannot be combined with --from/--to")
        if not 1900 <= year <= 9999:
            raise CpeError.invalid(f"--year {year} is out of range (1900-9999)")
        if year > today.year:
            raise CpeError.invalid(f"--year {year} starts after today ({today.isoformat()}); "
                                   "no record is dated in the future")
        return Window(date(year, 1, 1), date(year, 12, 31), str(year))
    if start is not None or end is not None:
        first = parse_date(start, "--from") if start is not None else None
        last = parse_date(end, "--to") if end is not None else None
        if first is not None and last is None:
            last = today
        if first is not None and first > today:
            raise CpeError.invalid(f"--from {first.isoformat()} is after today ({today.isoformat()}); "
                                   "no record is dated in the future")
        if first is not None and last is not None and first > last:
            raise CpeError.invalid(f"--from {first.isoformat()} is after --to {last.isoformat()}")
        return Window(first, last, "Custom range")
    return preset_window(preset or DEFAULT_PRESET, today)


def describe(window: Window) -> str:
    """The window as people read dates: "Jan 1, 2026 - Jun 11, 2026"."""
    def show(day: date) -> str:
        return f"{day.strftime('%b')} {day.day}, {day.year}"
    if window.start is None and window.end is None:
        return "all dates"
    if window.start is None:
        return f"first record - {show(window.end)}"
    if window.end is None:
        return f"{show(window.start)} - today"
    return f"{show(window.start)} - {show(window.end)}"
