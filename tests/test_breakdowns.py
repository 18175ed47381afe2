"""`cpe total --by KEY`: the credits of a view per field, method, source, month, year or tag; sums equal the total."""

import csv
import io
import json
from decimal import Decimal

import pytest

from support import add_args


@pytest.fixture
def ledger(cpe):
    for title, credits, field, day, source in [("A", "4", "Taxes", "2026-01-15", "external"),
                                               ("B", "1.5", "Auditing", "2026-03-02", "lumiq"),
                                               ("C", "2.25", "Taxes", "2026-03-30", "external"),
                                               ("D", "8", "Personal Development", "2025-11-01", "lumiq")]:
        assert cpe(*add_args(title=title, credits=credits, field=field, date=day, source=source)).exit_code == 0
    assert cpe("edit", "2", "--tag", "fraud", "--tag", "fl-ethics").exit_code == 0
    assert cpe("edit", "3", "--tag", "fraud").exit_code == 0


@pytest.mark.parametrize("key", ["field", "delivery", "source", "month", "year", "tag"])
def test_rows_add_up_to_the_total_of_the_same_view(cpe, ledger, key):
    data = json.loads(cpe("total", "--by", key, "--json", "--preset", "all").stdout)
    total = Decimal(cpe("total", "--preset", "all").stdout.strip())
    assert Decimal(str(data["total"])) == total
    rows = sum(Decimal(str(row["credits"])) for row in data["rows"])
    if key == "tag":  # a record with two tags counts under each; untagged ones are not listed
        assert rows == Decimal("1.5") * 2 + Decimal("2.25")
    else:
        assert rows == total


def test_months_come_in_order_with_empty_ones_as_zero(cpe, ledger):
    data = json.loads(cpe("total", "--by", "month", "--json", "--year", "2026").stdout)
    assert [row["key"] for row in data["rows"]] == [f"2026-{month:02d}" for month in range(1, 7)]  # to today
    assert [row["credits"] for row in data["rows"]] == [4.0, 0.0, 3.75, 0.0, 0.0, 0.0]


def test_fields_come_by_credits_and_csv_has_the_same_numbers(cpe, ledger):
    table = cpe("total", "--by", "field", "--preset", "all").stdout
    lines = table.splitlines()
    assert lines[0] == "CPE credits by field: all dates (All sources)"
    assert [line.split("  ")[0] for line in lines[3:6]] == ["Personal Development", "Taxes", "Auditing"]
    assert lines[-1] == "Total: 15.75 credits, 4 records"
    rows = list(csv.DictReader(io.StringIO(cpe("total", "--by", "field", "--format", "csv", "--preset", "all").stdout)))
    assert [(row["field"], row["credits"], row["count"]) for row in rows] == [
        ("Personal Development", "8.0", "1"), ("Taxes", "6.25", "2"), ("Auditing", "1.5", "1")]


def test_a_bad_key_or_format_is_refused(cpe, ledger):
    assert "accepted: field, delivery, source, month, year, tag" in cpe("total", "--by", "weekday").stderr
    assert cpe("total", "--format", "csv").exit_code == 2
