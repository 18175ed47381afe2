"""Credits are exact decimals with NASBA increment warnings (core)."""

from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from cpe_cli.core.credits import canonical_text, format_total, from_hundredths, increment_warning, parse_credits, \
    to_hundredths
from cpe_cli.core.errors import CpeError


@pytest.mark.parametrize("text, value", [("1", "1"), ("1.5", "1.5"), ("0.2", "0.2"), ("1000", "1000"),
                                         (" 2.50 ", "2.50"), ("0.01", "0.01"), (".5", "0.5")])
def test_accepted_credits(text, value):
    assert parse_credits(text) == Decimal(value)


@pytest.mark.parametrize("text", ["0", "0.00", "-1", "nan", "NaN", "inf", "-inf", "Infinity", "1e309", "1e1",
                                  "1.234", "abc", "", "   ", "1000.01", "1,5", "0x10", "١٢"])
def test_refused_credits(text):
    with pytest.raises(CpeError) as raised:
        parse_credits(text)
    assert raised.value.exit_code == 2


def test_ten_tenths_are_exactly_one():
    total = sum((to_hundredths(parse_credits("0.1")) for _ in range(10)), 0)
    assert from_hundredths(total) == Decimal("1")
    assert format_total(from_hundredths(total)) == "1.0"


@pytest.mark.parametrize("entered, shown", [("1.5", "1.5"), ("1.50", "1.50"), ("01.5", "1.5"), ("3", "3"),
                                            ("3.", "3"), ("0.2", "0.2")])
def test_stored_text_is_what_was_entered(entered, shown):
    assert canonical_text(parse_credits(entered)) == shown


@given(st.lists(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000"), places=2), max_size=50))
def test_sums_are_exact(values):
    hundredths = sum(to_hundredths(parse_credits(canonical_text(v))) for v in values)
    assert from_hundredths(hundredths) == sum(values, Decimal(0))


@pytest.mark.parametrize("credits, method, warns", [
    ("1", "Group Live", False), ("1.2", "Group Live", False), ("2.5", "Group Internet Based", False),
    ("3.8", "Blended Learning", False), ("0.5", "Group Live", True), ("1.3", "Group Live", True),
    ("1.25", "Group Internet Based", True), ("0.4", "QAS Self Study", True), ("1.75", "QAS Self Study", True),
    ("0.2", "Nano Learning", False), ("0.4", "Nano Learning", True), ("1", "Nano Learning", True),
    # QAS Self Study: 0.5 is the minimum and the only value below the first full credit; fifths or halves
    # come only after it (2016 Standards as revised through 2024), so 0.6 and 0.8 warn and 1.2 does not.
    ("0.5", "QAS Self Study", False), ("0.6", "QAS Self Study", True), ("0.8", "QAS Self Study", True),
    ("0.9", "QAS Self Study", True), ("1", "QAS Self Study", False), ("1.2", "QAS Self Study", False),
    ("1.5", "QAS Self Study", False), ("1.3", "QAS Self Study", True),
    # Independent Study follows the group rule in the 2016 Standards: at least 1, then fifths or halves.
    ("0.3", "Independent Study", True), ("0.5", "Independent Study", True), ("0.99", "Independent Study", True),
    ("1", "Independent Study", False), ("1.2", "Independent Study", False), ("1.5", "Independent Study", False),
    ("1.3", "Independent Study", True), ("10.8", "Independent Study", False),
])
def test_nasba_increment_warnings(credits, method, warns):
    assert (increment_warning(Decimal(credits), method) is not None) == warns


@pytest.mark.parametrize("credits, method", [("0.6", "QAS Self Study"), ("0.3", "Independent Study"),
                                             ("1.3", "Group Live"), ("0.4", "Nano Learning")])
def test_increment_warnings_name_the_standards_edition(credits, method):
    """The 2026 Standards change the increments, so each warning says which edition it applies."""
    warning = increment_warning(Decimal(credits), method)
    assert "2016-2024 NASBA Standards" in warning and method in warning and credits in warning


def test_qas_below_one_warning_says_what_is_allowed():
    warning = increment_warning(Decimal("0.6"), "QAS Self Study")
    assert "only 0.5" in warning and "first full credit" in warning


def test_every_increment_rule_names_its_edition():
    from cpe_cli.core import catalog

    for method in catalog.DELIVERY_METHODS:
        assert method.standard == catalog.STANDARDS_EDITION
    assert "2016" in catalog.STANDARDS_EDITION and "2024" in catalog.STANDARDS_EDITION
    assert "2026" in catalog.STANDARDS_NEXT
