"""The list table fits the terminal: at 60 to 200 columns no line is wider than the screen and no word is split.

Run in a real pseudo-terminal (pexpect) through the installed script, as a user sees it.
"""

from __future__ import annotations

import json
import os
import re

import pexpect
import pytest

from support import add_args, installed_cpe, run_cpe

RECORDS = [
    ("Ethics for California CPAs: Regulatory Review", "4", "Regulatory Ethics", "Group Live", "CalCPA Education Foundation", "CA"),
    ("Lease accounting under ASC 842", "1.5", "Accounting", "Group Internet Based", "AICPA", None),
    ("Business Management & Organization for partners", "8", "Business Management & Organization", "QAS Self Study",
     "Becker Professional Education", None),
    ("Excel", "0.2", "Computer Software & Applications", "Nano Learning", "Lumiq", None),
    ("Governmental auditing update", "2.5", "Auditing (Governmental)", "Blended Learning", "Surgent", "NY"),
]


@pytest.fixture
def ledger(cpe):
    for number, (title, credits, field, method, provider, state) in enumerate(RECORDS):
        overrides = dict(title=title, credits=credits, field=field, delivery=method, provider=provider,
                         date=f"2026-0{number + 1}-15")
        if state:
            overrides["state"] = state
        assert cpe(*add_args(**overrides)).exit_code == 0


def table_at(width: int) -> list[str]:
    env = {**os.environ, "TERM": "dumb", "COLUMNS": str(width), "LINES": "200"}
    child = pexpect.spawn(installed_cpe(), ["list", "--preset", "all", "--no-pager"], env=env, encoding="utf-8",
                          dimensions=(200, width), timeout=20)
    text = child.read()
    child.close()
    assert child.exitstatus == 0, text
    return [line for line in text.replace("\r\n", "\n").split("\n")]


@pytest.mark.parametrize("width", [60, 80, 100, 120, 200])
def test_no_line_is_wider_than_the_terminal_and_no_word_is_split(ledger, width):
    lines = table_at(width)
    assert max(len(line) for line in lines) <= width, "\n".join(lines)
    shown_words = {word for line in lines for word in line.split()}
    for title, *_ in RECORDS:
        for word in title.split():
            assert word in shown_words, (word, "\n".join(lines))
    header = next(line for line in lines if line.startswith("ID"))
    assert "Title" in header and "Credits" in header
    assert "ate" not in header.split()  # the header never wraps ("St" / "ate")


def test_credits_read_with_one_decimal_at_least(ledger):
    lines = table_at(200)
    row = next(line for line in lines if "Excel" in line)
    assert re.search(r"\b0\.2\b", row) and not re.search(r"\b0\.20\b", row)
    assert any(re.search(r"\b4\.0\b", line) for line in lines if "California" in line)


def test_narrow_terminals_name_the_columns_left_out(ledger):
    narrow = "\n".join(table_at(60))
    assert "Not shown at this width:" in narrow and "Delivery" in narrow.split("Not shown at this width:")[1]
    wide = "\n".join(table_at(200))
    assert "Not shown" not in wide and "Delivery" in wide and "Provider" in wide


def test_a_view_with_one_source_and_no_states_drops_those_columns(cpe):
    cpe(*add_args(title="Only external"))
    lines = table_at(200)
    header = next(line for line in lines if line.startswith("ID"))
    assert "Source" not in header and "State" not in header and "Tags" not in header


def test_tags_are_a_column_once_a_record_in_view_has_one(ledger, cpe):
    """The tags profiles read (fl-ethics, fraud) show in the table, not only in CSV and JSON."""
    assert cpe("edit", "1", "--tag", "fraud", "--tag", "fl-ethics").exit_code == 0
    lines = table_at(200)
    header = next(line for line in lines if line.startswith("ID"))
    assert "Tags" in header
    row = next(line for line in lines if "Ethics for California CPAs" in line)
    assert "fl-ethics fraud" in row
    # Narrowing the terminal gives Tags up before Provider: at some width one is left out and the other shown.
    tags_only_left_out = []
    for width in (60, 70, 80, 90, 100):
        text = "\n".join(table_at(width))
        header = next(line for line in text.split("\n") if line.startswith("ID"))
        left_out = text.split("Not shown at this width:")[1] if "Not shown" in text else ""
        assert "Tags" in header or "Tags" in left_out
        assert "Provider" in header or "Tags" in left_out, text
        tags_only_left_out.append("Tags" in left_out and "Provider" in header)
    assert any(tags_only_left_out)


def test_a_long_table_goes_through_the_pager(ledger, tmp_path):
    """Taller than the screen: the pager ($CPE_PAGER) gets the table; --no-pager prints it directly."""
    captured = tmp_path / "paged.txt"
    env = {**os.environ, "TERM": "dumb", "CPE_PAGER": f"cat > {captured}", "LINES": "5", "COLUMNS": "120"}
    child = pexpect.spawn(installed_cpe(), ["list", "--preset", "all"], env=env, encoding="utf-8",
                          dimensions=(5, 120), timeout=20)
    child.read()
    child.close()
    assert child.exitstatus == 0
    assert "Ethics for California CPAs" in captured.read_text()
    captured.unlink()
    child = pexpect.spawn(installed_cpe(), ["list", "--preset", "all", "--no-pager"], env=env, encoding="utf-8",
                          dimensions=(5, 120), timeout=20)
    direct = child.read()
    child.close()
    assert "Ethics for California CPAs" in direct and not captured.exists()


def test_without_a_pager_a_terminal_gets_a_screenful_of_the_newest_rows(cpe, tmp_path):
    """25 records on a 24-line terminal: --no-pager shows the newest 13 (24 less the title, header, caption,
    notes and the prompt) and says how to see the rest; through a pager, all 25 (up to 1,000)."""
    for day in range(1, 26):
        assert cpe(*add_args(title=f"Course of day {day}", date=f"2026-03-{day:02d}")).exit_code == 0
    env = {**os.environ, "TERM": "dumb", "LINES": "24", "COLUMNS": "120"}
    child = pexpect.spawn(installed_cpe(), ["list", "--preset", "all", "--no-pager"], env=env, encoding="utf-8",
                          dimensions=(24, 120), timeout=20)
    direct = child.read()
    child.close()
    assert child.exitstatus == 0, direct
    shown = re.findall(r"Course of day (\d+)", direct)
    assert shown == [str(day) for day in range(25, 12, -1)], direct
    assert "showing the newest 13 of 25 records (a screenful; --limit 0 shows all)" in direct
    assert "25 records" in direct  # the caption still covers the whole view
    captured = tmp_path / "paged.txt"
    child = pexpect.spawn(installed_cpe(), ["list", "--preset", "all"], env={**env, "CPE_PAGER": f"cat > {captured}"},
                          encoding="utf-8", dimensions=(24, 120), timeout=20)
    notes = child.read()
    child.close()
    assert len(re.findall(r"Course of day (\d+)", captured.read_text())) == 25 and "showing" not in notes


def test_filters_in_force_are_visible(ledger):
    run_cpe("edit", "2", "--tag", "fraud")
    listed = run_cpe("list", "--preset", "all", "--field", "accounting", "--tag", "fraud")
    assert listed.exit_code == 0, listed.stderr
    assert listed.stdout.splitlines()[0] == "CPE records: all dates (All sources · Accounting · tagged fraud)"
    total = json.loads(run_cpe("total", "--json", "--field", "auditing (gov)", "--preset", "all").stdout)
    assert total["fields"] == ["Auditing (Governmental)"] and total["tags"] == [] and total["total"] == 2.5


from hypothesis import given, settings, strategies as st  # noqa: E402

WORDS = st.lists(st.text(st.sampled_from("abcdefghijKLMNOP-:()éü界語"), min_size=1, max_size=30), min_size=1,
                 max_size=12)


@settings(max_examples=300, deadline=None)
@given(words=WORDS, width=st.integers(min_value=1, max_value=40))
def test_wrapping_keeps_every_word_and_splits_only_words_wider_than_the_column(words, width):
    """The hand-written wrap of the list's cells: no line wider than its column (by display width), the
    words in order, and a word broken only when it alone is wider than the column."""
    from cpe_cli.cli.table import _wrap, display_width

    text = " ".join(words)
    lines = _wrap(text, width)
    assert all(display_width(line) <= width for line in lines if len(line) > 1)
    assert "".join("".join(lines).split()) == "".join(words)
    for word in words:
        if display_width(word) <= width:
            assert any(word in line.split() for line in lines), (word, lines)
