"""Small test utilities shared by several test files."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def snapshot(home: Path) -> dict[str, str]:
    """Every file under ``home`` with its SHA-256: two equal snapshots mean nothing changed on disk."""
    state = {}
    if not home.exists():
        return state
    for folder, _, files in os.walk(home):
        for name in files:
            path = Path(folder) / name
            state[str(path.relative_to(home))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def make_unreadable(path: Path, monkeypatch) -> None:
    """chmod 000 ``path``; where that does not stop this process (root reads everything), make ``os.open`` of it
    fail with EACCES as the kernel would for another user (in-process only: CliRunner, not a subprocess)."""
    path.chmod(0)
    if os.access(path, os.R_OK):
        real_open = os.open

        def deny(name, *args, **kwargs):
            if str(name) == str(path):
                raise PermissionError(13, "Permission denied")
            return real_open(name, *args, **kwargs)

        monkeypatch.setattr(os, "open", deny)
