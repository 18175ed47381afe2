"""``cpe import --history`` and ``cpe import --undo``: the imports as batches, and taking one back.

An import that adds records is one batch (``store/batches.py``); undoing it
moves the records still in the ledger to the trash as one removal, exactly
what ``cpe rm`` of those ids would do, so ``cpe rm --undo`` brings them back
and the certificate files stay in the store meanwhile. A record edited since
its import holds work of its own: undoing it is refused unless the caller
allows that many edited records (``--yes``, or the user's answer on a
terminal), and the count is taken again under the write lock, so an edit made
while the question was on the screen is not undone unasked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from ..core.credits import from_hundredths
from ..core.errors import CpeError
from ..store import batches, trash
from ..store.batches import Batch
from ..store.ledger import Ledger, open_ledger, utc_timestamp


def history(home: Path) -> list[Batch]:
    """Every import batch, oldest first; a home with no ledger has none (and is not created)."""
    with open_ledger(home, create=False) as ledger:
        return batches.history(ledger)


@dataclass(frozen=True)
class UndoPlan:
    """What ``--undo`` would take back, read before anything changes (for the question on a terminal)."""

    batch: Batch
    edited: int  # records of the batch changed since the import


@dataclass(frozen=True)
class Undone:
    batch: Batch
    removed: int
    credits: Decimal
    edited: int
    trash_batch: int


def _chosen(ledger: Ledger, batch_id: int | None) -> Batch:
    if batch_id is None:
        batch = batches.latest_with_records(ledger)
        if batch is None:
            raise CpeError.failed("no import to undo: no import batch has records in the ledger "
                                  "('cpe import --history' lists the imports)")
        return batch
    batch = batches.find(ledger, batch_id)
    if batch is None:
        raise CpeError.failed(f"no import batch {batch_id} ('cpe import --history' lists the imports)")
    if not batch.in_ledger:
        raise CpeError.failed(f"import batch {batch_id} ({batch.source_name}) has no records left in the ledger: "
                              "undone or removed already ('cpe rm --undo' brings back the last removal)")
    return batch


def plan_undo(ledger: Ledger, batch_id: int | None) -> UndoPlan:
    """The batch ``--undo`` means (the latest that still has records when ``batch_id`` is None) and how many of
    its records were edited; raises (exit 1) for an unknown batch or one with nothing left to undo."""
    batch = _chosen(ledger, batch_id)
    return UndoPlan(batch=batch, edited=batches.edited_count(ledger, batch.id))


def edited_refusal(batch: Batch, edited: int) -> CpeError:
    return CpeError.invalid(
        f"{edited:,} of the {batch.in_ledger:,} records of import batch {batch.id} ({batch.source_name}) "
        f"{'was' if edited == 1 else 'were'} edited after the import; nothing was undone. Give --yes to undo "
        "the batch anyway, edits included ('cpe rm --undo' would bring it back)")


def undo(ledger: Ledger, batch_id: int, today: date, *, edited_allowed: int | None) -> Undone:
    """Move the batch's records to the trash, in one write transaction; all of them or, if more records are
    edited than ``edited_allowed`` (None: any number), none."""
    with ledger.write():
        batch = _chosen(ledger, batch_id)
        edited = batches.edited_count(ledger, batch.id)
        if edited_allowed is not None and edited > edited_allowed:
            raise edited_refusal(batch, edited)
        hundredths = batches.credits_hundredths(ledger, batch.id)
        trash_batch = trash.next_batch(ledger)
        removed = batches.move_to_trash(ledger, batch.id, trash_batch=trash_batch, removed_at=utc_timestamp(),
                                        removed_on=today.isoformat())
    return Undone(batch=batch, removed=removed, credits=from_hundredths(hundredths), edited=edited,
                  trash_batch=trash_batch)
