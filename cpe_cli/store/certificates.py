"""The certificate file store: copies of the user's files, kept beside the database.

A certificate is what survives an audit, so the copy is taken with care:
the source is checked (a regular, readable file of at most 10 MiB) before
anything is written; the copy is hashed as it is written, fsynced, and only
then given its final name. Nothing is written through a symlink.

Atomicity with the database works through ``certificates/.incoming/``: the
copy is written there, hard-linked to its final name, the record committed,
and the incoming name removed. A crash at any step leaves an incoming file
behind, and ``recover_incoming`` (run under the database's write lock) keeps
the final file only if a committed record names it. So a record never points
at a missing file and a stray copy never outlives the next command.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path

from ..core.errors import CpeError
from ..core.records import Certificate

MAX_CERTIFICATE_BYTES = 10 * 1024 * 1024
_CHUNK = 1024 * 1024
_SAFE_EXTENSION = re.compile(r"^\.[A-Za-z0-9]{1,10}$")


def certificates_dir(home: Path) -> Path:
    return home / "certificates"


def incoming_dir(home: Path) -> Path:
    return certificates_dir(home) / ".incoming"


def stored_path(home: Path, stored_name: str) -> Path:
    return certificates_dir(home) / stored_name


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
        os.close(fd)
        raise CpeError.invalid(f"certificate {shown!r} is {kind}; give a regular file (PDF, image, ...)")
    if info.st_size > MAX_CERTIFICATE_BYTES:
        os.close(fd)
        raise CpeError.invalid(f"certificate file {shown!r} is {info.st_size:,} bytes; "
                               f"the limit is 10 MiB ({MAX_CERTIFICATE_BYTES:,} bytes)")
    return fd, info.st_size


def check_certificate(path: Path) -> None:
    """Refuse an unusable certificate before anything is written (and before a form asks more)."""
    fd, _ = _open_source(path)
    try:
        os.read(fd, 1)
    except OSError as problem:
        raise CpeError.invalid(f"certificate file {str(path)!r} cannot be read: {problem.strerror}") from None
    finally:
        os.close(fd)


def _stored_name_for(original: str) -> str:
    import uuid

    extension = os.path.splitext(original)[1]
    extension = extension.lower() if _SAFE_EXTENSION.match(extension) else ""
    return uuid.uuid4().hex + extension


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


def stage_certificate(home: Path, source: Path) -> Certificate:
    """Copy ``source`` into the store under a fresh name; the caller commits, then calls ``finish_staged``.

    After this returns, the file exists both at its final name and under
    ``.incoming/``; the incoming name marks it as not yet owned by a record.
    Must be called while holding the database's write lock (see module doc).
    """
    import hashlib

    fd, _ = _open_source(source)
    original = source.name
    stored_name = _stored_name_for(original)
    staged = incoming_dir(home) / stored_name
    digest = hashlib.sha256()
    size = 0
    try:
        out = create_new_file(staged)
        try:
            while True:
                try:
                    chunk = os.read(fd, _CHUNK)
                except OSError as problem:
                    raise CpeError.invalid(f"certificate file {str(source)!r} cannot be read: "
                                           f"{problem.strerror}") from None
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_CERTIFICATE_BYTES:
                    raise CpeError.invalid(f"certificate file {str(source)!r} is larger than the 10 MiB limit")
                digest.update(chunk)
                view = memoryview(chunk)
                while view:
                    written = os.write(out, view)
                    view = view[written:]
            os.fsync(out)
        finally:
            os.close(out)
        os.link(staged, stored_path(home, stored_name))
        fsync_dir(certificates_dir(home))
    except BaseException as problem:
        discard(stored_path(home, stored_name), staged)
        if isinstance(problem, OSError):
            raise CpeError.failed(f"could not store the certificate: {problem.strerror or problem}") from None
        raise
    finally:
        os.close(fd)
    return Certificate(original_name=original, stored_name=stored_name, sha256=digest.hexdigest(), size=size)


def finish_staged(home: Path, certificate: Certificate) -> None:
    """Drop the incoming mark once the record naming the file is committed."""
    discard(incoming_dir(home) / certificate.stored_name)


def abandon_staged(home: Path, certificate: Certificate) -> None:
    """Remove a staged copy whose record was not committed (the incoming mark last, so a crash here is recovered)."""
    discard(stored_path(home, certificate.stored_name), incoming_dir(home) / certificate.stored_name)


def has_incoming(home: Path) -> bool:
    try:
        with os.scandir(incoming_dir(home)) as entries:
            return any(True for _ in entries)
    except FileNotFoundError:
        return False


def recover_incoming(home: Path, is_referenced: Callable[[str], bool]) -> list[str]:
    """Finish or undo what a killed command left in ``.incoming/``; returns the names undone.

    Only safe under the database's write lock: then no live command is
    between staging and commit, so every incoming file is a leftover.
    """
    undone = []
    with os.scandir(incoming_dir(home)) as entries:
        names = [entry.name for entry in entries]
    for name in names:
        if is_referenced(name):
            discard(incoming_dir(home) / name)
        else:
            discard(stored_path(home, name), incoming_dir(home) / name)
            undone.append(name)
    return undone


def remove_stored(home: Path, stored_name: str) -> None:
    discard(stored_path(home, stored_name))


def discard(*paths: Path) -> None:
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
