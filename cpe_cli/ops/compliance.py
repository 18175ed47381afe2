"""Compliance use cases: list, show, track and drop profiles; evaluate the tracked ones (``cpe status``).

Profiles are data (``cpe_cli/profiles/*.toml`` and ``$CPE_HOME/profiles``,
read by ``core.profiles``); which ones a user tracks, with their period end
and declarations, is stored in the ledger (``store.compliance``), so backups
carry it. Evaluation (``core.compliance``) reads only the records of the
span its windows need. A read (list, show, status) never creates a home.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from ..core import compliance
from ..core.errors import CpeError
from ..core.periods import parse_date
from ..core.profiles import Profile, check_declared, load_profiles
from ..store import compliance as stored
from ..store.ledger import DATABASE_NAME, open_ledger


@dataclass(frozen=True)
class Listed:
    profile: Profile
    tracked: stored.Tracked | None


def _has_ledger(home: Path) -> bool:
    return (home / DATABASE_NAME).is_file()


def _tracked(home: Path) -> dict[str, stored.Tracked]:
    if not _has_ledger(home):
        return {}
    with open_ledger(home) as ledger:
        return {item.profile_id: item for item in stored.tracked_profiles(ledger)}


def find_profile(profiles: dict[str, Profile], profile_id: str) -> Profile:
    wanted = profile_id.strip().lower()
    if wanted not in profiles:
        raise CpeError.invalid(f"unknown profile {profile_id!r}; accepted: {', '.join(profiles)} "
                               "(see 'cpe profile list')")
    return profiles[wanted]


def list_profiles(home: Path) -> list[Listed]:
    """Every profile, built-in and the user's, with how it is tracked (tracked ones first, in tracking order)."""
    tracked = _tracked(home)
    profiles = load_profiles(home)
    listed = [Listed(profiles[profile_id], item) for profile_id, item in tracked.items() if profile_id in profiles]
    listed += [Listed(profile, None) for profile_id, profile in profiles.items() if profile_id not in tracked]
    return listed


def show_profile(home: Path, profile_id: str) -> Listed:
    return Listed(find_profile(load_profiles(home), profile_id), _tracked(home).get(profile_id.strip().lower()))


def _period_end(profile: Profile, text: str | None) -> date | None:
    if text is None:
        if profile.needs_period_end:
            raise CpeError.invalid(f"profile {profile.id} has no fixed period: give --period-end DATE, the last day "
                                   f"of one of your reporting periods (e.g. your license's expiration date)")
        return None
    from ..core.environment import LAST_TODAY

    end = parse_date(text, "--period-end")
    if end > LAST_TODAY:  # periods are computed years around it, inside the calendar Python knows
        raise CpeError.invalid(f"--period-end {end.isoformat()} is too far ahead (at most {LAST_TODAY.isoformat()})")
    return end


def use_profile(home: Path, profile_id: str, period_end: str | None, declared: list[str]) -> tuple[Listed, bool]:
    """Track a profile (or change how it is tracked); returns it and whether it is newly tracked."""
    profile = find_profile(load_profiles(home), profile_id)
    end = _period_end(profile, period_end)
    words = check_declared(profile, declared)
    with open_ledger(home) as ledger:
        newly = stored.track_profile(ledger, profile.id, end, words)
        item = next(item for item in stored.tracked_profiles(ledger) if item.profile_id == profile.id)
    return Listed(profile, item), newly


def drop_profile(home: Path, profile_id: str) -> str:
    """Stop tracking a profile (its id, even one whose file is gone); refused when it is not tracked."""
    wanted = profile_id.strip().lower()
    dropped = False
    if _has_ledger(home):
        with open_ledger(home) as ledger:
            dropped = stored.drop_profile(ledger, wanted)
    if not dropped:
        raise CpeError.invalid(f"profile {profile_id!r} is not tracked (see 'cpe profile list')")
    return wanted


def merging_is_exact(profile: Profile, declared: frozenset[str]) -> bool:
    """Whether records of one day and signature may be summed before evaluation.

    Caps are taken greedily in (date, id) order; when no record can fall
    under two caps of one rule, each cap simply keeps min(group hours, room)
    and order does not matter, so merged rows give the same figures. Two
    groups can share a record unless both list only fields (disjoint ones)
    or only methods (disjoint ones).
    """
    for rule in profile.rules:
        if rule.kind != "max" or not rule.applies(declared):
            continue
        for other in profile.rules:
            if other is rule or other.kind != "max" or not other.applies(declared):
                continue
            if not set(profile.cap_targets(rule)) & set(profile.cap_targets(other)):
                continue
            first, second = profile.group(rule.in_group), profile.group(other.in_group)
            if _may_overlap(first, second):
                return False
    return True


def _may_overlap(first, second) -> bool:
    if first.tags or second.tags:
        return True
    if first.fields and second.fields and not (first.methods or second.methods):
        return bool(set(first.fields) & set(second.fields))
    if first.methods and second.methods and not (first.fields or second.fields):
        return bool(set(first.methods) & set(second.methods))
    return True


@dataclass(frozen=True)
class Evaluated:
    profile: Profile
    status: compliance.ProfileStatus
    tracked: bool
    declared: frozenset[str]


def evaluate(home: Path, today: date, *, as_of: str | None = None, profile_ids: list[str] | None = None,
             period_end: str | None = None, declared: list[str] | None = None) -> tuple[date, list[Evaluated]]:
    """The status of each tracked profile, or of the profiles named (tracked or not), on ``as_of``."""
    when = today if as_of is None else parse_date(as_of, "--as-of")
    if when > today:
        raise CpeError.invalid(f"--as-of {when.isoformat()} is after today ({today.isoformat()}): "
                               "records cannot be known yet")
    if not _has_ledger(home):
        return when, _evaluate(home, None, when, {}, profile_ids, period_end, declared)
    with open_ledger(home) as ledger:
        tracked = {item.profile_id: item for item in stored.tracked_profiles(ledger)}
        return when, _evaluate(home, ledger, when, tracked, profile_ids, period_end, declared)


def _evaluate(home: Path, ledger, when: date, tracked: dict, profile_ids, period_end, declared) -> list[Evaluated]:
    """The profiles chosen (named, or else tracked) evaluated on ``when`` over ``ledger`` (None: no ledger)."""
    # Parse only what is evaluated; a mistyped --profile still lists every id (find_profile on all of them).
    wanted = [name.strip().lower() for name in profile_ids] if profile_ids else list(tracked)
    profiles = load_profiles(home, wanted)
    if profile_ids and not set(wanted) <= set(profiles):
        profiles = load_profiles(home)
    chosen: list[tuple[Profile, date | None, frozenset[str], bool]] = []
    if profile_ids:
        for profile_id in dict.fromkeys(name.strip().lower() for name in profile_ids):
            profile = find_profile(profiles, profile_id)
            item = tracked.get(profile.id)
            end = item.period_end if period_end is None and item is not None else _period_end(profile, period_end)
            words = check_declared(profile, declared) if declared else (item.declared if item else frozenset())
            chosen.append((profile, end, words, item is not None))
    else:
        if period_end is not None or declared:
            raise CpeError.invalid("--period-end and --declare go with --profile ID (a tracked profile keeps its "
                                   "own: change them with 'cpe profile use')")
        for profile_id, item in tracked.items():
            if profile_id not in profiles:
                raise CpeError.failed(f"tracked profile {profile_id!r} is no longer defined (its file in "
                                      f"{home / 'profiles'} is gone?); 'cpe profile drop {profile_id}' stops tracking it")
            chosen.append((profiles[profile_id], item.period_end, item.declared, True))
    if ledger is None:
        return [Evaluated(profile, compliance.evaluate(profile, (), as_of=when, period_end=end, declared=words),
                          is_tracked, words) for profile, end, words, is_tracked in chosen]
    return [Evaluated(profile, compliance.evaluate(profile, entries_for(ledger, profile, words, when, end), as_of=when,
                                                   period_end=end, declared=words), is_tracked, words)
            for profile, end, words, is_tracked in chosen]


def entries_for(ledger, profile: Profile, declared: frozenset[str], when: date, period_end: date | None) -> list:
    """The ledger's records as the engine should read them for ``profile`` on ``when``: as few rows as give
    exactly the figures of every record taken one by one (``tests/test_compliance_cli.py`` checks that)."""
    start, stop = compliance.evaluation_span(profile, when, period_end, declared)
    reference = period_end or profile.anchor
    monthly = reference is not None and (reference + timedelta(days=1)).day == 1
    if merging_is_exact(profile, declared):
        return list(stored.compliance_entries(ledger, start, stop, merged=True, monthly=monthly))
    # Overlapping caps: order matters only while a cap still has room. Summed rows are exact when no cap's
    # group holds more hours in the whole span than its smallest room; otherwise records one by one up to the
    # day every cap is full, summed rows after it.
    entries = list(stored.compliance_entries(ledger, start, stop, merged=True, monthly=monthly))
    if caps_cannot_bind(profile, declared, entries):
        return entries
    return _exact_entries(ledger, profile, declared, when, period_end, start, stop, monthly, entries)


def _binding_caps(profile: Profile, caps, hours: Decimal, entries, start: date, end: date) -> list:
    """The caps that can cut something in the window ``start``-``end``: those whose group holds more hours
    there than the cap's room. A cap that never fills never decides what counts (each record counts the least
    room among its caps), so the walk to the day the caps are full need not wait for it: a tagged cap no record
    carries (Texas's certification programs) would otherwise keep it reading every record of the window."""
    return [cap for cap in caps
            if _held(profile, cap, entries, start, end) > compliance.cap_room(cap, hours)]


def _held(profile: Profile, cap, entries, start: date | None = None, end: date | None = None) -> Decimal:
    """The hours of ``entries`` (dated ``start`` to ``end`` when given) in the group ``cap`` limits."""
    group = profile.group(cap.in_group)
    return sum((entry[2] for entry in entries
                if (start is None or start <= entry[1] <= end) and group.contains(entry[3], entry[4], entry[5])),
               Decimal(0))


def _exact_entries(ledger, profile: Profile, declared, when: date, period_end, start: date, stop: date,
                   monthly: bool, summed) -> list:
    """Entries in (date, id) order, record by record from the start of each capped window to the day its caps
    are all full (found by running the caps over the records as the engine will), summed outside that stretch.

    After that day every record under a cap counts nothing more in that window, whatever its order; before
    it, order decides (records taken by date, then id). With no such day the stretch runs to the window's end.
    """
    saturated_until = None
    first = None
    for rule in compliance.explain(profile, declared, as_of=when, period_end=period_end):
        caps = [profile.rule(cap_id) for cap_id in rule.get("caps", []) if profile.rule(cap_id).applies(declared)]
        if not caps or not rule["applies"] or rule["kind"] not in ("min", "any_of"):
            continue
        hours = [profile.rule(rule["id"]).hours] if rule["kind"] == "min" else \
            [option.hours for option in profile.rule(rule["id"]).options]
        for window in rule.get("windows", []):
            window_start = date.fromisoformat(window["start"])
            window_end = min(date.fromisoformat(window["end"]), when)
            if window_end < window_start:
                continue
            binding = _binding_caps(profile, caps, max(hours), summed, window_start, window_end)
            if not binding:  # nothing is cut in this window: its records may come summed
                continue
            day = _saturation_day(ledger, profile, binding, max(hours), window_start, window_end)
            first = window_start if first is None else min(first, window_start)
            saturated_until = day if saturated_until is None else max(saturated_until, day)
    if first is None:  # no window has a cap that can cut: summed rows give every figure exactly
        return summed
    entries: list = []
    if start < first:
        entries += stored.compliance_entries(ledger, start, first - timedelta(days=1), merged=True, monthly=monthly)
    entries += stored.compliance_entries(ledger, first, saturated_until, merged=False)
    if saturated_until < stop:
        entries += stored.compliance_entries(ledger, saturated_until + timedelta(days=1), stop, merged=True,
                                             monthly=monthly)
    return entries


def _saturation_day(ledger, profile: Profile, caps, hours, start: date, end: date) -> date:
    """The day on which every cap in ``caps`` has no room left, taking records by date then id; ``end`` if never."""
    rooms = {cap.id: compliance.cap_room(cap, hours) for cap in caps}
    groups = [(cap.id, profile.group(cap.in_group)) for cap in caps]
    for entry in stored.compliance_entries(ledger, start, end, merged=False):
        under = [cap_id for cap_id, group in groups if group.contains(entry[3], entry[4], entry[5])]
        if not under:
            continue
        counted = min([entry[2], *(rooms[cap_id] for cap_id in under)])
        for cap_id in under:
            rooms[cap_id] -= counted
        if all(room <= 0 for room in rooms.values()):
            return entry[1]
    return end


def caps_cannot_bind(profile: Profile, declared: frozenset[str], entries) -> bool:
    """Whether no cap of ``profile`` can cut anything: each cap's group holds, over every entry given (a span
    covering all windows), at most the smallest room the cap has for any rule it limits."""
    for cap in profile.rules:
        if cap.kind != "max" or not cap.applies(declared):
            continue
        hours = []
        for target, option in profile.cap_targets(cap):
            rule = profile.rule(target)
            hours += [item.hours for item in rule.options if option is None or item.id == option] \
                if rule.kind == "any_of" else [rule.hours]
        if _held(profile, cap, entries) > compliance.cap_room(cap, min(hours, default=Decimal(0))):
            return False
    return True
