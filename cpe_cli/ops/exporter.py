"""Exports: the CSV of a view, and the ZIP audit package of its certificates.

Both stream: rows come from a cursor and certificate files are copied in
chunks, so memory stays flat whatever the ledger's size. A file is written
under a temporary name in its destination folder (created with O_EXCL) and
renamed into place only when complete, so an interrupted export never leaves
a half-written file under the name asked for; an existing file is replaced
only with ``force``. csv and zipfile are imported inside the functions.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import time
import unicodedata
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO

from ..store import certificates
from ..core.errors import CpeError
from ..core.views import Filters
from ..store.ledger import Ledger
from ..store.exchange import snapshot, write_export_lines
from ..core.periods import describe
from ..core.records import StoredRecord
from ..core.serialize import COLUMNS, write_csv

MANIFEST_NAME = "manifest.csv"
MANIFEST_EXTRA_COLUMNS = ("zip_entry", "sha256")
_CHUNK = 1024 * 1024
_SLUG_MAX = 60
_SAFE_EXTENSION = re.compile(r"^\.[a-z0-9]{1,10}$")


# -- writing a file safely ---------------------------------------------------

def _inside(path: Path, folder: Path) -> bool:
    real, root = os.path.realpath(path), os.path.realpath(folder)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def check_output(path: Path, *, force: bool, home: Path) -> Path:
    """Refuse an output path before any work: an existing file without ``force``, a folder, the ledger's home."""
    path = path.expanduser()
    shown = str(path)
    if not path.name or path.name in (".", ".."):
        raise CpeError.invalid(f"--output {shown!r} names a folder; give a file name")
    folder = path.parent
    if not folder.is_dir():
        raise CpeError.invalid(f"cannot write {shown}: the folder {str(folder)!r} does not exist")
    if _inside(path, home):
        raise CpeError.invalid(f"cannot write {shown}: it is inside the ledger's home ({home}); "
                               "choose a file elsewhere")
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return path
    except OSError as problem:
        raise CpeError.invalid(f"cannot write {shown}: {problem.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise CpeError.invalid(f"--output {shown!r} is a folder; give a file name")
    if not force:
        raise CpeError.invalid(f"{shown} already exists; use --force to replace it")
    return path


@contextmanager
def atomic_output(path: Path, *, force: bool, binary: bool = False) -> Iterator[IO]:
    """A new file at ``path``, visible only once the block completes (then fsynced and renamed in).

    The temporary name is created with O_EXCL in the same folder, so the rename
    is atomic and nothing is written through a planted symlink. Without
    ``force`` the final step is a hard link, which fails rather than replace a
    file that appeared meanwhile.
    """
    folder = path.parent
    temporary = folder / f".{path.name}.{uuid.uuid4().hex[:12]}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(temporary, flags, 0o666)
    except OSError as problem:
        raise CpeError.failed(f"cannot write in {str(folder)!r}: {problem.strerror}") from None
    try:
        try:
            if binary:
                handle = os.fdopen(fd, "wb")
            else:
                handle = os.fdopen(fd, "w", encoding="utf-8", newline="")
        except BaseException:
            os.close(fd)
            raise
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _publish(temporary, path, force)
    except BaseException as problem:
        certificates.discard(temporary)
        if isinstance(problem, OSError):
            raise CpeError.failed(f"could not write {path}: {problem.strerror or problem}; "
                                  "nothing was written") from None
        raise


def _publish(temporary: Path, path: Path, force: bool) -> None:
    if force:
        os.replace(temporary, path)
    else:
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise CpeError.invalid(f"{path} already exists (it appeared during the export); "
                                   "use --force to replace it") from None
        except OSError:  # a file system without hard links: the check above is the best we can do
            if os.path.lexists(path):
                raise CpeError.invalid(f"{path} already exists; use --force to replace it") from None
            os.replace(temporary, path)
        certificates.discard(temporary)
    try:
        certificates.fsync_dir(path.parent)
    except OSError:
        pass  # some file systems refuse to fsync a folder; the rename itself is done


# -- CSV -----------------------------------------------------------------------

@dataclass(frozen=True)
class ExportSummary:
    count: int
    credits: Decimal
    certificates: int = 0
    missing: tuple[int, ...] = field(default_factory=tuple)


def write_view_csv(ledger: Ledger, filters: Filters, stream: IO[str], *, raw: bool = False) -> ExportSummary:
    """Write the header and the view's rows, oldest first, to a text stream; one snapshot of the ledger."""
    with snapshot(ledger):
        total = ledger.total(filters)
        stream.write(",".join(COLUMNS) + "\r\n")  # plain identifiers: nothing to quote
        write_export_lines(ledger, filters, stream.write, raw=raw)
    return ExportSummary(count=total.count, credits=total.credits)


def write_csv_file(ledger: Ledger, filters: Filters, output: Path, *, force: bool,
                   raw: bool = False) -> tuple[Path, ExportSummary]:
    """The CSV export into a file, atomically; refuses to replace one without ``force``."""
    target = check_output(output, force=force, home=ledger.home)
    with atomic_output(target, force=force) as handle:
        summary = write_view_csv(ledger, filters, handle, raw=raw)
    return target, summary


# -- ZIP -----------------------------------------------------------------------

def slug(text: str) -> str:
    """A short, portable rendering of a title: ASCII letters and digits joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return words[:_SLUG_MAX].rstrip("-") or "certificate"


def entry_name(record: StoredRecord) -> str:
    """The certificate's name in the ZIP: ``2026-06-11_ethics-for-cpas_12.pdf`` (date, title slug, id, extension).

    Built only from a date, ASCII letters, digits, hyphens and the record id, so
    it is relative, unique and valid on every file system whatever the title.
    """
    assert record.certificate is not None
    extension = os.path.splitext(record.certificate.stored_name)[1].lower()
    if not _SAFE_EXTENSION.match(extension):
        extension = ""
    return f"{record.completed_on.isoformat()}_{slug(record.title)}_{record.id}{extension}"


def default_zip_name(ledger: Ledger, filters: Filters) -> str:
    """``cpe-certificates-<from>-<to>.zip``: the window's bounds, or the view's first and last dates."""
    start, end = filters.window.start, filters.window.end
    if start is None:
        first = next(iter(ledger.records(filters, newest_first=False)), None)
        start = first.completed_on if first else None
    if end is None:
        last = next(iter(ledger.records(filters, newest_first=True)), None)
        end = last.completed_on if last else None
    if start is None or end is None:
        return "cpe-certificates.zip"
    return f"cpe-certificates-{start.isoformat()}-{end.isoformat()}.zip"


def write_zip(ledger: Ledger, filters: Filters, output: Path | None, *, force: bool,
              skip_missing: bool) -> tuple[Path, ExportSummary]:
    """Write the audit package: every certificate of the view, then ``manifest.csv`` listing every record.

    ``output`` None means ``default_zip_name`` in the current folder. An empty
    view is refused before any file is touched.
    """
    import zipfile

    with snapshot(ledger):
        total = ledger.total(filters)
        if not total.count:
            raise CpeError.failed(f"no records in {filters.window.label.lower()} ({describe(filters.window)}) "
                                  "for this view, so there is nothing to package; no archive written "
                                  "(widen the view, e.g. --preset all-time)")
        target = check_output(output if output is not None else Path(default_zip_name(ledger, filters)),
                              force=force, home=ledger.home)
        stamp = time.localtime()[:6]
        missing: set[int] = set()
        copied = 0
        with atomic_output(target, force=force, binary=True) as handle:
            with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for record in ledger.records(filters, newest_first=False):
                    if record.certificate is None:
                        continue
                    if _copy_certificate(ledger.home, record, archive, stamp, skip_missing):
                        copied += 1
                    else:
                        missing.add(record.id)
                with archive.open(_entry_info(MANIFEST_NAME, stamp), "w") as entry:
                    _write_manifest(ledger, filters, entry, missing)
    return target, ExportSummary(count=total.count, credits=total.credits, certificates=copied,
                                 missing=tuple(sorted(missing)))


def _entry_info(name: str, stamp: tuple):
    import zipfile

    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    return info


def _describe_record(record: StoredRecord) -> str:
    return f"record {record.id} ({record.title!r}, {record.completed_on.isoformat()})"


def _copy_certificate(home: Path, record: StoredRecord, archive, stamp: tuple, skip_missing: bool) -> bool:
    """Stream one stored file into the archive, checking its SHA-256; False if missing and skipped."""
    assert record.certificate is not None
    path = certificates.stored_path(home, record.certificate.stored_name)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        if skip_missing:
            return False
        raise CpeError.failed(f"the certificate of {_describe_record(record)} is missing from the store "
                              f"({path}); nothing was written (use --skip-missing to package the rest)") from None
    except OSError as problem:
        raise CpeError.failed(f"cannot read the certificate of {_describe_record(record)} ({path}): "
                              f"{problem.strerror}") from None
    digest = hashlib.sha256()
    with os.fdopen(fd, "rb") as source, archive.open(_entry_info(entry_name(record), stamp), "w") as entry:
        for chunk in iter(lambda: source.read(_CHUNK), b""):
            digest.update(chunk)
            entry.write(chunk)
    if digest.hexdigest() != record.certificate.sha256:
        raise CpeError.failed(f"the stored certificate of {_describe_record(record)} does not match the SHA-256 "
                              f"recorded when it was added ({path} was changed or damaged); no archive written")
    return True


def _write_manifest(ledger: Ledger, filters: Filters, entry: IO[bytes], missing: set[int]) -> None:
    import io

    def extra(record: StoredRecord) -> tuple[str, str]:
        if record.certificate is None:
            return "", ""
        name = "" if record.id in missing else entry_name(record)
        return name, record.certificate.sha256

    text = io.TextIOWrapper(entry, encoding="utf-8", newline="")
    try:
        write_csv(ledger.records(filters, newest_first=False), text, extra_columns=MANIFEST_EXTRA_COLUMNS,
                  extra=extra)
    finally:
        text.flush()
        text.detach()
