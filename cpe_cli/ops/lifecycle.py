"""Changing and removing records: edit, remove (to the trash or for good), undo.

Every change runs in one write transaction (``Ledger.write``), and the
certificate files it adds or drops follow the crash-safety protocol of
certificates.py:

- a new file is staged (``.incoming/`` name plus final name) before the
  commit, and its incoming name dropped after;
- a file to drop is *marked* before the commit by hard-linking it into
  ``.incoming/``, and unlinked only after the commit. If the command dies in
  between, recovery (``certificates.recover_incoming``, run by the next
  command under the write lock) keeps the file exactly when a committed
  record still names it. So a killed ``cpe edit`` or ``cpe rm --purge``
  leaves either the old state with its files or the new one, never a record
  without its file or a stray copy.

Removed records go to the ``trash`` table for ``TRASH_DAYS`` days (see the
migration ``_add_trash``; its queries are in ``store/trash.py``); their
certificate files stay where they are, so ``undo_removal`` needs no file work
at all. Trash older than that is purged at the start of every write made here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..core.credits import canonical_text
from ..core.errors import CpeError
from ..core.records import Certificate, Record, StoredRecord
from ..store import certificates, trash
from ..store.ledger import DATABASE_NAME, Ledger, open_ledger, utc_timestamp
from ..store.trash import TRASH_DAYS

# What cpe itself names stored files (a uuid and an extension); anything else
# in the database (a tampered row, "../cpe.db") is never opened or deleted.
_SAFE_STORED_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


def is_safe_stored_name(name: str | None) -> bool:
    return bool(name) and _SAFE_STORED_NAME.match(name) is not None and ".." not in name


@contextmanager
def existing_ledger(home: Path, missing: str) -> Iterator[Ledger]:
    """Open the ledger in ``home``, or raise ``missing`` (exit 1) without creating anything."""
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


# -- certificate files that change with a transaction ----------------------------------------------

@dataclass
class _FileChanges:
    """Certificate files a write transaction adds or drops, settled once it has committed or failed."""

    home: Path
    staged: list[Certificate] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)

    def stage(self, source: Path) -> Certificate:
        staged = certificates.stage_certificate(self.home, source)
        self.staged.append(staged)
        return staged

    def drop(self, stored_name: str | None) -> None:
        """Mark a stored file for removal after the commit (a hard link in ``.incoming/``)."""
        if not is_safe_stored_name(stored_name):
            return
        try:
            os.link(certificates.stored_path(self.home, stored_name),
                    certificates.incoming_dir(self.home) / stored_name, follow_symlinks=False)
        except FileNotFoundError:
            return  # already gone (a damaged ledger): nothing to remove
        except FileExistsError:
            pass
        except OSError as problem:
            raise CpeError.failed(f"could not prepare removing certificate {stored_name}: "
                                  f"{problem.strerror or problem}") from None
        self.dropped.append(stored_name)

    def rolled_back(self) -> None:
        for staged in self.staged:
            certificates.abandon_staged(self.home, staged)
        for name in self.dropped:
            certificates.discard(certificates.incoming_dir(self.home) / name)

    def committed(self) -> None:
        for staged in self.staged:
            certificates.finish_staged(self.home, staged)
        for name in self.dropped:
            # The file first, then its mark: a crash in between leaves a mark that recovery completes.
            certificates.remove_stored(self.home, name)
            certificates.discard(certificates.incoming_dir(self.home) / name)


@contextmanager
def _changing(ledger: Ledger, today: date) -> Iterator[_FileChanges]:
    """A write transaction that may add and drop certificate files; expired trash is purged first."""
    files = _FileChanges(ledger.home)
    try:
        with ledger.write():
            _purge_expired(ledger, today, files)
            yield files
    except BaseException:
        files.rolled_back()
        raise
    files.committed()


# -- the trash ---------------------------------------------------------------------------------------

def _purge_expired(ledger: Ledger, today: date, files: _FileChanges) -> None:
    for entry_id, stored_name in trash.expired_entries(ledger, today):
        files.drop(stored_name)
        trash.forget_entry(ledger, entry_id)


def fetch(ledger: Ledger, record_ids: list[int]) -> list[StoredRecord]:
    """The records with these ids, in the order given, once each; raises for the first unknown id."""
    return [ledger.get(record_id) for record_id in dict.fromkeys(record_ids)]


def remove_records(ledger: Ledger, record_ids: list[int], today: date, *, purge: bool = False) -> list[StoredRecord]:
    """Remove records (all or none): to the trash, or with ``purge`` for good, certificate files included."""
    with _changing(ledger, today) as files:
        removed = fetch(ledger, record_ids)
        batch = trash.next_batch(ledger)
        stamp = utc_timestamp()
        for record in removed:
            if purge:
                files.drop(record.certificate.stored_name if record.certificate else None)
            else:
                trash.keep_copy(ledger, record.id, batch=batch, removed_at=stamp, removed_on=today)
            ledger.delete(record.id)
    return removed


@dataclass(frozen=True)
class Restored:
    record: StoredRecord
    original_id: int


def undo_removal(ledger: Ledger, today: date) -> list[Restored]:
    """Bring back the records of the last removal still in the trash, certificates included.

    A record gets its old id back unless a newer record has taken it since.
    """
    with _changing(ledger, today):
        brought_back = trash.restore_last_batch(ledger)
        if not brought_back:
            raise CpeError.failed(f"the trash is empty: nothing to undo (removed records are kept {TRASH_DAYS} "
                                  "days; 'cpe rm --purge' skips the trash)")
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
    with _changing(ledger, today) as files:
        if ledger.get(before.id) != before:
            raise CpeError.failed(f"record {before.id} was changed by another cpe command while you were editing it; "
                                  "nothing was changed: run 'cpe edit' again")
        certificate = before.certificate
        if certificate_file is not None or remove_certificate:
            files.drop(certificate.stored_name if certificate else None)
            certificate = files.stage(certificate_file) if certificate_file is not None else None
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
