"""The ``cpe`` command line: options in, core calls, output out.

Thin on purpose: every rule lives in the core modules, which know nothing of
Typer or Rich. Rich is imported inside the functions that draw, so plain
output (the bare total, JSON, CSV) and TAB completion never load it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from .. import __version__

from ..core import catalog
from ..core.environment import resolve_home, resolve_today
from ..core.errors import CpeError
from .options import (FieldFilter, FromDate, Preset, SourceFilter, ToDate, Year, complete_delivery,
                          complete_fields, complete_record_sources, complete_states)
from .group import CpeGroup

app = typer.Typer(
    cls=CpeGroup,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"cpe {__version__}")
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


@app.command()
def total(
    preset: Preset = None, start: FromDate = None, end: ToDate = None, year: Year = None,
    source: SourceFilter = "all", field: FieldFilter = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print {total, count, from, to, source} as JSON.")] = False,
) -> None:
    """Show the Total CPE Credits badge for a date window (only the number when piped)."""
    from .reports import show_total

    show_total(resolve_home(), resolve_today(), preset=preset, start=start, end=end, year=year, source=source,
               field=field, as_json=as_json, terminal=_stdout_is_terminal())


@app.command("list")
def list_records(
    preset: Preset = None, start: FromDate = None, end: ToDate = None, year: Year = None,
    source: SourceFilter = "all", field: FieldFilter = None,
    output_format: Annotated[str, typer.Option("--format", metavar="table|csv|json",
                                               help="table (default), csv (the export columns) or json.")] = "table",
    limit: Annotated[Optional[int], typer.Option(
        "--limit", "-n", metavar="N",
        help="Only the newest N records (0: all). Default: all, but 1000 for a table on a terminal.")] = None,
) -> None:
    """List the records in a date window, newest first, with their total."""
    from .reports import show_list

    show_list(resolve_home(), resolve_today(), preset=preset, start=start, end=end, year=year, source=source,
              field=field, output_format=output_format, limit=limit, terminal=_stdout_is_terminal())


@app.command()
def add(
    title: Annotated[Optional[str], typer.Option("--title", "-t", help="Course/Seminar Title.")] = None,
    credits: Annotated[Optional[str], typer.Option("--credits", "-c", help="CPE Credits, e.g. 1.5.")] = None,
    field: Annotated[Optional[str], typer.Option("--field", "-f", autocompletion=complete_fields,
                                                 help="NASBA field of study (name, alias or unique prefix).")] = None,
    state: Annotated[Optional[str], typer.Option("--state", autocompletion=complete_states,
                                                 help="Licensing jurisdiction: code or name (optional).")] = None,
    on: Annotated[Optional[str], typer.Option("--date", "-d", metavar="DATE",
                                              help="Completion date (default today); not in the future.")] = None,
    delivery: Annotated[Optional[str], typer.Option("--delivery", "-m", autocompletion=complete_delivery,
                                                    help="Delivery method, e.g. 'Group Live', 'self study', nano.")] = None,
    provider: Annotated[Optional[str], typer.Option("--provider", "-P", help="Provider / sponsor, e.g. AICPA.")] = None,
    description: Annotated[Optional[str], typer.Option("--description", help="Course Description (optional).")] = None,
    certificate: Annotated[Optional[Path], typer.Option("--certificate", metavar="PATH",
                                                        help="Certificate file to copy into the ledger (max 10 MiB).")] = None,
    source: Annotated[str, typer.Option("--source", "-s", metavar="external|lumiq", autocompletion=complete_record_sources,
                                        help="external (default) for self-reported, lumiq for platform courses.")] = "external",
    no_input: Annotated[bool, typer.Option("--no-input", help="Never prompt; fail on missing options.")] = False,
) -> None:
    """Add a CPE record: by options, or through a form on a terminal for what is missing."""
    from .adding import add_record

    given = {"title": title, "credits": credits, "field_of_study": field, "state": state, "date": on,
             "delivery_method": delivery, "provider": provider, "description": description, "source": source}
    add_record(resolve_home(), resolve_today(), given, certificate,
               interactive=not no_input and _stdin_is_terminal())


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


@app.command("catalog")
def show_catalog(
    what: Annotated[str, typer.Argument(metavar="[fields|delivery|states|all]",
                                        help="Which list to print (default all).")] = "all",
    as_json: Annotated[bool, typer.Option("--json", help="Print the lists as JSON.")] = False,
) -> None:
    """Print the accepted fields of study, delivery methods and jurisdictions."""
    lists = {
        "fields": [{"name": f.name, "technical": f.technical, "aliases": list(f.aliases)}
                   for f in catalog.FIELDS_OF_STUDY],
        "delivery": [{"name": m.name, "aliases": list(m.aliases)} for m in catalog.DELIVERY_METHODS],
        "states": [{"code": code, "name": name} for code, name in catalog.JURISDICTIONS.items()],
    }
    wanted = what.strip().lower()
    if wanted not in (*lists, "all"):
        raise CpeError.invalid(f"unknown list {what!r}; accepted: fields, delivery, states, all")
    chosen = lists if wanted == "all" else {wanted: lists[wanted]}
    if as_json:
        import json

        typer.echo(json.dumps(chosen, indent=2))
        return
    for name, items in chosen.items():
        if len(chosen) > 1:
            typer.echo(f"# {dict(fields='Fields of study (NASBA)', delivery='Delivery methods', states='Jurisdictions')[name]}")
        for item in items:
            if name == "fields":
                typer.echo(f"{item['name']}\t{'technical' if item['technical'] else 'non-technical'}")
            elif name == "delivery":
                typer.echo(item["name"])
            else:
                typer.echo(f"{item['code']}\t{item['name']}")
        if len(chosen) > 1:
            typer.echo("")


@app.command("fields", hidden=True)
def show_fields() -> None:
    """Print the NASBA fields of study (same as `cpe catalog fields`)."""
    show_catalog("fields", False)


def _plain_completion_help() -> None:
    """Keep Rich out of TAB completion for zsh, fish and PowerShell.

    Typer 0.28 strips Rich markup from each completion's help text by
    rendering it with Rich, which imports rich.console, markdown and pygments
    (~100 ms per TAB). cpe's help is plain text (``rich_markup_mode=None``),
    so there is nothing to strip.
    """
    from typer import _completion_classes

    _completion_classes._sanitize_help_text = str


_plain_completion_help()


def _register_command_modules() -> None:
    """Commands that live in their own modules (one capability each) join the app here."""
    from . import commands_exchange as cli_exchange
    from . import commands_lifecycle as cli_lifecycle

    cli_exchange.register(app)
    cli_lifecycle.register(app)


_register_command_modules()


def run() -> None:
    app(prog_name="cpe")
