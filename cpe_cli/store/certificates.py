"""The certificate file store: one copy of each certificate, named by its content, kept beside the database.

A certificate is what survives an audit, so the copy is taken with care:
the source is checked (a regular, readable file of at most 10 MiB) before
anything is written; it is hashed, then copied and hashed again as it is
written (a file that changes in between is refused), fsynced, and only then
given its final name. Nothing is written through a symlink.

**Stored by content.** A certificate is stored once, as
``certificates/<SHA-256><.ext>`` (mode 0600), however many records name it:
a file already in the store with the same SHA-256 and size is named again,
not copied again (the file is hashed once per command before it is
trusted). Files stored by cpe before schema version 5 keep their random
names (a uuid and an extension); a record names whichever file holds its
content. A file is removed only when no record and no trash entry names it
any more, decided under the write lock just before the commit.

**One command's budget.** New files one write transaction (one ``cpe
import``) adds are capped at ``CPE_IMPORT_MAX_BYTES`` bytes (default 1 GiB);
certificates named again cost nothing.

**Atomicity.** Every file change happens under the database's write lock,
through ``certificates/.incoming/``: a new file is written there as
``<name>~<token>``, fsynced, hard-linked to its final name, the record
committed, and the incoming name (the "mark") removed. A file to remove is
moved into ``.incoming/`` just before the commit and deleted after it. A
crash at any step leaves a mark, and ``recover_incoming`` (run under the
write lock by the next command that writes) settles it by what the
committed database says: a file some record or trash entry names is put
back or kept; one nothing names is removed, but only when it is the very
file the mark was made from (same inode). So a record never points at a
missing file and a stray copy never outlives the next writing command.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterable

from ..core.errors import CpeError
from ..core.records import Certificate
from .layout import CERTIFICATES, INCOMING, certificates_folder, has_incoming, incoming_folder  # noqa: F401

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from pathlib import Path

MAX_CERTIFICATE_BYTES = 10 * 1024 * 1024
IMPORT_MAX_BYTES = 1024 * 1024 * 1024  # CPE_IMPORT_MAX_BYTES: new certificate bytes one command may add
_CHUNK = 1024 * 1024
# What cpe names stored files: a SHA-256 (or, before schema 5, a uuid) and an extension: an ASCII letter or
# digit, then up to 199 letters, digits, dots, underscores or hyphens, never "..". Anything else in the database
# (a tampered row, "../cpe.db", "/dev/zero") is never opened, written or deleted. Checked with sets of
# characters rather than regular expressions: ``cpe add`` with a certificate would load ``re`` for them alone
# (tests/test_stdlib_stand_ins.py compares the two).
_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_NAME_CHARACTERS = _ALNUM | frozenset("._-")
MARK_SEPARATOR = "~"  # ".incoming/<stored name>~<token>": the separator is never part of a stored name
LOST_AND_FOUND = "lost+found"


def is_safe_stored_name(name: str | None) -> bool:
    return (bool(name) and len(name) <= 200 and name[0] in _ALNUM and ".." not in name
            and all(char in _NAME_CHARACTERS for char in name))


# The store's places as ``Path`` objects, for the commands that work with files (verify, backup, export).
# ``pathlib`` is imported when they ask: ``cpe add`` and the write transaction use the strings of ``layout.py``.
def certificates_dir(home: Path | str) -> Path:
    from pathlib import Path

    return Path(certificates_folder(home))


def incoming_dir(home: Path | str) -> Path:
    from pathlib import Path

    return Path(incoming_folder(home))


def lost_and_found_dir(home: Path | str) -> Path:
    from pathlib import Path

    return Path(home) / LOST_AND_FOUND


def _stored_file(home: Path | str, stored_name: str) -> str:
    """Where a stored certificate is, as a string; refuses (``CpeError``) a name cpe never gives a stored file."""
    if not is_safe_stored_name(stored_name):
        raise CpeError.failed(f"the ledger names a certificate file {stored_name!r}, which is not a name cpe "
                              "gives a stored file (the database was altered); nothing was read: run 'cpe verify'")
    return os.path.join(certificates_folder(home), stored_name)


def stored_path(home: Path | str, stored_name: str) -> Path:
    """``_stored_file`` as a ``Path``."""
    from pathlib import Path

    return Path(_stored_file(home, stored_name))


def import_cap() -> int:
    """New certificate bytes one write transaction may add: ``CPE_IMPORT_MAX_BYTES``, or 1 GiB."""
    from ..core.environment import byte_limit

    return byte_limit("CPE_IMPORT_MAX_BYTES", IMPORT_MAX_BYTES)


def _open_source(path: Path) -> tuple[int, int]:
    """Open a user's certificate for reading and return (fd, size), refusing anything but a small regular file.

    Opened first and checked with fstat, so a file swapped after the check
    cannot slip through; O_NONBLOCK keeps a FIFO from hanging the command.
    """
    shown = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise CpeError.invalid(f"certificate file {shown!r} does not exist") from None
    except PermissionError:
        raise CpeError.invalid(f"certificate file {shown!r} is not readable (permission denied)") from None
    except OSError as problem:
        if problem.errno == errno.ELOOP:
            raise CpeError.invalid(f"certificate path {shown!r} is a symlink loop") from None
        raise CpeError.invalid(f"certificate file {shown!r} cannot be opened: {problem.strerror}") from None
    try:
        size = _check_source(fd, shown)
    except BaseException:
        os.close(fd)
        raise
    return fd, size


def _check_source(fd: int, shown: str) -> int:
    """The size of an open certificate; refuses anything but a regular file of at most 10 MiB."""
    info = os.fstat(fd)
    kind = None
    if stat.S_ISDIR(info.st_mode):
        kind = "a directory"
    elif stat.S_ISFIFO(info.st_mode):
        kind = "a FIFO (named pipe)"
    elif stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode):
        kind = "a device"
    elif stat.S_ISSOCK(info.st_mode):
        kind = "a socket"
    elif not stat.S_ISREG(info.st_mode):
        kind = "not a regular file"
    if kind:
        raise CpeError.invalid(f"certificate {shown!r} is {kind}; give a regular file (PDF, image, ...)")
    if info.st_size > MAX_CERTIFICATE_BYTES:
        raise CpeError.invalid(f"certificate file {shown!r} is {info.st_size:,} bytes; "
                               f"the limit is 10 MiB ({MAX_CERTIFICATE_BYTES:,} bytes)")
    return info.st_size


def check_certificate(path: Path) -> None:
    """Refuse an unusable certificate before anything is written (and before a form asks more)."""
    fd, _ = _open_source(path)
    try:
        os.read(fd, 1)
    except OSError as problem:
        raise CpeError.invalid(f"certificate file {str(path)!r} cannot be read: {problem.strerror}") from None
    finally:
        os.close(fd)


def stored_extension(original: str) -> str:
    """The extension a stored copy keeps: a dot and 1 to 10 ASCII letters or digits, lower-cased; else none."""
    extension = os.path.splitext(original)[1]
    safe = 2 <= len(extension) <= 11 and extension[0] == "." and all(char in _ALNUM for char in extension[1:])
    return extension.lower() if safe else ""


def create_new_file(path: Path) -> int:
    """Create a private (0600) file that did not exist, never following a symlink planted at its name.

    Backup and restore create their files through it too (``ops/backup.py``, ``ops/archive.py``).
    """
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _hash_source(fd: int, shown: str, *, out: int | None = None) -> tuple[str, int]:
    """SHA-256 and size of an open certificate, read from its start (``pread``: the offset is left alone);
    with ``out``, each chunk is also written there."""
    import hashlib

    digest = hashlib.sha256()
    size = 0
    while True:
        try:
            chunk = os.pread(fd, _CHUNK, size)
        except OSError as problem:
            raise CpeError.invalid(f"certificate file {shown!r} cannot be read: {problem.strerror}") from None
        if not chunk:
            break
        size += len(chunk)
        if size > MAX_CERTIFICATE_BYTES:
            raise CpeError.invalid(f"certificate file {shown!r} is larger than the 10 MiB limit")
        digest.update(chunk)
        if out is not None:
            view = memoryview(chunk)
            while view:
                view = view[os.write(out, view):]
    return digest.hexdigest(), size


# Files in the store already hashed by this process: (device, inode, size, mtime) -> SHA-256.
_HASHED: dict[tuple[int, int, int, int], str] = {}


def _holds(path: Path, sha256: str, size: int) -> bool:
    """Whether ``path`` is a regular file (not a symlink) holding exactly this content; hashed once per process."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size != size:
            return False
        key = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
        if key not in _HASHED:
            try:
                _HASHED[key] = _hash_source(fd, str(path))[0]
            except CpeError:
                return False
        return _HASHED[key] == sha256
    finally:
        os.close(fd)


def _source_hash(fd: int, shown: str) -> tuple[str, int]:
    """A source's SHA-256 and size, hashed once per process for the same unchanged file (an import naming one
    file on many rows reads it once; a file changed since has another size or modification time)."""
    info = os.fstat(fd)
    key = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
    if key not in _HASHED:
        sha256, size = _hash_source(fd, shown)
        if size != info.st_size:
            return sha256, size
        _HASHED[key] = sha256
    return _HASHED[key], info.st_size


class FileChanges:
    """The certificate files one write transaction adds and releases (see the module doc).

    Created by ``Ledger.write()`` under the write lock; ``owned(name)`` says whether a
    record or trash entry names a stored file (in the open transaction), ``named_by_content(sha256,
    size)`` lists stored names that records give this content.
    """

    def __init__(self, home: Path | str, owned: Callable[[str], bool],
                 named_by_content: Callable[[str, int], Iterable[str]]):
        self.home = home
        self.store = certificates_folder(home)  # paths here are strings: no pathlib on ``cpe add``'s way
        self.owned = owned
        self.named_by_content = named_by_content
        self.token = os.urandom(6).hex()
        self.created: dict[str, str] = {}  # stored name -> its mark, for files this transaction wrote
        self.released: set[str] = set()
        self.aside: dict[str, str] = {}  # stored name -> where it waits (in .incoming/) for the commit
        self.bytes_added = 0
        self.cap: int | None = None

    def _mark(self, name: str) -> str:
        return os.path.join(self.store, INCOMING, f"{name}{MARK_SEPARATOR}{self.token}")

    # -- inside the transaction ------------------------------------------------------------
    def stage(self, source: Path | str | int, original_name: str | None = None) -> Certificate:
        """Store a certificate (a path, or a file already open for reading) and return what a record keeps of it."""
        if isinstance(source, int):
            fd, shown, close = source, original_name or "certificate", False
            _check_source(fd, shown)
        else:
            fd, _ = _open_source(source)
            shown, close = os.fspath(source), True
            original_name = original_name or os.path.basename(shown)
        try:
            sha256, size = _source_hash(fd, shown)
            extension = stored_extension(original_name or "")
            name = self._stored_copy(sha256, size, extension)
            if name is None:
                name = sha256 + extension
                self._write(fd, shown, name, sha256, size)
        finally:
            if close:
                os.close(fd)
        return Certificate(original_name=original_name or "", stored_name=name, sha256=sha256, size=size)

    def _stored_copy(self, sha256: str, size: int, extension: str) -> str | None:
        """The name of a stored file that already holds this content, if there is one."""
        by_content = sha256 + extension
        candidates = [by_content, *(name for name in self.named_by_content(sha256, size) if name != by_content)]
        for name in candidates:
            if is_safe_stored_name(name) and _holds(os.path.join(self.store, name), sha256, size):
                return name
        if os.path.lexists(os.path.join(self.store, by_content)):
            raise CpeError.failed(f"certificates/{by_content} exists but does not hold the content its name says "
                                  "(it was altered or is not a file); nothing was written: run 'cpe verify'")
        return None

    def _write(self, fd: int, shown: str, name: str, sha256: str, size: int) -> None:
        if self.cap is None:
            self.cap = import_cap()
        if self.bytes_added + size > self.cap:
            raise CpeError.invalid(
                f"the certificates would add more than {self.cap:,} bytes of new files to the ledger in one command "
                f"(the cap; set CPE_IMPORT_MAX_BYTES to change it); nothing was written")
        mark = self._mark(name)
        final = os.path.join(self.store, name)
        try:
            out = create_new_file(mark)
            try:
                copied, copied_size = _hash_source(fd, shown, out=out)
                os.fsync(out)
            finally:
                os.close(out)
            if (copied, copied_size) != (sha256, size):
                raise CpeError.failed(f"certificate file {shown!r} changed while it was being copied; "
                                      "nothing was written: try again")
            os.link(mark, final)
            self.created[name] = mark
            fsync_dir(self.store)
        except BaseException as problem:
            if name not in self.created:
                discard(mark)
            if isinstance(problem, OSError):
                raise CpeError.failed(f"could not store the certificate: {problem.strerror or problem}") from None
            raise
        self.bytes_added += size

    def release(self, stored_name: str | None) -> None:
        """A record or trash entry stops naming this file: remove it at the commit if nothing else names it."""
        if is_safe_stored_name(stored_name):
            self.released.add(stored_name)

    def before_commit(self) -> None:
        """Under the lock, the database changes made: set aside every file nothing names any more."""
        for name in sorted(self.released | set(self.created)):
            if self.owned(name):
                continue
            if name in self.created:  # written by this transaction and not used after all
                _remove_if_same(os.path.join(self.store, name), self.created.pop(name))
                continue
            mark = self._mark(name)
            try:
                os.rename(_stored_file(self.home, name), mark)
            except FileNotFoundError:
                continue  # already gone (a damaged ledger): nothing to remove
            except OSError as problem:
                raise CpeError.failed(f"could not remove certificate {name}: {problem.strerror or problem}") from None
            self.aside[name] = mark

    def undo(self) -> None:
        """Under the lock, before the rollback: remove what this transaction wrote, put back what it set aside."""
        for name, mark in self.created.items():
            _remove_if_same(os.path.join(self.store, name), mark)
        for name, mark in self.aside.items():
            try:
                os.link(mark, os.path.join(self.store, name))
            except FileExistsError:
                pass
            except FileNotFoundError:
                continue  # settled by another command's recovery meanwhile
            discard(mark)
        self.created.clear()
        self.aside.clear()

    # -- after the commit (no lock needed: the marks are this transaction's own names) ---------------
    def committed(self) -> None:
        for mark in [*self.created.values(), *self.aside.values()]:
            discard(mark)
        self.created.clear()
        self.aside.clear()


def _remove_if_same(final: Path | str, mark: Path | str) -> None:
    """Remove ``final`` only if it is the file ``mark`` was linked from (never another command's copy), then the mark."""
    try:
        if os.path.samestat(os.lstat(final), os.lstat(mark)):
            os.unlink(final)
    except FileNotFoundError:
        pass
    discard(mark)


# The write transaction open in this process for a home (``Ledger.write`` registers it), so that
# ``stage_certificate(home, ...)`` joins it.
_ACTIVE: dict[str, FileChanges] = {}


def _key(home: Path) -> str:
    return os.path.abspath(home)


def activate(changes: FileChanges) -> None:
    _ACTIVE[_key(changes.home)] = changes


def deactivate(changes: FileChanges) -> None:
    if _ACTIVE.get(_key(changes.home)) is changes:
        del _ACTIVE[_key(changes.home)]


def stage_certificate(home: Path, source: Path | int, *, original_name: str | None = None) -> Certificate:
    """Store a certificate within the write transaction open on ``home`` (``Ledger.write()``).

    ``source`` is a path, or a file descriptor already open for reading (then ``original_name`` is the name
    the record keeps). The transaction settles the file: kept if it commits naming it, removed otherwise.
    """
    changes = _ACTIVE.get(_key(home))
    if changes is None:
        raise RuntimeError("stage_certificate runs inside Ledger.write()")
    return changes.stage(source, original_name)


def finish_staged(home: Path, certificate: Certificate) -> None:
    """Nothing left to do: the write transaction settled the file when it committed (kept for callers)."""


def abandon_staged(home: Path, certificate: Certificate) -> None:
    """Nothing left to do: the write transaction removed the file, under its lock, when it failed."""


def recover_incoming(home: Path, is_referenced: Callable[[str], bool]) -> list[str]:
    """Settle every mark a killed command left in ``.incoming/``; returns the stored names removed.

    Only safe under the database's write lock: then no live command is
    between staging and commit, so every mark is a leftover. A file some
    record or trash entry names is kept (put back from its mark if it had
    been set aside); one nothing names is removed when it is the file the
    mark was made from.
    """
    undone = []
    with os.scandir(incoming_dir(home)) as entries:
        marks = [entry.name for entry in entries if not entry.is_dir(follow_symlinks=False)]
    for mark_name in marks:
        mark = incoming_dir(home) / mark_name
        name = mark_name.split(MARK_SEPARATOR, 1)[0]
        if not is_safe_stored_name(name):
            discard(mark)
            continue
        final = certificates_dir(home) / name
        if is_referenced(name):
            if not os.path.lexists(final) and _whole_copy(mark, name):
                try:
                    os.link(mark, final)
                except FileExistsError:
                    pass
            discard(mark)
        else:
            if os.path.lexists(final):
                undone.append(name)
            _remove_if_same(final, mark)
    return undone


def _whole_copy(mark: Path, name: str) -> bool:
    """Whether a mark may be put back as ``name``: a file set aside whole, or a copy whose content is the
    SHA-256 its name says (a copy cut short by a kill is not)."""
    import re  # recovery after a killed command only

    named = re.fullmatch(r"([0-9a-f]{64})(\.[a-z0-9]{1,10})?", name)
    if named is None:
        return True
    try:
        return sha256_of(mark) == named.group(1)
    except OSError:
        return False


def remove_stored(home: Path, stored_name: str) -> None:
    discard(stored_path(home, stored_name))


def discard(*paths: Path | str) -> None:
    for path in paths:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def sha256_of(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def move_to_lost_and_found(home: Path, path: Path, name: str | None = None) -> str:
    """Move a file or folder of the home into ``lost+found/`` (made 0700), never over anything; returns the
    name it was given there (``name``, or ``name.1``, ``name.2``... when taken)."""
    folder = lost_and_found_dir(home)
    try:
        os.mkdir(folder, 0o700)
        os.chmod(folder, 0o700)
    except FileExistsError:
        pass
    if os.path.islink(folder) or not folder.is_dir():
        raise CpeError.failed(f"{folder} is not a folder; cpe keeps what it cannot place there")
    base = name or path.name
    for attempt in range(1000):
        candidate = base if attempt == 0 else f"{base}.{attempt}"
        target = folder / candidate
        if os.path.lexists(target):
            continue
        is_folder = stat.S_ISDIR(os.lstat(path).st_mode)
        try:
            if is_folder:
                os.rename(path, target)
            else:
                os.link(path, target, follow_symlinks=False)
        except FileExistsError:
            continue
        if not is_folder:
            os.unlink(path)
        return candidate
    raise CpeError.failed(f"{folder} holds too many files named {base!r}; empty it")
