"""Export, import into an empty home, export again: the same CSV, ids aside (property-based, hostile text)."""

from __future__ import annotations

import io
import tempfile
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from support import OWN_HEADER, out, parse, without_ids, write_rows

from cpe_cli.core import catalog
from cpe_cli.ops.exporter import write_view_csv
from cpe_cli.ops.importer import CsvSource, import_csv
from cpe_cli.core.views import Filters
from cpe_cli.store.ledger import open_ledger
from cpe_cli.core.periods import preset_window
from cpe_cli.core.records import check_record
from cpe_cli.core.serialize import FORMULA_TRIGGERS, write_csv

TODAY = date(2026, 6, 11)
ALL = Filters(window=preset_window("all-time", TODAY))
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

# Any Unicode but control characters (and the bidi overrides cpe refuses), with the CSV and
# spreadsheet troublemakers made frequent: separators, quotes and formula triggers in front.
letters = st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters=BIDI)
troublemakers = st.sampled_from([",", '"', "'", " ", ";", "\u2028", "é", "漢", "🎓"])
prefixes = st.sampled_from(["", "", "=", "+", "-", "@", "'", "''", "=+", '"', ",", "' "])
body = st.text(st.one_of(letters, troublemakers), min_size=1, max_size=30)
hostile = st.builds(lambda prefix, text: prefix + text, prefixes, body)
descriptions = st.builds(lambda prefix, text: prefix + text, prefixes,
                         st.lists(st.one_of(letters, troublemakers, st.sampled_from(["\n", "\t", "\r\n"])),
                                  max_size=60).map("".join))
credits = st.integers(min_value=1, max_value=100_000).map(lambda hundredths: f"{hundredths / 100:.2f}").flatmap(
    lambda text: st.sampled_from([text, text.rstrip("0").rstrip(".")]))

candidates = st.fixed_dictionaries({
    "title": hostile,
    "credits": credits,
    "field_of_study": st.sampled_from(catalog.FIELD_NAMES),
    "delivery_method": st.sampled_from(catalog.DELIVERY_NAMES),
    "date": st.dates(min_value=date(1990, 1, 1), max_value=TODAY).map(date.isoformat),
    "provider": hostile,
    "state": st.one_of(st.just(""), st.sampled_from(sorted(catalog.JURISDICTIONS))),
    "description": descriptions,
    "source": st.sampled_from(catalog.SOURCES),
})


def valid_records(values_list):
    """The candidates that `cpe add` accepts, without two records of the same identity."""
    records, seen = [], set()
    for values in values_list:
        check = check_record(values, TODAY, date_required=True)
        if check.record is not None and check.record.identity not in seen:
            seen.add(check.record.identity)
            records.append(check.record)
    return records


def export_text(home: Path, *, raw: bool) -> str:
    buffer = io.StringIO(newline="")
    with open_ledger(home) as ledger:
        write_view_csv(ledger, ALL, buffer, raw=raw)
    return buffer.getvalue()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(candidates, min_size=1, max_size=8), st.booleans())
def test_export_import_export_is_identical_ids_aside(values_list, raw):
    records = valid_records(values_list)
    assume(records)
    with tempfile.TemporaryDirectory() as folder:
        first_home, second_home = Path(folder) / "first", Path(folder) / "second"
        with open_ledger(first_home) as ledger:
            for record in records:
                ledger.add(record)
        first = export_text(first_home, raw=raw)
        with open_ledger(second_home) as ledger:
            result = import_csv(ledger, CsvSource(io.BytesIO(first.encode("utf-8")), "export.csv", Path(folder),
                                                  None), today=TODAY, raw=raw)
        assert (result.added, result.duplicates) == (len(records), 0)
        second = export_text(second_home, raw=raw)
    assert without_ids(second) == without_ids(first)
    assert len(second.encode()) - len(first.encode()) == sum(
        len(b[0]) - len(a[0]) for a, b in zip(parse(first), parse(second)))  # only the id cells differ
    if not raw:
        escaped = [cell for row in parse(first)[1:] for cell in row[2:]]
        assert not any(cell.startswith(FORMULA_TRIGGERS) and not cell.startswith("'") for cell in escaped)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(candidates, min_size=1, max_size=6))
def test_the_bulk_export_writes_the_bytes_of_the_record_by_record_writer(values_list):
    """`cpe export csv` (escape in SQL) and `cpe list --format csv` (escape in Python) agree on hostile text."""
    records = valid_records(values_list)
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        with open_ledger(home) as ledger:
            for record in records:
                ledger.add(record)
            for raw in (False, True):
                per_record = io.StringIO(newline="")
                write_csv(ledger.records(ALL, newest_first=False), per_record, raw=raw)
                bulk = io.StringIO(newline="")
                write_view_csv(ledger, ALL, bulk, raw=raw)
                assert bulk.getvalue() == per_record.getvalue()


def test_round_trip_through_the_cli_keeps_certificates_when_the_files_travel_with_the_csv(cpe, home, tmp_path,
                                                                                          monkeypatch):
    folder = tmp_path / "handover"
    folder.mkdir()
    for name, content in (("ethics.pdf", b"%PDF e"), ("tax (1).png", b"png")):
        (folder / name).write_bytes(content)
    rows = [["9", "2026-01-05", "=Ethics, \"the\" course", "4", "Regulatory Ethics", "Group Live", "@AICPA", "CA",
             "external", "multi\nline", "ethics.pdf"],
            ["3", "2025-11-30", "Tax", "1.50", "Taxes", "QAS Self Study", "Becker", "", "lumiq", "", "tax (1).png"],
            ["4", "2026-01-05", "Plain", "0.2", "Taxes", "Nano Learning", "Becker", "", "lumiq", "", ""]]
    header = OWN_HEADER[:OWN_HEADER.index("certificate") + 1]  # the export's columns, id to certificate
    source = write_rows(folder / "records.csv", header, rows)
    assert cpe("import", str(source), "--raw").exit_code == 0
    first = cpe("export", "csv", "--preset", "all", "-o", str(folder / "export.csv"))
    assert first.exit_code == 0
    monkeypatch.setenv("CPE_HOME", str(tmp_path / "second-home"))
    imported = cpe("import", str(folder / "export.csv"))
    assert imported.stderr.strip() == "Imported 3 records (5.7 credits, 2 certificates attached); skipped 0 duplicates."
    second = out(cpe("export", "csv", "--preset", "all"))
    exported = (folder / "export.csv").read_bytes().decode("utf-8")
    assert without_ids(second) == without_ids(exported)
    assert [row[10] for row in parse(second)[1:]] == ["tax (1).png", "ethics.pdf", ""]
    assert parse(second)[2][2] == "'=Ethics, \"the\" course"
