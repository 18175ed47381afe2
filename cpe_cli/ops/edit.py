"""Editing one record: the use case behind ``cpe edit``.

The command line gathers the new values (options, or the form with the
current values as defaults); this validates them with exactly the rules of
``cpe add`` (``core.records.build_record``), warns about a non-standard
credit increment only when credits or method changed, writes the change
atomically (``ops.lifecycle.edit_record``) and says what changed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..core.credits import increment_warning
from ..core.errors import CpeError, missing_record
from ..core.periods import preset_window
from ..core.records import StoredRecord, build_record
from ..core.views import Filters
from ..store.certificates import check_certificate
from ..store.ledger import Total
from . import lifecycle


@dataclass(frozen=True)
class Edited:
    before: StoredRecord
    after: StoredRecord | None  # None: the values given change nothing
    changes: list[str] = field(default_factory=list)
    duplicate_of: int | None = None
    warnings: list[str] = field(default_factory=list)
    year_to_date: Total | None = None


def load_record(home: Path, record_id: int) -> StoredRecord:
    """The record as it is now (the form's defaults, the base of the change); never creates a home."""
    with lifecycle.existing_ledger(home, missing_record(record_id)) as ledger:
        return ledger.get(record_id)


def check_new_certificate(certificate: Path | str) -> str:
    certificate = os.path.expanduser(certificate)
    check_certificate(certificate)
    return certificate


def apply_edit(home: Path, today: date, before: StoredRecord, values: dict[str, str | None], *,
               certificate: Path | None = None, remove_certificate: bool = False) -> Edited:
    """Validate ``values`` (text, as ``lifecycle.record_values`` gives them) and write the change."""
    if certificate is not None and remove_certificate:
        raise CpeError.invalid("give either --certificate (replace) or --remove-certificate, not both")
    record, _ = build_record(values, today)
    warnings = []
    if (record.credits, record.delivery_method) != (before.credits, before.delivery_method):
        message = increment_warning(record.credits, record.delivery_method)
        if message:
            warnings.append(message)
    with lifecycle.existing_ledger(home, missing_record(before.id)) as ledger:
        after = lifecycle.edit_record(ledger, before, record, today, certificate_file=certificate,
                                      remove_certificate=remove_certificate)
        if after is None:
            return Edited(before=before, after=None, warnings=warnings)
        duplicate = ledger.find_duplicate(after, exclude_id=after.id)
        ytd = ledger.total(Filters(window=preset_window("ytd", today)))
    return Edited(before=before, after=after, changes=lifecycle.describe_changes(before, after),
                  duplicate_of=duplicate, warnings=warnings, year_to_date=ytd)
