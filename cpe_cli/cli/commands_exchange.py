"""Commands of the exchange capability: ``cpe export csv``, ``cpe export zip`` and ``cpe import``.

Loaded on every run (``cli.py`` registers it), TAB completion included, so
only typer and light cpe modules are imported at the top; the core work
(``exporter``, ``importer``) and csv, zipfile and Rich load inside the commands.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer

from .options import FieldFilter, FromDate, Preset, SourceFilter, ToDate, Year, complete_record_sources
from ..core.environment import resolve_home, resolve_today
from .group import warn

PROGRESS_MIN_BYTES = 1024 * 1024  # smaller files import in a blink: no bar

Force = Annotated[bool, typer.Option("--force", help="Replace the output file if it already exists.")]


def _view(preset, start, end, year, source, field):
    from ..core.views import resolve_filters

    return resolve_filters(resolve_today(), preset, start, end, year, source, field)


export_app = typer.Typer(
    name="export",
    help="Export the records of a view: CSV for other tools, or a ZIP of certificates for an audit.",
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@contextmanager
def _utf8_stdout() -> Iterator:
    """Standard output as UTF-8 text whatever the locale (the CSV contract), and fast.

    A file object of its own over file descriptor 1 (not closing it), without
    the newline translation of ``sys.stdout``: about 15% of a large export's time.
    """
    import io

    sys.stdout.flush()
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file: a test runner's capture
        wrapper = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
        try:
            yield wrapper
            wrapper.flush()
        finally:
            wrapper.detach()
        return
    with open(descriptor, "w", encoding="utf-8", newline="", closefd=False, buffering=1 << 16) as stream:
        yield stream


@export_app.command("csv")
def export_csv(
    preset: Preset = None, start: FromDate = None, end: ToDate = None, year: Year = None,
    source: SourceFilter = "all", field: FieldFilter = None,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", metavar="FILE",
        help="Write to FILE (atomically) instead of standard output (- is standard output).")] = None,
    force: Force = False,
    raw: Annotated[bool, typer.Option(
        "--raw", help="Write cells untouched, for pipelines: no ' before a cell starting with = + - @ tab, "
                      "CR or ' (which protects spreadsheets).")] = False,
) -> None:
    """Write the view's records as CSV, oldest first: the columns of `cpe list --format csv`.

    Same view options as `cpe list` (default: year to date). Cells that a
    spreadsheet would run as a formula get a leading ' unless --raw; `cpe
    import` removes it again.
    """
    from ..core.credits import format_total
    from ..ops.exporter import write_csv_file, write_view_csv
    from ..store.ledger import open_ledger

    filters = _view(preset, start, end, year, source, field)
    if output is not None and str(output) == "-":
        output = None
    with open_ledger(resolve_home()) as ledger:
        if output is None:
            with _utf8_stdout() as stream:
                summary = write_view_csv(ledger, filters, stream, raw=raw)
        else:
            target, summary = write_csv_file(ledger, filters, output, force=force, raw=raw)
    if not summary.count:
        warn("no records in this view: the CSV has only its header (widen the view, e.g. --preset all-time)")
    if output is not None:
        typer.echo(f"Wrote {_plural(summary.count, 'record')} ({format_total(summary.credits)} credits) "
                   f"to {target}.")


@export_app.command("zip")
def export_zip(
    preset: Preset = None, start: FromDate = None, end: ToDate = None, year: Year = None,
    source: SourceFilter = "all", field: FieldFilter = None,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", metavar="FILE.zip",
        help="Archive to write. Default: cpe-certificates-<from>-<to>.zip in the current folder, named by "
             "the view's first and last days.")] = None,
    force: Force = False,
    skip_missing: Annotated[bool, typer.Option(
        "--skip-missing", help="Leave out certificates missing from the store (named in a warning) "
                               "instead of failing.")] = False,
) -> None:
    """Package the view's certificates and a manifest.csv for an auditor or a state board.

    Each certificate is stored as <date>_<title>_<id>.<ext>; manifest.csv is
    the CSV export of every record in the view (with or without a
    certificate) plus its zip_entry and sha256. Same view options as `cpe list`.
    """
    from ..core.credits import format_total
    from ..ops.exporter import write_zip
    from ..store.ledger import open_ledger

    filters = _view(preset, start, end, year, source, field)
    with open_ledger(resolve_home()) as ledger:
        target, summary = write_zip(ledger, filters, output, force=force, skip_missing=skip_missing)
    if summary.missing:
        shown = ", ".join(str(record_id) for record_id in summary.missing[:20])
        more = len(summary.missing) - 20
        warn(f"{_plural(len(summary.missing), 'certificate')} missing from the store left out (record"
             f"{'s' if len(summary.missing) > 1 else ''} {shown}{f' and {more} more' if more > 0 else ''}); "
             "the manifest lists them with an empty zip_entry")
    elif not summary.certificates:
        warn(f"none of the {_plural(summary.count, 'record')} in this view has a certificate; the archive "
             "holds only manifest.csv")
    typer.echo(f"Wrote {target}: {_plural(summary.certificates, 'certificate')} and manifest.csv listing "
               f"{_plural(summary.count, 'record')} ({format_total(summary.credits)} credits).")


def _stdin_bytes():
    return getattr(sys.stdin, "buffer", sys.stdin)


@contextmanager
def _progress_bar(size: int | None) -> Iterator[Callable[[int], None] | None]:
    """A Rich bar on standard error, only on a terminal and for a file large enough to wait for."""
    if size is None or size < PROGRESS_MIN_BYTES or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    from .render import console

    with Progress(TextColumn("Reading"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                  console=console(stderr=True), transient=True) as bar:
        task = bar.add_task("import", total=size)
        yield lambda done: bar.update(task, completed=done)


def import_records(
    file: Annotated[str, typer.Argument(metavar="FILE|-", help="CSV file to read, or - for standard input.")],
    source: Annotated[Optional[str], typer.Option(
        "--source", "-s", metavar="lumiq|external", autocompletion=complete_record_sources,
        help="Source of rows that have none (default external; platform exports: lumiq).")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Validate every row and report what would be added; write nothing.")] = False,
    raw: Annotated[bool, typer.Option(
        "--raw", help="Read cells as they are: keep a leading ' (for files written with export --raw).")] = False,
) -> None:
    """Add the records of a CSV file: all of them, or none if any row is invalid.

    Rows are checked with the rules of `cpe add` (the date is required).
    Headers are matched by common spellings (this tool's export, platform
    exports). Rows identical to an existing record or an earlier row are
    skipped. A certificate cell naming a file (relative to the CSV's folder)
    attaches it.
    """
    from ..core.credits import format_total
    from ..ops.importer import import_rows, open_csv, read_header
    from ..store.ledger import open_ledger
    from ..core.records import match_source

    today = resolve_today()
    default_source = match_source(source) if source is not None else None
    with open_csv(file, _stdin_bytes()) as csv_source, _progress_bar(csv_source.size) as progress:
        plan = read_header(csv_source, warn, progress)
        with open_ledger(resolve_home()) as ledger:
            result = import_rows(ledger, plan, today=today, default_source=default_source, dry_run=dry_run,
                                 raw=raw, warn=warn)
    if not result.rows:
        warn(f"{csv_source.shown} has a header but no records")
    credits = f"{format_total(result.credits)} credits"
    if result.dry_run:
        typer.echo(f"Dry run: would import {_plural(result.added, 'record')} ({credits}) and skip "
                   f"{_plural(result.duplicates, 'duplicate')}; nothing was written.")
        return
    attached = f", {_plural(result.certificates, 'certificate')} attached" if result.certificates else ""
    typer.echo(f"Imported {_plural(result.added, 'record')} ({credits}{attached}); skipped "
               f"{_plural(result.duplicates, 'duplicate')}.")


def register(app) -> None:
    """Add this module's commands to the app."""
    app.add_typer(export_app, name="export")
    app.command("import")(import_records)

