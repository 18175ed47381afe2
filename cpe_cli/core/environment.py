"""Where the ledger lives and what day it is, read from the environment at call time.

Nothing here runs at import: a test or a demonstration pins ``CPE_HOME`` and
``CPE_TODAY`` per process, and a long-lived process sees the clock move.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from .errors import CpeError


def resolve_home(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    configured = env.get("CPE_HOME", "").strip()
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cpe"


def resolve_today(environ: Mapping[str, str] | None = None) -> date:
    env = os.environ if environ is None else environ
    pinned = env.get("CPE_TODAY", "").strip()
    if not pinned:
        return date.today()
    try:
        return date.fromisoformat(pinned)
    except ValueError:
        raise CpeError.invalid(f"CPE_TODAY={pinned!r} is not an ISO date (YYYY-MM-DD)") from None
