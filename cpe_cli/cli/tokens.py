"""Click's option grammar, once, for everything that reads a command line without Typer.

The fast route (``fast_route.py``) and TAB completion (``completion.py``)
both walk the words of a command line with ``scan``, against the option
tuples of the generated spec (``spec.py``). Only the grammar cpe's commands
use is followed: ``--name value``, ``--name=value``, ``-n value``,
``-nvalue``, flags, positionals. Anything else (``--``, bundled short flags
such as ``-yv``, an unknown option, ``--flag=value``) is reported as
``"unknown"`` and its reader hands the command line to Typer, which words
the error or does the rare thing; so a guess never reaches the user.

An option tuple is ``(names, dest, kind, default, completer, traits)``:
``kind`` is ``flag``, ``str``, ``path`` or ``int[MIN,MAX]`` (bounds may be
empty); ``traits`` holds ``m`` for an option that may repeat, ``h`` for a
hidden one and ``n`` for one not passed to the handler (``--help``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

OPTION = "option"  # (OPTION, option, value): value is None for a flag
ARGUMENT = "argument"  # (ARGUMENT, None, word)
MISSING_VALUE = "missing-value"  # (MISSING_VALUE, option, None): the line ends where the value should be
UNKNOWN = "unknown"  # (UNKNOWN, None, word): not cpe's grammar; scanning stops


def scan(options: Sequence[tuple], words: Sequence[str]) -> Iterator[tuple[str, tuple | None, str | None]]:
    """Walk ``words`` as Click's parser does, yielding options with their values and positionals."""
    by_name = {name: option for option in options for name in option[0]}
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if word == "--" or not word.startswith("-") or word == "-":
            if word == "--":
                yield UNKNOWN, None, word
                return
            yield ARGUMENT, None, word
            continue
        if word.startswith("--"):
            name, has_inline, inline = word.partition("=")
            option = by_name.get(name)
            if option is None or (has_inline and option[2] == "flag"):
                yield UNKNOWN, None, word
                return
            if option[2] == "flag":
                yield OPTION, option, None
                continue
            if has_inline:
                yield OPTION, option, inline
                continue
        else:
            option = by_name.get(word[:2])
            if option is None or (len(word) > 2 and option[2] == "flag"):
                yield UNKNOWN, None, word  # unknown, or bundled short flags: Typer's business
                return
            if option[2] == "flag":
                yield OPTION, option, None
                continue
            if len(word) > 2:
                yield OPTION, option, word[2:]
                continue
        if index >= len(words):
            yield MISSING_VALUE, option, None
            return
        yield OPTION, option, words[index]
        index += 1
