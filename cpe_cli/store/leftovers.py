"""Temporary files and folders cpe makes outside the home, and telling an abandoned one from a live one.

Backup (``.NAME.db-TOKEN``, ``.NAME.tmp-TOKEN``), the exports' ``--output``
(``.NAME.TOKEN.tmp``) and restore (``.HOME.restore-TOKEN``, ``.HOME.old-TOKEN``)
write under temporary names beside their destination; a command killed with
``kill -9`` leaves them behind. Each is created by a live command with an
exclusive ``flock`` held until the command ends (the kernel drops it when the
process dies, however it dies). So a later run proves one abandoned by
taking that lock without waiting; it then removes it while holding the lock.
The creator takes its lock (waiting) right after creating the name and then
checks that the name is still its file, so a cleaner that raced it between
the two steps costs it a retry under a new name, never its file.

Only names of exactly cpe's pattern, of the user running cpe, that are
regular files (or, for restore, folders) are ever touched: never a symlink.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from pathlib import Path

_TOKEN = r"[0-9a-f]{12}"


def _lock(fd: int, *, wait: bool) -> bool:
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    except OSError:  # a file system without flock: nothing there is ever proved abandoned
        return False
    return True


def create_locked_file(path: Path, mode: int = 0o600) -> int:
    """Create ``path`` (new, never through a symlink) and hold its lock until the fd is closed; raises
    ``FileExistsError`` if the name was taken, or was taken away by a cleaner before the lock was held."""
    return _held(path, os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode))


def create_locked_folder(path: Path) -> int:
    """Make the folder ``path`` (0700, new) and hold its lock until the returned fd is closed."""
    os.mkdir(path, 0o700)
    os.chmod(path, 0o700)  # mkdir's mode is filtered by the umask
    return lock_folder(path)


def lock_folder(path: Path) -> int:
    """Hold the lock of an existing folder (one cpe made, or the home) until the fd is closed."""
    return _held(path, os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)))


def _held(path: Path, fd: int) -> int:
    """Lock ``fd`` (waiting) and check it is still what ``path`` names; closes it and raises otherwise."""
    try:
        _lock(fd, wait=True)
        if not _same(path, fd):
            raise FileExistsError(17, "taken away while being created", str(path))
    except BaseException:
        os.close(fd)
        raise
    return fd


def _same(path: Path, fd: int) -> bool:
    try:
        return os.path.samestat(os.lstat(path), os.fstat(fd))
    except OSError:
        return False


def with_fresh_name(make: Callable[[], Path], create: Callable[[Path], int], attempts: int = 3) -> tuple[Path, int]:
    """``create(make())``, with a new name when one was taken; the last ``FileExistsError`` is raised."""
    for attempt in range(attempts):
        path = make()
        try:
            return path, create(path)
        except FileExistsError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def pattern(prefix: str, suffix: str = "") -> re.Pattern:
    """Names made of ``prefix``, a 12-hex token, ``suffix`` (both taken literally)."""
    return re.compile(re.escape(prefix) + _TOKEN + re.escape(suffix) + "$")


def candidates(folder: Path, *patterns: re.Pattern, folders: bool = False) -> list[Path]:
    """Entries of ``folder`` named by one of ``patterns``, regular files (or folders), the user's own."""
    found = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if not any(p.match(entry.name) for p in patterns):
                    continue
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                kind_ok = stat.S_ISDIR(info.st_mode) if folders else stat.S_ISREG(info.st_mode)
                if kind_ok and info.st_uid == os.geteuid():
                    found.append(Path(entry.path))
    except OSError:
        return []
    return sorted(found)


def take_if_abandoned(path: Path) -> int | None:
    """An fd holding ``path``'s lock when no live command holds it (abandoned), else None. Close it after
    removing the path (so that a creator racing the removal sees its name gone and retries)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK
    if os.path.isdir(path) and not os.path.islink(path):
        flags |= getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    if not _lock(fd, wait=False) or not _same(path, fd):
        os.close(fd)
        return None
    return fd


def is_abandoned(path: Path) -> bool:
    fd = take_if_abandoned(path)
    if fd is None:
        return False
    os.close(fd)
    return True


def remove_abandoned_files(folder: Path, *patterns: re.Pattern) -> list[Path]:
    """Remove every abandoned temporary file of these patterns in ``folder``; return what was removed."""
    removed = []
    for path in candidates(folder, *patterns):
        fd = take_if_abandoned(path)
        if fd is None:
            continue
        try:
            os.unlink(path)
            removed.append(path)
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


def remove_abandoned_folder(path: Path, is_ours: Callable[[Path], bool]) -> bool:
    """Remove a temporary folder if it is abandoned and ``is_ours`` (its contents are what cpe makes)."""
    import shutil

    fd = take_if_abandoned(path)
    if fd is None:
        return False
    try:
        if not is_ours(path):
            return False
        shutil.rmtree(path)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def lock_file_for_reading(path: Path) -> int:
    """Open an existing file of cpe's for reading and hold its lock (waiting for a live command to finish)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
    _lock(fd, wait=True)
    return fd


def same_file(path: Path, fd: int) -> bool:
    """Whether ``path`` still names the file open as ``fd``."""
    return _same(path, fd)
