"""Exports: the CSV of a view, and the ZIP audit package of its certificates.

Both stream: rows come from a cursor and certificate files are copied in
chunks, so memory stays flat whatever the ledger's size. A file is written
under a temporary name in its destination folder (created with O_EXCL) and
renamed into place only when complete, so an interrupted export never leaves
a half-written file under the name asked for; an existing file is replaced
only with ``force``. csv and zipfile are imported inside the functions.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import time
import unicodedata
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO

from ..store import certificates, leftovers
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


# ``-o`` names that mean this process's standard output (``-o /dev/stdout`` needs no --force: nothing is
# replaced). The command writes them to standard output itself, as it does without -o.
STANDARD_OUTPUT = frozenset(("-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"))


def is_standard_output(path: Path | None) -> bool:
    return path is not None and str(path) in STANDARD_OUTPUT


def _is_stream(path: Path, info: os.stat_result) -> bool:
    """A character device or a FIFO (directly, or where a symlink leads): written into, never replaced."""
    if stat.S_ISLNK(info.st_mode):
        try:
            info = os.stat(path)
        except OSError:
            return False
    return stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode)


def check_output(path: Path, *, force: bool, home: Path) -> Path:
    """Refuse an output path before any work: an existing file without ``force``, a folder, the ledger's home.

    ``--force`` replaces only a regular file: a symlink, a block device or a
    socket is refused, and a character device or a FIFO (``/dev/null``, a
    named pipe, a terminal) is written into as it is, with or without
    ``--force`` (renaming a file over ``/dev/null`` would replace the
    system's own). A path inside the ledger's home is refused.
    """
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
    if _is_stream(path, info):
        return path
    if stat.S_ISBLK(info.st_mode) or stat.S_ISSOCK(info.st_mode):
        kind = "a block device" if stat.S_ISBLK(info.st_mode) else "a socket"
        raise CpeError.invalid(f"cannot write {shown}: it is {kind}; give a file name (or a FIFO, /dev/null)")
    if not force:
        raise CpeError.invalid(f"{shown} already exists; use --force to replace it")
    if not stat.S_ISREG(info.st_mode):
        what = "a symlink" if stat.S_ISLNK(info.st_mode) else "not a regular file"
        raise CpeError.invalid(f"cannot replace {shown}: it is {what}, and --force replaces only a regular file "
                               f"(give another name{', or the file the link leads to' if what == 'a symlink' else ''})")
    return path


@contextmanager
def output_stream(path: Path, *, force: bool, binary: bool = False) -> Iterator[IO]:
    """Where an export named by ``check_output`` is written: into a device or FIFO as it is, else ``atomic_output``."""
    try:
        info = os.lstat(path)
    except OSError:
        info = None
    if info is None or not _is_stream(path, info):
        with atomic_output(path, force=force, binary=binary) as handle:
            yield handle
        return
    try:
        # O_NONBLOCK: a FIFO nobody reads fails at once (ENXIO) instead of hanging; blocking again after.
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as problem:
        if problem.errno == errno.ENXIO:
            raise CpeError.failed(f"cannot write {path}: no program is reading from that FIFO (start the reader "
                                  "first)") from None
        raise CpeError.failed(f"cannot write {path}: {problem.strerror}") from None
    try:
        os.set_blocking(fd, True)
        handle = os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": ""}))
    except BaseException:
        os.close(fd)
        raise
    try:
        with handle:
            yield handle
    except OSError as problem:
        raise CpeError.failed(f"could not write {path}: {problem.strerror or problem}") from None


@contextmanager
def atomic_output(path: Path, *, force: bool, binary: bool = False) -> Iterator[IO]:
    """A new file at ``path``, visible only once the block completes (then fsynced and renamed in).

    The temporary name is created with O_EXCL in the same folder, so the rename
    is atomic and nothing is written through a planted symlink. Without
    ``force`` the final step is a hard link, which fails rather than replace a
    file that appeared meanwhile.
    """
    folder = path.parent
    # What killed exports to this name left (``store/leftovers.py``: only files no live export holds locked).
    leftovers.remove_abandoned_files(folder, leftovers.pattern(f".{path.name}.", ".tmp"))
    temporary = folder / f".{path.name}.{uuid.uuid4().hex[:12]}.tmp"
    try:
        fd = leftovers.create_locked_file(temporary, 0o666)
    except OSError as problem:
        raise CpeError.failed(f"cannot write in {str(folder)!r}: {problem.strerror}") from None
    lock = os.dup(fd)  # held until the end: it marks the temporary file as a live export's
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
    finally:
        os.close(lock)


def _publish(temporary: Path, path: Path, force: bool) -> None:
    if force:
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            info = None
        if info is not None and not stat.S_ISREG(info.st_mode):  # it changed since check_output: never replace it
            raise CpeError.invalid(f"cannot replace {path}: it is no longer a regular file; nothing was written")
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
    with output_stream(target, force=force) as handle:
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


def nothing_to_package(filters: Filters) -> CpeError:
    return CpeError.failed(f"no records in {filters.window.label.lower()} ({describe(filters.window)}) for this "
                           "view, so there is nothing to package; no archive written (widen the view, e.g. "
                           "--preset all-time)")


def write_zip(ledger: Ledger, filters: Filters, output: Path | None, *, force: bool,
              skip_missing: bool, stream: IO[bytes] | None = None) -> tuple[Path, ExportSummary]:
    """Write the audit package: every certificate of the view, then ``manifest.csv`` listing every record.

    ``output`` None means ``default_zip_name`` in the current folder; ``stream``
    (standard output, for ``-o /dev/stdout``) is written instead of a file. An
    empty view is refused before any file is touched.
    """
    import zipfile

    with snapshot(ledger):
        total = ledger.total(filters)
        if not total.count:
            raise nothing_to_package(filters)
        if stream is not None:
            target = output if output is not None else Path("/dev/stdout")
        else:
            target = check_output(output if output is not None else Path(default_zip_name(ledger, filters)),
                                  force=force, home=ledger.home)
        stamp = time.localtime()[:6]
        missing: set[int] = set()
        copied = 0
        with (nullcontext(stream) if stream is not None else
              output_stream(target, force=force, binary=True)) as handle:
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
    if not certificates.is_safe_stored_name(record.certificate.stored_name):
        # A tampered row ("/dev/zero", "../cpe.db"): never opened, as every other command refuses it.
        raise CpeError.failed(f"{_describe_record(record)} names a stored certificate "
                              f"{record.certificate.stored_name!r} that cpe never writes; no archive written "
                              "(run 'cpe verify')")
    path = certificates.stored_path(home, record.certificate.stored_name)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
    except FileNotFoundError:
        if skip_missing:
            return False
        raise CpeError.failed(f"the certificate of {_describe_record(record)} is missing from the store "
                              f"({str(path)!r}); nothing was written (use --skip-missing to package the rest)") from None
    except OSError as problem:
        raise CpeError.failed(f"cannot read the certificate of {_describe_record(record)} ({str(path)!r}): "
                              f"{problem.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise CpeError.failed(f"the stored certificate of {_describe_record(record)} ({str(path)!r}) is not a "
                              "regular file; no archive written (run 'cpe verify')")
    digest = hashlib.sha256()
    copied = 0
    with os.fdopen(fd, "rb") as source, archive.open(_entry_info(entry_name(record), stamp), "w") as entry:
        for chunk in iter(lambda: source.read(_CHUNK), b""):
            copied += len(chunk)
            if copied > certificates.MAX_CERTIFICATE_BYTES:  # grown past any certificate cpe stores
                break
            digest.update(chunk)
            entry.write(chunk)
    if digest.hexdigest() != record.certificate.sha256:
        raise CpeError.failed(f"the stored certificate of {_describe_record(record)} does not match the SHA-256 "
                              f"recorded when it was added ({str(path)!r} was changed or damaged); no archive written")
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
