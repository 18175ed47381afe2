"""TAB completion in the real shells (bash, zsh, fish), with the scripts shipped in completions/.

Each test starts the shell interactively in a pseudo-terminal, loads the
script as the README says, types a command line and TAB, and reads what the
shell shows: the word inserted, or the list with descriptions. A shell that
is not installed is skipped with the reason (CI installs bash, zsh and fish
from Debian's packages).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pexpect
import pytest

from support import add_args, installed_cpe

COMPLETIONS = Path(__file__).resolve().parent.parent / "completions"
PROMPT = "READY> "


def shell_env(home: Path, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PATH": f"{Path(installed_cpe()).parent}:{os.environ['PATH']}", "CPE_HOME": str(home),
            "TERM": "dumb", "HOME": str(tmp_path), "PS1": PROMPT}


def needs(shell: str) -> str:
    path = shutil.which(shell)
    if path is None:
        pytest.skip(f"{shell} is not installed (CI installs it with apt-get)")
    return path


def start(shell: str, env: dict[str, str]) -> pexpect.spawn:
    if shell == "bash":
        child = pexpect.spawn(needs("bash"), ["--norc", "--noprofile", "-i"], env=env, encoding="utf-8",
                              dimensions=(40, 150), timeout=15)
        setup = f"PS1='{PROMPT}'; . {COMPLETIONS / 'cpe.bash'}"
    elif shell == "zsh":
        child = pexpect.spawn(needs("zsh"), ["-f", "-i"], env=env, encoding="utf-8", dimensions=(40, 150), timeout=15)
        setup = (f"PROMPT='{PROMPT}'; fpath=({COMPLETIONS} $fpath); autoload -Uz compinit && compinit -u; "
                 "unsetopt beep")
    else:  # fish draws its completion pager only on a capable terminal
        child = pexpect.spawn(needs("fish"), ["--no-config", "-i"], env={**env, "TERM": "xterm"}, encoding="utf-8",
                              dimensions=(40, 150), timeout=15)
        setup = f"function fish_prompt; echo -n '{PROMPT}'; end; source {COMPLETIONS / 'cpe.fish'}"
    child.sendline(setup)
    # Synchronise on text only the shell's output can hold (the typed line echoes PROMPT itself).
    child.sendline("echo sync-(math 1+1)" if shell == "fish" else "echo sync-$((1+1))")
    child.expect_exact("sync-2")
    child.expect_exact(PROMPT)
    return child


def screen(raw: str) -> str:
    """The text as a terminal leaves it: backspaces move left and later characters overwrite earlier ones."""
    raw = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]|\x1b\][^\x07]*\x07|\x07", "", raw)
    lines, line, column = [], [], 0
    for char in raw:
        if char == "\n":
            lines.append("".join(line).rstrip())
            line, column = [], 0
        elif char == "\r":
            column = 0
        elif char == "\x08":
            column = max(column - 1, 0)
        elif char.isprintable() or char == "\t":
            if column < len(line):
                line[column] = char
            else:
                line.append(char)
            column += 1
    lines.append("".join(line).rstrip())
    return "\n".join(lines)


def after_tab(child: pexpect.spawn, line: str, tabs: int = 1, shell: str = "") -> str:
    """What the terminal shows after typing ``line`` and TAB (``tabs`` times); the line is then cancelled."""
    child.send(line)
    shown = ""
    for _ in range(tabs):
        time.sleep(0.3)
        child.send("\t")
        quiet = 1.2 if shell == "fish" else 0.5  # fish runs cpe twice a TAB (is-args, then get-args)
        while True:  # until the shell has been quiet for a moment: cpe answered and the screen is drawn
            try:
                shown += child.read_nonblocking(65536, timeout=quiet)
            except pexpect.TIMEOUT:
                break
    child.send("\x03")
    child.sendline("echo sync-(math 2+2)" if shell == "fish" else "echo sync-$((2+2))")
    child.expect_exact("sync-4")
    child.expect_exact(PROMPT)
    return screen(shown)


@pytest.fixture
def ledger(cpe, home):
    for title in ("Ethics for CPAs", "Lease accounting", "Tax update 2026"):
        assert cpe(*add_args(title=title)).exit_code == 0
    return home


# bash in every run; zsh and fish (seconds each to start) in the CI's slow run, which types them all.
EVERY_SHELL = ["bash", pytest.param("zsh", marks=pytest.mark.slow), pytest.param("fish", marks=pytest.mark.slow)]


@pytest.mark.parametrize("shell", EVERY_SHELL)
def test_a_value_with_spaces_is_inserted_as_one_word(shell, ledger, tmp_path):
    child = start(shell, shell_env(ledger, tmp_path))
    shown = after_tab(child, "cpe add --field reg", shell=shell)  # lowercase: matched without regard to case
    assert re.search(r"cpe add --field (Regulatory\\ Ethics|'Regulatory Ethics')", shown), shown


@pytest.mark.parametrize("shell", EVERY_SHELL)
def test_record_ids_are_offered_for_show(shell, ledger, tmp_path):
    child = start(shell, shell_env(ledger, tmp_path))
    shown = after_tab(child, "cpe show ", tabs=1 if shell == "fish" else 2, shell=shell)
    assert all(number in shown for number in ("1", "2", "3")), shown
    if shell in ("zsh", "fish"):  # these shells show descriptions: the title beside the id
        assert "Tax update 2026" in shown and "Lease accounting" in shown, shown


@pytest.mark.slow  # bash's listing, after the insertion tests above: the CI's slow run
def test_bash_lists_candidates_as_they_read(ledger, tmp_path):
    child = start("bash", shell_env(ledger, tmp_path))
    shown = after_tab(child, "cpe add --field Acc", tabs=3)
    assert "Accounting (Governmental)" in shown and "Accounting\\ \\(" not in shown, shown


@pytest.mark.slow  # the same path as the field test above; the CI's slow run types it in every shell
@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_state_by_name_completes_the_code(shell, ledger, tmp_path):
    child = start(shell, shell_env(ledger, tmp_path))
    shown = after_tab(child, "cpe add --state califor", shell=shell)
    assert "cpe add --state CA" in shown, shown
