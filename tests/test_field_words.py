"""A word inside a field's name finds it: "ethics", the most common label on certificates, names both ethics fields."""

import pytest

from cpe_cli.core.errors import CpeError
from cpe_cli.core.records import match_field


def test_a_later_word_that_names_one_field_finds_it():
    assert match_field("marketing") == "Communications and Marketing"
    assert match_field("human resources") == "Personnel/Human Resources"


@pytest.mark.parametrize("word, both", [("ethics", "Behavioral Ethics, Regulatory Ethics"),
                                        ("governmental", "Accounting (Governmental), Auditing (Governmental)")])
def test_a_word_shared_by_fields_names_them_instead_of_listing_all_twenty(word, both):
    with pytest.raises(CpeError) as refused:
        match_field(word)
    assert refused.value.message == f"field of study {word!r} is ambiguous; it matches: {both}"
    assert refused.value.exit_code == 2


@pytest.fixture
def ledger(cpe):
    from support import add_args

    for title, field in [("Reg", "Regulatory Ethics"), ("Beh", "Behavioral Ethics"), ("Tax", "Taxes"),
                         ("Dev", "Personal Development")]:
        assert cpe(*add_args(title=title, field=field, credits="2")).exit_code == 0


def test_a_filter_takes_groups_and_several_fields(cpe, ledger):
    import json

    def total(*fields):
        args = [word for field in fields for word in ("--field", field)]
        return json.loads(cpe("total", "--json", "--preset", "all", *args).stdout)

    assert total("ethics")["total"] == 4.0 and total("ethics")["fields"] == ["Behavioral Ethics", "Regulatory Ethics"]
    assert total("ethics", "tax")["total"] == 6.0
    assert total("non-technical")["total"] == 4.0  # Behavioral Ethics and Personal Development
    assert total("technical")["total"] == 4.0
    title = cpe("list", "--preset", "all", "-f", "ethics", "-f", "tax").stdout.splitlines()[0]
    assert title == "CPE records: all dates (All sources · ethics or Taxes)"


def test_an_unknown_filter_word_names_the_groups_too(cpe, ledger):
    refused = cpe("total", "--field", "xyz")
    assert refused.exit_code == 2 and refused.stderr.rstrip().endswith("or a group: ethics, technical, non-technical")


@pytest.fixture
def audited(cpe):
    """California's groups: aa (accounting and auditing, private and governmental) and government."""
    from support import add_args

    for title, field in [("Aud", "Auditing"), ("Gov", "Auditing (Governmental)"), ("Acc", "Accounting"),
                         ("Tax", "Taxes")]:
        assert cpe(*add_args(title=title, field=field, credits="1.5")).exit_code == 0


def field_total(cpe, *words):
    import json

    args = [part for word in words for part in ("--field", word)]
    result = cpe("total", "--json", "--preset", "all", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_a_tracked_profile_names_more_field_groups(cpe, audited):
    """Once California is tracked, its field-only groups filter like ethics does: bare or qualified."""
    before = cpe("total", "--field", "aa")
    assert before.exit_code == 2 and "unknown field of study 'aa'" in before.stderr
    assert cpe("profile", "use", "ca", "--period-end", "2027-03-31").exit_code == 0
    assert field_total(cpe, "aa")["total"] == 4.5
    assert field_total(cpe, "ca:government")["total"] == 1.5
    assert field_total(cpe, "government", "tax")["total"] == 3.0
    assert field_total(cpe, "aa")["fields"] == ["Accounting", "Accounting (Governmental)", "Auditing",
                                            "Auditing (Governmental)"]
    listing = cpe("list", "--preset", "all", "-f", "aa", "--format", "csv").stdout
    assert sorted(line.split(",")[2] for line in listing.splitlines()[1:]) == ["Acc", "Aud", "Gov"]


def test_a_group_of_tags_is_not_a_field_filter_and_the_error_lists_what_is(cpe, audited):
    assert cpe("profile", "use", "ca", "--period-end", "2027-03-31").exit_code == 0
    refused = cpe("total", "--field", "ca:fraud")
    assert refused.exit_code == 2 and refused.stderr.count("\n") == 1
    assert "unknown field group 'ca:fraud'" in refused.stderr
    assert "or a group: ethics, technical, non-technical, " in refused.stderr and "ca:aa" in refused.stderr
    assert "ca:fraud" not in refused.stderr.split("or a group:")[1]


def test_a_plain_field_never_reads_the_profiles(cpe, audited, monkeypatch):
    from cpe_cli.ops import field_groups

    assert cpe("profile", "use", "ca", "--period-end", "2027-03-31").exit_code == 0
    monkeypatch.setattr(field_groups, "tracked_field_groups", lambda home: pytest.fail("profiles were read"))
    assert field_total(cpe, "taxes", "ethics")["total"] == 1.5
