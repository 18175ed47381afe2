"""Serve commands without loading Typer, from the spec generated from the Typer app.

Start-up is most of a command-line tool's speed: ``cpe total`` in a prompt
or a script loop should cost little more than Python opening SQLite, and
Typer (with its vendored Click) takes 40-70 ms to import and build the app.
So a command line is first read here, against ``spec.py`` (generated from
``cli/app.py``, the one declaration), with the grammar of ``tokens.py``,
and the command's handler is called with exactly the keyword arguments
Typer would pass. Anything this route does not fully understand (``--help``,
an unknown or misspelled option, a missing or unconvertible value, an int
out of its range, ``--``, a missing or extra argument, root options) returns
None, and the Typer app handles the command, so usage errors are worded in
one place. ``CPE_ROUTE=typer`` forces the Typer route (tests compare both).
"""

from __future__ import annotations

import sys


def parse(argv: list[str]) -> tuple[str, dict] | None:
    """(handler, keyword arguments) for a command line this route can serve, else None."""
    from .spec import COMMANDS
    from .tokens import ARGUMENT, OPTION, scan

    path, entry, words = "", COMMANDS[""], list(argv)
    while entry["subcommands"]:
        if not words or words[0] not in entry["subcommands"]:
            return None
        path = f"{path} {words[0]}".strip()
        entry, words = COMMANDS[path], words[1:]
    if entry["handler"] is None:
        return None
    values: dict[str, object] = {}
    positionals: list[str] = []
    for event, option, text in scan(entry["options"], words):
        if event == ARGUMENT:
            positionals.append(text)
            continue
        if event != OPTION:
            return None
        _names, dest, kind, _default, _completer, traits = option
        if "n" in traits:
            return None  # --help and the like: Typer's
        value = True if kind == "flag" else _convert(kind, text)
        if value is None:
            return None
        if "m" in traits:
            values.setdefault(dest, []).append(value)
        else:
            values[dest] = value
    if not _take_arguments(entry["arguments"], positionals, values):
        return None
    for _names, dest, _kind, default, _completer, traits in entry["options"]:
        if "n" not in traits:
            values.setdefault(dest, default)
    return entry["handler"], values


def _take_arguments(arguments, positionals: list[str], values: dict) -> bool:
    """Assign positionals as Click does (one each, a variadic one takes the rest); False when Typer must speak."""
    remaining = list(positionals)
    for dest, kind, nargs, required, default, _completer in arguments:
        taken = remaining if nargs == -1 else remaining[:nargs]
        remaining = [] if nargs == -1 else remaining[nargs:]
        if not taken:
            if required:
                return False
            values[dest] = default
            continue
        converted = [_convert(kind, word) for word in taken]
        if any(value is None for value in converted):
            return False
        values[dest] = converted if nargs == -1 else converted[0]
    return not remaining


def _convert(kind: str, text: str):
    """The value Typer would pass for ``text``, or None when Click would refuse it (Typer then says why)."""
    if kind == "str":
        return text
    if kind == "path":
        import os
        from pathlib import Path

        if os.path.exists(text) and not os.access(text, os.R_OK):
            return None  # Click refuses an unreadable path with its own usage error
        return Path(text)
    if kind.startswith("int["):
        try:
            number = int(text)
        except ValueError:
            return None
        low, high = kind[4:-1].split(",")
        if (low and number < int(low)) or (high and number > int(high)):
            return None
        return number
    return None


def run(argv: list[str]) -> int | None:
    """Serve the command and return its exit code, or None to hand it to the Typer app."""
    parsed = parse(argv)
    if parsed is None:
        return None
    handler, options = parsed
    from importlib import import_module

    from .failures import run_reporting_errors

    module, _, function = handler.partition(":")

    def serve() -> object:
        code = getattr(import_module(f"cpe_cli.cli.handlers.{module}"), function)(**options)
        sys.stdout.flush()
        return code  # a handler may return an exit code (``status --check``: 3 when short)

    return run_reporting_errors(serve)
