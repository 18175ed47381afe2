"""Records as plain rows: the column contract shared by JSON, CSV and the ZIP manifest.

The column names and order are a public contract (scripts and spreadsheets
depend on them): new columns may be appended, existing ones never renamed
or reordered.
"""

from __future__ import annotations

from .credits import canonical_text
from .records import StoredRecord

COLUMNS: tuple[str, ...] = ("id", "date", "title", "credits", "field_of_study", "delivery_method", "provider",
                            "state", "source", "description", "certificate", "tags")
TAG_SEPARATOR = ";"  # how a record's tags share one CSV cell: "ca-regulatory-review;fraud"

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
        "tags": TAG_SEPARATOR.join(record.tags),
    }


def record_json(record: StoredRecord) -> dict[str, object]:
    """For ``--format json``: credits as a JSON number (a float repr of a 2-decimal value is exact text).

    An absent value is ``null`` whatever the column (no state, no certificate,
    no description), so a script tests one thing; CSV has no null and writes
    an empty cell for all of them.
    """
    row: dict[str, object] = dict(record_row(record))
    row["id"] = record.id
    row["description"] = record.description or None
    row["credits"] = float(record.credits)
    row["tags"] = list(record.tags)
    return row


def escape_formula(cell: str) -> str:
    """Neutralise a spreadsheet formula with one leading apostrophe; ``unescape_formula`` reverses it."""
    return "'" + cell if cell.startswith(FORMULA_TRIGGERS) else cell


def unescape_formula(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell


# The cells that can hold any text. Every other cell is an id, an ISO date, a decimal or a name
# from the closed lists of catalog.py (validated on every way in), which never starts with a formula
# trigger nor holds a comma, a quote or a line break: those need neither the escape nor quoting.
FREE_TEXT: tuple[str, ...] = ("title", "provider", "description", "certificate")


def csv_cell_sql(column: str, *, escape: bool) -> str:
    """A free-text cell as an SQL expression giving exactly what ``write_csv`` writes for it.

    That is ``escape_formula`` (when ``escape``), then csv.writer's minimal quoting
    (a cell holding a comma, a quote, CR or LF is quoted, its quotes doubled); NULL is
    an empty cell. The bulk export builds whole lines in SQLite this way, which costs
    far less than a Python tuple and a csv.writer call per row.
    """
    codes = ", ".join(str(ord(trigger)) for trigger in FORMULA_TRIGGERS)
    prefix = f"(CASE WHEN unicode({column}) IN ({codes}) THEN '''' ELSE '' END)" if escape else "''"
    needs_quotes = (f"instr({column}, '\"') OR instr({column}, ',') OR instr({column}, char(10)) "
                    f"OR instr({column}, char(13))")
    return (f"CASE WHEN {column} IS NULL THEN '' "
            f"WHEN {needs_quotes} THEN '\"' || {prefix} || replace({column}, '\"', '\"\"') || '\"' "
            f"ELSE {prefix} || {column} END")


def csv_line_sql(cells: list[str]) -> str:
    """One CSV line (CRLF-terminated) from SQL expressions that are already cells (``csv_cell_sql`` or safe)."""
    template = ",".join("%s" for _ in cells) + "\r\n"
    return f"printf('{template}', {', '.join(cells)})"


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
