"""How the Typer app reports failures: one ``Error: ...`` line and an exit code.

``CpeGroup`` replaces Click's standalone error handling (a usage block, a
Rich panel, or a traceback) with one line on standard error: exit 2 for a
usage or input error, 1 for an operation that failed. The wording and the
``CPE_DEBUG=1`` escape hatch live in ``failures.py``, shared with the fast route.
"""

from __future__ import annotations

import sys

import typer
from typer.core import TyperGroup

from ..core.errors import INVALID_INPUT, OPERATION_FAILED
from .failures import report, run_reporting_errors


class CpeGroup(TyperGroup):
    """The root group (and ``export``): one ``Error:`` line per failure, plain-text completion help."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        import shutil

        import os

        if any(name.endswith("_COMPLETE") for name in os.environ):  # only a TAB request reaches them
            _use_plain_completion_classes()
        # Help fills the terminal (Click's default stops at 80 columns), up to a readable 120.
        extra.setdefault("max_content_width", min(shutil.get_terminal_size((80, 24)).columns, 120))
        from typer._click import exceptions as click_exceptions
        from typer.exceptions import Abort, Exit

        def invoke() -> object:
            try:
                return super(CpeGroup, self).main(args=args, prog_name=prog_name or "cpe",
                                                  complete_var=complete_var, standalone_mode=False, **extra)
            except click_exceptions.NoArgsIsHelpError as problem:
                from .output import data

                data(problem.format_message())  # `cpe` alone asks for the help, not an error
                return 0
            except click_exceptions.UsageError as problem:
                message = _record_id_problem(problem)
                _without_help_among_suggestions(problem)
                _suggest_the_other_case(problem)
                if message is None:
                    message = problem.format_message()
                    if problem.ctx is not None and problem.ctx.command_path not in ("", "cpe"):
                        message = f"{message} (see '{problem.ctx.command_path} --help')"
                return report(message, INVALID_INPUT)
            except click_exceptions.ClickException as problem:
                return report(problem.format_message(), problem.exit_code or OPERATION_FAILED)
            except Exit as stop:
                return stop.exit_code
            except Abort:
                from .output import message

                message("\nAborted.")
                return 130

        code = run_reporting_errors(invoke)
        if standalone_mode:
            sys.exit(code)
        return code


# The record-id arguments (show, edit: ``record_id``; rm: ``record_ids``), an integer from 1 to SQLite's largest.
_RECORD_ID_PARAMETERS = ("record_id", "record_ids")


def _record_id_problem(problem) -> str | None:
    """A record id Click refused ('abc', 0, -3), in words a user acts on rather than Click's ("'abc' is not a
    valid int range", "0 is not in the range 1<=x<=9223372036854775807"); None for any other problem."""
    from typer._click.exceptions import BadParameter, MissingParameter

    if (not isinstance(problem, BadParameter) or isinstance(problem, MissingParameter)
            or getattr(problem.param, "name", None) not in _RECORD_ID_PARAMETERS):
        return None  # a missing id keeps Click's "Missing argument 'ID'."
    # Click's message is "VALUE is not ...": the value may itself hold " is not ", so the last one ends it.
    given = str(problem.message).rsplit(" is not ", 1)[0]
    largest = getattr(problem.param.type, "max", None)  # the argument's own range (app.py declares it)
    try:
        too_large = largest is not None and int(given) > largest
    except ValueError:
        too_large = False
    if too_large:
        return f"{given} is not a record id: ids go up to {largest} ('cpe list' shows them)"
    return f"{given} is not a record id: ids are whole numbers from 1 ('cpe list' shows them)"


def _without_help_among_suggestions(problem) -> None:
    """``--feild``: Click offers "(Possible options: --field, --help)". Its candidates come closest first
    (``difflib.get_close_matches``), so --help stays only where it is the closest (``--hepl``)."""
    possibilities = list(getattr(problem, "possibilities", None) or ())
    if possibilities and possibilities[0] != "--help":
        problem.possibilities = [name for name in possibilities if name != "--help"]


def _suggest_the_other_case(problem) -> None:
    """``cpe add -p AICPA``: Click suggests close long options only, so a short option typed in the wrong case
    (the provider is ``-P``) got no hint; it now reads "No such option: -p (Possible options: -P)"."""
    name = getattr(problem, "option_name", None)
    ctx = getattr(problem, "ctx", None)
    if getattr(problem, "possibilities", None) or ctx is None or not isinstance(name, str) or len(name) != 2 \
            or name[0] != "-":
        return
    other = name.swapcase()
    if any(other in (*param.opts, *param.secondary_opts) for param in ctx.command.params):
        problem.possibilities = [other]


def _use_plain_completion_classes() -> None:
    """Register zsh and fish completion classes that print help text as it is.

    Typer's own classes render each candidate's help through Rich to strip
    markup (importing rich.console, markdown and pygments: ~100 ms a TAB).
    cpe's help is plain text (``rich_markup_mode=None``), so these
    subclasses format candidates exactly as Typer does, minus the Rich pass.
    Registered with Click's public ``add_completion_class``, after Typer's.
    """
    import re

    from typer._click.shell_completion import add_completion_class
    from typer._completion_classes import FishComplete, ZshComplete

    class PlainZshComplete(ZshComplete):
        def format_completion(self, item) -> str:
            def escape(text: str) -> str:
                return (text.replace('"', '""').replace("'", "''").replace("$", "\\$").replace("`", "\\`")
                        .replace(":", r"\\:"))

            if item.help:
                return f'"{escape(item.value)}":"{escape(item.help)}"'
            return f'"{escape(item.value)}"'

    class PlainFishComplete(FishComplete):
        def format_completion(self, item) -> str:
            if item.help:
                return item.value + "\t" + re.sub(r"\s", " ", item.help)
            return item.value

    add_completion_class(PlainZshComplete, ZshComplete.name)
    add_completion_class(PlainFishComplete, FishComplete.name)
