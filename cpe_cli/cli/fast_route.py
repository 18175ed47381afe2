"""Serve ``cpe total``, ``cpe list`` and a scripted ``cpe add`` without loading Typer.

Start-up is most of a command-line tool's speed: ``cpe total`` in a prompt
or a script loop should cost little more than Python opening SQLite. Typer
(with its vendored Click) takes ~40-70 ms to import and build the app, so
these commands are parsed here, by a small parser that knows their options,
and run through the same functions (``reports``, ``adding``) as the Typer
commands. ``cpe add`` takes this path only without a terminal or with
``--no-input``: the interactive form stays with Typer. Anything this parser does not fully understand (``--help``, an
unknown or misspelled option, a missing value, ``--``, extra arguments)
returns None and the full Typer app handles the command, so usage errors
are still worded by one place. ``tests/test_fastpath.py`` checks that both
routes print the same bytes and exit codes.
"""

from __future__ import annotations

import sys

VIEW_OPTIONS = {"--preset": "preset", "-p": "preset", "--from": "start", "--to": "end", "--year": "year",
                "--source": "source", "-s": "source", "--field": "field", "-f": "field"}
COMMANDS = {
    "total": ({**VIEW_OPTIONS}, {"--json": "as_json"}),
    "list": ({**VIEW_OPTIONS, "--format": "output_format", "--limit": "limit", "-n": "limit"}, {}),
    "add": ({"--title": "title", "-t": "title", "--credits": "credits", "-c": "credits", "--field": "field_of_study",
             "-f": "field_of_study", "--state": "state", "--date": "date", "-d": "date",
             "--delivery": "delivery_method", "-m": "delivery_method", "--provider": "provider", "-P": "provider",
             "--description": "description", "--certificate": "certificate", "--source": "source",
             "-s": "source"},
            {"--no-input": "no_input"}),
}


def parse(argv: list[str]) -> tuple[str, dict] | None:
    """(command, keyword arguments) for a command line this path can serve, else None."""
    if not argv or argv[0] not in COMMANDS:
        return None
    command = argv[0]
    valued, flags = COMMANDS[command]
    options: dict[str, object] = {}
    rest = argv[1:]
    index = 0
    while index < len(rest):
        token = rest[index]
        index += 1
        if token in flags:
            options[flags[token]] = True
            continue
        name, value = token, None
        if token.startswith("--") and "=" in token:
            name, value = token.split("=", 1)
        elif len(token) > 2 and token[0] == "-" and token[1] != "-" and token[:2] in valued:
            name, value = token[:2], token[2:]
        if name not in valued:
            return None
        if value is None:
            if index >= len(rest):
                return None
            value = rest[index]
            index += 1
        options[valued[name]] = value
    for number in ("year", "limit"):
        if number in options:
            try:
                options[number] = int(options[number])
            except ValueError:
                return None
    return command, options


def run(argv: list[str]) -> int | None:
    """Serve the command and return its exit code, or None to hand it to the Typer app."""
    parsed = parse(argv)
    if parsed is None:
        return None
    command, options = parsed
    from ..core.environment import resolve_home, resolve_today
    from .outcome import run_reporting_errors
    from . import reports

    if command == "add" and not options.get("no_input") and sys.stdin.isatty():
        return None  # the interactive form is Typer's

    def serve() -> None:
        home, today = resolve_home(), resolve_today()
        if command == "total":
            reports.show_total(home, today, terminal=sys.stdout.isatty(), **options)
        elif command == "list":
            reports.show_list(home, today, terminal=sys.stdout.isatty(), **options)
        else:
            from pathlib import Path

            from .adding import add_record

            options.pop("no_input", None)
            certificate = options.pop("certificate", None)
            given = {"source": "external", **options}
            add_record(home, today, given, Path(certificate) if certificate is not None else None,
                       interactive=False)
        sys.stdout.flush()

    return run_reporting_errors(serve)
