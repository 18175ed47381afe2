"""``cpe restore``: a backup archive back into the home, checked whole before it replaces anything.

Restore trusts nothing in the archive until it has been checked whole: it
unpacks into a staging folder beside the home (``archive.unpack``: names,
types and sizes checked against the manifest and the limits before a byte is
written), opens the database read-only to check that it is a cpe ledger this
cpe can read, passes ``integrity_check`` and has exactly the schema cpe's
migrations make for its version (``store/snapshot.py``), then makes it a
working ledger and checks every row as ``cpe add`` and ``cpe verify`` would
(a row they refuse refuses the restore). Only then does the staging folder
take the home's place (``store/swap.py``: an atomic exchange where the system
offers one, else two journaled renames), with the old ledger's write lock
held; the old home is deleted last. A refused restore removes what it made
and leaves the home as it was.

What it replaces: a home holding files cpe did not make is never replaced,
even with ``--force`` (a mistyped ``CPE_HOME``). A sound ledger with records
needs ``--force``. A damaged database (one SQLite cannot use) or a lost one
(certificates without a database) can be replaced with ``--force``, and
nothing of it is lost: the damaged file and every certificate the backup
lacks are kept in ``lost+found/restore-STAMP/`` of the new home, named in a
warning. The user's ``profiles/`` and ``lost+found/`` go over to the new
home as they were.

Leftovers of a killed restore beside the home (``.HOME.restore-*``,
``.HOME.old-*``, ``.HOME.swapping``) are removed by the next restore that
succeeds, when they are provably abandoned (``store/leftovers.py``); ``cpe
verify`` lists the rest and ``verify --repair`` removes them too.
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from ..core.errors import CpeError
from ..store import certificates, leftovers, schema, snapshot, swap
from ..store.ledger import DATABASE_NAME, open_ledger
from .archive import check_archive, refuse, unpack

# What cpe makes in a home: the database and its SQLite companions, the certificate store, the folder
# of what cpe could not place, and the user's own profiles (``$CPE_HOME/profiles``).
_DATABASE_FILES = (DATABASE_NAME, f"{DATABASE_NAME}-wal", f"{DATABASE_NAME}-shm", f"{DATABASE_NAME}-journal")
_CARRIED_OVER = ("profiles", certificates.LOST_AND_FOUND)
_SYSTEM_FILES = (".DS_Store",)  # what a file manager leaves in any folder it shows: not the user's data
_SHOWN_FOREIGN = 5


@dataclass
class RestoreSummary:
    records: int = 0
    trash: int = 0
    certificates: int = 0
    created_at: str = ""
    replaced: str | None = None  # what the replaced home held, in words (None: it was empty)
    warnings: list[str] = field(default_factory=list)


@dataclass
class HomeContents:
    """What a home folder holds, as far as replacing it goes."""

    exists: bool = False
    foreign: list[str] = field(default_factory=list)  # paths (relative) of what cpe did not make
    condition: snapshot.Condition = field(default_factory=lambda: snapshot.Condition("missing"))
    certificates: list[str] = field(default_factory=list)  # stored file names in certificates/

    def describe(self) -> str | None:
        """The home's contents in words; None when there is nothing worth keeping (absent, or an empty ledger)."""
        files = f"{len(self.certificates):,} certificate file{'s' if len(self.certificates) != 1 else ''}"
        kind = self.condition.kind
        if kind == "damaged":
            return f"a damaged database ({self.condition.detail})" + (f" and {files}" if self.certificates else "")
        if kind in ("missing", "empty"):
            return f"{files} but no database (a lost ledger)" if self.certificates else None
        if kind == "ledger" and (self.condition.records or self.condition.trash):
            return ledger_words(self.condition.records, self.condition.trash)
        return files if self.certificates else None


def ledger_words(records: int, trash: int) -> str:
    return f"a ledger of {records:,} record{'s' if records != 1 else ''}" + \
        (f" and {trash:,} in the trash" if trash else "")


def restore_backup(home: Path, archive: Path, today: date, *, force: bool = False) -> RestoreSummary:
    archive = archive.expanduser()
    check_archive(archive)  # before the home: --force cannot help a missing or foreign file
    summary = RestoreSummary()
    found = examine_home(home)
    _refuse_foreign(home, found)
    summary.replaced = found.describe()
    if summary.replaced is not None and not force:
        raise CpeError.invalid(f"{home} is not empty (it holds {summary.replaced}); add --force to replace it "
                               "(the current ledger is kept aside until the restore has succeeded)")
    parent = Path(os.path.abspath(home)).parent
    # What a refused restore must take away again: the staging folder, and any folders made to hold it.
    made = _make_private_folders(parent, home)
    locks: list[int] = []
    try:
        try:
            staging, staging_lock = leftovers.with_fresh_name(
                lambda: parent / f".{home.name}.restore-{_token()}", leftovers.create_locked_folder)
        except OSError as problem:
            if made is not None:
                shutil.rmtree(made, ignore_errors=True)
            raise CpeError.failed(f"cannot restore next to {home}: {problem.strerror or problem}") from None
        locks.append(staging_lock)
        try:
            manifest = unpack(archive, staging)
            summary.created_at = str(manifest.get("created_at", ""))
            _check_database(staging / DATABASE_NAME, archive)
            _settle(staging, today, summary, archive)
            with swap.writers_held_off(home, lock=found.condition.kind == "ledger") as held:
                # Again, under the lock: what the swap replaces (a sound ledger's check is not run twice).
                now = examine_home(home, check_database=found.condition.kind != "ledger")
                _refuse_foreign(home, now)
                counts = held.counts()
                if counts is not None:
                    now.condition = snapshot.Condition("ledger", records=counts[0], trash=counts[1])
                summary.replaced = now.describe()
                if not force and summary.replaced is not None:  # a record arrived while we unpacked
                    raise CpeError.invalid(f"{home} is no longer empty (it holds {summary.replaced}); "
                                           "add --force to replace it")
                kept = _carry_over(home, staging, now)
                if now.exists:
                    locks.append(leftovers.lock_folder(home))
                old = swap.swap(staging, home)
        except BaseException:
            shutil.rmtree(made or staging, ignore_errors=True)
            raise
        if kept:
            summary.warnings.append(kept)
        if old is not None:
            try:
                shutil.rmtree(old)
            except OSError as problem:
                summary.warnings.append(f"the replaced ledger was left at {old} ({problem.strerror}); "
                                        "remove it yourself")
        clean_leftovers(home)  # what killed restores left beside the home (a refused restore leaves them be)
    finally:
        for fd in locks:
            os.close(fd)
    return summary


def _token() -> str:
    import uuid

    return uuid.uuid4().hex[:12]


def _make_private_folders(parent: Path, home: Path) -> Path | None:
    """Create the missing folders above the home, each 0700 whatever the umask; return the topmost one made."""
    missing = [folder for folder in [parent, *parent.parents] if not os.path.lexists(folder)]
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
            os.chmod(folder, 0o700)
        except FileExistsError:
            pass
        except OSError as problem:
            raise CpeError.failed(f"cannot restore next to {home}: {problem.strerror or problem}") from None
    return missing[-1] if missing else None


def _refuse_foreign(home: Path, found: HomeContents) -> None:
    if not found.foreign:
        return
    shown = ", ".join(found.foreign[:_SHOWN_FOREIGN])
    more = len(found.foreign) - _SHOWN_FOREIGN
    if more > 0:
        shown += f" and {more:,} more"
    raise CpeError.invalid(f"{home} holds files cpe did not make ({shown}): it is not a cpe home, and restore "
                           "never replaces it, even with --force. Check CPE_HOME, or move those files out first")


def examine_home(home: Path, *, check_database: bool = True) -> HomeContents:
    """What ``home`` holds: files cpe did not make, the state of its database, its certificate files."""
    try:
        info = os.lstat(home)
    except FileNotFoundError:
        return HomeContents()
    if stat.S_ISLNK(info.st_mode):
        raise CpeError.failed(f"{home} is a symlink; cpe does not write through symlinks in its home")
    if not stat.S_ISDIR(info.st_mode):
        raise CpeError.failed(f"{home} exists but is not a folder")
    found = HomeContents(exists=True, foreign=foreign_names(home))
    condition = snapshot.database_condition(home / DATABASE_NAME, check=check_database)
    if condition.kind == "foreign":
        found.foreign.insert(0, f"{DATABASE_NAME} ({condition.detail})")
    found.condition = condition
    found.certificates = _stored_files(home)
    return found


def foreign_names(folder: Path) -> list[str]:
    """Paths in a home (or a leftover of one) that cpe did not make, relative, sorted; folders end with '/'."""
    foreign = []
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda item: item.name):
            if entry.name in (*_DATABASE_FILES, *_SYSTEM_FILES) and entry.is_file(follow_symlinks=False):
                continue
            if entry.name in _CARRIED_OVER and entry.is_dir(follow_symlinks=False):
                continue
            if entry.name == "certificates" and entry.is_dir(follow_symlinks=False):
                foreign.extend(_foreign_certificates(Path(entry.path)))
                continue
            foreign.append(entry.name + ("/" if entry.is_dir(follow_symlinks=False) else ""))
    return foreign


def _foreign_certificates(folder: Path) -> list[str]:
    foreign = []
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda item: item.name):
            if entry.name == ".incoming" and entry.is_dir(follow_symlinks=False):
                with os.scandir(entry.path) as marks:
                    foreign.extend(f"certificates/.incoming/{mark.name}" for mark in marks
                                   if mark.is_dir(follow_symlinks=False) or not certificates.is_safe_stored_name(
                                       mark.name.split(certificates.MARK_SEPARATOR, 1)[0]))
                continue
            if entry.is_file(follow_symlinks=False) and (certificates.is_safe_stored_name(entry.name)
                                                         or entry.name in _SYSTEM_FILES):
                continue
            foreign.append(f"certificates/{entry.name}" + ("/" if entry.is_dir(follow_symlinks=False) else ""))
    return foreign


def _stored_files(home: Path) -> list[str]:
    try:
        with os.scandir(certificates.certificates_dir(home)) as entries:
            return sorted(entry.name for entry in entries
                          if entry.is_file(follow_symlinks=False) and certificates.is_safe_stored_name(entry.name))
    except (FileNotFoundError, NotADirectoryError):
        return []


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
    if found.schema:
        raise refuse(archive, f"its database's schema is not what cpe makes for schema version {found.version} "
                              f"({'; '.join(found.schema[:3])}"
                              f"{f' and {len(found.schema) - 3} more' if len(found.schema) > 3 else ''})")


def _settle(staging: Path, today: date, summary: RestoreSummary, archive: Path) -> None:
    """Make the staged copy a working ledger (WAL, migrated) and check it as ``cpe verify`` would.

    A row ``cpe add`` would refuse, or a certificate name cpe never gives a file, refuses the restore; the
    per-month totals (derived data) are rebuilt if they differ; a certificate the backup lacks (a backup
    taken while one was missing says so) is a warning.
    """
    from .verify import verify_ledger

    snapshot.prepare_restored(staging / DATABASE_NAME)
    with open_ledger(staging) as ledger:
        report = verify_ledger(ledger, today, repair_totals_only=True)
        summary.records = report.records
        summary.trash = report.trash
    if report.serious:
        more = len(report.serious) - 1
        raise refuse(archive, f"its ledger holds what cpe never stores: {report.serious[0]}"
                              f"{f' (and {more} more problems)' if more > 0 else ''}")
    summary.certificates = len(_stored_files(staging))
    if report.problems:
        summary.warnings.append(f"the restored ledger has {len(report.problems)} problem(s) 'cpe verify' lists, "
                                f"first: {report.problems[0]}")


def _carry_over(home: Path, staging: Path, found: HomeContents) -> str | None:
    """Before the swap: link into the new home what must outlive the old one (its ``profiles/`` and
    ``lost+found/``; a damaged database and the certificates the backup lacks). Links, not moves, so a
    restore that stops here leaves the old home whole. Returns the warning naming what was kept, if any."""
    for name in _CARRIED_OVER:
        source = home / name
        if os.path.isdir(source) and not os.path.islink(source):
            _link_tree(source, staging / name)
    kind = found.condition.kind
    if kind not in ("damaged", "missing", "empty") or not (kind == "damaged" or found.certificates):
        return None
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    kept_name = f"restore-{stamp}"
    kept = certificates.lost_and_found_dir(staging) / kept_name
    _mkdir_private(certificates.lost_and_found_dir(staging))
    _mkdir_private(kept)
    words = []
    if kind == "damaged":
        for name in _DATABASE_FILES:
            if name != f"{DATABASE_NAME}-shm" and os.path.isfile(home / name) and not os.path.islink(home / name):
                _link_or_copy(home / name, kept / name)
        words.append(f"the damaged database ({found.condition.detail})")
    lacking = [name for name in found.certificates if not os.path.lexists(staging / "certificates" / name)]
    if lacking:
        _mkdir_private(kept / "certificates")
        for name in lacking:
            _link_or_copy(home / "certificates" / name, kept / "certificates" / name)
        words.append(f"{len(lacking):,} certificate file{'s' if len(lacking) != 1 else ''} the backup lacks")
    if not words:
        shutil.rmtree(kept)
        return None
    return (f"kept {' and '.join(words)} of the replaced home in {home / certificates.LOST_AND_FOUND / kept_name} "
            "(look, then delete that folder)")


def _mkdir_private(folder: Path) -> None:
    try:
        os.mkdir(folder, 0o700)
        os.chmod(folder, 0o700)
    except FileExistsError:
        pass


def _link_tree(source: Path, target: Path) -> None:
    _mkdir_private(target)
    with os.scandir(source) as entries:
        for entry in entries:
            destination = target / entry.name
            if entry.is_dir(follow_symlinks=False):
                _link_tree(Path(entry.path), destination)
            elif entry.is_symlink():
                os.symlink(os.readlink(entry.path), destination)
            else:
                _link_or_copy(Path(entry.path), destination)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target, follow_symlinks=False)
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links
        shutil.copy2(source, target, follow_symlinks=False)


# -- leftovers -----------------------------------------------------------------------------------------

def clean_leftovers(home: Path) -> list[Path]:
    """Remove what killed restores of this home left beside it, when provably abandoned (no live command holds
    its lock) and holding only what cpe makes; return what was removed."""
    removed = []
    for path in swap.leftovers_beside(home):
        if path.name.endswith(swap.INTENT_SUFFIX):
            if leftovers.is_abandoned(path):
                certificates.discard(path)
                removed.append(path)
        elif leftovers.remove_abandoned_folder(path, lambda folder: not foreign_names(folder)):
            removed.append(path)
    return removed
