"""Answer TAB completion (bash, zsh, fish) without loading Typer.

Every TAB press runs ``cpe`` once; through Typer that costs the import and
the construction of the whole app (60-100 ms). The command tree is instead
read from ``spec.py`` (generated from the Typer app) and the words are
walked with ``tokens.scan``, the grammar the fast route uses too; the
answer follows Click's completion rules for the common cases (command
names, option names not yet given, option values) and is printed in the
format of Typer's own shell scripts (``completions/``), with descriptions
where the shell shows them (zsh, fish: record ids with their titles).
Values match case-insensitively (``--field reg`` offers Regulatory Ethics,
``--state cal`` California's code). Anything else (``--``, an unknown
option, a path value, another shell) returns None and Typer answers, so
the fast answer is never a guess. ``tests/test_completion_routes.py`` and
``tests/test_completion_shells.py`` check it, the latter in real shells.
"""

from __future__ import annotations

import os


def complete(environ=os.environ) -> tuple[str, int] | None:
    """(text to print, exit code) for this completion request, or None to let Typer answer."""
    instruction = environ.get("_CPE_COMPLETE")
    if instruction == "complete_bash":
        words = _split(environ.get("COMP_WORDS", ""))
        try:
            cword = int(environ.get("COMP_CWORD", ""))
        except ValueError:
            return None
        if words is None or cword < 0:
            return None
        items = _complete(words[1:cword], words[cword] if cword < len(words) else "")
        return None if items is None else ("\n".join(value for value, _ in items) + "\n", 0)  # as Typer prints it
    if instruction in ("complete_zsh", "complete_fish"):
        line = environ.get("_TYPER_COMPLETE_ARGS", "")
        words = _split(line)
        if words is None:
            return None
        args = words[1:]
        incomplete = ""
        if args and not line.endswith(" "):
            args, incomplete = args[:-1], args[-1]
        items = _complete(args, incomplete)
        if items is None:
            return None
        if instruction == "complete_zsh":
            return _zsh(items), 0
        action = environ.get("_TYPER_COMPLETE_FISH_ACTION", "")
        if action == "is-args":
            return "", 0 if items else 1
        return "\n".join(_fish(value, help_text) for value, help_text in items), 0
    return None


def _zsh(items) -> str:
    """zsh code for ``completions/_cpe`` to eval: ``compadd -U`` (cpe has matched the typed prefix already,
    without regard to case, so zsh must not filter again), with descriptions where there are some;
    ``_files`` when nothing matches, as Typer's script does."""
    def quoted(text: str) -> str:
        return "'" + text.replace("'", "'\\''") + "'"

    if not items:
        return "_files"
    values = " ".join(quoted(value) for value, _ in items)
    shown = " ".join(quoted(f"{value}  -- {help_text}" if help_text else value) for value, help_text in items)
    return f"local -a _cpe_values _cpe_shown; _cpe_values=({values}); _cpe_shown=({shown}); " \
           "compadd -U -l -d _cpe_shown -a _cpe_values"


def _fish(value: str, help_text: str | None) -> str:
    return value + ("\t" + " ".join(help_text.split()) if help_text else "")


_BLANKS = " \t\r\n"


def _split(text: str) -> list[str] | None:
    """The words of a command line as Click splits it for completion (``shlex`` in POSIX mode, whitespace
    split, no comments); None for an unclosed quote or a trailing backslash (Click keeps the partial token: let
    Typer do it). Written out because ``shlex`` imports ``re`` (~4 ms of a TAB press); tests/test_stdlib_stand_ins.py
    compares it with ``shlex`` on open-ended input."""
    words: list[str] = []
    word: list[str] = []
    in_word = False  # a quoted empty string ('') is a word too
    quote = ""
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        index += 1
        if quote == "'":
            if char == "'":
                quote = ""
            else:
                word.append(char)
        elif quote == '"':
            if char == '"':
                quote = ""
            elif char == "\\" and index < length and text[index] in '"\\':
                word.append(text[index])
                index += 1
            elif char == "\\" and index >= length:
                return None
            else:
                word.append(char)
        elif char in _BLANKS:
            if in_word:
                words.append("".join(word))
                word, in_word = [], False
        elif char == "\\":
            if index >= length:
                return None
            word.append(text[index])
            index += 1
            in_word = True
        elif char in "'\"":
            quote, in_word = char, True
        else:
            word.append(char)
            in_word = True
    if quote:
        return None
    if in_word:
        words.append("".join(word))
    return words


def _complete(args: list[str], incomplete: str) -> list[tuple[str, str | None]] | None:
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
        return [(name, None) for names, dest, _kind, _default, _completer, traits in entry["options"]
                if "h" not in traits and ("m" in traits or dest not in given)
                for name in names if name.startswith(incomplete)]
    arguments = entry["arguments"]
    if len(positionals) < len(arguments) or (arguments and arguments[-1][2] == -1):
        argument = arguments[min(len(positionals), len(arguments) - 1)]
        return _values(argument[1], argument[5], incomplete)
    if not entry["subcommands"]:
        return []
    if not positionals:
        return [(name, None) for name in entry["subcommands"]
                if name.startswith(incomplete) and not COMMANDS[f"{path} {name}".strip()]["hidden"]]
    return None


def _values(kind: str, completer: str | None, incomplete: str) -> list[tuple[str, str | None]] | None:
    """The completer's candidates as (value, description); it matches the prefix itself, in any case."""
    if kind == "path":
        return None  # file completion: Typer hands it to the shell
    if completer is None:
        return []
    import sys

    module_name, _, function_name = completer.partition(":")
    __import__(module_name)  # not importlib.import_module: the importlib package is one more import per TAB
    values = getattr(sys.modules[module_name], function_name)(incomplete)
    return [value if isinstance(value, tuple) else (value, None) for value in values]
