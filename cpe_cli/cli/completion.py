"""Answer TAB completion requests without loading Typer.

Every TAB press runs ``cpe`` once; through Typer that costs the import and
the construction of the whole app (~60-100 ms). The command tree is instead
read from ``completion_spec.py``, a data file generated from the Typer app
(``python -m cpe_cli.cli.completion --write``; a test fails when it is stale),
and the completion rules of Click are followed for the common cases: command
names, option names not yet given, and option values. Anything else (a
``--`` marker, an unknown option, a path value, an instruction other than
``complete_bash``) returns None and Typer answers, so the fast answer is
never a guess. ``tests/test_fastcomplete.py`` compares both routes.
"""

from __future__ import annotations

import os

OPTION_PREFIXES = ("-",)


def complete(environ=os.environ) -> str | None:
    """The text Typer would print for this completion request, or None to let Typer answer."""
    if environ.get("_CPE_COMPLETE") != "complete_bash":
        return None
    from .spec import SPEC

    words = _split(environ.get("COMP_WORDS", ""))
    try:
        cword = int(environ.get("COMP_CWORD", ""))
    except ValueError:
        return None
    if words is None:
        return None
    args = words[1:cword]
    incomplete = words[cword] if cword < len(words) else ""
    values = _complete(SPEC, args, incomplete)
    return None if values is None else "\n".join(values) + "\n"


def _split(text: str) -> list[str] | None:
    import shlex

    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    words: list[str] = []
    try:
        for token in lexer:
            words.append(token)
    except ValueError:  # an unclosed quote: Click keeps the partial token; let Typer do it
        return None
    return words


def _find_option(command: dict, name: str) -> dict | None:
    for option in command["options"]:
        if name in option["opts"] or name in option["secondary"]:
            return option
    return None


def _complete(command: dict, args: list[str], incomplete: str) -> list[str] | None:
    """Walk the completed words like Click's resilient parser, then complete the last one."""
    given: set[int] = set()
    positionals: list[str] = []
    index = 0
    while index < len(args):
        token = args[index]
        index += 1
        if token == "--":
            return None
        if token.startswith(OPTION_PREFIXES) and len(token) > 1:
            name = token.split("=", 1)[0] if token.startswith("--") else token[:2]
            option = _find_option(command, name)
            if option is None:
                return None
            given.add(id(option))
            inline = "=" in token if token.startswith("--") else len(token) > 2
            if not option["flag"] and not inline:
                if index >= len(args):  # the incomplete word is this option's value
                    return _values(option, incomplete)
                index += 1
            continue
        if command["commands"] and not positionals and token in command["commands"]:
            return _complete(command["commands"][token], args[index:], incomplete)
        positionals.append(token)
    if incomplete == "=":
        incomplete = ""
    elif "=" in incomplete and incomplete.startswith(OPTION_PREFIXES):
        name, _, value = incomplete.partition("=")
        option = _find_option(command, name)
        if option is None or option["flag"]:
            return None
        return _values(option, value)
    if incomplete.startswith(OPTION_PREFIXES):
        return [name for option in command["options"]
                if not option["hidden"] and (option["multiple"] or id(option) not in given)
                for name in (*option["opts"], *option["secondary"]) if name.startswith(incomplete)]
    arguments = command["arguments"]
    if len(positionals) < len(arguments):
        return _values(arguments[len(positionals)], incomplete)
    if not command["commands"]:
        return []
    if not positionals:
        return [name for name, sub in command["commands"].items()
                if name.startswith(incomplete) and not sub["hidden"]]
    return None


def _values(parameter: dict, incomplete: str) -> list[str] | None:
    if parameter["path"]:
        return None  # file completion: Typer hands it to the shell
    if parameter["completer"] is None:
        return []
    module_name, _, function_name = parameter["completer"].partition(":")
    from importlib import import_module

    values = getattr(import_module(module_name), function_name)(incomplete)
    return [value for value in values if value.startswith(incomplete)]  # as Typer filters them


# -- generating the spec from the Typer app ------------------------------------------------------

def build_spec(click_command) -> dict:
    """The command tree as plain data: what completion needs and nothing else."""
    from typer._click import types as click_types
    from typer.core import TyperArgument, TyperGroup, TyperOption

    def completer_of(parameter) -> str | None:
        """Name our function behind Typer's autocompletion wrapper (found in its closure)."""
        pending = [getattr(parameter, "_custom_shell_complete", None)]
        while pending:
            function = pending.pop()
            if function is None:
                continue
            if getattr(function, "__module__", "").startswith("cpe_cli"):
                return f"{function.__module__}:{function.__qualname__}"
            pending.extend(cell.cell_contents for cell in (getattr(function, "__closure__", None) or ())
                           if callable(cell.cell_contents))
        if getattr(parameter, "_custom_shell_complete", None) is not None:
            raise ValueError(f"cannot name the completer of {parameter.name}")
        return None

    def is_path(parameter) -> bool:
        """A type with completions of its own (paths, files) is left to Typer and the shell."""
        return type(parameter.type).shell_complete is not click_types.ParamType.shell_complete

    def describe(command, parent=None) -> dict:
        ctx = command.make_context(command.name or "cpe", [], parent=parent, resilient_parsing=True)
        options, arguments = [], []
        for parameter in command.get_params(ctx):
            if isinstance(parameter, TyperOption):
                # Sorted: Click builds the help option's names from a set, so their order varies by process.
                options.append({"opts": sorted(parameter.opts), "secondary": sorted(parameter.secondary_opts),
                                "flag": bool(parameter.is_flag or parameter.count),
                                "multiple": bool(parameter.multiple), "hidden": bool(parameter.hidden),
                                "path": is_path(parameter), "completer": completer_of(parameter)})
            elif isinstance(parameter, TyperArgument):
                arguments.append({"name": parameter.name, "path": is_path(parameter),
                                  "completer": completer_of(parameter)})
        commands = {}
        if isinstance(command, TyperGroup):
            for name in command.list_commands(ctx):
                commands[name] = describe(command.get_command(ctx, name), ctx)
        return {"hidden": bool(command.hidden), "options": options, "arguments": arguments, "commands": commands}

    return describe(click_command)


def current_spec_source() -> str:
    import pprint

    import typer

    from .app import app

    spec = build_spec(typer.main.get_command(app))
    return ('"""Generated by `python -m cpe_cli.cli.completion --write` from the Typer app: do not edit."""\n\n'
            f"SPEC = {pprint.pformat(spec, width=110, sort_dicts=False)}\n")


if __name__ == "__main__":
    import sys
    from pathlib import Path

    target = Path(__file__).with_name("spec.py")
    if sys.argv[1:] == ["--write"]:
        target.write_text(current_spec_source())
    else:
        sys.stdout.write(current_spec_source())
