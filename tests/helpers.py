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
