"""Where the ledger lives and what day it is, read from the environment at call time.

Nothing here runs at import: a test or a demonstration pins ``CPE_HOME`` and
``CPE_TODAY`` per process, and a long-lived process sees the clock move.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date

from .errors import CpeError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from pathlib import Path


def home_text(environ: Mapping[str, str] | None = None) -> str:
    """The ledger's folder as a string: ``$CPE_HOME``, or ``~/.cpe`` when it is not set.

    A ``CPE_HOME`` set to nothing (``CPE_HOME= cpe ...``, an unset variable in a script) is refused rather
    than read as ``~/.cpe``: the user meant some other ledger. A string, so that ``cpe total`` and TAB
    completion find the ledger without importing ``pathlib`` (5-10 ms); it reads as ``str(Path(...))`` of the
    same folder would (``as_path_reads``), so every message names the folder alike whichever form made it.
    """
    env = os.environ if environ is None else environ
    configured = env.get("CPE_HOME")
    if configured is None:
        return os.path.join(os.path.expanduser("~"), ".cpe")
    if not configured.strip():
        raise CpeError.invalid("CPE_HOME is set but empty; set it to the ledger's folder, or unset it to use "
                               "~/.cpe")
    return as_path_reads(os.path.expanduser(configured.strip()))


def as_path_reads(text: str) -> str:
    """``text`` as ``str(pathlib.Path(text))`` gives it on POSIX: repeated slashes and ``.`` parts dropped, no
    trailing slash, ``..`` kept (unlike ``os.path.normpath``: through a symlink, ``a/..`` is not ``.``)."""
    if os.sep != "/":  # pragma: no cover - cpe's terminal handling is POSIX; keep pathlib's own rules there
        from pathlib import Path

        return str(Path(text))
    lead = "//" if text.startswith("//") and not text.startswith("///") else "/" if text.startswith("/") else ""
    return (lead + "/".join(part for part in text.split("/") if part and part != ".")) or "."


def resolve_home_text(environ: Mapping[str, str] | None = None, *, check_database: bool = True) -> str:
    """``home_text``, checked: with ``check_database``, a ``cpe.db`` that is a folder (or a FIFO, a device)
    is refused, instead of reading as an empty or missing ledger; restore, which replaces whatever is there,
    passes False. The commands that only read (and ``cpe add``) use this string as it is."""
    home = home_text(environ)
    if check_database:
        _refuse_odd_database(os.path.join(home, DATABASE_NAME))
    return home


def resolve_home(environ: Mapping[str, str] | None = None, *, check_database: bool = True) -> Path:
    """``resolve_home_text`` as a ``Path``, for the commands that work with files beside the ledger."""
    from pathlib import Path

    return Path(resolve_home_text(environ, check_database=check_database))


DATABASE_NAME = "cpe.db"  # the same name as store.ledger.DATABASE_NAME (core cannot import the store)


def _refuse_odd_database(database: str) -> None:
    import stat

    try:
        mode = os.stat(database).st_mode
    except OSError:
        return  # missing (a new ledger), or unreachable: the store says why when it opens it
    if stat.S_ISREG(mode):
        return
    kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
    raise CpeError.failed(f"{database} is {kind}, not a cpe ledger; move it out of the way (or restore the "
                          "ledger from a backup with 'cpe restore')")


# "Today" bounds: no CPE course is dated before 1900 (core.periods.FIRST_YEAR), and a window or a reporting
# period is computed some years past today, which must stay inside the calendar Python knows (year 9999).
FIRST_TODAY = date(1900, 1, 1)
LAST_TODAY = date(9899, 12, 31)


def byte_limit(name: str, default: int, environ: Mapping[str, str] | None = None) -> int:
    """A size cap from the environment (``CPE_RESTORE_MAX_BYTES``, ``CPE_IMPORT_MAX_BYTES``), else ``default``."""
    env = os.environ if environ is None else environ
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        value = -1
    if value < 0:
        raise CpeError.invalid(f"{name}={text!r} is not a number of bytes (e.g. 2147483648)")
    return value


def resolve_today(environ: Mapping[str, str] | None = None) -> date:
    env = os.environ if environ is None else environ
    pinned = env.get("CPE_TODAY", "").strip()
    if not pinned:
        return date.today()
    try:
        today = date.fromisoformat(pinned)
    except ValueError:
        raise CpeError.invalid(f"CPE_TODAY={pinned!r} is not an ISO date (YYYY-MM-DD)") from None
    if not FIRST_TODAY <= today <= LAST_TODAY:
        raise CpeError.invalid(f"CPE_TODAY={pinned!r} is out of range: pin a day from {FIRST_TODAY.isoformat()} "
                               f"to {LAST_TODAY.isoformat()}")
    return today
