"""What `cpe restore` replaces, and how: never a change another command reported, never a folder that is not
a ledger, a damaged ledger kept aside, and a fallback swap that survives a crash (issue 10, items 1, 2, 4, 5).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import add_args, installed_cpe, only_error, snapshot, write_rows, PLATFORM_HEADER, platform_row

PDF = b"%PDF-1.4 restore safety\n" * 40


def titles(home: Path) -> list[str]:
    conn = sqlite3.connect(home / "cpe.db")
    try:
        return sorted(title for (title,) in conn.execute("SELECT title FROM records"))
    finally:
        conn.close()


@pytest.fixture
def backed_up(cpe, home, tmp_path):
    """A ledger of three records (one with a certificate) backed up, then a fourth record added after it."""
    certificate = tmp_path / "ethics.pdf"
    certificate.write_bytes(PDF)
    for n, title in enumerate(("One", "Two", "Three")):
        extra = {"certificate": str(certificate)} if n == 0 else {}
        assert cpe(*add_args(title=title, **extra)).exit_code == 0
    archive = tmp_path / "b.tar.gz"
    assert cpe("backup", str(archive)).exit_code == 0
    assert cpe(*add_args(title="Four, after the backup")).exit_code == 0
    return archive


# -- item 1: a restore never lets another command report a change it then discards ------------------------

HELD_RESTORE = r"""
import os, sys, time
from pathlib import Path
from cpe_cli.store import swap

real_swap = swap.swap
at_swap, release, archive = sys.argv[1:4]

def held(staging, home):
    Path(at_swap).write_text("holding the old ledger's lock at the swap")
    while not os.path.exists(release):
        time.sleep(0.01)
    return real_swap(staging, home)

swap.swap = held
sys.argv = ["cpe", "restore", archive, "--force"]
from cpe_cli.__main__ import main
main()
"""


def test_commands_waiting_during_a_restore_fail_instead_of_writing_into_the_replaced_ledger(home, backed_up,
                                                                                         tmp_path):
    """A restore is held at its swap (the old ledger's write lock taken); add, import, rm and edit start and
    wait for the lock; then the swap happens. Each waiting command must either have its change in the ledger
    that survives or fail with a clear error: none may say it succeeded for a change that is gone."""
    at_swap, release = tmp_path / "at-swap", tmp_path / "release"
    csv_file = write_rows(tmp_path / "one.csv", PLATFORM_HEADER, [platform_row(title="Imported while waiting")])
    restore = subprocess.Popen([sys.executable, "-c", HELD_RESTORE, str(at_swap), str(release), str(backed_up)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not at_swap.exists():
        assert restore.poll() is None, restore.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    waiting = {
        "add": [*add_args(title="Added while waiting")],
        "import": ["import", str(csv_file)],
        "rm": ["rm", "2", "--yes"],
        "edit": ["edit", "3", "--title", "Edited while waiting", "--no-input"],
    }
    children = {name: subprocess.Popen([installed_cpe(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True) for name, args in waiting.items()}
    time.sleep(2.5)  # each has opened the old ledger and waits for its write lock
    for name, child in children.items():
        assert child.poll() is None, f"{name} did not wait: {child.communicate()}"
    release.write_text("go")
    out, err = restore.communicate(timeout=60)
    assert restore.returncode == 0, err
    assert "replacing a ledger of 4 records" in err
    results = {name: (child.wait(timeout=60), child.communicate()[1]) for name, child in children.items()}
    survived = titles(home)
    changed = {"add": "Added while waiting" in survived, "import": "Imported while waiting" in survived,
               "rm": "Two" not in survived, "edit": "Edited while waiting" in survived}
    replaced = 0
    for name, (code, stderr) in results.items():
        if code == 0:
            assert changed[name], f"{name} reported success but its change is not in the restored ledger: {stderr}"
        else:
            assert code == 1 and not changed[name], (name, code, stderr)
            assert stderr.strip().splitlines()[-1] == (
                f"Error: the ledger {home / 'cpe.db'} was replaced (by 'cpe restore') while this command "
                "waited; nothing was written: run it again"), stderr
            replaced += 1
    assert replaced >= 1, results
    assert "Four, after the backup" not in survived
    verify = subprocess.run([installed_cpe(), "verify"], capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_a_command_holding_a_replaced_ledger_writes_nothing_in_process(cpe, home, backed_up, tmp_path):
    """The check itself: a ledger opened before a restore refuses to write once the file at the path changed."""
    from cpe_cli.core.errors import CpeError
    from cpe_cli.store.ledger import open_ledger

    with open_ledger(home) as ledger:
        assert cpe("restore", str(backed_up), "--force").exit_code == 0
        with pytest.raises(CpeError, match="was replaced"):
            with ledger.write():
                ledger.conn.execute("DELETE FROM records")
    assert titles(home) == ["One", "Three", "Two"]


# -- item 2: a folder holding files cpe did not make is never replaced ------------------------------------

def test_restore_force_refuses_a_folder_that_is_not_a_ledger_and_says_what_is_there(cpe, home, backed_up,
                                                                                   tmp_path, monkeypatch):
    documents = tmp_path / "Documents"
    documents.mkdir()
    (documents / "tax-return-2025.pdf").write_bytes(b"%PDF my taxes")
    (documents / "notes.txt").write_text("keep me")
    (documents / "photos").mkdir()
    (documents / "photos" / "cat.jpg").write_bytes(b"\xff\xd8")
    before = snapshot(documents)
    monkeypatch.setenv("CPE_HOME", str(documents))
    result = cpe("restore", str(backed_up), "--force")
    assert result.exit_code == 2
    line = only_error(result)
    assert line == (f"Error: {documents} holds files cpe did not make (notes.txt, photos/, tax-return-2025.pdf): it "
                    "is not a cpe home, and restore never replaces it, even with --force. Check CPE_HOME, or move "
                    "those files out first")
    assert snapshot(documents) == before
    assert sorted(os.listdir(tmp_path)) == sorted(["Documents", "b.tar.gz", "cpe-home", "ethics.pdf"])


def test_a_ledger_beside_a_file_cpe_did_not_make_is_not_replaced_either(cpe, home, backed_up):
    (home / "my-notes.txt").write_text("mine")
    (home / "certificates" / "scans").mkdir()
    before = snapshot(home)
    result = cpe("restore", str(backed_up), "--force")
    assert result.exit_code == 2
    assert "holds files cpe did not make (certificates/scans/, my-notes.txt)" in only_error(result)
    assert snapshot(home) == before


def test_a_stranger_sqlite_file_named_cpe_db_is_not_replaced(cpe, home, backed_up, tmp_path, monkeypatch):
    other = tmp_path / "other-app"
    other.mkdir()
    conn = sqlite3.connect(other / "cpe.db")
    conn.execute("CREATE TABLE contacts (name TEXT)")
    conn.commit()
    conn.close()
    before = snapshot(other)
    monkeypatch.setenv("CPE_HOME", str(other))
    result = cpe("restore", str(backed_up), "--force")
    assert result.exit_code == 2
    assert "cpe.db (a SQLite database that is not a cpe ledger)" in only_error(result)
    assert snapshot(other) == before


def test_profiles_and_lost_and_found_go_over_to_the_restored_home(cpe, home, backed_up):
    (home / "profiles").mkdir()
    (home / "profiles" / "mine.toml").write_text("id = 'mine'\n")
    (home / "lost+found").mkdir()
    (home / "lost+found" / "old.pdf").write_bytes(b"%PDF kept")
    result = cpe("restore", str(backed_up), "--force")
    assert result.exit_code == 0, result.stderr
    assert (home / "profiles" / "mine.toml").read_text() == "id = 'mine'\n"
    assert (home / "lost+found" / "old.pdf").read_bytes() == b"%PDF kept"
    assert titles(home) == ["One", "Three", "Two"]


# -- item 4: restore over a damaged database keeps the damaged file aside -----------------------------------

def damage(database: Path, how: str) -> bytes:
    data = database.read_bytes()
    if how == "garbage":
        damaged = os.urandom(len(data))
    elif how == "zeroed-header":
        damaged = bytes(100) + data[100:]
    else:  # truncated
        damaged = data[:len(data) // 3]
    database.write_bytes(damaged)
    return damaged


@pytest.mark.parametrize("how", ["garbage", "zeroed-header", "truncated"])
def test_restore_works_over_a_damaged_database_and_keeps_it(cpe, home, backed_up, how):
    damaged = damage(home / "cpe.db", how)
    assert cpe("total").exit_code == 1  # the damage is real: commands refuse the ledger
    refused = cpe("restore", str(backed_up))
    assert refused.exit_code == 2 and "a damaged database" in only_error(refused) and "--force" in refused.stderr
    result = cpe("restore", str(backed_up), "--force")
    assert result.exit_code == 0, result.stderr
    warning = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert len(warning) == 1 and "the damaged database" in warning[0], result.stderr
    kept = next((home / "lost+found").iterdir())
    assert str(kept) in warning[0]
    assert (kept / "cpe.db").read_bytes() == damaged
    assert titles(home) == ["One", "Three", "Two"]
    verify = cpe("verify")
    assert verify.exit_code == 0, verify.stdout
    assert f"lost+found/{kept.name}/" in verify.stdout  # listed until the user deletes it


# -- item 5: the fallback swap (two renames) survives a crash between them ----------------------------------

KILLED_FALLBACK = r"""
import os, signal, sys
from cpe_cli.store import swap

swap._exchange = lambda first, second: False  # as on macOS: no atomic exchange
real_rename = os.rename
moment = sys.argv[2]

def rename(src, dst, *args, **kwargs):
    real_rename(src, dst, *args, **kwargs)
    if moment == "between" and ".old-" in str(dst):
        os.kill(os.getpid(), signal.SIGKILL)  # the old home is aside, the new one not yet in place
    if moment == "after" and str(dst) == os.environ["CPE_HOME"]:
        os.kill(os.getpid(), signal.SIGKILL)  # the new home is in place, the intent file not yet removed

os.rename = rename
sys.argv = ["cpe", "restore", sys.argv[1], "--force"]
from cpe_cli.__main__ import main
main()
"""


def test_a_restore_killed_between_the_two_renames_of_the_fallback_swap_loses_nothing(cpe, home, backed_up):
    before = titles(home)
    killed = subprocess.run([sys.executable, "-c", KILLED_FALLBACK, str(backed_up), "between"],
                            capture_output=True, text=True, timeout=60)
    assert killed.returncode == -9, killed.stderr
    assert not home.exists()  # the crash left no home: the old one is aside, named in the intent file
    total = cpe("total", "--preset", "all")
    assert total.exit_code == 0, total.stderr
    assert total.stdout == "8.0\n"  # the old ledger is back, not a new empty one
    assert titles(home) == before
    assert cpe("verify").exit_code == 0
    again = cpe("restore", str(backed_up), "--force")  # and the next restore cleans what the killed one left
    assert again.exit_code == 0, again.stderr
    assert titles(home) == ["One", "Three", "Two"]
    assert sorted(p.name for p in home.parent.iterdir() if p.name.startswith(f".{home.name}")) == []


def test_a_restore_killed_after_the_second_rename_leaves_the_new_ledger_and_a_reported_leftover(cpe, home,
                                                                                               backed_up):
    killed = subprocess.run([sys.executable, "-c", KILLED_FALLBACK, str(backed_up), "after"],
                            capture_output=True, text=True, timeout=60)
    assert killed.returncode == -9, killed.stderr
    assert titles(home) == ["One", "Three", "Two"]
    verify = cpe("verify")
    assert verify.exit_code == 0, verify.stdout
    assert verify.stdout.count("leftover of an interrupted 'cpe restore'") == 2, verify.stdout  # old home, intent
    repaired = cpe("verify", "--repair")
    assert repaired.exit_code == 0 and repaired.stdout.count(": removed") == 2, repaired.stdout
    assert sorted(p.name for p in home.parent.iterdir() if p.name.startswith(f".{home.name}")) == []


def test_the_fallback_swap_restores_and_leaves_nothing_behind(cpe, home, backed_up, monkeypatch):
    from cpe_cli.store import swap

    monkeypatch.setattr(swap, "_exchange", lambda first, second: False)
    result = cpe("restore", str(backed_up), "--force")
    assert result.exit_code == 0, result.stderr
    assert titles(home) == ["One", "Three", "Two"]
    assert sorted(p.name for p in home.parent.iterdir() if p.name.startswith(f".{home.name}")) == []


WAITING_FALLBACK = r"""
import os, sys, time
from pathlib import Path
from cpe_cli.store import swap

swap._exchange = lambda first, second: False
real_rename = os.rename
archive, between = sys.argv[1:3]

def rename(src, dst, *args, **kwargs):
    real_rename(src, dst, *args, **kwargs)
    if ".old-" in str(dst):
        Path(between).write_text("between the renames")
        time.sleep(1.5)

os.rename = rename
sys.argv = ["cpe", "restore", archive, "--force"]
from cpe_cli.__main__ import main
main()
"""


def test_a_command_started_between_the_renames_waits_for_the_new_home(home, backed_up, tmp_path):
    between = tmp_path / "between"
    restore = subprocess.Popen([sys.executable, "-c", WAITING_FALLBACK, str(backed_up), str(between)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not between.exists():
        assert restore.poll() is None and time.monotonic() < deadline, restore.communicate()
        time.sleep(0.01)
    assert not home.exists()
    listed = subprocess.run([installed_cpe(), "list", "--preset", "all", "--format", "json"], capture_output=True,
                            text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert sorted(row["title"] for row in json.loads(listed.stdout)) == ["One", "Three", "Two"]
    assert restore.wait(timeout=60) == 0


# -- smaller: the folders restore makes are private whatever the umask ---------------------------------

def test_folders_restore_creates_above_the_home_are_0700_under_umask_000(cpe, backed_up, tmp_path, monkeypatch):
    fresh = tmp_path / "a" / "b" / "home"
    monkeypatch.setenv("CPE_HOME", str(fresh))
    old = os.umask(0)
    try:
        result = cpe("restore", str(backed_up))
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.stderr
    for folder in (tmp_path / "a", tmp_path / "a" / "b", fresh):
        assert folder.stat().st_mode & 0o777 == 0o700, folder
