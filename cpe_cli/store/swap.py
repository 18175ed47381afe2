"""Putting a new home folder in the old one's place: the last step of ``cpe restore``.

The new folder is prepared beside the home (same parent, so the same file
system) and takes the home's place in one step where the system offers one:
an atomic exchange of the two folders (Linux ``renameat2`` with
``RENAME_EXCHANGE``); elsewhere two renames, the old home moved aside first
and moved back if the new one cannot take its place. Either way the caller
gets the old home's new name, to delete once it is sure (``ops/restore.py``).

While the folders move, the old ledger's write lock is held
(``writers_held_off``), so no command commits into the ledger being replaced.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..core.errors import CpeError
from . import certificates
from .ledger import DATABASE_NAME, busy_timeout_seconds


@contextmanager
def writers_held_off(home: Path) -> Iterator[None]:
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
