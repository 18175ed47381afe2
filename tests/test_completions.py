"""TAB completion: the shipped scripts match what cpe generates, and requests answer correctly."""

import os
import subprocess
from pathlib import Path

import pytest

from support import installed_cpe

COMPLETIONS = Path(__file__).resolve().parent.parent / "completions"


@pytest.mark.parametrize("shell, name", [("fish", "cpe.fish")])  # bash's and zsh's scripts are cpe's own
def test_shipped_completion_scripts_are_current(shell, name):
    generated = subprocess.run([installed_cpe()], env={**os.environ, "_CPE_COMPLETE": f"source_{shell}"},
                               capture_output=True, text=True, check=True).stdout
    assert (COMPLETIONS / name).read_text() == generated, f"regenerate completions/{name} (see README)"


def complete_bash(words: str) -> list[str]:
    parts = words.split(" ")
    env = {**os.environ, "_CPE_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(parts) - 1)}
    result = subprocess.run([installed_cpe()], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_completes_commands_options_and_values(home):
    assert {"total", "list", "add", "catalog"} <= set(complete_bash("cpe "))
    assert complete_bash("cpe total --pre") == ["--preset"]
    assert complete_bash("cpe total --preset last-") == ["last-7-days", "last-30-days", "last-year"]
    assert complete_bash("cpe list --source l") == ["lumiq"]
    assert complete_bash("cpe add --state N") == ["NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "MP"]
    assert not home.exists()  # completing never creates a ledger


def bash_completes(words: str) -> list[str]:
    """What a real bash puts in COMPREPLY with the shipped script, for the line ``words`` (readline quotes a
    value when it inserts it: see tests/test_completion_shells.py)."""
    script = (f". {COMPLETIONS / 'cpe.bash'}\n"
              f"COMP_WORDS=({words}); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))\n"  # completing the last word
              f"_cpe_completion {installed_cpe()}\n"
              "printf '%s\\n' \"${COMPREPLY[@]}\"\n")
    result = subprocess.run(["bash", "--norc", "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line]


def test_bash_script_offers_values_as_they_read(home):
    assert bash_completes("cpe add --field Reg") == ["Regulatory Ethics"]
    assert bash_completes("cpe add --field reg") == ["Regulatory Ethics"]  # any case
    assert bash_completes("cpe total --preset last-") == ["last-7-days", "last-30-days", "last-year"]
    assert bash_completes("cpe add --field 'Computer'") == ["Computer Software & Applications"]
