"""Property-based tests: random strings to every validator, random bytes and rows to the CSV importer.

Whatever arrives, the only exception is ``CpeError`` (one ``Error:`` line, exit
2 or 1, never a traceback), and a refused import writes nothing: the record
count and every file of the home are as they were. Example counts are modest
so that the file runs in seconds; the importer runs in-process through the
core API, and through the command line (in-process, ``run_cpe``). The importer
properties run a sample by default and their full depth as slow trials.
"""

from __future__ import annotations

import csv
import io
import sqlite3
import string
import tempfile
import unicodedata
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cpe_cli.core import catalog
from cpe_cli.core.credits import parse_credits
from cpe_cli.core.errors import CpeError
from cpe_cli.ops.importer import CsvSource, import_csv
from cpe_cli.store.ledger import open_ledger
from cpe_cli.core.periods import completion_date, parse_date
from cpe_cli.core.records import (check_record, clean_description, clean_provider, clean_title, match_delivery,
                             match_field, match_source, match_state)
from support import snapshot

TODAY = date(2026, 6, 11)
FAST = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Text that looks almost right is where validators break: digits, dots, signs, slashes, month names, controls.
NEAR = st.text(alphabet=string.digits + ".,-+/eE:xX \t" + "naifINF", max_size=24)
WORDS = st.sampled_from(["June 11, 2026", "Jun 11 2026", "2026-06-11", "06/11/2026", "0000-01-01", "9999-12-31",
                         "February 30, 2026", "11 June 2026 10:00", "2026", "1e309", "NaN", "Infinity", "-0",
                         "0.005", "1000.00", "1000.001", "\u0661\u0662", "\uff11", "tax", "Group Live", "new",
                         "ca", "Californi", "lumiq", "\x00", "\x1b[2J", "\u202e", " " * 3])
ANY_TEXT = st.one_of(st.text(max_size=60), NEAR, WORDS, st.text(max_size=400),
                     st.builds(lambda a, b: a + b, WORDS, st.text(max_size=10)))

VALIDATORS = {
    "clean_title": clean_title, "clean_provider": clean_provider, "clean_description": clean_description,
    "match_field": match_field, "match_delivery": match_delivery, "match_state": match_state,
    "match_source": match_source, "parse_credits": parse_credits, "parse_date": parse_date,
    "completion_date": lambda text: completion_date(text, TODAY),
}


def _valid(name: str, value) -> None:
    """What an accepted value must look like."""
    if name in ("clean_title", "clean_provider", "clean_description"):
        allowed = "\n\t" if name == "clean_description" else ""
        assert value == value.strip()
        assert not any(unicodedata.category(char) == "Cc" and char not in allowed for char in value)
        assert not any("\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069" for char in value)
    elif name == "match_field":
        assert value in catalog.FIELD_NAMES
    elif name == "match_delivery":
        assert value in catalog.DELIVERY_NAMES
    elif name == "match_state":
        assert value is None or value in catalog.JURISDICTIONS
    elif name == "match_source":
        assert value in catalog.SOURCES
    elif name == "parse_credits":
        assert isinstance(value, Decimal) and 0 < value <= 1000 and value == value.quantize(Decimal("0.01"))
    elif name == "completion_date":
        assert isinstance(value, date) and value <= TODAY
    else:
        assert isinstance(value, date)


@pytest.mark.parametrize("name", sorted(VALIDATORS))
@FAST
@given(text=ANY_TEXT)
def test_a_validator_accepts_cleanly_or_refuses_with_a_cpe_error(name, text):
    try:
        value = VALIDATORS[name](text)
    except CpeError as problem:
        assert problem.exit_code == 2 and problem.message and "\n" not in problem.message
        return
    _valid(name, value)


@FAST
@given(values=st.dictionaries(st.sampled_from(["title", "credits", "field_of_study", "state", "date",
                                               "delivery_method", "provider", "description", "source"]),
                              st.one_of(st.none(), ANY_TEXT)))
def test_check_record_collects_problems_and_never_raises(values):
    check = check_record(values, TODAY, date_required=bool(len(values) % 2))
    assert (check.record is None) == bool(check.errors)


# -- the importer, in-process -------------------------------------------------------------------------

HEADER = ["title", "credits", "field_of_study", "delivery_method", "date", "provider", "state", "description"]
GOOD = {"title": "Ethics", "credits": "2", "field_of_study": "Taxes", "delivery_method": "Group Live",
        "date": "2026-06-01", "provider": "AICPA", "state": "CA", "description": ""}


@st.composite
def rows(draw) -> list[list[str]]:
    """Rows that are mostly valid, with some cells replaced by random text and some rows ragged."""
    result = []
    for number in range(draw(st.integers(0, 6))):
        cells = [GOOD[name] if name != "title" else f"Course {number} {draw(st.integers(0, 10**6))}"
                 for name in HEADER]
        spoiled = draw(st.sets(st.integers(0, len(HEADER) - 1), max_size=3)) if draw(st.booleans()) else ()
        for index in spoiled:
            cells[index] = draw(ANY_TEXT)
        if draw(st.integers(0, 9)) == 0:
            cells = cells[:draw(st.integers(0, len(cells)))]
        result.append(cells)
    return result


def _count(home: Path) -> int:
    conn = sqlite3.connect(home / "cpe.db")
    try:
        return conn.execute("SELECT count(*) FROM records").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def ledger_home(tmp_path) -> Path:
    """One home for all of a test's examples (a refused import must leave it exactly as it was)."""
    home = tmp_path / "property-home"
    with open_ledger(home):
        pass
    return home


def _import_bytes(home: Path, data: bytes):
    """Import ``data`` through the core; returns the result, or the CpeError it was refused with."""
    before_files, before_count = snapshot(home), _count(home)
    try:
        with open_ledger(home) as ledger:
            result = import_csv(ledger, CsvSource(io.BytesIO(data), "random.csv", Path(tempfile.gettempdir()),
                                                  len(data)), today=TODAY)
    except CpeError as problem:
        assert problem.exit_code in (1, 2) and "\n" not in problem.message
        assert _count(home) == before_count and snapshot(home) == before_files
        return problem
    assert _count(home) == before_count + result.added
    assert result.added + result.duplicates == result.rows
    return result


# Each importer property runs a sample of examples in the default run and its full depth as a slow
# trial (CI runs both: `pytest -m slow`). The examples share one home, captured by the inner function.
def depth(thorough: int) -> list:
    return [pytest.param(40, id="sample"), pytest.param(thorough, id="thorough", marks=pytest.mark.slow)]


def explore(examples: int):
    return settings(max_examples=examples, deadline=None, database=None)


RANDOM_BYTES = st.one_of(st.binary(max_size=600),
                         st.builds(lambda head, body: head + body,
                                   st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe",
                                                    ",".join(HEADER).encode() + b"\r\n", b"title,credits\n",
                                                    b'"unclosed']),
                                   st.binary(max_size=400)))


@pytest.mark.parametrize("examples", depth(250))
def test_random_bytes_never_crash_the_importer_nor_write_a_part(ledger_home, examples):
    @explore(examples)
    @given(data=RANDOM_BYTES)
    def check(data):
        _import_bytes(ledger_home, data)

    check()


@pytest.mark.parametrize("examples", depth(250))
def test_random_rows_import_all_or_none(ledger_home, examples):
    @explore(examples)
    @given(body=rows(), line_ending=st.sampled_from(["\r\n", "\n"]), bom=st.booleans())
    def check(body, line_ending, bom):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator=line_ending)
        writer.writerow(HEADER)
        writer.writerows(body)
        data = (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8", "surrogatepass")
        outcome = _import_bytes(ledger_home, data)
        event("refused" if isinstance(outcome, CpeError) else f"imported {min(outcome.added, 1)}+ rows")
        if not isinstance(outcome, CpeError):
            conn = sqlite3.connect(ledger_home / "cpe.db")
            rows_stored = conn.execute("SELECT title, credits_hundredths, completed_on FROM records").fetchall()
            conn.close()
            for title, hundredths, completed_on in rows_stored:  # what got in passes the rules
                assert clean_title(title) == title and 0 < hundredths <= 100000
                assert completed_on <= TODAY.isoformat()

    check()


# -- the importer, through the command line -----------------------------------------------------------

RANDOM_FILES = st.one_of(st.binary(max_size=300),
                         st.builds(lambda body: (",".join(HEADER) + "\r\n").encode() + body, st.binary(max_size=300)),
                         st.builds(lambda body: body.encode("utf-8", "surrogatepass"),
                                   st.builds(lambda r: "\r\n".join(",".join(cells) for cells in [HEADER, *r]),
                                             rows())))


@pytest.mark.parametrize("examples", depth(200))
def test_random_files_through_cpe_import_are_one_error_line_or_an_import(cpe, home, tmp_path, examples):
    with open_ledger(home):
        pass
    csv_file = tmp_path / "random.csv"

    @explore(examples)
    @given(data=RANDOM_FILES)
    def check(data):
        csv_file.write_bytes(data)
        before_files, before_count = snapshot(home), _count(home)
        result = cpe("import", str(csv_file))
        assert "Traceback" not in result.stderr and "unexpected" not in result.stderr, result.stderr
        said = [line for line in result.stderr.splitlines() if not line.startswith("Warning: ")]
        event(f"exit {result.exit_code}")
        assert result.stdout == ""  # without --json, an import prints no data
        if result.exit_code == 0:
            assert len(said) == 1 and said[0].startswith("Imported "), result.stderr
            assert _count(home) >= before_count
        else:
            assert result.exit_code == 2, result.stderr
            # Issue 12: each problem of the rows is a line of its own (``line N...``, ``accepted in ...``,
            # ``... and N more``) above the one Error: line.
            said = [line for line in said if not line.startswith(("line ", "accepted in column ", "... and "))]
            assert len(said) == 1 and said[0].startswith("Error: "), result.stderr
            assert _count(home) == before_count and snapshot(home) == before_files

    check()
