"""Start-up structure: the fast paths import only what they need (issue 6).

Guards the structure rather than the clock: each case runs ``cpe`` in a fresh
interpreter (as the installed script does: ``cpe_cli.__main__.main()`` with the
command's argv), snapshots ``sys.modules`` in an ``atexit`` hook, and asserts
that none of the heavy packages the command has no use for was imported.
Costs measured on the development machine (``python -X importtime``): rich's
console ~40-60 ms, sqlite_utils ~115 ms, dateutil.parser ~50 ms, pydantic
~80 ms; csv, zipfile and tarfile belong to import/export only.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from support import add_args

# What the probed process runs: the console script's body, plus a snapshot of
# sys.modules taken at exit (after the command, before anything else is imported).
PROBE = r"""
import atexit, os, sys

def _snapshot():
    names = sorted(sys.modules)
    with open(os.environ["CPE_TEST_MODULES_OUT"], "w", encoding="utf-8") as out:
        out.write("\n".join(names))

atexit.register(_snapshot)
sys.argv = ["cpe", *sys.argv[1:]]
from cpe_cli.__main__ import main
main()
"""

NOT_NEEDED = ("rich", "sqlite_utils", "csv", "zipfile", "tarfile", "pydantic", "dateutil")


def run_probe(tmp_path, args: list[str], env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess,
                                                                                     list[str]]:
    out = tmp_path / f"modules-{len(list(tmp_path.glob('modules-*')))}.txt"
    full_env = {**os.environ, **(env or {}), "CPE_TEST_MODULES_OUT": str(out)}
    full_env.pop("PYTHONSTARTUP", None)
    result = subprocess.run([sys.executable, "-c", PROBE, *args], env=full_env, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=60)
    assert out.exists(), f"the probe did not finish: exit {result.returncode}\n{result.stderr}"
    modules = out.read_text(encoding="utf-8").splitlines()
    assert "cpe_cli.__main__" in modules, "the probe did not run cpe"
    return result, modules


def loaded(modules: list[str], packages=NOT_NEEDED) -> list[str]:
    """The top-level packages from ``packages`` that appear (themselves or a submodule) in ``modules``."""
    return sorted({name for name in packages for module in modules if module == name or module.startswith(name + ".")})


@pytest.fixture
def ledger_with_a_record(cpe_process):
    """A ledger created, migrated and holding one record, by earlier processes (migrating needs sqlite_utils)."""
    created = cpe_process(*add_args(credits="2.5"))
    assert created.returncode == 0, created.stderr


def test_version_imports_nothing_it_does_not_need(tmp_path):
    result, modules = run_probe(tmp_path, ["--version"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("cpe ")
    assert loaded(modules) == []


BASH_COMPLETIONS = [
    pytest.param("cpe total --pre", "2", "--preset", id="bash-option-name"),
    pytest.param("cpe total --preset last", "3", "last-30-days", id="bash-option-value"),
    pytest.param("cpe t", "1", "total", id="bash-command-name"),
]


@pytest.mark.parametrize(("words", "cword", "expected"), BASH_COMPLETIONS)
def test_bash_completion_imports_nothing_it_does_not_need(tmp_path, words, cword, expected):
    # What Typer 0.28's bash completion script sends (typer/_completion_shared.py, COMPLETION_SCRIPT_BASH).
    env = {"_CPE_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": cword}
    result, modules = run_probe(tmp_path, [], env)
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout.split()
    assert loaded(modules) == []


def test_zsh_completion_imports_nothing_it_does_not_need(tmp_path):
    env = {"_CPE_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "cpe t"}
    result, modules = run_probe(tmp_path, [], env)
    assert result.returncode == 0, result.stderr
    assert "'total'" in result.stdout
    assert loaded(modules) == []


def test_piped_total_imports_nothing_it_does_not_need(tmp_path, ledger_with_a_record):
    result, modules = run_probe(tmp_path, ["total"])  # stdout is a pipe: the bare number, nothing rendered
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2.5"
    assert loaded(modules) == []


def test_the_probe_sees_what_a_command_does_import(tmp_path, ledger_with_a_record):
    """The guard can fail: the CSV listing does load csv, so an empty list above is a real observation."""
    result, modules = run_probe(tmp_path, ["list", "--format", "csv"])
    assert result.returncode == 0, result.stderr
    assert "csv" in loaded(modules)


@pytest.mark.parametrize("args", [["total"], ["list", "-n", "1"], ["show", "1"], ["list", "--sort", "credits"],
                                  [*add_args(title="Scripted")], ["rm", "1", "--yes"]],
                         ids=lambda args: " ".join(args[:3]))
def test_the_fast_route_serves_commands_without_typer(tmp_path, ledger_with_a_record, args):
    """Every declared command can take the fast route; a hand-kept command table would let one slip to Typer."""
    result, modules = run_probe(tmp_path, args)
    assert result.returncode == 0, result.stderr
    assert loaded(modules, ("typer", "click", "rich")) == []
