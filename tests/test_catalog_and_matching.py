"""The closed vocabularies and how input is matched against them (core, no CLI)."""

import pytest

from cpe_cli.core import catalog

from cpe_cli.core import records
from cpe_cli.core.errors import CpeError

NASBA_FIELDS = ["Accounting", "Accounting (Governmental)", "Auditing", "Auditing (Governmental)",
                "Behavioral Ethics", "Business Law", "Business Management & Organization",
                "Communications and Marketing", "Computer Software & Applications", "Economics", "Finance",
                "Information Technology", "Management Services", "Personal Development",
                "Personnel/Human Resources", "Production", "Regulatory Ethics", "Specialized Knowledge",
                "Statistics", "Taxes"]


def test_the_twenty_nasba_fields_alphabetical():
    assert list(catalog.FIELD_NAMES) == NASBA_FIELDS
    assert list(catalog.FIELD_NAMES) == sorted(catalog.FIELD_NAMES)


def test_non_technical_split_is_kept_with_the_list():
    assert catalog.NON_TECHNICAL_FIELDS == {
        "Behavioral Ethics", "Business Management & Organization", "Communications and Marketing",
        "Computer Software & Applications", "Personal Development", "Personnel/Human Resources", "Production"}


def test_field_split_cites_nasba_2024_not_the_pre_2016_maryland_page():
    assert "Fields of Study That Qualify for CPE" in catalog.FIELD_GROUPS_SOURCE
    assert "January 2024" in catalog.FIELD_GROUPS_SOURCE
    assert "dllr.state.md.us" not in catalog.FIELD_GROUPS_SOURCE


def test_thirteen_technical_seven_non_technical():
    assert len(catalog.FIELDS_OF_STUDY) == 20
    assert sum(f.technical for f in catalog.FIELDS_OF_STUDY) == 13
    assert len(catalog.NON_TECHNICAL_FIELDS) == 7


def test_fifty_five_jurisdictions_and_no_american_samoa():
    assert len(catalog.JURISDICTIONS) == 55
    assert {"DC", "PR", "GU", "VI", "MP"} <= set(catalog.JURISDICTIONS)
    assert "AS" not in catalog.JURISDICTIONS


@pytest.mark.parametrize("typed, canonical", [
    ("taxes", "Taxes"), ("TAX", "Taxes"), ("reg eth", "Regulatory Ethics"), ("regulatory", "Regulatory Ethics"),
    ("Business Management and Organization", "Business Management & Organization"),
    ("computer software and applications", "Computer Software & Applications"),
    ("Management Advisory Services", "Management Services"), ("accounting", "Accounting"),
    ("Accounting (Governmental)", "Accounting (Governmental)"), ("personnel/hr", None),
    ("stat", "Statistics"), ("spec", "Specialized Knowledge"), ("IT", "Information Technology"),
    ("hr", "Personnel/Human Resources"),
])
def test_field_matching(typed, canonical):
    if canonical is None:
        with pytest.raises(CpeError):
            records.match_field(typed)
    else:
        assert records.match_field(typed) == canonical


def test_ambiguous_field_lists_the_matches():
    with pytest.raises(CpeError) as raised:
        records.match_field("Acc")
    assert raised.value.exit_code == 2
    assert "ambiguous" in raised.value.message
    assert "Accounting, Accounting (Governmental)" in raised.value.message
    assert "Auditing" not in raised.value.message


def test_unknown_field_lists_what_is_accepted():
    with pytest.raises(CpeError) as raised:
        records.match_field("Astrology")
    assert "unknown field of study 'Astrology'; accepted: Accounting, " in raised.value.message  # nothing is close
    assert "Taxes" in raised.value.message


@pytest.mark.parametrize("typed, suggested", [
    ("taxs", "Taxes"), ("Acounting", "Accounting"), ("audting", "Auditing"), ("Regulatory Ehtics", "Regulatory Ethics"),
    ("Personal Developement", "Personal Development"), ("Economcs", "Economics"),
])
def test_a_misspelled_field_is_answered_with_the_name_it_is_close_to(typed, suggested):
    with pytest.raises(CpeError) as raised:
        records.match_field(typed)
    assert raised.value.message.startswith(f"unknown field of study {typed!r} (did you mean {suggested}?); accepted: ")


@pytest.mark.parametrize("typed, canonical", [
    ("Group-Live", "Group Live"), ("group live", "Group Live"), ("self study", "QAS Self Study"),
    ("QAS Self-Study", "QAS Self Study"), ("nano", "Nano Learning"), ("blended", "Blended Learning"),
    ("group internet based", "Group Internet Based"), ("independent", "Independent Study"),
])
def test_delivery_matching(typed, canonical):
    assert records.match_delivery(typed) == canonical


def test_group_prefix_is_ambiguous():
    with pytest.raises(CpeError, match="ambiguous.*Group Live, Group Internet Based"):
        records.match_delivery("group")


@pytest.mark.parametrize("typed, code", [("ca", "CA"), ("California", "CA"), ("new york", "NY"), ("NY", "NY"),
                                         ("district of columbia", "DC"), ("Guam", "GU"), (" tx ", "TX"),
                                         ("", None), (None, None)])
def test_state_matching(typed, code):
    assert records.match_state(typed) == code


@pytest.mark.parametrize("typed", ["ZZ", "American Samoa", "New"])
def test_bad_state_refused(typed):
    with pytest.raises(CpeError):
        records.match_state(typed)

