"""Commands of the lifecycle capability: show, edit, rm (and rm --undo), verify, backup, restore.

Imported on every run (TAB completion included), so only Typer is loaded
here; the core modules (lifecycle, verify, backup) are imported by the
command that needs them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from .options import complete_delivery, complete_fields, complete_record_sources, complete_states
from ..core.environment import resolve_home, resolve_today
from ..core.errors import CpeError
from .group import warn


def stdin_is_terminal() -> bool:
    """Whether a person can answer questions (tests replace this to drive prompts through CliRunner)."""
    return sys.stdin.isatty()


_MAX_ID = 2**63 - 1  # SQLite's largest integer
RecordId = Annotated[int, typer.Argument(metavar="ID", min=1, max=_MAX_ID, help="The record's id (see 'cpe list').")]
Force = Annotated[bool, typer.Option("--force", help="Replace what is there.")]


def _plain(text: str, keep: str = "") -> str:
    """Stored text made safe to print: control characters (a terminal escape) shown as codes."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() or char in keep else f"\\x{ord(char):02x}" for char in text)


def _summary(record) -> str:
    from ..core.credits import canonical_text

    certificate = f", certificate {_plain(record.certificate.original_name)!r}" if record.certificate else ""
    return (f"{record.completed_on.isoformat()}  {_plain(record.title)}  "
            f"{canonical_text(record.credits)} credits{certificate}")


def _echo_year_to_date(ledger, today) -> None:
    from ..core.credits import format_total
    from ..core.views import Filters
    from ..core.periods import preset_window

    ytd = ledger.total(Filters(window=preset_window("ytd", today)))
    typer.echo(f"Total CPE credits, year to date: {format_total(ytd.credits)} "
               f"({ytd.count} record{'s' if ytd.count != 1 else ''})")


def _missing_record(record_id: int) -> str:
    return f"no record with id {record_id}"


_LABEL_WIDTH = 23


def show(record_id: RecordId,
         as_json: Annotated[bool, typer.Option("--json", help="Print the record as one JSON object.")] = False) -> None:
    """Show every field of one record, its certificate (name, size, SHA-256, stored path) and its history."""
    from ..store import certificates
    from ..core import catalog
    from ..core.credits import canonical_text
    from ..ops.lifecycle import existing_ledger

    home = resolve_home()
    with existing_ledger(home, _missing_record(record_id)) as ledger:
        record = ledger.get(record_id)
    certificate = record.certificate
    stored = str(certificates.stored_path(home, certificate.stored_name)) if certificate else None
    if as_json:
        from ..core.serialize import record_json

        typer.echo(json.dumps({
            **record_json(record),
            "certificate_size": certificate.size if certificate else None,
            "certificate_sha256": certificate.sha256 if certificate else None,
            "certificate_path": stored,
            "added_at": record.added_at, "changed_at": record.changed_at}, ensure_ascii=False, indent=2))
        return
    technical = {f.name: f.technical for f in catalog.FIELDS_OF_STUDY}.get(record.field_of_study)
    kind = "" if technical is None else " (technical)" if technical else " (non-technical)"
    lines = [
        ("Course/Seminar Title", _plain(record.title)),
        ("CPE Credits", canonical_text(record.credits)),
        ("Field of Study", record.field_of_study + kind),
        ("State", catalog.JURISDICTIONS.get(record.state, record.state) + f" ({record.state})"
         if record.state else "-"),
        ("Date", record.completed_on.isoformat()),
        ("Delivery Method", record.delivery_method),
        ("Provider", _plain(record.provider)),
        ("Source", catalog.SOURCE_LABELS.get(record.source, record.source)),
        ("Course Description",
         _plain(record.description, keep="\n\t").replace("\n", "\n" + " " * (_LABEL_WIDTH + 2)) or "-"),
        ("Certificate", _plain(certificate.original_name) if certificate else "none"),
    ]
    if certificate:
        lines += [("  Size", f"{certificate.size:,} bytes"), ("  SHA-256", certificate.sha256),
                  ("  Stored at", stored)]
    lines += [("Added", record.added_at), ("Changed", record.changed_at)]
    typer.echo(f"Record {record.id}")
    for label, value in lines:
        typer.echo(f"  {label + ':':<{_LABEL_WIDTH}}{value}")


def edit(
    record_id: RecordId,
    title: Annotated[Optional[str], typer.Option("--title", "-t", help="New Course/Seminar Title.")] = None,
    credits: Annotated[Optional[str], typer.Option("--credits", "-c", help="New CPE Credits, e.g. 1.5.")] = None,
    field: Annotated[Optional[str], typer.Option("--field", "-f", autocompletion=complete_fields,
                                                 help="New NASBA field of study.")] = None,
    state: Annotated[Optional[str], typer.Option("--state", autocompletion=complete_states,
                                                 help="New jurisdiction: code or name; '' clears it.")] = None,
    on: Annotated[Optional[str], typer.Option("--date", "-d", metavar="DATE",
                                              help="New completion date; not in the future.")] = None,
    delivery: Annotated[Optional[str], typer.Option("--delivery", "-m", autocompletion=complete_delivery,
                                                    help="New delivery method.")] = None,
    provider: Annotated[Optional[str], typer.Option("--provider", "-P", help="New provider / sponsor.")] = None,
    description: Annotated[Optional[str], typer.Option("--description",
                                                       help="New Course Description; '' clears it.")] = None,
    certificate: Annotated[Optional[Path], typer.Option(
        "--certificate", metavar="PATH", help="Attach this certificate file, replacing the current one.")] = None,
    remove_certificate: Annotated[bool, typer.Option("--remove-certificate",
                                                     help="Remove the record's certificate file.")] = False,
    source: Annotated[Optional[str], typer.Option("--source", "-s", metavar="external|lumiq",
                                                  autocompletion=complete_record_sources, help="New source.")] = None,
    no_input: Annotated[bool, typer.Option("--no-input", help="Never prompt; fail when no change is given.")] = False,
) -> None:
    """Change a record: the options given, or on a terminal the whole form with the current values as defaults.

    Validation is exactly 'cpe add''s. The change is atomic: a replaced
    certificate's old file is removed only once the new state is committed.
    """
    from ..ops import lifecycle
    from ..store.certificates import check_certificate
    from ..core.credits import increment_warning
    from ..core.records import build_record

    if certificate is not None and remove_certificate:
        raise CpeError.invalid("give either --certificate (replace) or --remove-certificate, not both")
    today = resolve_today()
    home = resolve_home()
    given = {"title": title, "credits": credits, "field_of_study": field, "state": state, "date": on,
             "delivery_method": delivery, "provider": provider, "description": description, "source": source}
    given = {name: value for name, value in given.items() if value is not None}
    with lifecycle.existing_ledger(home, _missing_record(record_id)) as ledger:
        before = ledger.get(record_id)
    values = lifecycle.record_values(before)
    if given or certificate is not None or remove_certificate:
        values.update(given)
        if certificate is not None:
            certificate = certificate.expanduser()
            check_certificate(certificate)
    elif not no_input and stdin_is_terminal():
        from .form import edit_form

        values, certificate, remove_certificate = edit_form(before, today, home)
    else:
        raise CpeError.invalid("nothing to change: give the fields to change as options (e.g. --credits 2.5; "
                               "see 'cpe edit --help'), or run 'cpe edit ID' on a terminal to walk the form")
    record, _ = build_record(values, today)
    if (record.credits, record.delivery_method) != (before.credits, before.delivery_method):
        message = increment_warning(record.credits, record.delivery_method)
        if message:
            warn(message)
    with lifecycle.existing_ledger(home, _missing_record(record_id)) as ledger:
        after = lifecycle.edit_record(ledger, before, record, today, certificate_file=certificate,
                                      remove_certificate=remove_certificate)
        if after is None:
            typer.echo(f"Record {record_id} unchanged.")
            return
        duplicate = ledger.find_duplicate(after, exclude_id=after.id)
        if duplicate is not None:
            warn(f"record {after.id} now looks like a duplicate of record {duplicate} "
                 "(same source, title, date, provider, credits, field and method)")
        typer.echo(f"Updated record {after.id}: {_plain('; '.join(lifecycle.describe_changes(before, after)))}.")
        _echo_year_to_date(ledger, today)


def rm(
    record_ids: Annotated[Optional[list[int]], typer.Argument(metavar="ID...", min=1, max=_MAX_ID, show_default=False,
                                                              help="The records to remove.")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (needed in scripts).")] = False,
    purge: Annotated[bool, typer.Option("--purge", help="Remove for good, skipping the trash (no undo).")] = False,
    undo: Annotated[bool, typer.Option("--undo", help="Bring back the last removal from the trash.")] = False,
) -> None:
    """Remove records and their certificate files: to the trash for 30 days ('cpe rm --undo' brings the last
    removal back), or with --purge for good. Asks first on a terminal; scripts pass --yes."""
    from ..ops import lifecycle

    today = resolve_today()
    home = resolve_home()
    if undo:
        if record_ids or purge:
            raise CpeError.invalid("--undo takes no ids and no --purge: it brings back the last removal")
        with lifecycle.existing_ledger(home, "the trash is empty: nothing to undo") as ledger:
            restored = lifecycle.undo_removal(ledger, today)
            for item in restored:
                moved = "" if item.record.id == item.original_id else \
                    f" (as record {item.record.id}: id {item.original_id} was taken by a newer record)"
                typer.echo(f"Restored record {item.original_id}{moved}: {_summary(item.record)}")
            _echo_year_to_date(ledger, today)
        return
    if not record_ids:
        raise CpeError.invalid("give the id of at least one record to remove (see 'cpe list'), "
                               "or --undo to bring back the last removal")
    if not yes and not stdin_is_terminal():
        raise CpeError.invalid("cpe rm asks for confirmation, and standard input is not a terminal: "
                               "add --yes to remove without asking")
    with lifecycle.existing_ledger(home, _missing_record(record_ids[0])) as ledger:
        doomed = lifecycle.fetch(ledger, record_ids)
    if not yes:
        _confirm_removal(doomed, purge)
    with lifecycle.existing_ledger(home, _missing_record(record_ids[0])) as ledger:
        removed = lifecycle.remove_records(ledger, record_ids, today, purge=purge)
        where = "for good" if purge else "to the trash (undo: cpe rm --undo)"
        for record in removed:
            typer.echo(f"Removed record {record.id}: {_summary(record)}; {where}")
        _echo_year_to_date(ledger, today)


def _confirm_removal(doomed, purge: bool) -> None:
    from ..core.credits import format_total

    total = format_total(sum(record.credits for record in doomed))
    typer.echo("\n".join(f"  {record.id:>5}  {_summary(record)}" for record in doomed))
    count = f"{len(doomed)} record{'s' if len(doomed) != 1 else ''} ({total} credits)"
    if purge:
        question = f"Remove {count} and their certificate files for good? This cannot be undone."
    else:
        question = f"Remove {count}? They stay in the trash for 30 days ('cpe rm --undo' brings them back)."
    if not typer.confirm(question, default=False):
        typer.echo("Nothing removed.", err=True)
        raise typer.Exit(1)


def verify(
    repair: Annotated[bool, typer.Option("--repair", help="Remove stray files in certificates/ (after listing "
                                                          "them); never deletes a record.")] = False,
) -> None:
    """Check that the ledger is whole: SQLite integrity, schema version, every certificate file and its
    SHA-256, no stray files, every record valid under today's rules. Lists each problem and exits 1."""
    from ..ops.lifecycle import existing_ledger
    from ..ops.verify import verify_ledger

    home = resolve_home()
    today = resolve_today()
    with existing_ledger(home, f"there is no ledger in {home} to verify") as ledger:
        report = verify_ledger(ledger, today, repair=repair)
    for line in report.repaired + report.problems:
        typer.echo(_plain(line, keep="\t"))
    if report.problems:
        raise CpeError.failed(f"the ledger has {len(report.problems)} problem{'s' if len(report.problems) != 1 else ''}"
                              " (listed above)")
    trash = f", {report.trash} in the trash" if report.trash else ""
    typer.echo(f"Ledger is whole: {report.records} record{'s' if report.records != 1 else ''}{trash}, "
               f"{report.certificates} certificate file{'s' if report.certificates != 1 else ''} matching their "
               f"SHA-256, SQLite integrity ok, schema version {report.schema_version}.")


def backup(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The archive to write, e.g. cpe-backup.tar.gz.")],
    force: Force = False,
) -> None:
    """Write the whole ledger (a consistent database snapshot and every certificate file, with a checksum
    manifest) to one archive; safe while other cpe commands run."""
    from ..ops.backup import create_backup

    summary = create_backup(resolve_home(), file, force=force)
    for message in summary.warnings:
        warn(message)
    typer.echo(f"Backed up {summary.records} record{'s' if summary.records != 1 else ''}"
               f"{f' (and {summary.trash} in the trash)' if summary.trash else ''} and {summary.certificates} "
               f"certificate file{'s' if summary.certificates != 1 else ''} to {summary.path} "
               f"({summary.size:,} bytes).")


def restore(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="An archive written by 'cpe backup'.")],
    force: Annotated[bool, typer.Option("--force", help="Replace a ledger that holds records (kept aside until "
                                                        "the restore has succeeded).")] = False,
) -> None:
    """Restore a backup into the home, after checking the whole archive; refuses to replace a ledger that holds
    records unless --force."""
    from ..ops.backup import restore_backup

    home = resolve_home()
    summary = restore_backup(home, file, resolve_today(), force=force)
    for message in summary.warnings:
        warn(message)
    replaced = f", replacing {summary.replaced}" if summary.replaced else ""
    typer.echo(f"Restored {summary.records} record{'s' if summary.records != 1 else ''}"
               f"{f' (and {summary.trash} in the trash)' if summary.trash else ''} and {summary.certificates} "
               f"certificate file{'s' if summary.certificates != 1 else ''} from the backup of "
               f"{summary.created_at or 'an unknown date'} into {home}{replaced}.")


def register(app) -> None:
    """Add this module's commands to the app."""
    app.command()(show)
    app.command()(edit)
    app.command()(rm)
    app.command()(verify)
    app.command()(backup)
    app.command()(restore)
