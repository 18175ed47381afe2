"""The help of the hot commands, served without Typer (issue 14), is exactly Typer's, at every width.

``cli/help_text.py`` is generated from the Typer app by ``python -m cpe_cli.cli.help_build --write``;
the fast route prints it for ``cpe [PATH] --help`` when it was rendered from the installed ``app.py``.
"""

from __future__ import annotations

import pytest

from cpe_cli.cli import fast_route, help_build, help_text

from support import run_cpe


def test_help_text_is_generated_from_the_current_app():
    assert help_build.HELP_FILE.read_text() == help_build.current_source(), \
        "stale: run python -m cpe_cli.cli.help_build --write"


@pytest.mark.parametrize("path", help_build.HOT_PATHS)
@pytest.mark.parametrize("columns", [  # the edges of the widths rendered, in every run; the rest in the slow run
    "20", "51", "80", "121", "", "junk", *(pytest.param(width, marks=pytest.mark.slow) for width in ("52", "97", "120", "300"))])
def test_the_fast_help_is_typers_help(path, columns, monkeypatch):
    if columns:
        monkeypatch.setenv("COLUMNS", columns)
    else:
        monkeypatch.delenv("COLUMNS", raising=False)
    for flag in ("--help", "-h"):
        words = [*path.split(), flag]
        assert fast_route.stored_help(words) is not None  # the fast route does serve it
        fast, typer = run_cpe(*words), run_cpe(*words, route="typer")
        assert fast.exit_code == typer.exit_code == 0
        assert fast.stdout == typer.stdout
        assert fast.stderr == typer.stderr == ""


@pytest.mark.parametrize("argv", [["add", "--title", "--help"], ["--version", "--help"], ["show", "--help"],
                                  ["export", "csv", "--help"], ["ad", "--help"], ["add"], [], ["--help", "add"]])
def test_anything_else_goes_to_typer(argv):
    assert fast_route.stored_help(argv) is None


def test_a_changed_app_is_never_served_stale_help(monkeypatch):
    monkeypatch.setattr(help_text, "SOURCE", help_text.SOURCE ^ 1)
    assert fast_route.stored_help(["add", "--help"]) is None
    assert "Usage: cpe add" in run_cpe("add", "--help").stdout  # Typer's, current


@pytest.mark.parametrize("command", ["", "add", "import", "restore", "total", "list", "status", "export csv",
                                     "export zip", "rm", "edit", "show", "profile use", "backup", "verify"])
def test_help_fits_an_80_column_terminal(command, monkeypatch):
    """Every line of a command's help, its examples included, within 80 columns (examples are never rewrapped,
    so one too long breaks in the middle of a word on a new user's terminal)."""
    monkeypatch.setenv("COLUMNS", "80")
    result = run_cpe(*command.split(), "--help")
    assert result.exit_code == 0
    assert [line for line in result.stdout.splitlines() if len(line) > 80] == []
