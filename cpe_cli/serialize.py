"""Records as plain rows: the column contract shared by JSON, CSV and the ZIP manifest.

The column names and order are a public contract (scripts and spreadsheets
depend on them): new columns may be appended, existing ones never renamed
or reordered.
"""

from __future__ import annotations

from .credits import canonical_text
from .records import StoredRecord

COLUMNS: tuple[str, ...] = ("id", "date", "title", "credits", "field_of_study", "delivery_method", "provider",
                            "state", "source", "description", "certificate")

# A cell starting with one of these is run as a formula by spreadsheets (CSV injection).
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "'")


def record_row(record: StoredRecord) -> dict[str, str | None]:
    """The record's values as text, in contract order; None where a value is absent."""
    return {
        "id": str(record.id),
        "date": record.completed_on.isoformat(),
        "title": record.title,
        "credits": canonical_text(record.credits),
        "field_of_study": record.field_of_study,
        "delivery_method": record.delivery_method,
        "provider": record.provider,
        "state": record.state,
        "source": record.source,
        "description": record.description,
        "certificate": record.certificate.original_name if record.certificate else None,
    }


def record_json(record: StoredRecord) -> dict[str, object]:
    """For ``--format json``: credits as a JSON number (a float repr of a 2-decimal value is exact text)."""
    row: dict[str, object] = dict(record_row(record))
    row["id"] = record.id
    row["credits"] = float(record.credits)
    return row


def escape_formula(cell: str) -> str:
    """Neutralise a spreadsheet formula with one leading apostrophe; ``unescape_formula`` reverses it."""
    return "'" + cell if cell.startswith(FORMULA_TRIGGERS) else cell


def unescape_formula(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell


def escaped_sql(column: str) -> str:
    """``escape_formula`` as an SQL expression over ``column``, for bulk exports (NULL stays NULL)."""
    codes = ", ".join(str(ord(trigger)) for trigger in FORMULA_TRIGGERS)
    return f"CASE WHEN unicode({column}) IN ({codes}) THEN '''' || {column} ELSE {column} END"


def write_csv(records, stream, *, raw: bool = False, extra_columns: tuple[str, ...] = (), extra=None) -> int:
    """Write the contract header and one row per record to ``stream``; returns the row count.

    Streams: rows are written as the cursor yields them. ``extra`` maps a
    record to values for ``extra_columns`` (the ZIP manifest's additions).
    """
    import csv

    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(COLUMNS + extra_columns)
    count = 0
    for record in records:
        values = list(record_row(record).values())
        if extra_columns:
            values.extend(extra(record))
        cells = ["" if value is None else value for value in values]
        if not raw:
            cells = [escape_formula(cell) for cell in cells]
        writer.writerow(cells)
        count += 1
    return count
