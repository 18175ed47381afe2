"""`cpe verify` at scale (issue 14) and its fixes (issue 13).

Verify reads every record once (``store/integrity.start_record_read``: each column's distinct values, judged
once each by the rules of ``cpe add``, and the monthly totals summed from the date index), in a thread beside SQLite's
integrity check; when that read cannot answer exactly it falls back to the slow read (one SQL pass that
proves most rows sound, ``integrity.rows_to_check``, and the rules on the rest). Either way every kind of
row must be judged exactly as the rules judge it, the two reads must say the same on any ledger, and each
problem line ends with the command that fixes it, which, run as printed, does.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import tempfile
from datetime import date
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cpe_cli.core.records import build_record
from cpe_cli.ops import verify
from cpe_cli.store import integrity
from cpe_cli.store.ledger import open_ledger
from support import TODAY_ISO, add_args


@pytest.fixture
def four_records(cpe, home):
    for n in range(1, 5):
        assert cpe(*add_args(title=f"Course {n}", credits="1.5")).exit_code == 0
    return home / "cpe.db"


def _alter(database, sql, *params):
    conn = sqlite3.connect(database)
    conn.execute("DROP TRIGGER records_count_update")  # keep the monthly totals out of these cases
    conn.execute("DROP TRIGGER records_months_update")
    conn.execute(sql, params)
    conn.commit()
    conn.close()


def _restore_triggers(database):
    """Put back the two triggers dropped by ``_alter`` exactly as the migrations made them."""
    from cpe_cli.store import schema

    conn = sqlite3.connect(":memory:")
    for step in schema.MIGRATIONS:
        step(conn)
    sql = [row[0] for row in conn.execute("SELECT sql FROM sqlite_master WHERE name IN "
                                          "('records_count_update', 'records_months_update')")]
    conn.close()
    conn = sqlite3.connect(database)
    for statement in sql:
        conn.execute(statement)
    conn.commit()
    conn.close()


# Values the rules accept exactly as stored, though the SQL test cannot prove it: verify must not list them.
ACCEPTED = [
    ("title", "Éthique et déontologie"),          # not ASCII
    ("title", 'The "new" lease standard'),          # a quote
    ("title", "Back\\slash"),                       # a backslash
    ("description", "Two lines\nof notes"),         # a newline (allowed in a description)
    ("provider", "Surgent – CPE"),                  # an en dash
    ("credits", "1.50"),                            # the same credits, spelled with two decimals
    ("state", None),
]


@pytest.mark.parametrize(("column", "value"), ACCEPTED)
def test_rows_the_sql_cannot_prove_are_judged_by_the_rules(cpe, four_records, column, value):
    _alter(four_records, f"UPDATE records SET {column} = ? WHERE id = 2", value)
    _restore_triggers(four_records)
    result = cpe("verify")
    assert result.exit_code == 0, result.stdout
    assert result.stdout == ""
    assert "Ledger is whole: 4 records" in result.stderr


# (column, stored value, the start of the problem line, the fix verify names)
REFUSED = [
    ("title", "Tab\there", "record 2: today's rules refuse it: title contains a control character",
     "cpe edit 2 --title TITLE"),
    ("title", "Escape\x1b[31m", "record 2: today's rules refuse it: title contains a control character",
     "cpe edit 2 --title TITLE"),
    ("title", "Delete\x7f", "record 2: today's rules refuse it: title contains a control character",
     "cpe edit 2 --title TITLE"),
    ("title", "Trailing ", "record 2: title 'Trailing ' is not stored as cpe stores it ('Trailing')",
     "cpe edit 2 --title Trailing"),
    ("title", "", "record 2: today's rules refuse it: title is required", "cpe edit 2 --title TITLE"),
    ("provider", " AICPA", "record 2: provider ' AICPA' is not stored as cpe stores it ('AICPA')",
     "cpe edit 2 --provider AICPA"),
    ("description", "note\x00hidden", "record 2: today's rules refuse it: description contains a control",
     "cpe edit 2 --description DESCRIPTION"),
    ("credits_hundredths", 151, "record 2: stored hundredths 151 do not match credits 1.5",
     "cpe restore BACKUP --force"),  # editing to the same credits changes nothing: only a backup has the row
    ("credits_hundredths", 150.5, "record 2: stored hundredths 150.5 do not match credits 1.5",
     "cpe restore BACKUP --force"),  # a REAL the fast read cannot carry: the slow read says what it is
    ("credits", "1.555", "record 2: today's rules refuse it: credits '1.555' has more than 2 decimal places",
     "cpe edit 2 --credits CREDITS"),
    ("completed_on", "2026-02-30", "record 2: today's rules refuse it: date '2026-02-30' is not a real calendar",
     "cpe edit 2 --date YYYY-MM-DD"),
    ("completed_on", "2026-06-12", "record 2: today's rules refuse it: date 2026-06-12 is in the future",
     "cpe edit 2 --date YYYY-MM-DD"),
    ("field_of_study", "taxes", "record 2: field of study 'taxes' is not stored as cpe stores it ('Taxes')",
     "cpe edit 2 --field Taxes"),
    ("delivery_method", "Webcast", "record 2: today's rules refuse it: unknown delivery method",
     "cpe edit 2 --delivery METHOD"),
    ("state", "ca", "record 2: state 'ca' is not stored as cpe stores it ('CA')", "cpe edit 2 --state CA"),
    ("tags", "b a", "record 2: tags 'b a' are not stored as cpe stores them", "cpe edit 2 --tag a --tag b"),
]


@pytest.mark.parametrize(("column", "value", "line", "fix"), REFUSED, ids=[f"{c}-{i}" for i, (c, *_) in
                                                                          enumerate(REFUSED)])
def test_each_kind_of_bad_row_is_listed_with_its_fix(cpe, four_records, column, value, line, fix):
    _alter(four_records, f"UPDATE records SET {column} = ? WHERE id = 2", value)
    _restore_triggers(four_records)
    result = cpe("verify")
    assert result.exit_code == 1
    [listed] = [text for text in result.stdout.splitlines() if text.startswith("record 2")]
    assert listed.startswith(line), listed
    assert listed.endswith(f"; run: {fix}"), listed


@pytest.mark.parametrize(("column", "value"), [("title", "Trailing "), ("field_of_study", "taxes"),
                                               ("state", "ca"), ("tags", "b a")])
def test_the_named_fix_fixes_it(cpe, four_records, column, value):
    _alter(four_records, f"UPDATE records SET {column} = ? WHERE id = 2", value)
    _restore_triggers(four_records)
    listed = cpe("verify").stdout
    fix = listed.rsplit("; run: ", 1)[1].strip()
    words = shlex.split(fix)
    assert words[:2] == ["cpe", "edit"]
    cpe(*words[1:], "--no-input")
    # Whatever the edit printed, the ledger is whole again (the totals it wrote are the triggers').
    result = cpe("verify", "--repair")  # the monthly totals the test's own UPDATE bypassed
    result = cpe("verify")
    assert result.exit_code == 0, result.stdout


def test_derived_and_stray_problems_name_repair(cpe, four_records, home):
    conn = sqlite3.connect(four_records)
    conn.execute("UPDATE monthly_totals SET hundredths = hundredths + 100")
    conn.commit()
    conn.close()
    (home / "certificates" / "notes.txt").write_text("mine")
    lines = cpe("verify").stdout.splitlines()
    assert lines[0] == ("database: 1 monthly total differs from the records (derived data, rebuilt from them); "
                        "run: cpe verify --repair")
    assert lines[1].startswith("stray file certificates/notes.txt") and lines[1].endswith("; run: cpe verify --repair")
    assert cpe("verify", "--repair").exit_code == 0
    assert cpe("verify").exit_code == 0


def test_repair_counts_the_totals_it_rebuilt_in_words(cpe, four_records):
    """One wrong monthly total: "1 row differed", as a person writes it (a new user's trial read "1 rows")."""
    conn = sqlite3.connect(four_records)
    conn.execute("UPDATE monthly_totals SET hundredths = 1")
    conn.commit()
    conn.close()
    result = cpe("verify", "--repair")
    assert result.exit_code == 0
    assert result.stdout == "rebuilt the monthly totals (1 row differed from the records)\n"


# -- the one read of every record, against the slow read -------------------------------------------------

TODAY = date.fromisoformat(TODAY_ISO)
_TEMPLATE: dict[str, Path] = {}


def _template_home() -> Path:
    """A home with eight sound records of varied kinds (made once per test process)."""
    if "home" not in _TEMPLATE:
        home = Path(tempfile.mkdtemp(prefix="cpe-verify-template-")) / "home"
        rows = [("Course 1", "1.5", "Taxes", None, "2026-01-05", "Group Live", "AICPA", "", "external", ""),
                ("Éthique et déontologie", "2", "Regulatory Ethics", "CA", "2025-12-31", "QAS Self Study", "Surgent",
                 "Two lines\nof notes", "lumiq", "ca-regulatory-review fraud"),
                ('The "new" lease standard', "0.2", "Accounting", "NY", "2026-06-11", "Nano Learning", "Becker",
                 "", "external", ""),
                ("Course 4", "1.50", "Auditing", None, "2019-03-01", "Group Internet Based", "AICPA", "x",
                 "lumiq", "fl-ethics"),
                ("Course 5", "8", "Taxes", "TX", "2026-06-01", "Group Live", "CPA Academy", "", "external", ""),
                ("Course 6", "3", "Specialized Knowledge", None, "2024-02-29", "Blended Learning", "AICPA", "",
                 "external", ""),
                # Two more in the month, source and field of record 5 with its credits: one group of three.
                ("Course 7", "8", "Taxes", None, "2026-06-02", "Group Live", "AICPA", "", "external", ""),
                ("Course 8", "8", "Taxes", "TX", "2026-06-03", "QAS Self Study", "AICPA", "", "external", "")]
        with open_ledger(home) as ledger:
            for title, credits, field, state, day, method, provider, description, source, tags in rows:
                record, _ = build_record({"title": title, "credits": credits, "field_of_study": field,
                                          "state": state, "date": day, "delivery_method": method,
                                          "provider": provider, "description": description, "source": source,
                                          "tags": tags}, TODAY)
                ledger.add(record)
        _TEMPLATE["home"] = home
    return _TEMPLATE["home"]


def _report(home: Path, *, fast: bool, **patches) -> tuple:
    """What ``verify`` finds, read the fast way (ranges of four ids, so both threads take some, and records 5
    to 7 share a range and a monthly total) or the slow way (``start_record_read`` unavailable, as when the file cannot
    be opened again)."""
    with mock.patch.object(integrity, "_IDS_PER_TASK", 4):
        with (mock.patch.object(integrity, "start_record_read", lambda *args: None) if not fast
              else mock.patch.dict(os.environ)):
            with open_ledger(home) as ledger:
                report = verify.verify_ledger(ledger, TODAY)
    return report.problems, report.fixes, report.serious, report.records, report.repaired


def _copy_home(target: Path) -> Path:
    home = target / "home"
    shutil.copytree(_template_home(), home)
    return home


def _set(home: Path, changes: list[tuple[int, str, object]]) -> None:
    """Store values as any program could (the triggers that keep the totals are bypassed, then restored)."""
    conn = sqlite3.connect(home / "cpe.db")
    triggers = [row[0] for row in conn.execute("SELECT sql FROM sqlite_master WHERE name IN "
                                               "('records_count_update', 'records_months_update')")]
    conn.execute("DROP TRIGGER records_count_update")
    conn.execute("DROP TRIGGER records_months_update")
    for record_id, column, value in changes:
        conn.execute(f"UPDATE records SET {column} = ? WHERE id = ?", (value, record_id))
    for statement in triggers:
        conn.execute(statement)
    conn.commit()
    conn.close()


_ODD = st.sampled_from(["a", "Z", " ", "\t", "\n", "\x00", "\x1b", "\x7f", "é", "\u200b", "\u202e", '"', "\\",
                        "'", "-", "1", ".", "ß", "\u00a0", ";", ","])
_TEXT = st.one_of(st.sampled_from(["Course", "Ethics for CPAs", " Course", "Course ", "", "Éthique", "x" * 301]),
                  st.text(_ODD, max_size=6), st.binary(max_size=3))
_VALUES = {
    "title": _TEXT,
    "provider": _TEXT,
    "description": _TEXT,
    "credits": st.one_of(st.sampled_from(["1", "1.5", "1.50", "01.5", "1.555", "0", "1000", "1000.01", " 1.5",
                                          "1e2", ".5", "1.", "abc", "\u00a01.5", "\u0661", "2.30", "8\x00",
                                          "1.5\x00x"]),
                         st.text(st.sampled_from("0123456789. "), max_size=5), st.binary(max_size=2)),
    "credits_hundredths": st.one_of(st.sampled_from([150, 100, 151, 20, 800, 230, 50]),
                                    st.integers(1, 100000), st.just(150.5)),
    "field_of_study": st.one_of(st.sampled_from(["Taxes", "taxes", " Taxes", "Tax", "Ethics", "Accounting",
                                                 "Behavioral Ethics", "Computer Software & Applications"]),
                                st.text(_ODD, max_size=4), st.binary(max_size=2)),
    "state": st.one_of(st.none(), st.sampled_from(["CA", "ca", "California", "ZZ", "", " CA", "NY "]),
                       st.text(_ODD, max_size=3)),
    "completed_on": st.one_of(st.sampled_from(["2026-06-11", "2026-06-12", "1899-12-31", "1900-01-01",
                                               "2026-02-30", "2026-13-01", "0000-00-00", "2024-02-29"]),
                              st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"), st.just(b"2026-01-01")),
    "delivery_method": st.one_of(st.sampled_from(["Group Live", "group live", "Webcast", "QAS", "Group-Live",
                                                  "Nano Learning"]), st.text(_ODD, max_size=3)),
    "source": st.sampled_from(["external", "lumiq"]),  # the schema's CHECK allows no other
    "tags": st.one_of(st.sampled_from(["", "a", "a b", "b a", "A", "a  b", "fl-ethics", " a", "a;b", "-a"]),
                      st.text(_ODD, max_size=4), st.binary(max_size=2)),
}
_CHANGES = st.lists(st.tuples(st.integers(1, 8), st.sampled_from(sorted(_VALUES))).flatmap(
    lambda pick: st.tuples(st.just(pick[0]), st.just(pick[1]), _VALUES[pick[1]])), min_size=1, max_size=5)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(changes=_CHANGES)
def test_the_one_read_and_the_slow_read_find_the_same_on_any_ledger(changes):
    """Rows holding anything a program could store (what ``cpe add`` refuses, what it would store differently,
    BLOBs, NUL characters, hundredths that do not match): both reads list the same problems with the same
    fixes, and count the same differing monthly totals."""
    with tempfile.TemporaryDirectory() as folder:
        home = _copy_home(Path(folder))
        try:
            _set(home, changes)
        except sqlite3.IntegrityError:
            return  # a value the schema's constraints refuse: no ledger can hold it
        assert _report(home, fast=True) == _report(home, fast=False)


def test_credits_holding_a_nul_character_are_a_problem_read_either_way(tmp_path):
    """'8' then a NUL: SQLite's GLOB and CAST stop at the NUL and saw plain credits 8, so the slow read passed
    the row that the one read (and the rules) refuse."""
    home = _copy_home(tmp_path)
    _set(home, [(7, "credits", "8\x00")])
    fast, slow = _report(home, fast=True), _report(home, fast=False)
    assert fast == slow
    assert [line.split(":")[0] for line in slow[0]] == ["record 7"]


def test_the_one_read_is_what_runs_on_a_ledger_it_can_read(tmp_path):
    """On a sound ledger holding non-ASCII titles, quotes, tags and states, neither slow query runs: the read
    beside the integrity check answers for the records and the totals (what keeps verify fast at scale)."""
    home = _copy_home(tmp_path)
    with mock.patch.object(integrity, "rows_to_check", side_effect=AssertionError("the slow read ran")), \
            mock.patch.object(integrity, "monthly_totals_differing", side_effect=AssertionError("the slow sum ran")):
        problems, _, _, records, _ = _report(home, fast=True)
    assert (problems, records) == ([], 8)


def test_a_value_the_read_cannot_carry_sends_verify_the_slow_way(tmp_path):
    """A BLOB title cannot go into JSON: the read gives up and the slow read says what is wrong, as before."""
    home = _copy_home(tmp_path)
    _set(home, [(3, "title", b"Course 3")])
    slow = mock.Mock(wraps=integrity.rows_to_check)
    with mock.patch.object(integrity, "rows_to_check", slow):
        problems, _, _, _, _ = _report(home, fast=True)
    assert slow.called
    assert problems == ["record 3: title b'Course 3' is not stored as cpe stores it (\"b'Course 3'\")"]


def test_one_cpu_reads_without_a_thread(tmp_path):
    """With a single CPU there is no thread (and one connection): the same findings."""
    home = _copy_home(tmp_path)
    _set(home, [(2, "title", "Tab\there"), (4, "credits_hundredths", 151), (5, "tags", "b a")])
    with mock.patch.object(integrity.os, "sched_getaffinity", lambda pid: {0}), \
            mock.patch.object(integrity.threading, "Thread", side_effect=AssertionError("a thread started")):
        alone = _report(home, fast=True)
    assert alone == _report(home, fast=False)
    assert [line.split(":")[0] for line in alone[0]] == ["database", "record 2", "record 4", "record 5"]
    assert alone[0][0].startswith("database: 1 monthly total differs")  # the hundredths changed behind them


def test_the_totals_are_summed_from_the_date_index_in_its_order(tmp_path):
    """The fresh monthly totals stream from ``records_by_date`` (date, source, field, hundredths): no row read
    and no sort (at 1,000,000 records the sort, or a count a row, cost more than SQLite's integrity check),
    and they equal SQLite's own sum by month: records 5, 7 and 8 share a month, source and field, on three
    days, read by two workers (one range an id, each worker given every other one)."""
    home = _copy_home(tmp_path)
    with mock.patch.object(integrity, "_IDS_PER_TASK", 1), \
            mock.patch.object(integrity.os, "sched_getaffinity", lambda pid: {0}), open_ledger(home) as ledger:
        plan = [row[3] for row in ledger.conn.execute(f"EXPLAIN QUERY PLAN {integrity._TOTALS_BY_DAY}")]
        read = integrity.start_record_read(ledger, verify._judge(TODAY), verify._all_plainly_kept)
        try:
            tasks = read._tasks
            assert len(tasks) == 9  # the indexes, then the eight records' ids
            for half in (tasks[::2], tasks[1::2]):
                read._tasks = half
                read._work(read._conns[-1])
            facts = read.finish(constraints_hold=True)
        finally:
            read.close()
        fresh = {(month, source, field): (hundredths, records) for month, source, field, hundredths, records in
                 ledger.conn.execute("SELECT substr(completed_on, 1, 7), source, field_of_study, "
                                     "sum(credits_hundredths), count(*) FROM records GROUP BY 1, 2, 3")}
    assert plan == ["SCAN records USING COVERING INDEX records_by_date"]
    assert facts.count == 8
    assert fresh[("2026-06", "external", "Taxes")] == (2400, 3)
    assert facts.totals == fresh == facts.kept


def test_the_read_starts_its_connections_in_one_snapshot(tmp_path):
    """While the read's two connections begin, no other connection can commit: the monthly totals and the
    records they sum are read from one state of the ledger, whatever writers do meanwhile."""
    home = _copy_home(tmp_path)
    attempts = []
    real_open = integrity._open_reader

    def open_then_write(ledger):
        conn = real_open(ledger)
        writer = sqlite3.connect(home / "cpe.db", timeout=0)
        try:
            writer.execute("UPDATE records SET title = 'Changed' WHERE id = 1")
            writer.commit()
            attempts.append("committed")
        except sqlite3.OperationalError as problem:
            attempts.append(str(problem))
        finally:
            writer.close()
        return conn

    with mock.patch.object(integrity, "_open_reader", open_then_write):
        assert _report(home, fast=True)[0] == []
    assert attempts == ["database is locked", "database is locked"]


def test_a_schema_that_is_not_cpes_sends_verify_the_slow_way(tmp_path):
    """The read takes the tags of most rows from an index, which is right only while the NOT NULL constraints
    hold: on a ledger whose schema lost one (and whose rows use that), the slow read judges every row."""
    home = _copy_home(tmp_path)
    conn = sqlite3.connect(home / "cpe.db")
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET sql = replace(sql, 'tags TEXT NOT NULL DEFAULT ''''', 'tags TEXT') "
                 "WHERE name = 'records'")
    conn.commit()
    conn.close()
    _set(home, [(2, "tags", None)])
    problems = _report(home, fast=True)[0]
    assert problems == _report(home, fast=False)[0]
    assert any(line.startswith("database: schema: table 'records'") for line in problems), problems
    assert any(line.startswith("record 2: tags None") for line in problems), problems


@settings(max_examples=400, deadline=None)
@example(column="completed_on", value="2026-02-30")
@example(column="completed_on", value="2026-06-12")
@example(column="completed_on", value="1899-12-31")
@example(column="completed_on", value="2026-6-11 ")
@example(column="title", value="\u3164")
@example(column="title", value="Course ")
@example(column="title", value="x" * 301)
@example(column="provider", value="")
@example(column="description", value="Tab\there")
@given(column=st.sampled_from(["title", "provider", "description", "completed_on"]),
       value=st.one_of(st.text(st.characters(codec="utf-8"), max_size=12),
                       st.text(st.sampled_from("ab  -\t\n\x00\x7fé"), max_size=8),
                       st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"), st.just("x" * 300), st.just("x" * 301),
                       st.sampled_from(["2026-06-11", "2026-06-12", "2027-01-01", "1900-01-01", "1899-12-31",
                                        "2024-02-29", "2026-02-30", "\u3164", "\u2800", "\u115f", "é", "x\u200b"]),
                       st.just("y" * 5000), st.just("y" * 5001)))
def test_what_the_shortcut_keeps_the_rules_keep(column, value):
    """``_plainly_kept`` spares most values a run through ``check_record``: whatever it keeps, the rules keep as
    stored (a row holding it has no problem). False proves nothing (the full check then decides)."""
    first, last = date(1900, 1, 1).isoformat(), TODAY.isoformat()
    if verify._plainly_kept(column, value, first, last):
        judge = verify._judge(TODAY)
        with mock.patch.object(verify, "_plainly_kept", lambda *args: False):
            assert not judge(column, value), (column, value)


@settings(max_examples=400, deadline=None)
@example(column="title", values=["a", ""])
@example(column="title", values=["a", "b\nc"])
@example(column="provider", values=["x ", "y"])
@example(column="description", values=["", "note\x00hidden"])
@example(column="title", values=["x" * 300, "y" * 301])
@example(column="title", values=["b", " a"])
@example(column="provider", values=["b", ""])
@example(column="description", values=["b", "", " a"])
@given(column=st.sampled_from(["title", "provider", "description"]),
       values=st.lists(st.one_of(st.text(st.sampled_from("ab -\t\n\x00\x1f\x7fé"), max_size=6),
                                 st.sampled_from(["Course", "Ethics for CPAs", "x" * 300, "x" * 301, ""])),
                       min_size=1, max_size=5))
def test_a_range_of_titles_is_cleared_at_once_exactly_when_each_would_be(column, values):
    """The titles of a range of ids are tested joined by line breaks: that must say what testing each would
    (never more, or a title the rules refuse goes unseen; never less, or verify reads them all one by one).
    ``longest`` as SQLite's length() gives it, which stops at a NUL."""
    first, last = date(1900, 1, 1).isoformat(), TODAY.isoformat()
    longest = max(len(value.split("\x00")[0]) for value in values)
    each = all(verify._plainly_kept(column, value, first, last) for value in values)
    assert verify._all_plainly_kept(column, "\n".join(values), len(values), longest) == each
    # With the least title as SQLite's min() gives it (UTF-8 byte order, which is code point order).
    assert verify._all_plainly_kept(column, "\n".join(values), len(values), longest, min(values)) == each
