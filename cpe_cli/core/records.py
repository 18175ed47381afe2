"""A CPE record and the rules every way of creating one shares.

``cpe add`` (flags or the interactive form), ``cpe import`` and ``cpe edit``
all validate through this module, so a value refused in one is refused in
all, with the same words. Each field has its own validator (the form re-asks
one field at a time); ``check_record`` runs them all and collects every
problem, for commands that report a whole row at once.
"""

from __future__ import annotations

import unicodedata
from collections import namedtuple
from collections.abc import Callable, Mapping
from functools import lru_cache
from datetime import date
from decimal import Decimal

from . import catalog
from .credits import increment_warning, parse_credits
from .errors import CpeError
from .matching import match_choice
from .periods import completion_date

TITLE_MAX = 300
PROVIDER_MAX = 200
DESCRIPTION_MAX = 5000

# Bidirectional overrides can make a title read differently from what is
# stored (a spoofing trick); they are refused along with C0/C1 controls.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


# The value classes below are named tuples, not dataclasses: ``dataclasses`` imports ``inspect`` (and with it
# ``ast``, ``dis``, ``tokenize``), 15-40 ms before ``cpe total`` has read a row, and builds each class with
# ``exec`` (about 2 ms a class); a named tuple costs neither (``collections`` is loaded by ``decimal`` anyway).
# They are built by keyword everywhere, immutable, compared and hashed by value; ``_replace`` is
# ``dataclasses.replace``.
_RECORD_FIELDS = ("title", "credits", "field_of_study", "completed_on", "delivery_method", "provider", "source",
                  "state", "description", "tags")
_RECORD_DEFAULTS = ("external", None, "", ())  # source, state, description, tags (sorted, unique: core.tags)


class _Identity:
    __slots__ = ()

    @property
    def identity(self) -> tuple:
        """What makes two records the same course taken once (duplicate detection)."""
        return (self.source, self.title, self.completed_on, self.provider, self.credits,
                self.field_of_study, self.delivery_method)


class Record(_Identity, namedtuple("Record", _RECORD_FIELDS, defaults=_RECORD_DEFAULTS)):
    """A course taken: what ``cpe add``, ``cpe import`` and ``cpe edit`` validate (``check_record``) and store.
    ``tags`` hold what a field cannot show, e.g. board approval."""

    __slots__ = ()


class Certificate(namedtuple("Certificate", ("original_name", "stored_name", "sha256", "size"))):
    """A stored certificate file: the name it was added under, its name in the store, its SHA-256 and size."""

    __slots__ = ()

    def __new__(cls, original_name: str, stored_name: str, sha256: str, size: int):
        # A file name that is not UTF-8 (``r\xe9sum\xe9.pdf`` on Linux) arrives with lone surrogates, which
        # cannot be stored as text: keep a readable name instead (the bytes are the file's, not the name's).
        if not original_name.isascii():
            original_name = readable_file_name(original_name)
        return super().__new__(cls, original_name, stored_name, sha256, size)


def readable_file_name(name: str) -> str:
    """A file name as text that can be stored and shown: UTF-8 as it is; other bytes read as Windows-1252.

    ``os.fsdecode`` hands undecodable bytes over as lone surrogates (U+DC80-U+DCFF); each run of them is
    read as the Latin text it most likely is (``r\xe9sum\xe9.pdf`` gives ``résumé.pdf``), and what
    Windows-1252 does not define becomes U+FFFD.
    """
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        pass
    raw = name.encode("utf-8", "surrogateescape" if all(
        not 0xD800 <= ord(char) <= 0xDFFF or 0xDC80 <= ord(char) <= 0xDCFF for char in name) else "replace")
    parts: list[str] = []
    while raw:
        try:
            parts.append(raw.decode("utf-8"))
            break
        except UnicodeDecodeError as problem:
            parts.append(raw[:problem.start].decode("utf-8"))
            parts.append(raw[problem.start:problem.end].decode("cp1252", "replace"))
            raw = raw[problem.end:]
    return "".join(char if unicodedata.category(char) != "Cc" else "\ufffd" for char in "".join(parts))


class StoredRecord(_Identity, namedtuple("StoredRecord", ("id", *_RECORD_FIELDS, "certificate", "added_at",
                                                            "changed_at"),
                                         defaults=(*_RECORD_DEFAULTS, None, "", ""))):
    """A record as the ledger holds it: a ``Record``'s fields, its id, certificate and timestamps."""

    __slots__ = ()


def _refuse_controls(text: str, what: str, allowed: str = "") -> None:
    if text.isprintable():  # the common case, checked in C: no controls, no bidi overrides (both unprintable)
        return
    for char in text:
        if char in allowed:
            continue
        category = unicodedata.category(char)
        if category == "Cs":
            # A lone surrogate: bytes of an argument that were not UTF-8 (Python keeps them as U+DC80-U+DCFF).
            code = ord(char)
            what_bytes = f"byte 0x{code - 0xDC00:02X}" if 0xDC80 <= code <= 0xDCFF else f"U+{code:04X}"
            raise CpeError.invalid(f"{what} is not valid UTF-8 text ({what_bytes}); set your terminal or script "
                                   "to UTF-8 and try again")
        if category == "Cc" or char in _BIDI_CONTROLS:
            raise CpeError.invalid(f"{what} contains a control character (U+{ord(char):04X}); "
                                   "remove it and try again")


# Characters that show nothing: format characters (zero-width space, direction marks), separators, controls,
# and the blank letters some fonts draw as nothing (Hangul fillers, the braille blank).
_INVISIBLE_CATEGORIES = frozenset(("Cc", "Cf", "Cs", "Zs", "Zl", "Zp"))
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _require_visible(text: str, what: str) -> None:
    """Refuse a required text that shows nothing (only a zero-width space or a direction mark, say)."""
    if text.isascii():  # stripped and non-empty: an ASCII text has a visible character (controls are refused)
        return
    if all(unicodedata.category(char) in _INVISIBLE_CATEGORIES or char in _BLANK_LETTERS for char in text):
        raise CpeError.invalid(f"{what} has no visible character (only invisible ones such as a zero-width "
                               "space or a direction mark); type the text as it reads")


def _bounded_text(text: str | None, what: str, maximum: int, required: bool) -> str:
    cleaned = (text or "").strip()
    if required and not cleaned:
        raise CpeError.invalid(f"{what} is required (1 to {maximum} characters)")
    if len(cleaned) > maximum:
        raise CpeError.invalid(f"{what} is {len(cleaned)} characters long; at most {maximum} are allowed")
    return cleaned


def clean_title(text: str | None) -> str:
    title = _bounded_text(text, "title", TITLE_MAX, required=True)
    _refuse_controls(title, "title")
    _require_visible(title, "title")
    return title


def clean_provider(text: str | None) -> str:
    provider = _bounded_text(text, "provider", PROVIDER_MAX, required=True)
    _refuse_controls(provider, "provider")
    _require_visible(provider, "provider")
    return provider


def clean_description(text: str | None) -> str:
    description = _bounded_text((text or "").replace("\r\n", "\n").replace("\r", "\n"),
                                "description", DESCRIPTION_MAX, required=False)
    _refuse_controls(description, "description", allowed="\n\t")
    return description


# Cached: pure lookups in fixed lists, repeated on every row of an import.
@lru_cache(maxsize=1024)
def match_field(text: str | None, *, suggest: bool = True) -> str:
    return match_choice(text or "", {f.name: f.aliases for f in catalog.FIELDS_OF_STUDY}, "field of study",
                        suggest=suggest)


@lru_cache(maxsize=1024)
def match_delivery(text: str | None) -> str:
    return match_choice(text or "", {m.name: m.aliases for m in catalog.DELIVERY_METHODS}, "delivery method")


@lru_cache(maxsize=1024)
def match_state(text: str | None) -> str | None:
    """A jurisdiction code from a code or name; None when the optional state is left blank."""
    if text is None or not str(text).strip():
        return None
    choices: dict[str, tuple[str, ...]] = {code: (name,) for code, name in catalog.JURISDICTIONS.items()}
    for alias, code in catalog.JURISDICTION_ALIASES.items():
        choices[code] = (*choices[code], alias)
    return match_choice(text, choices, "state")


@lru_cache(maxsize=1024)
def match_source(text: str | None) -> str:
    if text is None or not str(text).strip():
        return "external"
    return match_choice(text, {name: () for name in catalog.SOURCES}, "source")


class RecordCheck:
    """Every problem with one candidate record, by field, and the warnings it earns."""

    __slots__ = ("record", "errors", "warnings")

    def __init__(self, record: Record | None = None, errors: list[tuple[str, str]] | None = None,
                 warnings: list[str] | None = None):
        self.record = record
        self.errors: list[tuple[str, str]] = [] if errors is None else errors
        self.warnings: list[str] = [] if warnings is None else warnings

    def __repr__(self) -> str:
        return f"RecordCheck(record={self.record!r}, errors={self.errors!r}, warnings={self.warnings!r})"


FIELD_ORDER: tuple[str, ...] = ("title", "credits", "field_of_study", "state", "date", "delivery_method",
                                "provider", "description", "source", "tags")


def clean_tags(value) -> tuple[str, ...]:
    """Tags given as text (``fraud;ca-regulatory-review``, commas or spaces work too) or as a list."""
    from .tags import normalize_tags

    if value is None:
        return ()
    if isinstance(value, str):
        value = value.replace(";", " ").replace(",", " ").split()
    return normalize_tags(value)


def check_record(values: Mapping[str, str | None], today: date, *, date_required: bool = False) -> RecordCheck:
    """Validate a candidate record given as text, collecting all problems.

    ``values`` uses the keys of ``FIELD_ORDER``; a missing key is an empty
    value. The date defaults to today unless ``date_required`` (imports,
    where a silent default would misdate a course).
    """
    validators: dict[str, Callable[[str | None], object]] = {
        "title": clean_title,
        "credits": lambda text: parse_credits(text or ""),
        "field_of_study": match_field,
        "state": match_state,
        "date": lambda text: _checked_date(text, today, date_required),
        "delivery_method": match_delivery,
        "provider": clean_provider,
        "description": clean_description,
        "source": match_source,
        "tags": clean_tags,
    }
    cleaned: dict[str, object] = {}
    check = RecordCheck(record=None)
    for name in FIELD_ORDER:
        try:
            cleaned[name] = validators[name](values.get(name))
        except CpeError as problem:
            check.errors.append((name, problem.message))
    if check.errors:
        return check
    record = Record(title=cleaned["title"], credits=cleaned["credits"], field_of_study=cleaned["field_of_study"],
                    completed_on=cleaned["date"], delivery_method=cleaned["delivery_method"],
                    provider=cleaned["provider"], source=cleaned["source"], state=cleaned["state"],
                    description=cleaned["description"], tags=cleaned["tags"])
    check.record = record
    warning = increment_warning(record.credits, record.delivery_method)
    if warning:
        check.warnings.append(warning)
    return check


def _checked_date(text: str | None, today: date, required: bool) -> date:
    """None (not given) means today, unless required; a date given but empty (``--date "$unset"``) is refused."""
    if required and (text is None or not str(text).strip()):
        raise CpeError.invalid("date is required: use YYYY-MM-DD, MM/DD/YYYY or 'June 11, 2026'")
    if text is not None and not str(text).strip():
        raise CpeError.invalid("date is empty: use YYYY-MM-DD, MM/DD/YYYY or 'June 11, 2026' "
                               "(leave the date out for today)")
    return completion_date(text, today)


def build_record(values: Mapping[str, str | None], today: date) -> tuple[Record, list[str]]:
    """Validate a candidate record, raising one error that names every problem."""
    check = check_record(values, today)
    if check.errors:
        raise CpeError.invalid("; ".join(message for _, message in check.errors))
    assert check.record is not None
    return check.record, check.warnings
