"""Turning an exception into what the user sees: one ``Error: ...`` line and an exit code.

Shared by the Typer app (``shell.CpeGroup``) and the start-up fast path
(``fastpath.py``), so every route out of cpe words failures alike. Typer-free.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from ..core.errors import OPERATION_FAILED, CpeError


def debugging() -> bool:
    return os.environ.get("CPE_DEBUG", "") not in ("", "0")


def report(message: str, exit_code: int) -> int:
    """Print ``Error: message`` as one line on standard error; return the exit code."""
    from .output import for_the_terminal, plain  # an error can quote anything (a restored backup's names)

    sys.stderr.write(for_the_terminal(f"Error: {plain(' '.join(str(message).split()))}") + "\n")
    sys.stderr.flush()
    return exit_code


def interrupted(stop: BaseException) -> int:
    """Ctrl-C: said in a form's own words where it has them (``form.Cancelled``: "Cancelled: nothing was
    added."), else "Interrupted."; the exit code, 130. Both routes end this way (``app.command``)."""
    sys.stderr.write(f"\n{getattr(stop, 'said', 'Interrupted.')}\n")
    return 130


def run_reporting_errors(action: Callable[[], object]) -> int:
    """Run ``action`` and return its exit code, never letting a traceback reach the user.

    ``CPE_DEBUG=1`` lets unexpected exceptions through, traceback and all, for
    bug reports; expected failures (``CpeError``) stay one line.
    """
    try:
        result = action()
    except CpeError as problem:
        return report(problem.message, problem.exit_code)
    except KeyboardInterrupt as stop:
        return interrupted(stop)
    except BrokenPipeError:
        # The reader (head, less) went away: not an error worth a message.
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except Exception as problem:
        if debugging():
            raise
        return report(f"unexpected {type(problem).__name__}: {problem} (run with CPE_DEBUG=1 for details)",
                      OPERATION_FAILED)
    return result if isinstance(result, int) else 0
