"""What ``cpe show``, ``edit``, ``rm``, ``verify``, ``backup`` and ``restore`` do: core calls in, output out.

Handlers shared by the Typer app and the fast route (see ``handlers/ledger.py``).
Questions (the edit form, the removal confirmation) are asked only on a
terminal, through ``cli/form.py``.
"""

from __future__ import annotations

from pathlib import Path

from . import as_path
from .. import output
from ...core.environment import resolve_home, resolve_today
from ...core.errors import CpeError
from .ledger import DUPLICATE_FIELDS

_LABEL_WIDTH = 23


def _summary(record) -> str:
    certificate = f", certificate {output.plain(record.certificate.original_name)!r}" if record.certificate else ""
    return (f"{record.completed_on.isoformat()}  {output.plain(record.title)}  "
            f"{output.credits(record.credits)} credits{certificate}")


def show_json(home: Path, record) -> None:
    """One record as ``cpe show --json`` (and ``cpe add --json``) print it."""
    from ...core.serialize import record_json
    from ...store import certificates

    certificate = record.certificate
    output.data_json({
        **record_json(record),
        "certificate_size": certificate.size if certificate else None,
        "certificate_sha256": certificate.sha256 if certificate else None,
        "certificate_path": str(certificates.stored_path(home, certificate.stored_name)) if certificate else None,
        "added_at": record.added_at, "changed_at": record.changed_at})


def show(*, record_id: int, as_json=False) -> None:
    from ...core import catalog
    from ...ops.edit import load_record
    from ...store import certificates

    home = resolve_home()
    record = load_record(home, record_id)
    if as_json:
        show_json(home, record)
        return
    certificate = record.certificate
    technical = {f.name: f.technical for f in catalog.FIELDS_OF_STUDY}.get(record.field_of_study)
    kind = "" if technical is None else " (technical)" if technical else " (non-technical)"
    lines = [
        ("Course/Seminar Title", output.plain(record.title)),
        ("CPE Credits", output.credits(record.credits)),  # as list, add and the badge write them (4.0)
        ("Field of Study", record.field_of_study + kind),
        ("State", catalog.JURISDICTIONS.get(record.state, record.state) + f" ({record.state})"
         if record.state else "-"),
        ("Date", record.completed_on.isoformat()),
        ("Delivery Method", record.delivery_method),
        ("Provider", output.plain(record.provider)),
        ("Source", catalog.SOURCE_LABELS.get(record.source, record.source)),
        ("Course Description",
         output.plain(record.description, keep="\n\t").replace("\n", "\n" + " " * (_LABEL_WIDTH + 2)) or "-"),
        ("Tags", ", ".join(record.tags) or "-"),
        ("Certificate", output.plain(certificate.original_name) if certificate else "none"),
    ]
    if certificate:
        lines += [("  Size", f"{certificate.size:,} bytes"), ("  SHA-256", certificate.sha256),
                  ("  Stored at", str(certificates.stored_path(home, certificate.stored_name)))]
    lines += [("Added", record.added_at), ("Changed", record.changed_at)]
    # Every stored value escaped, not only the free text: a restored backup can put an escape sequence in the
    # state, a certificate's name or a timestamp (the description was escaped above, keeping its line breaks).
    output.data("\n".join([f"Record {record.id}", *(
        f"  {label + ':':<{_LABEL_WIDTH}}{value if label == 'Course Description' else output.plain(str(value))}"
        for label, value in lines)]))


def edit(*, record_id: int, title=None, credits=None, field_of_study=None, state=None, date=None,
         delivery_method=None, provider=None, description=None, certificate: str | None = None,
         remove_certificate=False, tags=None, untags=None, source=None, no_input=False, as_json=False) -> None:
    from ...ops import lifecycle
    from ...ops.edit import apply_edit, check_new_certificate, load_record

    if certificate is not None and remove_certificate:
        raise CpeError.invalid("give either --certificate (replace) or --remove-certificate, not both")
    home, today = resolve_home(), resolve_today()
    given = {"title": title, "credits": credits, "field_of_study": field_of_study, "state": state, "date": date,
             "delivery_method": delivery_method, "provider": provider, "description": description,
             "source": source}
    given = {name: value for name, value in given.items() if value is not None}
    before = load_record(home, record_id)
    values = lifecycle.record_values(before)
    if tags or untags:
        given["tags"] = _retagged(before.tags, tags or [], untags or [])
    if given or certificate is not None or remove_certificate:
        values.update(given)
        if certificate is not None:
            certificate = check_new_certificate(certificate)
    elif not no_input and output.stdin_is_terminal():
        from ..form import edit_form

        values, certificate, remove_certificate = edit_form(before, today, home)
    else:
        raise CpeError.invalid("nothing to change: give the fields to change as options (e.g. --credits 2.5; "
                               "see 'cpe edit --help'), or run 'cpe edit ID' on a terminal to walk the form")
    edited = apply_edit(home, today, before, values, certificate=certificate,
                        remove_certificate=remove_certificate)
    for text in edited.warnings:
        output.warn(text)
    if edited.after is None:
        if as_json:
            show_json(home, before)
        output.message(f"Record {record_id} unchanged.")
        return
    if edited.duplicate_of is not None:
        output.warn(f"record {edited.after.id} now looks like a duplicate of record {edited.duplicate_of} "
                    f"({DUPLICATE_FIELDS})")
    if as_json:
        show_json(home, edited.after)
    output.message(f"Updated record {edited.after.id}: {output.plain('; '.join(edited.changes))}.")
    output.year_to_date(edited.year_to_date)


def _retagged(current, added, removed) -> list[str]:
    """The record's tags with ``added`` added and ``removed`` taken away (each checked as a tag)."""
    from ...core.tags import normalize_tags

    added, removed = normalize_tags(added), normalize_tags(removed)
    missing = [tag for tag in removed if tag not in current]
    if missing:
        raise CpeError.invalid(f"the record has no tag {missing[0]!r} to remove"
                               + (f" (its tags: {', '.join(current)})" if current else " (it has no tags)"))
    return sorted((set(current) | set(added)) - set(removed))


def rm(*, record_ids=None, yes=False, purge=False, undo=False) -> None:
    from ...core.periods import preset_window
    from ...core.views import Filters
    from ...ops import lifecycle
    from ...core.errors import missing_record

    today, home = resolve_today(), resolve_home()
    if undo:
        if record_ids or purge:
            raise CpeError.invalid("--undo takes no ids and no --purge: it brings back the last removal")
        with lifecycle.existing_ledger(home, "the trash is empty: nothing to undo") as ledger:
            restored = lifecycle.undo_removal(ledger, today)
            ytd = ledger.total(Filters(window=preset_window("ytd", today)))
        for item in restored:
            moved = "" if item.record.id == item.original_id else \
                f" (as record {item.record.id}: id {item.original_id} was taken by a newer record)"
            output.message(f"Restored record {item.original_id}{moved}: {_summary(item.record)}")
        output.year_to_date(ytd)
        return
    if not record_ids:
        raise CpeError.invalid("give the id of at least one record to remove (see 'cpe list'), "
                               "or --undo to bring back the last removal")
    if not yes and not output.stdin_is_terminal():
        raise CpeError.invalid("cpe rm asks for confirmation, and standard input is not a terminal: "
                               "add --yes to remove without asking")
    with lifecycle.existing_ledger(home, missing_record(record_ids[0])) as ledger:
        doomed = lifecycle.fetch(ledger, record_ids)
    if not yes:
        _confirm_removal(doomed, purge)
    with lifecycle.existing_ledger(home, missing_record(record_ids[0])) as ledger:
        removed = lifecycle.remove_records(ledger, record_ids, today, purge=purge)
        ytd = ledger.total(Filters(window=preset_window("ytd", today)))
    where = "for good" if purge else "to the trash (undo: cpe rm --undo)"
    for record in removed:
        output.message(f"Removed record {record.id}: {_summary(record)}; {where}")
    output.year_to_date(ytd)


def _confirm_removal(doomed, purge: bool) -> None:
    from ..form import confirm

    total = output.credits(sum(record.credits for record in doomed))
    output.message("\n".join(f"  {record.id:>5}  {_summary(record)}" for record in doomed))
    count = f"{output.plural(len(doomed), 'record')} ({total} credits)"
    one = len(doomed) == 1
    if purge:
        certified = sum(1 for record in doomed if record.certificate)
        files = "" if not certified else " and its certificate file" if one else " and their certificate files"
        question = f"Remove {count}{files} for good? This cannot be undone."
    else:
        they, them = ("It stays", "it") if one else ("They stay", "them")
        question = f"Remove {count}? {they} in the trash for 30 days ('cpe rm --undo' brings {them} back)."
    if not confirm(question):
        raise CpeError.failed("nothing removed")


def verify(*, repair=False) -> None:
    from ...ops.lifecycle import existing_ledger
    from ...ops.verify import verify_ledger

    home, today = resolve_home(), resolve_today()
    with existing_ledger(home, f"there is no ledger in {home} to verify") as ledger:
        report = verify_ledger(ledger, today, repair=repair)
    if report.repaired or report.problems:
        output.data("\n".join(output.plain(line, keep="\t")
                               for line in report.repaired + [report.with_fix(text) for text in report.problems]))
    if report.problems:
        raise CpeError.failed(f"the ledger has {output.plural(len(report.problems), 'problem')} (listed above)")
    trash = f", {report.trash:,} in the trash" if report.trash else ""
    output.message(f"Ledger is whole: {output.plural(report.records, 'record')}{trash}, "
                   f"{output.plural(report.certificates, 'certificate file')} matching "
                   f"{'its' if report.certificates == 1 else 'their'} SHA-256, SQLite integrity ok, "
                   f"schema version {report.schema_version}.")


def backup(*, file: str, force=False) -> None:
    from ...ops.backup import create_backup

    summary = create_backup(resolve_home(), as_path(file), force=force)
    for text in summary.warnings:
        output.warn(text)
    output.message(f"Backed up {output.plural(summary.records, 'record')}"
                   f"{f' (and {summary.trash:,} in the trash)' if summary.trash else ''} and "
                   f"{output.plural(summary.certificates, 'certificate file')} to {summary.path} "
                   f"({summary.size:,} bytes).")


def restore(*, file: str, force=False) -> None:
    from ...ops.restore import restore_backup

    home = resolve_home(check_database=False)  # restore replaces whatever is there, a damaged cpe.db included
    summary = restore_backup(home, as_path(file), resolve_today(), force=force)
    for text in summary.warnings:
        output.warn(text)
    replaced = f", replacing {summary.replaced}" if summary.replaced else ""
    output.message(f"Restored {output.plural(summary.records, 'record')}"
                   f"{f' (and {summary.trash:,} in the trash)' if summary.trash else ''} and "
                   f"{output.plural(summary.certificates, 'certificate file')} from the backup of "
                   f"{summary.created_at or 'an unknown date'} into {home}{replaced}.")
