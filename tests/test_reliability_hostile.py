"""A table of hostile and bad inputs: each one refused with one clear line, and nothing on disk changed.

Every case runs against a home seeded with two records (one with a certificate
file) and asserts: the exit code (2 invalid input, 1 failed operation),
exactly one line on standard error, starting with ``Error: `` and naming the
problem (a distinctive substring per case), no traceback, no raw ESC byte, the
home byte for byte as it was (``support.snapshot``) and nothing made beside it.
The cases run through the installed ``cpe`` script in a subprocess, as a user
would, except the unreadable certificate (root reads every file, so the
kernel's refusal is simulated in-process, as tests/test_certificate_refusals.py
does). NUL cannot pass through argv, so it arrives in a CSV cell.

The table holds what can break a command as a whole (files that are not what
they seem, hostile archives, huge inputs, escape sequences, bad ids), not the
validation rules: those are tested once, thoroughly, on the core
(test_credits.py, test_periods.py, test_records.py, test_catalog_and_matching.py),
and once per option through the command line (test_cli_ledger.py, the edit and
import tests). The whole table is a slow trial (``pytest -m slow``, run by CI);
the default run takes one case of each kind, ``REPRESENTATIVE``.
"""

from __future__ import annotations

import os
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from support import hostile, installed_cpe, make_unreadable, snapshot

from cpe_cli.ops.backup import create_backup
from cpe_cli.store.ledger import open_ledger
from cpe_cli.core.records import build_record

TODAY = date(2026, 6, 11)
HEADER = "Course/Seminar Title,CPE Credits,Field of Study,Delivery Method,Completion Date,Sponsor,State\r\n"
ROW = "Ethics for CPAs,2,Regulatory Ethics,Group Live,2026-06-01,AICPA,CA\r\n"
TEN_MIB = 10 * 1024 * 1024


def row(title="Ethics for CPAs", credits="2", field="Regulatory Ethics", method="Group Live", day="2026-06-01",
        provider="AICPA", state="CA") -> str:
    return ",".join([title, credits, field, method, day, provider, state]) + "\r\n"


def seed(home: Path, folder: Path) -> None:
    """Two records, the first with a certificate, made through the core (fast)."""
    certificate = folder / "seed-certificate.pdf"
    certificate.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    with open_ledger(home) as ledger:
        for number, attached in ((1, certificate), (2, None)):
            record, _ = build_record({"title": f"Seed course {number}", "credits": "2", "field_of_study": "Taxes",
                                      "delivery_method": "Group Live", "provider": "AICPA",
                                      "date": f"2026-05-0{number}"}, TODAY)
            ledger.add(record, attached)


# -- the hostile files, made once ------------------------------------------------------------------

def _csv(folder: Path, name: str, data: bytes | str) -> None:
    (folder / name).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, request) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("hostile-inputs")
    # Certificates that are not a small regular file.
    (folder / "a-folder.pdf").mkdir()
    os.mkfifo(folder / "pipe.pdf")
    (folder / "loop.pdf").symlink_to(folder / "loop.pdf")
    with open(folder / "big.pdf", "wb") as handle:
        handle.truncate(TEN_MIB + 1)
    (folder / "good.pdf").write_bytes(b"%PDF-1.7 good\n")
    # CSV files.
    _csv(folder, "missing-column.csv", HEADER.replace(",Completion Date", "") + "T,2,Taxes,Group Live,AICPA,CA\r\n")
    _csv(folder, "ragged.csv", HEADER + ROW + "Tax update,1,Taxes\r\n")
    _csv(folder, "latin1.csv", HEADER.encode() + row(title="Caf\xe9 ethics").encode("latin-1"))
    if "import-100-mb-cell" in _chosen(request):  # 100 MB: written only for a run that uses it
        with open(folder / "huge-cell.csv", "wb") as handle:  # one cell of 100 MB on one line
            handle.write(HEADER.encode() + b"T")
            block = b"x" * (1024 * 1024)
            for _ in range(100):
                handle.write(block)
            handle.write(b",2,Taxes,Group Live,2026-06-01,AICPA,CA\r\n")
    _csv(folder, "huge-quoted-cell.csv", HEADER + '"' + ("y" * 1000 + "\r\n") * 2000 + '",2,Taxes,Group Live,'
         "2026-06-01,AICPA,CA\r\n")
    _csv(folder, "empty.csv", b"")
    _csv(folder, "blank-header.csv", "\r\n" + ROW)
    _csv(folder, "utf16.csv", (HEADER + ROW).encode("utf-16"))
    _csv(folder, "semicolons.csv", HEADER.replace(",", "|") + ROW.replace(",", "|"))  # ; is detected (issue 12): | is not
    _csv(folder, "two-title-columns.csv", HEADER.rstrip("\r\n") + ",Course Title\r\n" + ROW.rstrip("\r\n") + ",X\r\n")
    _csv(folder, "unclosed-quote.csv", HEADER + '"Ethics for CPAs,2,Regulatory Ethics,Group Live\r\n')
    _csv(folder, "nul-title.csv", HEADER + row(title="Ethics\x00for CPAs"))
    _csv(folder, "escape-title.csv", HEADER + row(title="\x1b[2J\x1b]0;pwned\x07Ethics"))
    _csv(folder, "long-title.csv", HEADER + row(title="T" * 10_000))
    certificate_header = HEADER.rstrip("\r\n") + ",Certificate File\r\n"
    for name, cell in (("fifo", "pipe.pdf"), ("folder", "a-folder.pdf"), ("big", "big.pdf"), ("loop", "loop.pdf")):
        _csv(folder, f"certificate-{name}.csv", certificate_header + ROW.rstrip("\r\n") + f",{cell}\r\n")
    # Archives: a good backup of another ledger, and damaged or hostile copies of it.
    other = folder / "other-home"
    seed(other, folder)
    create_backup(other, folder / "good-backup.tar.gz")
    for kind in ("dotdot", "absolute", "wrong-hash", "truncated", "truncated-tar", "symlink"):
        hostile(kind, folder / "good-backup.tar.gz", folder)
    with zipfile.ZipFile(folder / "dotdot.zip", "w") as archive:
        archive.writestr("../escaped.txt", b"gotcha")
        archive.writestr("/tmp/absolute.txt", b"gotcha")
        archive.writestr("manifest.json", b"{}")
    yield folder
    for big in ("huge-cell.csv", "big.pdf"):  # 110 MB that pytest would otherwise keep for three runs
        (folder / big).unlink(missing_ok=True)


# -- the table -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    name: str
    args: tuple[str, ...]  # "{in}" is the folder of hostile files
    code: int
    says: str


def add(**overrides: str) -> tuple[str, ...]:
    values = {"--title": "Ethics for CPAs", "--credits": "2", "--field": "Regulatory Ethics",
              "--delivery": "Group Live", "--provider": "AICPA", "--date": "2026-06-01"}
    values.update({f"--{key}": value for key, value in overrides.items()})
    return ("add", "--no-input", *[part for item in values.items() for part in item])


ESCAPE = "\x1b[2J\x1b]0;pwned\x07"
CASES = [
    # add: an empty value, and what a terminal or a validator could choke on
    Case("add-date-empty", add(date=""), 2, "date is empty"),
    Case("add-field-escape", add(field=ESCAPE), 2, "unknown field of study '\\x1b[2J"),
    Case("add-title-10000", add(title="T" * 10_000), 2, "title is 10000 characters long; at most 300"),
    Case("add-title-escape", add(title=f"{ESCAPE}Ethics"), 2, "title contains a control character (U+001B)"),
    # add: certificates
    Case("add-certificate-folder", add(certificate="{in}/a-folder.pdf"), 2, "is a directory"),
    Case("add-certificate-fifo", add(certificate="{in}/pipe.pdf"), 2, "is a FIFO"),
    Case("add-certificate-dev-zero", add(certificate="/dev/zero"), 2, "is a device"),
    Case("add-certificate-symlink-loop", add(certificate="{in}/loop.pdf"), 2, "is a symlink loop"),
    Case("add-certificate-10-mib-plus-1", add(certificate="{in}/big.pdf"), 2,
         "is 10,485,761 bytes; the limit is 10 MiB"),
    Case("add-certificate-missing", add(certificate="{in}/nowhere.pdf"), 2, "does not exist"),
    # edit
    Case("edit-unknown-id", ("edit", "999", "--credits", "2"), 1, "no record with id 999"),
    Case("edit-id-zero", ("edit", "0", "--credits", "2"), 2, "0 is not a record id: ids are whole numbers from 1"),
    Case("edit-id-huge", ("edit", "99999999999999999999", "--credits", "2"), 2, "99999999999999999999 is not a record id"),
    Case("edit-title-escape", ("edit", "1", "--title", ESCAPE), 2, "title contains a control character (U+001B)"),
    Case("edit-certificate-folder", ("edit", "1", "--certificate", "{in}/a-folder.pdf"), 2, "is a directory"),
    Case("edit-certificate-10-mib-plus-1", ("edit", "2", "--certificate", "{in}/big.pdf"), 2, "the limit is 10 MiB"),
    Case("edit-certificate-and-remove", ("edit", "1", "--certificate", "{in}/good.pdf", "--remove-certificate"), 2,
         "give either --certificate (replace) or --remove-certificate, not both"),
    Case("edit-nothing", ("edit", "1", "--no-input"), 2, "nothing to change"),
    # import
    Case("import-missing-column", ("import", "{in}/missing-column.csv"), 2, "has no date column"),
    Case("import-ragged-row", ("import", "{in}/ragged.csv"), 2, "line 3: 3 cells where the header has 7"),
    Case("import-latin-1", ("import", "{in}/latin1.csv"), 2, "line 2 of {in}/latin1.csv is not UTF-8 text (byte 0xE9"),
    Case("import-100-mb-cell", ("import", "{in}/huge-cell.csv"), 2, "line 2 of {in}/huge-cell.csv is longer than"),
    Case("import-quoted-cell-over-many-lines", ("import", "{in}/huge-quoted-cell.csv"), 2,
         "a cell is longer than 131,072 characters"),
    Case("import-empty-file", ("import", "{in}/empty.csv"), 2, "{in}/empty.csv is empty"),
    Case("import-blank-header", ("import", "{in}/blank-header.csv"), 2, "the first line of {in}/blank-header.csv "
                                                                          "is empty"),
    Case("import-utf-16", ("import", "{in}/utf16.csv"), 2, "is UTF-16 text; save it as CSV UTF-8"),
    Case("import-semicolons", ("import", "{in}/semicolons.csv"), 2, "is a single cell: give --delimiter"),
    Case("import-two-title-columns", ("import", "{in}/two-title-columns.csv"), 2, "both give the title"),
    Case("import-unclosed-quote", ("import", "{in}/unclosed-quote.csv"), 2, "a quoted cell is never closed"),
    Case("import-nul-in-title", ("import", "{in}/nul-title.csv"), 2, "title contains a control character (U+0000)"),
    Case("import-escape-in-title", ("import", "{in}/escape-title.csv"), 2, "control character (U+001B)"),
    Case("import-10000-character-title", ("import", "{in}/long-title.csv"), 2, "title is 10000 characters long"),
    Case("import-certificate-fifo", ("import", "{in}/certificate-fifo.csv"), 2, "is a FIFO"),
    Case("import-certificate-folder", ("import", "{in}/certificate-folder.csv"), 2, "is a directory"),
    Case("import-certificate-10-mib-plus-1", ("import", "{in}/certificate-big.csv"), 2, "the limit is 10 MiB"),
    Case("import-certificate-symlink-loop", ("import", "{in}/certificate-loop.csv"), 2, "is a symlink loop"),
    Case("import-a-folder", ("import", "{in}/a-folder.pdf"), 2, "is a folder; give a CSV file"),
    Case("import-missing-file", ("import", "{in}/nowhere.csv"), 2, "does not exist; give a CSV file"),
    # export
    Case("export-csv-missing-folder", ("export", "csv", "--output", "{in}/no/such/folder.csv"), 2,
         "the folder '{in}/no/such' does not exist"),
    Case("export-csv-into-the-home", ("export", "csv", "--output", "{home}/leak.csv"), 2,
         "it is inside the ledger's home"),
    Case("export-csv-existing", ("export", "csv", "--output", "{in}/good.pdf"), 2,
         "{in}/good.pdf already exists; use --force"),
    Case("export-csv-onto-a-folder", ("export", "csv", "--output", "{in}/a-folder.pdf"), 2, "is a folder"),
    Case("export-zip-empty-view", ("export", "zip", "--year", "2020", "--output", "{in}/none.zip"), 1,
         "nothing to package; no archive written"),
    Case("export-zip-existing", ("export", "zip", "--preset", "all", "--output", "{in}/good.pdf"), 2,
         "already exists; use --force"),
    Case("export-zip-ambiguous-field", ("export", "zip", "--field", "a"), 2, "field of study 'a' is ambiguous"),
    # rm
    Case("rm-unknown-id", ("rm", "999", "--yes"), 1, "no record with id 999"),
    Case("rm-one-unknown-of-two", ("rm", "1", "999", "--yes"), 1, "no record with id 999"),
    Case("rm-id-zero", ("rm", "0", "--yes"), 2, "0 is not a record id: ids are whole numbers from 1"),
    Case("rm-id-not-a-number", ("rm", "abc", "--yes"), 2,
         "'abc' is not a record id: ids are whole numbers from 1 ('cpe list' shows them)"),
    Case("rm-without-yes-in-a-script", ("rm", "1"), 2, "add --yes to remove without asking"),
    Case("rm-no-ids", ("rm", "--yes"), 2, "give the id of at least one record"),
    Case("rm-undo-with-ids", ("rm", "--undo", "1"), 2, "--undo takes no ids"),
    Case("rm-undo-empty-trash", ("rm", "--undo"), 1, "the trash is empty: nothing to undo"),
    # restore
    Case("restore-dotdot", ("restore", "{in}/dotdot.tar.gz", "--force"), 2, "points outside the folder"),
    Case("restore-absolute-path", ("restore", "{in}/absolute.tar.gz", "--force"), 2, "is an absolute path"),
    Case("restore-wrong-hash", ("restore", "{in}/wrong-hash.tar.gz", "--force"), 2,
         "does not match the SHA-256 and size in its manifest"),
    Case("restore-truncated-end", ("restore", "{in}/truncated.tar.gz", "--force"), 2, "damaged or truncated"),
    Case("restore-truncated-tar", ("restore", "{in}/truncated-tar.tar.gz", "--force"), 2, "damaged or truncated"),
    Case("restore-symlink-member", ("restore", "{in}/symlink.tar.gz", "--force"), 2, "is a link"),
    Case("restore-a-zip-with-dotdot", ("restore", "{in}/dotdot.zip", "--force"), 2, "is not a cpe backup (.tar.gz"),
    Case("restore-a-csv", ("restore", "{in}/empty.csv", "--force"), 2, "is not a cpe backup (.tar.gz"),
    Case("restore-a-fifo", ("restore", "{in}/pipe.pdf", "--force"), 2, "is not a regular file"),
    Case("restore-over-records", ("restore", "{in}/good-backup.tar.gz"), 2, "is not empty (it holds a ledger of 2 "
                                                                            "records); add --force"),
    # list and total options (their rules: test_cli_ledger.py, test_periods.py)
    Case("list-from-empty", ("list", "--from", ""), 2, "--from is required"),
    Case("total-year-1800", ("total", "--year", "1800"), 2, "--year 1800 is out of range"),
    Case("total-escape-preset", ("total", "--preset", ESCAPE), 2, "unknown preset '\\x1b[2J"),
]


def _expand(text: str, folder: Path, home: Path) -> str:
    return text.replace("{in}", str(folder)).replace("{home}", str(home))


def assert_refused(code: int, stderr: str, expected_code: int, says: str) -> None:
    lines = stderr.splitlines()
    assert code == expected_code, stderr
    assert len(lines) == 1 and stderr.endswith("\n"), stderr
    assert lines[0].startswith("Error: "), stderr
    assert says in lines[0], stderr
    assert "Traceback" not in stderr and "\x1b" not in stderr and "\x00" not in stderr


# One case of each kind, through every command that reads a file or an archive: the default run's share.
REPRESENTATIVE = {"add-title-escape", "add-certificate-fifo", "edit-unknown-id", "import-nul-in-title",
                  "export-csv-into-the-home", "rm-without-yes-in-a-script", "restore-dotdot", "total-escape-preset"}


def test_the_corpus_covers_every_command_and_the_default_run_samples_each():
    names = [case.name for case in CASES]
    assert len(set(names)) == len(names) and REPRESENTATIVE <= set(names)
    commands = {"add", "edit", "import", "export", "rm", "restore", "list", "total"}
    assert commands <= {case.args[0] for case in CASES}
    assert commands - {"list"} <= {name.split("-")[0] for name in REPRESENTATIVE}


@dataclass
class Outcome:
    home: Path
    folder: Path
    before: dict
    after: dict
    returncode: int
    stderr: str
    listing: list[str]


def _environment(home: Path) -> dict[str, str]:
    """conftest's isolated environment, set here because a module-scoped fixture runs before it."""
    env = {name: value for name, value in os.environ.items() if name != "CPE_DEBUG"}
    return {**env, "CPE_HOME": str(home), "CPE_TODAY": TODAY.isoformat(), "NO_COLOR": "1", "COLUMNS": "200"}


def _run_case(case: Case, inputs: Path, folder: Path) -> Outcome:
    """One case in its own seeded home (``folder/cpe-home``), run as a user would: the installed script."""
    home = folder / "cpe-home"
    seed(home, folder)
    before = snapshot(home)
    args = [_expand(arg, inputs, home) for arg in case.args]
    result = subprocess.run([installed_cpe(), *args], capture_output=True, text=True, timeout=120,
                            stdin=subprocess.DEVNULL, cwd=folder, env=_environment(home))
    return Outcome(home, folder, before, snapshot(home), result.returncode, result.stderr, sorted(os.listdir(folder)))


def _chosen(request) -> set[str]:
    """The names of the cases this run selected (``-m``, ``-k``): only those are run and prepared for."""
    return {item.callspec.params["case"].name for item in request.session.items
            if item.module is request.module and item.originalname == TABLE_TEST}


@pytest.fixture(scope="module")
def outcomes(inputs, tmp_path_factory, request) -> dict[str, Outcome]:
    """The selected cases, run four at a time (each in its own home): the corpus costs seconds, not minutes."""
    from concurrent.futures import ThreadPoolExecutor

    chosen = _chosen(request)
    around = sorted(os.listdir(inputs))
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {case.name: pool.submit(_run_case, case, inputs, tmp_path_factory.mktemp(case.name))
                   for case in CASES if case.name in chosen}
        results = {name: future.result() for name, future in futures.items()}
    assert sorted(os.listdir(inputs)) == around  # no temporary or partial file left beside an output
    return results


TABLE_TEST = "test_a_bad_input_is_one_clear_error_and_changes_nothing"


@pytest.mark.parametrize("case", [pytest.param(case, id=case.name,
                                               marks=() if case.name in REPRESENTATIVE else pytest.mark.slow)
                                  for case in CASES])
def test_a_bad_input_is_one_clear_error_and_changes_nothing(case, inputs, outcomes):
    outcome = outcomes[case.name]
    assert_refused(outcome.returncode, outcome.stderr, case.code, _expand(case.says, inputs, outcome.home))
    assert outcome.after == outcome.before
    assert outcome.listing == ["cpe-home", "seed-certificate.pdf"]  # nothing made beside the home either
    assert not (inputs.parent / "escaped.txt").exists() and not Path("/tmp/absolute.txt").exists()


def test_an_unreadable_certificate(cpe, home, tmp_path, monkeypatch):
    """Root reads every file, so the kernel's EACCES is simulated in-process (as test_certificate_refusals does)."""
    seed(home, tmp_path)
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"%PDF")
    make_unreadable(secret, monkeypatch)
    before = snapshot(home)
    for args in (add(certificate=str(secret)), ("edit", "2", "--certificate", str(secret))):
        result = cpe(*args)
        assert_refused(result.exit_code, result.stderr, 2, f"certificate file '{secret}' is not readable")
        assert snapshot(home) == before


def test_a_bom_is_ordinary_and_imports(cpe_process, home, tmp_path):
    """Not a refusal: spreadsheets save "CSV UTF-8" with a BOM, and the header must still match."""
    seed(home, tmp_path)
    csv_file = tmp_path / "bom.csv"
    csv_file.write_bytes(b"\xef\xbb\xbf" + (HEADER + ROW).encode())
    result = cpe_process("import", str(csv_file))
    assert result.returncode == 0 and result.stdout == "", result.stderr
    assert result.stderr == "Imported 1 record (2.0 credits); skipped 0 duplicates.\n"


def test_an_escape_sequence_stored_by_an_older_tool_is_not_passed_to_the_terminal(home, tmp_path):
    """Validation refuses control characters (cases above); a title that got in anyway (a ledger edited by
    hand, an older version) is shown as visible codes on a terminal, never as a live escape sequence."""
    pexpect = pytest.importorskip("pexpect")
    import sqlite3

    seed(home, tmp_path)
    conn = sqlite3.connect(home / "cpe.db")
    conn.execute("UPDATE records SET title = ?, provider = ? WHERE id = 1",
                 (f"{ESCAPE}Ethics\x1b[31m", "\x1b[5mAICPA"))
    conn.commit()
    conn.close()
    for term in ("dumb", "xterm-256color"):
        env = {**os.environ, "TERM": term, "COLUMNS": "200", "LINES": "50"}
        for args in (["list", "--preset", "all"], ["show", "1"]):
            child = pexpect.spawn(installed_cpe(), args, env=env, timeout=30, dimensions=(50, 200))
            output = child.read()
            child.close()
            assert child.exitstatus == 0, output
            assert b"Ethics" in output
            assert b"\x1b[2J" not in output and b"\x1b]0;" not in output and b"\x07" not in output
            assert b"\x1b[31m" not in output and b"\x1b[5m" not in output
            assert b"\\x1b" in output  # shown, visibly
            if term == "dumb":
                assert b"\x1b" not in output, output
