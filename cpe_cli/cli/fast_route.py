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

        if os.path.exists(text) and not os.access(text, os.R_OK):
            return None  # Click refuses an unreadable path with its own usage error
        from ..core.environment import as_path_reads

        # As the Typer route hands it over: Click makes a Path ('' reads '.'), app.command turns it into text.
        return as_path_reads(text)
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


def stored_help(argv: list[str]) -> str | None:
    """The help Typer would print for exactly ``cpe [PATH] --help`` (or ``-h``), from ``help_text.py``, when PATH
    is a hot command and the text was rendered from this ``app.py``; else None (Typer prints it)."""
    if not argv or argv[-1] not in ("--help", "-h"):
        return None
    path = " ".join(argv[:-1])
    if any(word.startswith("-") or not word for word in argv[:-1]):
        return None
    from . import help_text

    blob = help_text.HELP.get(path)
    if blob is None:
        return None
    import os
    import zlib

    folder = os.path.dirname(__file__)
    checksum = 0
    try:
        for name in ("app.py", "group.py"):  # help_build.SOURCES
            with open(os.path.join(folder, name), "rb") as source:
                checksum = zlib.crc32(source.read(), checksum)
    except OSError:
        return None
    if checksum != help_text.SOURCE:
        return None  # app.py changed since help_build ran: Typer renders the current text
    from .terminal import terminal_size

    width = max(min(terminal_size()[0], 120) - 2, 50)  # Click's, with CpeGroup's 120-column cap
    texts = zlib.decompress(blob).decode("utf-8").split("\0")
    index = width - help_text.NARROWEST
    return texts[index] if 0 <= index < len(texts) else None


def run(argv: list[str]) -> int | None:
    """Serve the command and return its exit code, or None to hand it to the Typer app."""
    text = stored_help(argv)
    if text is not None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return 0
    parsed = parse(argv)
    if parsed is None:
        return None
    handler, options = parsed
    from .failures import run_reporting_errors

    module, _, function = handler.partition(":")

    def serve() -> object:
        # ``__import__`` and ``sys.modules`` rather than ``importlib.import_module``: the ``importlib`` package
        # (and ``warnings`` with it) is one more import on every command.
        name = f"cpe_cli.cli.handlers.{module}"
        __import__(name)
        code = getattr(sys.modules[name], function)(**options)
        sys.stdout.flush()
        return code  # a handler may return an exit code (``status --check``: 3 when short)

    return run_reporting_errors(serve)
