"""``cpe restore``: a backup archive back into the home, checked whole before it replaces anything.

Restore trusts nothing in the archive until it has been checked whole: it
unpacks into a staging folder beside the home (``archive.unpack`` refuses
odd members and compares each with the manifest), opens the database
read-only to check that it is a cpe ledger this cpe can read and passes
``integrity_check`` (``store/snapshot.py``), then makes it a working ledger
and checks it as ``cpe verify`` does. Only then does the staging folder take
the home's place (``store/swap.py``: an atomic exchange where the system
offers one, else two renames), with the old ledger's write lock held; the
old home is deleted last. A refused restore removes what it made and leaves
the home as it was.
"""

from __future__ import annotations

import os
import shutil
import stat
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..core.errors import CpeError
from ..store import certificates, schema, snapshot, swap
from ..store.ledger import DATABASE_NAME, open_ledger
from .archive import refuse, unpack


@dataclass
class RestoreSummary:
    records: int = 0
    trash: int = 0
    certificates: int = 0
    created_at: str = ""
    replaced: str | None = None  # what the replaced home held, in words (None: it was empty)
    warnings: list[str] = field(default_factory=list)


def restore_backup(home: Path, archive: Path, today: date, *, force: bool = False) -> RestoreSummary:
    archive = archive.expanduser()
    summary = RestoreSummary()
    summary.replaced = _home_contents(home)
    if summary.replaced is not None and not force:
        raise CpeError.invalid(f"{home} is not empty (it holds {summary.replaced}); add --force to replace it "
                               "(the current ledger is kept aside until the restore has succeeded)")
    parent = Path(os.path.abspath(home)).parent
    # What a refused restore must take away again: the staging folder, and any folders made to hold it.
    made = next((folder for folder in reversed([parent, *parent.parents]) if not folder.exists()), None)
    staging = parent / f".{home.name}.restore-{uuid.uuid4().hex[:12]}"
    try:
        parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.mkdir(staging, 0o700)
        os.chmod(staging, 0o700)
    except OSError as problem:
        raise CpeError.failed(f"cannot restore next to {home}: {problem.strerror or problem}") from None
    try:
        manifest = unpack(archive, staging)
        summary.created_at = str(manifest.get("created_at", ""))
        _check_database(staging / DATABASE_NAME, archive)
        _settle(staging, today, summary)
        with swap.writers_held_off(home):
            if not force and _home_contents(home) is not None:  # a record arrived while we unpacked
                raise CpeError.invalid(f"{home} is no longer empty (it holds {_home_contents(home)}); "
                                       "add --force to replace it")
            old = swap.swap(staging, home)
    except BaseException:
        shutil.rmtree(made or staging, ignore_errors=True)
        raise
    if old is not None:
        try:
            shutil.rmtree(old)
        except OSError as problem:
            summary.warnings.append(f"the replaced ledger was left at {old} ({problem.strerror}); remove it yourself")
    return summary


def _home_contents(home: Path) -> str | None:
    """What ``home`` holds, in words; None when it is absent or holds nothing worth keeping (an empty ledger)."""
    try:
        info = os.lstat(home)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        raise CpeError.failed(f"{home} is a symlink; cpe does not write through symlinks in its home")
    if not stat.S_ISDIR(info.st_mode):
        raise CpeError.failed(f"{home} exists but is not a folder")
    unknown = "files cpe did not make"
    folder = certificates.certificates_dir(home)
    if set(os.listdir(home)) - {DATABASE_NAME, f"{DATABASE_NAME}-wal", f"{DATABASE_NAME}-shm", folder.name}:
        return unknown
    database = home / DATABASE_NAME
    if database.is_file() and database.stat().st_size:
        counts = snapshot.count_ledger(database)
        if counts is None:
            return unknown
        records, trash = counts
        if records or trash:
            return f"a ledger of {records} record{'s' if records != 1 else ''}" + \
                (f" and {trash} in the trash" if trash else "")
    if folder.is_dir() and any(entry.name != ".incoming" or os.listdir(entry.path) for entry in os.scandir(folder)):
        return unknown
    return None


def _check_database(database: Path, archive: Path) -> None:
    found = snapshot.inspect(database)
    if found.error is not None:
        raise refuse(archive, f"its database is damaged or not SQLite ({found.error})")
    if found.application_id != schema.APPLICATION_ID:
        raise refuse(archive, "its database is not a cpe ledger")
    if found.version > schema.SCHEMA_VERSION:
        raise refuse(archive, f"its database was written by a newer cpe (schema version {found.version}; "
                              f"this cpe understands up to {schema.SCHEMA_VERSION}); upgrade cpe to restore it")
    if found.integrity != ["ok"]:
        raise refuse(archive, f"its database fails SQLite's integrity check ({'; '.join(found.integrity)})")


def _settle(staging: Path, today: date, summary: RestoreSummary) -> None:
    """Make the staged copy a working ledger (WAL, migrated) and check it as ``cpe verify`` would."""
    from .verify import verify_ledger

    snapshot.prepare_restored(staging / DATABASE_NAME)
    with open_ledger(staging) as ledger:
        report = verify_ledger(ledger, today)
        summary.records = report.records
        summary.trash = report.trash
        summary.certificates = sum(1 for entry in os.scandir(certificates.certificates_dir(staging))
                                   if entry.is_file(follow_symlinks=False))
    if report.problems:
        summary.warnings.append(f"the restored ledger has {len(report.problems)} problem(s) 'cpe verify' lists, "
                                f"first: {report.problems[0]}")
