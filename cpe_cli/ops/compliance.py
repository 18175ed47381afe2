"""Compliance use cases: list, show, track and drop profiles; evaluate the tracked ones (``cpe status``).

Profiles are data (``cpe_cli/profiles/*.toml`` and ``$CPE_HOME/profiles``,
read by ``core.profiles``); which ones a user tracks, with their period end
and declarations, is stored in the ledger (``store.compliance``), so backups
carry it. Evaluation (``core.compliance``) is given as few rows as give the
figures of every record taken one by one (``entries_for``). A read (list,
show, status) never creates a home. ``home`` is a ``str`` or a ``Path``:
``cpe status`` passes the text, and nothing here needs ``pathlib``.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from decimal import Decimal
from operator import itemgetter

from ..core import compliance
from ..core.errors import CpeError
from ..core.periods import parse_date
from ..core.profiles import Profile, check_declared, declarable_words, load_profiles
from ..store import compliance as stored
from ..store.ledger import DATABASE_NAME, open_ledger

_ONE_DAY = timedelta(days=1)

# Plain classes with __slots__, not dataclasses (15-40 ms to import) nor namedtuples (0.15 ms each to
# create): ``cpe status`` imports this module on every run, and nothing compares these.


class Listed:
    """A profile and how it is tracked (a ``store.compliance.Tracked``, or None)."""

    __slots__ = ("profile", "tracked")

    def __init__(self, profile: Profile, tracked):
        self.profile, self.tracked = profile, tracked


def _has_ledger(home) -> bool:
    return os.path.isfile(os.path.join(home, DATABASE_NAME))


def _tracked(home) -> dict[str, stored.Tracked]:
    if not _has_ledger(home):
        return {}
    with open_ledger(home) as ledger:
        return {item.profile_id: item for item in stored.tracked_profiles(ledger)}


def find_profile(profiles: dict[str, Profile], profile_id: str) -> Profile:
    """The profile an id names; a state's name names its board's profile ('california', 'New York')."""
    wanted = profile_id.strip().lower()
    if wanted not in profiles:
        from ..core.catalog import JURISDICTIONS

        by_name = {name.casefold(): code.lower() for code, name in JURISDICTIONS.items()}
        wanted = by_name.get(" ".join(wanted.split()), wanted)
    if wanted not in profiles:
        raise CpeError.invalid(f"unknown profile {profile_id!r}; accepted: {', '.join(profiles)} "
                               "(see 'cpe profile list')")
    return profiles[wanted]


def list_profiles(home) -> list[Listed]:
    """Every profile, built-in and the user's, with how it is tracked (tracked ones first, in tracking order)."""
    tracked = _tracked(home)
    profiles = load_profiles(home)
    listed = [Listed(profiles[profile_id], item) for profile_id, item in tracked.items() if profile_id in profiles]
    listed += [Listed(profile, None) for profile_id, profile in profiles.items() if profile_id not in tracked]
    return listed


def show_profile(home, profile_id: str) -> Listed:
    profile = find_profile(load_profiles(home), profile_id)
    return Listed(profile, _tracked(home).get(profile.id))


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


CLEAR_DECLARED = "none"  # ``--declare none``: no declared work from now on


def use_profile(home, profile_id: str, period_end: str | None, declared: list[str]) -> tuple[Listed, str]:
    """Track a profile (or change how it is tracked); returns it and "new", "changed" or "same".

    Run again for a tracked profile, what is not given again is kept: ``cpe profile use ca`` after
    ``cpe profile use ca --period-end 2027-03-31 --declare attest`` keeps both (a new period end alone
    keeps the declarations, and the other way round); ``--declare none`` clears the declarations, and
    ``cpe profile drop`` forgets everything (a fixed-period profile's own period comes back with it)."""
    profile = find_profile(load_profiles(home), profile_id)
    before = _tracked(home).get(profile.id)
    if period_end is None and before is not None and before.period_end is not None:
        end = before.period_end
    else:
        end = _period_end(profile, period_end)
    spoken = {str(word).strip().lower() for word in declared}
    if CLEAR_DECLARED in spoken and CLEAR_DECLARED not in declarable_words(profile):
        if spoken != {CLEAR_DECLARED}:
            raise CpeError.invalid(f"--declare {CLEAR_DECLARED} clears the declarations: give it alone")
        words = frozenset()
    elif not declared and before is not None:
        words = before.declared
    else:
        words = check_declared(profile, declared)
    with open_ledger(home) as ledger:
        newly = stored.track_profile(ledger, profile.id, end, words)
        item = next(item for item in stored.tracked_profiles(ledger) if item.profile_id == profile.id)
    if newly:
        return Listed(profile, item), "new"
    same = before is not None and (before.period_end, before.declared) == (item.period_end, item.declared)
    return Listed(profile, item), "same" if same else "changed"


def drop_profile(home, profile_id: str) -> str:
    """Stop tracking a profile (its id or state name, or the id of one whose file is gone); refused when it is
    not tracked."""
    wanted = profile_id.strip().lower()
    dropped = False
    if _has_ledger(home):
        with open_ledger(home) as ledger:
            tracked = {item.profile_id for item in stored.tracked_profiles(ledger)}
            if wanted not in tracked:  # an id tracked as typed is that one (a user's 'texas' is not tx)
                try:
                    wanted = find_profile(load_profiles(home), profile_id).id
                except CpeError:
                    pass  # a profile file since removed: its id as given
            dropped = stored.drop_profile(ledger, wanted)
    if not dropped:
        raise CpeError.invalid(f"profile {profile_id!r} is not tracked (see 'cpe profile list')")
    return wanted


class Evaluated:
    """A profile's status (a ``core.compliance.ProfileStatus``), whether it is tracked, the words declared."""

    __slots__ = ("profile", "status", "tracked", "declared")

    def __init__(self, profile: Profile, status, tracked: bool, declared: frozenset[str]):
        self.profile, self.status, self.tracked, self.declared = profile, status, tracked, declared


def evaluate(home, today: date, *, as_of: str | None = None, profile_ids: list[str] | None = None,
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


def _evaluate(home, ledger, when: date, tracked: dict, profile_ids, period_end, declared) -> list[Evaluated]:
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
                                      f"{os.path.join(home, 'profiles')} is gone?); "
                                      f"'cpe profile drop {profile_id}' stops tracking it")
            chosen.append((profiles[profile_id], item.period_end, item.declared, True))
    if ledger is None:
        return [Evaluated(profile, compliance.evaluate(profile, (), as_of=when, period_end=end, declared=words),
                          is_tracked, words) for profile, end, words, is_tracked in chosen]
    sums = _Sums(ledger, [_segments(compliance.counts(profile, when, end, words))
                          for profile, end, words, _ in chosen])
    return [Evaluated(profile, compliance.evaluate(profile, entries_for(ledger, profile, words, when, end, sums),
                                                   as_of=when, period_end=end, declared=words), is_tracked, words)
            for profile, end, words, is_tracked in chosen]


# ---------------------------------------------------------------- the rows the engine reads


def entries_for(ledger, profile: Profile, declared: frozenset[str], when: date, period_end: date | None,
                sums: _Sums | None = None) -> list:
    """The ledger's records as the engine should read them for ``profile`` on ``when``: as few rows as give
    exactly the figures of every record taken one by one (``tests/test_compliance_cli.py`` checks that).

    The engine sums, for each window (and any_of option), the credits of a group, some of them limited by
    caps (``compliance.counts``). The windows' starts and ends cut the span into segments that lie wholly
    inside or outside each window, so one row per segment and signature (field, method, tags), dated the
    segment's first day, gives every sum: ``store.signature_sums`` reads them, mostly from month sums, so
    the work follows the number of segments and signatures, not of records (at 1,000,000 records status
    read and converted 35,000 rows for California, New York and Texas; now fewer than 1,000). A segment that
    only windows of some groups cover (California's 72-month Regulatory Review: one tag) reads only those.

    Caps decide in (date, id) order only where a record falls under two of them; ``_walk`` finds the stretch
    where that order matters, and that stretch comes record by record (``_rows``). ``sums``: a ``_Sums``
    shared by the profiles of one ``cpe status``, so that the months they have in common are read once.
    """
    planned = compliance.counts(profile, when, period_end, declared)
    segments = _segments(planned)
    if sums is None:
        sums = _Sums(ledger, [segments])
    found = [sums(low, high, groups) for low, high, groups in segments]
    walks = [walk for count in planned if len(count.caps) > 1
             for walk in [_walk(ledger, count, segments, found)] if walk is not None]
    return _rows(segments, found, walks)


def _segments(planned) -> list[tuple[date, date, list | None]]:
    """The windows' starts and ends cut the span into segments, each wholly inside or outside each window:
    (first day, last day, the groups to read: None for every record, else (fields, methods, tags) triples,
    when every window covering it counts only in some groups); the days no window covers are left out."""
    bounds = sorted({count.start for count in planned} | {count.end + _ONE_DAY for count in planned})
    segments = []
    for low, after in zip(bounds, bounds[1:]):
        high = after - _ONE_DAY
        covering = [count for count in planned if count.start <= low and high <= count.end]
        if covering:
            segments.append((low, high, None if any(count.group is None for count in covering) else list(
                dict.fromkeys((count.group.fields, count.group.methods, count.group.tags) for count in covering))))
    return segments


class _Sums:
    """``store.signature_sums`` for the segments of several profiles on one ledger, each month read once.

    A segment whose every record is wanted is read in pieces cut at every boundary of the others' such
    segments, and each piece is kept: Texas's 3-year window holds California's and New York's current
    years, so these come from pieces already read. (A segment of some groups is read by itself: it costs
    little, and reading only those groups is what makes it cheap.)
    """

    def __init__(self, ledger, segment_lists):
        self.ledger = ledger
        bounds = {day for segments in segment_lists for low, high, groups in segments if groups is None
                  for day in (low, high + _ONE_DAY)}
        self.bounds = sorted(bounds)
        self.pieces: dict[tuple[date, date], dict] = {}

    def __call__(self, low: date, high: date, groups) -> dict[tuple, int]:
        if groups is not None:
            return stored.signature_sums(self.ledger, low, high, groups)
        cuts = [day for day in self.bounds if low < day <= high]
        total: dict[tuple, int] = {}
        for first, last in zip([low, *cuts], [*(day - _ONE_DAY for day in cuts), high]):
            piece = self.pieces.get((first, last))
            if piece is None:
                piece = self.pieces[first, last] = stored.signature_sums(self.ledger, first, last)
            if not total:
                total = dict(piece)
                continue
            for signature, hundredths in piece.items():
                total[signature] = total.get(signature, 0) + hundredths
        return total


class _Walk:
    """The records of a window taken one by one, from ``start`` through ``stop``, a (date, id) position: the
    record on which the order stopped mattering, or (the window's last day, None) when it never did.
    ``records`` holds each record of that stretch whose signature ``ordered`` (a function of the signature)
    says its order decides; summed rows are exact for the others, and for every record after ``stop``."""

    __slots__ = ("start", "stop", "ordered", "records")

    def __init__(self, start: date, stop: tuple, ordered, records: list):
        self.start, self.stop, self.ordered, self.records = start, stop, ordered, records


def _walk(ledger, count: compliance.Count, segments, sums) -> _Walk | None:
    """Where the order of records decides what ``count`` counts, or None when it never does.

    Issue 11, "Caps": records are taken in (date, id) order and each counts as much as every cap it falls
    under still has room for. A cap whose group holds no more than its room in the window never cuts
    anything, whatever the order (it binds nothing). With no record under two binding caps, each binding
    cap keeps min(its records, its room) whatever the order too, so summed rows are exact. Otherwise the
    records under a binding cap are taken one by one from the window's start, as the engine will take them,
    until the order can no longer matter (``_settled``): from then on summed rows give the same figures.
    Texas at 1,000,000 records: its non-technical cap fills on the window's first day, and once it is full
    no record is under two caps that still have room, so the walk ends that day; it used to run to the day
    every cap was full (the Nano cap, days or months later) and read every record in between, twice.
    """
    members: dict[tuple, tuple[int, ...] | None] = {}

    def caps_of(signature) -> tuple[int, ...] | None:
        """The caps (positions in ``count.caps``) a signature falls under; None outside the count's group."""
        found = members.get(signature, False)
        if found is False:
            if count.group is not None and not count.group.contains(*signature):
                found = None
            else:
                found = tuple(index for index, group in enumerate(count.caps) if group.contains(*signature))
            members[signature] = found
        return found

    held = [0] * len(count.caps)
    present: set[tuple[int, ...]] = set()
    for (low, high, _), found in zip(segments, sums):
        if low < count.start or high > count.end:
            continue
        for signature, hundredths in found.items():
            under = caps_of(signature)
            if under:
                present.add(under)
                for index in under:
                    held[index] += hundredths
    binding = tuple(index for index, room in enumerate(count.rooms) if held[index] > room * 100)
    present = {tuple(index for index in under if index in binding) for under in present}
    if all(len(under) < 2 for under in present):
        return None
    rooms = {index: count.rooms[index] for index in binding}
    full: set[int] = set()
    stop = (count.end, None)
    records = []
    groups = [(count.caps[index].fields, count.caps[index].methods, count.caps[index].tags) for index in binding]
    entries = stored.compliance_entries(ledger, count.start, count.end, groups=groups)
    for entry in entries:
        under = [index for index in caps_of(entry[3:6]) or () if index in rooms]
        if not under:
            continue
        records.append(entry)
        amount = min(entry[2], *(rooms[index] for index in under))
        if not amount:
            continue
        filled = False
        for index in under:
            rooms[index] -= amount
            if rooms[index] <= 0 and index not in full:
                full.add(index)
                filled = True
        if filled and _settled(present, full):
            stop = (entry[1], entry[0])
            break
    entries.close()  # the rest is never read

    def ordered(signature) -> bool:
        return any(index in rooms for index in caps_of(signature) or ())

    return _Walk(count.start, stop, ordered, records)


def _settled(present, full: set[int]) -> bool:
    """Whether, with the caps ``full`` (positions, in the order the caps apply) out of room, the order of the
    records still to come can no longer change what counts or which cap is said to cut it.

    ``present``: for each signature of the window, the binding caps it falls under. A record under a full cap
    counts nothing; the cut is the first full cap's, unless a cap with room comes before it (its room, which
    depends on the order, would take part of the cut). A record under no full cap counts at most the room
    of its caps: order-free only when it is under one cap that still has room. When every signature is one
    of those cases each cap simply keeps min(its records, its room), in any order.
    """
    for under in present:
        first_full = next((index for index in under if index in full), None)
        if first_full is None:
            if len(under) > 1:
                return False
        elif under[0] != first_full:
            return False
    return True


def _rows(segments, sums, walks) -> list:
    """The engine's rows: per segment and signature, the credits summed and dated the segment's first day,
    except in a walk's stretch, where the records its order decides come one by one, and the rest of their
    signature's credits in the segment come summed right after the last of them: on its date, with its id
    (rows are in (date, id) order, a record before a sum on a tie)."""
    amounts: dict[int, Decimal] = {}

    def credits(hundredths: int) -> Decimal:
        amount = amounts.get(hundredths)
        if amount is None:
            amount = amounts[hundredths] = Decimal(hundredths).scaleb(-2)
        return amount

    walked = {entry[0]: entry for walk in walks for entry in walk.records}
    rows: list[tuple] = list(walked.values())
    by_signature: dict[tuple, list] = {}
    for entry in rows:
        by_signature.setdefault(entry[3:6], []).append(entry)
    for (low, high, _), found in zip(segments, sums):
        for signature, hundredths in found.items():
            through = None  # where this signature's records in the segment stop coming one by one
            for walk in walks:
                if walk.start <= low <= walk.stop[0] and walk.ordered(signature):
                    through = walk.stop if through is None else max(through, walk.stop, key=_position)
            if through is None:
                rows.append((0, low, credits(hundredths), *signature))
                continue
            rest = credits(hundredths) - sum((entry[2] for entry in by_signature.get(signature, ())
                                              if low <= entry[1] <= high), Decimal(0))
            if rest:  # (none when the stretch runs past the segment, unless month sums disagree with records)
                day, last = through if through[0] <= high and through[1] is not None else (high, 0)
                rows.append((last, day, rest, *signature))
    rows.sort(key=itemgetter(1, 0))  # stable: a record keeps its place before the sum given its id
    return rows


def _position(stop: tuple) -> tuple:
    """A walk's stop in (date, id) order; (day, None), a whole day, comes after every record of the day."""
    day, last = stop
    return day, (1, 0) if last is None else (0, last)
