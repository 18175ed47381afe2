"""What ``cpe export csv``, ``cpe export zip`` and ``cpe import`` do: core calls in, output out.

Handlers shared by the Typer app and the fast route (see ``handlers/ledger.py``).
The core work (``ops.exporter``, ``ops.importer``), csv, zipfile and Rich
load inside the handler that needs them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from . import as_path
from .. import output
from ...core.environment import resolve_home, resolve_today
from .ledger import view_of

PROGRESS_MIN_BYTES = 1024 * 1024  # smaller files import in a blink: no bar


def export_csv(*, preset=None, start=None, end=None, year=None, source="all", field=None, tags=None,
               output_file: str | None = None, force=False, raw=False, no_certificate=False, batch=None) -> None:
    from ...ops.exporter import check_output, is_standard_output, write_csv_file, write_view_csv
    from ...store.ledger import open_ledger

    filters = view_of(preset, start, end, year, source, field, tags, no_certificate=no_certificate, batch=batch)
    home, output_file = resolve_home(), as_path(output_file)
    if is_standard_output(output_file):  # -, /dev/stdout: standard output, as without -o (no --force needed)
        output_file = None
    if output_file is not None:
        check_output(output_file, force=force, home=home)  # a refused -o creates nothing, not even the home
    with open_ledger(home, create=False) as ledger:  # a read: a home not made yet is read as empty
        if output_file is None:
            with output.utf8_stdout() as stream:
                summary = write_view_csv(ledger, filters, stream, raw=raw)
        else:
            target, summary = write_csv_file(ledger, filters, output_file, force=force, raw=raw)
    if not summary.count:
        output.warn("no records in this view: the CSV has only its header (widen the view, e.g. --preset all-time)")
    if output_file is not None:
        output.message(f"Wrote {output.plural(summary.count, 'record')} ({output.credits(summary.credits)} credits) "
                       f"to {target}.")


def export_zip(*, preset=None, start=None, end=None, year=None, source="all", field=None, tags=None,
               output_file: str | None = None, force=False, skip_missing=False, no_certificate=False,
               batch=None) -> None:
    """The audit package. With ``--no-certificate`` it is still a package: ``manifest.csv`` alone, listing the
    records that lack a certificate (what to find before an audit), and ``cpe import`` reads it back."""
    from ...ops.exporter import check_output, is_standard_output, nothing_to_package, write_zip
    from ...store.exchange import ledger_exists
    from ...store.ledger import open_ledger

    filters = view_of(preset, start, end, year, source, field, tags, no_certificate=no_certificate, batch=batch)
    home, output_file = resolve_home(), as_path(output_file)
    to_stdout = is_standard_output(output_file)
    # Refusals first, so that a failed export creates nothing (not even the home).
    if output_file is not None and not to_stdout:
        check_output(output_file, force=force, home=home)
    if not ledger_exists(home):
        raise nothing_to_package(filters)
    stream = None
    if to_stdout:
        sys.stdout.flush()
        stream = getattr(sys.stdout, "buffer", None)
        if stream is None:
            from ...core.errors import CpeError

            raise CpeError.failed("standard output cannot take binary data here; give -o FILE.zip")
    with open_ledger(home) as ledger:
        target, summary = write_zip(ledger, filters, output_file, force=force, skip_missing=skip_missing,
                                    stream=stream)
    if stream is not None:
        stream.flush()
    if summary.missing:
        shown = ", ".join(str(record_id) for record_id in summary.missing[:20])
        more = len(summary.missing) - 20
        output.warn(f"{output.plural(len(summary.missing), 'certificate')} missing from the store left out (record"
                    f"{'s' if len(summary.missing) > 1 else ''} {shown}{f' and {more} more' if more > 0 else ''}); "
                    "the manifest lists them with an empty zip_entry")
    elif not summary.certificates and not filters.no_certificate:
        output.warn(f"none of the {output.plural(summary.count, 'record')} in this view has a certificate; the "
                    "archive holds only manifest.csv")
    output.message(f"Wrote {target}: {output.plural(summary.certificates, 'certificate')} and manifest.csv listing "
                   f"{output.plural(summary.count, 'record')} ({output.credits(summary.credits)} credits).")


@contextmanager
def _errors_writer(path: Path | None) -> Iterator[Callable[[int, str, str, str], None] | None]:
    """``--errors FILE``: every problem of the rows as a CSV line (line,column,value,problem)."""
    if path is None:
        yield None
        return
    import csv

    from ...core.errors import CpeError

    try:
        handle = open(path.expanduser(), "w", encoding="utf-8", newline="")
    except OSError as problem:
        raise CpeError.invalid(f"--errors {str(path)!r} cannot be written: {problem.strerror}") from None
    with handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(("line", "column", "value", "problem"))
        yield lambda line, column, value, problem: writer.writerow((line, column, value, problem))


def _stdin_bytes():
    return getattr(sys.stdin, "buffer", sys.stdin)


@contextmanager
def _progress_bar(size: int | None) -> Iterator[Callable[[int], None] | None]:
    """A Rich bar on standard error, only on a terminal and for a file large enough to wait for."""
    if size is None or size < PROGRESS_MIN_BYTES or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    from ..badge import console

    with Progress(TextColumn("Reading"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                  console=console(stderr=True), transient=True) as bar:
        task = bar.add_task("import", total=size)
        yield lambda done: bar.update(task, completed=done)


# The options that only mean something when a file is imported, by destination, with their spelling.
_IMPORT_OPTIONS = {"source": "--source", "dry_run": "--dry-run", "raw": "--raw",
                   "certificates_dir": "--certificates-dir", "maps": "--map", "value_maps": "--map-value",
                   "delimiter": "--delimiter", "day_first": "--day-first", "file_format": "--format",
                   "errors_file": "--errors", "skip_missing": "--skip-missing"}
FORMATS = ("csv", "json", "zip")


def import_records(*, file: str | None = None, source=None, dry_run=False, raw=False, as_json=False,
                   certificates_dir: str | None = None, maps=None, value_maps=None, delimiter=None,
                   day_first=False, file_format=None, errors_file: str | None = None,
                   skip_missing=False, history=False, undo=False, yes=False) -> None:
    """``cpe import FILE|-``, or with ``--history`` the list of imports, or with ``--undo [BATCH]`` one taken
    back. FILE and the batch share the one argument; what does not fit the mode is an error, not ignored."""
    from ...core.errors import CpeError

    certificates_dir, errors_file = as_path(certificates_dir), as_path(errors_file)
    if history or undo:
        given = locals()
        extra = [flag for name, flag in _IMPORT_OPTIONS.items() if given[name] not in (None, False, [])]
        mode = "--history" if history else "--undo"
        if history and undo:
            raise CpeError.invalid("give --history (list the imports) or --undo (take one back), not both")
        if extra:
            raise CpeError.invalid(f"{extra[0]} goes with importing a file, not with {mode}")
        if history:
            if file is not None:
                raise CpeError.invalid(f"--history lists the imports and takes no file (got {file!r}); to import "
                                       "it, leave out --history")
            if yes:
                raise CpeError.invalid("--yes goes with --undo")
            return _history(as_json)
        return _undo(file, yes=yes, as_json=as_json)
    if file is None:
        raise CpeError.invalid("give the file to import (CSV, JSON or a ZIP from 'cpe export zip'), or - for "
                               "standard input; or --history to list the imports, --undo to take one back")
    if yes:
        raise CpeError.invalid("--yes goes with --undo (to undo an import whose records were edited since)")
    _import_file(file, source=source, dry_run=dry_run, raw=raw, as_json=as_json, certificates_dir=certificates_dir,
                 maps=maps, value_maps=value_maps, delimiter=delimiter, day_first=day_first, file_format=file_format,
                 errors_file=errors_file, skip_missing=skip_missing)


def _history(as_json: bool) -> None:
    """The import batches, oldest first: a table (or JSON) on standard output."""
    from ...ops.import_batches import history

    found = history(resolve_home())
    if as_json:
        output.data_json([{"batch": batch.id, "imported_at": batch.imported_at, "file": batch.source_name,
                           "imported": batch.imported, "skipped": batch.skipped, "in_ledger": batch.in_ledger}
                          for batch in found])
        return
    if not found:
        output.message("No imports yet: each 'cpe import' that adds records is listed here as a batch.")
        return
    import shutil

    from ..table import Column, layout, render, safe_text

    columns = [Column("Batch", "right"), Column("Imported at (UTC)"), Column("File", flexible=True),
               Column("Imported", "right"), Column("Skipped", "right"), Column("In ledger", "right")]
    rows = [[str(batch.id), batch.imported_at[:19].replace("T", " "), safe_text(batch.source_name),
             f"{batch.imported:,}", f"{batch.skipped:,}", f"{batch.in_ledger:,}"] for batch in found]
    widths, _ = layout(columns, rows, max(shutil.get_terminal_size((100, 24)).columns, 60))
    output.data("\n".join(render(columns, rows, ("", ""), widths)))


def _undo(argument: str | None, *, yes: bool, as_json: bool) -> None:
    """Move an import batch's records to the trash; ask (on a terminal) or refuse when some were edited."""
    from ...core.errors import CpeError
    from ...core.periods import preset_window
    from ...core.views import Filters
    from ...ops import import_batches
    from ...ops.lifecycle import existing_ledger

    batch_id = None
    if argument is not None:
        text = argument.strip()
        if not text.isdigit() or not 0 < int(text) < 2**63:
            raise CpeError.invalid(f"--undo takes an import batch id ('cpe import --history' lists them), not "
                                   f"{argument!r}")
        batch_id = int(text)
    home, today = resolve_home(), resolve_today()
    with existing_ledger(home, "no import to undo: there is no ledger yet") as ledger:
        plan = import_batches.plan_undo(ledger, batch_id)
    allowed: int | None = 0
    if yes:
        allowed = None
    elif plan.edited:
        if not output.stdin_is_terminal():
            raise import_batches.edited_refusal(plan.batch, plan.edited)
        from ..form import confirm

        batch = plan.batch
        if not confirm(f"{output.plural(plan.edited, 'record')} of import batch {batch.id} "
                       f"({output.plain(batch.source_name)}) {'was' if plan.edited == 1 else 'were'} edited after "
                       f"the import. Undo all {batch.in_ledger:,}, edits included?"):
            raise CpeError.failed("nothing undone")
        allowed = plan.edited
    with existing_ledger(home, "no import to undo: there is no ledger yet") as ledger:
        undone = import_batches.undo(ledger, plan.batch.id, today, edited_allowed=allowed)
        ytd = ledger.total(Filters(window=preset_window("ytd", today)))
    if as_json:
        output.data_json_line({"batch": undone.batch.id, "undone": undone.removed, "credits": float(undone.credits),
                               "edited": undone.edited})
    edited = f", {undone.edited:,} of them edited since" if undone.edited else ""
    output.message(f"Undid import batch {undone.batch.id} ({undone.batch.source_name}): "
                   f"{output.plural(undone.removed, 'record')} ({output.credits(undone.credits)} credits{edited}) "
                   "moved to the trash; 'cpe rm --undo' brings them back.")
    output.year_to_date(ytd)


def _import_file(file: str, *, source, dry_run, raw, as_json, certificates_dir, maps, value_maps, delimiter,
                 day_first, file_format, errors_file, skip_missing) -> None:
    from ...core.errors import CpeError
    from ...core.import_words import parse_column_maps, parse_delimiter, parse_value_maps
    from ...core.records import match_source
    from ...ops.importer import ImportOptions, ImportRefused, import_into, open_csv, read_header

    home, today = resolve_home(), resolve_today()
    default_source = match_source(source) if source is not None else None
    if file_format is not None and file_format.strip().lower() not in FORMATS:
        raise CpeError.invalid(f"--format {file_format!r} is not csv, json or zip")
    options = ImportOptions(column_maps=parse_column_maps(maps), value_maps=parse_value_maps(value_maps),
                            delimiter=parse_delimiter(delimiter) if delimiter is not None else None,
                            day_first=day_first, file_format=file_format.strip().lower() if file_format else None,
                            skip_missing=skip_missing)
    with _errors_writer(errors_file) as sink:
        if sink is not None:
            from dataclasses import replace

            options = replace(options, errors=sink)
        try:
            with open_csv(file, _stdin_bytes(), certificates_dir, options.file_format) as csv_source, \
                    _progress_bar(csv_source.size) as progress:
                plan = read_header(csv_source, output.warn, progress, options)
                result = import_into(home, plan, today=today, default_source=default_source, dry_run=dry_run,
                                     raw=raw, warn=output.warn)
        except ImportRefused as refused:
            for line in refused.lines:
                output.message(line)
            if errors_file is not None:
                refused.message += f"; every problem is in {errors_file}"
            raise
    if not result.rows:
        output.warn(f"{csv_source.shown} has a header but no records")
    if as_json:
        output.data_json_line({"imported": result.added, "skipped": result.duplicates, "batch": result.batch,
                               "dry_run": result.dry_run})
    credits = f"{output.credits(result.credits)} credits"
    if result.dry_run:
        output.message(f"Dry run: would import {output.plural(result.added, 'record')} ({credits}) and skip "
                       f"{output.plural(result.duplicates, 'duplicate')}; nothing was written.")
        return
    attached = f", {output.plural(result.certificates, 'certificate')} attached" if result.certificates else ""
    output.message(f"Imported {output.plural(result.added, 'record')} ({credits}{attached}); skipped "
                   f"{output.plural(result.duplicates, 'duplicate')}.")
