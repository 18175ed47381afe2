"""Putting a new home folder in the old one's place: the last step of ``cpe restore``, and recovering from it.

The new folder is prepared beside the home (same parent, so the same file
system) and takes the home's place in one step where the system offers one:
an atomic exchange of the two folders (Linux ``renameat2`` with
``RENAME_EXCHANGE``). Elsewhere (macOS, other file systems) it takes two
renames, the old home moved aside first; between them there is no home. So
that swap is journaled: before the first rename an intent file
``.HOME.swapping`` (locked with ``flock`` while the restore lives) names the
folder set aside, and it is removed only once the new home is in place. A
command that finds no home looks for it (``settle_home``): it waits for a
live restore to finish, and after a crash it moves the old home back. Either
way the caller gets the old home's new name, to delete once it is sure
(``ops/restore.py``).

While the folders move, the old ledger's write lock is held
(``writers_held_off``), so no command commits into the ledger being
replaced: one waiting for the lock finds, once it has it, that the file it
opened is no longer at the home's path, and fails (``Ledger.write``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..core.errors import CpeError
from . import certificates, leftovers
from .ledger import DATABASE_NAME, busy_timeout_seconds, file_identity

INTENT_SUFFIX = ".swapping"


def intent_path(home: Path) -> Path:
    return home.parent / f".{home.name}{INTENT_SUFFIX}"


def staging_pattern(home: Path):
    return leftovers.pattern(f".{home.name}.restore-")


def aside_pattern(home: Path):
    return leftovers.pattern(f".{home.name}.old-")


class Held:
    """The old ledger's write lock, held through the swap (``conn`` is None when there was nothing to lock)."""

    def __init__(self, conn: sqlite3.Connection | None):
        self.conn = conn

    def counts(self) -> tuple[int, int] | None:
        """(records, trash entries) of the ledger as it is under the lock, i.e. what the swap replaces."""
        if self.conn is None:
            return None
        try:
            return self.conn.execute("SELECT (SELECT count(*) FROM records), (SELECT count(*) FROM trash)").fetchone()
        except sqlite3.Error:
            return None


@contextmanager
def writers_held_off(home: Path, *, lock: bool = True) -> Iterator[Held]:
    """Hold the old ledger's write lock through the swap, so no command commits into the ledger being replaced.

    Without ``lock`` (no database, or one SQLite cannot read, which no command can write either) nothing
    is held. The lock is taken on the file that is at the home's path once it is held; a ledger replaced
    meanwhile (another restore) is an error.
    """
    database = home / DATABASE_NAME
    if not lock or not database.is_file() or os.path.islink(database):
        yield Held(None)
        return
    for _ in range(5):
        before = file_identity(database)
        try:
            conn = sqlite3.connect(database, timeout=busy_timeout_seconds(), isolation_level=None)
        except sqlite3.Error as problem:
            raise CpeError.failed(f"{database} cannot be opened ({problem}); nothing was restored") from None
        try:
            conn.execute("PRAGMA trusted_schema = OFF")
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as problem:
            conn.close()
            raise CpeError.failed(f"{database} is in use by another program ({problem}); "
                                  "restore when no other cpe command is running") from None
        if before is not None and file_identity(database) == before:
            break
        conn.execute("ROLLBACK")
        conn.close()
    else:
        raise CpeError.failed(f"the ledger {database} was replaced while this restore waited for it (another "
                              "'cpe restore'?); nothing was restored: run it again")
    try:
        yield Held(conn)
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()


def swap(staging: Path, home: Path) -> Path | None:
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
    return _two_renames(staging, home)


def _two_renames(staging: Path, home: Path) -> Path:
    """The fallback: old home aside, new home in, journaled by the intent file (see the module doc)."""
    aside = home.parent / f".{home.name}.old-{uuid.uuid4().hex[:12]}"
    intent = intent_path(home)
    fd = _create_intent(intent, home)
    try:
        os.write(fd, json.dumps({"home": home.name, "aside": aside.name, "staging": staging.name}).encode())
        os.fsync(fd)
        certificates.fsync_dir(home.parent)
        try:
            os.rename(home, aside)
        except OSError as problem:
            certificates.discard(intent)
            raise CpeError.failed(f"could not move the current ledger {home} aside: {problem.strerror}") from None
        try:
            os.rename(staging, home)
        except OSError as problem:
            os.rename(aside, home)
            certificates.discard(intent)
            raise CpeError.failed(f"could not move the restored ledger into {home}: {problem.strerror}; "
                                  "the current ledger was put back") from None
        _sync_after_swap(home.parent)
        certificates.discard(intent)
    finally:
        os.close(fd)
    return aside


def _create_intent(intent: Path, home: Path) -> int:
    for _ in range(3):
        try:
            return leftovers.create_locked_file(intent)
        except FileExistsError:
            _settle_intent(home, intent)  # a stale one (a killed restore) or a live one (wait for it)
    raise CpeError.failed(f"{intent} is in the way (another restore of {home} is running?); try again")


def settle_home(home: Path) -> None:
    """Called when ``home`` is missing: wait for a restore between its two renames, or undo one that was killed
    there (the old home goes back). Nothing to do when there is no intent file."""
    intent = intent_path(home)
    if os.path.lexists(intent):
        _settle_intent(home, intent)


def _settle_intent(home: Path, intent: Path) -> None:
    try:
        fd = leftovers.lock_file_for_reading(intent)  # waits while a live restore holds it
    except FileNotFoundError:
        return  # the restore finished meanwhile
    except OSError as problem:
        raise CpeError.failed(f"cannot read {intent} (left by an interrupted 'cpe restore'): "
                              f"{problem.strerror}") from None
    try:
        if not leftovers.same_file(intent, fd):
            return  # finished and removed while we waited
        try:
            data = json.loads(os.read(fd, 65536) or b"{}")
        except ValueError:
            data = {}
        aside_name = data.get("aside") if isinstance(data, dict) else None
        if not os.path.lexists(home) and isinstance(aside_name, str) and aside_pattern(home).match(aside_name):
            aside = home.parent / aside_name
            if os.path.isdir(aside) and not os.path.islink(aside):
                os.rename(aside, home)  # killed between the renames: the old home goes back
                _sync_after_swap(home.parent)
        if os.path.lexists(home):
            certificates.discard(intent)
            _sync_after_swap(home.parent)
    finally:
        os.close(fd)


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


def leftovers_beside(home: Path) -> list[Path]:
    """What interrupted restores left beside the home: staging folders (``.HOME.restore-*``, after the swap
    the whole previous ledger), folders set aside by the fallback swap (``.HOME.old-*``) and an intent file."""
    found = leftovers.candidates(home.parent, staging_pattern(home), aside_pattern(home), folders=True)
    intent = intent_path(home)
    if os.path.lexists(intent) and os.path.lexists(home):
        found.append(intent)
    return found
