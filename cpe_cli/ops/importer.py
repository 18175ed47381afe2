"""``cpe import``: CSV rows into the ledger, validated like ``cpe add``, all or nothing.

The file is read as strict UTF-8 (a BOM is allowed), line by line with a cap
on a line's length, so neither a Latin-1 file nor a 100 MB cell can make the
import guess or swallow memory. Headers are matched by their common
spellings (this tool's export, a learning platform's export). Every row goes
through ``records.check_record``, the rules and words of ``cpe add``, with the
date required; problems are collected with their line numbers and the import
is refused whole if there is any. Valid rows stream into a TEMP staging table
(``ledger_exchange``), so memory stays flat; duplicates are then skipped and
the new rows written in one transaction, with their certificates staged the
way ``cpe add --certificate`` stages one.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from ..store import certificates

from ..store import exchange as ledger_exchange
from ..core.credits import canonical_text, from_hundredths, to_hundredths
from ..core.errors import CpeError
from ..store.ledger import Ledger
from ..core.matching import normalize
from ..core.records import check_record, match_source
from ..core.serialize import unescape_formula

MAX_LINE_BYTES = 1024 * 1024
LISTED = 20  # problems named in an error or warning line; the rest are counted
_PROGRESS_EVERY = 4096  # lines between progress reports

# Header spellings, compared after matching.normalize (case, punctuation and "&" folded).
HEADER_SPELLINGS: dict[str, tuple[str, ...]] = {
    "title": ("title", "Course/Seminar Title", "Course Title", "Seminar Title", "Program Title"),
    "credits": ("credits", "CPE Credits", "CPE Credit", "CPE Hours", "Credit Hours"),
    "field_of_study": ("field_of_study", "Field of Study", "Field"),
    "delivery_method": ("delivery_method", "Delivery Method", "Delivery Format"),
    "date": ("date", "Completion Date", "Date Completed", "Completed On", "completed_on"),
    "provider": ("provider", "Sponsor", "Provider Name", "Sponsor Name"),
    "state": ("state", "Jurisdiction"),
    "description": ("description", "Course Description"),
    "source": ("source",),
    "certificate": ("certificate", "Certificate File"),
    "tags": ("tags", "Tag"),
}
REQUIRED_COLUMNS = ("title", "credits", "field_of_study", "delivery_method", "date", "provider")
# Columns this tool writes that an import has no use for: ids are the new ledger's, and the
# ZIP manifest's entry names and hashes describe the archive (``exporter``).
IGNORED_COLUMNS = ("id", "zip_entry", "sha256")

_KEY_BY_SPELLING = {normalize(spelling): key for key, spellings in HEADER_SPELLINGS.items()
                    for spelling in spellings}


@dataclass
class CsvSource:
    stream: BinaryIO
    shown: str
    folder: Path  # certificate paths in the file are relative to this
    size: int | None  # bytes, when known (a regular file), for the progress bar


@contextmanager
def open_csv(argument: str, stdin: BinaryIO) -> Iterator[CsvSource]:
    """The CSV named on the command line, or standard input for ``-``."""
    if argument == "-":
        yield CsvSource(stdin, "standard input", Path("."), _regular_size(stdin))
        return
    path = Path(argument).expanduser()
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        raise CpeError.invalid(f"{argument!r} does not exist; give a CSV file, or - for standard input") from None
    except IsADirectoryError:
        raise CpeError.invalid(f"{argument!r} is a folder; give a CSV file") from None
    except PermissionError:
        raise CpeError.invalid(f"{argument!r} is not readable (permission denied)") from None
    except OSError as problem:
        raise CpeError.invalid(f"{argument!r} cannot be opened: {problem.strerror}") from None
    with handle:
        yield CsvSource(handle, argument, path.parent, _regular_size(handle))


def _regular_size(stream: BinaryIO) -> int | None:
    try:
        info = os.fstat(stream.fileno())
    except (OSError, AttributeError, ValueError):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


@dataclass
class ImportResult:
    rows: int  # data rows read (blank lines aside)
    added: int
    duplicates: int
    credits: Decimal  # credits of the rows added
    dry_run: bool
    certificates: int = 0  # files attached


@dataclass
class _Layout:
    width: int
    index: dict[str, int]  # record field -> column number
    labels: dict[str, str]  # record field -> its header as written in the file


class _Listing:
    """Problems or warnings, by line: the first ``LISTED`` in words, the rest counted."""

    def __init__(self) -> None:
        self.count = 0
        self.rows = 0  # distinct lines; a row's items arrive together, so counting changes is enough
        self._last_line = 0
        self.items: list[str] = []

    def add(self, line: int, text: str) -> None:
        self.count += 1
        if line != self._last_line:
            self.rows += 1
            self._last_line = line
        if len(self.items) < LISTED:
            self.items.append(text)

    def joined(self, separator: str = "; ") -> str:
        more = self.count - len(self.items)
        return separator.join(self.items) + (f"{separator}and {more} more" if more else "")


def _lines(source: CsvSource, progress: Callable[[int], None] | None) -> Iterator[str]:
    """The file's physical lines, decoded as strict UTF-8 (BOM dropped), each at most ``MAX_LINE_BYTES``."""
    readline = source.stream.readline
    limit = MAX_LINE_BYTES + 1
    number = 0
    consumed = 0
    while True:
        raw = readline(limit)
        if not raw:
            break
        number += 1
        consumed += len(raw)
        if len(raw) == limit and not raw.endswith(b"\n"):
            raise CpeError.invalid(f"line {number} of {source.shown} is longer than {MAX_LINE_BYTES:,} bytes; "
                                   "no CPE record needs that much (a description is at most 5,000 "
                                   "characters); nothing imported")
        if number == 1:
            if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
                raise CpeError.invalid(f"{source.shown} is UTF-16 text; save it as CSV UTF-8 and try again")
            if raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as problem:
            raise CpeError.invalid(
                f"line {number} of {source.shown} is not UTF-8 text (byte 0x{raw[problem.start]:02X} at "
                f"byte {problem.start + 1} of the line); save the file as CSV UTF-8 and try again; "
                "nothing imported") from None
        if progress is not None and not number % _PROGRESS_EVERY:
            progress(consumed)
        yield text
    if progress is not None:
        progress(consumed)


def _layout(header: list[str], source: CsvSource, warn: Callable[[str], None]) -> _Layout:
    """Match the header's columns to record fields; refuse a missing required or a repeated column."""
    if not any(cell.strip() for cell in header):
        raise CpeError.invalid(f"the first line of {source.shown} is empty; it must be a header row naming "
                               f"the columns ({', '.join(REQUIRED_COLUMNS)}, ...)")
    index: dict[str, int] = {}
    labels: dict[str, str] = {}
    unknown: list[str] = []
    for number, cell in enumerate(header):
        spelled = normalize(cell)
        key = _KEY_BY_SPELLING.get(spelled)
        if key is None:
            if spelled not in IGNORED_COLUMNS:
                unknown.append(repr(cell.strip()) if cell.strip() else f"column {number + 1} (no name)")
            continue
        if key in index:
            raise CpeError.invalid(f"columns {labels[key]!r} and {cell.strip()!r} of {source.shown} both give "
                                   f"the {key.replace('_', ' ')}; keep one of them")
        index[key] = number
        labels[key] = cell.strip()
    missing = [key for key in REQUIRED_COLUMNS if key not in index]
    if missing:
        hint = ""
        if len(header) == 1 and any(mark in header[0] for mark in ";\t|"):
            hint = " (the header is a single cell: cpe import reads comma-separated files)"
        raise CpeError.invalid(
            f"{source.shown} has no {', '.join(missing)} column{'s' if len(missing) > 1 else ''}{hint}; the "
            f"header must name {', '.join(REQUIRED_COLUMNS)} (also accepted: "
            + "; ".join(f"{key}: {', '.join(HEADER_SPELLINGS[key][1:])}" for key in missing
                        if len(HEADER_SPELLINGS[key]) > 1) + "); nothing imported")
    if unknown:
        warn(f"ignoring unknown column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} of {source.shown}")
    return _Layout(width=len(header), index=index, labels=labels)


class _Reader:
    """One pass over the rows: validate each, collect problems, yield the staged tuples of valid rows."""

    def __init__(self, source: CsvSource, today: date, default_source: str | None, raw: bool):
        self.source = source
        self.today = today
        self.default_source = default_source
        self.raw = raw
        self.rows = 0
        self.problems = _Listing()
        self.unusual = _Listing()
        self.unattached = _Listing()

    def staged(self, reader, layout: _Layout) -> Iterator[tuple]:
        import csv

        fields = list(layout.index.items())
        line_after = reader.line_num
        try:
            for cells in reader:
                line, line_after = line_after + 1, reader.line_num
                if not any(cells):
                    continue  # a blank line, or a row of empty cells
                self.rows += 1
                if len(cells) != layout.width:
                    self.problems.add(line, f"line {line}: {len(cells)} cells where the header has {layout.width}")
                    continue
                if not self.raw:
                    cells = list(map(unescape_formula, cells))
                values = {key: cells[number] for key, number in fields}
                staged = self._check(line, values, layout)
                if staged is not None and not self.problems.count:
                    yield staged
        except csv.Error as problem:
            raise CpeError.invalid(f"the record starting on line {line_after + 1} of {self.source.shown} is not "
                                   f"valid CSV ({_csv_problem(problem)}); nothing imported") from None

    def _check(self, line: int, values: dict[str, str], layout: _Layout) -> tuple | None:
        if self.default_source is not None and not values.get("source", "").strip():
            values["source"] = self.default_source
        check = check_record(values, self.today, date_required=True)
        for name, message in check.errors:
            self.problems.add(line, f"line {line} ({layout.labels.get(name, name)}): {message}")
        certificate = self._certificate(line, values.get("certificate", "").strip(), layout)
        record = check.record
        if record is None or certificate is False:
            return None
        for message in check.warnings:
            self.unusual.add(line, f"line {line}: {message}")
        return (line, record.title, canonical_text(record.credits), to_hundredths(record.credits),
                record.field_of_study, record.state, record.completed_on.isoformat(), record.delivery_method,
                record.provider, record.description, record.source, " ".join(record.tags), certificate)

    def _certificate(self, line: int, cell: str, layout: _Layout) -> str | None | bool:
        """The path of a file to attach, None for none, False when the file named is refused."""
        if not cell:
            return None
        path = self.source.folder / cell
        # lexists: a dangling symlink or a symlink loop is a refused file, not a missing one (exists says False
        # for both); an unusable name (a NUL) is missing.
        if not os.path.lexists(path):
            self.unattached.add(line, str(line))
            return None
        folder = os.path.realpath(self.source.folder)
        if os.path.commonpath([folder, os.path.realpath(path)]) != folder:
            # A downloaded CSV must not make cpe copy ~/.ssh/id_rsa into the ledger (and an auditor's ZIP).
            self.problems.add(line, f"line {line} ({layout.labels['certificate']}): certificate {cell!r} is "
                                    "outside the CSV file's folder; put the file beside the CSV")
            return False
        try:
            certificates.check_certificate(path)
        except CpeError as problem:
            self.problems.add(line, f"line {line} ({layout.labels['certificate']}): {problem.message}")
            return False
        return str(path)


def _csv_problem(problem: Exception) -> str:
    text = str(problem)
    if "field limit" in text:
        import csv

        return f"a cell is longer than {csv.field_size_limit():,} characters"
    if "unexpected end of data" in text:
        return "a quoted cell is never closed"
    if "new-line character seen in unquoted field" in text:
        return "a carriage return alone ends a line inside a cell; save the file with LF or CRLF line endings"
    return text


@dataclass
class CsvPlan:
    """A CSV whose header has been read and matched: what ``import_rows`` needs to read the rest."""

    source: CsvSource
    reader: Iterator[list[str]]
    layout: _Layout


def read_header(source: CsvSource, warn: Callable[[str], None] = lambda message: None,
                progress: Callable[[int], None] | None = None) -> CsvPlan:
    """Read and match the header; refuses an empty file or a missing column before any row (or ledger) is touched."""
    import csv

    reader = csv.reader(_lines(source, progress), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise CpeError.invalid(f"{source.shown} is empty; expected a header row naming the columns "
                               f"({', '.join(REQUIRED_COLUMNS)}, ...) and then one row per record") from None
    except csv.Error as problem:
        raise CpeError.invalid(f"the header of {source.shown} is not valid CSV ({_csv_problem(problem)}); "
                               "nothing imported") from None
    return CsvPlan(source=source, reader=reader, layout=_layout(header, source, warn))


def import_rows(ledger: Ledger, plan: CsvPlan, *, today: date, default_source: str | None = None,
                dry_run: bool = False, raw: bool = False,
                warn: Callable[[str], None] = lambda message: None) -> ImportResult:
    """Import every row of the plan's file or none; see the module doc. Raises ``CpeError`` on any invalid row."""
    if default_source is not None:
        default_source = match_source(default_source)
    source = plan.source
    rows = _Reader(source, today, default_source, raw)
    ledger_exchange.create_staging(ledger)
    try:
        ledger_exchange.fill_staging(ledger, rows.staged(plan.reader, plan.layout))
        if rows.problems.count:
            bad = rows.problems.rows
            raise CpeError.invalid(f"{bad} invalid row{'s' if bad != 1 else ''} in {source.shown}, nothing "
                                   f"imported: {rows.problems.joined()}")
        would = "would be " if dry_run else ""
        if rows.unattached.count:
            many = rows.unattached.count > 1
            warn(f"the certificate cell{'s' if many else ''} on line{'s' if many else ''} "
                 f"{rows.unattached.joined(', ')} name{'' if many else 's'} no file in {_folder_words(source)}; "
                 f"{'those records' if many else 'that record'} {would}imported without a certificate (an "
                 "export names only the original file name; put the files beside the CSV to attach them)")
        if rows.unusual.count:
            warn(f"{rows.unusual.count} row{'s have' if rows.unusual.count > 1 else ' has'} unusual credits "
                 f"for the delivery method, kept as entered: {rows.unusual.joined()}")
        if dry_run:
            with ledger_exchange.snapshot(ledger):
                total, kept, hundredths = ledger_exchange.mark_new_rows(ledger)
            attached = 0
        else:
            total, kept, hundredths, attached = _write(ledger)
        return ImportResult(rows=total, added=kept, duplicates=total - kept, credits=from_hundredths(hundredths),
                            dry_run=dry_run, certificates=attached)
    finally:
        ledger_exchange.drop_staging(ledger)


def import_csv(ledger: Ledger, source: CsvSource, *, today: date, default_source: str | None = None,
               dry_run: bool = False, raw: bool = False,
               warn: Callable[[str], None] = lambda message: None) -> ImportResult:
    """``read_header`` then ``import_rows``, for callers that already hold the ledger."""
    plan = read_header(source, warn)
    return import_rows(ledger, plan, today=today, default_source=default_source, dry_run=dry_run, raw=raw,
                       warn=warn)


def _folder_words(source: CsvSource) -> str:
    return "the current folder" if source.folder == Path(".") else f"{str(source.folder)!r}"


def _write(ledger: Ledger) -> tuple[int, int, int, int]:
    """Under the write lock: skip duplicates, stage certificates, insert the new rows; one transaction."""
    staged: list = []
    try:
        with ledger.write():
            total, kept, hundredths = ledger_exchange.mark_new_rows(ledger)
            for line, path in ledger_exchange.kept_certificate_paths(ledger):
                certificate = certificates.stage_certificate(ledger.home, Path(path))
                staged.append(certificate)
                ledger_exchange.attach_staged(ledger, line, certificate)
            ledger_exchange.insert_kept(ledger)
    except BaseException:
        for certificate in staged:
            certificates.abandon_staged(ledger.home, certificate)
        raise
    for certificate in staged:
        certificates.finish_staged(ledger.home, certificate)
    return total, kept, hundredths, len(staged)
