"""What compliance reads and writes in the ledger: tracked profiles, and records as the engine wants them.

Tracked profiles live in the database (``tracked_profiles``, migration
``_add_tags_and_profiles``) so that a backup carries them with the records
they judge. The engine (``core.compliance``) takes records as
``(id, date, credits, field, method, tags)`` tuples in date order. It rarely
needs them one by one: ``signature_sums`` gives the credits of a date range
per (field, method, tags), mostly from ``compliance_months`` (a few thousand
rows, whatever the ledger's size), and ``compliance_entries`` streams records
one by one, optionally only those of some groups, for the stretch where the
order of records decides what counts (``ops.compliance``).
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from decimal import Decimal

from .ledger import Ledger, translate_error, utc_timestamp

_ONE_DAY = timedelta(days=1)


class Tracked:
    """A profile the user tracks: its id, the end of one of its periods (or None: the anchor) and the
    words declared for its conditional rules (``--declare attest``).

    A plain class, not a dataclass: ``cpe status`` reads these on every run, and ``dataclasses`` costs
    15-40 ms to import (a namedtuple, 0.15 ms to create, buys nothing here: these are never compared)."""

    __slots__ = ("profile_id", "period_end", "declared", "tracked_at")

    def __init__(self, profile_id: str, period_end: date | None, declared: frozenset[str], tracked_at: str):
        self.profile_id, self.period_end, self.declared, self.tracked_at = profile_id, period_end, declared, tracked_at


def tracked_profiles(ledger: Ledger) -> list[Tracked]:
    try:
        rows = ledger.conn.execute("SELECT profile_id, period_end, declared, tracked_at FROM tracked_profiles "
                                   "ORDER BY tracked_at, profile_id").fetchall()
    except sqlite3.Error as problem:
        raise translate_error(problem, ledger.shown) from None
    return [Tracked(profile_id, date.fromisoformat(end) if end else None,
                    frozenset(declared.split()), tracked_at) for profile_id, end, declared, tracked_at in rows]


def track_profile(ledger: Ledger, profile_id: str, period_end: date | None, declared: frozenset[str]) -> bool:
    """Track (or re-track with new settings) a profile; True when it was not tracked before."""
    with ledger.write():
        known = ledger.conn.execute("SELECT 1 FROM tracked_profiles WHERE profile_id = ?", (profile_id,)).fetchone()
        ledger.conn.execute(
            "INSERT INTO tracked_profiles (profile_id, period_end, declared, tracked_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (profile_id) DO UPDATE SET period_end = excluded.period_end, "
            "declared = excluded.declared",
            (profile_id, period_end.isoformat() if period_end else None, " ".join(sorted(declared)),
             utc_timestamp()))
    return known is None


def drop_profile(ledger: Ledger, profile_id: str) -> bool:
    """Stop tracking a profile; False when it was not tracked."""
    with ledger.write():
        cursor = ledger.conn.execute("DELETE FROM tracked_profiles WHERE profile_id = ?", (profile_id,))
    return cursor.rowcount > 0


# ---------------------------------------------------------------- records for the engine

# Tag sets by their stored text ('' for none, else sorted words joined by one space): one frozenset per text,
# so that signatures read by different queries are equal and hash fast.
_TAG_SETS: dict[str, frozenset[str]] = {"": frozenset()}


def _tag_set(text: str) -> frozenset[str]:
    found = _TAG_SETS.get(text)
    if found is None:
        found = _TAG_SETS[text] = frozenset(text.split())
    return found


def _in_groups(groups) -> tuple[str, list]:
    """An SQL condition (`` AND (...)``, with its parameters) true for a row in any of ``groups``.

    ``groups``: (fields, methods, tags) triples, a row being in one when its field, its delivery method or
    one of its tags is listed (``core.profiles.Group``). None: every row, no condition. Tags are stored sorted
    and separated by one space, and a tag never holds a space (``core.tags``), so a tag is in a row's tags
    exactly when `` tag `` occurs in `` tags ``.
    """
    if groups is None:
        return "", []
    fields, methods, tags = set(), set(), set()
    for group_fields, group_methods, group_tags in groups:
        fields.update(group_fields)
        methods.update(group_methods)
        tags.update(group_tags)
    terms: list[str] = []
    params: list = []
    if fields:
        terms.append(f"field_of_study IN ({', '.join('?' * len(fields))})")
        params += sorted(fields)
    if methods:
        terms.append(f"delivery_method IN ({', '.join('?' * len(methods))})")
        params += sorted(methods)
    if tags:  # most rows have no tag: the test on '' spares them building the padded text
        tests = " OR ".join("instr(' ' || tags || ' ', ?) > 0" for _ in tags)
        terms.append(f"(tags <> '' AND ({tests}))")
        params += [f" {tag} " for tag in sorted(tags)]
    return f" AND ({' OR '.join(terms) or '0'})", params


def compliance_entries(ledger: Ledger, start: date, end: date, *, groups=None):
    """The records dated ``start`` to ``end`` (inclusive) one by one, in (date, id) order, as engine entries.

    With ``groups`` ((fields, methods, tags) triples), only the records in one of them. A generator: the
    caller may stop early, and the rest is never read.
    """
    days: dict[str, date] = {}
    amounts: dict[int, Decimal] = {}
    condition, params = _in_groups(groups)
    try:
        rows = ledger.conn.execute(
            "SELECT id, completed_on, credits_hundredths, field_of_study, delivery_method, tags FROM records "
            f"WHERE completed_on BETWEEN ? AND ?{condition} ORDER BY completed_on, id",
            [start.isoformat(), end.isoformat(), *params])
        for record_id, day, hundredths, field, method, tags in rows:
            on = days.get(day)
            if on is None:
                on = days[day] = date.fromisoformat(day)
            amount = amounts.get(hundredths)
            if amount is None:
                amount = amounts[hundredths] = Decimal(hundredths).scaleb(-2)
            yield record_id, on, amount, field, method, _tag_set(tags)
    except sqlite3.Error as problem:
        raise translate_error(problem, ledger.shown) from None


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - _ONE_DAY


def signature_sums(ledger: Ledger, start: date, end: date, groups=None) -> dict[tuple, int]:
    """{(field, method, tags): credits in hundredths} of the records dated ``start`` to ``end`` (inclusive).

    ``tags`` is a frozenset; with ``groups`` ((fields, methods, tags) triples) only the records in one of them
    are summed. Whole months come from ``compliance_months`` (kept exact by triggers, one row per month and
    signature), so a range of years costs a few thousand rows whatever the ledger's size. A month the range
    covers only in part is either read from the records (the part in the range) or taken whole with the
    records outside the range subtracted, whichever reads fewer records (counted on the date index, which
    holds the date: no record is read to count). So the usual ranges, whole months up to today, read no
    record at all: the days after today hold none.
    """
    sums: dict[tuple, int] = {}
    if end < start:
        return sums
    condition, params = _in_groups(groups)
    added: list[tuple[date, date]] = []
    subtracted: list[tuple[date, date]] = []
    first_month, last_month = start.replace(day=1), end.replace(day=1)
    months = [first_month, last_month]  # the first and last month taken whole from compliance_months
    try:
        def count(ranges) -> int:
            return sum(ledger.conn.execute("SELECT count(*) FROM records WHERE completed_on BETWEEN ? AND ?",
                                           (low.isoformat(), high.isoformat())).fetchone()[0]
                       for low, high in ranges if low <= high)

        def split(month: date, low: date, high: date) -> bool:
            """Month ``month`` is in the range from ``low`` to ``high`` only: True to take it whole, minus the
            rest; False to read the part in the range."""
            outside = [(month, low - _ONE_DAY), (high + _ONE_DAY, _month_end(month))]
            if count(outside) < count([(low, high)]):
                subtracted.extend(outside)
                return True
            added.append((low, high))
            return False

        if first_month == last_month:
            if (start != first_month or end != _month_end(end)) and not split(first_month, start, end):
                months = None
        else:
            if start != first_month and not split(first_month, start, _month_end(start)):
                months[0] = _month_end(first_month) + _ONE_DAY
            if end != _month_end(end) and not split(last_month, last_month, end):
                months[1] = last_month - _ONE_DAY
        if months is not None and months[0] <= months[1]:
            for field, method, tags, hundredths in ledger.conn.execute(
                    "SELECT field_of_study, delivery_method, tags, sum(hundredths) FROM compliance_months "
                    f"WHERE month BETWEEN ? AND ?{condition} GROUP BY field_of_study, delivery_method, tags",
                    [months[0].isoformat()[:7], months[1].isoformat()[:7], *params]):
                sums[field, method, _tag_set(tags)] = hundredths
        for ranges, sign in ((added, 1), (subtracted, -1)):
            for low, high in ranges:
                if low > high:
                    continue
                for field, method, tags, hundredths in ledger.conn.execute(
                        "SELECT field_of_study, delivery_method, tags, sum(credits_hundredths) FROM records "
                        f"WHERE completed_on BETWEEN ? AND ?{condition} "
                        "GROUP BY field_of_study, delivery_method, tags",
                        [low.isoformat(), high.isoformat(), *params]):
                    key = (field, method, _tag_set(tags))
                    sums[key] = sums.get(key, 0) + sign * hundredths
    except sqlite3.Error as problem:
        raise translate_error(problem, ledger.shown) from None
    return {key: hundredths for key, hundredths in sums.items() if hundredths}


def tags_in_use(ledger: Ledger) -> list[str]:
    """Every tag on a record, sorted (for completion and ``--field``-style hints)."""
    rows = ledger.conn.execute("SELECT DISTINCT tags FROM records WHERE tags <> ''")
    return sorted({tag for (tags,) in rows for tag in tags.split()})
