"""Where the data lives and what it holds (``cpe info``): a read that never creates a home."""

from __future__ import annotations

from pathlib import Path

from .. import __version__
from ..store import compliance as stored_profiles
from ..store.facts import folder_size, ledger_facts, sqlite_version
from ..store.ledger import DATABASE_NAME, open_ledger


def describe_home(home: Path) -> dict:
    database = home / DATABASE_NAME
    certificates = home / "certificates"
    facts = {"home": str(home), "database": str(database), "certificates": str(certificates),
             "exists": database.is_file(), "cpe_version": __version__, "sqlite_version": sqlite_version(),
             "records": 0, "records_with_certificate": 0, "trash": 0, "schema_version": None, "database_bytes": 0,
             "certificate_files": 0, "certificate_bytes": 0, "tracked_profiles": []}
    if not facts["exists"]:
        return facts
    with open_ledger(home) as ledger:
        facts.update(ledger_facts(ledger))
        facts["tracked_profiles"] = [
            {"id": item.profile_id, "period_end": item.period_end.isoformat() if item.period_end else None,
             "declared": sorted(item.declared)} for item in stored_profiles.tracked_profiles(ledger)]
    facts["certificate_files"], facts["certificate_bytes"] = folder_size(certificates)
    return facts
