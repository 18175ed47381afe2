"""Files and permissions: private modes under any umask, unusable homes and databases, and planted symlinks.

* Every command that writes leaves the home 0700 and every file in it 0600,
  even under ``umask 000``; a backup is 0600 too. An export the user asked for
  (``--output`` in a folder of theirs) follows the umask, like any file a
  program creates on request (``> q1.csv`` would).
* A home that cannot be written (a read-only mount, an immutable folder, a
  parent that is a file), a database that is not SQLite, a stranger's SQLite
  file, a newer cpe's ledger and a ledger locked by another program longer
  than the busy timeout each give one ``Error:`` line and leave every file as
  it was.
* Nothing is ever written through a symlink someone planted in the home, at
  cpe.db, certificates/, certificates/.incoming/, a stored certificate (also
  one in the trash), or at the temporary names of backups, exports and restores.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from support import add_args, installed_cpe, snapshot, change_database

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 16


def run(*args: str, umask: int | None = None, env: dict | None = None, prefix: tuple[str, ...] = ()):
    preexec = (lambda: os.umask(umask)) if umask is not None else None
    return subprocess.run([*prefix, installed_cpe(), *args], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL, preexec_fn=preexec, env={**os.environ, **(env or {})})


def refused(result, code: int, says: str) -> None:
    lines = result.stderr.splitlines()
    assert result.returncode == code, result.stderr
    assert len(lines) == 1 and lines[0].startswith("Error: ") and says in lines[0], result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def seeded(home, tmp_path, today):
    """Two records (made through the core: fast): record 1 with a certificate, record 2 without."""
    from cpe_cli.store.ledger import open_ledger
    from cpe_cli.core.records import build_record

    certificate = tmp_path / "certificate.pdf"
    certificate.write_bytes(PDF)
    with open_ledger(home) as ledger:
        for title, credits, attached in (("Seed one", "2", certificate), ("Seed two", "1.5", None)):
            record, _ = build_record({"title": title, "credits": credits, "field_of_study": "Regulatory Ethics",
                                      "delivery_method": "Group Live", "provider": "AICPA", "date": "2026-06-01"},
                                     today)
            ledger.add(record, attached)
    return certificate


def modes(home: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(os.lstat(home).st_mode)}
    for folder, folders, files in os.walk(home):
        for name in folders + files:
            path = Path(folder) / name
            found[str(path.relative_to(home))] = stat.S_IMODE(os.lstat(path).st_mode)
    return found


def stored_names(home: Path) -> list[str]:
    return sorted(p.name for p in (home / "certificates").iterdir() if p.is_file())


# -- modes ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("umask", [0o000, pytest.param(0o022, marks=pytest.mark.slow)],  # 022: the slow run
                         ids=["umask-000", "umask-022"])
def test_every_writing_command_keeps_the_home_private_under_any_umask(home, tmp_path, umask):
    outside = tmp_path / "outside"
    outside.mkdir()
    certificate = outside / "certificate.pdf"
    certificate.write_bytes(PDF)
    (outside / "second.pdf").write_bytes(PDF + b"2")
    csv_file = outside / "import.csv"
    csv_file.write_text("title,credits,field,delivery method,date,provider,certificate\r\n"
                        "Imported one,1,Taxes,Group Live,2026-05-01,AICPA,second.pdf\r\n"
                        "Imported two,2,Taxes,Group Live,2026-05-02,AICPA,certificate.pdf\r\n")
    commands = [
        add_args(title="Added", certificate=str(certificate)),
        ["import", str(csv_file)],
        ["edit", "1", "--credits", "3", "--certificate", str(outside / "second.pdf")],
        ["rm", "2", "--yes"],
        ["rm", "3", "--yes", "--purge"],
        ["rm", "--undo"],
        ["verify"],
        ["backup", str(outside / "backup.tar.gz")],
        ["export", "csv", "--preset", "all", "--output", str(outside / "records.csv")],
        ["export", "zip", "--preset", "all", "--output", str(outside / "audit.zip")],
    ]
    for args in commands:
        result = run(*args, umask=umask)
        assert result.returncode == 0, (args, result.stderr)
        found = modes(home)
        folders = {name: mode for name, mode in found.items() if name in (".", "certificates", "certificates/.incoming")}
        files = {name: mode for name, mode in found.items() if name not in folders}
        assert set(folders.values()) == {0o700}, (args, found)
        assert files and set(files.values()) == {0o600}, (args, found)
    assert stat.S_IMODE(os.stat(outside / "backup.tar.gz").st_mode) == 0o600
    for export in ("records.csv", "audit.zip"):  # asked for, in the user's own folder: follows the umask
        assert stat.S_IMODE(os.stat(outside / export).st_mode) == 0o666 & ~umask
    assert sorted(name for name in os.listdir(outside) if name.startswith(".")) == []


def test_a_restored_home_is_private_under_umask_000(home, seeded, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    assert run("backup", str(archive)).returncode == 0
    elsewhere = tmp_path / "restored" / "home"
    result = run("restore", str(archive), umask=0, env={"CPE_HOME": str(elsewhere)})
    assert result.returncode == 0, result.stderr
    assert run("list", umask=0, env={"CPE_HOME": str(elsewhere)}).returncode == 0
    found = modes(elsewhere)
    assert {mode for name, mode in found.items() if (elsewhere / name).is_dir()} == {0o700}
    assert {mode for name, mode in found.items() if not (elsewhere / name).is_dir()} == {0o600}


# -- a home that cannot be written --------------------------------------------------------------------

def read_only_mount(folder: Path) -> tuple[str, ...]:
    """A command prefix that runs cpe with ``folder`` bind-mounted read-only in a private mount namespace."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare(1) is not installed")
    prefix = ("unshare", "--mount", "sh", "-c", 'mount --bind -o ro "$0" "$0" && exec "$@"', str(folder))
    probe = subprocess.run([*prefix, "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a read-only bind mount here: {probe.stderr.strip()}")
    return prefix


@pytest.mark.parametrize("args, says", [
    (add_args(title="New"), "cannot write to"),
    (["import", "{csv}"], "cannot write to"),
    (["edit", "2", "--credits", "4"], "cannot write to"),
    (["rm", "2", "--yes"], "cannot write to"),
])
def test_a_read_only_home_is_a_clear_error_and_stays_as_it_was(home, seeded, tmp_path, args, says):
    """A real read-only file system: the home bind-mounted read-only (root ignores permission bits)."""
    prefix = read_only_mount(home)
    csv_file = tmp_path / "one.csv"
    csv_file.write_text("title,credits,field,delivery method,date,provider\r\nT,1,Taxes,Group Live,2026-05-01,P\r\n")
    before = snapshot(home)
    result = run(*[arg.replace("{csv}", str(csv_file)) for arg in args], prefix=prefix)
    refused(result, 1, says)
    assert "read-only" in result.stderr or "readonly" in result.stderr or "unable to open" in result.stderr
    assert snapshot(home) == before


def test_a_certificate_cannot_be_stored_in_an_immutable_home(home, seeded, tmp_path):
    """chattr +i on certificates/: no new name can be made in it, even by root."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not installed")
    folder = home / "certificates"
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("this file system does not support chattr +i")
    new_certificate = tmp_path / "new-certificate.pdf"
    new_certificate.write_bytes(PDF + b"a new file, not one the ledger already stores")
    try:
        before = snapshot(home)
        result = run(*add_args(title="New", certificate=str(new_certificate)))
        refused(result, 1, "could not store the certificate")
        assert snapshot(home) == before
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    assert run("verify").returncode == 0


def test_a_home_whose_parent_is_a_file(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file")
    result = run("add", *add_args(title="x")[1:], env={"CPE_HOME": str(blocker / "home")})
    refused(result, 1, f"cannot create {blocker}")
    assert blocker.read_text() == "a file"


def test_a_home_that_is_a_file(tmp_path):
    blocker = tmp_path / "home-file"
    blocker.write_text("a file")
    result = run(*add_args(title="x"), env={"CPE_HOME": str(blocker)})
    refused(result, 1, "exists but is not a folder")
    assert blocker.read_text() == "a file"


# -- databases cpe must not write into ------------------------------------------------------------------

COMMANDS = [add_args(title="New"), ["list"], ["total", "--json"], ["edit", "1", "--credits", "4"], ["rm", "1", "--yes"],
            ["verify"], ["backup", "{out}/backup.tar.gz"], ["export", "csv", "--output", "{out}/x.csv"]]


def _database_refusals(home: Path, tmp_path: Path, says: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    before = snapshot(home)
    for args in COMMANDS:
        result = run(*[arg.replace("{out}", str(out)) for arg in args])
        refused(result, 1, says)
        assert snapshot(home) == before, args
    assert os.listdir(out) == []


def test_a_database_that_is_not_sqlite(home, seeded, tmp_path):
    (home / "cpe.db").write_bytes(b"these are my tax notes, not a database\n" * 100)
    _database_refusals(home, tmp_path, "is damaged or not a SQLite database")


def test_a_sqlite_database_that_is_not_a_ledger(home, tmp_path):
    home.mkdir(mode=0o700)
    change_database(home, "CREATE TABLE notes (text)",
                    "INSERT INTO notes VALUES ('mine')")
    _database_refusals(home, tmp_path, "is a SQLite database but not a cpe ledger")


def test_a_ledger_from_a_newer_cpe(home, seeded, tmp_path):
    conn = sqlite3.connect(home / "cpe.db")
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    _database_refusals(home, tmp_path, "was written by a newer cpe (schema version 99")


def _hold(home: Path, exclusive_mode: bool) -> sqlite3.Connection:
    """Another program holding the ledger's write lock (and, with ``exclusive_mode``, every lock)."""
    conn = sqlite3.connect(home / "cpe.db", isolation_level=None)
    if exclusive_mode:
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
    conn.execute("BEGIN EXCLUSIVE")
    if exclusive_mode:
        conn.execute("UPDATE records SET title = title WHERE 0")
    return conn


@pytest.mark.parametrize("args", [  # add and import in every run; the rest in the CI's slow run
    add_args(title="New"), ["import", "{csv}"], pytest.param(["edit", "2", "--credits", "4"], marks=pytest.mark.slow),
    pytest.param(["rm", "2", "--yes"], marks=pytest.mark.slow),
    pytest.param(["rm", "1", "--purge", "--yes"], marks=pytest.mark.slow)],
    ids=["add", "import", "edit", "rm", "rm-purge"])
def test_a_ledger_locked_longer_than_the_timeout(home, seeded, tmp_path, args):
    csv_file = tmp_path / "one.csv"
    csv_file.write_text("title,credits,field,delivery method,date,provider\r\nT,1,Taxes,Group Live,2026-05-01,P\r\n")
    before = snapshot(home)
    holder = _hold(home, exclusive_mode=False)
    try:
        started = time.monotonic()
        result = run(*[arg.replace("{csv}", str(csv_file)) for arg in args], env={"CPE_BUSY_TIMEOUT": "0.2"})
        waited = time.monotonic() - started
        refused(result, 1, "is locked by another program (waited 0.2 s); try again when it has finished")
        assert 0.2 <= waited < 20
        # While only the write lock is held, reading works (WAL): list and total still answer.
        assert run("total", "--preset", "all", env={"CPE_BUSY_TIMEOUT": "0.2"}).stdout == "3.5\n"
    finally:
        holder.close()
    assert snapshot(home) == before


def test_a_ledger_locked_even_for_readers(home, seeded):
    before = snapshot(home)
    holder = _hold(home, exclusive_mode=True)
    try:
        for args in (["list"], ["total"], add_args(title="New")):
            refused(run(*args, env={"CPE_BUSY_TIMEOUT": "0.2"}), 1, "is locked by another program (waited 0.2 s)")
    finally:
        holder.close()
    assert snapshot(home) == before


# -- planted symlinks ---------------------------------------------------------------------------------

@pytest.fixture
def victim(tmp_path) -> Path:
    """What a planted symlink points at: a folder with a file, both of which must stay as they are."""
    folder = tmp_path / "victim"
    folder.mkdir()
    (folder / "precious.txt").write_text("do not touch")
    return folder


def _plant(link: Path, target: Path) -> None:
    if link.is_dir() and not link.is_symlink():
        shutil.rmtree(link)
    elif link.exists() or link.is_symlink():
        link.unlink()
    link.symlink_to(target)


WRITERS = [add_args(title="New", certificate="{certificate}"), ["import", "{csv}"],
           ["edit", "2", "--certificate", "{certificate}"], ["rm", "1", "--purge", "--yes"], ["verify", "--repair"],
           ["list"]]


@pytest.mark.parametrize("where", ["cpe.db", pytest.param("certificates", marks=pytest.mark.slow),
                                   pytest.param("certificates/.incoming", marks=pytest.mark.slow)])
def test_a_symlink_planted_in_the_home_is_refused_and_its_target_untouched(home, seeded, tmp_path, victim, where):
    target = victim / "precious.txt" if where == "cpe.db" else victim
    _plant(home / where, target)
    csv_file = tmp_path / "import.csv"
    csv_file.write_text("title,credits,field,delivery method,date,provider,certificate\r\n"
                        "Imported,1,Taxes,Group Live,2026-05-01,AICPA,certificate.pdf\r\n")
    before, kept = snapshot(victim), snapshot(home)
    for args in WRITERS:
        result = run(*[arg.replace("{certificate}", str(seeded)).replace("{csv}", str(csv_file)) for arg in args])
        refused(result, 1, f"{home / where} is a symlink; cpe does not write through symlinks in its home")
        assert snapshot(victim) == before, args
        assert snapshot(home) == kept
    assert os.path.islink(home / where)


def test_a_stored_certificate_replaced_by_a_symlink_is_never_read_or_written_through(home, seeded, tmp_path, victim):
    stored = home / "certificates" / stored_names(home)[0]
    _plant(stored, victim / "precious.txt")
    before = snapshot(victim)
    out = tmp_path / "out"
    out.mkdir()
    refused(run("export", "zip", "--preset", "all", "--output", str(out / "audit.zip")), 1,
            "cannot read the certificate of record 1")
    refused(run("backup", str(out / "backup.tar.gz")), 1, "could not write the backup")
    assert os.listdir(out) == []
    assert run("verify").returncode == 1  # listed as a problem, never "repaired" by following it
    # Removing the record for good unlinks the planted link itself, not what it points at.
    assert run("rm", "1", "--purge", "--yes").returncode == 0
    assert not os.path.lexists(stored)
    assert snapshot(victim) == before


def test_a_trashed_certificate_replaced_by_a_symlink_is_purged_as_a_link(home, seeded, victim):
    assert run("rm", "1", "--yes").returncode == 0  # record 1 and its certificate go to the trash
    stored = home / "certificates" / stored_names(home)[0]
    _plant(stored, victim / "precious.txt")
    before = snapshot(victim)
    assert run("rm", "--undo").returncode == 0 and run("rm", "1", "--yes").returncode == 0  # undo, trash again
    later = {"CPE_TODAY": "2026-07-20"}  # past the 30 days: the next write purges the trash
    result = run("edit", "2", "--credits", "3", env=later)
    assert result.returncode == 0, result.stderr
    assert not os.path.lexists(stored) and stored_names(home) == []
    assert snapshot(victim) == before
    assert run("verify", env=later).returncode == 0


@pytest.fixture
def fixed_uuid(monkeypatch):
    """Make the "random" temporary names predictable, so a symlink can be planted at the very name."""
    value = uuid.UUID("12345678123456781234567812345678")
    monkeypatch.setattr(uuid, "uuid4", lambda: value)
    return value.hex


@pytest.mark.parametrize("args, temporary", [
    (["export", "csv", "--preset", "all", "--output", "{out}/records.csv"], ".records.csv.{hex12}.tmp"),
    (["export", "zip", "--preset", "all", "--output", "{out}/audit.zip"], ".audit.zip.{hex12}.tmp"),
    (["backup", "{out}/backup.tar.gz"], ".backup.tar.gz.db-{hex12}"),
    (["backup", "{out}/backup.tar.gz"], ".backup.tar.gz.tmp-{hex12}"),
])
def test_a_symlink_at_a_temporary_name_is_never_written_through(cpe, home, seeded, tmp_path, victim, fixed_uuid,
                                                                 args, temporary):
    """In-process (CliRunner) so that uuid4 can be pinned; the product's names come from uuid4().hex[:12]."""
    out = tmp_path / "out"
    out.mkdir()
    link = out / temporary.replace("{hex12}", fixed_uuid[:12])
    link.symlink_to(victim / "precious.txt")
    before, kept = snapshot(victim), snapshot(home)
    result = cpe(*[arg.replace("{out}", str(out)) for arg in args])
    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert snapshot(victim) == before and snapshot(home) == kept
    assert sorted(os.listdir(out)) == [link.name] and os.path.islink(link)


def test_an_export_over_a_symlink_is_refused_even_with_force(home, seeded, tmp_path, victim):
    """--force replaces only a regular file: neither the link nor what it points at is written (issue 10, 14)."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "records.csv").symlink_to(victim / "precious.txt")
    before = snapshot(victim)
    refused(run("export", "csv", "--output", str(out / "records.csv")), 2, "already exists; use --force")
    forced = run("export", "csv", "--preset", "all", "--output", str(out / "records.csv"), "--force")
    assert forced.returncode == 2 and forced.stderr.startswith("Error: ")
    assert os.path.islink(out / "records.csv") and snapshot(victim) == before


def test_a_symlink_at_the_restore_staging_name_is_refused(cpe, home, seeded, tmp_path, victim, fixed_uuid,
                                                          monkeypatch):
    archive = tmp_path / "backup.tar.gz"
    assert run("backup", str(archive)).returncode == 0
    fresh = tmp_path / "fresh" / "home"
    fresh.parent.mkdir()
    link = fresh.parent / f".home.restore-{fixed_uuid[:12]}"
    link.symlink_to(victim)
    before = snapshot(victim)
    monkeypatch.setenv("CPE_HOME", str(fresh))
    result = cpe("restore", str(archive))
    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith("Error: cannot restore next to") and result.stderr.count("\n") == 1
    assert snapshot(victim) == before and os.path.islink(link) and not fresh.exists()


def test_the_hashes_of_stored_certificates_survive_all_of_the_above(home, seeded):
    """A control: the seeded ledger itself is whole (so the refusals above are not masking a broken fixture)."""
    result = run("verify")
    assert result.returncode == 0, result.stdout + result.stderr
    stored = home / "certificates" / stored_names(home)[0]
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == hashlib.sha256(PDF).hexdigest()
