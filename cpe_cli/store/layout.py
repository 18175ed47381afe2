"""The home folder's layout by name, as strings: what every command's first steps need.

``cpe total`` opens the database, checks that the certificate store is in
place and that no killed command left work in ``certificates/.incoming/``;
that is a handful of ``stat`` calls, and it should not cost importing
``pathlib`` (~5-10 ms) or the certificate store (``certificates.py``, which
also compiles regular expressions). So the names live here, joined with
``os.path``; ``certificates.py`` builds its paths from the same names.
"""

from __future__ import annotations

import os

DATABASE_NAME = "cpe.db"
CERTIFICATES = "certificates"
INCOMING = ".incoming"  # inside certificates/: files of a write in progress (see certificates.py)


def certificates_folder(home) -> str:
    return os.path.join(home, CERTIFICATES)


def incoming_folder(home) -> str:
    return os.path.join(home, CERTIFICATES, INCOMING)


def has_incoming(home) -> bool:
    """Whether ``certificates/.incoming/`` holds anything: a write in progress, or one a killed command left."""
    try:
        with os.scandir(incoming_folder(home)) as entries:
            return any(True for _ in entries)
    except FileNotFoundError:
        return False
