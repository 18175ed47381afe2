"""Compliance through the command line: tags on records, `cpe profile ...`, `cpe status` and its exit codes."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support import add_args, make_version_1_ledger, snapshot, change_database


def record(cpe, **overrides) -> int:
    result = cpe(*add_args(**overrides), "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["id"]


# -- tags on records ---------------------------------------------------------------------------

def test_tags_are_added_shown_filtered_and_edited(cpe):
    first = record(cpe, title="Reg review")
    assert cpe("edit", str(first), "--tag", " CA-Regulatory-Review ", "--tag", "fraud").exit_code == 0
    second = record(cpe, title="Other")
    shown = json.loads(cpe("show", str(first), "--json").stdout)
    assert shown["tags"] == ["ca-regulatory-review", "fraud"]  # lowercased, stripped, sorted
    assert json.loads(cpe("show", str(second), "--json").stdout)["tags"] == []
    assert "Tags:                  ca-regulatory-review, fraud" in cpe("show", str(first)).stdout
    listed = json.loads(cpe("list", "--format", "json", "--tag", "fraud", "--preset", "all").stdout)
    assert [item["id"] for item in listed] == [first]
    assert cpe("total", "--tag", "fraud", "--tag", "nope", "--preset", "all").stdout == "2.0\n"
    untagged = cpe("edit", str(first), "--untag", "fraud")
    assert untagged.exit_code == 0 and "tags ca-regulatory-review, fraud -> ca-regulatory-review" in untagged.stderr
    assert cpe("total", "--tag", "fraud", "--preset", "all").stdout == "0.0\n"


def test_a_tag_that_is_not_a_word_is_refused_and_nothing_is_written(cpe, home):
    record(cpe)
    before = snapshot(home)
    for bad in ("two words", "ümlaut", "-leading", "x" * 41, ""):
        result = cpe(*add_args(title="T"), "--tag", bad)
        assert result.exit_code == 2, bad
        assert result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1, result.stderr
    assert cpe("edit", "1", "--untag", "absent").exit_code == 2
    assert snapshot(home) == before


def test_tags_travel_through_csv_export_and_import(cpe, tmp_path, monkeypatch):
    record(cpe, title="A")
    cpe("edit", "1", "--tag", "fl-ethics", "--tag", "fraud")
    exported = cpe("export", "csv", "--preset", "all").stdout
    header, row = exported.splitlines()[:2]
    assert header.endswith(",certificate,tags") and row.endswith(",fl-ethics;fraud")
    path = tmp_path / "out.csv"
    path.write_text(exported)
    monkeypatch.setenv("CPE_HOME", str(tmp_path / "other"))
    assert cpe("import", str(path)).exit_code == 0
    assert json.loads(cpe("show", "1", "--json").stdout)["tags"] == ["fl-ethics", "fraud"]


def test_verify_reports_tags_not_stored_as_cpe_stores_them(cpe, home):
    record(cpe)
    change_database(home, "UPDATE records SET tags = 'Fraud' WHERE id = 1")
    result = cpe("verify")
    assert result.exit_code == 1
    assert "record 1: today's rules refuse it" in result.stdout or "record 1: tags" in result.stdout


# -- profiles ----------------------------------------------------------------------------------

def test_a_profile_without_a_fixed_period_needs_period_end_and_a_refusal_creates_nothing(cpe, home):
    result = cpe("profile", "use", "ca")
    assert result.exit_code == 2
    assert "--period-end" in result.stderr and result.stderr.startswith("Error: ")
    assert not home.exists()


def test_track_list_and_drop(cpe):
    assert cpe("profile", "use", "ny").exit_code == 0
    assert cpe("profile", "use", "ca", "--period-end", "2027-03-31", "--declare", "attest").exit_code == 0
    listed = {item["id"]: item for item in json.loads(cpe("profile", "list", "--json").stdout)}
    assert set(listed) >= {"aicpa", "ca", "ny", "tx", "fl", "il"}
    assert listed["ca"] == {**listed["ca"], "tracked": True, "period_end": "2027-03-31", "declared": ["attest"],
                            "origin": "built-in"}
    assert listed["tx"]["tracked"] is False
    assert cpe("profile", "drop", "ny").exit_code == 0
    assert json.loads(cpe("profile", "list", "--json").stdout)[0]["id"] == "ca"
    again = cpe("profile", "drop", "ny")
    assert again.exit_code == 2 and "not tracked" in again.stderr


def test_using_a_tracked_profile_again_keeps_what_is_not_given_again(cpe):
    first = cpe("profile", "use", "ca", "--period-end", "2027-03-31", "--declare", "attest")
    assert first.stderr == ("Tracking California CPA license (ca), period ending 2027-03-31; declared attest. "
                            "See where you stand with 'cpe status'.\n")
    again = cpe("profile", "use", "ca")  # no --period-end: the one given before, not an error
    assert again.exit_code == 0
    assert again.stderr.startswith("Already tracking California CPA license (ca), period ending 2027-03-31; "
                                   "declared attest (nothing changed).")
    moved = cpe("profile", "use", "ca", "--period-end", "2029-03-31")
    assert moved.stderr.startswith("Now tracking California CPA license (ca), period ending 2029-03-31; "
                                   "declared attest.")
    listed = {item["id"]: item for item in json.loads(cpe("profile", "list", "--json").stdout)}
    assert (listed["ca"]["period_end"], listed["ca"]["declared"]) == ("2029-03-31", ["attest"])
    cleared = cpe("profile", "use", "ca", "--declare", "none")
    assert cleared.stderr.startswith("Now tracking California CPA license (ca), period ending 2029-03-31. ")
    listed = {item["id"]: item for item in json.loads(cpe("profile", "list", "--json").stdout)}
    assert (listed["ca"]["period_end"], listed["ca"]["declared"]) == ("2029-03-31", [])
    assert cpe("profile", "use", "ca", "--declare", "none", "--declare", "NONE").exit_code == 0
    mixed = cpe("profile", "use", "ca", "--declare", "none", "--declare", "attest")
    assert mixed.exit_code == 2 and "--declare none clears the declarations: give it alone" in mixed.stderr


def test_dropping_an_id_tracked_as_typed_drops_that_one_not_the_state_it_names(cpe, home):
    """A user's own profile 'texas', tracked beside the built-in tx, then its file removed: 'drop texas' is it."""
    (home / "profiles").mkdir(parents=True)
    own = home / "profiles" / "texas.toml"
    own.write_text('schema = 1\nid = "texas"\nname = "Mine"\n[period]\nmonths = 12\nanchor = 2026-12-31\n'
                   '[[rule]]\nid = "total"\nkind = "min"\nhours = 40\n')
    assert cpe("profile", "use", "texas").exit_code == 0, cpe("profile", "use", "texas").stderr
    assert cpe("profile", "use", "tx", "--period-end", "2026-08-31").exit_code == 0
    own.unlink()
    assert cpe("profile", "drop", "texas").stderr == "Stopped tracking texas.\n"
    assert [item["id"] for item in json.loads(cpe("profile", "list", "--json").stdout) if item["tracked"]] == ["tx"]


@pytest.mark.parametrize("named", ["california", "California", " new  york "])
def test_a_state_name_names_its_boards_profile(cpe, named):
    result = cpe("profile", "use", named, "--period-end", "2027-03-31")
    assert result.exit_code == 0, result.stderr
    expected = "ny" if "york" in named else "ca"
    assert [item["id"] for item in json.loads(cpe("profile", "list", "--json").stdout) if item["tracked"]] == [expected]
    assert json.loads(cpe("profile", "show", named, "--json").stdout)["id"] == expected
    assert "Tracking: tracked" in cpe("profile", "show", named).stdout
    assert cpe("profile", "drop", named).stderr == f"Stopped tracking {expected}.\n"


def test_a_mistyped_declaration_or_profile_is_refused(cpe):
    declared = cpe("profile", "use", "ca", "--period-end", "2027-03-31", "--declare", "atest")
    assert declared.exit_code == 2 and "attest" in declared.stderr
    unknown = cpe("profile", "use", "zz")
    assert unknown.exit_code == 2 and "aicpa" in unknown.stderr


def test_profile_show_lists_rules_tags_sources_and_notes(cpe):
    result = cpe("profile", "show", "fl")
    assert result.exit_code == 0
    out = result.stdout
    for text in ("total:", "aa:", "behavioral-cap:", "ethics:", "Tags it reads: fl-ethics", "61H1-33.003",
                 "[approximate]"):
        assert text in out, text
    parsed = json.loads(cpe("profile", "show", "fl", "--json").stdout)
    assert parsed["id"] == "fl" and parsed["period"] == {"months": 24, "anchor": "2026-06-30"}
    assert parsed["tags_read"] == ["fl-ethics"]


# -- status ------------------------------------------------------------------------------------

def test_status_with_nothing_tracked_says_how_to_start(cpe):
    result = cpe("status")
    assert (result.exit_code, result.stdout) == (0, "")
    assert "cpe profile use" in result.stderr
    assert cpe("status", "--check").exit_code == 2
    # A script piping the JSON into jq gets JSON (no profile), with the hint on standard error.
    as_json = cpe("status", "--json")
    assert (as_json.exit_code, json.loads(as_json.stdout)) == (0, {"as_of": "2026-06-11", "profiles": []})
    assert "cpe profile use" in as_json.stderr


def test_status_json_contract_and_figures(cpe, monkeypatch):
    monkeypatch.setenv("CPE_TODAY", "2026-06-11")
    record(cpe, title="Ethics", credits="4", field="Regulatory Ethics", date="2026-01-01")
    record(cpe, title="Tax", credits="20.5", field="Taxes", date="2026-06-11")
    record(cpe, title="Last year", credits="30", field="Taxes", date="2025-12-31")
    assert cpe("profile", "use", "ny").exit_code == 0
    result = cpe("status", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["as_of"] == "2026-06-11"
    [ny] = data["profiles"]
    assert ny["period"] == {"start": "2026-01-01", "end": "2026-12-31"} and ny["days_left"] == 203
    requirements = {item["id"]: item for item in ny["requirements"]}
    annual = requirements["annual"]
    # 24.5 hours in 2026 (the 2025 record is outside): the 24-in-Taxes option is short by 3.5 (20.5 in taxes),
    # the 40 option by 15.5: the smallest shortfall is reported.
    assert (annual["required"], annual["counted"], annual["met"], annual["exact"]) == (24, 20.5, False, False)
    assert requirements["ethics"]["window"] == {"start": "2024-01-01", "end": "2026-12-31"}
    assert requirements["ethics"]["counted"] == 4 and requirements["ethics"]["met"] is True
    assert ny["met"] is False and ny["hours_needed"] == 3.5
    for key in ("id", "name", "window", "required", "earned", "counted", "met", "exact"):
        assert key in annual


def test_check_exits_3_when_short_0_when_met_and_warn_days_narrows_it(cpe, monkeypatch):
    monkeypatch.setenv("CPE_TODAY", "2026-06-11")
    assert cpe("profile", "use", "ny").exit_code == 0
    short = cpe("status", "--check")
    assert short.exit_code == 3 and short.stdout == ""
    assert short.stderr.startswith("ny: short by 24.0 hours (203 days left")  # the 24-hour concentration option
    assert cpe("status", "--check", "--warn-days", "202").exit_code == 0
    assert cpe("status", "--check", "--warn-days", "203").exit_code == 3
    record(cpe, title="Big", credits="40", field="Taxes", date="2026-06-01")
    record(cpe, title="Ethics", credits="4", field="Behavioral Ethics", date="2025-06-01")
    met = cpe("status", "--check")
    assert met.exit_code == 0 and met.stderr.startswith("ny: met")


def test_an_untracked_profile_can_be_evaluated_once(cpe):
    needs_end = cpe("status", "--profile", "tx")
    assert needs_end.exit_code == 2 and "--period-end" in needs_end.stderr
    result = cpe("status", "--profile", "tx", "--period-end", "2026-08-31", "--json")
    assert result.exit_code == 0, result.stderr
    [tx] = json.loads(result.stdout)["profiles"]
    assert tx["tracked"] is False and tx["period"] == {"start": "2025-09-01", "end": "2026-08-31"}


def test_status_text_marks_approximate_rules_and_caps(cpe, monkeypatch):
    monkeypatch.setenv("CPE_TODAY", "2026-06-11")
    record(cpe, title="Soft skills", credits="50", field="Personal Development", date="2026-01-10")
    record(cpe, title="Audit", credits="10", field="Auditing", date="2026-01-11")
    assert cpe("profile", "use", "ca", "--period-end", "2027-03-31").exit_code == 0
    out = cpe("status").stdout
    assert "10.0 hours beyond non-technical-cap do not count" in out  # 50% of 80 = 40 of the 50 count
    assert "50.0 / 80.0" in out
    assert "≈" in out


def test_a_user_profile_overrides_a_built_in(cpe, home, monkeypatch):
    monkeypatch.setenv("CPE_TODAY", "2026-06-11")
    record(cpe, title="One", credits="3", field="Taxes", date="2026-02-01")
    (home / "profiles").mkdir(parents=True)
    (home / "profiles" / "ny.toml").write_text(
        'schema = 1\nid = "ny"\nname = "Firm policy for NY staff"\n[period]\nmonths = 12\nanchor = 2026-12-31\n'
        '[[rule]]\nid = "total"\nkind = "min"\nhours = 3\n')
    assert cpe("profile", "use", "ny").exit_code == 0
    listed = {item["id"]: item for item in json.loads(cpe("profile", "list", "--json").stdout)}
    assert listed["ny"]["origin"].endswith("ny.toml") and listed["ny"]["name"] == "Firm policy for NY staff"
    assert cpe("status", "--check").exit_code == 0


def test_a_malformed_user_profile_names_the_file_and_key(cpe, home):
    (home / "profiles").mkdir(parents=True)
    (home / "profiles" / "mine.toml").write_text(
        'schema = 1\nid = "mine"\nname = "Mine"\n[period]\nmonths = 12\nanchor = 2026-12-31\n'
        '[[rule]]\nid = "total"\nkind = "min"\nhours = 3\nhourz = 4\n')
    result = cpe("status", "--profile", "mine")
    assert result.exit_code == 2
    assert "mine.toml" in result.stderr and "hourz" in result.stderr


def test_backups_carry_tags_and_tracked_profiles(cpe, tmp_path, monkeypatch):
    record(cpe)
    cpe("edit", "1", "--tag", "fraud")
    cpe("profile", "use", "ny")
    archive = tmp_path / "b.tar.gz"
    assert cpe("backup", str(archive)).exit_code == 0
    monkeypatch.setenv("CPE_HOME", str(tmp_path / "restored"))
    assert cpe("restore", str(archive)).exit_code == 0
    assert json.loads(cpe("show", "1", "--json").stdout)["tags"] == ["fraud"]
    assert json.loads(cpe("profile", "list", "--json").stdout)[0] == {
        **json.loads(cpe("profile", "list", "--json").stdout)[0], "id": "ny", "tracked": True}


# -- a one-rule profile agrees with `cpe total` ------------------------------------------------

DAYS = st.integers(0, 3 * 365).map(lambda n: date(2024, 1, 1) + timedelta(days=n))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.lists(st.tuples(DAYS, st.integers(1, 4000).map(lambda h: Decimal(h) / 100)), max_size=8),
       hours=st.integers(1, 60))
def test_a_one_rule_profile_agrees_with_cpe_total(cpe, tmp_path_factory, monkeypatch, entries, hours):
    home = tmp_path_factory.mktemp("agree") / "home"
    monkeypatch.setenv("CPE_HOME", str(home))
    monkeypatch.setenv("CPE_TODAY", "2026-12-31")
    for number, (day, credits) in enumerate(entries):
        assert cpe(*add_args(title=f"Course {number}", credits=str(credits), date=day.isoformat(),
                             delivery="QAS Self Study")).exit_code == 0
    (home / "profiles").mkdir(parents=True, exist_ok=True)
    (home / "profiles" / "one.toml").write_text(
        f'schema = 1\nid = "one"\nname = "One rule"\n[period]\nmonths = 24\nanchor = 2026-06-30\n'
        f'[[rule]]\nid = "total"\nkind = "min"\nhours = {hours}\n')
    status = json.loads(cpe("status", "--profile", "one", "--json").stdout)["profiles"][0]
    window = status["requirements"][0]["window"]
    total = cpe("total", "--from", window["start"], "--to", window["end"])
    assert Decimal(str(status["requirements"][0]["counted"])) == Decimal(total.stdout.strip())
    assert status["met"] == (Decimal(total.stdout.strip()) >= hours)


def test_a_version_1_ledger_gains_tags_and_tracked_profiles_and_keeps_its_records(cpe, home):
    make_version_1_ledger(home)
    listed = json.loads(cpe("list", "--format", "json", "--preset", "all").stdout)
    assert [(item["title"], item["tags"]) for item in listed] == [("Lease accounting", []), ("Ethics 2025", [])]
    assert cpe("edit", "1", "--tag", "ca-regulatory-review").exit_code == 0
    assert cpe("profile", "use", "ny").exit_code == 0
    assert cpe("verify").exit_code == 0


# -- summed rows give the figures of record-by-record evaluation ------------------------------------

FIELDS = ["Taxes", "Personal Development", "Regulatory Ethics", "Accounting", "Communications and Marketing"]
METHODS = ["Group Live", "Nano Learning", "QAS Self Study"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.integers(0, 5 * 365), st.integers(20, 3000), st.sampled_from(FIELDS),
                               st.sampled_from(METHODS), st.sampled_from(["", "fraud", "tx-ethics", "fl-ethics", "tx-certification",
                                                        "il-instruction", "il-authorship"])),
                     max_size=60),
       as_of=st.integers(0, 5 * 365), day=st.integers(1, 28))
def test_the_rows_status_reads_give_the_figures_of_every_record(tmp_path_factory, rows, as_of, day):
    """What status reads fast (month sums, records one by one only while their order decides) gives exactly
    what each record one by one gives, for every built-in profile (TX and IL have caps that overlap)."""
    from cpe_cli.core import compliance
    from cpe_cli.core.profiles import builtin_profiles
    from cpe_cli.core.records import build_record
    from cpe_cli.ops.compliance import entries_for
    from cpe_cli.store import compliance as stored
    from cpe_cli.store.ledger import open_ledger

    home = tmp_path_factory.mktemp("sums") / "home"
    start = date(2022, 1, 1)
    when = start + timedelta(days=as_of)
    with open_ledger(home) as ledger:
        for offset, hundredths, field, method, tag in rows:
            record, _ = build_record({"title": f"T{offset}", "credits": str(Decimal(hundredths) / 100),
                                      "field_of_study": field, "delivery_method": method, "provider": "P",
                                      "date": (start + timedelta(days=offset)).isoformat(), "tags": tag},
                                     date(2030, 1, 1))
            ledger.add(record)
        for profile in builtin_profiles().values():
            words = frozenset(word for rule in profile.rules for word in rule.applies_if)
            for end in ([None] if profile.anchor else [date(2027, 3, 31), date(2027, 3, day)]):
                span = compliance.evaluation_span(profile, when, end, words)
                exact = compliance.evaluate(profile, stored.compliance_entries(ledger, *span),
                                            as_of=when, period_end=end, declared=words)
                fast = compliance.evaluate(profile, entries_for(ledger, profile, words, when, end), as_of=when,
                                           period_end=end, declared=words)
                assert fast == exact, (profile.id, end)


MIXED_CAPS = """schema = 1
id = "mixed"
name = "Caps every which way"
[period]
months = 24
[groups]
nano = { methods = ["Nano Learning"] }
soft = { fields = ["@non-technical"] }
taxes = { fields = ["Taxes"] }
fraud = { tags = ["fraud"] }
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
id = "pick"
kind = "any_of"
lookback_months = 36
options = [{ hours = 30 }, { hours = 12, in = "taxes" }]
[[rule]]
id = "taxes"
kind = "min"
hours = 6
in = "taxes"
lookback_months = 5
{caps}
"""
CAPS = ["""[[rule]]
id = "nano-cap"
kind = "max"
in = "nano"
percent = 25
""", """[[rule]]
id = "soft-cap"
kind = "max"
in = "soft"
hours = 8
""", """[[rule]]
id = "fraud-cap"
kind = "max"
in = "fraud"
percent = 10
applies_to = ["total", "yearly", "pick", "taxes"]
"""]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.integers(0, 3 * 365), st.integers(20, 1500), st.sampled_from(FIELDS),
                               st.sampled_from(METHODS), st.sampled_from(["", "", "fraud"])), min_size=8, max_size=80),
       as_of=st.integers(365, 4 * 365), day=st.integers(1, 31), order=st.permutations(CAPS))
def test_summed_rows_are_exact_whatever_the_order_and_windows_of_overlapping_caps(tmp_path_factory, rows, as_of,
                                                                                  day, order):
    """Caps that overlap, in every order (a cap that cuts before a full one shares its cut), per year, for
    any_of options with their own rooms, periods ending mid-month: the rows status reads (month sums, and
    records one by one only while their order decides) give exactly the figures of every record."""
    from cpe_cli.core import compliance
    from cpe_cli.core.profiles import parse_profile
    from cpe_cli.core.records import build_record
    from cpe_cli.ops.compliance import entries_for
    from cpe_cli.store import compliance as stored
    from cpe_cli.store.ledger import open_ledger

    profile = parse_profile(MIXED_CAPS.replace("{caps}", "".join(order)), "mixed.toml")
    home = tmp_path_factory.mktemp("mixed") / "home"
    start = date(2023, 1, 1)
    when = start + timedelta(days=as_of)
    end = date(2026, 1, 1) + timedelta(days=day - 1)  # 2026-01-01 .. 2026-01-31: mid-month and the month's end
    with open_ledger(home) as ledger:
        for offset, hundredths, field, method, tag in rows:
            record, _ = build_record({"title": f"T{offset}", "credits": str(Decimal(hundredths) / 100),
                                      "field_of_study": field, "delivery_method": method, "provider": "P",
                                      "date": (start + timedelta(days=offset)).isoformat(), "tags": tag},
                                     date(2030, 1, 1))
            ledger.add(record)
        span = compliance.evaluation_span(profile, when, end)
        exact = compliance.evaluate(profile, stored.compliance_entries(ledger, *span), as_of=when, period_end=end)
        fast = compliance.evaluate(profile, entries_for(ledger, profile, frozenset(), when, end), as_of=when,
                                   period_end=end)
    assert fast == exact


ORDER_CAPS = """schema = 1
id = "order"
name = "Caps whose order shows"
[period]
months = 12
anchor = 2026-12-31
[groups]
nano = { methods = ["Nano Learning"] }
soft = { fields = ["@non-technical"] }
fraud = { tags = ["fraud"] }
[[rule]]
id = "total"
kind = "min"
hours = 40
[[rule]]
id = "soft-cap"
kind = "max"
in = "soft"
hours = 8
[[rule]]
id = "nano-cap"
kind = "max"
in = "nano"
hours = 5
[[rule]]
id = "fraud-cap"
kind = "max"
in = "fraud"
hours = 6
"""


@pytest.mark.parametrize("records, counted, cut_by", [
    # The Nano cap is full first. Non-technical Nano courses then count nothing, but the non-technical cap,
    # applied before it, takes the part of their cut beyond its own room, which the course in between uses.
    ([("Taxes", "Nano Learning", "5", ""), ("Personal Development", "Nano Learning", "3", ""),
      ("Personal Development", "Group Live", "7", ""), ("Personal Development", "Nano Learning", "3", "")],
     12, {"soft-cap": 2, "nano-cap": 4}),
    # The Nano cap is full first; a record under the two caps that still have room (non-technical, fraud)
    # counts what both have left, so which record comes first still decides.
    # (Summed, the last four give 8 or 12 hours, not 10, in whatever order they come.)
    ([("Taxes", "Nano Learning", "6", ""), ("Personal Development", "Group Live", "4", "fraud"),
      ("Personal Development", "Group Live", "6", ""), ("Taxes", "Group Live", "5", "fraud"),
      ("Personal Development", "Group Live", "2", "fraud")],
     15, {"soft-cap": 4, "nano-cap": 1, "fraud-cap": 3}),
])
def test_the_walk_goes_on_while_a_cap_with_room_can_still_be_decided_by_order(home, records, counted, cut_by):
    """Once a cap is full, summed rows are exact only when no record left is under two caps with room, and
    none under a full cap is first under a cap with room: here each case needs the records one by one."""
    from cpe_cli.core import compliance
    from cpe_cli.core.profiles import parse_profile
    from cpe_cli.core.records import build_record
    from cpe_cli.ops.compliance import entries_for
    from cpe_cli.store import compliance as stored
    from cpe_cli.store.ledger import open_ledger

    profile = parse_profile(ORDER_CAPS, "order.toml")
    when = date(2026, 6, 30)
    with open_ledger(home) as ledger:
        for number, (field, method, credits, tag) in enumerate(records):
            record, _ = build_record({"title": f"T{number}", "credits": credits, "field_of_study": field,
                                      "delivery_method": method, "provider": "P", "tags": tag,
                                      "date": (date(2026, 2, 1) + timedelta(days=number)).isoformat()},
                                     date(2030, 1, 1))
            ledger.add(record)
        exact = compliance.evaluate(profile, stored.compliance_entries(ledger, date(2026, 1, 1), when), as_of=when)
        fast = compliance.evaluate(profile, entries_for(ledger, profile, frozenset(), when, None), as_of=when)
    total = fast.requirements[0]
    assert (total.counted, dict(total.cut_by)) == (counted, cut_by)
    assert fast == exact


def test_overlapping_caps_take_records_in_date_order_even_when_summed_rows_would_not(cpe, monkeypatch):
    """Texas caps non-technical and Nano hours at 60 each (50% of 120). In date order a course that is both
    fills both caps, so the two after it count nothing; summed by month, they would count 120 instead of 60."""
    monkeypatch.setenv("CPE_TODAY", "2026-06-11")
    for day, field, method in [("2026-03-01", "Personal Development", "Nano Learning"),
                               ("2026-03-02", "Personal Development", "Group Live"),
                               ("2026-03-03", "Taxes", "Nano Learning")]:
        assert cpe(*add_args(title=f"{field} {method}", credits="60", field=field, delivery=method,
                             date=day)).exit_code == 0
    result = json.loads(cpe("status", "--profile", "tx", "--period-end", "2026-08-31", "--json").stdout)
    three_year = next(item for item in result["profiles"][0]["requirements"] if item["id"] == "three-year")
    assert (three_year["earned"], three_year["counted"]) == (180, 60)


def test_a_year_that_closed_short_is_missed_not_asked_for_and_status_fits_80_columns(cpe, monkeypatch):
    """California, period 2025-04-01 to 2027-03-31, evaluated on 2026-12-02: the first year (to 2026-03-31)
    closed with 7.83 of its 20 hours. It is missed (no hour earned now counts for it) and still fails --check,
    but "at least N more hours" speaks only of what is open; two-decimal figures keep every line within 80."""
    monkeypatch.setenv("CPE_TODAY", "2026-12-02")
    monkeypatch.setenv("COLUMNS", "80")
    record(cpe, title="First year", credits="4.33", date="2025-06-01", field="Taxes")
    record(cpe, title="First year, more", credits="3.5", date="2026-03-31", field="Taxes")
    record(cpe, title="Second year", credits="19.7", date="2026-05-01", field="Auditing")
    assert cpe("profile", "use", "ca", "--period-end", "2027-03-31").exit_code == 0
    shown = cpe("status")
    lines = shown.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    first = next(line for line in lines if "yearly@2026-03-31 " in line)
    assert "7.83 / 20.0" in first and first.rstrip().endswith("missed (ended 2026-03-31)")
    assert "  Short: at least 52.47 more hours needed by 2027-03-31." in lines   # total: 80 - 27.53
    assert any(line.startswith("  Missed: yearly@2026-03-31") for line in lines)
    data = json.loads(cpe("status", "--json").stdout)["profiles"][0]
    yearly = {item["id"]: item for item in data["requirements"]}
    assert yearly["yearly@2026-03-31"]["closed"] and not yearly["yearly@2027-03-31"]["closed"]
    assert data["hours_needed"] == 52.47 and data["met"] is False
    checked = cpe("status", "--check")
    assert checked.exit_code == 3
    assert "missed yearly@2026-03-31, yearly-technical@2026-03-31 (closed)" in checked.stderr


@pytest.mark.parametrize("profile_id", ["aicpa", "ca", "ny", "tx", "fl", "il"])
def test_profile_show_wraps_to_80_columns_keeping_addresses_whole(cpe, monkeypatch, profile_id):
    monkeypatch.setenv("COLUMNS", "80")
    shown = cpe("profile", "show", profile_id)
    assert shown.exit_code == 0
    long = [line for line in shown.stdout.splitlines() if len(line) > 80]
    assert all("https://" in line for line in long), long  # an address longer than the line is never split
    words = {"il": "Illinois", "tx": "tx-certification"}.get(profile_id)
    if words:  # the words the terminal used to split (wrapped by the terminal, not by cpe)
        assert words in shown.stdout


def test_records_are_read_one_by_one_only_while_their_order_decides(home, monkeypatch):
    """Texas caps non-technical and Nano Learning hours at 60 each (50% of 120), and certification programs
    too. Order decides only while a record can fall under two caps that both have room: once the
    non-technical cap is full (day 59 here), a non-technical Nano course counts nothing whatever its date,
    and each other Nano course counts until that cap alone is full. So status reads the 60 records up to
    that day one by one, not the 150 up to the day the Nano cap fills, nor the 400 up to a certification cap
    that never fills (at 1,000,000 records this walk once took 5 s). The figures are those of every record."""
    from cpe_cli.core import compliance
    from cpe_cli.core.records import build_record
    from cpe_cli.ops import compliance as ops
    from cpe_cli.store import compliance as stored
    from cpe_cli.store.ledger import open_ledger

    when = date(2026, 8, 31)
    with open_ledger(home) as ledger:
        for number in range(400):
            field, method = (("Personal Development", "Group Live") if number < 50 else
                             ("Personal Development", "Nano Learning") if number < 100 else ("Taxes", "Nano Learning"))
            record, _ = build_record({"title": f"T{number}", "credits": "1", "field_of_study": field,
                                      "delivery_method": method, "provider": "P",
                                      "date": (date(2025, 1, 1) + timedelta(days=number)).isoformat()},
                                     date(2030, 1, 1))
            ledger.add(record)
        read_one_by_one = []
        original = stored.compliance_entries

        def counting(*args, **kwargs):
            for entry in original(*args, **kwargs):
                read_one_by_one.append(entry)
                yield entry

        monkeypatch.setattr(stored, "compliance_entries", counting)
        profile = ops.load_profiles(home, ["tx"])["tx"]
        entries = ops.entries_for(ledger, profile, frozenset(), when, when)
        monkeypatch.setattr(stored, "compliance_entries", original)
        exact = compliance.evaluate(profile, stored.compliance_entries(ledger, date(2023, 9, 1), when),
                                    as_of=when, period_end=when)
    assert sum(entry[2] for entry in entries) == 400
    assert len(read_one_by_one) == 60, len(read_one_by_one)
    fast = compliance.evaluate(profile, entries, as_of=when, period_end=when)
    assert fast == exact
    three_year = next(item for item in fast.requirements if item.id == "three-year")
    assert (three_year.earned, three_year.counted) == (400, 110)     # 60 non-technical, then 50 more Nano
    assert dict(three_year.cut_by) == {"non-technical-cap": 40, "nano-cap": 250}
