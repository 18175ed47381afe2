"""How the Typer app reports failures: one ``Error: ...`` line and an exit code.

``CpeGroup`` replaces Click's standalone error handling (a usage block, a
Rich panel, or a traceback) with one line on standard error: exit 2 for a
usage or input error, 1 for an operation that failed. The wording and the
``CPE_DEBUG=1`` escape hatch live in ``outcome.py``, shared with the fast path.
"""

from __future__ import annotations

import sys

import typer
from typer.core import TyperGroup

from ..core.errors import INVALID_INPUT, OPERATION_FAILED
from .outcome import report, run_reporting_errors


def warn(message: str) -> None:
    typer.echo(f"Warning: {message}", err=True)


class CpeGroup(TyperGroup):
    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        from typer._click import exceptions as click_exceptions
        from typer.exceptions import Abort, Exit

        def invoke() -> object:
            try:
                return super(CpeGroup, self).main(args=args, prog_name=prog_name or "cpe",
                                                  complete_var=complete_var, standalone_mode=False, **extra)
            except click_exceptions.NoArgsIsHelpError as problem:
                typer.echo(problem.format_message())  # `cpe` alone asks for the help, not an error
                return 0
            except click_exceptions.UsageError as problem:
                message = problem.format_message()
                if problem.ctx is not None and problem.ctx.command_path not in ("", "cpe"):
                    message = f"{message} (see '{problem.ctx.command_path} --help')"
                return report(message, INVALID_INPUT)
            except click_exceptions.ClickException as problem:
                return report(problem.format_message(), problem.exit_code or OPERATION_FAILED)
            except Exit as stop:
                return stop.exit_code
            except Abort:
                typer.echo("\nAborted.", err=True)
                return 130

        code = run_reporting_errors(invoke)
        if standalone_mode:
            sys.exit(code)
        return code
