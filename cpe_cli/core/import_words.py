"""The words of other tools' exports, as data: header spellings, date forms, credit units.

``cpe import`` reads files written by learning platforms, spreadsheets and
this tool. Their headers and values are matched here, before the rules of
``cpe add`` (``records.check_record``) see them; the README lists these tables.
Plain data and small pure functions: no I/O, no SQL.
"""

from __future__ import annotations

import re
from datetime import date

from .errors import CpeError
from .matching import normalize

# Header spellings of each record field, compared after ``header_words`` (case, spacing, punctuation,
# "&" and a trailing unit such as "(hrs)" or "Earned" folded). The first is this tool's own column name.
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "title": ("title", "Course Title", "Course Name", "Course", "Course/Seminar Title", "Seminar Title",
              "Program Title", "Program Name", "Program", "Session Title", "Webinar Title"),
    "credits": ("credits", "Credits Earned", "CPE Credits", "CPE Credit", "CPE Hours", "CPE Hours Earned",
                "CPE", "Hours", "Hours Earned", "Credit Hours", "Credit", "CPE Earned", "Total Credits"),
    "field_of_study": ("field_of_study", "Field of Study", "NASBA Field of Study", "Field", "Subject Area",
                       "Subject", "CPE Field of Study", "Field of Study Name"),
    "delivery_method": ("delivery_method", "Delivery Method", "Delivery Format", "Delivery Type", "Format",
                        "Instructional Method", "Instructional Delivery Method", "Learning Format"),
    "date": ("date", "Completion Date", "Completed Date", "Date Completed", "Completed On", "completed_on",
             "Completed", "Date", "Date of Completion"),
    "provider": ("provider", "Sponsor", "Sponsor Name", "Provider Name", "Course Provider", "Program Sponsor",
                 "NASBA Sponsor"),
    "state": ("state", "Jurisdiction", "State", "Licensing State"),
    "description": ("description", "Course Description", "Program Description"),
    "source": ("source",),
    "certificate": ("certificate", "Certificate File", "Certificate", "Certificate Path", "Certificate File Name"),
    "tags": ("tags", "Tag"),
}
REQUIRED_FIELDS = ("title", "credits", "field_of_study", "delivery_method", "date", "provider")
# Columns this tool writes that an import has no use for: ids are the new ledger's, and the
# ZIP manifest's entry names and hashes describe the archive. Compared after ``header_words``.
IGNORED_HEADERS = ("id", "zip_entry", "sha256")
# A trailing unit a header may carry: "Credits (hrs)", "CPE Hours Earned", "Credit Hours (CPE)".
HEADER_UNITS = ("hrs", "hr", "hours", "cpe", "earned", "credits", "h")

_PARENTHESIS = re.compile(r"\s*[\(\[][^\)\]]*[\)\]]\s*$")


def header_words(cell: str) -> str:
    """A header cell folded for comparison: case, spacing, punctuation, "&" and a trailing (unit) ignored."""
    return normalize(_PARENTHESIS.sub("", cell) or cell)


def _without_unit(words: str) -> str:
    parts = words.split()
    while len(parts) > 1 and parts[-1] in HEADER_UNITS:
        parts.pop()
    return " ".join(parts)


_KEY_BY_WORDS = {header_words(spelling): key for key, spellings in HEADER_SYNONYMS.items()
                 for spelling in spellings}
_IGNORED = {header_words(name) for name in IGNORED_HEADERS}


def header_field(cell: str) -> str | None:
    """The record field a header cell names, or None."""
    words = header_words(cell)
    key = _KEY_BY_WORDS.get(words)
    if key is None and _KEY_BY_WORDS.get(_without_unit(words)) == "credits":  # "Course Hours" is no title
        key = "credits"
    return key


def is_ignored_header(cell: str) -> bool:
    return header_words(cell) in _IGNORED


# The ZIP manifest's own columns (``cpe export zip``): read only when the manifest comes inside its archive,
# where they name each certificate's entry and the SHA-256 it must have.
ARCHIVE_COLUMNS = ("zip_entry", "sha256")
_ARCHIVE_BY_WORDS = {header_words(name): name for name in ARCHIVE_COLUMNS}


def archive_field(cell: str) -> str | None:
    """``zip_entry`` or ``sha256`` for a manifest header naming one of them, else None."""
    return _ARCHIVE_BY_WORDS.get(header_words(cell))


def field_named(text: str) -> str | None:
    """A field given by name on the command line (``--map``, ``--map-value``): its key or a synonym."""
    if normalize(text).replace(" ", "_") in HEADER_SYNONYMS:
        return normalize(text).replace(" ", "_")
    return header_field(text)


def closest_header(field: str, headers: list[str]) -> str | None:
    """The header cell most like a spelling of ``field`` (for a missing-column error), or None."""
    from difflib import SequenceMatcher

    best, score = None, 0.0
    for cell in headers:
        words = header_words(cell)
        if not words:
            continue
        for spelling in HEADER_SYNONYMS[field]:
            ratio = SequenceMatcher(None, words, header_words(spelling)).ratio()
            if ratio > score:
                best, score = cell, ratio
    return best if score >= 0.5 else None


# -- dates ----------------------------------------------------------------------------------------------

MONTHS: dict[str, int] = {name: number for number, names in enumerate((
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
    ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
    ("dec", "december")), start=1) for name in names}
# The date forms an import reads (name shown to the user, pattern; groups y, m, d or mon).
DATE_FORMS: tuple[tuple[str, str], ...] = (
    ("YYYY-MM-DD", r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"),
    ("YYYY-MM-DD HH:MM:SS", r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?"),
    ("YYYY/MM/DD", r"(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})"),
    ("M/D/YYYY", r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})"),
    ("M/D/YY", r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<yy>\d{2})"),
    ("Mar 15, 2024", r"(?P<mon>[A-Za-z]{3,9})\.? (?P<d>\d{1,2}),? (?P<y>\d{4})"),
    ("15-Mar-2024", r"(?P<d>\d{1,2})[- ](?P<mon>[A-Za-z]{3,9})\.?[- ](?P<y>\d{4})"),
)
DATE_FORM_NAMES = ", ".join(name for name, _ in DATE_FORMS)
_DATE_PATTERNS = tuple((name, re.compile(rf"^{pattern}$")) for name, pattern in DATE_FORMS)
_DAY_FIRST_FORMS = ("M/D/YYYY", "M/D/YY")  # read D/M/Y with --day-first


def import_date(text: str, *, day_first: bool = False) -> str:
    """A date cell as ISO text for ``check_record``; a form not listed here is passed on as written.

    ``M/D/YYYY`` and ``M/D/YY`` (20YY) are month first unless ``day_first``; a
    date that is only a real date day first is refused with a hint naming --day-first.
    """
    raw = text.strip()
    for name, pattern in _DATE_PATTERNS:
        found = pattern.match(raw)
        if found is None:
            continue
        parts = found.groupdict()
        year = int(parts["y"]) if parts.get("y") else 2000 + int(parts["yy"])
        if parts.get("mon"):
            month = MONTHS.get(parts["mon"].casefold())
            if month is None:
                raise CpeError.invalid(f"date {raw!r} has an unknown month name {parts['mon']!r}")
            day = int(parts["d"])
        else:
            month, day = int(parts["m"]), int(parts["d"])
            if day_first and name in _DAY_FIRST_FORMS:
                month, day = day, month
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            if name in _DAY_FIRST_FORMS and not day_first:
                try:
                    date(year, day, month)
                except ValueError:
                    pass
                else:
                    raise CpeError.invalid(f"date {raw!r} is not a real month-first date ({name}); if the file "
                                           "writes the day first, give --day-first") from None
            order = " (read day first: --day-first)" if day_first and name in _DAY_FIRST_FORMS else ""
            raise CpeError.invalid(f"date {raw!r} is not a real calendar date{order}") from None
    return raw


# -- credits ---------------------------------------------------------------------------------------------

CREDIT_UNITS = ("cpe", "cpe credits", "cpe credit", "cpe hours", "credits", "credit", "hrs", "hr", "hours", "hour")
_CREDITS_WITH_UNIT = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([A-Za-z][A-Za-z ]*?)\s*$")


def import_credits(text: str) -> str:
    """``1.5 CPE``, ``2 hrs``, ``2 hours`` as ``1.5``, ``2``; anything else as written (``parse_credits`` judges)."""
    found = _CREDITS_WITH_UNIT.match(text)
    if found and " ".join(found.group(2).casefold().split()) in CREDIT_UNITS:
        return found.group(1)
    return text


# -- command-line words ------------------------------------------------------------------------------------

DELIMITERS: dict[str, str] = {",": ",", "comma": ",", ";": ";", "semicolon": ";", "\t": "\t", "tab": "\t",
                              "\\t": "\t"}
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


def parse_delimiter(text: str) -> str:
    found = DELIMITERS.get(text.casefold() if text.strip() else text)
    if found is None:
        raise CpeError.invalid(f"--delimiter {text!r} is not one cpe reads; give , ; or tab")
    return found


def detect_delimiter(header_line: str) -> str:
    """The delimiter of a header line: the most frequent of , ; tab outside quotes (a comma on a tie)."""
    counts = {",": 0, ";": 0, "\t": 0}
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda mark: (counts[mark], mark == ","))
    return best if counts[best] else ","


def parse_column_maps(maps: list[str] | None) -> dict[str, str]:
    """``--map "Credits Earned=credits"``: header as written (folded) -> field."""
    result: dict[str, str] = {}
    for item in maps or ():
        header, equals, field = item.rpartition("=")
        key = field_named(field) if field.strip() else None
        if not equals or not header.strip():
            raise CpeError.invalid(f"--map {item!r} is not HEADER=FIELD, e.g. --map 'Credits Earned=credits'")
        if key is None:
            raise CpeError.invalid(f"--map {item!r}: {field.strip()!r} is not a field; fields: "
                                   f"{', '.join(HEADER_SYNONYMS)}")
        result[header_words(header) or header.strip()] = key
    return result


def parse_value_maps(maps: list[str] | None) -> dict[str, dict[str, str]]:
    """``--map-value "field_of_study:Accounting & Auditing=Auditing"``: field -> folded value -> value."""
    result: dict[str, dict[str, str]] = {}
    for item in maps or ():
        field, colon, rest = item.partition(":")
        value, equals, replacement = rest.partition("=")
        key = field_named(field) if field.strip() else None
        if not colon or not equals or not value.strip():
            raise CpeError.invalid(f"--map-value {item!r} is not FIELD:VALUE=NEW, e.g. --map-value "
                                   "'field_of_study:Accounting & Auditing=Auditing'")
        if key is None:
            raise CpeError.invalid(f"--map-value {item!r}: {field.strip()!r} is not a field; fields: "
                                   f"{', '.join(HEADER_SYNONYMS)}")
        result.setdefault(key, {})[normalize(value)] = replacement.strip()
    return result
