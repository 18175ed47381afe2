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
