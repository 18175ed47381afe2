"""The ledger: the home folder, its database, and the queries every command runs.

All of cpe's SQL lives in this package (``cpe_cli/store``), behind named
functions: no module outside it touches a connection (tests/test_architecture.py
checks it). This module holds the connection and the queries of the read
path and of one record's add, edit and delete. The rest sit beside it, each
loaded only by the commands that need it, so the read path stays small:
``trash.py`` (rm, rm --undo), ``integrity.py`` (verify), ``snapshot.py``
(backup, restore), ``swap.py`` (restore), ``exchange.py`` (import, export)
and ``schema.py`` (migrations).

The connection is plain ``sqlite3``
in autocommit mode, with transactions opened explicitly (``BEGIN
IMMEDIATE`` for writes, so that concurrent writers queue on the busy timeout
instead of failing mid-transaction). sqlite-utils is loaded only to migrate,
which keeps the read path and ``cpe add`` free of its ~100 ms import.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

from . import certificates

from . import schema
from ..core.credits import canonical_text, from_hundredths, to_hundredths
from ..core.errors import CpeError
from ..core.periods import Window
from ..core.views import Filters
from ..core.records import Certificate, Record, StoredRecord

DATABASE_NAME = "cpe.db"
BUSY_TIMEOUT_SECONDS = 30.0


def busy_timeout_seconds() -> float:
    """How long a command waits for another's lock: 30 s, or ``CPE_BUSY_TIMEOUT`` seconds when set (the tests
    of a locked ledger set it so that they take seconds, not half a minute)."""
    try:
        seconds = float(os.environ.get("CPE_BUSY_TIMEOUT", ""))
    except ValueError:
        return BUSY_TIMEOUT_SECONDS
    return seconds if 0 <= seconds <= 3600 else BUSY_TIMEOUT_SECONDS


# ``cpe list --sort``: each key's natural order, then reversed (ties broken by date and id, newest first).
SORT_ORDERS = {
    "date": ("completed_on DESC, id DESC", "completed_on ASC, id ASC"),
    "credits": ("credits_hundredths DESC, completed_on DESC, id DESC", "credits_hundredths ASC, completed_on ASC, id ASC"),
    "title": ("title COLLATE NOCASE ASC, completed_on DESC, id DESC", "title COLLATE NOCASE DESC, completed_on ASC, id ASC"),
}

_COLUMNS = ("id, title, credits, field_of_study, state, completed_on, delivery_method, provider, description, "
            "source, certificate_name, certificate_stored, certificate_sha256, certificate_size, added_at, "
            "changed_at, tags")


@dataclass(frozen=True)
class Total:
    credits: Decimal
    count: int


@dataclass(frozen=True)
class AddResult:
    id: int
    duplicate_of: int | None


def utc_timestamp() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _ensure_private_dir(path: Path) -> None:
    """Create ``path`` as a 0700 folder, refusing a symlink or a file in its place."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        try:
            os.mkdir(path, 0o700)
            os.chmod(path, 0o700)  # mkdir's mode is filtered by the umask
        except FileExistsError:
            pass  # another cpe process created it at the same moment
        except OSError as problem:
            raise CpeError.failed(f"cannot create {path}: {problem.strerror}") from None
        info = os.lstat(path)
    except OSError as problem:  # a part of the path is a file (ENOTDIR), or cannot be searched
        raise CpeError.failed(f"cannot create {path}: {problem.strerror}") from None
    if stat.S_ISLNK(info.st_mode):
        raise CpeError.failed(f"{path} is a symlink; cpe does not write through symlinks in its home")
    if not stat.S_ISDIR(info.st_mode):
        raise CpeError.failed(f"{path} exists but is not a folder")


def prepare_home(home: Path) -> Path:
    """Create the home layout if missing; return the database path."""
    parent = home.parent
    if not parent.exists():
        try:
            parent.mkdir(parents=True, mode=0o700)
        except OSError as problem:
            raise CpeError.failed(f"cannot create {parent}: {problem.strerror}") from None
    _ensure_private_dir(home)
    _ensure_private_dir(certificates.certificates_dir(home))
    _ensure_private_dir(certificates.incoming_dir(home))
    database = home / DATABASE_NAME
    try:
        fd = os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        os.close(fd)
    except FileExistsError:
        if os.path.islink(database):
            raise CpeError.failed(f"{database} is a symlink; cpe does not write through symlinks in its home")
    except OSError as problem:
        raise CpeError.failed(f"cannot create {database}: {problem.strerror}") from None
    return database


def translate_error(problem: sqlite3.Error, shown: str) -> CpeError:
    """A SQLite error as the message a user can act on (``shown``: the database's path).

    Public for the other storage modules (``exchange.py``), which run their SQL on the same connection.
    """
    text = str(problem)
    if "locked" in text or "busy" in text:
        return CpeError.failed(f"{shown} is locked by another program (waited {busy_timeout_seconds():g} s); "
                               "try again when it has finished")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return CpeError.failed(f"{shown} is damaged or not a SQLite database ({text}); "
                               "restore it from a backup")
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return CpeError.failed(f"cannot write to {shown} ({text}); check the folder's permissions")
    if "disk" in text or "full" in text:
        return CpeError.failed(f"could not write {shown} ({text}); nothing was changed")
    return CpeError.failed(f"database error in {shown}: {text}")


def where_clause(filters: Filters) -> tuple[str, list]:
    """The WHERE clause of a view (inclusive window bounds, source, field) and its parameters.

    Public because the export's SELECT (``exchange.export_select``) filters by the same view.
    """
    terms, params = [], []
    if filters.window.start is not None:
        terms.append("completed_on >= ?")
        params.append(filters.window.start.isoformat())
    if filters.window.end is not None:
        terms.append("completed_on <= ?")
        params.append(filters.window.end.isoformat())
    if filters.source != "all":
        terms.append("source = ?")
        params.append(filters.source)
    if filters.field_of_study is not None:
        terms.append("field_of_study = ?")
        params.append(filters.field_of_study)
    if filters.tags:
        # Any of the tags: a tag is a word without spaces, so " tag " inside " tags " is an exact match.
        terms.append("tags <> '' AND (" + " OR ".join("instr(' ' || tags || ' ', ?) > 0" for _ in filters.tags) + ")")
        params.extend(f" {tag} " for tag in filters.tags)
    return (" WHERE " + " AND ".join(terms)) if terms else "", params


class Ledger:
    """One open ledger. Use ``open_ledger`` to get one."""

    def __init__(self, home: Path, conn: sqlite3.Connection):
        self.home = home
        self.conn = conn
        self.shown = str(home / DATABASE_NAME)

    # -- transactions -------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[None]:
        """One write transaction holding SQLite's write lock from the start."""
        self._begin_immediate(wait=True)
        with self._committing():
            yield

    def _begin_immediate(self, *, wait: bool) -> bool:
        """Take the write lock; without ``wait``, say False at once when another command holds it."""
        if not wait:
            self.conn.execute("PRAGMA busy_timeout = 0")
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as problem:
            if not wait and ("locked" in str(problem) or "busy" in str(problem)):
                return False
            raise translate_error(problem, self.shown) from None
        except sqlite3.Error as problem:
            raise translate_error(problem, self.shown) from None
        finally:
            if not wait:
                self.conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_seconds() * 1000)}")
        return True

    @contextmanager
    def _committing(self) -> Iterator[None]:
        """Commit the open transaction when the block succeeds; roll it back, whatever was raised, when not."""
        try:
            yield
            self.conn.execute("COMMIT")
        except BaseException as problem:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if isinstance(problem, sqlite3.Error):
                raise translate_error(problem, self.shown) from None
            raise

    def recover(self) -> None:
        """Undo what a killed command left half-done (see certificates.py).

        Only when the write lock is free at once: while another command holds
        it, its own files are in ``.incoming/`` and it is alive, so there is
        nothing to undo, and a reader (``cpe total``) must not wait for it.
        """
        if not certificates.has_incoming(self.home):
            return
        if not self._begin_immediate(wait=False):
            return  # a live writer holds the lock; it, or the next command, finishes the job
        with self._committing():
            try:
                certificates.recover_incoming(self.home, self.certificate_is_owned)
            except OSError as problem:
                raise CpeError.failed(f"cannot finish an interrupted command's cleanup in "
                                      f"{certificates.incoming_dir(self.home)}: {problem.strerror}") from None

    def certificate_is_owned(self, stored_name: str) -> bool:
        """Whether a record, or a record in the trash (kept for ``cpe rm --undo``), names this stored file."""
        return self.conn.execute("SELECT 1 FROM records WHERE certificate_stored = ? UNION ALL "
                                 "SELECT 1 FROM trash WHERE certificate_stored = ?",
                                 (stored_name, stored_name)).fetchone() is not None

    # -- writing ------------------------------------------------------
    def add(self, record: Record, certificate_file: Path | None = None) -> AddResult:
        """Add one record (and copy its certificate) atomically."""
        staged: Certificate | None = None
        try:
            with self.write():
                if certificate_file is not None:
                    staged = certificates.stage_certificate(self.home, certificate_file)
                duplicate_of = self.find_duplicate(record)
                new_id = self._insert(record, staged)
        except BaseException:  # nothing was committed (a failed COMMIT included): the copy goes too
            if staged is not None:
                certificates.abandon_staged(self.home, staged)
            raise
        if staged is not None:
            certificates.finish_staged(self.home, staged)
        return AddResult(id=new_id, duplicate_of=duplicate_of)

    def _insert(self, record: Record, certificate: Certificate | None) -> int:
        stamp = utc_timestamp()
        values = {**_stored_values(record, certificate), "added_at": stamp, "changed_at": stamp}
        cursor = self.conn.execute(f"INSERT INTO records ({', '.join(values)}) "
                                   f"VALUES ({', '.join('?' for _ in values)})", tuple(values.values()))
        return int(cursor.lastrowid)

    def update(self, record_id: int, record: Record, certificate: Certificate | None, *, changed_at: str) -> None:
        """Replace a record's fields and certificate columns, and its "changed" time; inside ``write()``."""
        values = {**_stored_values(record, certificate), "changed_at": changed_at}
        self.conn.execute(f"UPDATE records SET {', '.join(f'{name} = ?' for name in values)} WHERE id = ?",
                          (*values.values(), record_id))

    def delete(self, record_id: int) -> None:
        """Delete one record's row (its certificate file is the caller's: ``ops/lifecycle.py``); inside ``write()``."""
        self.conn.execute("DELETE FROM records WHERE id = ?", (record_id,))

    # -- reading ------------------------------------------------------
    def find_duplicate(self, record: Record, *, exclude_id: int | None = None) -> int | None:
        """The lowest id of another record for the same course taken once (``exclude_id``: the record itself)."""
        row = self.conn.execute(
            "SELECT id FROM records WHERE source = ? AND title = ? AND completed_on = ? AND provider = ? "
            "AND credits_hundredths = ? AND field_of_study = ? AND delivery_method = ? AND id IS NOT ? "
            "ORDER BY id LIMIT 1",
            (record.source, record.title, record.completed_on.isoformat(), record.provider,
             to_hundredths(record.credits), record.field_of_study, record.delivery_method,
             exclude_id)).fetchone()
        return row[0] if row else None

    def total(self, filters: Filters) -> Total:
        if filters.window.start is None and filters.window.end is None:
            return self._all_time(filters)
        where, params = where_clause(filters)
        return self._sum(f"SELECT coalesce(sum(credits_hundredths), 0), count(*) FROM records{where}", params)

    def total_outside(self, filters: Filters, inside: Total | None = None) -> Total:
        """What the same source and field hold outside the window (the "not shown" hint): all time minus it.

        ``inside`` is the window's total when the caller has it already.
        """
        everything = self._all_time(filters)
        inside = inside if inside is not None else self.total(filters)
        return Total(credits=everything.credits - inside.credits, count=everything.count - inside.count)

    def _all_time(self, filters: Filters) -> Total:
        """From the per-month totals kept by triggers (schema._add_monthly_totals), not a scan of every record."""
        from dataclasses import replace

        everything = replace(filters, window=Window(None, None, "All time"))
        if filters.tags:  # the per-month totals know no tags: count the records themselves
            where, params = where_clause(everything)
            return self._sum(f"SELECT coalesce(sum(credits_hundredths), 0), count(*) FROM records{where}", params)
        where, params = where_clause(everything)  # same column names
        return self._sum(f"SELECT coalesce(sum(hundredths), 0), coalesce(sum(records), 0) FROM monthly_totals{where}",
                         params)

    def _sum(self, sql: str, params: list) -> Total:
        try:
            hundredths, count = self.conn.execute(sql, params).fetchone()
        except sqlite3.Error as problem:
            raise translate_error(problem, self.shown) from None
        return Total(credits=from_hundredths(hundredths), count=count)

    def records(self, filters: Filters, *, newest_first: bool = True, limit: int | None = None,
                sort: str | None = None, reverse: bool = False) -> Iterator[StoredRecord]:
        """The records in a view, streamed (a cursor, not a list) so exports stay flat in memory.

        Without ``sort``, ``limit`` keeps the newest ``limit`` records of the view, in the order asked for
        (``newest_first``). With ``sort`` (a key of ``SORT_ORDERS``: date newest first, credits largest
        first, title A to Z; ``reverse`` flips it), the first ``limit`` records in that order.
        """
        where, params = where_clause(filters)
        if sort is not None:
            order = SORT_ORDERS[sort][1 if reverse else 0]
            sql = f"SELECT {_COLUMNS} FROM records{where} ORDER BY {order}"
            if limit is not None:
                sql += " LIMIT ?"
                params = [*params, limit]
        else:
            order = "DESC" if newest_first else "ASC"
            sql = f"SELECT {_COLUMNS} FROM records{where} ORDER BY completed_on {order}, id {order}"
            if limit is not None:
                sql = (f"SELECT * FROM (SELECT {_COLUMNS} FROM records{where} ORDER BY completed_on DESC, "
                       f"id DESC LIMIT ?) ORDER BY completed_on {order}, id {order}")
                params = [*params, limit]
        try:
            for row in self.conn.execute(sql, params):
                yield _stored_record(row)
        except sqlite3.Error as problem:
            raise translate_error(problem, self.shown) from None

    def get(self, record_id: int) -> StoredRecord:
        row = self.conn.execute(f"SELECT {_COLUMNS} FROM records WHERE id = ?", (record_id,)).fetchone()
        if row is None:
            raise CpeError.failed(f"no record with id {record_id}")
        return _stored_record(row)

    def providers_used(self, limit: int = 8) -> list[str]:
        """Providers from earlier records, most recently used first, for the form's suggestions."""
        rows = self.conn.execute(
            "SELECT provider FROM records GROUP BY provider ORDER BY max(id) DESC LIMIT ?", (limit,))
        return [row[0] for row in rows]

    def close(self) -> None:
        self.conn.close()


def _stored_values(record: Record, certificate: Certificate | None) -> dict:
    """A record and its certificate as the columns they are stored in (add and edit write the same)."""
    return {
        "title": record.title, "credits": canonical_text(record.credits),
        "credits_hundredths": to_hundredths(record.credits), "field_of_study": record.field_of_study,
        "state": record.state, "completed_on": record.completed_on.isoformat(),
        "delivery_method": record.delivery_method, "provider": record.provider,
        "description": record.description, "source": record.source,
        "certificate_name": certificate.original_name if certificate else None,
        "certificate_stored": certificate.stored_name if certificate else None,
        "certificate_sha256": certificate.sha256 if certificate else None,
        "certificate_size": certificate.size if certificate else None,
        "tags": " ".join(record.tags),
    }


def _stored_record(row: tuple) -> StoredRecord:
    (record_id, title, credits, field_of_study, state, completed_on, delivery_method, provider, description,
     source, cert_name, cert_stored, cert_sha, cert_size, added_at, changed_at, tags) = row
    certificate = None
    if cert_stored:
        certificate = Certificate(original_name=cert_name, stored_name=cert_stored, sha256=cert_sha,
                                  size=cert_size)
    return StoredRecord(id=record_id, title=title, credits=Decimal(credits), field_of_study=field_of_study,
                        state=state, completed_on=date.fromisoformat(completed_on),
                        delivery_method=delivery_method, provider=provider, description=description,
                        source=source, certificate=certificate, added_at=added_at, changed_at=changed_at,
                        tags=tuple(tags.split()))


def _switch_to_wal(conn: sqlite3.Connection) -> None:
    """Turn on WAL mode (persistent in the file), retrying while another process holds a lock.

    Changing the journal mode needs the database to itself, and SQLite can
    answer "locked" at once instead of waiting out the busy timeout when
    several processes create a new ledger at the same moment; so wait here.
    """
    import time

    deadline = time.monotonic() + busy_timeout_seconds()
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as problem:
            if "locked" not in str(problem) and "busy" not in str(problem) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


@contextmanager
def open_ledger(home: Path) -> Iterator[Ledger]:
    """Open (creating and migrating as needed) the ledger in ``home``.

    Every command goes through here, so every command sees an up-to-date
    schema and finishes any half-done work a killed command left behind.
    """
    database = prepare_home(home)
    shown = str(database)
    try:
        conn = sqlite3.connect(database, timeout=busy_timeout_seconds(), isolation_level=None)
    except sqlite3.Error as problem:
        raise translate_error(problem, shown) from None
    ledger = Ledger(home, conn)
    try:
        try:
            if schema.check_compatible(conn, shown):
                _switch_to_wal(conn)
                schema.migrate(conn, shown)
        except sqlite3.Error as problem:
            raise translate_error(problem, shown) from None
        ledger.recover()
        yield ledger
    finally:
        conn.close()
