"""Record tags: normalised on the way in, refused with the value and the rule (core only)."""

import pytest
from hypothesis import given, settings, strategies as st

from cpe_cli.core.errors import CpeError
from cpe_cli.core.tags import TAG_MAX, normalize_tag, normalize_tags


@pytest.mark.parametrize("typed, stored", [
    ("fl-ethics", "fl-ethics"), (" FL-Ethics ", "fl-ethics"), ("CA-REGULATORY-REVIEW", "ca-regulatory-review"),
    ("fraud", "fraud"), ("2024", "2024"), ("a", "a"), ("x" * TAG_MAX, "x" * TAG_MAX), ("9a-", "9a-"),
])
def test_accepted_tags(typed, stored):
    assert normalize_tag(typed) == stored


@pytest.mark.parametrize("typed, why", [
    ("", "empty"), ("   ", "empty"), ("-fraud", "not allowed"), ("a b", "not allowed"), ("a_b", "not allowed"),
    ("fl;ethics", "not allowed"), ("x" * (TAG_MAX + 1), "41 characters"), ("café", "non-ASCII"),
    ("\u212a", "non-ASCII"),  # the Kelvin sign lowercases to an ASCII "k": refused, not folded
    ("tag\n", None), ("a\tb", "not allowed"),
])
def test_refused_tags_name_the_value_and_the_rule(typed, why):
    if why is None:  # trailing whitespace is stripped, not refused
        assert normalize_tag(typed) == "tag"
        return
    with pytest.raises(CpeError) as raised:
        normalize_tag(typed)
    message = raised.value.message
    assert raised.value.exit_code == 2
    assert why in message and "letters, digits and hyphens" in message
    assert repr(typed if why == "empty" else typed.strip()) in message


def test_several_tags_are_sorted_and_deduplicated():
    assert normalize_tags(["fraud", " FL-ethics", "fraud", "fl-ethics"]) == ("fl-ethics", "fraud")
    assert normalize_tags([]) == ()
    with pytest.raises(CpeError, match="list of words"):
        normalize_tags("fraud")
    with pytest.raises(CpeError, match="'bad tag'"):
        normalize_tags(["ok", "bad tag"])


def test_non_text_is_refused():
    with pytest.raises(CpeError):
        normalize_tag(5)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=50))
def test_a_tag_is_either_refused_or_a_stable_ascii_word(text):
    try:
        tag = normalize_tag(text)
    except CpeError as problem:
        assert problem.exit_code == 2
    else:
        assert 1 <= len(tag) <= TAG_MAX and tag.isascii() and tag == tag.lower()
        assert tag[0].isalnum() and all(c.isalnum() or c == "-" for c in tag)
        assert normalize_tag(tag) == tag
