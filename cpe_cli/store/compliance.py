"""What compliance reads and writes in the ledger: tracked profiles, and records as the engine wants them.

Tracked profiles live in the database (``tracked_profiles``, migration
``_add_tags_and_profiles``) so that a backup carries them with the records
they judge. The engine (``core.compliance``) takes records as
``(id, date, credits, field, method, tags)`` tuples in date order; this
module streams them from the date index, converting each distinct date,
credit amount and tag set once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from .ledger import Ledger, translate_error, utc_timestamp


@dataclass(frozen=True)
class Tracked:
    """A profile the user tracks: its id, the end of one of its periods (or None: the anchor) and the
    words declared for its conditional rules (``--declare attest``)."""

    profile_id: str
    period_end: date | None
    declared: frozenset[str]
    tracked_at: str


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


def compliance_entries(ledger: Ledger, start: date, end: date, *, merged: bool, monthly: bool = False
                       ) -> Iterator[tuple]:
    """The records dated ``start`` to ``end`` (inclusive) in (date, id) order, as engine entries.

    With ``merged``, records of one day with the same field, method and tags
    come as one entry with their credits summed (the engine's result is the
    same whenever no record can fall under two caps of one rule; the caller
    decides). With ``monthly`` too (every window of the evaluation starts on
    a month's first day), whole months come from ``compliance_months``, dated
    their first day: a large ledger hands over a few thousand rows, not
    millions. The rest of ``start``'s month and the month of ``end`` (up to
    ``end``) are read from the records, day by day.
    """
    days: dict[str, date] = {}
    amounts: dict[int, Decimal] = {}
    tag_sets: dict[str, frozenset[str]] = {"": frozenset()}

    def entries(sql: str, params: tuple) -> Iterator[tuple]:
        for record_id, day, hundredths, field, method, tags in ledger.conn.execute(sql, params):
            on = days.get(day)
            if on is None:
                on = days[day] = date.fromisoformat(day if len(day) == 10 else day + "-01")
            amount = amounts.get(hundredths)
            if amount is None:
                amount = amounts[hundredths] = Decimal(hundredths).scaleb(-2)
            tag_set = tag_sets.get(tags)
            if tag_set is None:
                tag_set = tag_sets[tags] = frozenset(tags.split())
            yield record_id, on, amount, field, method, tag_set

    merged_sql = ("SELECT min(id), completed_on, sum(credits_hundredths), field_of_study, delivery_method, tags "
                  "FROM records WHERE completed_on BETWEEN ? AND ? "
                  "GROUP BY completed_on, field_of_study, delivery_method, tags ORDER BY completed_on, min(id)")
    try:
        if not merged:
            yield from entries("SELECT id, completed_on, credits_hundredths, field_of_study, delivery_method, tags "
                               "FROM records WHERE completed_on BETWEEN ? AND ? ORDER BY completed_on, id",
                               (start.isoformat(), end.isoformat()))
            return
        first_of_last_month = end.replace(day=1)
        if monthly and start < first_of_last_month:
            next_month = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
            if start.day != 1:  # the rest of the first month, day by day
                yield from entries(merged_sql, (start.isoformat(), (next_month - timedelta(days=1)).isoformat()))
                start = next_month
            if start < first_of_last_month:
                yield from entries(
                    "SELECT 0, month, hundredths, field_of_study, delivery_method, tags FROM compliance_months "
                    "WHERE month >= ? AND month < ? AND records > 0 ORDER BY month",
                    (start.isoformat()[:7], first_of_last_month.isoformat()[:7]))
                start = first_of_last_month
        yield from entries(merged_sql, (start.isoformat(), end.isoformat()))
    except sqlite3.Error as problem:
        raise translate_error(problem, ledger.shown) from None


def tags_in_use(ledger: Ledger) -> list[str]:
    """Every tag on a record, sorted (for completion and ``--field``-style hints)."""
    rows = ledger.conn.execute("SELECT DISTINCT tags FROM records WHERE tags <> ''")
    return sorted({tag for (tags,) in rows for tag in tags.split()})
