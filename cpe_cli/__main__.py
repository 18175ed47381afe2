"""Entry point for the ``cpe`` script and ``python -m cpe_cli``.

The hottest commands are tried on the fast path first (see ``fastpath.py``);
everything else, and anything the fast path does not fully understand,
goes to the Typer app.
"""

import sys


def main() -> None:
    from .fastpath import run as run_fast

    code = run_fast(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from .cli import run

    run()


if __name__ == "__main__":
    main()
