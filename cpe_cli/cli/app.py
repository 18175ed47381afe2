"""The ``cpe`` command line, declared once: every command and option lives here.

Each declaration below is a signature and a help text, nothing more: its
body is never run. ``command()`` registers it with Typer and binds it to
its handler in ``cli/handlers/`` (named ``"module:function"``), which the
Typer route and the fast route (``cli/fast_route.py``, reading the spec
generated from this app into ``cli/spec.py``) both call with the same
keyword arguments. So adding an option means: declare it here, take it in
the handler, test it; ``python -m cpe_cli.cli.spec_build --write``
regenerates the spec, and a test fails when it is stale.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from .. import __version__
from .completers import (complete_declarable, complete_delivery, complete_field_filters, complete_fields,
                         complete_presets,
                         complete_profiles, complete_record_ids, complete_record_sources, complete_sources,
                         complete_states, complete_tags)
from .group import CpeGroup

HANDLERS_PACKAGE = "cpe_cli.cli.handlers"


def _typer(**settings) -> typer.Typer:
    if "help" in settings:
        settings.setdefault("short_help", short_help(settings["help"]))
    return typer.Typer(cls=CpeGroup, pretty_exceptions_enable=False, rich_markup_mode=None,
                       context_settings={"help_option_names": ["-h", "--help"]}, **settings)


def short_help(text: str) -> str:
    """A command's line in ``cpe --help``: its help up to the first ": ", " (", "; " or ". ", so that it
    reads whole at 80 columns instead of being cut with "..." (the help itself keeps every word)."""
    first = " ".join((text or "").split())
    cuts = [first.find(mark) for mark in (": ", " (", "; ", ". ")]
    cut = min((at for at in cuts if at >= 12), default=len(first))
    return first[:cut].rstrip(".") if cut < len(first) else first.rstrip(".")


app = _typer(no_args_is_help=True, add_completion=True)
export_app = _typer(name="export", no_args_is_help=True,
                    help="Export the records of a view: CSV for other tools, or a ZIP of certificates for an audit.")
app.add_typer(export_app, name="export")
profile_app = _typer(name="profile", no_args_is_help=True,
                     help="The rule profiles of licensing boards (and your own): list, show, track, stop tracking.")
app.add_typer(profile_app, name="profile")


# Real command lines that end each command's help, as git's do (by handler: one table, read by command()). Each
# fits an 80-column terminal with the help's indent of 5 (tests/test_help_text.py).
EXAMPLES: dict[str, tuple[str, ...]] = {
    "ledger:total": (
        'cpe total',
        'cpe total --preset last-30-days --source external',
        'cpe total --year 2025 --by month',
        'x=$(cpe total --field tax)',
    ),
    "ledger:list_records": (
        'cpe list --preset all-time --field tax',
        'cpe list --sort credits -n 5',
        'cpe list --from 2026-01-01 --to 2026-03-31 --format csv > q1.csv',
    ),
    "ledger:add": (
        'cpe add    (on a terminal: the form asks for what is missing)',
        'cpe add -t "Ethics for CPAs" -c 4 -f "reg eth" -m live -P AICPA -d 6/1/2026',
        'cpe add -t Ethics -c 4 -f reg -m live -P AICPA --certificate cert.pdf',
        'id=$(cpe add --no-input --json -t Tax -c 2 -f tax -m self -P EY | jq .id)',
    ),
    "ledger:catalog": (
        'cpe catalog fields',
        'cpe catalog states --json',
    ),
    "ledger:info": (
        'cpe info',
        'cpe info --json | jq .records',
    ),
    "exchange:export_csv": (
        'cpe export csv --preset all-time > ledger.csv',
        'cpe export csv --year 2025 -o 2025.csv',
    ),
    "exchange:export_zip": (
        'cpe export zip --year 2025',
        'cpe export zip --preset all-time -o audit.zip --skip-missing',
    ),
    "exchange:import_records": (
        'cpe import platform-export.csv --source lumiq --dry-run',
        'cpe import uk.csv --day-first --map "Hrs Awarded=credits" --errors bad.csv',
        'CPE_HOME=~/new cpe import audit.zip   (a cpe export zip, with certificates)',
        'cpe import --history',
        'cpe import --undo --yes',
    ),
    "lifecycle:show": (
        'cpe show 12',
        'cpe show 12 --json | jq .certificate_sha256',
    ),
    "lifecycle:edit": (
        'cpe edit 12    (on a terminal: the form, with the current values)',
        'cpe edit 12 --credits 2.5 --tag fl-ethics',
        'cpe edit 12 --certificate new-cert.pdf',
    ),
    "lifecycle:rm": (
        'cpe rm 12',
        'cpe rm 12 13 --yes',
        'cpe rm --undo',
    ),
    "lifecycle:verify": (
        'cpe verify',
        'cpe verify --repair',
    ),
    "lifecycle:backup": (
        'cpe backup ~/cpe-backup-$(date +%F).tar.gz',
    ),
    "lifecycle:restore": (
        'cpe restore ~/cpe-backup-2026-11-30.tar.gz',
        'CPE_HOME=/tmp/try cpe restore b.tar.gz && CPE_HOME=/tmp/try cpe verify',
    ),
    "compliance:profile_list": (
        'cpe profile list',
        'cpe profile list --json',
    ),
    "compliance:profile_show": (
        'cpe profile show ca',
        'cpe profile show tx --json',
    ),
    "compliance:profile_use": (
        'cpe profile use ny',
        'cpe profile use ca --period-end 2027-03-31 --declare attest',
    ),
    "compliance:profile_drop": (
        'cpe profile drop ny',
    ),
    "compliance:status": (
        'cpe status',
        'cpe status --check --warn-days 60 || echo "CPE short"',
        'cpe status --profile tx --period-end 2027-05-31 --json',
    ),
}


def command(parent: typer.Typer, name: str, handler: str, **settings):
    """Register the decorated declaration as command ``name``; running it calls ``handler`` with its options.

    The handler's ``EXAMPLES`` end the command's help, as git's do: real command lines a reader can copy.
    """
    examples = EXAMPLES.get(handler, ())
    if examples:
        settings["epilog"] = "\b\nExamples:\n" + "\n".join(f"  {example}" for example in examples)

    def bind(declaration):
        @functools.wraps(declaration)
        def run(**options):
            from importlib import import_module

            # A path reaches a handler as the text the user typed, on both routes: the fast route need not
            # import pathlib (5-12 ms) to hand ``cpe add --certificate`` a Path that is only opened; a handler
            # that works with the path makes a Path itself.
            options = {name: os.fspath(value) if isinstance(value, os.PathLike) else value
                       for name, value in options.items()}
            module, _, function = handler.partition(":")
            try:
                return getattr(import_module(f"{HANDLERS_PACKAGE}.{module}"), function)(**options)
            except KeyboardInterrupt as stop:  # Typer would end with 130 and say nothing: say as the fast route does
                from .failures import interrupted

                raise typer.Exit(interrupted(stop)) from None

        run.cpe_handler = handler  # read by the spec builder (Typer copies it onto the Click callback)
        settings.setdefault("short_help", short_help(declaration.__doc__ or ""))
        parent.command(name, **settings)(run)
        return declaration
    return bind


def _version_callback(value: bool) -> None:
    if value:
        from . import output

        output.data(f"cpe {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", callback=_version_callback, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Track Continuing Professional Education (CPE) credits in a ledger you own.

    Records and copies of certificates live in ~/.cpe (or $CPE_HOME). Dates
    are inclusive whole days; "today" is the local date or $CPE_TODAY.
    """


# -- options shared by every command that shows a view of the ledger ---------------------------------

Preset = Annotated[Optional[str], typer.Option(
    "--preset", "-p", metavar="NAME", autocompletion=complete_presets,
    help="Date window: ytd (default), last-7-days, last-30-days, last-year, all-time (or all).")]
FromDate = Annotated[Optional[str], typer.Option(
    "--from", metavar="DATE", help="First day, inclusive (overrides --preset; runs to today if --to is not given).")]
ToDate = Annotated[Optional[str], typer.Option(
    "--to", metavar="DATE", help="Last day, inclusive (overrides --preset; from the first record if --from is not given).")]
Year = Annotated[Optional[int], typer.Option(
    "--year", metavar="YYYY", help="One calendar year, 1 January to 31 December (not with --from/--to).")]
SourceFilter = Annotated[str, typer.Option(
    "--source", "-s", metavar="all|lumiq|external", autocompletion=complete_sources,
    help="Only platform courses (lumiq), only self-reported ones (external), or all.")]
FieldFilter = Annotated[Optional[list[str]], typer.Option(
    "--field", "-f", metavar="FIELD", autocompletion=complete_field_filters,
    help="Only this NASBA field of study (a unique prefix is enough) or group: ethics, technical, "
         "non-technical, or a group of a tracked profile, e.g. aa (repeatable: any of them).")]
TagFilter = Annotated[Optional[list[str]], typer.Option(
    "--tag", metavar="TAG", autocompletion=complete_tags,
    help="Only records with this tag (repeatable: any of them).")]
NoCertificate = Annotated[bool, typer.Option(
    "--no-certificate", help="Only records without a certificate (what an auditor would find missing).")]
BatchFilter = Annotated[Optional[int], typer.Option(
    "--batch", metavar="ID",
    help="Only the records of this import batch (see 'cpe import --history'); all dates unless a window is "
         "given.")]


def JsonFlag(help_text: str):  # noqa: N802 - used as a type, like the aliases above
    """``--json``, which most commands take, with the command's own words for what it prints."""
    return Annotated[bool, typer.Option("--json", help=help_text)]


ReplaceOutput = Annotated[bool, typer.Option("--force", help="Replace the output file if it already exists.")]

# -- options of a record (add and edit) ------------------------------------------------------------

Title = Annotated[Optional[str], typer.Option("--title", "-t", help="Course/Seminar Title.")]
Credits = Annotated[Optional[str], typer.Option("--credits", "-c", help="CPE Credits, e.g. 1.5.")]
Field = Annotated[Optional[str], typer.Option("--field", "-f", autocompletion=complete_fields,
                                              help="NASBA field of study (name, alias or unique prefix).")]
State = Annotated[Optional[str], typer.Option("--state", autocompletion=complete_states,
                                              help="Licensing jurisdiction: code or name (optional; '' clears "
                                                   "it in edit).")]
CompletedOn = Annotated[Optional[str], typer.Option("--date", "-d", metavar="DATE",
                                                    help="Completion date (default today); not in the future.")]
Delivery = Annotated[Optional[str], typer.Option("--delivery", "-m", autocompletion=complete_delivery,
                                                 help="Delivery method, e.g. 'Group Live', 'self study', nano.")]
Provider = Annotated[Optional[str], typer.Option("--provider", "-P", help="Provider / sponsor, e.g. AICPA.")]
Description = Annotated[Optional[str], typer.Option("--description",
                                                    help="Course Description (optional; '' clears it in edit).")]
Tags = Annotated[Optional[list[str]], typer.Option(
    "--tag", metavar="TAG", autocompletion=complete_tags,
    help="A tag for what a field of study cannot show, e.g. fl-ethics, ca-regulatory-review, fraud "
         "(repeatable; see 'cpe profile show ID' for the tags a profile reads).")]
Certificate = Annotated[Optional[Path], typer.Option("--certificate", metavar="PATH",
                                                     help="Certificate file to copy into the ledger (max 10 MiB).")]
NoInput = Annotated[bool, typer.Option("--no-input", help="Never prompt; fail on missing options.")]
_MAX_ID = 2**63 - 1  # SQLite's largest integer
RecordId = Annotated[int, typer.Argument(metavar="ID", min=1, max=_MAX_ID, autocompletion=complete_record_ids,
                                         help="The record's id (see 'cpe list').")]


# -- the ledger: total, list, add, catalog ---------------------------------------------------------

@command(app, "total", "ledger:total")
def total(preset: Preset = None, start: FromDate = None, end: ToDate = None, year: Year = None,
          source: SourceFilter = "all", field: FieldFilter = None, tags: TagFilter = None,
          as_json: JsonFlag("Print {total, count, from, to, source, fields, tags, no_certificate, batch} as "
                             "JSON.") = False,
          by: Annotated[Optional[str], typer.Option(
              "--by", metavar="field|delivery|source|month|year|tag",
              help="Break the total down: a row per key with a bar, the total under it.")] = None,
          output_format: Annotated[Optional[str], typer.Option(
              "--format", metavar="table|csv|json", help="With --by: table (default), csv or json.")] = None,
          no_certificate: NoCertificate = False, batch: BatchFilter = None,
          ) -> None:
    """Show the Total CPE Credits badge for a date window (only the number when piped)."""


@command(app, "list", "ledger:list_records")
def list_records(
    preset: Preset = None, start: FromDate = None, end: ToDate = None, year: Year = None,
    source: SourceFilter = "all", field: FieldFilter = None, tags: TagFilter = None,
    output_format: Annotated[str, typer.Option("--format", metavar="table|csv|json",
                                               help="table (default), csv (the export columns) or json.")] = "table",
    limit: Annotated[Optional[int], typer.Option(
        "--limit", "-n", metavar="N", max=_MAX_ID,
        help="Only the first N records in the list's order (0: all). Default: all, but for a table on a "
             "terminal 1000 through the pager, a screenful without one.")] = None,
    sort: Annotated[Optional[str], typer.Option(
        "--sort", metavar="date|credits|title",
        help="Order by date (newest first), credits (largest first) or title (A to Z). Default: date, "
             "oldest first for csv.")] = None,
    reverse: Annotated[bool, typer.Option("--reverse", "-r", help="Reverse the order.")] = False,
    no_pager: Annotated[bool, typer.Option(
        "--no-pager", help="Print the table straight to the terminal, the newest screenful unless --limit "
                           "($CPE_PAGER, $PAGER or less -FRX otherwise).")] = False,
    no_certificate: NoCertificate = False, batch: BatchFilter = None,
) -> None:
    """List the records in a date window, newest first, with their total."""


@command(app, "add", "ledger:add")
def add(title: Title = None, credits: Credits = None, field_of_study: Field = None, state: State = None,
        date: CompletedOn = None, delivery_method: Delivery = None, provider: Provider = None,
        description: Description = None, certificate: Certificate = None, tags: Tags = None,
        source: Annotated[str, typer.Option(
            "--source", "-s", metavar="external|lumiq", autocompletion=complete_record_sources,
            help="external (default) for self-reported, lumiq for platform courses.")] = "external",
        no_input: NoInput = False,
        as_json: JsonFlag("Print the new record as 'cpe show --json' does.") = False) -> None:
    """Add a CPE record by options, or through the form on a terminal.

    On a terminal the form asks only for what the options left out.
    """


@command(app, "catalog", "ledger:catalog")
def catalog(
    what: Annotated[str, typer.Argument(metavar="[fields|delivery|states|all]",
                                        help="Which list to print (default all).")] = "all",
    as_json: JsonFlag("Print the lists as JSON.") = False,
) -> None:
    """Print the fields of study, delivery methods and jurisdictions."""


@command(app, "fields", "ledger:fields", hidden=True)
def fields() -> None:
    """Print the NASBA fields of study (same as `cpe catalog fields`)."""


@command(app, "info", "ledger:info")
def info(as_json: JsonFlag("Print the facts as JSON.") = False) -> None:
    """Show where the data lives, how much it holds and what is tracked.

    The home, database and certificates, their counts and sizes, the tracked
    profiles, and the versions of cpe and SQLite.
    """


# -- exchange: export csv, export zip, import ------------------------------------------------------

@command(export_app, "csv", "exchange:export_csv")
def export_csv(
    preset: Preset = None, start: FromDate = None, end: ToDate = None, year: Year = None,
    source: SourceFilter = "all", field: FieldFilter = None, tags: TagFilter = None,
    output_file: Annotated[Optional[Path], typer.Option(
        "--output", "-o", metavar="FILE",
        help="Write to FILE (atomically) instead of standard output (- is standard output).")] = None,
    force: ReplaceOutput = False,
    raw: Annotated[bool, typer.Option(
        "--raw", help="Write cells untouched, for pipelines: no ' before a cell starting with = + - @ tab, "
                      "CR or ' (which protects spreadsheets).")] = False,
    no_certificate: NoCertificate = False, batch: BatchFilter = None,
) -> None:
    """Write the view's records as CSV, oldest first: the columns of `cpe list --format csv`.

    Same view options as `cpe list` (default: year to date). Cells that a
    spreadsheet would run as a formula get a leading ' unless --raw; `cpe
    import` removes it again.
    """


@command(export_app, "zip", "exchange:export_zip")
def export_zip(
    output_file: Annotated[Optional[Path], typer.Option(
        "--output", "-o", metavar="FILE.zip",
        help="Archive to write. Default: cpe-certificates-<from>-<to>.zip in the current folder, named by "
             "the view's first and last days.")] = None,
    force: ReplaceOutput = False,
    skip_missing: Annotated[bool, typer.Option(
        "--skip-missing", help="Leave out certificates missing from the store (named in a warning) "
                               "instead of failing.")] = False,
    preset: Preset = None, start: FromDate = None, end: ToDate = None, year: Year = None,
    source: SourceFilter = "all", field: FieldFilter = None, tags: TagFilter = None,
    no_certificate: NoCertificate = False, batch: BatchFilter = None,
) -> None:
    """Package the view's certificates and a manifest.csv for an auditor or a state board.

    Each certificate is stored as <date>_<title>_<id>.<ext>; manifest.csv is
    the CSV export of every record in the view (with or without a
    certificate) plus its zip_entry and sha256. Same view options as `cpe list`.
    """


@command(app, "import", "exchange:import_records")
def import_records(
    file: Annotated[Optional[str], typer.Argument(
        metavar="[FILE|-]", show_default=False,
        help="The CSV, JSON or ZIP (from 'cpe export zip') file to read, or - for standard input; with --undo, "
             "the batch to undo (default: the latest that still has records).")] = None,
    source: Annotated[Optional[str], typer.Option(
        "--source", "-s", metavar="lumiq|external", autocompletion=complete_record_sources,
        help="Source of rows that have none (default external; platform exports: lumiq).")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Validate every row and report what would be added; write nothing.")] = False,
    raw: Annotated[bool, typer.Option(
        "--raw", help="Read cells as they are: keep a leading ' (for files written with export --raw).")] = False,
    as_json: JsonFlag('Print {"imported": N, "skipped": N, "batch": ID} on standard output (with --history: '
                       'the batches; with --undo: what was undone).') = False,
    certificates_dir: Annotated[Optional[Path], typer.Option(
        "--certificates-dir", metavar="DIR",
        help="The folder the certificate cells name files in (default: the CSV file's folder; standard input "
             "attaches certificates only with this option).")] = None,
    maps: Annotated[Optional[list[str]], typer.Option(
        "--map", metavar="HEADER=FIELD",
        help="Read column HEADER as FIELD, e.g. 'Credits Earned=credits' (repeatable).")] = None,
    value_maps: Annotated[Optional[list[str]], typer.Option(
        "--map-value", metavar="FIELD:VALUE=NEW",
        help="Read VALUE in FIELD as NEW, e.g. 'field_of_study:Accounting & Auditing=Auditing' "
             "(repeatable).")] = None,
    delimiter: Annotated[Optional[str], typer.Option(
        "--delimiter", metavar=",|;|tab", help="The CSV delimiter (default: detected from the header).")] = None,
    day_first: Annotated[bool, typer.Option("--day-first",
                                            help="Read numeric dates as day/month/year (13/04/2026).")] = False,
    file_format: Annotated[Optional[str], typer.Option(
        "--format", metavar="csv|json|zip",
        help="The file's format (default: detected; json reads an array or JSON Lines, zip an archive from "
             "'cpe export zip').")] = None,
    errors_file: Annotated[Optional[Path], typer.Option(
        "--errors", metavar="FILE", help="Write every problem to FILE as CSV: line,column,value,problem.")] = None,
    skip_missing: Annotated[bool, typer.Option(
        "--skip-missing", help="Import a record whose certificate cell names no file, without the "
                               "certificate (default: an error of that line).")] = False,
    history: Annotated[bool, typer.Option(
        "--history", help="List the imports (batches): when, from what, how many records, how many still in "
                          "the ledger.")] = False,
    undo: Annotated[bool, typer.Option(
        "--undo", help="Move the records of an import batch to the trash ('cpe rm --undo' brings them "
                       "back).")] = False,
    yes: Annotated[bool, typer.Option(
        "--yes", "-y", help="With --undo: also undo records edited since their import, without asking.")] = False,
) -> None:
    """Add the records of a CSV, JSON or ZIP file: all of them, or none if any row is invalid.

    Rows are checked with the rules of `cpe add` (the date is required).
    Headers are matched by common spellings (this tool's export, platform
    exports). Rows identical to an existing record or an earlier row are
    skipped. A certificate cell naming a file (relative to the CSV's folder,
    or to --certificates-dir) attaches it; symlinks, hidden files and paths
    leading outside that folder are refused. A ZIP from 'cpe export zip'
    brings its certificates, each checked against the manifest's SHA-256.
    Each import is a batch: --history lists them, --undo takes one back.
    """


# -- lifecycle: show, edit, rm, verify, backup, restore --------------------------------------------

@command(app, "show", "lifecycle:show")
def show(record_id: RecordId,
         as_json: JsonFlag("Print the record as one JSON object.") = False) -> None:
    """Show one record, its certificate and its history.

    Every field; the certificate's name, size, SHA-256 and stored path; when the record was added and changed.
    """


@command(app, "edit", "lifecycle:edit")
def edit(
    record_id: RecordId,
    title: Title = None, credits: Credits = None, field_of_study: Field = None, state: State = None,
    date: CompletedOn = None, delivery_method: Delivery = None, provider: Provider = None,
    description: Description = None,
    certificate: Annotated[Optional[Path], typer.Option(
        "--certificate", metavar="PATH", help="Attach this certificate file, replacing the current one.")] = None,
    tags: Annotated[Optional[list[str]], typer.Option(
        "--tag", metavar="TAG", autocompletion=complete_tags, help="Add this tag (repeatable).")] = None,
    untags: Annotated[Optional[list[str]], typer.Option(
        "--untag", metavar="TAG", autocompletion=complete_tags, help="Remove this tag (repeatable).")] = None,
    remove_certificate: Annotated[bool, typer.Option("--remove-certificate",
                                                     help="Remove the record's certificate file.")] = False,
    source: Annotated[Optional[str], typer.Option("--source", "-s", metavar="external|lumiq",
                                                  autocompletion=complete_record_sources, help="New source.")] = None,
    no_input: Annotated[bool, typer.Option("--no-input", help="Never prompt; fail when no change is given.")] = False,
    as_json: JsonFlag("Print the record after the change, as 'cpe show --json'.") = False,
) -> None:
    """Change a record by options, or on a terminal through the whole form.

    The form shows the current values as defaults.
    Values are checked exactly as 'cpe add' checks them. The change is atomic: a
    replaced certificate's old file is removed only once the new state is committed.
    """


@command(app, "rm", "lifecycle:rm")
def rm(
    record_ids: Annotated[Optional[list[int]], typer.Argument(
        metavar="ID...", min=1, max=_MAX_ID, show_default=False, autocompletion=complete_record_ids,
        help="The records to remove.")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (needed in scripts).")] = False,
    purge: Annotated[bool, typer.Option("--purge", help="Remove for good, skipping the trash (no undo).")] = False,
    undo: Annotated[bool, typer.Option("--undo", help="Bring back the last removal from the trash.")] = False,
) -> None:
    """Move records, certificates included, to the trash for 30 days ('cpe rm --undo' brings the last removal
    back), or with --purge remove them for good. Asks first on a terminal; scripts pass --yes."""


@command(app, "verify", "lifecycle:verify")
def verify(
    repair: Annotated[bool, typer.Option("--repair", help="Remove stray files in certificates/ (after listing "
                                                          "them); never deletes a record.")] = False,
) -> None:
    """Check that the ledger is whole: SQLite integrity, schema version, every certificate file and its
    SHA-256, no stray files, every record valid under today's rules. Lists each problem and exits 1."""


@command(app, "backup", "lifecycle:backup")
def backup(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The archive to write, e.g. cpe-backup.tar.gz.")],
    force: Annotated[bool, typer.Option("--force", help="Replace the archive if it already exists.")] = False,
) -> None:
    """Back up the ledger and its certificates into one .tar.gz file.

    A consistent database snapshot and every certificate file, with a
    checksum manifest; safe while other cpe commands run.
    """


@command(app, "restore", "lifecycle:restore")
def restore(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="An archive written by 'cpe backup'.")],
    force: Annotated[bool, typer.Option("--force", help="Replace a ledger that holds records (kept aside until "
                                                        "the restore has succeeded).")] = False,
) -> None:
    """Restore a backup into the home, after checking the whole archive; refuses to replace a ledger that holds
    records unless --force."""


# -- compliance: profile list, show, use, drop; status ---------------------------------------------

ProfileId = Annotated[str, typer.Argument(metavar="ID", autocompletion=complete_profiles,
                                          help="A profile id: aicpa, ca, ny, tx, fl, il or one of yours "
                                               "(a state's name also names its board's).")]
PeriodEnd = Annotated[Optional[str], typer.Option(
    "--period-end", metavar="DATE",
    help="The last day of one of your reporting periods (e.g. your license's expiration date); needed by "
         "profiles without a fixed period (aicpa, ca, tx).")]
Declare = Annotated[Optional[list[str]], typer.Option(
    "--declare", metavar="WORD", autocompletion=complete_declarable,
    help="Work that brings extra rules into force, e.g. attest, government (repeatable).")]


@command(profile_app, "list", "compliance:profile_list")
def profile_list(as_json: JsonFlag("Print the profiles as JSON.") = False) -> None:
    """List every profile (built-in and yours in $CPE_HOME/profiles), where it comes from and whether it is
    tracked."""


@command(profile_app, "show", "compliance:profile_show")
def profile_show(profile_id: ProfileId,
                 as_json: JsonFlag("Print the parsed profile as JSON.") = False) -> None:
    """Show a profile's rules in words: windows, caps, the tags it reads, sources, as-of date and notes."""


@command(profile_app, "use", "compliance:profile_use")
def profile_use(profile_id: ProfileId, period_end: PeriodEnd = None, declare: Declare = None) -> None:
    """Track a profile (several may be tracked: two states and the AICPA); run again to change its settings
    (what is not given again is kept; --declare none clears the declarations; 'cpe profile drop' forgets
    all)."""


@command(profile_app, "drop", "compliance:profile_drop")
def profile_drop(profile_id: ProfileId) -> None:
    """Stop tracking a profile (the profile itself stays available)."""


@command(app, "status", "compliance:status")
def status(
    profile_ids: Annotated[Optional[list[str]], typer.Option(
        "--profile", metavar="ID", autocompletion=complete_profiles,
        help="Evaluate only these profiles, tracked or not (repeatable).")] = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", metavar="DATE",
                                                 help="Evaluate on this day instead of today.")] = None,
    period_end: PeriodEnd = None, declare: Declare = None,
    as_json: JsonFlag("Print the evaluation as JSON.") = False,
    check: Annotated[bool, typer.Option(
        "--check", help="Print only the verdicts (on standard error) and exit 3 if a profile is short, 0 if all "
                        "are met: for cron jobs and shell prompts.")] = False,
    warn_days: Annotated[Optional[int], typer.Option(
        "--warn-days", metavar="N",
        help="With --check: only profiles whose period ends within N days can make it fail.")] = None,
) -> None:
    """Am I compliant, what is missing, by when: each tracked profile's rules.

    For each tracked profile: the current period, each requirement (counted /
    required), what is still needed, and by when.
    """


def run() -> None:
    app(prog_name="cpe")
