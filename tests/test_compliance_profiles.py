"""Built-in profiles on hand-worked ledgers, user profiles, and malformed profile files (core only)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from cpe_cli.core.compliance import Entry, evaluate, period_for
from cpe_cli.core.errors import CpeError
from cpe_cli.core.profiles import (BUILT_IN, builtin_profiles, check_declared, declarable_words, load_profiles,
                                   parse_profile, profile_as_dict, tags_read)

D = Decimal
PROFILES = builtin_profiles()


def day(text: str) -> date:
    return date.fromisoformat(text)


def entry(id_, on, credits, field="Taxes", method="Group Live", tags=()):
    return Entry(id_, day(on), D(str(credits)), field, method, frozenset(tags))


def run(profile_id, ledger, as_of, **kwargs):
    ledger = sorted(ledger, key=lambda e: (e.completed_on, e.id))
    return evaluate(PROFILES[profile_id], ledger, as_of=day(as_of), **kwargs)


def figures(result):
    """{requirement id: (required, earned, counted, met)} for compact hand-worked comparisons."""
    return {r.id: (r.required, r.earned, r.counted, r.met) for r in result.requirements}


def req(result, rule_id):
    return next(r for r in result.requirements if r.id == rule_id)


# ---------------------------------------------------------------- the built-ins as data

EXPECTED_RULES = {
    "aicpa": ["total"],
    "ca": ["total", "yearly", "yearly-technical", "technical", "non-technical-cap", "ethics", "regulatory-review",
           "aa", "government", "preparation", "fraud"],
    "ny": ["annual", "ethics", "aa"],
    "tx": ["three-year", "yearly", "ethics", "non-technical-cap", "nano-cap", "certification-cap"],
    "fl": ["total", "aa", "behavioral-cap", "ethics"],
    "il": ["total", "ethics", "harassment", "personal-development-cap", "self-study-cap", "instruction-cap",
           "non-verifiable-cap", "authorship-cap"],
}


def test_six_built_ins_with_the_rule_ids_scripts_rely_on():
    assert list(PROFILES) == ["aicpa", "ca", "ny", "tx", "fl", "il"]
    for profile_id, rule_ids in EXPECTED_RULES.items():
        assert [rule.id for rule in PROFILES[profile_id].rules] == rule_ids


@pytest.mark.parametrize("profile_id", list(EXPECTED_RULES))
def test_every_built_in_carries_its_sources(profile_id):
    profile = PROFILES[profile_id]
    assert profile.origin == BUILT_IN
    assert profile.as_of == day("2026-11-30") and profile.sources and profile.notes
    for rule in profile.rules:
        assert rule.cite, f"{profile_id}.{rule.id} has no cite"
        if not rule.exact:
            assert rule.note, f"{profile_id}.{rule.id} is approximate without saying how"


@pytest.mark.parametrize("profile_id, months, anchor, jurisdiction", [
    ("aicpa", 36, None, None), ("ca", 24, None, "CA"), ("ny", 12, "2026-12-31", "NY"), ("tx", 12, None, "TX"),
    ("fl", 24, "2026-06-30", "FL"), ("il", 36, "2027-09-30", "IL")])
def test_periods_and_anchors(profile_id, months, anchor, jurisdiction):
    profile = PROFILES[profile_id]
    assert profile.months == months and profile.jurisdiction == jurisdiction
    assert profile.anchor == (day(anchor) if anchor else None)
    assert profile.needs_period_end == (anchor is None)


def test_tags_read_and_declarations():
    assert tags_read(PROFILES["ca"]) == ["ca-regulatory-review", "fraud"]
    assert tags_read(PROFILES["tx"]) == ["tx-certification", "tx-ethics"]
    assert tags_read(PROFILES["fl"]) == ["fl-ethics"]
    assert tags_read(PROFILES["il"]) == ["il-authorship", "il-harassment", "il-instruction", "il-non-verifiable"]
    assert tags_read(PROFILES["aicpa"]) == [] and tags_read(PROFILES["ny"]) == []
    assert declarable_words(PROFILES["ca"]) == ["attest", "government", "preparation"]
    assert check_declared(PROFILES["ca"], [" Attest "]) == {"attest"}
    with pytest.raises(CpeError, match="--declare 'atest'.*attest, government, preparation"):
        check_declared(PROFILES["ca"], ["atest"])


def test_profile_as_dict_is_plain_data():
    data = profile_as_dict(PROFILES["tx"])
    assert data["period"] == {"months": 12, "anchor": None}
    cap = next(rule for rule in data["rules"] if rule["id"] == "nano-cap")
    assert cap == {"id": "nano-cap", "kind": "max", "name": "Nano Learning at most 50%", "percent": "50",
                   "in": "nano", "exact": True, "cite": cap["cite"], "applies_to": ["three-year"]}
    assert data["groups"]["nano"]["methods"] == ["Nano Learning"]
    import json
    json.dumps(profile_as_dict(PROFILES["ca"]))


# ---------------------------------------------------------------- AICPA


def test_aicpa_needs_a_period_end():
    with pytest.raises(CpeError, match="--period-end"):
        run("aicpa", [], "2026-06-11")


def test_aicpa_total_120_over_36_months():
    ledger = [entry(1, "2024-12-31", 500),       # the day before the period
              entry(2, "2025-01-01", 60),        # first day
              entry(3, "2027-12-31", 60)]        # last day
    result = run("aicpa", ledger, "2027-12-31", period_end=day("2027-12-31"))
    assert (result.period_start, result.period_end, result.days_left) == (day("2025-01-01"), day("2027-12-31"), 0)
    assert figures(result) == {"total": (D(120), D(120), D(120), True)}
    assert result.met and result.hours_needed == 0
    short = run("aicpa", ledger[:2], "2026-06-11", period_end=day("2027-12-31"))
    assert not short.met and short.hours_needed == D(60) and short.days_left == 568


# ---------------------------------------------------------------- California

CA_LEDGER = [
    entry(1, "2025-05-31", 50),                                           # before the period
    entry(2, "2025-06-01", 10),                                           # first day of period and year 1
    entry(3, "2026-05-31", 30, field="Personal Development"),             # last day of year 1
    entry(4, "2026-06-01", 8, field="Auditing"),                          # first day of year 2
    entry(5, "2026-09-01", 6, field="Accounting (Governmental)", tags=["fraud"]),
    entry(6, "2027-01-10", 20, field="Communications and Marketing"),
    entry(7, "2027-05-31", 4, field="Behavioral Ethics"),                 # last day of the period
    entry(8, "2021-05-31", 2, field="Regulatory Ethics", tags=["ca-regulatory-review"]),  # 72 months + 1 day ago
    entry(9, "2021-06-01", 1, field="Regulatory Ethics", tags=["ca-regulatory-review"]),  # first day of 72 months
]


def test_california_every_rule():
    result = run("ca", CA_LEDGER, "2027-05-31", period_end=day("2027-05-31"))
    assert (result.period_start, result.period_end, result.days_left) == (day("2025-06-01"), day("2027-05-31"), 0)
    # In the period: technical 10 + 8 + 6 = 24; non-technical 30 + 20 + 4 = 54, capped at 50% of 80 = 40.
    assert figures(result) == {
        "total": (D(80), D(78), D(64), False),
        "yearly@2026-05-31": (D(20), D(40), D(40), True),                 # 10 + 30
        "yearly@2027-05-31": (D(20), D(38), D(38), True),                 # 8 + 6 + 20 + 4
        "yearly-technical@2026-05-31": (D(12), D(10), D(10), False),
        "yearly-technical@2027-05-31": (D(12), D(14), D(14), True),
        "technical": (D(40), D(24), D(24), False),
        "ethics": (D(4), D(4), D(4), True),
        "regulatory-review": (D(2), D(1), D(1), False),                   # 2021-05-31 is outside
    }
    assert req(result, "total").cut_by == (("non-technical-cap", D(14)),)
    assert not req(result, "ethics").exact and "at least 1 hour" in req(result, "ethics").note
    assert req(result, "regulatory-review").window_start == day("2021-06-01")
    assert not result.met and result.hours_needed == D(16)                 # total and technical


@pytest.mark.parametrize("declared, expected", [
    ({"attest"}, {"aa": (D(24), D(14), D(14), False), "fraud": (D(4), D(6), D(6), True)}),
    ({"government"}, {"government": (D(24), D(6), D(6), False), "fraud": (D(4), D(6), D(6), True)}),
    ({"preparation"}, {"preparation": (D(8), D(14), D(14), True), "fraud": (D(4), D(6), D(6), True)}),
    (set(), {}),
])
def test_california_work_declarations(declared, expected):
    result = run("ca", CA_LEDGER, "2027-05-31", period_end=day("2027-05-31"), declared=declared)
    conditional = {key: value for key, value in figures(result).items()
                   if key in ("aa", "government", "preparation", "fraud")}
    assert conditional == expected
    needed = max([D(16)] + [required - counted for required, _, counted, _ in expected.values()])
    assert result.hours_needed == needed


# ---------------------------------------------------------------- New York


def test_new_york_calendar_year_and_concentration():
    ledger = [entry(1, "2025-12-31", 20),                               # last year
              entry(2, "2026-01-01", 24),                               # first day: taxes
              entry(3, "2026-12-31", 10, field="Auditing")]             # last day
    result = run("ny", ledger, "2026-12-31")
    assert (result.period_start, result.period_end, result.days_left) == (day("2026-01-01"), day("2026-12-31"), 0)
    annual = req(result, "annual")
    # 40-hour option: 34 (short 6); taxes: 24 (met) -> taxes reported.
    assert (annual.option, annual.required, annual.earned, annual.counted, annual.met) == \
        ("taxes", D(24), D(24), D(24), True)
    assert not annual.exact and "NASBA" in annual.note
    forty = run("ny", ledger + [entry(4, "2026-06-01", 6, field="Economics")], "2026-12-31")
    assert req(forty, "annual").option == "total" and req(forty, "annual").counted == D(40)


def test_new_york_empty_year_reports_the_first_of_the_tied_concentrations():
    annual = req(run("ny", [], "2026-06-11"), "annual")
    assert (annual.option, annual.required, annual.met) == ("accounting", D(24), False)


def test_new_york_ethics_in_the_last_36_months():
    ledger = [entry(1, "2023-12-31", 3, field="Behavioral Ethics"),     # one day too early
              entry(2, "2024-01-01", 2, field="Regulatory Ethics"),     # first day of the 36 months
              entry(3, "2026-12-31", 2, field="Behavioral Ethics")]
    ethics = req(run("ny", ledger, "2026-12-31"), "ethics")
    assert (ethics.window_start, ethics.window_end) == (day("2024-01-01"), day("2026-12-31"))
    assert (ethics.earned, ethics.met, ethics.exact) == (D(4), True, False)


def test_new_york_attest_supervision():
    ledger = [entry(1, "2024-01-01", 25, field="Auditing"), entry(2, "2026-03-01", 10, field="Accounting")]
    assert "aa" not in figures(run("ny", ledger, "2026-12-31"))
    assert figures(run("ny", ledger, "2026-12-31", declared={"attest"}))["aa"] == (D(40), D(35), D(35), False)


# ---------------------------------------------------------------- Texas

TX_LEDGER = [
    entry(1, "2023-08-31", 50),                                          # one day before the 36 months
    entry(2, "2023-09-01", 40),                                          # first day of the 36 months
    entry(3, "2024-03-01", 50, field="Personal Development"),
    entry(4, "2025-03-01", 20, field="Communications and Marketing"),    # non-technical 70 > 60
    entry(5, "2025-06-01", 65, method="Nano Learning"),                  # nano 65 > 60
    entry(6, "2025-09-01", 5),                                           # first day of the licence year
    entry(7, "2026-08-31", 4, field="Regulatory Ethics", tags=["tx-ethics"]),  # last day
]


def test_texas_every_rule():
    with pytest.raises(CpeError, match="--period-end"):
        run("tx", TX_LEDGER, "2026-08-31")
    result = run("tx", TX_LEDGER, "2026-08-31", period_end=day("2026-08-31"))
    assert (result.period_start, result.period_end, result.days_left) == (day("2025-09-01"), day("2026-08-31"), 0)
    assert figures(result) == {
        "three-year": (D(120), D(184), D(169), True),                    # 40+50+20+65+5+4, minus 10 and 5
        "yearly": (D(20), D(9), D(9), False),                            # 5 + 4
        "ethics": (D(4), D(4), D(4), True),
    }
    assert req(result, "three-year").cut_by == (("non-technical-cap", D(10)), ("nano-cap", D(5)))
    assert req(result, "three-year").window_start == day("2023-09-01")
    assert req(result, "ethics").window_start == day("2024-09-01")
    assert result.hours_needed == D(11)


def test_texas_ethics_needs_the_tag_not_the_field():
    ledger = [entry(1, "2026-01-01", 4, field="Regulatory Ethics")]
    ethics = req(run("tx", ledger, "2026-08-31", period_end=day("2026-08-31")), "ethics")
    assert (ethics.earned, ethics.met) == (D(0), False)


# ---------------------------------------------------------------- Florida

FL_LEDGER = [
    entry(1, "2024-06-30", 10, field="Auditing"),                         # last day of the previous period
    entry(2, "2024-07-01", 6, field="Accounting"),                        # first day
    entry(3, "2025-01-01", 15, field="Communications and Marketing"),
    entry(4, "2025-02-01", 10, field="Personal Development"),             # behavioral 25 > 20
    entry(5, "2025-03-01", 4, field="Regulatory Ethics", tags=["fl-ethics"]),
    entry(6, "2025-04-01", 4, field="Regulatory Ethics"),                 # not Florida-approved
    entry(7, "2025-05-01", 40),
    entry(8, "2026-06-30", 2, field="Auditing (Governmental)"),           # last day
]


def test_florida_every_rule():
    result = run("fl", FL_LEDGER, "2026-06-30")
    assert (result.period_start, result.period_end, result.days_left) == (day("2024-07-01"), day("2026-06-30"), 0)
    assert figures(result) == {
        "total": (D(80), D(81), D(76), False),
        "aa": (D(8), D(8), D(8), True),                                  # 6 + 2 (governmental included)
        "ethics": (D(4), D(4), D(4), True),
    }
    total = req(result, "total")
    assert total.cut_by == (("behavioral-cap", D(5)),)
    assert not total.exact and "behavioral" in total.note                # the cap is approximate
    assert result.hours_needed == D(4)
    following = run("fl", FL_LEDGER, "2026-07-01")
    assert (following.period_start, following.period_end, following.days_left) == \
        (day("2026-07-01"), day("2028-06-30"), 730)
    assert figures(following)["total"] == (D(80), D(0), D(0), False)


# ---------------------------------------------------------------- Illinois

IL_LEDGER = [
    entry(1, "2024-09-30", 50),                                           # previous period's last day
    entry(2, "2024-10-01", 40),                                           # first day
    entry(3, "2025-01-01", 30, field="Personal Development"),            # capped at 24
    entry(4, "2025-06-01", 90, field="Accounting", method="QAS Self Study"),  # capped at 80
    entry(5, "2026-01-01", 4, field="Behavioral Ethics"),
    entry(6, "2027-09-30", 1, field="Personnel/Human Resources", tags=["il-harassment"]),  # last day
]


def test_illinois_every_rule():
    result = run("il", IL_LEDGER, "2027-09-30")
    assert (result.period_start, result.period_end, result.days_left) == (day("2024-10-01"), day("2027-09-30"), 0)
    assert figures(result) == {
        "total": (D(120), D(165), D(149), True),                          # 40+30+90+4+1 minus 6 and 10
        "ethics": (D(4), D(4), D(4), True),
        "harassment": (D(1), D(1), D(1), True),
    }
    assert req(result, "total").cut_by == (("personal-development-cap", D(6)), ("self-study-cap", D(10)))
    assert not req(result, "total").exact                                 # self-study-cap is approximate
    assert result.met and result.hours_needed == 0
    # The cycle: periods end 30 September 2024, 2027, 2030.
    assert period_for(PROFILES["il"], day("2024-09-30")) == (day("2021-10-01"), day("2024-09-30"))
    assert period_for(PROFILES["il"], day("2029-01-01")) == (day("2027-10-01"), day("2030-09-30"))
    no_harassment = run("il", IL_LEDGER[:-1], "2027-09-30")
    assert figures(no_harassment)["harassment"] == (D(1), D(0), D(0), False)



def test_illinois_caps_on_tagged_instruction_non_verifiable_and_authorship():
    """68 Ill. Adm. Code 1420.70 caps these at 60, 60 and 30 hours: a record shows them by its tag only, so an
    untagged record is never cut, and each tag is cut at its own cap."""
    ledger = [
        entry(1, "2025-01-01", 70, tags=["il-instruction"]),                # 10 beyond 60
        entry(2, "2025-02-01", 61, tags=["il-non-verifiable"]),             # 1 beyond 60
        entry(3, "2025-03-01", 30, tags=["il-authorship"]),                 # exactly 30: not cut
        entry(4, "2025-04-01", 2, tags=["il-authorship"]),                  # 2 beyond
        entry(5, "2025-05-01", 70),                                         # untagged: never cut
        entry(6, "2025-06-01", 4, field="Regulatory Ethics"),
    ]
    total = req(run("il", ledger, "2027-09-30"), "total")
    assert (total.earned, total.counted) == (D(237), D(224))
    assert total.cut_by == (("instruction-cap", D(10)), ("non-verifiable-cap", D(1)), ("authorship-cap", D(2)))
    assert {"il-instruction", "il-non-verifiable", "il-authorship"} <= set(tags_read(PROFILES["il"]))


def test_texas_certification_programs_count_at_most_half_of_the_three_year_credits():
    """22 TAC 523.118: at most 50% of the 120 credits required (60) from certification programs, tagged."""
    ledger = [entry(1, "2025-01-01", 70, tags=["tx-certification"]), entry(2, "2025-02-01", 70)]
    result = run("tx", ledger, "2026-08-31", period_end=day("2026-08-31"))
    three_year = req(result, "three-year")
    assert (three_year.earned, three_year.counted) == (D(140), D(130))
    assert three_year.cut_by == (("certification-cap", D(10)),)
    assert req(result, "yearly").counted == D(0)  # the cap is the 3-year rule's only (applies_to)

# ---------------------------------------------------------------- user profiles

USER_FL = '''schema = 1
id = "fl"
name = "Florida, firm reading"
as_of = 2026-12-01
[period]
months = 24
anchor = 2026-06-30
[[rule]]
id = "total"
kind = "min"
hours = 40
cite = "firm policy"
'''


def test_a_user_profile_overrides_a_built_in(tmp_path):
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "florida.toml").write_text(USER_FL, encoding="utf-8")
    (folder / "acme.toml").write_text(USER_FL.replace('id = "fl"', 'id = "acme"'), encoding="utf-8")
    (folder / ".backup.toml").write_text("not toml at all [", encoding="utf-8")     # hidden: skipped
    (folder / "readme.txt").write_text("ignored", encoding="utf-8")
    profiles = load_profiles(tmp_path)
    assert list(profiles)[:6] == ["aicpa", "ca", "ny", "tx", "fl", "il"] and "acme" in profiles
    assert profiles["fl"].origin == str(folder / "florida.toml") and profiles["fl"].name == "Florida, firm reading"
    assert profiles["ca"].origin == BUILT_IN
    result = evaluate(profiles["fl"], [entry(1, "2025-01-01", 40)], as_of=day("2026-01-01"))
    assert [r.id for r in result.requirements] == ["total"] and result.met
    assert builtin_profiles()["fl"].rules[0].hours == D(80)              # the built-in itself is untouched


def test_no_profiles_folder_gives_the_built_ins(tmp_path):
    assert list(load_profiles(tmp_path)) == ["aicpa", "ca", "ny", "tx", "fl", "il"]


def test_two_user_files_with_one_id_are_refused(tmp_path):
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "a.toml").write_text(USER_FL, encoding="utf-8")
    (folder / "b.toml").write_text(USER_FL, encoding="utf-8")
    with pytest.raises(CpeError) as raised:
        load_profiles(tmp_path)
    assert "b.toml" in raised.value.message and "a.toml" in raised.value.message and raised.value.exit_code == 2


def test_a_malformed_user_file_names_its_path(tmp_path):
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "bad.toml").write_text(USER_FL.replace("hours = 40", "hours = 40\nhour = 2"), encoding="utf-8")
    with pytest.raises(CpeError) as raised:
        load_profiles(tmp_path)
    assert str(folder / "bad.toml") in raised.value.message and "'hour'" in raised.value.message
    (folder / "bad.toml").write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(CpeError, match="bad.toml.*UTF-8"):
        load_profiles(tmp_path)


# ---------------------------------------------------------------- malformed files

GOOD = '''schema = 1
id = "acme"
name = "Acme"
jurisdiction = "TX"
as_of = 2026-12-01
[period]
months = 24
anchor = 2026-06-30
[groups]
ethics = { fields = ["Regulatory Ethics", "Behavioral Ethics"] }
nano = { methods = ["Nano Learning"] }
[[rule]]
id = "total"
kind = "min"
hours = 80
[[rule]]
id = "ethics"
kind = "min"
in = "ethics"
hours = 4
[[rule]]
id = "nano-cap"
kind = "max"
in = "nano"
percent = 50
'''


def refused(text: str) -> str:
    with pytest.raises(CpeError) as raised:
        parse_profile(text, "/home/me/.cpe/profiles/acme.toml")
    assert raised.value.exit_code == 2
    assert "/home/me/.cpe/profiles/acme.toml" in raised.value.message
    return raised.value.message


def test_the_good_file_parses():
    profile = parse_profile(GOOD, "acme.toml")
    assert profile.origin == "acme.toml" and profile.jurisdiction == "TX"
    assert profile.group("ethics").fields == ("Behavioral Ethics", "Regulatory Ethics")


def test_toml_syntax_error_names_file_and_line():
    message = refused(GOOD.replace("hours = 80", "hours = = 80"))
    assert "line 15" in message


@pytest.mark.parametrize("old, new, words", [
    ('name = "Acme"', 'name = "Acme"\ncolour = "red"', ["colour", "unknown key"]),
    ("hours = 80", "hours = 80\nlookback_month = 36", ["lookback_month", "rule 'total'", "line 16"]),
    ('"Behavioral Ethics"', '"Astrology"', ["groups.ethics.fields[1]", "Astrology", "line 10"]),
    ('"Nano Learning"', '"Carrier Pigeon"', ["groups.nano.methods[0]", "Carrier Pigeon", "delivery method"]),
    ('in = "ethics"', 'in = "ethic"', ["rule 'ethics'.in", "unknown group 'ethic'", "ethics, nano"]),
    ('kind = "max"', 'kind = "maximum"', ["rule 'nano-cap'.kind", "unknown kind 'maximum'", "any_of"]),
    ('id = "acme"', 'id = "Acme Corp"', ["id", "'Acme Corp'", "[a-z0-9-]+"]),
    ('id = "total"', 'id = "total_hours"', ["rule[0].id", "total_hours"]),
    ("percent = 50", "percent = 50\nhours = 10", ["rule 'nano-cap'", "hours or percent, not both"]),
    ("percent = 50", "", ["rule 'nano-cap'", "hours = N or percent = N"]),
    ("hours = 80", "", ["rule 'total'.hours", "required"]),
    ("months = 24", 'months = "24"', ["period.months", "whole number"]),
    ("months = 24", "months = 121", ["period.months", "1 to 120"]),
    ("hours = 80", 'hours = "80"', ["rule 'total'.hours", "number"]),
    ("hours = 80", "hours = 80\nper = \"year\"\nlookback_months = 12", ["rule 'total'", "cannot be combined"]),
    ("months = 24", "months = 12", ["rule 'total'.per", "24, 36"]),  # with per added below
    ('"Nano Learning"] }', '"Nano Learning"], tags = ["Bad Tag!"] }', ["groups.nano.tags[0]", "Bad Tag!"]),
    ("as_of = 2026-12-01", "as_of = 2026-12-01T10:00:00", ["as_of", "without a time"]),
    ("schema = 1", "schema = 2", ["schema", "schema = 1"]),
    ('jurisdiction = "TX"', 'jurisdiction = "ZZ"', ["jurisdiction", "ZZ"]),
    ('percent = 50', 'percent = 50\napplies_to = ["totl"]', ["applies_to", "unknown rule 'totl'"]),
    ('percent = 50', 'percent = 150', ["rule 'nano-cap'.percent", "at most 100"]),
    ('in = "nano"\n', '', ["rule 'nano-cap'.in", "required"]),
    ('hours = 80', 'hours = 80\npercent = 10', ["rule 'total'", "percent", "max rules do"]),
    ('hours = 80', 'hours = 80\nexact = "no"', ["rule 'total'.exact", "true or false"]),
    ('hours = 80', 'hours = 80\napplies_if = ["Attest work"]', ["rule 'total'.applies_if[0]", "Attest work"]),
    ('[[rule]]\nid = "total"', '[[rule]]\nid = "ethics"', ["rule[1].id", "'ethics' is used by two rules"]),
    ('name = "Acme"\n', '', ["name", "required"]),
    ('[period]\nmonths = 24\nanchor = 2026-06-30\n', '', ["period", "required"]),
    ('nano = { methods = ["Nano Learning"] }', 'nano = { methods = ["Nano Learning"], level = 1 }',
     ["groups.nano.level", "unknown key 'level'"]),
    ('nano = { methods = ["Nano Learning"] }', 'nano = { fields = [] }', ["groups.nano", "no fields"]),
])
def test_malformed_files_name_file_and_key(old, new, words):
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    if "24, 36" in words:
        text = text.replace("hours = 80", 'hours = 80\nper = "year"')
    message = refused(text)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def test_any_of_options_are_checked():
    base = GOOD + '[[rule]]\nid = "either"\nkind = "any_of"\noptions = [{ hours = 40 }, { hours = 24, in = "ethics" }]\n'
    assert [o.id for o in parse_profile(base, "x").rule("either").options] == ["all", "ethics"]
    assert "unknown key 'hour'" in refused(base.replace("{ hours = 40 }", "{ hour = 40 }"))
    assert "unknown group 'taxes'" in refused(base.replace('in = "ethics" }', 'in = "taxes" }'))
    assert "two options are called 'all'" in refused(base.replace("{ hours = 40 }", "{ hours = 40 }, { hours = 30 }"))
    assert "non-empty list" in refused(base.replace("options = [{ hours = 40 }, { hours = 24, in = \"ethics\" }]",
                                                    "options = []"))
    assert "options" in refused(base.replace("options = [{ hours = 40 }, { hours = 24, in = \"ethics\" }]", ""))


def test_manual_rules_need_text_and_take_no_hours():
    base = GOOD + '[[rule]]\nid = "reminder"\nkind = "manual"\ntext = "Instructor credit: at most half."\n'
    assert parse_profile(base, "x").rule("reminder").text == "Instructor credit: at most half."
    assert "rule 'reminder'.text" in refused(base.replace('text = "Instructor credit: at most half."\n', ""))
    assert "'hours'" in refused(base.replace('kind = "manual"', 'kind = "manual"\nhours = 2'))


def test_aliases_and_shorthands_are_canonicalised():
    text = GOOD.replace('["Regulatory Ethics", "Behavioral Ethics"]', '["reg eth", "@non-technical"]')
    text = text.replace('["Nano Learning"]', '["nano", "Self-Study"]')
    profile = parse_profile(text, "x")
    assert profile.group("ethics").field_sets == ("@non-technical",)
    assert "Regulatory Ethics" in profile.group("ethics").fields and "Production" in profile.group("ethics").fields
    assert len(profile.group("ethics").fields) == 8
    assert profile.group("nano").methods == ("QAS Self Study", "Nano Learning")
    assert "@technical" in refused(GOOD.replace('"Behavioral Ethics"', '"@tech"'))


def test_every_builtin_file_is_valid_toml_in_the_package():
    folder = Path(__import__("cpe_cli.profiles", fromlist=["x"]).__file__).parent
    assert sorted(p.stem for p in folder.glob("*.toml")) == sorted(EXPECTED_RULES)


@pytest.mark.parametrize("profile_id", list(PROFILES))
def test_what_status_says_uses_no_shorthand_of_the_domain_notes(profile_id):
    """domain.md grades its sources [V] (read in the board's own text) and [3P] (third-party only); a user reading
    ``cpe status`` gets those words spelled out, never the marks (a new user asked what "[3P]" meant)."""
    profile = PROFILES[profile_id]
    texts = [*profile.notes, *(rule.note or "" for rule in profile.rules)]
    assert [text for text in texts if any(mark in text for mark in ("[3P]", "[V]", "[uncertain]"))] == []
