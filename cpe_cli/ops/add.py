"""Adding one record: the use case behind ``cpe add``.

Validation happens before (``core.records.build_record``, through the form
or the options); this writes the record and its certificate in one
transaction and reports where the year now stands, so the command line only
prints.
"""

from __future__ import annotations

from collections import namedtuple
from datetime import date

from ..core.periods import preset_window
from ..core.records import Record, StoredRecord
from ..core.views import Filters
from ..store.ledger import Total, open_ledger

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from pathlib import Path


class Added(namedtuple("Added", ("record", "duplicate_of", "year_to_date"))):
    """The stored record (``StoredRecord``), the id of a record it duplicates (or None), and the year to date
    (``Total``) with it. A named tuple: ``dataclasses`` would cost ``cpe add`` 15-40 ms of imports."""

    __slots__ = ()


def add_record(home: Path, today: date, record: Record, certificate_file: Path | None) -> Added:
    with open_ledger(home) as ledger:
        result = ledger.add(record, certificate_file)
        stored = ledger.get(result.id)
        ytd = ledger.total(Filters(window=preset_window("ytd", today)))
    return Added(record=stored, duplicate_of=result.duplicate_of, year_to_date=ytd)
