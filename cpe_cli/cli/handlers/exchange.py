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

from .. import output
from ...core.environment import resolve_home, resolve_today
from .ledger import view_of

PROGRESS_MIN_BYTES = 1024 * 1024  # smaller files import in a blink: no bar


def export_csv(*, preset=None, start=None, end=None, year=None, source="all", field=None, tags=None,
               output_file: Path | None = None, force=False, raw=False) -> None:
    from ...ops.exporter import check_output, is_standard_output, write_csv_file, write_view_csv
    from ...store.ledger import open_ledger

    filters = view_of(preset, start, end, year, source, field, tags)
    home = resolve_home()
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
               output_file: Path | None = None, force=False, skip_missing=False) -> None:
    from ...ops.exporter import check_output, is_standard_output, nothing_to_package, write_zip
    from ...store.exchange import ledger_exists
    from ...store.ledger import open_ledger

    filters = view_of(preset, start, end, year, source, field, tags)
    home = resolve_home()
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
    elif not summary.certificates:
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


def import_records(*, file: str, source=None, dry_run=False, raw=False, as_json=False,
                   certificates_dir: Path | None = None, maps=None, value_maps=None, delimiter=None,
                   day_first=False, file_format=None, errors_file: Path | None = None,
                   skip_missing=False) -> None:
    from ...core.errors import CpeError
    from ...core.import_words import parse_column_maps, parse_delimiter, parse_value_maps
    from ...core.records import match_source
    from ...ops.importer import ImportOptions, ImportRefused, import_into, open_csv, read_header

    home, today = resolve_home(), resolve_today()
    default_source = match_source(source) if source is not None else None
    if file_format is not None and file_format.strip().lower() not in ("csv", "json"):
        raise CpeError.invalid(f"--format {file_format!r} is not csv or json")
    options = ImportOptions(column_maps=parse_column_maps(maps), value_maps=parse_value_maps(value_maps),
                            delimiter=parse_delimiter(delimiter) if delimiter is not None else None,
                            day_first=day_first, file_format=file_format.strip().lower() if file_format else None,
                            skip_missing=skip_missing)
    with _errors_writer(errors_file) as sink:
        if sink is not None:
            from dataclasses import replace

            options = replace(options, errors=sink)
        try:
            with open_csv(file, _stdin_bytes(), certificates_dir) as csv_source, \
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
        output.data_json_line({"imported": result.added, "skipped": result.duplicates, "batch": None,
                               "dry_run": result.dry_run})
    credits = f"{output.credits(result.credits)} credits"
    if result.dry_run:
        output.message(f"Dry run: would import {output.plural(result.added, 'record')} ({credits}) and skip "
                       f"{output.plural(result.duplicates, 'duplicate')}; nothing was written.")
        return
    attached = f", {output.plural(result.certificates, 'certificate')} attached" if result.certificates else ""
    output.message(f"Imported {output.plural(result.added, 'record')} ({credits}{attached}); skipped "
                   f"{output.plural(result.duplicates, 'duplicate')}.")
