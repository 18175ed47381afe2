"""Every row of the record field table, on the core validators."""

from datetime import date
from decimal import Decimal

import pytest

from cpe_cli.core.errors import CpeError
from cpe_cli.core.records import build_record, check_record

TODAY = date(2026, 6, 11)
VALID = {"title": "Ethics for CPAs", "credits": "2", "field_of_study": "reg ethics", "state": "ca",
         "date": "06/01/2026", "delivery_method": "group-live", "provider": "AICPA",
         "description": "Annual update", "source": None}


def build(**changes):
    return build_record({**VALID, **changes}, TODAY)


def refused(**changes) -> str:
    with pytest.raises(CpeError) as raised:
        build(**changes)
    assert raised.value.exit_code == 2
    return raised.value.message


def test_a_valid_record_is_stored_canonical():
    record, warnings = build()
    assert record.title == "Ethics for CPAs"
    assert record.credits == Decimal("2")
    assert record.field_of_study == "Regulatory Ethics"
    assert record.state == "CA"
    assert record.completed_on == date(2026, 6, 1)
    assert record.delivery_method == "Group Live"
    assert record.provider == "AICPA"
    assert record.source == "external"
    assert warnings == []


def test_title_is_trimmed_and_bounded():
    assert build(title="  Padded  ")[0].title == "Padded"
    assert build(title="x" * 300)[0].title == "x" * 300
    assert "at most 300" in refused(title="x" * 301)
    assert "title is required" in refused(title="   ")
    assert "title is required" in refused(title=None)


@pytest.mark.parametrize("bad", ["nul\x00byte", "esc\x1b[31mred", "tab\there", "line\nbreak", "bell\x07",
                                 "c1\x9bcontrol", "rtl\u202eoverride"])
def test_title_refuses_control_characters(bad):
    assert "control character" in refused(title=bad)


def test_title_allows_any_printable_unicode():
    assert build(title="Éthique & Déontologie — 2026 ✓ 日本")[0].title == "Éthique & Déontologie — 2026 ✓ 日本"


def test_credits_are_required_and_parsed_by_the_credit_rules():
    assert build(credits="1.50")[0].credits == Decimal("1.5")
    assert "credits '0'" in refused(credits="0")  # the rules themselves: test_credits.py
    assert "credits are required" in refused(credits=None)


def test_credit_increment_breaks_warn_not_refuse():
    record, warnings = build(credits="0.5", delivery_method="Group Live")
    assert record.credits == Decimal("0.5")
    assert len(warnings) == 1 and "Group Live" in warnings[0]


def test_field_of_study_required_and_matched():
    assert "field of study is required" in refused(field_of_study=None)
    assert "ambiguous" in refused(field_of_study="acc")


def test_state_is_optional_and_stored_as_code():
    assert build(state=None)[0].state is None
    assert build(state="New York")[0].state == "NY"
    assert "unknown state" in refused(state="Narnia")


def test_date_defaults_to_today_and_refuses_future_and_impossible():
    assert build(date=None)[0].completed_on == TODAY
    assert "in the future" in refused(date="2026-06-12")  # the date forms themselves: test_periods.py


def test_date_required_for_imports():
    check = check_record({**VALID, "date": ""}, TODAY, date_required=True)
    assert [name for name, _ in check.errors] == ["date"]


def test_delivery_method_required_and_matched():
    assert build(delivery_method="nano", credits="0.2")[0].delivery_method == "Nano Learning"
    assert "delivery method is required" in refused(delivery_method=None)


def test_provider_is_trimmed_and_bounded():
    assert build(provider=" Becker ")[0].provider == "Becker"
    assert "provider is required" in refused(provider="")
    assert "at most 200" in refused(provider="p" * 201)


def test_description_optional_bounded_and_may_have_newlines():
    assert build(description=None)[0].description == ""
    assert build(description="line one\r\nline two")[0].description == "line one\nline two"
    assert build(description="d" * 5000)[0].description == "d" * 5000
    assert "at most 5000" in refused(description="d" * 5001)
    assert "control character" in refused(description="bad\x1b[2J")


def test_source_defaults_external_and_accepts_lumiq_only():
    assert build(source="lumiq")[0].source == "lumiq"
    assert "unknown source" in refused(source="coursera")


def test_every_problem_is_reported_at_once_in_form_order():
    check = check_record({"title": "", "credits": "abc", "field_of_study": "zzz", "delivery_method": "",
                          "provider": ""}, TODAY)
    assert [name for name, _ in check.errors] == ["title", "credits", "field_of_study", "delivery_method",
                                                  "provider"]
