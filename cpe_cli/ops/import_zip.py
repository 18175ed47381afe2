"""``cpe import audit.zip``: the archive ``cpe export zip`` writes, read back as hostile input.

The archive's ``manifest.csv`` is imported like any CSV file (same rules, all
or nothing); each row's certificate comes from the entry its ``zip_entry``
cell names and must have the SHA-256 its ``sha256`` cell says, or the row is
refused. A downloaded ZIP can be crafted, so:

* entries are read by name, from the archive: nothing is ever extracted to a
  path made from an entry's name (``../../.ssh/authorized_keys`` is only a
  key of the archive's directory). A verified certificate is written into a
  private temporary folder under its SHA-256, and staged into the store from
  there, through the same ``stage_certificate`` as ``cpe add --certificate``;
* sizes are bounded before and while reading: the central directory (at most
  ``MAX_DIRECTORY_BYTES``, ``MAX_ENTRIES`` entries, counted before ``zipfile``
  loads it, since it keeps about 600 bytes of memory per entry), the manifest
  (``MAX_MANIFEST_BYTES``), each certificate (10 MiB, as for ``cpe add``) and
  the certificates read together (``CPE_IMPORT_MAX_BYTES``, 1 GiB by
  default); every entry is checked against its declared size as its bytes
  come (a zip bomb stops at the limit, not at the end of the disk);
* an entry that is encrypted, a folder, damaged (bad CRC, truncated), or in
  an archive naming two entries alike is refused.

Standard input (``cpe export zip -o /dev/stdout | cpe import -``) is spooled
into an unnamed temporary file first, within the same bounds: ``zipfile``
needs to seek.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import stat
import struct
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from ..core.errors import CpeError
from ..core.records import Certificate
from ..store import certificates

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header; an empty archive's end record
MANIFEST_NAME = "manifest.csv"  # as ops.exporter.MANIFEST_NAME writes it
MAX_MANIFEST_BYTES = 1024 * 1024 * 1024  # a million records' manifest is about 300 MB
MAX_ENTRIES = 100_001  # 100,000 certificates and the manifest, as ``cpe restore`` allows in a backup
MAX_DIRECTORY_BYTES = 32 * 1024 * 1024  # 100,000 entries with names as cpe writes them take about 15 MB
_CHUNK = 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_END = b"PK\x05\x06"
_END_SIZE = 22
_END64_LOCATOR = b"PK\x06\x07"
_END64 = b"PK\x06\x06"
_DIRECTORY_ENTRY = b"PK\x01\x02"


def looks_like_zip(stream: BinaryIO) -> bool:
    """Whether the stream starts with a ZIP signature, leaving its position where it was (peek or seek)."""
    peek = getattr(stream, "peek", None)
    if peek is not None:
        try:
            return peek(4)[:4] in ZIP_MAGIC
        except (OSError, ValueError):
            return False
    try:
        if not stream.seekable():
            return False
        where = stream.tell()
        head = stream.read(4)
        stream.seek(where)
    except (OSError, ValueError, AttributeError):
        return False
    return head in ZIP_MAGIC


def _limit_for_input() -> int:
    return MAX_MANIFEST_BYTES + certificates.import_cap() + MAX_DIRECTORY_BYTES


@contextmanager
def spooled(stream: BinaryIO) -> Iterator[BinaryIO]:
    """Standard input copied into an unnamed temporary file (gone when closed), refused past the limits."""
    limit = _limit_for_input()
    with tempfile.TemporaryFile() as handle:
        copied = 0
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                break
            copied += len(chunk)
            if copied > limit:
                raise CpeError.invalid(f"the ZIP on standard input is larger than {limit:,} bytes (the manifest's "
                                       "1 GiB and CPE_IMPORT_MAX_BYTES of certificates); nothing imported")
            handle.write(chunk)
        handle.seek(0)
        yield handle


def _size(handle: BinaryIO) -> int:
    handle.seek(0, os.SEEK_END)
    return handle.tell()


def _directory_bounds(handle: BinaryIO, shown: str) -> tuple[int, int] | None:
    """(offset, size) of the central directory, found as ``zipfile`` finds it; None when there is no end record
    (``zipfile`` then says the file is not a ZIP).

    Read before ``zipfile`` loads the directory, so that a crafted one cannot cost more than the limits.
    """
    size = _size(handle)
    if size < _END_SIZE:
        return None
    handle.seek(size - _END_SIZE)
    tail = handle.read(_END_SIZE)
    if tail[:4] == _END and tail[-2:] == b"\0\0":
        at = size - _END_SIZE
    else:  # an archive comment: the last end signature in the last 64 KiB, as zipfile searches
        start = max(size - (1 << 16) - _END_SIZE, 0)
        handle.seek(start)
        data = handle.read()
        found = data.rfind(_END)
        if found < 0 or len(data) - found < _END_SIZE:
            return None
        at = start + found
        handle.seek(at)
        tail = handle.read(_END_SIZE)
    _, _, _, _, _, directory_size, directory_offset, _ = struct.unpack("<4s4H2LH", tail)
    start_of_directory = at - directory_size
    if at >= 20:
        handle.seek(at - 20)
        locator = handle.read(20)
        if locator[:4] == _END64_LOCATOR:  # ZIP64: the sizes are in the ZIP64 end record
            _, _, record_at, _ = struct.unpack("<4sLQL", locator)
            if record_at > size - 56:
                raise CpeError.invalid(f"{shown} is a damaged ZIP (its ZIP64 end record is out of the file); "
                                       "nothing imported")
            handle.seek(record_at)
            record = handle.read(56)
            if record[:4] != _END64:
                raise CpeError.invalid(f"{shown} is a damaged ZIP (no ZIP64 end record); nothing imported")
            directory_size = struct.unpack("<4sQ2H2L4Q", record)[8]
            start_of_directory = at - 20 - 56 - directory_size
    if directory_size > MAX_DIRECTORY_BYTES:
        raise CpeError.invalid(f"{shown} has a ZIP directory of {directory_size:,} bytes; cpe reads at most "
                               f"{MAX_DIRECTORY_BYTES:,} ({MAX_ENTRIES - 1:,} certificates); nothing imported")
    if start_of_directory < 0:
        return None
    return start_of_directory, directory_size


def _count_entries(handle: BinaryIO, offset: int, size: int, shown: str) -> None:
    """Walk the central directory's headers (as ``zipfile`` will) and refuse more than ``MAX_ENTRIES``."""
    handle.seek(offset)
    directory = handle.read(size)
    position = count = 0
    while position + 46 <= len(directory) and directory[position:position + 4] == _DIRECTORY_ENTRY:
        name, extra, comment = struct.unpack_from("<3H", directory, position + 28)
        position += 46 + name + extra + comment
        count += 1
        if count > MAX_ENTRIES:
            raise CpeError.invalid(f"{shown} holds more than {MAX_ENTRIES:,} entries; cpe imports at most "
                                   f"{MAX_ENTRIES - 1:,} certificates from one archive; nothing imported")


class ArchiveCertificates:
    """The certificates of an open audit ZIP: each entry read (once), bounded, and checked against the manifest.

    ``find`` runs while the rows are read: it reads the entry, hashes it and
    keeps a private copy, so a wrong SHA-256 is a problem of that row like any
    other. ``stage`` runs under the write lock and stores the copy.
    """

    def __init__(self, archive, shown: str, folder: Path):
        self.archive = archive
        self.shown = shown
        self.folder = folder
        self.entries = {info.filename: info for info in archive.infolist()}
        self.read = 0  # certificate bytes read so far
        self.cap = certificates.import_cap()
        self.verified: dict[str, str] = {}  # entry name -> the SHA-256 of its checked copy (the copy's name)
        self._stamps = itertools.count(time.time_ns())

    def find(self, entry: str, expected: str) -> str | None:
        """The SHA-256 of the entry's checked copy; None when the archive has no such entry.

        Raises ``CpeError`` (the row's problem) for an unusable entry or one that does not match ``expected``,
        and ``ArchiveRefused`` when the certificates read together pass the cap (the whole import stops).
        """
        info = self.entries.get(entry)
        if info is None:
            return None
        if not _SHA256.match(expected):
            raise CpeError.invalid(f"sha256 {expected[:80]!r} is not a SHA-256 (64 hexadecimal digits), so entry "
                                   f"{entry!r} cannot be checked")
        done = self.verified.get(entry)
        if done is not None:  # two rows naming one entry
            if done != expected:
                raise CpeError.invalid(f"entry {entry!r} does not match the manifest's SHA-256 ({expected[:12]}...)")
            return done
        if info.is_dir():
            raise CpeError.invalid(f"entry {entry!r} is a folder, not a certificate file")
        if info.flag_bits & 0x1:
            raise CpeError.invalid(f"entry {entry!r} is encrypted; cpe reads only the archives 'cpe export zip' "
                                   "writes")
        if info.file_size > certificates.MAX_CERTIFICATE_BYTES:
            raise CpeError.invalid(f"entry {entry!r} is {info.file_size:,} bytes; a certificate is at most 10 MiB "
                                   f"({certificates.MAX_CERTIFICATE_BYTES:,} bytes)")
        if self.read + info.file_size > self.cap:
            raise ArchiveRefused(f"the certificates of {self.shown} add up to more than {self.cap:,} bytes (the "
                                 "cap; set CPE_IMPORT_MAX_BYTES to change it); nothing imported")
        sha256 = self._copy(info, entry)
        if sha256 != expected:
            raise CpeError.invalid(f"entry {entry!r} does not match the manifest's SHA-256 ({expected[:12]}...): "
                                   "the certificate or the manifest was changed after the export")
        return sha256

    def _copy(self, info, entry: str) -> str:
        """Read the entry into a new private file, hashing it and counting every byte against the limits."""
        import hashlib
        import zipfile
        import zlib

        digest = hashlib.sha256()
        part = self.folder / f"{len(self.verified)}.part"
        fd = certificates.create_new_file(part)
        declared = info.file_size
        copied = 0
        try:
            with os.fdopen(fd, "wb") as out, self.archive.open(info) as member:
                while True:
                    chunk = member.read(min(_CHUNK, declared - copied + 1))
                    if not chunk:
                        break
                    copied += len(chunk)
                    self.read += len(chunk)
                    if copied > declared or copied > certificates.MAX_CERTIFICATE_BYTES:
                        raise CpeError.invalid(f"entry {entry!r} holds more than the {declared:,} bytes it declares "
                                               "(a damaged or crafted archive)")
                    digest.update(chunk)
                    out.write(chunk)
                if copied != declared:
                    raise CpeError.invalid(f"entry {entry!r} holds {copied:,} bytes where it declares {declared:,}")
                out.flush()
                # The store caches a file's SHA-256 by (device, inode, size, mtime): a time no other copy of this
                # process had keeps a reused inode from ever being taken for an earlier, different copy.
                stamp = next(self._stamps)
                os.utime(out.fileno(), ns=(stamp, stamp))
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as problem:
            certificates.discard(part)
            raise CpeError.invalid(f"entry {entry!r} cannot be read ({problem}): a damaged archive") from None
        except OSError as problem:
            certificates.discard(part)
            raise CpeError.failed(f"could not copy entry {entry!r} of {self.shown} into a temporary folder: "
                                  f"{problem.strerror or problem}") from None
        except BaseException:
            certificates.discard(part)
            raise
        sha256 = digest.hexdigest()
        final = self.folder / sha256
        if os.path.lexists(final):  # the same content under another entry (records that shared one file)
            certificates.discard(part)
        else:
            os.rename(part, final)
        self.verified[entry] = sha256
        return sha256

    def stage(self, home: Path, sha256: str, original_name: str) -> Certificate:
        """Under the write lock: store the checked copy named ``sha256`` (as ``cpe add --certificate`` stores a
        file), under the name the manifest gives it."""
        if not _SHA256.match(sha256):
            raise CpeError.failed(f"internal: {sha256!r} is not a checked copy of {self.shown}")
        fd = os.open(self.folder / sha256, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise CpeError.failed(f"the temporary copy of a certificate of {self.shown} is not a file")
            certificate = certificates.stage_certificate(home, fd, original_name=original_name)
        finally:
            os.close(fd)
        if certificate.sha256 != sha256:
            raise CpeError.failed(f"a certificate of {self.shown} changed in its temporary folder; nothing imported")
        return certificate


class ArchiveRefused(CpeError):
    """The archive as a whole is refused (a limit passed): not one row's problem."""

    def __init__(self, message: str):
        super().__init__(message, 2)


class _BoundedManifest:
    """``manifest.csv`` as a binary stream for the CSV reader: at most its declared size and
    ``MAX_MANIFEST_BYTES``, and a damaged entry (bad CRC, truncated) as a ``CpeError``."""

    def __init__(self, member, declared: int, shown: str):
        self.member = member
        self.left = declared
        self.shown = shown

    def readline(self, limit: int = -1) -> bytes:
        import zipfile
        import zlib

        try:
            line = self.member.readline(limit)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as problem:
            raise CpeError.invalid(f"{self.shown} cannot be read ({problem}): a damaged archive; nothing "
                                   "imported") from None
        self.left -= len(line)
        if self.left < 0:
            raise CpeError.invalid(f"{self.shown} holds more than its declared size (a damaged or crafted "
                                   "archive); nothing imported")
        return line

    def fileno(self) -> int:
        raise OSError("not a file")  # no progress size from the descriptor: the declared size is given instead


def file_name(cell: str, entry: str) -> str | None:
    """The original file name a record keeps: the manifest's ``certificate`` cell (as ``cpe export`` writes it:
    the name only), or the entry's name when the cell is empty. None when it is no plain file name."""
    name = cell or entry.rsplit("/", 1)[-1]
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name or \
            len(name.encode("utf-8", "surrogatepass")) > 255:
        return None
    return name


@contextmanager
def open_archive(handle: BinaryIO, shown: str) -> Iterator[tuple[_BoundedManifest, int, ArchiveCertificates]]:
    """Open an audit ZIP: (its manifest as a bounded stream, the manifest's size, its certificates).

    The temporary folder of checked copies is removed when the block ends, whatever happened.
    """
    import zipfile

    try:
        bounds = _directory_bounds(handle, shown)
        if bounds is not None:
            _count_entries(handle, *bounds, shown)
        handle.seek(0)
        archive = zipfile.ZipFile(handle)
    except zipfile.BadZipFile as problem:
        raise CpeError.invalid(f"{shown} is not a ZIP archive cpe can read ({problem}); nothing imported") from None
    except (OSError, EOFError, struct.error, ValueError) as problem:
        raise CpeError.invalid(f"{shown} is not a ZIP archive cpe can read ({problem}); nothing imported") from None
    with archive:
        names = [info.filename for info in archive.infolist()]
        if len(names) != len(set(names)):
            twice = next(name for name in names if names.count(name) > 1)
            raise CpeError.invalid(f"{shown} holds two entries named {twice[:80]!r}; 'cpe export zip' never writes "
                                   "that (a crafted archive?); nothing imported")
        info = archive.NameToInfo.get(MANIFEST_NAME)
        if info is None or info.is_dir():
            raise CpeError.invalid(f"{shown} has no {MANIFEST_NAME}: cpe imports the archives 'cpe export zip' "
                                   "writes (a manifest.csv listing the records, and their certificates); nothing "
                                   "imported")
        if info.flag_bits & 0x1:
            raise CpeError.invalid(f"{MANIFEST_NAME} in {shown} is encrypted; nothing imported")
        if info.file_size > MAX_MANIFEST_BYTES:
            raise CpeError.invalid(f"{MANIFEST_NAME} in {shown} is {info.file_size:,} bytes; cpe reads at most "
                                   f"{MAX_MANIFEST_BYTES:,}; nothing imported")
        folder = Path(tempfile.mkdtemp(prefix="cpe-import-"))  # mode 0700
        try:
            try:
                member = archive.open(info)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as problem:
                raise CpeError.invalid(f"{MANIFEST_NAME} in {shown} cannot be read ({problem}); nothing "
                                       "imported") from None
            with member:
                manifest = _BoundedManifest(member, info.file_size, f"{MANIFEST_NAME} in {shown}")
                yield manifest, info.file_size, ArchiveCertificates(archive, shown, folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
