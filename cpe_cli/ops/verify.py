"""``cpe verify``: prove that the ledger is whole, or list every way it is not.

Checks, in order: SQLite's ``integrity_check``; the schema version and the
migrations applied; that every certificate a record (or a trash entry still
within its 30 days) names exists as a regular file with the recorded size
and SHA-256; that ``certificates/`` holds nothing else (``.incoming/`` is
recovery's); and that every record passes the rules ``cpe add`` applies
today, stored the way cpe stores it. A damaged database does not stop the
later checks: each one that cannot read reports that as a problem.

It also compares the whole schema (tables, columns, indexes, triggers,
views) with what cpe's migrations make for the ledger's version, checks the
trash entries as it checks records, lists what ``lost+found/`` holds, and
lists what killed restores left beside the home.

The records are read once for the rules, in a thread beside the integrity
check, and the rules run once per distinct stored value rather than once per
row (``integrity.start_record_read``, ``_judge``); the fresh monthly totals
are summed from the date index in the same snapshot: at 1,000,000 records
that is what keeps ``cpe verify`` near the time SQLite's own check takes
(issue 14). When that read cannot answer exactly, a slower one does, with
the same findings.

Repair never deletes a certificate or changes a record: it moves stray files
to ``lost+found/`` (after listing them), rebuilds the per-month totals
(derived data), and removes leftovers of killed restores that are provably
abandoned. The queries are in ``store/integrity.py``; this module decides
what their answers mean. ``serious`` lists the problems that mean the
database itself cannot be trusted (integrity, schema, a row ``cpe add`` would
refuse, a certificate name cpe never gives): restore refuses a backup with
any of them.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from functools import lru_cache
from datetime import date

from ..core.credits import to_hundredths
from ..core.errors import CpeError
from ..core.periods import FIRST_YEAR
from ..core.records import DESCRIPTION_MAX, FIELD_ORDER, PROVIDER_MAX, TITLE_MAX, Certificate, check_record
from ..store import certificates, integrity, schema, swap, trash
from ..store.certificates import is_safe_stored_name
from ..store.integrity import DatabaseError
from ..store.ledger import Ledger

_INTEGRITY_LINES = 20

# The commands that fix a problem. What only a backup can undo (a damaged file, a schema or a row cpe never
# wrote) is restored from one; a record's value is set again with ``cpe edit``.
RESTORE = "cpe restore BACKUP --force"
REPAIR = "cpe verify --repair"
_EDIT_OPTIONS = {"title": "--title", "credits": "--credits", "field_of_study": "--field", "state": "--state",
                 "date": "--date", "delivery_method": "--delivery", "provider": "--provider",
                 "description": "--description", "source": "--source", "tags": "--tag"}
_PLACEHOLDERS = {"field_of_study": "FIELD", "delivery_method": "METHOD", "date": "YYYY-MM-DD", "tags": "TAG"}


def _edit(record_id: int, *options: tuple[str, str]) -> str:
    """``cpe edit ID --option VALUE ...``, values quoted for a POSIX shell."""
    from shlex import quote

    return " ".join([f"cpe edit {record_id}", *(f"{_EDIT_OPTIONS[name]} {quote(value)}" for name, value in options)])


class Report:
    """What ``verify_ledger`` found and did. A plain class, not a dataclass: ``dataclasses`` (with ``inspect``)
    is 10-15 ms of ``cpe verify``'s start-up."""

    __slots__ = ("problems", "serious", "repaired", "records", "certificates", "trash", "schema_version", "moved",
                 "fixes")

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.serious: list[str] = []  # also in ``problems``: the database cannot be trusted
        # What --repair did, then notes that need no repair (what lost+found/ holds, leftovers of killed restores
        # beside the home): listed before the verdict, and not problems (the ledger itself is whole).
        self.repaired: list[str] = []
        self.records = 0
        self.certificates = 0
        self.trash = 0
        self.schema_version = 0
        self.moved: set[str] = set()  # names given in lost+found/ by this run's repair
        # The command that fixes a problem, where one exists, by the problem's text (``with_fix`` shows it).
        self.fixes: dict[str, str] = {}

    @property
    def whole(self) -> bool:
        return not self.problems

    def problem(self, text: str, fix: str | None = None) -> None:
        self.problems.append(text)
        if fix:
            self.fixes[text] = fix

    def serious_problem(self, text: str, fix: str | None = RESTORE) -> None:
        self.problem(text, fix)
        self.serious.append(text)

    def with_fix(self, text: str) -> str:
        """A problem as ``cpe verify`` lists it: ending with the command that fixes it, where there is one."""
        fix = self.fixes.get(text)
        return f"{text}; run: {fix}" if fix else text


def verify_ledger(ledger: Ledger, today: date, *, repair: bool = False, repair_totals_only: bool = False) -> Report:
    """``repair_totals_only``: rebuild the per-month totals if they differ, and nothing else (a restore's staged
    copy, whose strays and neighbours are not the home's).

    The records are read once (``integrity.start_record_read``), in a thread and on connections of their own,
    while this one runs SQLite's integrity check: at 1,000,000 records that read costs about as much as the
    integrity check does, and the two overlap. Its answers are used only if the integrity check passes (the
    rows of a damaged table are not judged, as before) and the schema is cpe's; when it cannot answer
    exactly, the checks below read the slow way, which says what is wrong as it always did.
    """
    report = Report()

    def run(what: str, check: Callable[[], None]) -> None:
        try:
            check()
        except DatabaseError as problem:
            report.serious_problem(f"database: cannot {what} ({problem})")

    try:
        read = integrity.start_record_read(ledger, _judge(today), _all_plainly_kept)
    except DatabaseError:
        read = None
    try:
        run("run the integrity check", lambda: _check_integrity(ledger, report))
        damaged = bool(report.problems)
        if damaged and read is not None:
            read.close()  # stop at once: nothing it finds will be used
            read = None
        run("read the schema version", lambda: _check_schema(ledger, report))
        # What the read takes from indexes relies on the NOT NULL constraints, which hold when the schema is
        # cpe's and the integrity check (which checks them) passed.
        facts = read.finish(constraints_hold=not report.problems) if read is not None else None
        if not damaged:
            run("check the monthly totals",
                lambda: _check_monthly_totals(ledger, report, repair or repair_totals_only, facts))
        run("list the certificate files", lambda: _check_strays(ledger, report, repair))
        run("check the certificate files", lambda: _check_certificates(ledger, report, today))
        if damaged:
            # Rows of a damaged table read as garbage: judging them by the rules would only add noise.
            report.problem("database: records not checked against today's rules while the database is damaged",
                           RESTORE)
        else:
            run("read the records", lambda: _check_records(ledger, report, today, read if facts else None, facts))
            run("read the trash", lambda: _check_trash(ledger, report, today))
    finally:
        if read is not None:
            read.close()
    if not repair_totals_only:
        _check_lost_and_found(ledger, report)
        _check_leftovers(ledger, report, repair)
    return report


def _check_integrity(ledger: Ledger, report: Report) -> None:
    rows = integrity.integrity_check(ledger, _INTEGRITY_LINES)
    if rows != ["ok"]:
        for line in (line for row in rows for line in row.splitlines()):
            if line.strip() and not line.startswith("*** in database"):
                report.serious_problem(f"database: {line}")


def _check_schema(ledger: Ledger, report: Report) -> None:
    application_id, version = integrity.schema_marks(ledger)
    report.schema_version = version
    if application_id != schema.APPLICATION_ID:
        report.serious_problem(f"database: application id {application_id:#x} is not cpe's")
    if version != schema.SCHEMA_VERSION:
        report.serious_problem(f"database: schema version {version}, expected {schema.SCHEMA_VERSION}")
    for difference in integrity.schema_differences(ledger, version):
        report.serious_problem(f"database: schema: {difference} (not what cpe's migrations make)")
    if integrity.migrations_table_problem(ledger) is not None:
        return
    applied = integrity.applied_migrations(ledger)
    missing = [step.__name__ for step in schema.MIGRATIONS if step.__name__ not in applied]
    if missing:
        report.serious_problem(f"database: migrations not recorded as applied: {', '.join(missing)}")


def _check_monthly_totals(ledger: Ledger, report: Report, repair: bool, facts: integrity.RecordFacts | None) -> None:
    """The per-month totals the triggers keep must equal a fresh sum of the records (summed from the date index
    by the one read of every record when there is one: both sides were read in its snapshot).

    They are derived data, so ``--repair`` rebuilds them (no record is touched).
    """
    differing = (integrity.totals_differing(facts.totals, facts.kept) if facts is not None
                 else integrity.monthly_totals_differing(ledger))
    if not differing:
        return
    if repair:
        integrity.rebuild_monthly_totals(ledger)
        report.repaired.append(f"rebuilt the monthly totals ({differing} {'row' if differing == 1 else 'rows'} "
                               "differed from the records)")
    else:
        # The fix ("; run: cpe verify --repair") is added to the line: the line does not say it twice.
        report.problem(f"database: {differing} monthly {'total differs' if differing == 1 else 'totals differ'} "
                       "from the records (derived data, rebuilt from them)", REPAIR)


def _check_strays(ledger: Ledger, report: Report, repair: bool) -> None:
    """Files in ``certificates/`` that nothing names; listed (and moved to ``lost+found/``) under the write
    lock, so that a concurrent ``cpe add`` between copying its file and committing is never mistaken for one.
    A stray is never deleted: a file no record names may still be the only copy of a certificate."""
    folder = certificates.certificates_dir(ledger.home)
    moved = False
    with ledger.write():
        known = integrity.referenced_certificates(ledger) | {certificates.incoming_dir(ledger.home).name}
        with os.scandir(folder) as entries:
            strays = sorted((entry for entry in entries if entry.name not in known),
                            key=lambda entry: entry.name)
        for entry in strays:
            shown = f"certificates/{entry.name}"
            if entry.is_dir(follow_symlinks=False):
                report.problem(f"stray folder {shown} (no record names it; verify --repair leaves folders "
                               "alone: move it out yourself)")
            elif repair:
                try:
                    kept = certificates.move_to_lost_and_found(ledger.home, folder / entry.name)
                except OSError as problem:
                    report.problem(f"stray file {shown} could not be moved to {certificates.LOST_AND_FOUND}/ "
                                   f"({problem.strerror or problem})")
                    continue
                moved = True
                report.moved.add(kept)
                report.repaired.append(f"stray file {shown}: moved to {certificates.LOST_AND_FOUND}/{kept} "
                                       "(no record names it; look at it, then delete it)")
            else:
                report.problem(f"stray file {shown} (no record names it; 'cpe verify --repair' moves it to "
                               f"{certificates.LOST_AND_FOUND}/)", REPAIR)
    if moved:
        certificates.fsync_dir(folder)
        certificates.fsync_dir(certificates.lost_and_found_dir(ledger.home))


def _check_lost_and_found(ledger: Ledger, report: Report) -> None:
    """What cpe set aside for the user to look at: each entry of ``lost+found/`` is listed until it is removed."""
    folder = certificates.lost_and_found_dir(ledger.home)
    try:
        with os.scandir(folder) as entries:
            names = sorted(entry.name + ("/" if entry.is_dir(follow_symlinks=False) else "") for entry in entries
                           if entry.name not in report.moved)  # just listed as moved
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in names:
        report.repaired.append(f"note: {certificates.LOST_AND_FOUND}/{name} was set aside by cpe (a stray "
                               "certificate, or what a restore replaced); no record needs it: look at it, then "
                               "delete it")


def _check_leftovers(ledger: Ledger, report: Report, repair: bool) -> None:
    """What killed restores left beside the home; ``--repair`` removes what is provably abandoned."""
    found = swap.leftovers_beside(ledger.home)
    if not found:
        return
    removed = set()
    if repair:
        from .restore import clean_leftovers

        removed = set(clean_leftovers(ledger.home))
    for path in found:
        if path in removed:
            report.repaired.append(f"leftover of an interrupted 'cpe restore' {path}: removed")
        else:
            report.repaired.append(f"note: {path} is a leftover of an interrupted 'cpe restore' ('cpe verify "
                                   "--repair' or the next 'cpe restore' removes it once no command uses it)")


def _check_certificates(ledger: Ledger, report: Report, today: date) -> None:
    """Every file a record or trash entry names; a file several name (stored by content) is read once."""
    # (owner, certificate, the command that fixes a missing or altered file: attach the original file again to a
    # record; a trash entry's only comes back with a backup)
    owned: list[tuple[str, Certificate, str]] = [
        (f"record {record_id}", certificate, f"cpe edit {record_id} --certificate FILE")
        for record_id, certificate in integrity.record_certificates(ledger)]
    in_trash = trash.entries(ledger, today)
    report.trash = len(in_trash)
    owned.extend((f"record {entry.record_id} in the trash", entry.certificate, RESTORE)
                 for entry in in_trash if entry.certificate is not None)
    files_seen: dict[tuple[str, str, int], str | None] = {}
    good_files: set[str] = set()
    for owner, certificate, fix in owned:
        key = (certificate.stored_name, certificate.sha256, certificate.size)
        if key not in files_seen:
            files_seen[key] = _certificate_problem(ledger, certificate)
        problem = files_seen[key]
        if problem:
            if not is_safe_stored_name(certificate.stored_name):
                report.serious_problem(f"{owner}: {problem}")
            else:
                report.problem(f"{owner}: {problem}", fix)
        else:
            good_files.add(certificate.stored_name)
    report.certificates = len(good_files)


def _certificate_problem(ledger: Ledger, certificate: Certificate) -> str | None:
    if not is_safe_stored_name(certificate.stored_name):
        return (f"certificate name {certificate.stored_name!r} is not one cpe gives a stored file "
                "(the database was altered); the file was not opened")
    path = certificates.stored_path(ledger.home, certificate.stored_name)
    shown = f"certificates/{certificate.stored_name} ({certificate.original_name})"
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
    except FileNotFoundError:
        if certificate.stored_name not in integrity.referenced_certificates(ledger):
            return None  # removed by a command that ran meanwhile
        return f"certificate file {shown} is missing"
    except OSError as problem:
        return f"certificate file {shown} cannot be opened ({problem.strerror})"
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            return f"certificate file {shown} is not a regular file"
        if info.st_size != certificate.size:
            return (f"certificate file {shown} is {info.st_size:,} bytes, not the {certificate.size:,} stored: "
                    "it was altered or truncated")
    if certificates.sha256_of(path) != certificate.sha256:
        return f"certificate file {shown} does not match its SHA-256: it was altered after it was stored"
    return None


# Values the rules accept in several spellings but cpe stores one way (filters compare the stored text).
_STORED_CANONICALLY = ("title", "field_of_study", "state", "delivery_method", "provider", "source", "description")
def _check_records(ledger: Ledger, report: Report, today: date, read: integrity.RecordRead | None,
                   facts: integrity.RecordFacts | None) -> None:
    """Every record against today's rules.

    With ``facts`` (the one read of every record, ``integrity.start_record_read``): the rules ran once per
    distinct stored value of each column (``_judge``; the credits with their hundredths, the one rule that
    joins two columns), and run in full here on the rows holding a value that has a problem. That is exact:
    ``check_record`` judges each value on its own, so a row has a problem exactly when one of its values
    does. Without: SQL proves most rows are stored as cpe stores them (``integrity.rows_to_check``) and the
    rules run on the rest. Either way each problem reads as it always did.
    """
    if facts is not None and read is not None:
        report.records = facts.count
        rows = read.rows_with(facts.needing)
    else:
        report.records = integrity.record_count(ledger)
        rows = integrity.rows_to_check(ledger, today.isoformat(), fields=_kept_as_is("field_of_study"),
                                       methods=_kept_as_is("delivery_method"), states=_kept_as_is("state"),
                                       sources=_kept_as_is("source"), **_TEXT_LIMITS)
    for record_id, *row in rows:
        _report_row(report, record_id, *row, today)


@lru_cache(maxsize=None)
def _kept_as_is(name: str) -> tuple[str, ...]:
    """The spellings of a listed column (field, method, state, source) that the rules keep as they are."""
    from ..core import catalog
    from ..core.records import match_delivery, match_field, match_source, match_state

    names, match = {"field_of_study": (catalog.FIELD_NAMES, match_field),
                    "delivery_method": (catalog.DELIVERY_NAMES, match_delivery),
                    "state": (catalog.JURISDICTIONS, match_state), "source": (catalog.SOURCES, match_source)}[name]
    found = []
    for spelling in names:
        try:
            if match(spelling) == spelling:
                found.append(spelling)
        except CpeError:
            pass
    return tuple(found)


_TEXT_LIMITS = {"title_max": TITLE_MAX, "provider_max": PROVIDER_MAX, "description_max": DESCRIPTION_MAX}
# A column as ``integrity`` names it, by the name ``check_record`` gives its value.
_RAW_NAMES = {"title": "title", "credits": "credits", "field_of_study": "field_of_study", "state": "state",
              "completed_on": "date", "delivery_method": "delivery_method", "provider": "provider",
              "description": "description", "source": "source", "tags": "tags"}


def _judge(today: date) -> Callable[[str, object], bool]:
    """Whether a row holding a stored value needs the full check (``_row_problems``), judged by that very
    code: the value in a row otherwise made of values cpe stores as they are. Credits come with their
    hundredths, (credits, credits_hundredths), the one rule that joins two columns. If no such row can be
    made (the catalog keeps none of its own spellings), every value needs it: the rows are then all read.

    ``_plainly_kept`` answers first for the values of a common form (most titles and dates of a ledger):
    what it accepts the rules provably keep as stored (tests/test_verify_fast_checks.py checks it against
    this very judge on random values), and it costs a tenth of a run through ``check_record``.
    """
    try:
        base = {"title": "Course", "credits": "1", "field_of_study": _kept_as_is("field_of_study")[0],
                "state": None, "date": today.isoformat(), "delivery_method": _kept_as_is("delivery_method")[0],
                "provider": "Provider", "description": "", "source": _kept_as_is("source")[0], "tags": ""}
    except IndexError:
        base = None
    if base is not None and _row_problems(0, base, 100, today):
        base = None
    first_day, last_day = date(FIRST_YEAR, 1, 1).isoformat(), today.isoformat()

    def needs_rows(column: str, value) -> bool:
        if base is None:
            return True
        if _plainly_kept(column, value, first_day, last_day):
            return False
        name = _RAW_NAMES[column]
        hundredths = 100
        if name == "credits":
            value, hundredths = value
        return bool(_row_problems(0, {**base, name: value}, hundredths, today))

    return needs_rows


_TEXT_MAX = {"title": TITLE_MAX, "provider": PROVIDER_MAX, "description": DESCRIPTION_MAX}


def _plainly_kept(column: str, value, first_day: str, last_day: str) -> bool:
    """True only for a value today's rules keep exactly as stored: a title, provider or description of
    printable ASCII with no space at either end (not empty for the first two), no longer than its limit; a
    date written YYYY-MM-DD that is a real day from ``first_day`` (FIRST_YEAR's first) to ``last_day``
    (today). False says nothing: the full check decides."""
    if not isinstance(value, str):
        return False
    if column in _TEXT_MAX:
        return (value.isascii() and value.isprintable() and value == value.strip() and len(value) <= _TEXT_MAX[column]
                and (bool(value) or column == "description"))
    if column == "completed_on":
        if len(value) != 10 or not value.isascii() or not first_day <= value <= last_day:
            return False
        try:
            return date.fromisoformat(value).isoformat() == value
        except ValueError:
            return False
    return False


def _all_plainly_kept(column: str, joined: str | None, count: int, longest: int | None,
                      least: str | None = None) -> bool:
    """Whether ``_plainly_kept`` keeps each of ``count`` texts joined by line breaks (``longest``: the length of
    the longest; ``least``: the least of them, as SQLite's ``min()`` gives it, or None), tested on the joined
    text at once. Exactly ``count - 1`` line breaks: none is in a value (a line break is no printable
    character); then the joined text is printable ASCII where each value is, and a value starts or ends with a
    space, or is empty, exactly where the joined text shows it. A ``least`` that starts with a printable
    character other than a space says, for every value, that it is not empty and does not start with a space:
    the two searches that would say so are then skipped (a third of this test's time at 1,000,000 titles).
    (As bytes: ``str.isprintable`` looks every character up in the Unicode tables, ten times slower.)"""
    if column not in _TEXT_MAX or not isinstance(joined, str) or not isinstance(longest, int) or count < 1:
        return False
    if longest > _TEXT_MAX[column] or not joined.isascii():
        return False
    data = joined.encode("ascii")
    breaks = data.count(b"\n")
    if breaks != count - 1 or len(data.translate(None, _ASCII_CONTROLS)) != len(data) - breaks:
        return False
    if data[-1:] == b" " or b" \n" in data:
        return False
    if isinstance(least, str) and least[:1] > " ":
        return True
    if data[:1] == b" " or b"\n " in data:
        return False
    empty = data == b"" or data[:1] == b"\n" or data[-1:] == b"\n" or b"\n\n" in data
    return column == "description" or not empty


_ASCII_CONTROLS = bytes(range(32)) + b"\x7f"


def _as_text(raw: dict) -> dict:
    """A row's values as ``check_record`` reads them: text, or None."""
    return {name: None if raw[name] is None else str(raw[name]) for name in FIELD_ORDER}


def _report_row(report: Report, record_id: int, title, credits, hundredths, field_of_study, state, completed_on,
                delivery_method, provider, description, source, tags, today: date) -> None:
    raw = {"title": title, "credits": credits, "field_of_study": field_of_study, "state": state,
           "date": completed_on, "delivery_method": delivery_method, "provider": provider,
           "description": description, "source": source, "tags": tags}
    for text, fix in _row_problems(record_id, raw, hundredths, today):
        report.serious_problem(text, fix)


def _row_problems(record_id: int, raw: dict, hundredths, today: date) -> list[tuple[str, str | None]]:
    """(problem, fix) for one record as stored (``raw``: its values by ``FIELD_ORDER`` name, as read): a row
    today's rules refuse, or one they accept but cpe would store differently."""
    check = check_record(_as_text(raw), today, date_required=True)
    if check.errors:
        return [(f"record {record_id}: today's rules refuse it: " + "; ".join(message for _, message in check.errors),
                 _edit(record_id, *((name, _PLACEHOLDERS.get(name, name.upper())) for name, _ in check.errors)))]
    problems: list[tuple[str, str | None]] = []
    cleaned = check.record
    credits, completed_on, tags = raw["credits"], raw["date"], raw["tags"]
    if hundredths != to_hundredths(cleaned.credits):
        problems.append((f"record {record_id}: stored hundredths {hundredths} do not match credits {credits} "
                         "(totals would be wrong)", RESTORE))
    if completed_on != cleaned.completed_on.isoformat():
        problems.append((f"record {record_id}: date {completed_on!r} is not stored as YYYY-MM-DD "
                         "(date windows would miss it)", _edit(record_id, ("date", cleaned.completed_on.isoformat()))))
    if tags != " ".join(cleaned.tags):
        problems.append((f"record {record_id}: tags {tags!r} are not stored as cpe stores them "
                         f"({' '.join(cleaned.tags)!r}: sorted, one space apart); the tag filter and "
                         f"'cpe status' could miss them",
                         " ".join([f"cpe edit {record_id}", *(f"--tag {tag}" for tag in cleaned.tags)])
                         if cleaned.tags else None))
    for name in _STORED_CANONICALLY:
        if raw[name] != getattr(cleaned, name):
            canonical = getattr(cleaned, name)
            problems.append((f"record {record_id}: {name.replace('_', ' ')} {raw[name]!r} is not stored "
                             f"as cpe stores it ({canonical!r})", _edit(record_id, (name, canonical)) if canonical
                             else None))
    return problems


def _check_trash(ledger: Ledger, report: Report, today: date) -> None:
    """Trash entries are records waiting for ``cpe rm --undo``: each must be one ``cpe add`` would accept,
    naming (if any) a certificate file by a name cpe gives, the same one its row names."""
    for entry_id, record_id, stored, raw in integrity.trash_rows(ledger):
        owner = f"record {record_id} in the trash"
        try:
            data = json.loads(raw)
        except (TypeError, ValueError, RecursionError):
            report.serious_problem(f"{owner}: its saved row is not readable JSON")
            continue
        if not isinstance(data, dict):
            report.serious_problem(f"{owner}: its saved row is not a record")
            continue
        values = {"title": data.get("title"), "credits": data.get("credits"),
                  "field_of_study": data.get("field_of_study"), "state": data.get("state"),
                  "date": data.get("completed_on"), "delivery_method": data.get("delivery_method"),
                  "provider": data.get("provider"), "description": data.get("description"),
                  "source": data.get("source"), "tags": data.get("tags") or ""}
        check = check_record({name: None if values[name] is None else str(values[name]) for name in FIELD_ORDER},
                             today, date_required=True)
        if check.errors:
            report.serious_problem(f"{owner}: today's rules refuse it: "
                                   + "; ".join(message for _, message in check.errors))
        named = data.get("certificate_stored")
        if named != stored:
            report.serious_problem(f"{owner}: its saved row names certificate {named!r} but the entry names "
                                   f"{stored!r}")
        elif stored is not None and not is_safe_stored_name(stored):
            report.serious_problem(f"{owner}: certificate name {stored!r} is not one cpe gives a stored file")
