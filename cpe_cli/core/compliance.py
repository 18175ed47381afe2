"""Evaluate a compliance profile against the ledger: am I compliant, what do I still need, by when?

Pure core: plain values in (a ``Profile`` from ``profiles.py``, ``Entry``
rows, dates), plain frozen results out, exact ``Decimal`` arithmetic as
``cpe total``. The rules of evaluation are issue 11's "Semantics", stated
there so that every implementation agrees; each function below cites the
clause it implements. In short:

- Windows. Period ends are the anchor (or ``--period-end``) plus or minus
  whole multiples of ``months``, each computed from that reference date, never
  chained from the previous end, so that clamping (31 -> 28) cannot drift. A
  reference on the last day of a month gives last days of months; another day
  is clamped to the month's length. Per-year windows and look-back starts use
  the same arithmetic from the same reference.
- Caps. Evaluating a min rule over its window, records are taken in (date,
  id) order; each counts only as much as every cap it falls under still has
  room for, and uses that much room in each of them.
- any_of reports its option with the smallest shortfall (first on a tie).
- Verdict: met when every requirement is met; ``hours_needed`` is the largest
  shortfall of the requirements still open. A requirement whose window ended
  before the evaluation date (last year of a two-year period) is *closed*:
  if it is short it was missed, and no hour earned now can count for it, so
  it keeps the profile from being met but asks for no more hours.

Speed matters (``cpe status`` on a 1,000,000-record ledger, issue 11
"Speed"): entries are expected sorted by (date, id) so every window is a
bisected slice; group membership is computed once per distinct (field,
method, tags) signature, not per record; and sums without an order-dependent
cap run inside ``sum``/``itertools.compress`` rather than a Python loop.
Above all the engine is given few rows: ``counts`` lists the sums it takes,
so that ``ops.compliance.entries_for`` reads sums per window segment and
signature instead of records, and records one by one only where their order
decides.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import namedtuple
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import compress, islice, repeat
from operator import and_, itemgetter, le

from .errors import CpeError
from .profiles import FIELD_SETS, Group, Profile, Rule

ZERO = Decimal(0)
_HUNDRED = Decimal(100)
_ONE_DAY = timedelta(days=1)
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


# Results and entries are ``collections.namedtuple`` subclasses, not dataclasses or ``typing.NamedTuple``:
# ``cpe status`` imports this module on every run, and ``dataclasses`` (with ``inspect``, ``ast``, ``dis``)
# and ``typing`` cost 20-50 ms to import where ``collections`` is already loaded. They compare by value
# (the tests compare a fast evaluation with a record-by-record one) and are immutable.


class Entry(namedtuple("Entry", "id completed_on credits field_of_study delivery_method tags",
                       defaults=(frozenset(),))):
    """One ledger record as the engine needs it.

    A tuple rather than a class with a ``__dict__``: storage may build a
    million of them, and a tuple is several times cheaper to create. Any
    6-tuple in this order is accepted (a database row, for instance); ``tags``
    should be a frozenset or tuple (it is used as part of a cache key). Rows
    may also be aggregates (several records of one signature with credits
    summed, dated the first day they cover): ``ops.compliance.entries_for``
    says when that gives the figures of the records one by one.
    """

    __slots__ = ()


class RequirementStatus(namedtuple("RequirementStatus", "id name window_start window_end required earned counted met "
                                                        "exact note cut_by option closed",
                                   defaults=((), None, False))):
    """One requirement of the current period, evaluated.

    ``earned`` is the window's hours in the rule's group before caps,
    ``counted`` after; ``cut_by`` lists (cap id, hours that cap kept from
    counting), attributed to the first cap (profile order) that stopped them,
    so the cuts add up to ``earned - counted``. ``option`` is the any_of option
    reported. ``exact`` is false when the rule, or a cap applying to it, is an
    approximation; ``note`` says how. ``closed``: the window ended before the
    evaluation date, so nothing earned now counts for it.
    """

    __slots__ = ()

    @property
    def missed(self) -> bool:
        """Closed and short: a deficiency hours earned now cannot make up."""
        return self.closed and not self.met

    @property
    def shortfall(self) -> Decimal:
        return max(self.required - self.counted, ZERO)


class ProfileStatus(namedtuple("ProfileStatus", "id name period_start period_end days_left met hours_needed "
                                                "requirements notes")):
    """A profile's verdict for the period containing the evaluation date."""

    __slots__ = ()


# ---------------------------------------------------------------- month arithmetic


def _month_length(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS[month - 1]


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole ``months`` (negative goes back), the issue's month arithmetic.

    The last day of a month maps to the last day of the target month
    (2026-02-28 + 24 months = 2028-02-29, a leap day); any other day is
    clamped to the target month's length (2026-01-30 + 1 month = 2026-02-28).
    Callers always start from the reference date, never from a previous
    result, so a clamp never carries over.
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    if not 1 <= year <= 9999:
        raise CpeError.invalid(f"{day.isoformat()} moved by {months} months leaves the calendar (years 1-9999)")
    length = _month_length(year, month)
    if day.day == _month_length(day.year, day.month):
        return date(year, month, length)
    return date(year, month, min(day.day, length))


def _plain_date(value, what: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if not isinstance(value, date):
        raise CpeError.invalid(f"{what} must be a date, not {value!r}")
    return value


def _reference(profile: Profile, period_end: date | None) -> date:
    """The date period ends are counted from: ``--period-end`` if given, else the profile's anchor."""
    if period_end is not None:
        return _plain_date(period_end, "--period-end")
    if profile.anchor is None:
        raise CpeError.invalid(
            f"profile {profile.id} has no fixed period end ({profile.name}: each person's period differs); "
            f"give --period-end DATE, the last day of one of your {profile.months}-month periods")
    return profile.anchor


def _period_offset(reference: date, months: int, as_of: date) -> int:
    """The offset, in months from ``reference``, of the end of the period containing ``as_of``.

    That end is the first ``reference + k*months`` on or after ``as_of``.
    Estimated from the month difference, then corrected by at most a step or
    two, because clamping makes the exact boundary depend on the day.
    """
    k = ((as_of.year - reference.year) * 12 + as_of.month - reference.month) // months
    while add_months(reference, k * months) < as_of:
        k += 1
    while add_months(reference, (k - 1) * months) >= as_of:
        k -= 1
    return k * months


def period_for(profile: Profile, as_of: date, period_end: date | None = None) -> tuple[date, date]:
    """The reporting period (first day, last day, both included) that contains ``as_of``.

    Issue 11, "Windows": from the day after the previous period's end through
    its end. ``period_end`` (``--period-end``) replaces the profile's anchor; a
    profile without an anchor needs it, and the error names the option.
    """
    as_of = _plain_date(as_of, "the evaluation date")
    reference = _reference(profile, period_end)
    offset = _period_offset(reference, profile.months, as_of)
    return add_months(reference, offset - profile.months) + _ONE_DAY, add_months(reference, offset)


# ---------------------------------------------------------------- the plan: windows per requirement


class _Window:
    """A requirement's window: ``id`` is the rule's, or ``RULE@END`` for each year of a per-year rule.

    Internal values are plain classes with ``__slots__``: a ``namedtuple`` costs about 0.15 ms to create at
    import (it compiles its ``__new__``), and nothing compares or unpacks these."""

    __slots__ = ("id", "rule", "start", "end")

    def __init__(self, id: str, rule: Rule, start: date, end: date):
        self.id, self.rule, self.start, self.end = id, rule, start, end


def _windows(profile: Profile, reference: date, offset: int, declared) -> list[_Window]:
    """Every requirement of the period with its window, in profile order, per-year ones in date order.

    Issue 11, "Windows": ``per = "year"`` gives one window per 12-month year
    ending on the anniversaries of the period's end (id ``RULE@END``);
    ``lookback_months = N`` gives the N months ending on the period's end
    (start = end minus N months, plus one day, computed from the reference
    like every other boundary); otherwise the period itself.
    """
    period_start = add_months(reference, offset - profile.months) + _ONE_DAY
    period_end = add_months(reference, offset)
    windows: list[_Window] = []
    for rule in profile.rules:
        if not rule.is_requirement or (declared is not None and not rule.applies(declared)):
            continue
        if rule.per == "year":
            for years_before in range(profile.months // 12 - 1, -1, -1):
                end = add_months(reference, offset - 12 * years_before)
                start = add_months(reference, offset - 12 * (years_before + 1)) + _ONE_DAY
                windows.append(_Window(f"{rule.id}@{end.isoformat()}", rule, start, end))
        elif rule.lookback_months:
            start = add_months(reference, offset - rule.lookback_months) + _ONE_DAY
            windows.append(_Window(rule.id, rule, start, period_end))
        else:
            windows.append(_Window(rule.id, rule, period_start, period_end))
    return windows


def evaluation_span(profile: Profile, as_of: date, period_end: date | None = None,
                    declared=None) -> tuple[date, date]:
    """The dates of every record the evaluation can count: the earliest window start through ``as_of``.

    Storage loads only these records. The end is ``as_of`` because records
    dated after the evaluation date never count (issue 11, "Windows"), and
    every window ends on or before the period's end, which is on or after
    ``as_of``. ``declared=None`` covers every rule whether declared or not.
    """
    as_of = _plain_date(as_of, "the evaluation date")
    reference = _reference(profile, period_end)
    offset = _period_offset(reference, profile.months, as_of)
    starts = [window.start for window in _windows(profile, reference, offset, declared)]
    starts.append(add_months(reference, offset - profile.months) + _ONE_DAY)
    return min(starts), as_of


# ---------------------------------------------------------------- counting


class _Signatures(dict):
    """(field, method, tags) -> bit mask of the groups that contain it, computed on first sight."""

    def __init__(self, groups: list[tuple[int, Group]]):
        super().__init__()
        self.groups = groups

    def __missing__(self, key):
        field_of_study, method, tags = key
        mask = 0
        for bit, group in self.groups:
            if group.contains(field_of_study, method, tags):
                mask |= bit
        self[key] = mask
        return mask


class _Cap:
    """A cap as a count applies it: its id, the bit of its group and its room."""

    __slots__ = ("id", "bit", "room")

    def __init__(self, id: str, bit: int, room: Decimal):
        self.id, self.bit, self.room = id, bit, room


class _Ledger:
    """The entries of the evaluation span as parallel lists: dates (for bisect), credits, group masks."""

    def __init__(self, entries, start: date, end: date, bits: dict[str, int], profile: Profile):
        rows = entries if isinstance(entries, (list, tuple)) else list(entries)
        dates = list(map(itemgetter(1), rows))
        if not all(map(le, dates, islice(dates, 1, None))):
            # The contract is (date, id) order; sort rather than give wrong windows.
            rows = sorted(rows, key=itemgetter(1, 0))
            dates = list(map(itemgetter(1), rows))
        low, high = bisect_left(dates, start), bisect_right(dates, end)
        rows = rows[low:high]
        self.dates = dates[low:high]
        self.credits = list(map(itemgetter(2), rows))
        if not bits:  # no rule reads a group (AICPA): every record is in every window's count
            self.masks = [0] * len(rows)
            return
        signatures = _Signatures([(bit, profile.group(name)) for name, bit in bits.items()])
        keys = zip(map(itemgetter(3), rows), map(itemgetter(4), rows), map(itemgetter(5), rows))
        try:
            self.masks = list(map(signatures.__getitem__, keys))
        except TypeError:  # unhashable tags (a list or set): use frozensets as keys
            keys = zip(map(itemgetter(3), rows), map(itemgetter(4), rows),
                       (frozenset(row[5] or ()) for row in rows))
            self.masks = list(map(signatures.__getitem__, keys))

    def count(self, start: date, end: date, bit: int, caps: list[_Cap]):
        """(earned, counted, cut_by) for the records dated ``start``..``end`` in group ``bit`` (0: all).

        Issue 11, "Caps". When no record falls under two of the caps, the
        greedy order cannot matter (each cap's room is used only by its own
        records), so each cap simply cuts what its records exceed its room by,
        summed at C speed. Otherwise records are walked in (date, id) order.
        """
        i0, i1 = bisect_left(self.dates, start), bisect_right(self.dates, end)
        credits, masks = self.credits[i0:i1], self.masks[i0:i1]
        if bit:
            earned = sum(compress(credits, map(and_, masks, repeat(bit))), ZERO)
        else:
            earned = sum(credits, ZERO)
        if not caps:
            return earned, earned, ()
        under: dict[int, tuple[int, ...] | None] = {}
        for mask in set(masks):
            if bit and not mask & bit:
                under[mask] = None
            else:
                under[mask] = tuple(index for index, cap in enumerate(caps) if mask & cap.bit)
        if all(found is None or len(found) < 2 for found in under.values()):
            counted, cut_by = earned, []
            for index, cap in enumerate(caps):
                selected = {mask: found is not None and index in found for mask, found in under.items()}
                capped = sum(compress(credits, map(selected.__getitem__, masks)), ZERO)
                if capped > cap.room:
                    counted -= capped - cap.room
                    cut_by.append((cap.id, capped - cap.room))
            return earned, counted, tuple(cut_by)
        rooms = [cap.room for cap in caps]
        cut = [ZERO] * len(caps)
        counted = ZERO
        for amount, mask in zip(credits, masks):
            found = under[mask]
            if found is None:
                continue
            for index in found:
                if amount > rooms[index]:
                    cut[index] += amount - rooms[index]
                    amount = rooms[index]
            if amount:
                for index in found:
                    rooms[index] -= amount
                counted += amount
        return earned, counted, tuple((cap.id, hours) for cap, hours in zip(caps, cut) if hours)


def _active_caps(profile: Profile, declared) -> dict[tuple[str, str | None], list[Rule]]:
    """(rule id, option id or None) -> the caps limiting it, in profile order."""
    limits: dict[tuple[str, str | None], list[Rule]] = {}
    for rule in profile.rules:
        if rule.kind == "max" and rule.applies(declared):
            for target in profile.cap_targets(rule):
                limits.setdefault(target, []).append(rule)
    return limits


def cap_room(cap: Rule, hours: Decimal) -> Decimal:
    """A cap's room: its hours, or its percent of the hours of the rule being evaluated (issue 11, "Caps")."""
    return cap.hours if cap.hours is not None else cap.percent * hours / _HUNDRED


def _caps_note(rule_note: str, caps: list[Rule]) -> tuple[bool, str]:
    """A requirement is approximate when its rule or a cap applying to it is; the notes say why."""
    notes = [rule_note] if rule_note else []
    notes.extend(f"{cap.id}: {cap.note}" if cap.note else f"{cap.id} is approximate" for cap in caps if not cap.exact)
    return all(cap.exact for cap in caps), " ".join(notes)


def _plan(profile: Profile, as_of, period_end, declared) -> tuple:
    """(as_of, declared, period start, period end, windows, caps by target): what an evaluation works from."""
    as_of = _plain_date(as_of, "the evaluation date")
    declared = frozenset(declared)
    reference = _reference(profile, period_end)
    offset = _period_offset(reference, profile.months, as_of)
    start = add_months(reference, offset - profile.months) + _ONE_DAY
    end = add_months(reference, offset)
    return as_of, declared, start, end, _windows(profile, reference, offset, declared), _active_caps(profile, declared)


class Count:
    """One sum ``evaluate`` takes over the records: those dated ``start`` to ``end`` (the window, cut at the
    evaluation date) in ``group`` (a ``Group``; None: every record), limited by ``caps`` (the capped groups,
    in the order the caps apply: profile order) with ``rooms`` (hours, one per cap)."""

    __slots__ = ("start", "end", "group", "caps", "rooms")

    def __init__(self, start: date, end: date, group: Group | None, caps: tuple, rooms: tuple):
        self.start, self.end, self.group, self.caps, self.rooms = start, end, group, caps, rooms


def counts(profile: Profile, as_of: date, period_end: date | None = None, declared=frozenset()) -> list[Count]:
    """Every count ``evaluate`` makes for the period containing ``as_of``: each min rule's window and each
    any_of option's, with the caps limiting it; windows starting after ``as_of`` count nothing and are left
    out. Storage reads what these need and no more (``ops.compliance.entries_for``)."""
    as_of, declared, _, _, windows, limits = _plan(profile, as_of, period_end, declared)
    planned: list[Count] = []
    for window in windows:
        stop = min(window.end, as_of)
        if stop < window.start:
            continue
        rule = window.rule
        targets = [(rule.hours, rule.in_group, (rule.id, None))] if rule.kind == "min" else \
            [(option.hours, option.in_group, (rule.id, option.id)) for option in rule.options]
        for hours, group, target in targets:
            caps = limits.get(target, [])
            planned.append(Count(window.start, stop, profile.group(group) if group else None,
                                 tuple(profile.group(cap.in_group) for cap in caps),
                                 tuple(cap_room(cap, hours) for cap in caps)))
    return planned


def evaluate(profile: Profile, entries, *, as_of: date, period_end: date | None = None,
             declared=frozenset()) -> ProfileStatus:
    """Evaluate ``profile`` on ``entries`` for the period containing ``as_of``.

    ``entries``: ``Entry`` rows (or 6-tuples in its order) sorted by (date,
    id); rows outside ``evaluation_span`` are ignored, so passing the whole
    ledger is correct, only slower. ``declared``: the words given with
    ``--declare``; a rule whose ``applies_if`` names none of them is left out.
    """
    as_of, declared, start, end, windows, limits = _plan(profile, as_of, period_end, declared)
    used = []
    for window in windows:
        used.append(window.rule.in_group)
        used.extend(option.in_group for option in window.rule.options)
    for caps in limits.values():
        used.extend(cap.in_group for cap in caps)
    bits = {name: 1 << position for position, name in enumerate(dict.fromkeys(g for g in used if g))}
    span_start = min([start, *(window.start for window in windows)])
    ledger = _Ledger(entries, span_start, as_of, bits, profile)

    def measure(window: _Window, hours: Decimal, group: str | None, target) -> tuple:
        caps = limits.get(target, [])
        cap_values = [_Cap(cap.id, bits[cap.in_group], cap_room(cap, hours)) for cap in caps]
        earned, counted, cut_by = ledger.count(window.start, min(window.end, as_of),
                                               bits[group] if group else 0, cap_values)
        return earned, counted, cut_by, caps

    requirements: list[RequirementStatus] = []
    for window in windows:
        rule = window.rule
        if rule.kind == "min":
            earned, counted, cut_by, caps = measure(window, rule.hours, rule.in_group, (rule.id, None))
            required, option = rule.hours, None
        else:  # any_of: the option with the smallest shortfall, the first listed on a tie
            best = None
            for choice in rule.options:
                measured = measure(window, choice.hours, choice.in_group, (rule.id, choice.id))
                shortfall = max(choice.hours - measured[1], ZERO)
                if best is None or shortfall < best[0]:
                    best = (shortfall, choice, measured)
            _, chosen, (earned, counted, cut_by, caps) = best
            required, option = chosen.hours, chosen.id
        exact, note = _caps_note(rule.note, caps)
        requirements.append(RequirementStatus(
            id=window.id, name=_rule_name(rule), window_start=window.start, window_end=window.end,
            required=required, earned=earned, counted=counted, met=counted >= required,
            exact=rule.exact and exact, note=note, cut_by=cut_by, option=option, closed=window.end < as_of))

    hours_needed = max((r.shortfall for r in requirements if not r.closed), default=ZERO)
    notes = (*profile.notes, *(rule.text for rule in profile.rules
                               if rule.kind == "manual" and rule.applies(declared)))
    return ProfileStatus(id=profile.id, name=profile.name, period_start=start, period_end=end,
                         days_left=(end - as_of).days, met=all(r.met for r in requirements),
                         hours_needed=hours_needed, requirements=tuple(requirements), notes=notes)


# ---------------------------------------------------------------- the rules in words


def hours_text(value: Decimal) -> str:
    """Hours for prose: "80", "12.5" (no exponent, no trailing zeros)."""
    return format(value.normalize(), "f")


def _rule_name(rule: Rule) -> str:
    if rule.name:
        return rule.name
    if rule.kind == "manual":
        return rule.id
    return rule.id.replace("-", " ").capitalize()


def describe_group(group: Group) -> str:
    """A group in words: "Regulatory Ethics or Behavioral Ethics", "tagged fl-ethics", "the technical fields"."""
    parts: list[str] = []
    shorthand = {"@technical": "the technical fields", "@non-technical": "the non-technical fields"}
    covered = set()
    for field_set in group.field_sets:
        parts.append(shorthand[field_set])
        covered.update(FIELD_SETS[field_set])
    rest = [name for name in group.fields if name not in covered]
    if rest:
        parts.append(", ".join(rest))
    if group.methods:
        parts.append("delivered as " + ", ".join(group.methods))
    if group.tags:
        parts.append("tagged " + ", ".join(group.tags))
    return " or ".join(parts)


def describe_period(profile: Profile) -> str:
    if profile.anchor is None:
        return (f"{profile.months}-month periods ending on the date given with --period-end "
                "(and every period before and after it)")
    return f"{profile.months}-month periods, one ending on {profile.anchor.isoformat()}, the others every " \
           f"{profile.months} months before and after it"


def _window_words(profile: Profile, rule: Rule) -> str:
    if rule.per == "year":
        return "in each year of the period (the 12 months ending on each anniversary of the period's end)"
    if rule.lookback_months:
        return f"within the {rule.lookback_months} months ending on the period's end"
    return f"in each {profile.months}-month period"


def _minimum_words(profile: Profile, hours: Decimal, group: str | None) -> str:
    where = f" in {group} ({describe_group(profile.group(group))})" if group else ""
    return f"at least {hours_text(hours)} hours{where}"


def explain(profile: Profile, declared=frozenset(), *, as_of: date | None = None,
            period_end: date | None = None) -> list[dict]:
    """Each rule in words and as plain data, for ``cpe profile show``.

    One dict per rule, in profile order: ``id``, ``kind``, ``name``,
    ``applies`` (false when its ``applies_if`` words were not declared),
    ``applies_if``, ``text`` (the rule in a sentence), ``window`` (in words, None
    for caps and manual rules), ``caps`` (for requirements: the caps limiting
    them), ``limits`` (for caps: "rule" or "rule:option" it limits), ``tags``
    (read by this rule), ``exact``, ``note``, ``cite``. With ``as_of`` (and
    ``period_end`` when the profile needs one) each requirement also gets
    ``windows``: [{"id", "start", "end"}] for the period containing ``as_of``.
    """
    declared = frozenset(declared)
    limits: dict[str, list[str]] = {}
    for rule in profile.rules:
        if rule.kind == "max":
            for target, _option in profile.cap_targets(rule):
                limits.setdefault(target, [])
                if rule.id not in limits[target]:
                    limits[target].append(rule.id)
    concrete: dict[str, list[dict]] = {}
    if as_of is not None and (period_end is not None or profile.anchor is not None):
        reference = _reference(profile, period_end)
        offset = _period_offset(reference, profile.months, _plain_date(as_of, "the evaluation date"))
        for window in _windows(profile, reference, offset, None):
            concrete.setdefault(window.rule.id, []).append(
                {"id": window.id, "start": window.start.isoformat(), "end": window.end.isoformat()})

    described: list[dict] = []
    for rule in profile.rules:
        groups = [rule.in_group, *(option.in_group for option in rule.options)]
        tags = sorted({tag for name in groups if name for tag in profile.group(name).tags})
        item = {"id": rule.id, "kind": rule.kind, "name": _rule_name(rule), "applies": rule.applies(declared),
                "applies_if": list(rule.applies_if), "window": None, "caps": [], "limits": [], "tags": tags,
                "exact": rule.exact, "note": rule.note, "cite": rule.cite}
        if rule.kind == "min":
            item["window"] = _window_words(profile, rule)
            item["caps"] = limits.get(rule.id, [])
            text = f"{_minimum_words(profile, rule.hours, rule.in_group)} {item['window']}"
        elif rule.kind == "any_of":
            item["window"] = _window_words(profile, rule)
            item["caps"] = limits.get(rule.id, [])
            choices = "; or ".join(_minimum_words(profile, option.hours, option.in_group)
                                   for option in rule.options)
            text = f"any one of: {choices}; {item['window']}"
        elif rule.kind == "max":
            item["limits"] = [target if option is None else f"{target}:{option}"
                              for target, option in profile.cap_targets(rule)]
            room = (f"{hours_text(rule.hours)} hours" if rule.hours is not None
                    else f"{hours_text(rule.percent)}% of the hours each limited rule requires")
            limited = ", ".join(item["limits"]) or "no rule"
            text = (f"hours in {rule.in_group} ({describe_group(profile.group(rule.in_group))}) count for at most "
                    f"{room}, towards {limited}; hours beyond it do not count")
        else:
            item["exact"] = None
            text = rule.text
        if rule.applies_if:
            words = " or ".join(rule.applies_if)
            text += f" (only when you declare {words}: --declare {rule.applies_if[0]})"
        item["text"] = text[0].upper() + text[1:]
        if rule.id in concrete:
            item["windows"] = concrete[rule.id]
        described.append(item)
    return described


__all__ = ["Entry", "RequirementStatus", "ProfileStatus", "Count", "add_months", "period_for", "evaluation_span",
           "counts", "evaluate", "explain", "describe_group", "describe_period", "hours_text"]
