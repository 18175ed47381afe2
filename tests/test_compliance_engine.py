"""The compliance engine on hand-worked ledgers (core only: no CLI, no storage).

Every figure below was worked out by hand from issue 11's "Semantics"; the
comments show the arithmetic, so a failing assertion says which rule broke.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cpe_cli.core.compliance import (Entry, add_months, evaluate, evaluation_span, explain, period_for)
from cpe_cli.core.errors import CpeError
from cpe_cli.core.profiles import parse_profile

D = Decimal


def day(text: str) -> date:
    return date.fromisoformat(text)


def entry(id_, on, credits, field="Taxes", method="Group Live", tags=()):
    return Entry(id_, day(on), D(str(credits)), field, method, frozenset(tags))


def profile(body: str, *, months=24, anchor="2026-06-30", groups=""):
    head = f'schema = 1\nid = "t"\nname = "Test"\n[period]\nmonths = {months}\n'
    if anchor:
        head += f"anchor = {anchor}\n"
    return parse_profile(head + "[groups]\n" + groups + "\n" + body, "test.toml")


def status(prof, entries, as_of, **kwargs):
    return evaluate(prof, sorted(entries, key=lambda e: (e.completed_on, e.id)), as_of=day(as_of), **kwargs)


def req(result, rule_id):
    found = [r for r in result.requirements if r.id == rule_id]
    assert found, f"no requirement {rule_id}; have {[r.id for r in result.requirements]}"
    return found[0]


NON_TECH = 'non-technical = { fields = ["@non-technical"] }\nnano = { methods = ["Nano Learning"] }\n' \
           'taxes = { fields = ["Taxes"] }\nethics = { fields = ["Regulatory Ethics", "Behavioral Ethics"], ' \
           'tags = ["firm-ethics"] }\n'


# ---------------------------------------------------------------- month arithmetic


@pytest.mark.parametrize("start, months, expected", [
    ("2026-02-28", 24, "2028-02-29"),   # last day of February -> last day, a leap day
    ("2028-02-29", -24, "2026-02-28"),
    ("2026-01-30", 1, "2026-02-28"),    # clamped
    ("2026-01-30", 2, "2026-03-30"),    # from the anchor, not chained through 02-28
    ("2026-04-30", 1, "2026-05-31"),    # 30 April is a last day: 31 May, not 30 May
    ("2026-01-31", -1, "2025-12-31"),
    ("2026-06-15", -36, "2023-06-15"),
    ("2026-12-31", 12, "2027-12-31"),
])
def test_add_months(start, months, expected):
    assert add_months(day(start), months) == day(expected)


def test_period_ends_are_computed_from_the_anchor_not_chained():
    # Anchor 2026-01-30, monthly: ends 2026-02-28 (clamped) then 2026-03-30, not 2026-03-28.
    prof = profile('[[rule]]\nid = "m"\nkind = "min"\nhours = 1\n', months=1, anchor="2026-01-30")
    assert period_for(prof, day("2026-03-15")) == (day("2026-03-01"), day("2026-03-30"))
    assert period_for(prof, day("2026-02-28")) == (day("2026-01-31"), day("2026-02-28"))


def test_month_end_anchor_gives_month_ends():
    prof = profile('[[rule]]\nid = "m"\nkind = "min"\nhours = 1\n', months=24, anchor="2026-02-28")
    assert period_for(prof, day("2027-06-01")) == (day("2026-03-01"), day("2028-02-29"))
    assert period_for(prof, day("2026-02-28")) == (day("2024-03-01"), day("2026-02-28"))
    assert period_for(prof, day("2026-03-01")) == (day("2026-03-01"), day("2028-02-29"))


def test_lookback_start_uses_month_ends():
    # lookback_months = 1 before 2026-02-28 starts on 2026-02-01 (2026-01-31 plus one day), not 2026-01-29.
    prof = profile('[[rule]]\nid = "r"\nkind = "min"\nhours = 1\nlookback_months = 1\n',
                   months=12, anchor="2026-02-28")
    result = status(prof, [entry(1, "2026-01-31", 5), entry(2, "2026-02-01", 2)], "2026-02-10")
    r = req(result, "r")
    assert (r.window_start, r.window_end) == (day("2026-02-01"), day("2026-02-28"))
    assert r.earned == D(2)


def test_days_left_is_zero_on_the_last_day_and_the_next_period_starts_the_day_after():
    prof = profile('[[rule]]\nid = "total"\nkind = "min"\nhours = 1\n')
    last = status(prof, [], "2026-06-30")
    assert (last.period_start, last.period_end, last.days_left) == (day("2024-07-01"), day("2026-06-30"), 0)
    following = status(prof, [], "2026-07-01")
    assert (following.period_start, following.period_end, following.days_left) == \
        (day("2026-07-01"), day("2028-06-30"), 730)


def test_no_anchor_needs_period_end_and_says_so():
    prof = profile('[[rule]]\nid = "total"\nkind = "min"\nhours = 1\n', months=36, anchor=None)
    for call in (lambda: period_for(prof, day("2026-06-11")),
                 lambda: evaluate(prof, [], as_of=day("2026-06-11")),
                 lambda: evaluation_span(prof, day("2026-06-11"))):
        with pytest.raises(CpeError) as raised:
            call()
        assert raised.value.exit_code == 2 and "--period-end" in raised.value.message
    assert period_for(prof, day("2026-06-11"), day("2027-12-31")) == (day("2025-01-01"), day("2027-12-31"))
    # A period end in the past rolls forward by whole periods.
    assert period_for(prof, day("2026-06-11"), day("2024-12-31")) == (day("2025-01-01"), day("2027-12-31"))


def test_period_end_overrides_the_anchor():
    prof = profile('[[rule]]\nid = "total"\nkind = "min"\nhours = 1\n')
    assert period_for(prof, day("2026-06-11"), day("2027-03-31")) == (day("2025-04-01"), day("2027-03-31"))


# ---------------------------------------------------------------- windows and boundaries

YEARLY = '''
[[rule]]
id = "total"
kind = "min"
hours = 10

[[rule]]
id = "yearly"
kind = "min"
hours = 5
per = "year"
'''


def test_first_and_last_day_of_a_period_and_of_a_year():
    ledger = [entry(1, "2024-06-30", 100),  # last day of the previous period: never counts
              entry(2, "2024-07-01", 1),    # first day of the period and of its first year
              entry(3, "2025-06-30", 2),    # last day of the first year
              entry(4, "2025-07-01", 4),    # first day of the second year
              entry(5, "2026-06-30", 8),    # last day of the period and of the second year
              entry(6, "2026-07-01", 100)]  # next period (and after the evaluation date)
    result = status(profile(YEARLY), ledger, "2026-06-30")
    assert [r.id for r in result.requirements] == ["total", "yearly@2025-06-30", "yearly@2026-06-30"]
    assert req(result, "total").earned == D(15)                       # 1 + 2 + 4 + 8
    first, second = req(result, "yearly@2025-06-30"), req(result, "yearly@2026-06-30")
    assert (first.window_start, first.window_end, first.earned) == (day("2024-07-01"), day("2025-06-30"), D(3))
    assert (second.window_start, second.window_end, second.earned) == (day("2025-07-01"), day("2026-06-30"), D(12))
    assert not first.met and second.met
    # On the period's last day the first year has closed, short by 5 - 3: missed. It keeps the profile from
    # being met, but no hour earned now can count for it, so it asks for none (total 15 >= 10 is met).
    assert first.closed and first.missed and not second.closed
    assert not result.met and result.hours_needed == D(0)


def test_a_closed_year_asks_for_no_more_hours_but_an_open_one_does():
    ledger = [entry(1, "2024-08-01", 3),   # the first year: short by 2, closed by 2025-12-31
              entry(2, "2025-08-01", 1)]   # the second year, open: short by 4; the total short by 6
    result = status(profile(YEARLY), ledger, "2025-12-31")
    first, second = req(result, "yearly@2025-06-30"), req(result, "yearly@2026-06-30")
    assert first.missed and first.shortfall == D(2) and not second.closed and second.shortfall == D(4)
    assert result.hours_needed == D(6)                                # the total's 10 - 4, not the closed year's
    on_the_last_day_of_the_first_year = status(profile(YEARLY), ledger[:1], "2025-06-30")
    assert not req(on_the_last_day_of_the_first_year, "yearly@2025-06-30").closed   # its last day still counts


def test_records_after_the_evaluation_date_do_not_count():
    ledger = [entry(1, "2025-01-01", 3), entry(2, "2025-12-31", 4), entry(3, "2026-01-01", 50)]
    result = status(profile(YEARLY), ledger, "2025-12-31")
    assert req(result, "total").earned == D(7)
    assert req(result, "yearly@2025-06-30").earned == D(3)
    assert req(result, "yearly@2026-06-30").earned == D(4)    # the 50 hours of 2026-01-01 are after as-of
    assert result.days_left == 181


def test_rolling_window():
    prof = profile('[[rule]]\nid = "three-year"\nkind = "min"\nhours = 120\nlookback_months = 36\n',
                   months=12, anchor="2026-08-31")
    ledger = [entry(1, "2023-08-31", 60), entry(2, "2023-09-01", 50), entry(3, "2026-08-31", 70)]
    r = req(status(prof, ledger, "2026-08-31"), "three-year")
    assert (r.window_start, r.window_end) == (day("2023-09-01"), day("2026-08-31"))
    assert (r.earned, r.counted, r.met) == (D(120), D(120), True)
    # One year later the window has rolled past the 50 hours of 2023-09-01.
    later = req(status(prof, ledger, "2027-08-31"), "three-year")
    assert (later.window_start, later.earned, later.met) == (day("2024-09-01"), D(70), False)


def test_evaluation_span_covers_every_window_and_stops_at_the_evaluation_date():
    prof = profile(YEARLY + '\n[[rule]]\nid = "back"\nkind = "min"\nhours = 1\nlookback_months = 72\n')
    assert evaluation_span(prof, day("2026-01-15")) == (day("2020-07-01"), day("2026-01-15"))
    assert evaluation_span(profile(YEARLY), day("2026-01-15")) == (day("2024-07-01"), day("2026-01-15"))


# ---------------------------------------------------------------- groups and caps

def test_group_membership_is_field_or_method_or_tag():
    prof = profile('[[rule]]\nid = "e"\nkind = "min"\nin = "ethics"\nhours = 4\n'
                   '[[rule]]\nid = "n"\nkind = "min"\nin = "nano"\nhours = 1\n', groups=NON_TECH)
    ledger = [entry(1, "2025-01-01", 1, field="Behavioral Ethics"),
              entry(2, "2025-01-02", 2, field="Taxes", tags=["firm-ethics"]),
              entry(3, "2025-01-03", 4, field="Taxes", tags=["other"]),
              entry(4, "2025-01-04", D("0.2"), field="Taxes", method="Nano Learning")]
    result = status(prof, ledger, "2026-01-01")
    assert req(result, "e").earned == D(3)
    assert req(result, "n").earned == D("0.2")


CAPPED = '''
[[rule]]
id = "total"
kind = "min"
hours = 10

[[rule]]
id = "ethics"
kind = "min"
in = "ethics"
hours = 4

[[rule]]
id = "non-technical-cap"
kind = "max"
in = "non-technical"
percent = 50
'''


def test_a_cap_cuts_in_greedily_in_date_order():
    # Room = 50% of total's 10 hours = 5. PD 4 counts 4; PD 3 counts the remaining 1; Taxes 6 is uncapped.
    ledger = [entry(1, "2025-01-01", 4, field="Personal Development"),
              entry(2, "2025-02-01", 3, field="Personal Development"),
              entry(3, "2025-03-01", 6)]
    result = status(profile(CAPPED, groups=NON_TECH), ledger, "2026-06-30")
    total = req(result, "total")
    assert (total.earned, total.counted, total.met) == (D(13), D(11), True)
    assert total.cut_by == (("non-technical-cap", D(2)),)


def test_default_cap_does_not_apply_to_rules_with_in():
    ledger = [entry(1, "2025-01-01", 9, field="Behavioral Ethics")]  # non-technical AND ethics
    result = status(profile(CAPPED, groups=NON_TECH), ledger, "2026-06-30")
    assert (req(result, "total").earned, req(result, "total").counted) == (D(9), D(5))
    assert (req(result, "ethics").earned, req(result, "ethics").counted) == (D(9), D(9))
    assert req(result, "ethics").cut_by == ()


def test_cap_in_hours_and_applies_to():
    body = CAPPED.replace("percent = 50", "hours = 2\napplies_to = [\"ethics\"]")
    ledger = [entry(1, "2025-01-01", 9, field="Behavioral Ethics")]
    result = status(profile(body, groups=NON_TECH), ledger, "2026-06-30")
    assert req(result, "total").counted == D(9)                   # not limited any more
    assert (req(result, "ethics").counted, req(result, "ethics").met) == (D(2), False)


def test_overlapping_caps_follow_date_then_id_order():
    # Caps: non-technical 5, nano 5. In (date, id) order:
    # r1 PD nano 4 (both caps: counts 4, rooms 1/1); r2 PD 3 (non-tech: counts 1, cut 2);
    # r3 Taxes nano 3 (nano: counts 1, cut 2). Counted 6 of 10.
    body = ('[[rule]]\nid = "total"\nkind = "min"\nhours = 20\n'
            '[[rule]]\nid = "nt"\nkind = "max"\nin = "non-technical"\nhours = 5\n'
            '[[rule]]\nid = "nano-cap"\nkind = "max"\nin = "nano"\nhours = 5\n')
    ledger = [entry(7, "2025-01-01", 4, field="Personal Development", method="Nano Learning"),
              entry(2, "2025-01-02", 3, field="Personal Development"),
              entry(3, "2025-01-02", 3, field="Taxes", method="Nano Learning")]
    prof = profile(body, groups=NON_TECH)
    total = req(status(prof, ledger, "2026-06-30"), "total")
    assert (total.earned, total.counted) == (D(10), D(6))
    assert total.cut_by == (("nt", D(2)), ("nano-cap", D(2)))
    # Unsorted input is put in (date, id) order first: the same answer.
    assert req(evaluate(prof, list(reversed(ledger)), as_of=day("2026-06-30")), "total") == total
    # On the same day the id decides: with the both-caps record last, r2 and r3 fill the rooms first
    # (3 + 3), leaving 2 in each, so it counts 2: 8 in all.
    moved = [ledger[1], ledger[2], entry(9, "2025-01-02", 4, field="Personal Development", method="Nano Learning")]
    assert req(status(prof, moved, "2026-06-30"), "total").counted == D(8)


def test_a_record_under_two_caps_can_lower_counted():
    # Greedy, as the issue specifies: r1 (both caps) uses the room of r2 (nano) and r3 (non-technical).
    body = ('[[rule]]\nid = "total"\nkind = "min"\nhours = 20\n'
            '[[rule]]\nid = "nt"\nkind = "max"\nin = "non-technical"\nhours = 5\n'
            '[[rule]]\nid = "nano-cap"\nkind = "max"\nin = "nano"\nhours = 5\n')
    prof = profile(body, groups=NON_TECH)
    later = [entry(2, "2025-02-01", 5, field="Taxes", method="Nano Learning"),
             entry(3, "2025-03-01", 5, field="Personal Development")]
    assert req(status(prof, later, "2026-06-30"), "total").counted == D(10)
    both = [entry(1, "2025-01-01", 5, field="Personal Development", method="Nano Learning"), *later]
    assert req(status(prof, both, "2026-06-30"), "total").counted == D(5)


def test_cap_percent_is_of_each_limited_rule_and_reaches_any_of_options():
    body = '''
[[rule]]
id = "total"
kind = "min"
hours = 10

[[rule]]
id = "choice"
kind = "any_of"
options = [{ hours = 20 }, { hours = 8, in = "taxes" }]

[[rule]]
id = "non-technical-cap"
kind = "max"
in = "non-technical"
percent = 25
'''
    ledger = [entry(1, "2025-01-01", 12, field="Production"), entry(2, "2025-01-02", 3)]
    result = status(profile(body, groups=NON_TECH), ledger, "2026-06-30")
    # total: room 25% of 10 = 2.5, so 2.5 + 3. choice/all: room 25% of 20 = 5, so 5 + 3 = 8 (short 12);
    # choice/taxes: 3 (short 5, not capped: it has `in`) -> reported.
    assert (req(result, "total").counted, req(result, "total").cut_by) == (D("5.5"), (("non-technical-cap",
                                                                                          D("9.5")),))
    choice = req(result, "choice")
    assert (choice.option, choice.required, choice.earned, choice.counted) == ("taxes", D(8), D(3), D(3))


def test_cap_applying_to_an_any_of_rule_limits_every_option():
    body = '''
[[rule]]
id = "choice"
kind = "any_of"
options = [{ hours = 20 }, { hours = 8, in = "non-technical" }]

[[rule]]
id = "cap"
kind = "max"
in = "non-technical"
hours = 6
applies_to = ["choice"]
'''
    ledger = [entry(1, "2025-01-01", 12, field="Production")]
    choice = req(status(profile(body, groups=NON_TECH), ledger, "2026-06-30"), "choice")
    # all: 6 of 12 (short 14); non-technical: 6 of 12 (short 2) -> reported, not met.
    assert (choice.option, choice.earned, choice.counted, choice.met) == ("non-technical", D(12), D(6), False)
    assert choice.cut_by == (("cap", D(6)),)


# ---------------------------------------------------------------- any_of

ANY_OF = '''
[[rule]]
id = "annual"
kind = "any_of"
options = [{ id = "total", hours = 40 }, { hours = 24, in = "taxes" }, { id = "ethics", hours = 24, in = "ethics" }]
'''


@pytest.mark.parametrize("taxes, other, option, met, counted", [
    (30, 5, "taxes", True, 30),     # total short 5, taxes met -> taxes
    (20, 15, "taxes", False, 20),   # total short 5, taxes short 4 -> taxes (smallest shortfall)
    (10, 28, "total", False, 38),   # total short 2, taxes short 14 -> total
    (0, 0, "taxes", False, 0),      # short 40, 24, 24: the first of the tied options
    (24, 16, "total", True, 40),    # both met (shortfall 0): the first listed
])
def test_any_of_reports_the_smallest_shortfall_first_on_ties(taxes, other, option, met, counted):
    ledger = [entry(1, "2025-03-01", taxes), entry(2, "2025-03-02", other, field="Economics")]
    ledger = [e for e in ledger if e.credits]
    annual = req(status(profile(ANY_OF, months=12, anchor="2025-12-31", groups=NON_TECH), ledger, "2025-12-31"),
                 "annual")
    assert (annual.option, annual.met, annual.counted) == (option, met, D(counted))


def test_any_of_per_year():
    body = ANY_OF.replace('kind = "any_of"', 'kind = "any_of"\nper = "year"')
    ledger = [entry(1, "2024-03-01", 24), entry(2, "2025-03-01", 40, field="Economics")]
    result = status(profile(body, groups=NON_TECH, anchor="2025-12-31"), ledger, "2025-06-01")
    assert [(r.id, r.option, r.met) for r in result.requirements] == [
        ("annual@2024-12-31", "taxes", True), ("annual@2025-12-31", "total", True)]
    assert result.met and result.hours_needed == 0


# ---------------------------------------------------------------- verdict, exactness, applies_if, notes


def test_verdict_and_hours_needed_is_the_largest_shortfall():
    prof = profile('[[rule]]\nid = "a"\nkind = "min"\nhours = 10\n'
                   '[[rule]]\nid = "b"\nkind = "min"\nin = "taxes"\nhours = 8\n', groups=NON_TECH)
    result = status(prof, [entry(1, "2025-01-01", D("3.5")), entry(2, "2025-01-02", 3, field="Economics")],
                    "2026-01-01")
    assert (req(result, "a").counted, req(result, "b").counted) == (D("6.5"), D("3.5"))
    assert not result.met and result.hours_needed == D("4.5")   # max(10 - 6.5, 8 - 3.5)
    more = status(prof, [entry(1, "2025-01-01", 10)], "2026-01-01")
    assert more.met and more.hours_needed == 0


def test_exact_decimals():
    prof = profile('[[rule]]\nid = "a"\nkind = "min"\nhours = 1\n')
    result = status(prof, [entry(n, "2025-01-01", D("0.1")) for n in range(10)], "2026-01-01")
    assert req(result, "a").counted == D("1") and req(result, "a").met


def test_approximate_rules_and_caps_are_marked_with_their_note():
    body = CAPPED.replace('in = "ethics"\nhours = 4', 'in = "ethics"\nhours = 4\nexact = false\n'
                                                       'note = "Board approval is not shown."')
    body += 'exact = false\nnote = "The board list differs."\n'
    result = status(profile(body, groups=NON_TECH), [], "2026-01-01")
    ethics, total = req(result, "ethics"), req(result, "total")
    assert not ethics.exact and ethics.note == "Board approval is not shown."
    assert not total.exact and "The board list differs." in total.note    # the cap is approximate
    exact = status(profile(CAPPED, groups=NON_TECH), [], "2026-01-01")
    assert all(r.exact for r in exact.requirements)


CONDITIONAL = '''
[[rule]]
id = "total"
kind = "min"
hours = 10

[[rule]]
id = "aa"
kind = "min"
in = "taxes"
hours = 24
applies_if = "attest"

[[rule]]
id = "fraud"
kind = "min"
in = "ethics"
hours = 4
applies_if = ["attest", "government"]

[[rule]]
id = "reminder"
kind = "manual"
text = "Instructor credit counts for at most half."

[[rule]]
id = "gov-reminder"
kind = "manual"
text = "Government audits need a peer review."
applies_if = "government"
'''


def test_applies_if_with_and_without_the_declaration():
    prof = profile(CONDITIONAL, groups=NON_TECH, anchor="2026-06-30")
    ledger = [entry(1, "2025-01-01", 12)]
    plain = status(prof, ledger, "2026-01-01")
    assert [r.id for r in plain.requirements] == ["total"] and plain.met
    attest = status(prof, ledger, "2026-01-01", declared={"attest"})
    assert [r.id for r in attest.requirements] == ["total", "aa", "fraud"]
    assert not attest.met and attest.hours_needed == D(12)
    government = status(prof, ledger, "2026-01-01", declared={"government"})
    assert [r.id for r in government.requirements] == ["total", "fraud"]
    assert government.notes == ("Instructor credit counts for at most half.", "Government audits need a peer review.")
    assert plain.notes == ("Instructor credit counts for at most half.",)


def test_profile_notes_come_first_among_notes():
    text = 'schema = 1\nid = "t"\nname = "T"\nnotes = ["Proration is not modelled."]\n[period]\nmonths = 12\n' \
           'anchor = 2026-12-31\n[[rule]]\nid = "m"\nkind = "manual"\ntext = "Remember."\n'
    result = evaluate(parse_profile(text, "t.toml"), [], as_of=day("2026-01-01"))
    assert result.notes == ("Proration is not modelled.", "Remember.") and result.requirements == ()
    assert result.met and result.hours_needed == 0


def test_entries_may_be_plain_tuples_with_any_tag_collection():
    prof = profile('[[rule]]\nid = "e"\nkind = "min"\nin = "ethics"\nhours = 4\n', groups=NON_TECH)
    rows = [(1, day("2025-01-01"), D(2), "Taxes", "Group Live", ["firm-ethics"]),
            (2, day("2025-01-02"), D(3), "Taxes", "Group Live", None),
            (3, day("2025-01-03"), D(1), "Regulatory Ethics", "Group Live", ())]
    assert req(evaluate(prof, rows, as_of=day("2026-01-01")), "e").earned == D(3)


def test_names_default_from_the_id():
    prof = profile('[[rule]]\nid = "non-tech-min"\nkind = "min"\nhours = 1\n'
                   '[[rule]]\nid = "b"\nkind = "min"\nhours = 1\nname = "Bee"\n')
    result = status(prof, [], "2026-01-01")
    assert [r.name for r in result.requirements] == ["Non tech min", "Bee"]


# ---------------------------------------------------------------- explain


def test_explain_describes_each_rule_and_whether_it_applies():
    prof = profile(CAPPED + CONDITIONAL.replace('id = "total"\nkind = "min"\nhours = 10', 'id = "t2"\nkind = '
                                                                                         '"min"\nhours = 10'),
                   groups=NON_TECH)
    items = {item["id"]: item for item in explain(prof, {"attest"}, as_of=day("2026-01-01"))}
    assert items["total"]["caps"] == ["non-technical-cap"] and items["total"]["applies"]
    assert items["total"]["windows"] == [{"id": "total", "start": "2024-07-01", "end": "2026-06-30"}]
    assert items["non-technical-cap"]["limits"] == ["total", "t2"]
    assert "50%" in items["non-technical-cap"]["text"]
    assert items["ethics"]["tags"] == ["firm-ethics"]
    assert "tagged firm-ethics" in items["ethics"]["text"] and "at least 4 hours" in items["ethics"]["text"].lower()
    assert items["aa"]["applies"] and not items["gov-reminder"]["applies"]
    assert items["fraud"]["applies_if"] == ["attest", "government"]
    assert "--declare" in items["gov-reminder"]["text"]
    assert items["reminder"]["text"] == "Instructor credit counts for at most half."
    plain = {item["id"]: item for item in explain(prof)}
    assert not plain["aa"]["applies"] and "windows" not in plain["aa"]
