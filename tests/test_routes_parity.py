"""Both routes, one behaviour: any command line gives the same output, exit code and ledger on either route.

Command lines are built from the generated spec (every command that takes
no files, every option in each of its spellings, values valid and not, and
malformed words), then run through the real entry point twice on two
copies of one ledger: once on the fast route, once forced onto Typer
(``CPE_ROUTE=typer``). A hand-written table in the fast route, a wrong
destination or a conversion that differs from Click's fails here.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cpe_cli.cli.spec import COMMANDS
from support import add_args, run_cpe

CERTIFICATE_DIR = Path(__file__).parent  # a readable file stands in for a certificate: this test module
COMMAND_PATHS = ["total", "list", "add", "catalog", "show", "edit", "rm", "export csv", "verify", "status",
                 "profile list", "profile show", "profile use", "profile drop", "info"]
VALUES = {
    "preset": ["ytd", "all", "last-30-days", "last-year", "quarterly", ""],
    "start": ["2026-01-01", "2026-02-30", "06/01/2026", "x", "2027-01-01"],
    "end": ["2026-06-30", "2025-12-31", "y"],
    "year": ["2025", "2026", "twenty", "-1", "99999999999999999999"],
    "source": ["all", "lumiq", "external", "web", "LUMIQ"],
    "field": ["tax", "reg eth", "acc", "zz", "Auditing"],
    "field_of_study": ["tax", "reg eth", "acc", "zz", "Auditing"],
    "output_format": ["table", "csv", "json", "xml"],
    "limit": ["0", "1", "-1", "x", "3"],
    "sort": ["date", "credits", "title", "size", "TITLE"],
    "title": ["Ethics", "", "=Formula", "Two  spaces"],
    "credits": ["1", "0.5", "abc", "0", "2.25"],
    "state": ["CA", "ny", "Narnia", ""],
    "date": ["2026-06-01", "2026-06-12", "2025-02-29", ""],
    "delivery_method": ["gl", "QAS", "hybrid", "nano"],
    "provider": ["AICPA", ""],
    "description": ["notes", ""],
    "certificate": [str(Path(__file__)), "/nonexistent.pdf", ""],
    "output_file": ["-"],
    "what": ["fields", "states", "x", "all"],
    "record_id": ["1", "2", "99", "0", "x", "-1"],
    "record_ids": ["1", "3", "99", "0", "x"],
    "tags": ["fraud", "FL-Ethics", "two words", ""],
    "untags": ["fraud", "absent"],
    "profile_id": ["ny", "ca", "zz", "FL"],
    "profile_ids": ["ny", "tx", "zz"],
    "period_end": ["2027-03-31", "2026-02-30", "x"],
    "declare": ["attest", "atest"],
    "as_of": ["2026-06-01", "2030-01-01", "y"],
    "warn_days": ["30", "-1", "x"],
    "by": ["month", "field", "tag", "weekday"],
    "maps": ["Credits Earned=credits", "x=nope", "bad"],
    "value_maps": ["field_of_study:Acct=Accounting", "x:y=z", "bad"],
    "delimiter": [",", ";", "tab", "|"],
    "file_format": ["csv", "json", "xml"],
    "errors_file": [os.devnull],
    "batch": ["1", "2", "0", "x", "99999999999999999999"],
}
MALFORMED = ["--bogus", "--", "-", "--json=1", "-yv", "--limit=", "extra"]


@st.composite
def command_lines(draw) -> list[str]:
    path = draw(st.sampled_from(COMMAND_PATHS))
    entry = COMMANDS[path]
    words = path.split()
    options = [option for option in entry["options"] if "n" not in option[5]]
    chosen = draw(st.lists(st.sampled_from(options), max_size=4)) if options else []
    for names, dest, kind, _default, _completer, _traits in chosen:
        name = draw(st.sampled_from(names))
        if kind == "flag":
            words.append(name)
            continue
        value = draw(st.sampled_from(VALUES[dest]))
        form = draw(st.sampled_from(["separate", "joined"]))
        if form == "joined" and name.startswith("--"):
            words.append(f"{name}={value}")
        elif form == "joined":
            words.append(name + value)
        else:
            words += [name, value]
    for dest, *_ in entry["arguments"]:
        for _ in range(draw(st.integers(0, 2))):
            words.append(draw(st.sampled_from(VALUES[dest])))
    if draw(st.integers(0, 4)) == 0:
        words.insert(draw(st.integers(1, len(words))), draw(st.sampled_from(MALFORMED)))
    return words


def ledger_state(home: Path) -> tuple:
    """What a command could change: the records and trash (timestamps aside) and the certificate files."""
    if not (home / "cpe.db").exists():
        return ("no ledger", sorted(os.listdir(home)) if home.exists() else None)
    conn = sqlite3.connect(home / "cpe.db")
    try:
        records = conn.execute("SELECT id, title, credits, field_of_study, state, completed_on, delivery_method, "
                               "provider, description, source, certificate_name, certificate_sha256 "
                               "FROM records ORDER BY id").fetchall()
        trash = conn.execute("SELECT record_id, batch FROM trash ORDER BY id").fetchall()
    finally:
        conn.close()
    files = sorted(hashlib.sha256(path.read_bytes()).hexdigest()
                   for path in (home / "certificates").glob("*") if path.is_file())
    return records, trash, files


@pytest.fixture(scope="module")
def seeded_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("seed") / "home"
    saved = os.environ.get("CPE_HOME")
    os.environ["CPE_HOME"] = str(home)
    try:
        for overrides in ({"title": "Old", "date": "2025-03-01", "credits": "3", "field": "Taxes"},
                          {"title": "Spring", "date": "2026-03-01", "credits": "1.5", "field": "Auditing",
                           "source": "lumiq", "certificate": str(Path(__file__))},
                          {"title": "=June", "date": "2026-06-10", "credits": "2", "field": "Taxes", "state": "NY"}):
            assert run_cpe(*add_args(**overrides)).exit_code == 0
    finally:
        os.environ["CPE_HOME"] = saved or ""
    return home


def run_on_route(route: str | None, seed: Path, folder: Path, words: list[str]):
    home = folder / ("typer" if route else "fast")
    if home.exists():
        shutil.rmtree(home)
    shutil.copytree(seed, home)
    result = run_cpe(*words, route=route, env={"CPE_HOME": str(home)})
    shown = (_without_clock(result.stdout.replace(str(home), "<HOME>")), result.stderr.replace(str(home), "<HOME>"))
    return result.exit_code, shown, ledger_state(home)


def _without_clock(text: str) -> str:
    """``added_at``/``changed_at`` (``add --json``, ``edit --json``) read the clock: the two routes run a moment
    apart, sometimes on either side of a second."""
    return re.sub(r'"(added_at|changed_at)": "[^"]*"', r'"\1": "<NOW>"', text)


def both_routes_agree(seeded_home, tmp_path, words):
    fast = run_on_route(None, seeded_home, tmp_path, words)
    typer = run_on_route("typer", seeded_home, tmp_path, words)
    assert fast == typer, words


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=command_lines())
def test_both_routes_agree(seeded_home, tmp_path, words):  # 30 in every run; the slow run tries 1,000
    both_routes_agree(seeded_home, tmp_path, words)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=command_lines())
def test_both_routes_agree_on_a_thousand_command_lines(seeded_home, tmp_path, words):
    both_routes_agree(seeded_home, tmp_path, words)


@pytest.mark.parametrize("words", [
    ["list", "-n", "1", "--format", "json"], ["list", "-n1", "--sort", "credits"], ["list", "--limit=2", "-r"],
    ["add", "--no-input", "-t", "T", "-c", "1", "-f", "tax", "-m", "gl", "-P", "p", "--json"],
    ["edit", "1", "--credits", "4.5"], ["rm", "2", "--yes"], ["rm", "--undo"],
    ["show", "3", "--json"], ["export", "csv", "--preset", "all"],
])
def test_common_command_lines_agree(seeded_home, tmp_path, words):
    """The lines people type most, pinned (the property test samples; these always run)."""
    fast = run_on_route(None, seeded_home, tmp_path, words)
    assert fast == run_on_route("typer", seeded_home, tmp_path, words)
    assert fast[0] in (0, 1), fast  # a real command, not a usage error


def test_the_fast_route_serves_these_without_typer(seeded_home, tmp_path):
    """The parity above would hold trivially if everything fell through to Typer: check it does not."""
    from cpe_cli.cli import fast_route

    for words in (["list", "-n", "1"], ["total", "--json"], ["rm", "1", "2", "--yes"], ["export", "csv"],
                  ["show", "1"], ["verify"]):
        assert fast_route.parse(words) is not None, words
    for words in (["list", "--help"], ["list", "--bogus"], ["list", "-n"], ["show", "0"], ["--version"]):
        assert fast_route.parse(words) is None, words


def test_an_empty_path_reads_as_typer_reads_it(seeded_home, tmp_path):
    """Click makes Path('') of an empty --certificate, which reads '.': the fast route hands over the same text
    (found by the thousand-line trial after paths became text)."""
    both_routes_agree(seeded_home, tmp_path, ["add", "--certificate", "", "--title", "Ethics", "--credits", "1",
                                              "--field", "tax", "--delivery", "qas", "--provider", "P"])
