"""Adding one record: the use case behind ``cpe add``.

Validation happens before (``core.records.build_record``, through the form
or the options); this writes the record and its certificate in one
transaction and reports where the year now stands, so the command line only
prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..core.periods import preset_window
from ..core.records import Record, StoredRecord
from ..core.views import Filters
from ..store.ledger import Total, open_ledger


@dataclass(frozen=True)
class Added:
    record: StoredRecord
    duplicate_of: int | None
    year_to_date: Total


def add_record(home: Path, today: date, record: Record, certificate_file: Path | None) -> Added:
    with open_ledger(home) as ledger:
        result = ledger.add(record, certificate_file)
        stored = ledger.get(result.id)
        ytd = ledger.total(Filters(window=preset_window("ytd", today)))
    return Added(record=stored, duplicate_of=result.duplicate_of, year_to_date=ytd)
