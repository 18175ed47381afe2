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
