"""Answer bash TAB completion without loading Typer.

Every TAB press runs ``cpe`` once; through Typer that costs the import and
the construction of the whole app (60-100 ms). The command tree is instead
read from ``spec.py`` (generated from the Typer app) and the words are
walked with ``tokens.scan``, the grammar the fast route uses too; the
answer follows Click's completion rules for the common cases: command
names, option names not yet given, option values. Anything else (``--``,
an unknown option, a path value, a shell other than bash) returns None and
Typer answers, so the fast answer is never a guess.
``tests/test_completion_routes.py`` compares both.
"""

from __future__ import annotations

import os


def complete(environ=os.environ) -> str | None:
    """The text Typer would print for this completion request, or None to let Typer answer."""
    if environ.get("_CPE_COMPLETE") != "complete_bash":
        return None
    words = _split(environ.get("COMP_WORDS", ""))
    try:
        cword = int(environ.get("COMP_CWORD", ""))
    except ValueError:
        return None
    if words is None or cword < 0:
        return None
    values = _complete(words[1:cword], words[cword] if cword < len(words) else "")
    return None if values is None else "\n".join(values) + "\n"


def _split(text: str) -> list[str] | None:
    import shlex

    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError:  # an unclosed quote: Click keeps the partial token; let Typer do it
        return None


def _complete(args: list[str], incomplete: str) -> list[str] | None:
    """Walk the completed words like Click's resilient parser, then complete the last one."""
    from .spec import COMMANDS
    from .tokens import ARGUMENT, MISSING_VALUE, OPTION, scan

    path, entry = "", COMMANDS[""]
    given: set[str] = set()
    positionals: list[str] = []
    remaining = list(args)
    while True:
        descended = False
        for event, option, word in scan(entry["options"], remaining):
            if event == MISSING_VALUE:
                return _values(option[2], option[4], incomplete)
            if event == OPTION:
                given.add(option[1])
                continue
            if event != ARGUMENT:
                return None
            if entry["subcommands"] and not positionals and word in entry["subcommands"]:
                path = f"{path} {word}".strip()
                entry = COMMANDS[path]
                remaining = remaining[remaining.index(word) + 1:]
                given = set()
                descended = True
                break
            positionals.append(word)
        if not descended:
            break
    if incomplete == "=":
        incomplete = ""
    elif "=" in incomplete and incomplete.startswith("-"):
        name, _, value = incomplete.partition("=")
        option = next((option for option in entry["options"] if name in option[0]), None)
        if option is None or option[2] == "flag":
            return None
        return _values(option[2], option[4], value)
    if incomplete.startswith("-"):
        return [name for names, dest, _kind, _default, _completer, traits in entry["options"]
                if "h" not in traits and ("m" in traits or dest not in given)
                for name in names if name.startswith(incomplete)]
    arguments = entry["arguments"]
    if len(positionals) < len(arguments) or (arguments and arguments[-1][2] == -1):
        argument = arguments[min(len(positionals), len(arguments) - 1)]
        return _values(argument[1], argument[5], incomplete)
    if not entry["subcommands"]:
        return []
    if not positionals:
        return [name for name in entry["subcommands"]
                if name.startswith(incomplete) and not COMMANDS[f"{path} {name}".strip()]["hidden"]]
    return None


def _values(kind: str, completer: str | None, incomplete: str) -> list[str] | None:
    if kind == "path":
        return None  # file completion: Typer hands it to the shell
    if completer is None:
        return []
    from importlib import import_module

    module_name, _, function_name = completer.partition(":")
    values = getattr(import_module(module_name), function_name)(incomplete)
    return [value for value in values if value.startswith(incomplete)]  # as Typer filters them
