"""Help that teaches: every command's help ends with real examples, and the README's reference is the help."""

import pytest

from cpe_cli.cli import reference
from support import run_cpe


def test_the_readme_command_reference_is_the_current_help():
    assert reference.README.read_text(encoding="utf-8") == reference.current_readme(), \
        "stale: run python -m cpe_cli.cli.reference --write"


@pytest.mark.parametrize("path", [path for path in reference.command_paths() if path
                                  and path not in ("export", "profile")])
def test_every_command_help_ends_with_examples(path):
    result = run_cpe(*path.split(), "--help")
    assert result.exit_code == 0
    tail = result.stdout.rstrip().split("Examples:")
    assert len(tail) == 2, f"cpe {path} --help has no examples"
    examples = [line.strip() for line in tail[1].splitlines() if line.strip()]
    assert examples and all(line.startswith(("cpe ", "id=", "x=", "CPE_HOME=")) for line in examples), examples


def test_help_fills_a_wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    wide = run_cpe("list", "--help", route="typer").stdout
    assert max(len(line) for line in wide.splitlines()) > 100
