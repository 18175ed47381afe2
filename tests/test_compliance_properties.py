"""Properties of the compliance engine over generated ledgers (hypothesis; core only)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings, strategies as st

from cpe_cli.core.compliance import Entry, add_months, evaluate, period_for
from cpe_cli.core.profiles import parse_profile

D = Decimal
BASE = date(2020, 1, 1)
SETTINGS = settings(max_examples=60, deadline=None)

FIELDS = ["Taxes", "Accounting", "Personal Development", "Behavioral Ethics", "Regulatory Ethics", "Production"]
METHODS = ["Group Live", "QAS Self Study", "Nano Learning"]
TAGS = ["fl-ethics", "fraud"]

# Every feature at once: per-year and look-back windows, overlapping caps (percent and hours, default and
# explicit applies_to), an any_of with a capped option, tags.
RICH = '''schema = 1
id = "rich"
name = "Rich"
[period]
months = 24
anchor = 2026-06-30
[groups]
non-technical = { fields = ["@non-technical"] }
nano = { methods = ["Nano Learning"] }
ethics = { fields = ["Regulatory Ethics", "Behavioral Ethics"], tags = ["fl-ethics"] }
self-study = { methods = ["QAS Self Study"] }
taxes = { fields = ["Taxes"] }
[[rule]]
id = "total"
kind = "min"
hours = 40
[[rule]]
id = "yearly"
kind = "min"
hours = 10
per = "year"
[[rule]]
id = "ethics"
kind = "min"
in = "ethics"
hours = 4
lookback_months = 36
[[rule]]
id = "either"
kind = "any_of"
options = [{ hours = 30 }, { hours = 12, in = "taxes" }]
[[rule]]
id = "nt-cap"
kind = "max"
in = "non-technical"
percent = 50
[[rule]]
id = "nano-cap"
kind = "max"
in = "nano"
hours = 6
applies_to = ["total", "either", "ethics"]
[[rule]]
id = "self-cap"
kind = "max"
in = "self-study"
hours = 8
'''
RICH_PROFILE = parse_profile(RICH, "rich.toml")
UNCAPPED_SIGNATURE = ("Taxes", "Group Live", frozenset())      # in no cap group of RICH


@st.composite
def ledgers(draw, max_size=40):
    rows = draw(st.lists(st.tuples(
        st.integers(min_value=0, max_value=365 * 7),
        st.decimals(min_value=D("0.01"), max_value=D("20"), places=2),
        st.sampled_from(FIELDS), st.sampled_from(METHODS),
        st.frozensets(st.sampled_from(TAGS), max_size=2)), max_size=max_size))
    entries = [Entry(index + 1, BASE + timedelta(days=offset), credits, field, method, tags)
               for index, (offset, credits, field, method, tags) in enumerate(rows)]
    return sorted(entries, key=lambda e: (e.completed_on, e.id))


as_of_dates = st.integers(min_value=0, max_value=365 * 7).map(lambda n: BASE + timedelta(days=n))


@SETTINGS
@given(ledgers(), as_of_dates)
def test_counted_never_exceeds_earned_and_the_cuts_explain_the_gap(entries, as_of):
    result = evaluate(RICH_PROFILE, entries, as_of=as_of)
    assert result.period_start <= as_of <= result.period_end
    for requirement in result.requirements:
        assert D(0) <= requirement.counted <= requirement.earned
        assert sum((hours for _, hours in requirement.cut_by), D(0)) == requirement.earned - requirement.counted
        assert all(hours > 0 for _, hours in requirement.cut_by)
        assert requirement.met == (requirement.counted >= requirement.required)
    # A closed requirement (its window ended before as_of: a past year of the period) asks for no more hours:
    # none earned now can count for it. It still keeps the profile from being met.
    shortfalls = [max(r.required - r.counted, D(0)) for r in result.requirements if not r.closed]
    assert result.hours_needed == max(shortfalls, default=D(0))
    assert result.met == all(r.met for r in result.requirements)


@SETTINGS
@given(ledgers(), as_of_dates, st.integers(min_value=0, max_value=365 * 7),
       st.decimals(min_value=D("0.01"), max_value=D("20"), places=2), st.integers(min_value=0, max_value=1000))
def test_adding_a_record_under_no_cap_never_lowers_counted(entries, as_of, offset, credits, id_shift):
    before = evaluate(RICH_PROFILE, entries, as_of=as_of)
    added = Entry(10_000 + id_shift, BASE + timedelta(days=offset), credits, *UNCAPPED_SIGNATURE)
    after = evaluate(RICH_PROFILE, sorted([*entries, added], key=lambda e: (e.completed_on, e.id)), as_of=as_of)
    assert [r.id for r in after.requirements] == [r.id for r in before.requirements]
    for old, new in zip(before.requirements, after.requirements):
        if old.option == new.option:
            assert new.counted >= old.counted
        # any_of may switch options, but never to a larger shortfall
        assert max(new.required - new.counted, D(0)) <= max(old.required - old.counted, D(0))
    assert after.hours_needed <= before.hours_needed


@SETTINGS
@given(ledgers(max_size=60), as_of_dates, st.integers(min_value=1, max_value=60),
       st.integers(min_value=0, max_value=365 * 3), st.integers(min_value=1, max_value=200))
def test_one_min_rule_agrees_with_a_plain_sum_over_its_window(entries, as_of, months, anchor_offset, hours):
    anchor = BASE + timedelta(days=anchor_offset)
    profile = parse_profile(f'schema = 1\nid = "n"\nname = "N"\n[period]\nmonths = {months}\n'
                            f'anchor = {anchor.isoformat()}\n[[rule]]\nid = "total"\nkind = "min"\n'
                            f'hours = {hours}\n', "n.toml")
    result = evaluate(profile, entries, as_of=as_of)
    start, end = period_for(profile, as_of)
    expected = sum((e.credits for e in entries if start <= e.completed_on <= min(end, as_of)), D(0))
    (total,) = result.requirements
    assert (total.window_start, total.window_end) == (start, end)
    assert total.earned == total.counted == expected
    assert total.met == (expected >= hours)
    assert result.days_left == (end - as_of).days >= 0


@SETTINGS
@given(st.integers(min_value=0, max_value=365 * 30), st.integers(min_value=1, max_value=120),
       st.integers(min_value=0, max_value=365 * 30))
def test_periods_tile_the_calendar(anchor_offset, months, as_of_offset):
    anchor = date(2000, 1, 1) + timedelta(days=anchor_offset)
    as_of = date(2000, 1, 1) + timedelta(days=as_of_offset)
    profile = parse_profile(f'schema = 1\nid = "p"\nname = "P"\n[period]\nmonths = {months}\n'
                            f'anchor = {anchor.isoformat()}\n', "p.toml")
    start, end = period_for(profile, as_of)
    assert start <= as_of <= end
    # The period before ends the day before this one starts, and the next starts the day after it ends.
    assert period_for(profile, start - timedelta(days=1))[1] == start - timedelta(days=1)
    assert period_for(profile, end + timedelta(days=1))[0] == end + timedelta(days=1)
    # Every end is the anchor plus whole periods: a month end when the anchor is one.
    anchor_is_month_end = (anchor + timedelta(days=1)).day == 1
    if anchor_is_month_end:
        assert (end + timedelta(days=1)).day == 1
    else:
        assert end.day == min(anchor.day, calendar.monthrange(end.year, end.month)[1])
    months_between = (end.year - anchor.year) * 12 + end.month - anchor.month
    assert months_between % months == 0 and add_months(anchor, months_between) == end


def _reference_count(profile, entries, start, end, hours, group, caps):
    """Issue 11's cap rule written as plainly as possible: one record at a time, every cap it is under."""
    rooms = {cap.id: (cap.hours if cap.hours is not None else cap.percent * hours / 100) for cap in caps}
    cut = {cap.id: D(0) for cap in caps}
    earned = counted = D(0)
    for e in entries:
        if not start <= e.completed_on <= end:
            continue
        signature = (e.field_of_study, e.delivery_method, e.tags)
        if group and not profile.group(group).contains(*signature):
            continue
        earned += e.credits
        amount = e.credits
        under = [cap for cap in caps if profile.group(cap.in_group).contains(*signature)]
        for cap in under:
            if amount > rooms[cap.id]:
                cut[cap.id] += amount - rooms[cap.id]
                amount = rooms[cap.id]
        for cap in under:
            rooms[cap.id] -= amount
        counted += amount
    return earned, counted, tuple((cap.id, cut[cap.id]) for cap in caps if cut[cap.id])


@SETTINGS
@given(ledgers(max_size=60), as_of_dates)
def test_the_engine_agrees_with_a_record_by_record_reference(entries, as_of):
    profile = RICH_PROFILE
    result = evaluate(profile, entries, as_of=as_of)
    caps = [rule for rule in profile.rules if rule.kind == "max"]
    for requirement in result.requirements:
        rule = profile.rule(requirement.id.split("@")[0])
        choices = [(None, rule.hours, rule.in_group)] if rule.kind == "min" else \
            [(option.id, option.hours, option.in_group) for option in rule.options]
        measured = []
        for option_id, hours, group in choices:
            limiting = [cap for cap in caps if (rule.id, option_id) in profile.cap_targets(cap)]
            earned, counted, cut_by = _reference_count(profile, entries, requirement.window_start,
                                                       min(requirement.window_end, as_of), hours, group, limiting)
            measured.append((max(hours - counted, D(0)), option_id, hours, earned, counted, cut_by))
        best = min(measured, key=lambda m: m[0])        # min() keeps the first of equal shortfalls
        assert (requirement.option, requirement.required, requirement.earned, requirement.counted,
                requirement.cut_by) == best[1:]
