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

def refuse(archive: Path, reason: str) -> CpeError:
    """The error of an archive that cannot be restored, and why."""
    return CpeError.invalid(f"{archive} is not a usable cpe backup: {reason}; nothing was restored")


def unpack(archive: Path, staging: Path) -> dict:
    """Extract every member into ``staging``, checking names, types and the manifest; return the manifest."""
    import gzip
    import tarfile
    import zlib

    try:
        fd = os.open(archive, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise CpeError.invalid(f"backup file {archive} does not exist") from None
    except OSError as problem:
        raise CpeError.invalid(f"backup file {archive} cannot be opened: {problem.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise CpeError.invalid(f"backup {archive} is not a regular file")
    try:
        os.mkdir(staging / CERTIFICATES, 0o700)
    except OSError as problem:
        raise CpeError.failed(f"cannot unpack the backup next to the home: {problem.strerror}") from None
    unpacked: dict[str, dict] = {}
    manifest_bytes = None
    with os.fdopen(fd, "rb") as raw:
        try:
            with tarfile.open(fileobj=raw, mode="r:*") as tar:
                for member in tar:
                    name = _checked_member(member, archive)
                    if name in unpacked or (name == MANIFEST and manifest_bytes is not None):
                        raise refuse(archive, f"member {name!r} appears twice")
                    source = tar.extractfile(member)
                    if name == MANIFEST:
                        if member.size > _MAX_MANIFEST_BYTES:
                            raise refuse(archive, f"its manifest is {member.size:,} bytes, too large to be one")
                        manifest_bytes = source.read()
                        continue
                    if name != DATABASE_NAME and member.size > certificates.MAX_CERTIFICATE_BYTES:
                        raise refuse(archive, f"member {name!r} is larger than any certificate cpe stores")
                    unpacked[name] = _extract(source, staging / name)
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as problem:
            raise refuse(archive, f"it is damaged or truncated ({problem or type(problem).__name__})") from None
        except OSError as problem:
            raise refuse(archive, f"it cannot be read ({problem.strerror or problem})") from None
    if manifest_bytes is None:
        raise refuse(archive, f"it has no {MANIFEST}")
    manifest = _parse_manifest(manifest_bytes, archive)
    _compare(manifest["files"], unpacked, archive)
    return manifest


def _checked_member(member, archive: Path) -> str:
    name = member.name
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        raise refuse(archive, f"member {name!r} is an absolute path")
    if ".." in re.split(r"[/\\]", name):
        raise refuse(archive, f"member {name!r} points outside the folder it is restored into (..)")
    if member.issym() or member.islnk():
        raise refuse(archive, f"member {name!r} is a link")
    if not member.isreg():
        raise refuse(archive, f"member {name!r} is not a regular file")
    if not _MEMBER.match(name):
        raise refuse(archive, f"member {name!r} is not part of a cpe backup")
    return name


def _extract(source, path: Path) -> dict:
    """Copy one member to a new file, hashing it; read errors reach the caller, write errors are reported here."""
    digest = hashlib.sha256()
    size = 0
    try:
        out = certificates.create_new_file(path)
    except OSError as problem:
        raise _unpack_failed(problem) from None
    try:
        for chunk in iter(lambda: source.read(_CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
            try:
                view = memoryview(chunk)
                while view:
                    view = view[os.write(out, view):]
            except OSError as problem:
                raise _unpack_failed(problem) from None
        os.fsync(out)
    finally:
        os.close(out)
    return {"sha256": digest.hexdigest(), "size": size}


def _unpack_failed(problem: OSError) -> CpeError:
    return CpeError.failed(f"could not unpack the backup next to the home: {problem.strerror or problem}; "
                           "nothing was restored")


def _parse_manifest(data: bytes, archive: Path) -> dict:
    try:
        manifest = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise refuse(archive, f"its {MANIFEST} is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise refuse(archive, f"its {MANIFEST} is not a cpe backup manifest")
    if manifest.get("version") != FORMAT_VERSION:
        raise refuse(archive, f"it is in backup format version {manifest.get('version')!r}; this cpe reads "
                              f"version {FORMAT_VERSION}")
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(isinstance(entry, dict) for entry in files.values()):
        raise refuse(archive, f"its {MANIFEST} has no list of files")
    return manifest


def _compare(listed: dict, unpacked: dict, archive: Path) -> None:
    if DATABASE_NAME not in listed:
        raise refuse(archive, f"its manifest lists no {DATABASE_NAME}")
    for name, entry in sorted(listed.items()):
        if name not in unpacked:
            raise refuse(archive, f"its manifest lists {name!r} but the archive does not hold it")
        if entry.get("sha256") != unpacked[name]["sha256"] or entry.get("size") != unpacked[name]["size"]:
            raise refuse(archive, f"member {name!r} does not match the SHA-256 and size in its manifest")
    extra = sorted(set(unpacked) - set(listed))
    if extra:
        raise refuse(archive, f"member {extra[0]!r} is not listed in its manifest")
