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

from support import MODULES_PROBE as PROBE, add_args, run_in_terminal

NOT_NEEDED = ("rich", "sqlite_utils", "csv", "zipfile", "tarfile", "pydantic", "dateutil")


REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_probe(tmp_path, args: list[str], env: dict[str, str] | None = None, *, terminal: bool = False,
              bare: bool = False) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run the probe; ``terminal``: standard input, output and error are a pseudo-terminal (its output comes back
    as standard output). ``bare``: without ``site`` (``python -S``), cpe_cli read from this checkout: the
    editable install's import hook loads ``pathlib``, ``re`` and ``importlib`` in every process before cpe
    runs, which a regular install does not, so only a bare interpreter shows whether cpe itself loads them
    (and a command that needs Typer fails there, loudly)."""
    out = tmp_path / f"modules-{len(list(tmp_path.glob('modules-*')))}.txt"
    full_env = {**os.environ, **(env or {}), "CPE_TEST_MODULES_OUT": str(out)}
    full_env.pop("PYTHONSTARTUP", None)
    python = [sys.executable, "-S", "-c", f"import sys; sys.path.insert(0, {REPOSITORY!r})\n" + PROBE] if bare \
        else [sys.executable, "-c", PROBE]
    if terminal:
        result = _run_in_terminal([*python, *args], full_env)
    else:
        result = subprocess.run([*python, *args], env=full_env, stdin=subprocess.DEVNULL,
                                capture_output=True, text=True, timeout=60)
    assert out.exists(), f"the probe did not finish: exit {result.returncode}\n{result.stderr}"
    modules = out.read_text(encoding="utf-8").splitlines()
    assert "cpe_cli.__main__" in modules, "the probe did not run cpe"
    return result, modules


def _run_in_terminal(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    env = {**env, "TERM": "xterm-256color", "CPE_PAGER": "cat"}
    env.pop("NO_COLOR", None)
    env.pop("COLUMNS", None)
    code, text = run_in_terminal(argv, env, columns=120, rows=50)
    return subprocess.CompletedProcess(argv, code, text, text)


def loaded(modules: list[str], packages=NOT_NEEDED) -> list[str]:
    """The top-level packages from ``packages`` that appear (themselves or a submodule) in ``modules``."""
    return sorted({name for name in packages for module in modules if module == name or module.startswith(name + ".")})


@pytest.fixture
def ledger_with_a_record(cpe):
    """A ledger created, migrated and holding one record before the probe runs (migrating needs sqlite_utils):
    written in this process, through the real entry point."""
    created = cpe(*add_args(credits="2.5"))
    assert created.exit_code == 0, created.stderr


@pytest.fixture
def three_profiles_tracked(cpe, ledger_with_a_record):
    """California, New York and Texas tracked, as the benchmark has them."""
    for words in (("ca", "--period-end", "2027-03-31"), ("ny",), ("tx", "--period-end", "2026-08-31")):
        assert cpe("profile", "use", *words).exit_code == 0


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
    """The guard can fail: a CSV listing sorted by credits does load csv, so an empty list above is a real
    observation."""
    result, modules = run_probe(tmp_path, ["list", "--format", "csv", "--sort", "credits"])
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


# Issue 14: what each hot command must not load, seen by one bare probe (``python -S``, cpe_cli read from this
# checkout, no site-packages: a command that reached for Typer, Click, Rich or sqlite_utils would fail there,
# loudly, and the snapshot shows any such module it did load). Typer and Click (the fast route serves these),
# Rich (the badge and the list table are drawn by cpe; only the import progress bar loads it), sqlite_utils (only
# to migrate), tomllib (only to read a profile file; the built-in profiles are compiled into Python), csv (the
# export path builds CSV lines in SQL), dateutil (written-out dates only), pydantic (never).
ALWAYS = ("typer", "click", "sqlite_utils", "pydantic", "dateutil", "zipfile", "tarfile")
# And from the standard library, beyond SQLite, dates and decimals: nothing heavy. ``dataclasses`` (with
# ``inspect``, ``ast``, ``dis``, ``tokenize``) cost 15-40 ms on the 2-core machine measured, ``typing`` ~10 ms,
# ``pathlib`` (with ``fnmatch``, ``re``, ``urllib``) 5-10 ms, ``shutil`` (with ``bz2``, ``lzma``) 3-5 ms,
# ``importlib`` and ``warnings`` ~1 ms; the floor is ~35 ms.
HEAVY_STDLIB = ("dataclasses", "inspect", "typing", "pathlib", "re", "shutil", "importlib", "urllib", "fnmatch")
HOT_FORBIDDEN = (*ALWAYS, "rich", "tomllib", "csv", *HEAVY_STDLIB)
# JSON is written by the json module, and the status's notes wrapped by textwrap: both compile patterns with re.
STATUS_FORBIDDEN = tuple(name for name in HOT_FORBIDDEN if name != "re")
# ``cpe verify`` works with the files beside the ledger (pathlib, and re for their names), but its report and
# the facts of its one read are plain classes: at 1,000,000 records it has ~1.5x SQLite's own check to run in.
VERIFY_FORBIDDEN = (*ALWAYS, "rich", "tomllib", "csv", "dataclasses", "inspect", "typing", "shutil")
HOT = [
    pytest.param(["total"], False, HOT_FORBIDDEN, id="total-piped"),
    pytest.param(["total", "--by", "month"], False, HOT_FORBIDDEN, id="total-by-month"),
    pytest.param(["total"], True, HOT_FORBIDDEN, id="total-badge"),
    pytest.param(["list", "--preset", "last-30-days", "--no-pager"], True, HOT_FORBIDDEN, id="list-terminal"),
    pytest.param(["list", "--format", "csv", "--preset", "all-time"], False, HOT_FORBIDDEN, id="list-csv"),
    pytest.param([*add_args(title="Hot path", state="CA", description="notes")], False, HOT_FORBIDDEN, id="add"),
    pytest.param(["status", "--json"], False, STATUS_FORBIDDEN, id="status-json"),
    pytest.param(["status"], False, STATUS_FORBIDDEN, id="status"),
    pytest.param(["verify"], False, VERIFY_FORBIDDEN, id="verify"),
    pytest.param(["--help"], False, (*HOT_FORBIDDEN, "sqlite3"), id="help"),
    pytest.param(["add", "--help"], True, (*HOT_FORBIDDEN, "sqlite3"), id="add-help-terminal"),
]


@pytest.mark.parametrize(("args", "terminal", "forbidden"), HOT)
def test_hot_commands_load_nothing_on_their_forbidden_list(tmp_path, three_profiles_tracked, args, terminal,
                                                           forbidden):
    result, modules = run_probe(tmp_path, args, terminal=terminal, bare=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert loaded(modules, forbidden) == []


def test_adding_a_certificate_loads_no_heavy_standard_module(tmp_path, ledger_with_a_record):
    """A certificate's path reaches the handler as text and the store joins strings: no pathlib, no re."""
    certificate = tmp_path / "Ethics certificate.PDF"
    certificate.write_bytes(b"%PDF-1.4 fake")
    result, modules = run_probe(tmp_path, [*add_args(title="With a file"), "--certificate", str(certificate)],
                                bare=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Added record 2" in result.stderr
    assert loaded(modules, HEAVY_STDLIB) == []


def test_a_bare_probe_sees_a_heavy_module_when_one_is_loaded(tmp_path, ledger_with_a_record):
    """The guard above can fail: ``cpe list --sort credits --format csv`` loads csv, which loads re."""
    result, modules = run_probe(tmp_path, ["list", "--format", "csv", "--sort", "credits"], bare=True)
    assert result.returncode == 0, result.stderr
    assert loaded(modules, HEAVY_STDLIB) == ["re"]


@pytest.mark.parametrize(("words", "cword", "expected"), [
    pytest.param("cpe add --field Ta", "3", "Taxes", id="field-value"),
    pytest.param("cpe total --field Acc", "3", "Accounting", id="filter-field-value"),
])
def test_completion_of_values_imports_nothing_on_its_forbidden_list(tmp_path, words, cword, expected):
    env = {"_CPE_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": cword}
    result, modules = run_probe(tmp_path, [], env)
    assert result.returncode == 0, result.stderr
    assert any(expected in line for line in result.stdout.splitlines())
    assert loaded(modules, (*ALWAYS, "rich", "tomllib", "csv", "dataclasses", "inspect")) == []


def test_completion_of_record_ids_reads_the_ledger_without_opening_it_as_commands_do(tmp_path, ledger_with_a_record):
    """``cpe show <TAB>`` answers from one read-only query (store.peek): not the Ledger class, its certificate
    store and migrations, nor dataclasses (~30 ms of every TAB), nor the catalog and its decimals (~4 ms)."""
    env = {"_CPE_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "cpe show "}
    result, modules = run_probe(tmp_path, [], env)
    assert result.returncode == 0, result.stderr
    assert "_cpe_values=('1')" in result.stdout
    assert loaded(modules, (*ALWAYS, "rich", "tomllib", "csv", "dataclasses", "cpe_cli.store.ledger",
                            "cpe_cli.store.certificates", "cpe_cli.core.catalog", "decimal")) == []


def test_the_terminal_probe_sees_the_badge_drawn(tmp_path, ledger_with_a_record):
    """The guard can fail in a terminal too: the probe sees the module only a terminal's badge loads."""
    result, modules = run_probe(tmp_path, ["total"], terminal=True)
    assert result.returncode == 0, result.stdout
    assert "cpe_cli.cli.badge" in modules and "Total CPE Credits" in result.stdout


@pytest.mark.parametrize("env", [
    pytest.param({"_CPE_COMPLETE": "complete_bash", "COMP_WORDS": "cpe add --field Ta", "COMP_CWORD": "3"},
                 id="bash-field-value"),
    pytest.param({"_CPE_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "cpe show "}, id="zsh-record-id"),
    pytest.param({"_CPE_COMPLETE": "complete_fish", "_TYPER_COMPLETE_ARGS": "cpe total --field acc",
                  "_TYPER_COMPLETE_FISH_ACTION": "get-args"}, id="fish-field-value"),
])
def test_tab_loads_no_heavy_standard_module(tmp_path, ledger_with_a_record, env):
    result, modules = run_probe(tmp_path, [], env, bare=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert loaded(modules, (*HEAVY_STDLIB, "shlex")) == []


def test_a_profile_group_named_as_a_field_filter_loads_no_suggestion_machinery(tmp_path, three_profiles_tracked):
    """``--field aa`` is not a field but a tracked profile's group: its first, failed reading as a field must not
    compute a "did you mean" (``difflib``, ~1.5 ms) that nobody will see."""
    result, modules = run_probe(tmp_path, ["total", "--field", "aa"])
    assert result.returncode == 0, result.stderr
    assert "difflib" not in modules
    misspelled, modules = run_probe(tmp_path, ["total", "--field", "taxs"])
    assert misspelled.returncode == 2 and "did you mean Taxes?" in misspelled.stderr
    assert "difflib" in modules  # the probe sees it where it is used
