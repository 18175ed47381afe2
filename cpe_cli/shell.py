"""How every failure reaches the user: one ``Error: ...`` line and an exit code.

``CpeGroup`` replaces Click's standalone error handling (a usage block, a
Rich panel, or a traceback) with one line on standard error: exit 2 for a
usage or input error, 1 for an operation that failed. ``CPE_DEBUG=1`` lets
unexpected exceptions through with their traceback, for bug reports.
"""

from __future__ import annotations

import os
import sys

import typer
from typer.core import TyperGroup

from .errors import INVALID_INPUT, OPERATION_FAILED, CpeError


def warn(message: str) -> None:
    typer.echo(f"Warning: {message}", err=True)


def fail(message: str, exit_code: int) -> "typer.Exit":
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(exit_code)


def _debugging() -> bool:
    return os.environ.get("CPE_DEBUG", "") not in ("", "0")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class CpeGroup(TyperGroup):
    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        from typer._click import exceptions as click_exceptions
        from typer.exceptions import Abort, Exit

        try:
            result = super().main(args=args, prog_name=prog_name or "cpe", complete_var=complete_var,
                                  standalone_mode=False, **extra)
        except CpeError as problem:
            code = _report(problem.message, problem.exit_code)
        except click_exceptions.UsageError as problem:
            message = problem.format_message()
            if problem.ctx is not None and problem.ctx.command_path and problem.ctx.command_path != "cpe":
                message = f"{message} (see '{problem.ctx.command_path} --help')"
            code = _report(message, INVALID_INPUT)
        except click_exceptions.ClickException as problem:
            code = _report(problem.format_message(), problem.exit_code or OPERATION_FAILED)
        except Exit as stop:
            code = stop.exit_code
        except Abort:
            typer.echo("\nAborted.", err=True)
            code = 130
        except KeyboardInterrupt:
            typer.echo("\nInterrupted.", err=True)
            code = 130
        except BrokenPipeError:
            # The reader (head, less) went away: not an error worth a message.
            try:
                sys.stdout = open(os.devnull, "w")
            except OSError:
                pass
            code = 0
        except Exception as problem:  # anything unforeseen: one line, unless debugging
            if _debugging():
                raise
            code = _report(f"unexpected {type(problem).__name__}: {_one_line(problem)} "
                           "(run with CPE_DEBUG=1 for details)", OPERATION_FAILED)
        else:
            code = result if isinstance(result, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


def _report(message: str, exit_code: int) -> int:
    typer.echo(f"Error: {_one_line(message)}", err=True)
    return exit_code
