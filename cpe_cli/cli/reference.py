"""The README's command reference, generated from the app's own help (as sqlite-utils does with cog).

``python -m cpe_cli.cli.reference --write`` rewrites the part of README.md
between ``<!-- reference:start -->`` and ``<!-- reference:end -->`` with the
``--help`` of every command at 100 columns; ``tests/test_help_reference.py``
fails when it is stale, so the README cannot drift from the help.
"""

from __future__ import annotations

import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
START, END = "<!-- reference:start -->", "<!-- reference:end -->"
WIDTH = 100


def command_paths() -> list[str]:
    from .spec import COMMANDS

    return [path for path, entry in COMMANDS.items() if not entry["hidden"]]


def help_text(path: str) -> str:
    """``cpe PATH --help`` as a user at a 100-column terminal sees it."""
    from typer.testing import CliRunner

    from .app import app

    words = [*path.split(), "--help"]
    result = CliRunner().invoke(app, words, prog_name="cpe", env={"COLUMNS": str(WIDTH)},
                                max_content_width=WIDTH, terminal_width=WIDTH)
    return result.output.rstrip() + "\n"


def reference() -> str:
    blocks = [START, "", "## Command reference", "",
              "Generated from the help (`python -m cpe_cli.cli.reference --write`); `cpe COMMAND --help` prints the same."]
    for path in command_paths():
        title = f"cpe {path}".strip()
        blocks += ["", f"### `{title}`", "", "```", help_text(path).rstrip(), "```"]
    blocks += ["", END]
    return "\n".join(blocks)


def current_readme() -> str:
    text = README.read_text(encoding="utf-8")
    before, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    return before + reference() + after


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        README.write_text(current_readme(), encoding="utf-8")
    else:
        sys.stdout.write(reference() + "\n")
