"""The certificate files an import names: found inside one folder, and opened once, without following links.

A CSV file (often downloaded) names certificate files by paths relative to
its folder. Such a path must not make cpe copy another of the user's files
into the ledger (and from there into an auditor's ZIP): not through ``..``
or an absolute path, not through a symlink, not a hidden file such as
``.ssh/id_rsa``. Checking a path and opening it later leaves a gap in which
the file can be swapped for a symlink to ``/etc/shadow``; so here:

* the folder is opened once, and every path is walked from that folder's
  descriptor, one component at a time, with ``O_NOFOLLOW``: a symlink
  anywhere on the way is refused, whatever it points to;
* while the rows are read (``CertificateFolder.find``) each file is only
  looked at (``fstatat`` without following links): its kind and size are
  checked and its identity (device, inode, size, modification time) noted;
* when the rows are written (``CertificateFolder.stage``) the file is
  opened, once, the same way; the checks are repeated on that descriptor,
  which must still be the file noted, and the copy and its SHA-256 are
  made from that descriptor (the store's ``stage_certificate`` takes it).

So the bytes stored are those of the regular file inside the folder that
the row named when it was checked, or the import fails whole.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import CpeError
from ..core.records import Certificate
from . import certificates

_DIRECTORY_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | \
    getattr(os, "O_CLOEXEC", 0)
_FILE_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NOCTTY", 0) | \
    getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class Found:
    """A certificate file a row names: its path inside the folder, and what it was when checked."""

    path: str  # components joined by "/", without "." or empty ones
    identity: str  # "device:inode:size:mtime_ns" when checked

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


def _identity(info: os.stat_result) -> str:
    return f"{info.st_dev}:{info.st_ino}:{info.st_size}:{info.st_mtime_ns}"


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in the words ``certificates`` uses; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


class CertificateFolder:
    """The folder certificate cells are read in, held by its descriptor for the whole import."""

    def __init__(self, path: Path, words: str, advice: str):
        self.path = path
        self.words = words  # how messages name it: "the CSV file's folder", "the folder 'x' (--certificates-dir)"
        self.advice = advice  # what to do instead: "put the file beside the CSV"
        self.fd: int | None = None
        try:
            self.fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            raise CpeError.invalid(f"the certificates folder {str(path)!r} does not exist") from None
        except NotADirectoryError:
            raise CpeError.invalid(f"the certificates folder {str(path)!r} is not a folder") from None
        except OSError as problem:
            raise CpeError.invalid(f"the certificates folder {str(path)!r} cannot be opened: "
                                   f"{problem.strerror}") from None

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> "CertificateFolder":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the rows: is there a usable file? ----------------------------------------------------------

    def find(self, cell: str) -> Found | None:
        """The file ``cell`` names, checked without opening it; None when it names no file here.

        Raises ``CpeError`` (the row's problem, without its line) for a path
        leading outside the folder, a hidden file or folder, a symlink, or a
        file ``cpe add --certificate`` would refuse (a folder, a FIFO, a
        device, more than 10 MiB).
        """
        parts = self._parts(cell)
        if parts is None:
            return None
        parent = self._walk(cell, parts)
        if parent is None:
            return None
        try:
            try:
                info = os.stat(parts[-1], dir_fd=parent, follow_symlinks=False)
            except (FileNotFoundError, NotADirectoryError):
                return None
            except OSError as problem:
                raise CpeError.invalid(f"certificate {cell!r} cannot be read: {problem.strerror}") from None
            if stat.S_ISLNK(info.st_mode):
                raise self._symlink(cell, parts[-1], parent, final=True)
            self._check(cell, info)
        finally:
            self._close_parent(parent)
        return Found(path="/".join(parts), identity=_identity(info))

    def _parts(self, cell: str) -> list[str] | None:
        if cell.startswith("/"):
            raise self._outside(cell)
        parts = [part for part in cell.split("/") if part not in ("", ".")]
        if not parts or "\x00" in cell:
            return None  # names no file (a NUL cannot be in a file name)
        if ".." in parts:
            raise self._outside(cell)
        if any(part.startswith(".") for part in parts):
            # ``.ssh/id_rsa``, ``.env``, ``.git/config``: never a certificate, often a secret.
            raise CpeError.invalid(f"certificate {cell!r} is a hidden file or inside a hidden folder (a name "
                                   "starting with a dot); cpe never attaches those: rename or move the file")
        return parts

    def _outside(self, cell: str) -> CpeError:
        # A downloaded CSV must not make cpe copy ~/.ssh/id_rsa into the ledger (and an auditor's ZIP).
        return CpeError.invalid(f"certificate {cell!r} is outside {self.words}; {self.advice}")

    def _symlink(self, cell: str, part: str, parent: int, *, final: bool) -> CpeError:
        try:
            os.stat(part, dir_fd=parent)
        except OSError as problem:
            if problem.errno == errno.ELOOP:
                return CpeError.invalid(f"certificate path {cell!r} is a symlink loop")
        what = "is a symlink" if final else f"goes through the symlink {part!r}"
        return CpeError.invalid(f"certificate {cell!r} {what}; cpe attaches only files inside {self.words}, never "
                                "through a link: copy the file there")

    def _walk(self, cell: str, parts: list[str]) -> int | None:
        """The descriptor of the folder holding the last part (the caller closes it); None if a folder is missing."""
        current = self.fd
        try:
            for part in parts[:-1]:
                try:
                    following = os.open(part, _DIRECTORY_FLAGS, dir_fd=current)
                except FileNotFoundError:
                    return None
                except OSError as problem:  # ELOOP or ENOTDIR for a symlink (by system), ENOTDIR for a file
                    try:
                        info = os.stat(part, dir_fd=current, follow_symlinks=False)
                    except OSError:
                        info = None
                    if info is not None and stat.S_ISLNK(info.st_mode):
                        raise self._symlink(cell, part, current, final=False) from None
                    if info is not None and not stat.S_ISDIR(info.st_mode):
                        return None  # a file where a folder should be: the path names no file
                    raise CpeError.invalid(f"certificate {cell!r} cannot be read: {problem.strerror}") from None
                self._close_parent(current)
                current = following
            result, current = current, None
            return result
        finally:
            self._close_parent(current)

    def _close_parent(self, fd: int | None) -> None:
        if fd is not None and fd != self.fd:
            os.close(fd)

    def _check(self, cell: str, info: os.stat_result) -> None:
        kind = _kind(info.st_mode)
        if kind:
            raise CpeError.invalid(f"certificate {cell!r} is {kind}; give a regular file (PDF, image, ...)")
        if info.st_size > certificates.MAX_CERTIFICATE_BYTES:
            raise CpeError.invalid(f"certificate file {cell!r} is {info.st_size:,} bytes; the limit is 10 MiB "
                                   f"({certificates.MAX_CERTIFICATE_BYTES:,} bytes)")

    # -- the write: open once, check again, copy --------------------------------------------------

    def stage(self, home: Path, found: Found) -> Certificate:
        """Open the file ``found`` names (once, no link followed), check it is still that file, and copy it in.

        Under the ledger's write lock, as ``certificates.stage_certificate``;
        the caller finishes or abandons the staged copy as for ``cpe add``.
        """
        cell = found.path
        parts = found.path.split("/")
        changed = (f"certificate {cell!r} changed while the file was being imported ({{}}); nothing imported: "
                   "run the import again")
        parent = self._walk(cell, parts)
        if parent is None:
            raise CpeError.invalid(changed.format("its folder is gone"))
        try:
            try:
                fd = os.open(parts[-1], _FILE_FLAGS, dir_fd=parent)
            except FileNotFoundError:
                raise CpeError.invalid(changed.format("it is gone")) from None
            except PermissionError:
                raise CpeError.invalid(f"certificate file {cell!r} is not readable (permission denied)") from None
            except OSError as problem:
                if problem.errno == errno.ELOOP:
                    raise CpeError.invalid(changed.format("it is now a symlink")) from None
                raise CpeError.invalid(f"certificate file {cell!r} cannot be opened: {problem.strerror}") from None
        finally:
            self._close_parent(parent)
        try:
            info = os.fstat(fd)
            self._check(cell, info)
            if _identity(info) != found.identity:
                raise CpeError.invalid(changed.format("it is another file, or was written to"))
            return certificates.stage_certificate(home, fd, original_name=found.name)
        finally:
            os.close(fd)
