"""``cpe backup``: the whole ledger in one archive (its format: ``archive.py``).

The database is copied in one step with SQLite's online backup API
(``store/snapshot.py``), so the copy is consistent while other ``cpe``
processes write; then every certificate file the copy names is streamed in.
If a command removes one of those files in between (``cpe rm --purge``), the
backup starts over from a new snapshot, rather than hold a database that
names a file the archive lacks.

The archive is written under a temporary name, fsynced, then linked or
renamed into place, so a backup is either complete or absent. It is 0600:
it holds personal data. Its temporary files (``.NAME.db-TOKEN``, the
snapshot, and ``.NAME.tmp-TOKEN``, the archive being written) are locked
while the backup runs; the next backup to the same name removes those a
killed backup left (``store/leftovers.py``).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import CpeError
from ..store import certificates, leftovers, snapshot
from ..store.ledger import DATABASE_NAME
from . import archive
from .lifecycle import existing_ledger, is_safe_stored_name

_ATTEMPTS = 3


@dataclass
class BackupSummary:
    path: Path
    records: int = 0
    trash: int = 0
    certificates: int = 0
    size: int = 0
    warnings: list[str] = field(default_factory=list)


class _Vanished(Exception):
    """A certificate the snapshot names was removed by a command that ran meanwhile: take a new snapshot."""


def create_backup(home: Path, destination: Path, *, force: bool = False) -> BackupSummary:
    destination = Path(os.path.abspath(destination.expanduser()))
    _check_destination(home, destination, force)
    with existing_ledger(home, f"there is no ledger in {home} to back up") as ledger:
        remove_abandoned(destination)
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


def temporary_patterns(destination: Path):
    """The names of a backup's temporary files beside ``destination`` (a 12-hex token each)."""
    return (leftovers.pattern(f".{destination.name}.db-"), leftovers.pattern(f".{destination.name}.tmp-"))


def remove_abandoned(destination: Path) -> list[Path]:
    """Remove what killed backups to this name left beside it: temporary files no live backup holds, then the
    files SQLite keeps beside a snapshot copy (``-journal``, ``-wal``, ``-shm``) whose copy is gone."""
    folder = destination.parent
    removed = leftovers.remove_abandoned_files(folder, *temporary_patterns(destination))
    companion = leftovers.pattern(f".{destination.name}.db-", "")
    for path in leftovers.candidates(folder, *(leftovers.pattern(f".{destination.name}.db-", suffix)
                                               for suffix in ("-journal", "-wal", "-shm"))):
        copy = folder / path.name.rsplit("-", 1)[0]
        if companion.match(copy.name) and not os.path.lexists(copy):
            certificates.discard(path)
            removed.append(path)
    return removed


def _write_archive(ledger, destination: Path, force: bool) -> BackupSummary:
    import tarfile

    token = uuid.uuid4().hex[:12]
    copy = destination.parent / f".{destination.name}.db-{token}"
    partial = destination.parent / f".{destination.name}.tmp-{token}"
    summary = BackupSummary(path=destination)
    made: list[Path] = []  # only what this run created is removed after: never a name someone else put there
    locks: list[int] = []  # held until the end: they mark the temporary files as a live backup's
    try:
        locks.append(leftovers.create_locked_file(copy))
        made.append(copy)
        owned = _snapshot(ledger, copy, summary)
        raw_fd = leftovers.create_locked_file(partial)
        made.append(partial)
        locks.append(os.dup(raw_fd))  # the lock stays held after the archive's stream is closed
        with os.fdopen(raw_fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz", format=tarfile.PAX_FORMAT, compresslevel=6) as tar:
                files = {DATABASE_NAME: archive.add_file(tar, DATABASE_NAME, copy)}
                for stored_name, sha256 in owned:
                    member = f"{archive.CERTIFICATES}/{stored_name}"
                    try:
                        files[member] = archive.add_file(tar, member,
                                                         certificates.stored_path(ledger.home, stored_name))
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
                archive.add_manifest(tar, records=summary.records, trash=summary.trash, files=files)
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
        for fd in locks:
            os.close(fd)
    return summary


def _snapshot(ledger, path: Path, summary: BackupSummary) -> list[tuple[str, str]]:
    """Copy the database to ``path`` (a new, empty private file) in one step; return the (stored name, SHA-256)
    of every certificate it names."""
    taken = snapshot.take_snapshot(ledger, path)
    summary.records, summary.trash = taken.records, taken.trash
    unsafe = [name for name, _ in taken.certificates if not is_safe_stored_name(name)]
    if unsafe:
        raise CpeError.failed(f"the database names a certificate file {unsafe[0]!r} outside the certificate "
                              "folder (it was altered); run 'cpe verify'")
    return taken.certificates


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
