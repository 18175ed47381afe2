"""The start-up fast path prints exactly what the Typer commands print, or steps aside."""

import pytest

from conftest import add_args
from cpe_cli.cli import fast_route as fastpath

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
    [], ["add", "--help"], ["show", "1"], ["total", "--help"], ["total", "-h"], ["total", "--bogus"], ["total", "--preset"],
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


ADDS = [
    ["add", "--no-input", "-t", "Ethics", "-c", "2", "-f", "reg eth", "-m", "gl", "-P", "AICPA", "-d", "2026-06-01"],
    ["add", "--title=Tax", "--credits=0.5", "--field=Taxes", "--delivery=Group Live", "--provider=Becker",
     "--state", "ny", "--source", "lumiq", "--description", "two\nlines"],
    ["add", "-t", "Only a title"],
    ["add", "--no-input", "-t", "x", "-c", "abc", "-f", "zzz", "-m", "gl", "-P", "p"],
    ["add", "-t", "T", "-c", "1", "-f", "tax", "-m", "gl", "-P", "p", "--certificate", "/nonexistent.pdf"],
    ["add", "-t", "T", "-c", "1", "-f", "tax", "-m", "gl", "-P", "p", "-d", "2026-06-12"],
]


@pytest.mark.parametrize("argv", ADDS, ids=lambda a: " ".join(a)[:60])
def test_scripted_add_on_the_fast_path_matches_typer(cpe, capsys, monkeypatch, tmp_path, argv):
    assert fastpath.parse(argv) is not None
    monkeypatch.setenv("CPE_HOME", str(tmp_path / "typer-route"))
    cpe(*add_args(title="Seed"))
    typer_route = cpe(*argv)
    monkeypatch.setenv("CPE_HOME", str(tmp_path / "fast-route"))
    cpe(*add_args(title="Seed"))
    capsys.readouterr()
    code = fastpath.run(argv)
    fast = capsys.readouterr()
    assert (code, fast.out, fast.err) == (typer_route.exit_code, typer_route.stdout, typer_route.stderr)


def test_add_on_a_terminal_is_left_to_typer_for_the_form(monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    assert fastpath.run(["add", "-t", "x"]) is None
