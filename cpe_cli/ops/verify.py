"""``cpe verify``: prove that the ledger is whole, or list every way it is not.

Checks, in order: SQLite's ``integrity_check``; the schema version and the
migrations applied; that every certificate a record (or a trash entry still
within its 30 days) names exists as a regular file with the recorded size
and SHA-256; that ``certificates/`` holds nothing else (``.incoming/`` is
recovery's); and that every record passes the rules ``cpe add`` applies
today, stored the way cpe stores it. A damaged database does not stop the
later checks: each one that cannot read reports that as a problem.

Repair removes stray files only (after they are listed); it never deletes
or changes a record. The queries are in ``store/integrity.py``; this module
decides what their answers mean.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from ..core.credits import to_hundredths
from ..core.records import FIELD_ORDER, Certificate, check_record
from ..store import certificates, integrity, schema, trash
from ..store.integrity import DatabaseError
from ..store.ledger import Ledger
from .lifecycle import is_safe_stored_name

_INTEGRITY_LINES = 20


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    records: int = 0
    certificates: int = 0
    trash: int = 0
    schema_version: int = 0

    @property
    def whole(self) -> bool:
        return not self.problems


def verify_ledger(ledger: Ledger, today: date, *, repair: bool = False) -> Report:
    report = Report()

    def run(what: str, check: Callable[[], None]) -> None:
        try:
            check()
        except DatabaseError as problem:
            report.problems.append(f"database: cannot {what} ({problem})")

    run("run the integrity check", lambda: _check_integrity(ledger, report))
    damaged = bool(report.problems)
    run("read the schema version", lambda: _check_schema(ledger, report))
    if not damaged:
        run("check the monthly totals", lambda: _check_monthly_totals(ledger, report, repair))
    run("list the certificate files", lambda: _check_strays(ledger, report, repair))
    run("check the certificate files", lambda: _check_certificates(ledger, report, today))
    if damaged:
        # Rows of a damaged table read as garbage: judging them by the rules would only add noise.
        report.problems.append("database: records not checked against today's rules while the database is "
                               "damaged (restore a backup: 'cpe restore FILE --force')")
    else:
        run("read the records", lambda: _check_records(ledger, report, today))
    return report


def _check_integrity(ledger: Ledger, report: Report) -> None:
    rows = integrity.integrity_check(ledger, _INTEGRITY_LINES)
    if rows != ["ok"]:
        report.problems.extend(f"database: {line}" for row in rows for line in row.splitlines()
                               if line.strip() and not line.startswith("*** in database"))


def _check_schema(ledger: Ledger, report: Report) -> None:
    application_id, version = integrity.schema_marks(ledger)
    report.schema_version = version
    if application_id != schema.APPLICATION_ID:
        report.problems.append(f"database: application id {application_id:#x} is not cpe's")
    if version != schema.SCHEMA_VERSION:
        report.problems.append(f"database: schema version {version}, expected {schema.SCHEMA_VERSION}")
    applied = integrity.applied_migrations(ledger)
    missing = [step.__name__ for step in schema.MIGRATIONS if step.__name__ not in applied]
    if missing:
        report.problems.append(f"database: migrations not recorded as applied: {', '.join(missing)}")


def _check_monthly_totals(ledger: Ledger, report: Report, repair: bool) -> None:
    """The per-month totals the triggers keep must equal a fresh sum of the records.

    They are derived data, so ``--repair`` rebuilds them (no record is touched).
    """
    differing = integrity.monthly_totals_differing(ledger)
    if not differing:
        return
    if repair:
        integrity.rebuild_monthly_totals(ledger)
        report.repaired.append(f"rebuilt the monthly totals ({differing} rows differed from the records)")
    else:
        report.problems.append(f"database: {differing} monthly total(s) differ from the records "
                               "(cpe verify --repair rebuilds them)")


def _check_strays(ledger: Ledger, report: Report, repair: bool) -> None:
    """Files in ``certificates/`` that nothing names; listed (and removed) under the write lock,
    so that a concurrent ``cpe add`` between copying its file and committing is never mistaken for one."""
    folder = certificates.certificates_dir(ledger.home)
    with ledger.write():
        known = integrity.referenced_certificates(ledger) | {certificates.incoming_dir(ledger.home).name}
        with os.scandir(folder) as entries:
            strays = sorted((entry for entry in entries if entry.name not in known),
                            key=lambda entry: entry.name)
        for entry in strays:
            shown = f"certificates/{entry.name}"
            if entry.is_dir(follow_symlinks=False):
                report.problems.append(f"stray folder {shown} (no record names it; verify --repair leaves folders "
                                       "alone: move it out yourself)")
            elif repair:
                os.unlink(entry.path)
                report.repaired.append(f"stray file {shown}: removed")
            else:
                report.problems.append(f"stray file {shown} (no record names it; 'cpe verify --repair' removes it)")
    if report.repaired:
        certificates.fsync_dir(folder)


def _check_certificates(ledger: Ledger, report: Report, today: date) -> None:
    owned: list[tuple[str, Certificate]] = [(f"record {record_id}", certificate)
                                            for record_id, certificate in integrity.record_certificates(ledger)]
    in_trash = trash.entries(ledger, today)
    report.trash = len(in_trash)
    owned.extend((f"record {entry.record_id} in the trash", entry.certificate)
                 for entry in in_trash if entry.certificate is not None)
    for owner, certificate in owned:
        problem = _certificate_problem(ledger, certificate)
        if problem:
            report.problems.append(f"{owner}: {problem}")
        else:
            report.certificates += 1


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


def _check_records(ledger: Ledger, report: Report, today: date) -> None:
    for (record_id, title, credits, hundredths, field_of_study, state, completed_on, delivery_method, provider,
         description, source, tags) in integrity.stored_rows(ledger):
        report.records += 1
        raw = {"title": title, "credits": credits, "field_of_study": field_of_study, "state": state,
               "date": completed_on, "delivery_method": delivery_method, "provider": provider,
               "description": description, "source": source, "tags": tags}
        check = check_record({name: None if raw[name] is None else str(raw[name]) for name in FIELD_ORDER}, today,
                             date_required=True)
        if check.errors:
            report.problems.append(f"record {record_id}: today's rules refuse it: "
                                   + "; ".join(message for _, message in check.errors))
            continue
        cleaned = check.record
        if hundredths != to_hundredths(cleaned.credits):
            report.problems.append(f"record {record_id}: stored hundredths {hundredths} do not match credits "
                                   f"{credits} (totals would be wrong)")
        if completed_on != cleaned.completed_on.isoformat():
            report.problems.append(f"record {record_id}: date {completed_on!r} is not stored as YYYY-MM-DD "
                                   "(date windows would miss it)")
        if tags != " ".join(cleaned.tags):
            report.problems.append(f"record {record_id}: tags {tags!r} are not stored as cpe stores them "
                                   f"({' '.join(cleaned.tags)!r}: sorted, one space apart); the tag filter and "
                                   f"'cpe status' could miss them; fix with 'cpe edit {record_id} --tag ...'")
        for name in _STORED_CANONICALLY:
            if raw[name] != getattr(cleaned, name):
                report.problems.append(f"record {record_id}: {name.replace('_', ' ')} {raw[name]!r} is not stored "
                                       f"as cpe stores it ({getattr(cleaned, name)!r})")
