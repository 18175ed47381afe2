"""The installed `cpe` console script and `python -m cpe_cli`, in real subprocesses."""

import json
import subprocess
import sys

from support import SCRIPT, add_args, installed_cpe


def test_the_installed_command_is_the_scripts_own_text():
    """pip installs bin/cpe as it is, its first line aside (the Python), rather than a generated entry point that
    imports ``re`` before cpe starts; the start-up probes run that same text (support.MODULES_PROBE)."""
    installed = open(installed_cpe(), encoding="utf-8").read().splitlines()
    ours = SCRIPT.read_text(encoding="utf-8").splitlines()
    assert installed[0].startswith("#!") and "python" in installed[0]
    assert installed[1:] == ours[1:]
    assert not any(line.startswith(("import re", "from re ")) for line in installed)


def test_main_paths_through_the_installed_script(cpe_process, home):
    added = cpe_process(*add_args(credits="2.5", certificate=None))
    assert added.returncode == 0, added.stderr
    assert "Added record 1" in added.stderr
    piped = cpe_process("total")
    assert (piped.returncode, piped.stdout, piped.stderr) == (0, "2.5\n", "")
    listed = json.loads(cpe_process("list", "--format", "json").stdout)
    assert [row["credits"] for row in listed] == [2.5]
    assert (home / "cpe.db").exists()


def test_errors_from_the_installed_script_are_one_line(cpe_process, home):
    result = cpe_process("add", "--title", "x", input="")
    assert result.returncode == 2
    assert result.stderr.startswith("Error: missing required options: --credits")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not home.exists()


def test_python_dash_m_is_the_same_program(home):
    result = subprocess.run([sys.executable, "-m", "cpe_cli", "total", "--json"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["total"] == 0


def test_a_damaged_ledger_is_one_line_from_the_script(cpe_process, home):
    home.mkdir()
    (home / "cpe.db").write_text("not a database")
    quiet = cpe_process("total")
    assert quiet.returncode == 1 and "Traceback" not in quiet.stderr
    assert quiet.stderr.startswith("Error: ") and quiet.stderr.count("\n") == 1
