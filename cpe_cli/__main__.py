"""Entry point for the ``cpe`` script and ``python -m cpe_cli``.

The hottest requests are tried on a fast path first: TAB completion
(``fastcomplete.py``) and ``cpe total``/``cpe list`` (``fastpath.py``).
Everything else, and anything a fast path does not fully understand, goes
to the Typer app.
"""

import os
import sys


def main() -> None:
    if os.environ.get("_CPE_COMPLETE"):
        from .cli.completion import complete

        answer = complete(os.environ)
        if answer is not None:
            sys.stdout.write(answer)
            sys.exit(0)
    else:
        from .cli.fast_route import run as run_fast

        code = run_fast(sys.argv[1:])
        if code is not None:
            sys.exit(code)
    from .cli.app import run

    run()


if __name__ == "__main__":
    main()
