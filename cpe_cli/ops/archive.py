"""The backup archive format: what a ``cpe backup`` file holds, writing its members, and reading one back whole.

The archive is a gzip-compressed tar (PAX) holding, in this order:

- ``cpe.db``: a consistent snapshot of the database (``store/snapshot.py``),
  in rollback-journal mode so that it is one self-contained file;
- ``certificates/<stored name>``: every certificate file the snapshot names,
  records and trash alike;
- ``manifest.json``: the format and its version, counts, and the SHA-256
  and size of every other member.

Members are streamed (never held whole in memory) and hashed as they go.

Reading trusts nothing in the archive until it has been checked whole:
``unpack`` refuses any member that is not a plain file with a name a backup
holds (absolute paths, ``..``, links and devices are refused by name and
type), writes each into a new private file in the staging folder, and
compares every member with the manifest. What the database inside is worth
is ``ops/restore.py``'s question.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .. import __version__
from ..core.errors import CpeError
from ..store import certificates, schema
from ..store.ledger import DATABASE_NAME, utc_timestamp

FORMAT = "cpe-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CERTIFICATES = "certificates"
_MEMBER = re.compile(r"^(cpe\.db|manifest\.json|certificates/[A-Za-z0-9][A-Za-z0-9._-]{0,199})$")
_MAX_MANIFEST_BYTES = 64 * 1024 * 1024
_CHUNK = 1024 * 1024


# -- writing -----------------------------------------------------------------------------------------

class _HashingReader:
    def __init__(self, raw):
        self.raw = raw
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.digest.update(data)
        return data


def add_file(tar, name: str, path: Path) -> dict:
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


def add_manifest(tar, *, records: int, trash: int, files: dict) -> None:
    """Write ``manifest.json``, the last member: the format, the counts, and ``files`` (``add_file``'s entries)."""
    manifest = {"format": FORMAT, "version": FORMAT_VERSION, "created_at": utc_timestamp(),
                "cpe_version": __version__, "schema_version": schema.SCHEMA_VERSION,
                "records": records, "trash": trash, "files": files}
    _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode())


def _add_bytes(tar, name: str, data: bytes) -> None:
    import io
    import time

    member = tar.tarinfo(name)
    member.size, member.mode, member.mtime = len(data), 0o600, int(time.time())
    tar.addfile(member, io.BytesIO(data))


# -- reading -----------------------------------------------------------------------------------------

# What a restore writes is bounded before anything is written (see ``restore_limit``).
MAX_CERTIFICATE_MEMBERS = 100_000
RESTORE_RATIO = 16  # bytes written per byte of archive, at most (unless CPE_RESTORE_MAX_BYTES says otherwise)
RESTORE_FLOOR = 256 * 1024 * 1024  # ...but a small archive may always unpack this much


def restore_limit(archive_size: int) -> int:
    """The most bytes a restore of an archive of this size writes: ``CPE_RESTORE_MAX_BYTES`` when set, else
    16 times the archive's size or 256 MiB, whichever is more (a ledger's database compresses about 3 to 8
    times; certificates, PDFs and images, hardly at all)."""
    from ..core.environment import byte_limit

    return byte_limit("CPE_RESTORE_MAX_BYTES", max(RESTORE_RATIO * archive_size, RESTORE_FLOOR))


def refuse(archive: Path, reason: str) -> CpeError:
    """The error of an archive that cannot be restored, and why."""
    return CpeError.invalid(f"{archive} is not a usable cpe backup: {reason}; nothing was restored")


GZIP_MAGIC = b"\x1f\x8b"  # every backup cpe writes is gzip-compressed (``backup.write_backup``: mode w:gz)


def _open_archive(archive: Path) -> tuple[int, os.stat_result]:
    """The archive opened read-only, refused unless it is an existing regular file."""
    try:
        fd = os.open(archive, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise CpeError.invalid(f"backup file {archive} does not exist") from None
    except OSError as problem:
        raise CpeError.invalid(f"backup file {archive} cannot be opened: {problem.strerror}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise CpeError.invalid(f"backup {archive} is not a regular file")
    return fd, info


def check_archive(archive: Path) -> None:
    """Refuse, first of all, what cannot be a backup: a missing file, a folder, a file that is not gzip.

    Restore runs this before it looks at the home, so a mistyped path or a CSV given by mistake is
    named as such instead of asking for ``--force`` (which would not help); ``unpack`` checks the
    rest, member by member.
    """
    fd, _ = _open_archive(archive)
    with os.fdopen(fd, "rb") as raw:
        try:
            head = raw.read(len(GZIP_MAGIC))
        except OSError as problem:
            raise refuse(archive, f"it cannot be read ({problem.strerror or problem})") from None
    if head != GZIP_MAGIC:
        raise CpeError.invalid(f"{archive} is not a cpe backup (.tar.gz, as `cpe backup FILE` writes); "
                               "nothing was restored")


def unpack(archive: Path, staging: Path) -> dict:
    """Check every member (names, types, sizes, the manifest, the limits) in a first pass that writes nothing,
    then extract them into ``staging``, each stopped at the size the manifest declares and compared with its
    SHA-256; return the manifest."""
    fd, info = _open_archive(archive)
    with os.fdopen(fd, "rb") as raw, _reading(archive):
        manifest, sizes = _survey(raw, archive, restore_limit(info.st_size))
        _check_space(staging, sum(sizes.values()))
        try:
            os.mkdir(staging / CERTIFICATES, 0o700)
        except OSError as problem:
            raise CpeError.failed(f"cannot unpack the backup next to the home: {problem.strerror}") from None
        raw.seek(0)
        _extract_all(raw, archive, staging, manifest["files"], sizes)
    return manifest


def _members(raw, archive: Path):
    """The archive's members, one at a time (read them inside ``_reading``)."""
    import tarfile

    with _reading(archive):
        with tarfile.open(fileobj=raw, mode="r:*") as tar:
            for member in tar:
                yield tar, member


@contextmanager
def _reading(archive: Path) -> Iterator[None]:
    """Reading errors of a damaged or truncated archive become a refusal."""
    import gzip
    import tarfile
    import zlib

    try:
        yield
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as problem:
        raise refuse(archive, f"it is damaged or truncated ({problem or type(problem).__name__})") from None
    except CpeError:
        raise
    except OSError as problem:
        raise refuse(archive, f"it cannot be read ({problem.strerror or problem})") from None


def _survey(raw, archive: Path, limit: int) -> tuple[dict, dict[str, int]]:
    """The first pass: every member's name, type and size checked, the manifest read; nothing written.

    Stops as soon as the members declare more than ``limit`` bytes or more certificates than a ledger
    holds, so that a crafted archive costs neither disk nor much time.
    """
    sizes: dict[str, int] = {}
    manifest_bytes = None
    total = 0
    for tar, member in _members(raw, archive):
        name = _checked_member(member, archive)
        if name in sizes or (name == MANIFEST and manifest_bytes is not None):
            raise refuse(archive, f"member {name!r} appears twice")
        if name == MANIFEST:
            if member.size > _MAX_MANIFEST_BYTES:
                raise refuse(archive, f"its manifest is {member.size:,} bytes, too large to be one")
            manifest_bytes = tar.extractfile(member).read(_MAX_MANIFEST_BYTES + 1)
            continue
        if name != DATABASE_NAME:
            if member.size > certificates.MAX_CERTIFICATE_BYTES:
                raise refuse(archive, f"member {name!r} is larger than any certificate cpe stores")
            if len(sizes) - (DATABASE_NAME in sizes) >= MAX_CERTIFICATE_MEMBERS:
                raise refuse(archive, f"it holds more than {MAX_CERTIFICATE_MEMBERS:,} certificate files")
        total += member.size
        if total > limit:
            raise refuse(archive, f"its members add up to more than {limit:,} bytes, more than a backup of "
                                  f"{os.fstat(raw.fileno()).st_size:,} bytes unpacks to (the limit is "
                                  f"{RESTORE_RATIO} times the archive or {RESTORE_FLOOR // (1024 * 1024)} MiB; "
                                  "CPE_RESTORE_MAX_BYTES changes it)")
        sizes[name] = member.size
    if manifest_bytes is None:
        raise refuse(archive, f"it has no {MANIFEST}")
    manifest = _parse_manifest(manifest_bytes, archive)
    listed = manifest["files"]
    if DATABASE_NAME not in listed:
        raise refuse(archive, f"its manifest lists no {DATABASE_NAME}")
    for name, entry in sorted(listed.items()):
        if name not in sizes:
            raise refuse(archive, f"its manifest lists {name!r} but the archive does not hold it")
        if entry.get("size") != sizes[name] or not isinstance(entry.get("sha256"), str):
            raise refuse(archive, f"member {name!r} does not match the SHA-256 and size in its manifest")
    extra = sorted(set(sizes) - set(listed))
    if extra:
        raise refuse(archive, f"member {extra[0]!r} is not listed in its manifest")
    return manifest, sizes


def _check_space(staging: Path, needed: int) -> None:
    try:
        found = os.statvfs(staging)
    except OSError:
        return
    free = found.f_bavail * found.f_frsize
    if needed > free:
        raise CpeError.failed(f"the backup unpacks to {needed:,} bytes and {staging.parent} has {free:,} free; "
                              "nothing was restored")


def _extract_all(raw, archive: Path, staging: Path, listed: dict, sizes: dict[str, int]) -> None:
    """The second pass: each member written, stopped at its declared size, and compared with the manifest."""
    seen = set()
    for tar, member in _members(raw, archive):
        name = _checked_member(member, archive)
        if name == MANIFEST:
            continue
        if name not in sizes or name in seen or member.size != sizes[name]:
            raise refuse(archive, "it changed while it was being read")
        seen.add(name)
        written = _extract(tar.extractfile(member), staging / name, sizes[name])
        if written != {"sha256": listed[name]["sha256"], "size": sizes[name]}:
            raise refuse(archive, f"member {name!r} does not match the SHA-256 and size in its manifest")
    if seen != set(sizes):
        raise refuse(archive, "it changed while it was being read")


def _checked_member(member, archive: Path) -> str:
    name = member.name
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        raise refuse(archive, f"member {name!r} is an absolute path")
    if ".." in re.split(r"[/\\]", name):
        raise refuse(archive, f"member {name!r} points outside the folder it is restored into (..)")
    if member.issym() or member.islnk():
        raise refuse(archive, f"member {name!r} is a link")
    if member.issparse():
        raise refuse(archive, f"member {name!r} is a sparse file (a cpe backup holds none)")
    if not member.isreg():
        raise refuse(archive, f"member {name!r} is not a regular file")
    if not _MEMBER.match(name):
        raise refuse(archive, f"member {name!r} is not part of a cpe backup")
    return name


def _extract(source, path: Path, declared: int) -> dict:
    """Copy one member to a new file, hashing it, never writing more than ``declared`` bytes; read errors
    reach the caller, write errors are reported here."""
    digest = hashlib.sha256()
    size = 0
    try:
        out = certificates.create_new_file(path)
    except OSError as problem:
        raise _unpack_failed(problem) from None
    try:
        while size < declared:
            chunk = source.read(min(_CHUNK, declared - size))
            if not chunk:
                break
            digest.update(chunk)
            size += len(chunk)
            try:
                view = memoryview(chunk)
                while view:
                    view = view[os.write(out, view):]
            except OSError as problem:
                raise _unpack_failed(problem) from None
        try:
            os.fsync(out)
        except OSError as problem:
            raise _unpack_failed(problem) from None
    finally:
        os.close(out)
    return {"sha256": digest.hexdigest(), "size": size}


def _unpack_failed(problem: OSError) -> CpeError:
    return CpeError.failed(f"could not unpack the backup next to the home: {problem.strerror or problem}; "
                           "nothing was restored")


def _parse_manifest(data: bytes, archive: Path) -> dict:
    try:
        manifest = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise refuse(archive, f"its {MANIFEST} is not valid JSON (or nests too deeply)") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise refuse(archive, f"its {MANIFEST} is not a cpe backup manifest")
    if manifest.get("version") != FORMAT_VERSION:
        raise refuse(archive, f"it is in backup format version {manifest.get('version')!r}; this cpe reads "
                              f"version {FORMAT_VERSION}")
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(isinstance(entry, dict) for entry in files.values()):
        raise refuse(archive, f"its {MANIFEST} has no list of files")
    return manifest
