"""Changing and removing records: edit, remove (to the trash or for good), undo.

Every change runs in one write transaction (``Ledger.write``), and the
certificate files it adds or releases are settled with it, under the same
lock (``store/certificates.py``): a new file is staged before the commit; a
released file is removed at the commit only if no other record or trash
entry names it (certificates are stored once per content and shared), moved
aside first so that a command killed at any point leaves either the old
state with its files or the new one, never a record without its file or a
stray copy. Recovery (run by the next writing command under the lock)
settles what a killed one left.

Removed records go to the ``trash`` table for ``TRASH_DAYS`` days (see the
migration ``_add_trash``; its queries are in ``store/trash.py``); their
certificate files stay where they are, so ``undo_removal`` needs no file work
at all. Trash older than that is purged at the start of every write made here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from collections import namedtuple
from datetime import date
from pathlib import Path

from ..core.credits import canonical_text
from ..core.errors import CpeError
from ..core.records import Record, StoredRecord
from ..store import trash
from ..store.certificates import FileChanges, is_safe_stored_name  # noqa: F401  (backup and verify import it here)
from ..store.ledger import DATABASE_NAME, Ledger, check_not_lost, open_ledger, utc_timestamp
from ..store.trash import TRASH_DAYS


@contextmanager
def existing_ledger(home: Path, missing: str) -> Iterator[Ledger]:
    """Open the ledger in ``home``, or raise ``missing`` (exit 1) without creating anything.

    A home that lost its database (certificates, no ledger) says so instead; a home missing because a
    restore was killed mid-swap is put back first.
    """
    if not os.path.lexists(home):
        from ..store.swap import settle_home

        settle_home(home)
    if os.path.isdir(home):
        check_not_lost(home)
    if not (home / DATABASE_NAME).is_file():
        raise CpeError.failed(missing)
    with open_ledger(home) as ledger:
        yield ledger


def record_values(record: Record) -> dict[str, str | None]:
    """A record as the text values ``records.check_record`` validates (what edit starts from)."""
    return {"title": record.title, "credits": canonical_text(record.credits),
            "field_of_study": record.field_of_study, "state": record.state,
            "date": record.completed_on.isoformat(), "delivery_method": record.delivery_method,
            "provider": record.provider, "description": record.description, "source": record.source,
            "tags": ";".join(record.tags)}


_FileChanges = FileChanges  # the settling of one transaction's files; tests stop it right after a COMMIT


# -- a write transaction that may purge the trash ----------------------------------------------------

@contextmanager
def _changing(ledger: Ledger, today: date) -> Iterator[Ledger]:
    """A write transaction (files staged and released with it); expired trash is purged first."""
    with ledger.write():
        _purge_expired(ledger, today)
        yield ledger


# -- the trash ---------------------------------------------------------------------------------------

def _purge_expired(ledger: Ledger, today: date) -> None:
    for entry_id, stored_name in trash.expired_entries(ledger, today):
        ledger.release_certificate(stored_name)
        trash.forget_entry(ledger, entry_id)


def fetch(ledger: Ledger, record_ids: list[int]) -> list[StoredRecord]:
    """The records with these ids, in the order given, once each; raises for the first unknown id."""
    return [ledger.get(record_id) for record_id in dict.fromkeys(record_ids)]


def remove_records(ledger: Ledger, record_ids: list[int], today: date, *, purge: bool = False) -> list[StoredRecord]:
    """Remove records (all or none): to the trash, or with ``purge`` for good, certificate files included."""
    with _changing(ledger, today):
        removed = fetch(ledger, record_ids)
        batch = trash.next_batch(ledger)
        stamp = utc_timestamp()
        for record in removed:
            if purge:
                ledger.release_certificate(record.certificate.stored_name if record.certificate else None)
            else:
                trash.keep_copy(ledger, record.id, batch=batch, removed_at=stamp, removed_on=today)
            ledger.delete(record.id)
    return removed


class Restored(namedtuple("Restored", ("record", "original_id"))):
    """A record ``undo_removal`` brought back (a ``StoredRecord``) and the id it had before."""

    __slots__ = ()


def undo_removal(ledger: Ledger, today: date) -> list[Restored]:
    """Bring back the records of the last removal still in the trash, certificates included.

    A record gets its old id back unless a newer record has taken it since.
    """
    with _changing(ledger, today):
        brought_back = trash.restore_last_batch(ledger)
        if not brought_back:
            raise CpeError.failed(f"the trash is empty: nothing to undo ('cpe rm' keeps what it removes there for "
                                  f"{TRASH_DAYS} days)")
        restored = [Restored(record=ledger.get(new_id), original_id=original_id)
                    for original_id, new_id in brought_back]
    return restored


# -- editing -----------------------------------------------------------------------------------------

def edit_record(ledger: Ledger, before: StoredRecord, record: Record, today: date, *,
                certificate_file: Path | None = None, remove_certificate: bool = False) -> StoredRecord | None:
    """Replace a record's fields (and attach, replace or remove its certificate) in one transaction.

    ``before`` is the record as the user saw it: if another command changed
    it since, nothing is written. Returns the new record, or None when the
    edit changes nothing (then nothing is written and "changed" stays as it was).
    """
    if certificate_file is None and not (remove_certificate and before.certificate) and \
            record_values(record) == record_values(before):
        return None
    with _changing(ledger, today):
        if ledger.get(before.id) != before:
            raise CpeError.failed(f"record {before.id} was changed by another cpe command while you were editing it; "
                                  "nothing was changed: run 'cpe edit' again")
        certificate = before.certificate
        if certificate_file is not None or remove_certificate:
            ledger.release_certificate(certificate.stored_name if certificate else None)
            certificate = ledger.stage_certificate(certificate_file) if certificate_file is not None else None
        ledger.update(before.id, record, certificate, changed_at=utc_timestamp())
    return ledger.get(before.id)


FIELD_LABELS = {"title": "title", "credits": "credits", "field_of_study": "field of study", "state": "state",
                "date": "date", "delivery_method": "delivery method", "provider": "provider",
                "description": "description", "source": "source", "tags": "tags"}


def describe_changes(before: StoredRecord, after: StoredRecord) -> list[str]:
    """What an edit changed, in words: "credits 2 -> 2.5", "certificate replaced (new.pdf)"."""
    old, new = record_values(before), record_values(after)
    changes = []
    for name, label in FIELD_LABELS.items():
        if old[name] != new[name]:
            if name == "description":
                changes.append("description changed" if new[name] else "description cleared")
            else:
                changes.append(f"{label} {_shown(name, old[name])} -> {_shown(name, new[name])}")
    if before.certificate != after.certificate:
        if after.certificate is None:
            changes.append(f"certificate {before.certificate.original_name!r} removed")
        elif before.certificate is None:
            changes.append(f"certificate {after.certificate.original_name!r} attached")
        else:
            changes.append(f"certificate {before.certificate.original_name!r} replaced by "
                           f"{after.certificate.original_name!r}")
    return changes


def _shown(name: str, value: str | None) -> str:
    if value is None or (name == "tags" and not value):
        return "(none)"
    if name == "tags":
        return value.replace(";", ", ")
    return value if name in ("credits", "date", "state", "source") else repr(value)
