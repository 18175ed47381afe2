"""The README's captured terminal output: a demo ledger, shown as a person at an 80-column terminal sees it.

``python tools/readme_samples.py --write`` builds a small ledger in a
temporary ``CPE_HOME`` (the clock pinned with ``CPE_TODAY``), runs each
sample command in a real pseudo-terminal 80 columns wide (``pexpect``, as
the table tests do), strips the colours, and rewrites README.md between
``<!-- samples:start -->`` and ``<!-- samples:end -->``.
``tests/test_readme_samples.py`` fails when that part is stale, so the
pictures in the README are what cpe prints today.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- samples:start -->", "<!-- samples:end -->"
WIDTH = 80
TODAY = "2026-11-20"

DEMO = [  # title, credits, field, delivery, provider, date, extra words
    ("Ethics for CPAs: Professional Conduct in a Changing Regulatory Landscape", "4", "Regulatory Ethics",
     "Group Live", "AICPA", "2026-02-12", ["--state", "CA", "--tag", "ca-regulatory-review"]),
    ("Revenue Recognition Deep Dive", "1.5", "Accounting", "Group Internet Based", "Becker", "2026-03-04",
     ["--source", "lumiq"]),
    ("Lease Accounting Update (ASC 842)", "2", "Accounting", "QAS Self Study", "Becker", "2026-05-21", []),
    ("Federal Tax Update 2026", "8", "Taxes", "Group Live", "State Society of CPAs", "2026-06-30",
     ["--state", "CA"]),
    ("Fraud Risk in Small Entities", "3", "Auditing", "Group Internet Based", "ACFE", "2026-09-09",
     ["--tag", "fraud"]),
    ("Excel for Accountants", "0.2", "Computer Software and Applications", "Nano Learning", "LumiQ",
     "2026-10-02", ["--source", "lumiq"]),
]

SAMPLES = [
    ("The badge (`cpe total` on a terminal):", ["total"]),
    ("The list at 80 columns (`cpe list --year 2026`): Title takes the room and wraps between words; "
     "the columns that do not fit are named under the table:", ["list", "--year", "2026", "--no-pager"]),
    ("A breakdown (`cpe total --year 2026 --by field`):", ["total", "--year", "2026", "--by", "field"]),
]

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def _environment(home: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PYTHON", "CPE_", "PAGER", "LESS")) and key not in ("COLUMNS", "LINES")}
    env.update(CPE_HOME=home, CPE_TODAY=TODAY, TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8")
    return env


def _cpe(*words: str) -> list[str]:
    return [sys.executable, "-m", "cpe_cli", *words]


def _in_terminal(words: list[str], env: dict[str, str]) -> str:
    """What ``cpe WORDS`` shows in an 80 x 50 pseudo-terminal, colours stripped, trailing spaces cut."""
    import pexpect

    program, *arguments = _cpe(*words)
    child = pexpect.spawn(program, arguments, env=env, dimensions=(50, WIDTH),
                          encoding="utf-8", timeout=60)
    child.expect(pexpect.EOF)
    child.close()
    if child.exitstatus != 0:
        raise SystemExit(f"cpe {' '.join(words)} failed: {child.before}")
    text = _ANSI.sub("", child.before.replace("\r\n", "\n"))
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines()) + "\n"


def samples() -> str:
    """The README block, made afresh."""
    with tempfile.TemporaryDirectory() as folder:
        env = _environment(str(Path(folder) / "cpe"))
        for title, credits, field, delivery, provider, day, extra in DEMO:
            subprocess.run(_cpe("add", "--no-input", "-t", title, "-c", credits, "-f", field, "-m", delivery,
                                "-P", provider, "-d", day, *extra), env=env, check=True,
                           capture_output=True)
        blocks = [START, ""]
        for caption, words in SAMPLES:
            blocks += [caption, "", "```", f"$ cpe {' '.join(words)}", _in_terminal(words, env).rstrip("\n"),
                       "```", ""]
        blocks.append(END)
    return "\n".join(blocks)


def current_readme() -> str:
    text = README.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return head + samples() + tail


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit("usage: python tools/readme_samples.py --write")
    README.write_text(current_readme(), encoding="utf-8")
