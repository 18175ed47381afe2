"""Entry point for the ``cpe`` script and ``python -m cpe_cli``.

Two routes, one declaration: a command line is first offered to the fast
route (``cli/fast_route.py``; for TAB, ``cli/completion.py``), which reads
the spec generated from the Typer app and calls the same handler Typer
would; whatever it does not fully understand goes to the Typer app
(``cli/app.py``). ``CPE_ROUTE=typer`` skips the fast route (the tests run
every command both ways and compare).
"""

import os
import sys


def main() -> None:
    if os.environ.get("CPE_ROUTE") != "typer":
        if os.environ.get("_CPE_COMPLETE"):
            from .cli.completion import complete

            answer = complete(os.environ)
            if answer is not None:
                text, code = answer
                sys.stdout.write(text)
                sys.exit(code)
        else:
            from .cli.fast_route import run as run_fast

            code = run_fast(sys.argv[1:])
            if code is not None:
                sys.exit(code)
    from .cli.app import run

    run()


if __name__ == "__main__":
    main()
