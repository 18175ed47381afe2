"""``cpe import``: CSV rows into the ledger, validated like ``cpe add``, all or nothing.

The file (a regular file, or standard input for ``-``: a FIFO with no writer
would hang) is read as strict UTF-8 (a BOM is allowed), line by line with a
cap on a line's length and on a record's (quoted cells can spread one record
over many short lines), so neither a Latin-1 file nor a 100 MB cell can make
the import guess or swallow memory. Headers are matched by their common
spellings (this tool's export, a learning platform's export). Every row goes
through ``records.check_record``, the rules and words of ``cpe add``, with the
date required; problems are collected with their line numbers and the import
is refused whole if there is any. Valid rows stream into a TEMP staging table
(``ledger_exchange``), so memory stays flat; duplicates are then skipped and
the new rows written in one transaction, with their certificates staged the
way ``cpe add --certificate`` stages one. Into a home with no ledger yet, the
rows are checked in a scratch database first, so a refused import (or a dry
run) creates nothing.

Certificate cells name files inside the CSV file's folder (or
``--certificates-dir``; standard input has no folder of its own and attaches
none without it), found and opened by ``store.certificate_source`` without
following links: never a hidden file, never a path leading out.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from ..store import certificates
from ..store.certificate_source import CertificateFolder, Found

from ..store import exchange as ledger_exchange
from ..core.credits import canonical_text, from_hundredths, to_hundredths
from ..core.errors import CpeError
from ..store.ledger import Ledger
from ..core.import_words import (DATE_FORM_NAMES, HEADER_SYNONYMS, REQUIRED_FIELDS, archive_field,
                                 closest_header, detect_delimiter, header_field, header_words, import_credits,
                                 import_date, is_ignored_header)
from ..core.matching import normalize
from ..core.records import check_record, match_source
from ..core.serialize import unescape_formula

if TYPE_CHECKING:
    from .import_zip import ArchiveCertificates

MAX_LINE_BYTES = 1024 * 1024
# One record (a row: its quoted cells can span lines) is bounded too, or 8,000 quoted cells of 120 KB over
# short lines would hold a whole file in memory: at most this many bytes and, for a row, this many cells.
MAX_RECORD_BYTES = 1024 * 1024
MAX_CELLS = 10_000
LISTED = 20  # problems named in an error or warning line; the rest are counted
_SHOWN_NAME = 60  # characters of an unknown column's name quoted in the warning
_PROGRESS_EVERY = 4096  # lines between progress reports

# Header spellings, date forms and credit units are data: ``core.import_words`` (listed in the README).
REQUIRED_COLUMNS = REQUIRED_FIELDS
MAX_JSON_BYTES = 256 * 1024 * 1024  # a JSON array is read whole; JSON Lines stream


class ImportRefused(CpeError):
    """Invalid rows: the one-line summary, and the problem lines (one per problem) to show before it."""

    def __init__(self, message: str, lines: list[str]):
        super().__init__(message, 2)
        self.lines = lines


@dataclass(frozen=True)
class ImportOptions:
    """How to read the file: the command line's --map, --map-value, --delimiter, --day-first, --format."""

    column_maps: dict[str, str] = field(default_factory=dict)  # folded header -> record field
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> folded value -> value
    delimiter: str | None = None  # None: detected from the header line
    day_first: bool = False
    file_format: str | None = None  # "csv", "json" or None: detected
    skip_missing: bool = False  # a certificate cell naming no file: import the record without it
    errors: Callable[[int, str, str, str], None] | None = None  # every problem: line, column, value, problem


@dataclass
class CsvSource:
    stream: BinaryIO
    shown: str
    folder: Path | None  # certificate paths in the file are relative to this; None: attach none (stdin)
    size: int | None  # bytes, when known (a regular file), for the progress bar
    folder_given: bool = False  # the folder is --certificates-dir, not the CSV file's own
    name: str = "-"  # the file as given on the command line ("-": standard input), kept with the batch
    archive: "ArchiveCertificates | None" = None  # an audit ZIP's certificates (the stream is its manifest)


@contextmanager
def open_csv(argument: str, stdin: BinaryIO, certificates_dir: Path | None = None,
             file_format: str | None = None) -> Iterator[CsvSource]:
    """The CSV named on the command line, or standard input for ``-``; for a ZIP, its manifest.

    Certificate cells are read in ``certificates_dir`` when given, else in the
    CSV file's folder; standard input has no folder of its own, so without
    ``certificates_dir`` it attaches no certificate (run from the home folder,
    ``.ssh/id_rsa`` would otherwise be one cell away). A ZIP (``file_format``
    "zip", or no format given and a file starting with a ZIP signature) is an
    audit package from ``cpe export zip``: its certificates come from the
    archive itself (``ops.import_zip``), never from a folder.
    """
    folder = certificates_dir.expanduser() if certificates_dir is not None else None
    if argument == "-":
        if _is_zip(stdin, file_format):
            from .import_zip import spooled

            with spooled(stdin) as handle, _zip_source(handle, "standard input", "-", folder) as source:
                yield source
            return
        yield CsvSource(stdin, "standard input", folder, _regular_size(stdin), folder_given=folder is not None)
        return
    path = Path(argument).expanduser()
    with _open_regular(path, argument) as handle:
        if _is_zip(handle, file_format):
            with _zip_source(handle, argument, argument, folder) as source:
                yield source
            return
        yield CsvSource(handle, argument, folder if folder is not None else path.parent,
                        _regular_size(handle), folder_given=folder is not None, name=argument)


def _is_zip(stream: BinaryIO, file_format: str | None) -> bool:
    if file_format is not None:
        return file_format == "zip"
    from .import_zip import looks_like_zip

    return looks_like_zip(stream)


@contextmanager
def _zip_source(handle: BinaryIO, shown: str, name: str, folder: Path | None) -> Iterator[CsvSource]:
    """An audit ZIP as a CSV source: its manifest's lines, its certificates from the archive."""
    from .import_zip import MANIFEST_NAME, open_archive

    if folder is not None:
        raise CpeError.invalid("--certificates-dir is for a CSV or JSON file: a ZIP from 'cpe export zip' brings "
                               "its own certificates")
    with open_archive(handle, shown) as (manifest, size, archive):
        yield CsvSource(manifest, f"{MANIFEST_NAME} in {shown}", None, size, name=name, archive=archive)


@contextmanager
def _open_regular(path: Path, argument: str) -> Iterator[BinaryIO]:
    """Open a CSV file for reading, refusing anything but a regular file (a FIFO with no writer would hang)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise CpeError.invalid(f"{argument!r} does not exist; give a CSV file, or - for standard input") from None
    except IsADirectoryError:
        raise CpeError.invalid(f"{argument!r} is a folder; give a CSV file") from None
    except PermissionError:
        raise CpeError.invalid(f"{argument!r} is not readable (permission denied)") from None
    except OSError as problem:
        raise CpeError.invalid(f"{argument!r} cannot be opened: {problem.strerror}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise CpeError.invalid(f"{argument!r} is a folder; give a CSV file")
        if not stat.S_ISREG(mode):
            kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode)
                    or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
            raise CpeError.invalid(f"{argument!r} is {kind}, not a CSV file; to read a pipe or another program's "
                                   "output, give - and send it to standard input (cpe import - < FILE)")
        os.set_blocking(fd, True)
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        yield handle


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
    batch: int | None = None  # the import batch the records were added as (None: a dry run, or nothing added)


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


class _Lines:
    """The file's physical lines, decoded as strict UTF-8 (BOM dropped), with the size limits of a line and a record.

    ``csv.reader`` pulls lines from this iterator until a record is complete;
    its consumer calls ``record_done`` after each record, so the bytes of the
    record being read (which quoted cells can spread over many lines) are
    counted here and bounded by ``MAX_RECORD_BYTES`` before they pile up.
    """

    def __init__(self, source: CsvSource, progress: Callable[[int], None] | None):
        self.source = source
        self.progress = progress
        self.number = 0  # physical lines read
        self.record_bytes = 0
        self.record_start = 1
        # A JSON array is one "record" of up to MAX_JSON_BYTES, on one line (jq -c) or many (read_header).
        self.line_limit = MAX_LINE_BYTES
        self.record_limit = MAX_RECORD_BYTES
        self.json_array = False

    def read_a_json_array(self) -> None:
        """Lift the line and record bounds to a JSON array's own: it is read whole, within MAX_JSON_BYTES."""
        self.line_limit = self.record_limit = MAX_JSON_BYTES
        self.json_array = True

    def _json_array_too_long(self) -> CpeError:
        return CpeError.invalid(f"{self.source.shown} is a JSON array over {MAX_JSON_BYTES // 2**20} MiB; write "
                                "it as JSON Lines (one object a line) to import it; nothing imported")

    def record_done(self) -> None:
        self.record_bytes = 0
        self.record_start = self.number + 1

    def __iter__(self) -> Iterator[str]:
        source, progress = self.source, self.progress
        readline = source.stream.readline
        limit = self.line_limit + 1
        consumed = 0
        while True:
            raw = readline(limit)
            if not raw:
                break
            self.number += 1
            number = self.number
            consumed += len(raw)
            if self.json_array and (len(raw) == limit and not raw.endswith(b"\n")
                                    or self.record_bytes + len(raw) > self.record_limit):
                raise self._json_array_too_long()
            if len(raw) == limit and not raw.endswith(b"\n"):
                raise CpeError.invalid(f"line {number} of {source.shown} is longer than {self.line_limit:,} bytes; "
                                       "no CPE record needs that much (a description is at most 5,000 "
                                       "characters); nothing imported")
            self.record_bytes += len(raw)
            if self.record_bytes > self.record_limit:
                raise CpeError.invalid(
                    f"the record starting on line {self.record_start} of {source.shown} is longer than "
                    f"{self.record_limit:,} bytes (a quoted cell spanning lines, or an unclosed quote?); no CPE "
                    "record needs that much (a description is at most 5,000 characters); nothing imported")
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


def _layout(header: list[str], source: CsvSource, warn: Callable[[str], None],
            options: ImportOptions = ImportOptions()) -> _Layout:
    """Match the header's columns to record fields; refuse a missing required or a repeated column.

    A column is matched by ``--map`` first, then by the spellings of ``import_words.HEADER_SYNONYMS``;
    a manifest read from its ZIP also gives ``zip_entry`` and ``sha256`` (elsewhere they are ignored).
    Unknown columns are named in one warning, whether or not the required ones are there.
    """
    if not any(cell.strip() for cell in header):
        raise CpeError.invalid(f"the first line of {source.shown} is empty; it must be a header row naming "
                               f"the columns ({', '.join(REQUIRED_COLUMNS)}, ...)")
    index: dict[str, int] = {}
    labels: dict[str, str] = {}
    unknown = _Listing()  # the first LISTED named, the rest counted: a header can hold 400,000 empty columns
    unnamed = 0
    mapped = options.column_maps
    for number, cell in enumerate(header):
        key = (mapped.get(header_words(cell)) if mapped else None) or (header_field(cell) if cell else None)
        if key is None and source.archive is not None:
            key = archive_field(cell)
        if key is None:
            if not is_ignored_header(cell):
                name = cell.strip()
                unnamed += not name and unknown.count >= LISTED  # the unnamed among those only counted
                unknown.add(number + 1, repr(name[:_SHOWN_NAME]) + ("..." if len(name) > _SHOWN_NAME else "")
                            if name else f"column {number + 1} (no name)")
            continue
        if key in index:
            raise CpeError.invalid(f"columns {labels[key]!r} and {cell.strip()!r} of {source.shown} both give "
                                   f"the {key.replace('_', ' ')}; keep one of them (or --map the one to use)")
        index[key] = number
        labels[key] = cell.strip()
    if len(header) == 1 and not index and any(mark in header[0] for mark in ";\t|"):
        raise CpeError.invalid(f"the header of {source.shown} is a single cell: give --delimiter (cpe import "
                               "reads , ; and tab); nothing imported")
    if unknown.count:
        listed = ", ".join(unknown.items)
        more = unknown.count - len(unknown.items)
        if more:
            listed += f" and {more:,} more" + (f" ({unnamed:,} of them with no name)" if unnamed else "")
        warn(f"ignoring unknown column{'s' if unknown.count > 1 else ''} {listed} of {source.shown}")
    missing = [key for key in REQUIRED_COLUMNS if key not in index]
    if missing:
        found = [cell.strip() for cell in header if cell.strip()]
        shown = ", ".join(repr(cell[:_SHOWN_NAME]) for cell in found[:LISTED])
        if len(found) > LISTED:
            shown += f" and {len(found) - LISTED:,} more"
        hints = []
        for key in missing:
            near = closest_header(key, [cell for cell in found if header_field(cell) is None][:1000])
            hints.append(f"{key}: closest {near!r}" if near else f"{key}: no close match")
        example = next((cell for cell in found if header_field(cell) is None), "Credits Earned")
        single = ""
        raise CpeError.invalid(
            f"{source.shown} has no {', '.join(missing)} column{'s' if len(missing) > 1 else ''}{single}; "
            f"headers found: {shown}; {'; '.join(hints)}; name a column with --map, e.g. "
            f"--map {example[:_SHOWN_NAME] + '=' + missing[0]!r} (accepted headers: see README, cpe import); "
            "nothing imported")
    return _Layout(width=len(header), index=index, labels=labels)


class _Problems(_Listing):
    """The problems of the rows: one line each (the first ``LISTED``), every one to ``--errors FILE``.

    A message ending in the list of accepted values ("...; accepted: A, B, C")
    is shown without it; each column's list is kept once, for one line of its own.
    """

    def __init__(self, sink: Callable[[int, str, str, str], None] | None = None) -> None:
        super().__init__()
        self.sink = sink
        self.accepted: dict[str, str] = {}
        self.first = ""  # the first problem in full, accepted values and all (the error line of a lone problem)

    def problem(self, line: int, column: str, value: str, text: str) -> None:
        head, marker, accepted = text.partition("; accepted: ")
        if marker and column not in self.accepted:
            self.accepted[column] = accepted
        where = f'line {line}, column "{column}"' if column else f"line {line}"
        if not self.count:
            self.first = f"{where}: {text}"
        self.add(line, f"{where}: {head}")
        if self.sink is not None:
            self.sink(line, column, value, head)

    def lines(self) -> list[str]:
        shown = list(self.items)
        more = self.count - len(shown)
        if more:
            shown.append(f"... and {more:,} more problem{'s' if more > 1 else ''} (--errors FILE writes them all)")
        shown += [f'accepted in column "{column}": {names}' for column, names in self.accepted.items()]
        return shown


class _Reader:
    """One pass over the rows: validate each, collect problems, yield the staged tuples of valid rows."""

    def __init__(self, source: CsvSource, today: date, default_source: str | None, raw: bool,
                 folder: CertificateFolder | None, options: ImportOptions = ImportOptions()):
        self.source = source
        self.today = today
        self.default_source = default_source
        self.raw = raw
        self.folder = folder
        self.options = options
        self.rows = 0
        self.problems = _Problems(options.errors)
        self.unusual = _Listing()
        self.unattached = _Listing()

    def staged(self, plan: "CsvPlan") -> Iterator[tuple]:
        layout = plan.layout
        fields = list(layout.index.items())
        for line, cells in plan.rows():
            if not any(cells):
                continue  # a blank line, or a row of empty cells
            self.rows += 1
            if len(cells) != layout.width:
                self.problems.problem(line, "", "", f"{len(cells)} cells where the header has {layout.width}")
                continue
            if not self.raw and not plan.is_json:
                cells = list(map(unescape_formula, cells))
            values = {key: cells[number] for key, number in fields}
            staged = self._check(line, values, layout)
            if staged is not None and not self.problems.count:
                yield staged

    def _translate(self, line: int, values: dict[str, str], layout: _Layout) -> bool:
        """--map-value, then the import's date and credit forms; False when a value is already a problem."""
        for key, table in self.options.value_maps.items():
            if key in values:
                values[key] = table.get(normalize(values[key]), values[key])
        if values.get("credits"):
            values["credits"] = import_credits(values["credits"])
        if values.get("date", "").strip():
            try:
                values["date"] = import_date(values["date"], day_first=self.options.day_first)
            except CpeError as problem:
                self.problems.problem(line, layout.labels.get("date", "date"), values["date"], problem.message)
                return False
        return True

    def _check(self, line: int, values: dict[str, str], layout: _Layout) -> tuple | None:
        if self.default_source is not None and not values.get("source", "").strip():
            values["source"] = self.default_source
        written = dict(values)
        translated = self._translate(line, values, layout)
        check = check_record(values, self.today, date_required=True)
        for name, message in check.errors:
            if name == "date" and not translated:
                continue
            if name == "date" and "is not a date I can read" in message:
                message = f"date {written.get('date', '').strip()!r} is not a date I can read: {DATE_FORM_NAMES}"
            self.problems.problem(line, layout.labels.get(name, name), written.get(name, ""), message)
        if self.source.archive is not None:
            certificate = self._archive_certificate(line, values, layout)
        else:
            certificate = self._certificate(line, values.get("certificate", "").strip(), layout)
        record = check.record
        if record is None or certificate is False or not translated:
            return None
        for message in check.warnings:
            self.unusual.add(line, f"line {line}: {message}")
        path, identity, name = (certificate.path, certificate.identity, None) if isinstance(certificate, Found) \
            else certificate if certificate else (None, None, None)
        return (line, record.title, canonical_text(record.credits), to_hundredths(record.credits),
                record.field_of_study, record.state, record.completed_on.isoformat(), record.delivery_method,
                record.provider, record.description, record.source, " ".join(record.tags), path, identity, name,
                hash(record.identity))

    def _archive_certificate(self, line: int, values: dict[str, str], layout: _Layout) \
            -> tuple[str, str, str] | None | bool:
        """For a ZIP's manifest: (checked copy, SHA-256, original name) of the row's entry, None for none,
        False when the entry is missing or refused (a row problem).

        An empty ``zip_entry`` beside a ``certificate`` name is a certificate the
        export could not find (``export zip --skip-missing``); like a name with no
        entry behind it, it is this row's problem unless ``--skip-missing``.
        """
        from .import_zip import ArchiveRefused, file_name

        archive = self.source.archive
        assert archive is not None
        entry, cell = values.get("zip_entry", "").strip(), values.get("certificate", "").strip()
        expected = values.get("sha256", "").strip().lower()
        label = layout.labels.get("zip_entry", "zip_entry")
        if not entry and not cell:
            return None
        name = file_name(cell, entry)
        if name is None:
            self.problems.problem(line, layout.labels.get("certificate", "certificate"), cell,
                                  f"certificate name {cell[:80]!r} is not a file name")
            return False
        found = None
        if entry:
            try:
                found = archive.find(entry, expected)
            except ArchiveRefused:
                raise
            except CpeError as problem:
                column = layout.labels.get("sha256", "sha256") if "is not a SHA-256" in problem.message else label
                self.problems.problem(line, column, expected if column != label else entry, problem.message)
                return False
        if found is None:
            if self.options.skip_missing:
                self.unattached.add(line, str(line))
                return None
            where = (f"no entry {entry!r} in {archive.shown}" if entry else
                     f"certificate {cell!r} is not in {archive.shown} (its zip_entry is empty: it was missing when "
                     "the archive was made)")
            self.problems.problem(line, label, entry, f"{where}; give --skip-missing to import the record "
                                  "without it")
            return False
        return found, expected, name

    def _certificate(self, line: int, cell: str, layout: _Layout) -> Found | None | bool:
        """The file to attach, None for none, False when the file named is refused or missing (a row problem)."""
        if not cell:
            return None
        if self.folder is None:  # standard input without --certificates-dir: nothing is attached
            self.unattached.add(line, str(line))
            return None
        label = layout.labels["certificate"]
        try:
            found = self.folder.find(cell)
        except CpeError as problem:
            self.problems.problem(line, label, cell, problem.message)
            return False
        if found is None:
            if self.options.skip_missing:
                self.unattached.add(line, str(line))
                return None
            self.problems.problem(line, label, cell, f"no file {cell!r} in {_folder_words(self.source)}; put "
                                  "it there, or give --skip-missing to import the record without it")
            return False
        return found


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
    """A file whose header has been read and matched: what ``import_rows`` needs to read the rest.

    A JSON file (an array, or JSON Lines) is read as a table whose header is the keys of
    ``cpe list --format json``; ``rows()`` yields (line, cells) either way.
    """

    source: CsvSource
    reader: Iterator[list[str]]
    layout: _Layout
    lines: _Lines
    options: ImportOptions = field(default_factory=ImportOptions)
    is_json: bool = False
    json_rows: Iterator[tuple[int, list[str]]] | None = None

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        if self.json_rows is not None:
            yield from self.json_rows
            return
        import csv

        reader, lines, width = self.reader, self.lines, self.layout.width
        line_after = reader.line_num
        try:
            for cells in reader:
                lines.record_done()
                line, line_after = line_after + 1, reader.line_num
                if len(cells) > MAX_CELLS:
                    raise CpeError.invalid(f"the record starting on line {line} of {self.source.shown} has "
                                           f"{len(cells):,} cells; a row has at most {MAX_CELLS:,} (the header "
                                           f"has {width:,}); nothing imported")
                yield line, cells
        except csv.Error as problem:
            raise CpeError.invalid(f"the record starting on line {line_after + 1} of {self.source.shown} is not "
                                   f"valid CSV ({_csv_problem(problem)}); nothing imported") from None


JSON_KEYS = ("id", *HEADER_SYNONYMS, "zip_entry", "sha256")  # the keys of `cpe list --format json`, and more


def _starts_a_json_array(stream: BinaryIO) -> bool:
    """Whether the first character past a BOM and white space is ``[``, read without consuming (``peek``)."""
    peek = getattr(stream, "peek", None)
    if peek is None:
        return False
    head = peek(4096)[:4096]
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return head.lstrip()[:1] == b"["


def read_header(source: CsvSource, warn: Callable[[str], None] = lambda message: None,
                progress: Callable[[int], None] | None = None,
                options: ImportOptions = ImportOptions()) -> CsvPlan:
    """Read and match the header; refuses an empty file or a missing column before any row (or ledger) is touched.

    The format (CSV, a JSON array, JSON Lines) is ``options.file_format`` or read from the first
    character; a CSV's delimiter is ``options.delimiter`` or the most frequent of , ; tab in its header.
    """
    import csv
    import itertools

    lines = _Lines(source, progress)
    if source.archive is None and options.file_format in (None, "json") and _starts_a_json_array(source.stream):
        # Read whole (json.loads), within its own bound (``_json_plan``), on as few or as many lines as it has:
        # `cpe list --format json` writes one line an item, `jq -c` one line for everything.
        lines.read_a_json_array()
    physical = iter(lines)
    first = next(physical, None)
    empty = CpeError.invalid(f"{source.shown} is empty; expected a header row naming the columns "
                             f"({', '.join(REQUIRED_COLUMNS)}, ...) and then one row per record")
    if first is None:
        raise empty
    file_format = "csv" if source.archive is not None else options.file_format  # a ZIP's manifest is CSV
    if file_format is None:
        file_format = "json" if first.lstrip()[:1] in ("[", "{") else "csv"
    if file_format == "json":
        return _json_plan(source, first, physical, lines, warn, options)
    delimiter = options.delimiter or detect_delimiter(first)
    reader = csv.reader(itertools.chain([first], physical), strict=True, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise empty from None
    except csv.Error as problem:
        raise CpeError.invalid(f"the header of {source.shown} is not valid CSV ({_csv_problem(problem)}); "
                               "nothing imported") from None
    lines.record_done()
    return CsvPlan(source=source, reader=reader, layout=_layout(header, source, warn, options), lines=lines,
                   options=options)


def _json_plan(source: CsvSource, first: str, physical: Iterator[str], lines: _Lines,
               warn: Callable[[str], None], options: ImportOptions) -> CsvPlan:
    """A JSON array (read whole, at most ``MAX_JSON_BYTES``) or JSON Lines (one object a line, streamed)."""
    import itertools
    import json

    def loads(text: str, where: str):
        try:
            return json.loads(text, parse_float=str, parse_int=str)
        except ValueError as problem:
            raise CpeError.invalid(f"{where} of {source.shown} is not valid JSON ({problem}); nothing "
                                   "imported") from None

    unknown: list[str] = []

    def cells(item, line: int) -> list[str]:
        if not isinstance(item, dict):
            raise CpeError.invalid(f"item {line} of {source.shown} is not a JSON object with the keys of "
                                   "cpe list --format json; nothing imported")
        for key in item:
            if key not in JSON_KEYS and key not in unknown and len(unknown) < LISTED:
                unknown.append(key)
        row = []
        for key in JSON_KEYS:
            value = item.get(key)
            if value is None:
                row.append("")
            elif isinstance(value, list):
                row.append(";".join(str(part) for part in value))
            elif isinstance(value, (dict, bool)):
                row.append(json.dumps(value))
            else:
                row.append(str(value))
        return row

    stripped = first.lstrip()
    if stripped.startswith("["):
        # Bounded while read: ``_Lines`` holds a JSON array to MAX_JSON_BYTES (``read_a_json_array``).
        items = loads("".join(itertools.chain([first], physical)), "the text")
        if not isinstance(items, list):
            raise CpeError.invalid(f"{source.shown} is not a JSON array of records; nothing imported")
        rows: Iterator[tuple[int, list[str]]] = iter([(number, cells(item, number))
                                                       for number, item in enumerate(items, 1)])
    else:
        def json_lines():
            for number, text in enumerate(itertools.chain([first], physical), 1):
                lines.record_done()
                if text.strip():
                    yield number, cells(loads(text, f"line {number}"), number)
        rows = json_lines()
        peeked = next(rows, None)  # the first object says which keys are unknown before the warning
        rows = itertools.chain([peeked] if peeked else [], rows)
    plan = CsvPlan(source=source, reader=iter(()), layout=_layout(list(JSON_KEYS), source, lambda _: None,
                                                                  options),
                   lines=lines, options=options, is_json=True, json_rows=rows)
    if unknown:
        warn(f"ignoring unknown key{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} of "
             f"{source.shown}")
    return plan


def import_into(home: Path, plan: CsvPlan, *, today: date, default_source: str | None = None,
                dry_run: bool = False, raw: bool = False,
                warn: Callable[[str], None] = lambda message: None) -> ImportResult:
    """``cpe import``: the plan's rows into the ledger in ``home``, all or none; a refused import creates nothing.

    Into an existing ledger the rows are staged on its own connection
    (``import_rows``). With no ledger there yet, they are read and checked
    into a scratch database first: an invalid row then leaves no new home
    behind, and a dry run never creates one; the ledger is created only to
    receive rows that all passed.
    """
    from ..store.ledger import open_ledger

    if default_source is not None:
        default_source = match_source(default_source)
    if ledger_exchange.ledger_exists(home):
        with open_ledger(home) as ledger:
            return import_rows(ledger, plan, today=today, default_source=default_source, dry_run=dry_run,
                               raw=raw, warn=warn)
    with _certificate_folder(plan) as folder, ledger_exchange.scratch_ledger(home) as scratch:
        ledger_exchange.create_staging(scratch)
        _stage(scratch, plan, folder, today=today, default_source=default_source, raw=raw, dry_run=dry_run,
               warn=warn)
        if dry_run:
            return _result(_count_new(scratch), 0, dry_run=True)
        with open_ledger(home) as ledger:
            ledger_exchange.create_staging(ledger)
            try:
                ledger_exchange.copy_staging(scratch, ledger)
                counts, attached, batch = _write(ledger, folder, plan.source.name)
            finally:
                ledger_exchange.drop_staging(ledger)
        return _result(counts, attached, dry_run=False, batch=batch)


def import_rows(ledger: Ledger, plan: CsvPlan, *, today: date, default_source: str | None = None,
                dry_run: bool = False, raw: bool = False,
                warn: Callable[[str], None] = lambda message: None) -> ImportResult:
    """Import every row of the plan's file or none; see the module doc. Raises ``CpeError`` on any invalid row."""
    if default_source is not None:
        default_source = match_source(default_source)
    with _certificate_folder(plan) as folder:
        ledger_exchange.create_staging(ledger)
        try:
            _stage(ledger, plan, folder, today=today, default_source=default_source, raw=raw, dry_run=dry_run,
                   warn=warn)
            if dry_run:
                return _result(_count_new(ledger), 0, dry_run=True)
            counts, attached, batch = _write(ledger, folder, plan.source.name)
            return _result(counts, attached, dry_run=False, batch=batch)
        finally:
            ledger_exchange.drop_staging(ledger)


def _result(counts: tuple[int, int, int], attached: int, *, dry_run: bool, batch: int | None = None) -> ImportResult:
    total, kept, hundredths = counts
    return ImportResult(rows=total, added=kept, duplicates=total - kept, credits=from_hundredths(hundredths),
                        dry_run=dry_run, certificates=attached, batch=batch)


@contextmanager
def _certificate_folder(plan: CsvPlan) -> Iterator[CertificateFolder | None]:
    """The folder certificate cells name files in, open for the whole import; None when none can be attached."""
    source = plan.source
    if source.archive is not None:  # a ZIP: the certificates are its entries
        yield source.archive
        return
    if source.folder is None or "certificate" not in plan.layout.index:
        yield None
        return
    if source.folder_given:
        words, advice = f"the certificates folder {str(source.folder)!r}", "put the file in that folder"
    else:
        words, advice = "the CSV file's folder", "put the file beside the CSV"
    with CertificateFolder(source.folder, words, advice) as folder:
        yield folder


def _stage(ledger: Ledger, plan: CsvPlan, folder: CertificateFolder | None, *, today: date,
           default_source: str | None, raw: bool, dry_run: bool, warn: Callable[[str], None]) -> None:
    """Read, check and stage every row (``create_staging`` first); raise one error naming the invalid rows."""
    source = plan.source
    rows = _Reader(source, today, default_source, raw, folder, plan.options)
    ledger_exchange.fill_staging(ledger, rows.staged(plan))
    problems = rows.problems
    if problems.count:
        bad = problems.rows
        summary = f"{bad} invalid row{'s' if bad != 1 else ''} in {source.shown}, nothing imported"
        if problems.count == 1:
            raise ImportRefused(f"{summary}: {problems.first}", [])
        raise ImportRefused(f"{summary} ({problems.count:,} problem{'s' if problems.count > 1 else ''}, "
                            "listed above)", problems.lines())
    would = "would be " if dry_run else ""
    if rows.unattached.count:
        many = rows.unattached.count > 1
        cells = (f"the certificate cell{'s' if many else ''} on line{'s' if many else ''} "
                 f"{rows.unattached.joined(', ')}")
        those = f"{'those records' if many else 'that record'} {would}imported without a certificate"
        if source.archive is not None:
            warn(f"the certificate{'s' if many else ''} of line{'s' if many else ''} "
                 f"{rows.unattached.joined(', ')} {'are' if many else 'is'} not in {source.archive.shown}; {those} "
                 "(--skip-missing)")
        elif source.folder is None:
            warn(f"{cells} {'are' if many else 'is'} not read: {source.shown} has no folder of its own, so "
                 f"{those}; give --certificates-dir DIR to attach files from DIR")
        else:
            warn(f"{cells} name{'' if many else 's'} no file in {_folder_words(source)}; {those} "
                 "(--skip-missing)")
    if rows.unusual.count:
        warn(f"{rows.unusual.count} row{'s have' if rows.unusual.count > 1 else ' has'} unusual credits "
             f"for the delivery method, kept as entered: {rows.unusual.joined()}")


def _count_new(ledger: Ledger) -> tuple[int, int, int]:
    with ledger_exchange.bulk_cache(ledger), ledger_exchange.snapshot(ledger):
        return ledger_exchange.mark_new_rows(ledger)


def import_csv(ledger: Ledger, source: CsvSource, *, today: date, default_source: str | None = None,
               dry_run: bool = False, raw: bool = False,
               warn: Callable[[str], None] = lambda message: None) -> ImportResult:
    """``read_header`` then ``import_rows``, for callers that already hold the ledger."""
    plan = read_header(source, warn)
    return import_rows(ledger, plan, today=today, default_source=default_source, dry_run=dry_run, raw=raw,
                       warn=warn)


def _folder_words(source: CsvSource) -> str:
    return "the current folder" if source.folder == Path(".") else f"{str(source.folder)!r}"


def _write(ledger: Ledger, folder, source_name: str) -> tuple[tuple[int, int, int], int, int | None]:
    """Under the write lock: skip duplicates, stage certificates, insert the new rows and their batch; one
    transaction. Returns (counts, certificates attached, batch id or None when nothing was added).

    Each certificate is opened here, once (``CertificateFolder.stage``, or a
    ZIP's checked copy): the file checked while the rows were read, or the
    import fails whole. An import that adds no record makes no batch: there
    would be nothing to list or undo.
    """
    from datetime import datetime, timezone

    from ..store import batches

    staged: list = []
    batch = None
    try:
        with ledger_exchange.bulk_cache(ledger), ledger.write():  # the cache outlives the commit, which uses it
            counts = ledger_exchange.mark_new_rows(ledger)
            for line, path, identity, name in ledger_exchange.kept_certificates(ledger):
                assert folder is not None  # a row names a file only when there is a folder to find it in
                try:
                    if name is not None:  # a ZIP's entry, checked against the manifest
                        certificate = folder.stage(ledger.home, path, name)
                    else:
                        certificate = folder.stage(ledger.home, Found(path=path, identity=identity))
                except CpeError as problem:
                    raise CpeError(f"line {line}: {problem.message}", problem.exit_code) from None
                staged.append(certificate)
                ledger_exchange.attach_staged(ledger, line, certificate)
            rows, kept, _ = counts
            if kept:
                # To the microsecond, where ``cpe edit`` writes whole seconds: an edit made within the second of the
                # import still leaves changed_at unlike added_at, which is how ``--undo`` tells edited records.
                stamp = datetime.now(timezone.utc).isoformat(timespec="microseconds")
                batch = batches.record_batch(ledger, imported_at=stamp, source_name=source_name, imported=kept,
                                             skipped=rows - kept)
                ledger_exchange.insert_kept(ledger, batch=batch, stamp=stamp)
    except BaseException:
        for certificate in staged:
            certificates.abandon_staged(ledger.home, certificate)
        raise
    for certificate in staged:
        certificates.finish_staged(ledger.home, certificate)
    return counts, len(staged), batch
