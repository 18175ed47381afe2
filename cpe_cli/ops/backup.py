"""``cpe backup`` and ``cpe restore``: the whole ledger in one archive, and back.

The archive is a gzip-compressed tar (PAX) holding, in this order:

- ``cpe.db``: a consistent snapshot of the database, taken with SQLite's
  online backup API in one step (safe while other ``cpe`` processes write),
  switched to rollback-journal mode so that it is one self-contained file;
- ``certificates/<stored name>``: every certificate file the snapshot names,
  records and trash alike;
- ``manifest.json``: the format and its version, counts, and the SHA-256
  and size of every other member.

Files are streamed (never held whole in memory) and the archive is written
under a temporary name, fsynced, then linked or renamed into place, so a
backup is either complete or absent. It is 0600: it holds personal data.

Restore trusts nothing in the archive until it has been checked whole: it
unpacks into a staging folder beside the home, refusing any member that is
not a plain file with a name a backup holds (absolute paths, ``..``, links
and devices are refused by name and type), compares every member with the
manifest, and opens the database to run ``integrity_check`` and check that it
is a cpe ledger this cpe can read. Only then does the staging folder take the
home's place: an atomic exchange of the two folders where the system offers
one (Linux ``renameat2``), else two renames; the old home is deleted last.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import stat
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .. import __version__

from ..store import certificates

from ..store import schema
from ..core.errors import CpeError
from ..store.ledger import DATABASE_NAME, utc_timestamp, busy_timeout_seconds, open_ledger
from .lifecycle import existing_ledger, is_safe_stored_name

FORMAT = "cpe-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CERTIFICATES = "certificates"
_MEMBER = re.compile(r"^(cpe\.db|manifest\.json|certificates/[A-Za-z0-9][A-Za-z0-9._-]{0,199})$")
_MAX_MANIFEST_BYTES = 64 * 1024 * 1024
_CHUNK = 1024 * 1024
_ATTEMPTS = 3


@dataclass
class BackupSummary:
    path: Path
    records: int = 0
    trash: int = 0
    certificates: int = 0
    size: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass
class RestoreSummary:
    records: int = 0
    trash: int = 0
    certificates: int = 0
    created_at: str = ""
    replaced: str | None = None  # what the replaced home held, in words (None: it was empty)
    warnings: list[str] = field(default_factory=list)


class _Vanished(Exception):
    """A certificate the snapshot names was removed by a command that ran meanwhile: take a new snapshot."""


# -- writing -----------------------------------------------------------------------------------------

def create_backup(home: Path, destination: Path, *, force: bool = False) -> BackupSummary:
    destination = Path(os.path.abspath(destination.expanduser()))
    _check_destination(home, destination, force)
    with existing_ledger(home, f"there is no ledger in {home} to back up") as ledger:
        for _ in range(_ATTEMPTS):
            try:
                return _write_archive(ledger, destination, force)
            except _Vanished:
                continue
    raise CpeError.failed("could not take a consistent backup: certificates kept being removed while it ran; "
                          "try again when other cpe commands have finished")


def _check_destination(home: Path, destination: Path, force: bool) -> None:
    real_home = os.path.realpath(home)
    if os.path.commonpath([real_home, os.path.realpath(destination)]) == real_home:
        raise CpeError.invalid(f"{destination} is inside the ledger's home {home}; write the backup elsewhere")
    folder = destination.parent
    if not folder.is_dir():
        raise CpeError.invalid(f"folder {folder} does not exist")
    if os.path.isdir(destination) and not os.path.islink(destination):
        raise CpeError.invalid(f"{destination} is a folder; give the backup a file name, e.g. "
                               f"{destination / 'cpe-backup.tar.gz'}")
    if os.path.lexists(destination) and not force:
        raise CpeError.invalid(f"{destination} exists; add --force to replace it")


# A new 0600 file, never one that exists and never through a symlink.
_new_private_file = certificates._write_new_file


def _write_archive(ledger, destination: Path, force: bool) -> BackupSummary:
    import tarfile

    token = uuid.uuid4().hex[:12]
    snapshot = destination.parent / f".{destination.name}.db-{token}"
    partial = destination.parent / f".{destination.name}.tmp-{token}"
    summary = BackupSummary(path=destination)
    made: list[Path] = []  # only what this run created is removed after: never a name someone else put there
    try:
        os.close(_new_private_file(snapshot))
        made.append(snapshot)
        owned = _snapshot(ledger.conn, snapshot, summary)
        raw_fd = _new_private_file(partial)
        made.append(partial)
        with os.fdopen(raw_fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz", format=tarfile.PAX_FORMAT, compresslevel=6) as tar:
                files = {DATABASE_NAME: _add_member(tar, DATABASE_NAME, snapshot)}
                for stored_name, sha256 in owned:
                    member = f"{CERTIFICATES}/{stored_name}"
                    try:
                        files[member] = _add_member(tar, member, certificates.stored_path(ledger.home, stored_name))
                    except FileNotFoundError:
                        if not ledger.certificate_is_owned(stored_name):
                            raise _Vanished() from None
                        summary.warnings.append(f"certificate file certificates/{stored_name} is missing; "
                                                "backed up without it (run 'cpe verify')")
                        continue
                    if files[member]["sha256"] != sha256:
                        summary.warnings.append(f"certificate file certificates/{stored_name} does not match its "
                                                "SHA-256; backed up as it is (run 'cpe verify')")
                summary.certificates = len(files) - 1
                manifest = {"format": FORMAT, "version": FORMAT_VERSION, "created_at": utc_timestamp(),
                            "cpe_version": __version__, "schema_version": schema.SCHEMA_VERSION,
                            "records": summary.records, "trash": summary.trash, "files": files}
                _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode())
            raw.flush()
            os.fsync(raw.fileno())
        summary.size = os.stat(partial).st_size
        _place(partial, destination, force)
    except OSError as problem:
        raise CpeError.failed(f"could not write the backup {destination}: {problem.strerror or problem}; "
                              "nothing was written") from None
    finally:
        for leftover in made:
            try:
                os.unlink(leftover)
            except FileNotFoundError:
                pass
    return summary


def _snapshot(conn: sqlite3.Connection, path: Path, summary: BackupSummary) -> list[tuple[str, str]]:
    """Copy the database to ``path`` (a new, empty private file) in one step; return the (stored name, SHA-256)
    of every certificate it names."""
    copy = sqlite3.connect(path, isolation_level=None)
    try:
        conn.backup(copy)  # pages=-1: the whole database in one step, so one consistent snapshot
        copy.execute("PRAGMA journal_mode = DELETE")
        try:
            problems = [row[0] for row in copy.execute("PRAGMA integrity_check(5)")]
        except sqlite3.DatabaseError as problem:
            problems = [str(problem)]
        if problems != ["ok"]:
            raise CpeError.failed("the ledger's database fails SQLite's integrity check "
                                  f"({'; '.join(problems)}); a backup of it could not be restored: run 'cpe verify'")
        summary.records = copy.execute("SELECT count(*) FROM records").fetchone()[0]
        summary.trash = copy.execute("SELECT count(*) FROM trash").fetchone()[0]
        rows = copy.execute("SELECT certificate_stored, certificate_sha256 FROM records "
                            "WHERE certificate_stored IS NOT NULL UNION "
                            "SELECT certificate_stored, json_extract(record, '$.certificate_sha256') FROM trash "
                            "WHERE certificate_stored IS NOT NULL ORDER BY 1").fetchall()
    except sqlite3.Error as problem:
        raise CpeError.failed(f"could not take a snapshot of the database into {path.parent} ({problem}; "
                              "is the disk full?); nothing was written") from None
    finally:
        copy.close()
    unsafe = [name for name, _ in rows if not is_safe_stored_name(name)]
    if unsafe:
        raise CpeError.failed(f"the database names a certificate file {unsafe[0]!r} outside the certificate "
                              "folder (it was altered); run 'cpe verify'")
    return rows


class _HashingReader:
    def __init__(self, raw):
        self.raw = raw
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.digest.update(data)
        return data


def _add_member(tar, name: str, path: Path) -> dict:
    """Stream one file into the archive; return its manifest entry."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise CpeError.failed(f"{path} is not a regular file; run 'cpe verify'")
        member = tar.tarinfo(name)
        member.size, member.mode, member.mtime = info.st_size, 0o600, int(info.st_mtime)
        reader = _HashingReader(handle)
        tar.addfile(member, reader)
    return {"sha256": reader.digest.hexdigest(), "size": info.st_size}


def _add_bytes(tar, name: str, data: bytes) -> None:
    import io

    import time

    member = tar.tarinfo(name)
    member.size, member.mode, member.mtime = len(data), 0o600, int(time.time())
    tar.addfile(member, io.BytesIO(data))


def _place(partial: Path, destination: Path, force: bool) -> None:
    """Give the finished archive its name: replacing only with ``force``, never writing through a symlink."""
    if force:
        os.replace(partial, destination)
    else:
        try:
            os.link(partial, destination)  # fails if the name exists, even as a dangling symlink
        except FileExistsError:
            raise CpeError.invalid(f"{destination} exists; add --force to replace it") from None
        except OSError:  # a file system without hard links
            if os.path.lexists(destination):
                raise CpeError.invalid(f"{destination} exists; add --force to replace it") from None
            os.rename(partial, destination)
    certificates.fsync_dir(destination.parent)


# -- restoring ---------------------------------------------------------------------------------------

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
        manifest = _unpack(archive, staging)
        summary.created_at = str(manifest.get("created_at", ""))
        _check_database(staging / DATABASE_NAME, archive)
        _settle(staging, today, summary)
        with _writers_held_off(home):
            if not force and _home_contents(home) is not None:  # a record arrived while we unpacked
                raise CpeError.invalid(f"{home} is no longer empty (it holds {_home_contents(home)}); "
                                       "add --force to replace it")
            old = _swap(staging, home)
    except BaseException:
        shutil.rmtree(made or staging, ignore_errors=True)
        raise
    if old is not None:
        try:
            shutil.rmtree(old)
        except OSError as problem:
            summary.warnings.append(f"the replaced ledger was left at {old} ({problem.strerror}); remove it yourself")
    return summary


@contextmanager
def _writers_held_off(home: Path):
    """Hold the old ledger's write lock through the swap, so no command commits into the ledger being replaced.

    A command that was waiting for the lock then finds its database file moved, and SQLite refuses the
    write (an error, never a silent loss).
    """
    database = home / DATABASE_NAME
    if not database.is_file() or os.path.islink(database):
        yield
        return
    conn = sqlite3.connect(database, timeout=busy_timeout_seconds(), isolation_level=None)
    try:
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as problem:
            raise CpeError.failed(f"{database} is in use by another program ({problem}); "
                                  "restore when no other cpe command is running") from None
        yield
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()


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
    if set(os.listdir(home)) - {DATABASE_NAME, f"{DATABASE_NAME}-wal", f"{DATABASE_NAME}-shm", CERTIFICATES}:
        return unknown
    database = home / DATABASE_NAME
    if database.is_file() and database.stat().st_size:
        try:
            # A plain connection (not read-only): closing it removes the -wal/-shm files it opens with.
            conn = sqlite3.connect(database, timeout=30)
            try:
                records, trash = conn.execute(
                    "SELECT (SELECT count(*) FROM records), (SELECT count(*) FROM trash)").fetchone()
            finally:
                conn.close()
        except sqlite3.Error:
            return unknown
        if records or trash:
            return f"a ledger of {records} record{'s' if records != 1 else ''}" + \
                (f" and {trash} in the trash" if trash else "")
    folder = home / CERTIFICATES
    if folder.is_dir() and any(entry.name != ".incoming" or os.listdir(entry.path) for entry in os.scandir(folder)):
        return unknown
    return None


def _refuse(archive: Path, reason: str) -> CpeError:
    return CpeError.invalid(f"{archive} is not a usable cpe backup: {reason}; nothing was restored")


def _unpack(archive: Path, staging: Path) -> dict:
    """Extract every member into ``staging``, checking names, types and the manifest; return the manifest."""
    import gzip
    import tarfile
    import zlib

    try:
        fd = os.open(archive, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise CpeError.invalid(f"backup file {archive} does not exist") from None
    except OSError as problem:
        raise CpeError.invalid(f"backup file {archive} cannot be opened: {problem.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise CpeError.invalid(f"backup {archive} is not a regular file")
    try:
        os.mkdir(staging / CERTIFICATES, 0o700)
    except OSError as problem:
        raise CpeError.failed(f"cannot unpack the backup next to the home: {problem.strerror}") from None
    unpacked: dict[str, dict] = {}
    manifest_bytes = None
    with os.fdopen(fd, "rb") as raw:
        try:
            with tarfile.open(fileobj=raw, mode="r:*") as tar:
                for member in tar:
                    name = _checked_member(member, archive)
                    if name in unpacked or (name == MANIFEST and manifest_bytes is not None):
                        raise _refuse(archive, f"member {name!r} appears twice")
                    source = tar.extractfile(member)
                    if name == MANIFEST:
                        if member.size > _MAX_MANIFEST_BYTES:
                            raise _refuse(archive, f"its manifest is {member.size:,} bytes, too large to be one")
                        manifest_bytes = source.read()
                        continue
                    if name != DATABASE_NAME and member.size > certificates.MAX_CERTIFICATE_BYTES:
                        raise _refuse(archive, f"member {name!r} is larger than any certificate cpe stores")
                    unpacked[name] = _extract(source, staging / name)
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as problem:
            raise _refuse(archive, f"it is damaged or truncated ({problem or type(problem).__name__})") from None
        except OSError as problem:
            raise _refuse(archive, f"it cannot be read ({problem.strerror or problem})") from None
    if manifest_bytes is None:
        raise _refuse(archive, f"it has no {MANIFEST}")
    manifest = _parse_manifest(manifest_bytes, archive)
    _compare(manifest["files"], unpacked, archive)
    return manifest


def _checked_member(member, archive: Path) -> str:
    name = member.name
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        raise _refuse(archive, f"member {name!r} is an absolute path")
    if ".." in re.split(r"[/\\]", name):
        raise _refuse(archive, f"member {name!r} points outside the folder it is restored into (..)")
    if member.issym() or member.islnk():
        raise _refuse(archive, f"member {name!r} is a link")
    if not member.isreg():
        raise _refuse(archive, f"member {name!r} is not a regular file")
    if not _MEMBER.match(name):
        raise _refuse(archive, f"member {name!r} is not part of a cpe backup")
    return name


def _extract(source, path: Path) -> dict:
    """Copy one member to a new file, hashing it; read errors reach the caller, write errors are reported here."""
    digest = hashlib.sha256()
    size = 0
    try:
        out = _new_private_file(path)
    except OSError as problem:
        raise _unpack_failed(problem) from None
    try:
        for chunk in iter(lambda: source.read(_CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
            try:
                view = memoryview(chunk)
                while view:
                    view = view[os.write(out, view):]
            except OSError as problem:
                raise _unpack_failed(problem) from None
        os.fsync(out)
    finally:
        os.close(out)
    return {"sha256": digest.hexdigest(), "size": size}


def _unpack_failed(problem: OSError) -> CpeError:
    return CpeError.failed(f"could not unpack the backup next to the home: {problem.strerror or problem}; "
                           "nothing was restored")


def _parse_manifest(data: bytes, archive: Path) -> dict:
    try:
        manifest = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise _refuse(archive, f"its {MANIFEST} is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _refuse(archive, f"its {MANIFEST} is not a cpe backup manifest")
    if manifest.get("version") != FORMAT_VERSION:
        raise _refuse(archive, f"it is in backup format version {manifest.get('version')!r}; this cpe reads "
                               f"version {FORMAT_VERSION}")
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(isinstance(entry, dict) for entry in files.values()):
        raise _refuse(archive, f"its {MANIFEST} has no list of files")
    return manifest


def _compare(listed: dict, unpacked: dict, archive: Path) -> None:
    if DATABASE_NAME not in listed:
        raise _refuse(archive, f"its manifest lists no {DATABASE_NAME}")
    for name, entry in sorted(listed.items()):
        if name not in unpacked:
            raise _refuse(archive, f"its manifest lists {name!r} but the archive does not hold it")
        if entry.get("sha256") != unpacked[name]["sha256"] or entry.get("size") != unpacked[name]["size"]:
            raise _refuse(archive, f"member {name!r} does not match the SHA-256 and size in its manifest")
    extra = sorted(set(unpacked) - set(listed))
    if extra:
        raise _refuse(archive, f"member {extra[0]!r} is not listed in its manifest")


def _check_database(database: Path, archive: Path) -> None:
    try:
        conn = sqlite3.connect(database.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            application_id, version = schema.read_version(conn)
            if application_id != schema.APPLICATION_ID:
                raise _refuse(archive, "its database is not a cpe ledger")
            if version > schema.SCHEMA_VERSION:
                raise _refuse(archive, f"its database was written by a newer cpe (schema version {version}; this "
                                       f"cpe understands up to {schema.SCHEMA_VERSION}); upgrade cpe to restore it")
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check(5)")]
        finally:
            conn.close()
    except sqlite3.Error as problem:
        raise _refuse(archive, f"its database is damaged or not SQLite ({problem})") from None
    if problems != ["ok"]:
        raise _refuse(archive, f"its database fails SQLite's integrity check ({'; '.join(problems)})")


def _settle(staging: Path, today: date, summary: RestoreSummary) -> None:
    """Make the staged copy a working ledger (WAL, migrated) and check it as ``cpe verify`` would."""
    from .verify import verify_ledger

    try:
        conn = sqlite3.connect(staging / DATABASE_NAME, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
        finally:
            conn.close()
    except sqlite3.Error as problem:
        raise CpeError.failed(f"could not prepare the restored database: {problem}") from None
    with open_ledger(staging) as ledger:
        report = verify_ledger(ledger, today)
        summary.records = report.records
        summary.trash = report.trash
        summary.certificates = sum(1 for entry in os.scandir(certificates.certificates_dir(staging))
                                   if entry.is_file(follow_symlinks=False))
    if report.problems:
        summary.warnings.append(f"the restored ledger has {len(report.problems)} problem(s) 'cpe verify' lists, "
                                f"first: {report.problems[0]}")


def _swap(staging: Path, home: Path) -> Path | None:
    """Put ``staging`` in ``home``'s place; return where the old home now is (None if there was none)."""
    if not os.path.lexists(home):
        try:
            os.rename(staging, home)
        except OSError as problem:
            raise CpeError.failed(f"could not move the restored ledger into {home}: {problem.strerror}") from None
        _sync_after_swap(home.parent)
        return None
    if _exchange(staging, home):
        _sync_after_swap(home.parent)
        return staging
    aside = home.parent / f".{home.name}.old-{uuid.uuid4().hex[:12]}"
    try:
        os.rename(home, aside)
    except OSError as problem:
        raise CpeError.failed(f"could not move the current ledger {home} aside: {problem.strerror}") from None
    try:
        os.rename(staging, home)
    except BaseException:
        os.rename(aside, home)
        raise
    _sync_after_swap(home.parent)
    return aside


def _sync_after_swap(folder: Path) -> bool:
    """Flush the rename to disk, as a best effort: once the swap has happened, a failure here must not
    be taken for a failed restore (whose clean-up would then delete the ledger just set aside)."""
    try:
        certificates.fsync_dir(folder)
    except OSError:
        return False
    return True


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders atomically (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    import ctypes

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange) == 0
