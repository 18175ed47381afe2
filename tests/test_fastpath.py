"""The start-up fast path prints exactly what the Typer commands print, or steps aside."""

import pytest

from conftest import add_args
from cpe_cli import fastpath

SERVED = [
    ["total"], ["total", "--json"], ["total", "--preset", "all"], ["total", "-p", "last-year"],
    ["total", "--preset=last-30-days"], ["total", "-pall"], ["total", "--source", "lumiq", "--json"],
    ["total", "-s", "external", "-f", "tax"], ["total", "--year", "2025"], ["total", "--from", "2026-03-01"],
    ["total", "--to", "2026-03-01", "--json"], ["total", "--preset", "ytd", "--preset", "all"],
    ["list"], ["list", "--format", "json", "--preset", "all"], ["list", "--format=csv", "--source", "external"],
    ["list", "--field", "auditing", "--preset", "all"], ["list", "--year", "2024"],
    # served, and refused with the same one-line error and exit code as the Typer commands
    ["total", "--preset", "quarterly"], ["total", "--year", "2025", "--from", "2025-01-01"],
    ["total", "--source", "web"], ["list", "--field", "acc"], ["list", "--format", "xml"],
    ["total", "--from", "2026-02-30"], ["total", "--from", "2026-06-01", "--to", "2026-01-01"],
]
HANDED_OVER = [
    [], ["add"], ["total", "--help"], ["total", "-h"], ["total", "--bogus"], ["total", "--preset"],
    ["total", "extra"], ["total", "--year", "twenty"], ["total", "--", "--json"], ["list", "--json"],
    ["total", "--json=yes"], ["--version"], ["total", "-x"],
]


@pytest.fixture
def seeded(cpe):
    cpe(*add_args(title="Old", date="2025-03-01", credits="3", field="Taxes"))
    cpe(*add_args(title="Spring, \"quoted\"", date="2026-03-01", credits="1.5", field="Auditing", source="lumiq"))
    cpe(*add_args(title="=June", date="2026-06-10", credits="2", field="Taxes", state="NY"))


@pytest.mark.parametrize("argv", SERVED, ids=" ".join)
def test_fast_path_matches_the_typer_command(seeded, cpe, capsys, argv):
    assert fastpath.parse(argv) is not None
    typer_route = cpe(*argv)
    code = fastpath.run(argv)
    fast = capsys.readouterr()
    out = fast.out.replace("\r\n", "\n")  # CliRunner's Result.stdout normalises line ends the same way
    assert (code, out, fast.err) == (typer_route.exit_code, typer_route.stdout, typer_route.stderr)


@pytest.mark.parametrize("argv", HANDED_OVER, ids=lambda a: " ".join(a) or "(none)")
def test_anything_unusual_goes_to_typer(argv):
    assert fastpath.parse(argv) is None
    assert fastpath.run(argv) is None


def test_script_total_on_the_fast_path(seeded, cpe_process):
    result = cpe_process("total", "--preset", "all")
    assert (result.returncode, result.stdout, result.stderr) == (0, "6.5\n", "")
    usage = cpe_process("total", "--bogus")
    assert usage.returncode == 2 and usage.stderr.startswith("Error: No such option: --bogus")
