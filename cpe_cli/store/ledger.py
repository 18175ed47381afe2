"""The ledger: the home folder, its database, and the queries every command runs.

All of cpe's SQL lives in this package (``cpe_cli/store``), behind named
functions: no module outside it touches a connection (tests/test_architecture.py
checks it). This module holds the connection and the queries of the read
path and of one record's add, edit and delete. The rest sit beside it, each
loaded only by the commands that need it, so the read path stays small:
``trash.py`` (rm, rm --undo), ``integrity.py`` (verify), ``snapshot.py``
(backup, restore), ``swap.py`` (restore), ``exchange.py`` (import, export)
and ``schema.py`` (migrations).

The read path builds no ``pathlib.Path`` and loads neither ``certificates.py``
nor ``dataclasses`` (together 20-50 ms of imports on the machines measured,
more than the query): the home is handled as a string with ``os.path`` and
the folder names of ``layout.py``; ``Ledger.home`` is a ``Path`` made when a
write or a recovery first asks for it.

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
from collections import namedtuple
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from decimal import Decimal

from . import schema
from .layout import DATABASE_NAME, INCOMING, certificates_folder, has_incoming, incoming_folder
from ..core.credits import canonical_text, from_hundredths, to_hundredths
from ..core.errors import CpeError
from ..core.periods import Window
from ..core.views import Filters
from ..core.records import Certificate, Record, StoredRecord

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from pathlib import Path

    from . import certificates

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


class Total(namedtuple("Total", ("credits", "count"))):
    """A view's credits (``Decimal``) and number of records."""

    __slots__ = ()


class AddResult(namedtuple("AddResult", ("id", "duplicate_of"))):
    """The new record's id, and the lowest id of a record for the same course taken once (or None)."""

    __slots__ = ()


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


def prepare_home(home: Path | str) -> str:
    """Create the home layout if missing; return the database path.

    A home whose ``certificates/`` holds files but whose database is missing
    or empty lost its ledger: that is an error (nothing is created), never a
    new empty ledger beside the orphaned certificates (``check_not_lost``).
    A home missing because ``cpe restore`` was interrupted between the two
    renames of its fallback swap is put back first (``swap.settle_home``).
    """
    if not os.path.lexists(home):
        from pathlib import Path

        from .swap import settle_home

        settle_home(Path(home))
    check_not_lost(home)
    parent = os.path.dirname(os.fspath(home)) or "."
    if not os.path.exists(parent):
        # Each missing folder above the home 0700 whatever the umask (mkdir -p would make the upper ones 0777
        # under umask 000).
        for folder in _missing_folders(parent):
            try:
                os.mkdir(folder, 0o700)
                os.chmod(folder, 0o700)
            except FileExistsError:
                pass  # another cpe process made it at the same moment
            except OSError as problem:
                raise CpeError.failed(f"cannot create {folder}: {problem.strerror}") from None
    _ensure_private_dir(home)
    _ensure_private_dir(certificates_folder(home))
    _ensure_private_dir(incoming_folder(home))
    database = os.path.join(home, DATABASE_NAME)
    try:
        fd = os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        os.close(fd)
    except FileExistsError:
        if os.path.islink(database):
            raise CpeError.failed(f"{database} is a symlink; cpe does not write through symlinks in its home")
    except OSError as problem:
        raise CpeError.failed(f"cannot create {database}: {problem.strerror}") from None
    return database


def _missing_folders(folder: str) -> list[str]:
    """``folder`` and the folders above it that do not exist, outermost first."""
    missing = []
    while folder and not os.path.lexists(folder):
        missing.append(folder)
        above = os.path.dirname(folder)
        if above == folder:
            break
        folder = above
    return missing[::-1]


def holds_certificates(home: Path | str) -> bool:
    """Whether ``certificates/`` holds anything but the (empty) ``.incoming/`` folder."""
    try:
        with os.scandir(certificates_folder(home)) as entries:
            return any(entry.name != INCOMING for entry in entries)
    except (FileNotFoundError, NotADirectoryError):
        return False


def database_state(home: Path | str) -> str:
    """"missing", "empty" (zero bytes), "present", or "other" (not a regular file) for ``home``'s database."""
    try:
        info = os.lstat(os.path.join(home, DATABASE_NAME))
    except FileNotFoundError:
        return "missing"
    except NotADirectoryError:
        return "missing"
    if not stat.S_ISREG(info.st_mode):
        return "other"
    return "present" if info.st_size else "empty"


def check_not_lost(home: Path | str) -> None:
    """Refuse a home that holds certificates but lost its database (deleted, emptied, not synced)."""
    state = database_state(home)
    if state in ("missing", "empty") and holds_certificates(home):
        raise CpeError.failed(f"{home} holds certificate files but its database {os.path.join(home, DATABASE_NAME)} is "
                              f"{'missing' if state == 'missing' else 'empty (0 bytes)'}: the ledger was lost. "
                              "Nothing was changed; restore it from a backup: cpe restore BACKUP --force")


def file_identity(path: Path | str) -> tuple[int, int] | None:
    """(device, inode) of the file at ``path`` now; None when there is none."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def replaced_error(shown: str) -> CpeError:
    return CpeError.failed(f"the ledger {shown} was replaced (by 'cpe restore') while this command waited; "
                           "nothing was written: run it again")


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
                               "restore it from a backup: cpe restore BACKUP --force")
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
    if filters.fields:
        terms.append(f"field_of_study IN ({', '.join('?' for _ in filters.fields)})")
        params.extend(filters.fields)
    if filters.tags:
        # Any of the tags: a tag is a word without spaces, so " tag " inside " tags " is an exact match.
        terms.append("tags <> '' AND (" + " OR ".join("instr(' ' || tags || ' ', ?) > 0" for _ in filters.tags) + ")")
        params.extend(f" {tag} " for tag in filters.tags)
    if filters.no_certificate:
        terms.append("certificate_stored IS NULL")
    if filters.batch is not None:
        terms.append("import_batch = ?")  # the partial index records_by_batch
        params.append(filters.batch)
    return (" WHERE " + " AND ".join(terms)) if terms else "", params


class Ledger:
    """One open ledger. Use ``open_ledger`` to get one."""

    def __init__(self, home: Path | str, conn: sqlite3.Connection, identity: tuple[int, int] | None = None):
        self._home = home
        self.home_text = os.fspath(home)
        self.conn = conn
        self.shown = os.path.join(self.home_text, DATABASE_NAME)
        # (device, inode) of the database file this connection opened: a write first checks that it is still
        # the file at the home's path, so nothing commits into a ledger that ``cpe restore`` replaced.
        self.identity = identity
        self.placeholder = False  # an empty ledger in memory standing in for a home not made yet (open_ledger)
        self._changes: certificates.FileChanges | None = None

    @property
    def home(self) -> Path:
        """The home as a ``Path``, for the writers and the modules beside this one (made once, when asked)."""
        if isinstance(self._home, str):
            from pathlib import Path

            self._home = Path(self._home)
        return self._home

    # -- transactions -------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[None]:
        """One write transaction holding SQLite's write lock from the start.

        Certificate files staged (``stage_certificate``) or released (``release_certificate``) inside it
        are settled with it, under the same lock: kept or removed at the commit, undone if it fails.
        """
        from . import certificates

        self._begin_immediate(wait=True)
        if has_incoming(self.home_text):
            self._recover_incoming()  # a killed command's marks, settled before this one makes its own
        changes = certificates.FileChanges(self.home_text, self.certificate_is_owned, self._stored_by_content)
        self._changes = changes
        certificates.activate(changes)
        try:
            with self._committing(changes):
                yield
        finally:
            certificates.deactivate(changes)
            self._changes = None
        changes.committed()

    def stage_certificate(self, source: Path | str | int, original_name: str | None = None) -> Certificate:
        """Store a certificate file within the open write transaction (see ``certificates.FileChanges``)."""
        assert self._changes is not None, "stage_certificate runs inside write()"
        return self._changes.stage(source, original_name)

    def release_certificate(self, stored_name: str | None) -> None:
        """Within the open write transaction: nothing here names this file any more unless another record does."""
        assert self._changes is not None, "release_certificate runs inside write()"
        self._changes.release(stored_name)

    def _stored_by_content(self, sha256: str, size: int) -> list[str]:
        return [row[0] for row in self.conn.execute(
            "SELECT DISTINCT certificate_stored FROM records WHERE certificate_sha256 = ? AND certificate_size = ? "
            "AND certificate_stored IS NOT NULL LIMIT 4", (sha256, size))]

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
        if self.identity is not None and file_identity(self.shown) != self.identity:
            # The file this connection has open is no longer the ledger (a restore swapped the home while
            # this command waited for the lock): committing here would report a change that is already gone.
            self.conn.execute("ROLLBACK")
            raise replaced_error(self.shown)
        return True

    @contextmanager
    def _committing(self, changes: certificates.FileChanges | None = None) -> Iterator[None]:
        """Commit the open transaction when the block succeeds; roll it back, whatever was raised, when not."""
        try:
            yield
            if changes is not None:
                changes.before_commit()
            self.conn.execute("COMMIT")
        except BaseException as problem:
            if changes is not None:
                self._undo_files(changes)
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if isinstance(problem, sqlite3.Error):
                raise translate_error(problem, self.shown) from None
            raise

    def _undo_files(self, changes: certificates.FileChanges) -> None:
        """Undo a failed transaction's file changes under the write lock (taken again if a failed COMMIT let it go;
        if even that fails, the marks stay for the next command's recovery)."""
        if not (changes.created or changes.aside):
            return
        try:
            if not self.conn.in_transaction:
                self.conn.execute("BEGIN IMMEDIATE")
            changes.undo()
        except (sqlite3.Error, OSError):
            pass

    def recover(self) -> None:
        """Undo what a killed command left half-done (see certificates.py).

        Only when the write lock is free at once: while another command holds
        it, its own files are in ``.incoming/`` and it is alive, so there is
        nothing to undo, and a reader (``cpe total``) must not wait for it.
        """
        if not has_incoming(self.home_text):
            return
        if not self._begin_immediate(wait=False):
            return  # a live writer holds the lock; it, or the next command, finishes the job
        with self._committing():
            self._recover_incoming()

    def _recover_incoming(self) -> None:
        from . import certificates

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
    def add(self, record: Record, certificate_file: Path | str | None = None) -> AddResult:
        """Add one record (and store its certificate) atomically."""
        with self.write():
            staged = self.stage_certificate(certificate_file) if certificate_file is not None else None
            duplicate_of = self.find_duplicate(record)
            new_id = self._insert(record, staged)
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
        everything = filters._replace(window=Window(None, None, "All time"))
        if filters.tags or filters.no_certificate or filters.batch is not None:
            # The per-month totals know no tags, certificates or batches: count the records themselves.
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
            raise CpeError.no_record(record_id)
        return _stored_record(row)

    def recent_ids(self, prefix: str, limit: int) -> list[tuple[int, str, str]]:
        """(id, date, title) of records whose id starts with ``prefix``, newest id first (TAB completion)."""
        from .peek import RECENT_IDS_SQL

        rows = self.conn.execute(RECENT_IDS_SQL, (f"{prefix}%", limit))
        return [tuple(row) for row in rows]

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


# A new ledger's page size. Twice SQLite's default: at 1,000,000 records it takes 1.3% less room (fewer page
# headers and part-filled pages: 246 bytes a record instead of 249.5, issue 14), and a command reads fewer
# pages; a small ledger is a few pages larger (483 KB at 1,000 records instead of about 400). The size is fixed
# when the first page is written (in WAL mode no later change takes effect), so a ledger made before keeps its
# 4 KiB pages, which serve as well.
PAGE_SIZE = 8192


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
def open_ledger(home: Path | str, *, create: bool = True) -> Iterator[Ledger]:
    """Open (creating and migrating as needed) the ledger in ``home``.

    Every command goes through here, so every command sees an up-to-date
    schema and finishes any half-done work a killed command left behind.
    With ``create=False`` (commands that only read) a home without a
    database is not created: the ledger is an empty one in memory, and
    ``ledger.placeholder`` says so (the command tells the user where it looked).
    """
    if not os.path.lexists(home):
        from pathlib import Path

        from .swap import settle_home

        settle_home(Path(home))  # a restore between the renames of its fallback swap: wait for it, or undo a killed one
    if not create and not os.path.lexists(os.path.join(home, DATABASE_NAME)):
        check_not_lost(home)
        conn = sqlite3.connect(":memory:", isolation_level=None)
        try:
            schema.migrate(conn, os.path.join(home, DATABASE_NAME))
            ledger = Ledger(home, conn)
            ledger.placeholder = True
            yield ledger
        finally:
            conn.close()
        return
    database = prepare_home(home)
    shown = str(database)
    conn, identity, outdated = _connect(database, shown)
    ledger = Ledger(home, conn, identity)
    try:
        try:
            if outdated:
                if conn.execute("PRAGMA page_count").fetchone()[0] == 0:  # a new ledger: nothing written yet
                    conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
                _switch_to_wal(conn)
                schema.migrate(conn, shown)
        except sqlite3.Error as problem:
            raise translate_error(problem, shown) from None
        ledger.recover()
        yield ledger
    finally:
        conn.close()


def _connect(database: str, shown: str) -> tuple[sqlite3.Connection, tuple[int, int], bool]:
    """Connect and read the ledger's marks; return the connection, the identity of the file it opened, and
    whether the ledger needs migrating.

    The file at the path is looked at before the connection opens it and again after the first read (which
    opens the ``-wal`` and ``-shm`` files beside it): the same file both times is the file opened. A restore
    swapping the home in between makes it try again.
    """
    for _ in range(5):
        before = file_identity(database)
        try:
            conn = sqlite3.connect(database, timeout=busy_timeout_seconds(), isolation_level=None)
        except sqlite3.Error as problem:
            raise translate_error(problem, shown) from None
        try:
            conn.execute("PRAGMA trusted_schema = OFF")  # no function with side effects from the schema itself
            outdated = schema.check_compatible(conn, shown)
        except sqlite3.Error as problem:
            conn.close()
            raise translate_error(problem, shown) from None
        except BaseException:
            conn.close()
            raise
        if before is not None and file_identity(database) == before:
            return conn, before, outdated
        conn.close()
    raise replaced_error(shown)
