"""What a command killed with kill -9 leaves beside its destination is removed by the next run of the same
command when provably abandoned, never while a live command holds it, and `cpe verify` lists what killed
restores left beside the home (issue 10, item 6)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import add_args, installed_cpe

KILLED_AT = r"""
import os, signal, sys, importlib
module, attribute = sys.argv[1].rsplit(".", 1)
target = importlib.import_module(module)
real = getattr(target, attribute)

def die(*args, **kwargs):
    if sys.argv[2] == "after":
        real(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)

setattr(target, attribute, die)
sys.argv = ["cpe", *sys.argv[3:]]
from cpe_cli.__main__ import main
main()
"""


def killed(where: str, *args: str, after: bool = False) -> None:
    result = subprocess.run([sys.executable, "-c", KILLED_AT, where, "after" if after else "before", *args],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == -9, result.stderr


HOLD_LOCK = r"""
import fcntl, os, sys, time
path = sys.argv[1]
flags = os.O_RDONLY | (os.O_DIRECTORY if os.path.isdir(path) else 0)
fd = os.open(path, flags)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(60)
"""


def hold(path: Path) -> subprocess.Popen:
    """A process that holds the lock a live cpe command would hold on ``path``."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "held\n"
    return holder


def hidden(folder: Path, prefix: str) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.startswith(prefix))


@pytest.fixture
def ledger(cpe, tmp_path):
    certificate = tmp_path / "c.pdf"
    certificate.write_bytes(b"%PDF leftovers\n" * 100)
    assert cpe(*add_args(certificate=str(certificate))).exit_code == 0
    assert cpe(*add_args(title="Second")).exit_code == 0


def test_a_killed_backup_leaves_temporary_files_that_the_next_backup_removes(cpe, ledger, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    target = out / "b.tar.gz"
    killed("cpe_cli.ops.archive.add_manifest", "backup", str(target))
    left = hidden(out, ".b.tar.gz.")
    assert len(left) == 2 and {name.split(".")[-1][:3] for name in left} == {"db-", "tmp"}, left
    other = cpe("backup", str(out / "other.tar.gz"))  # another name: not its leftovers
    assert other.exit_code == 0 and hidden(out, ".b.tar.gz.") == left
    result = cpe("backup", str(target))
    assert result.exit_code == 0, result.stderr
    assert hidden(out, ".") == []
    assert sorted(os.listdir(out)) == ["b.tar.gz", "other.tar.gz"]


def test_a_live_backups_temporary_files_are_never_removed(cpe, ledger, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    live = out / ".b.tar.gz.tmp-0123456789ab"
    live.write_bytes(b"a live backup writing")
    holder = hold(live)
    try:
        assert cpe("backup", str(out / "b.tar.gz")).exit_code == 0
        assert live.read_bytes() == b"a live backup writing"
    finally:
        holder.kill()
        holder.wait()
    assert cpe("backup", str(out / "b.tar.gz"), "--force").exit_code == 0
    assert not live.exists()  # once its command is gone, it is a leftover


@pytest.mark.parametrize("kind, name", [("zip", "audit.zip"), ("csv", "records.csv")])
def test_a_killed_export_leaves_a_temporary_file_that_the_next_export_removes(cpe, ledger, tmp_path, kind, name):
    out = tmp_path / "out"
    out.mkdir()
    killed("cpe_cli.ops.exporter._publish", "export", kind, "--preset", "all", "--output", str(out / name))
    left = hidden(out, f".{name}.")
    assert len(left) == 1 and left[0].endswith(".tmp"), left
    stranger = out / f".{name}.notes.tmp"  # not cpe's pattern: never touched
    stranger.write_text("mine")
    result = cpe("export", kind, "--preset", "all", "--output", str(out / name))
    assert result.exit_code == 0, result.stderr
    assert sorted(os.listdir(out)) == sorted([name, stranger.name])


def restore_leftovers(home: Path) -> list[str]:
    return hidden(home.parent, f".{home.name}.")


@pytest.mark.parametrize("moment", ["before-swap", "after-swap"])
def test_a_killed_restore_leaves_a_folder_that_verify_lists_and_the_next_restore_removes(cpe, ledger, home,
                                                                                        tmp_path, moment):
    archive = tmp_path / "b.tar.gz"
    assert cpe("backup", str(archive)).exit_code == 0
    assert cpe(*add_args(title="Third")).exit_code == 0
    if moment == "before-swap":
        killed("cpe_cli.store.swap.swap", "restore", str(archive), "--force")
    else:
        killed("shutil.rmtree", "restore", str(archive), "--force")
    [left] = restore_leftovers(home)
    assert left.startswith(f".{home.name}.restore-")
    verify = cpe("verify")
    assert verify.exit_code == 0, verify.stdout
    assert f"note: {home.parent / left} is a leftover of an interrupted 'cpe restore'" in verify.stdout
    expected = 3 if moment == "before-swap" else 2
    assert cpe("total", "--preset", "all").stdout == f"{expected * 2}.0\n"
    again = cpe("restore", str(archive), "--force")
    assert again.exit_code == 0, again.stderr
    assert restore_leftovers(home) == []
    assert cpe("verify").stdout == ""


def test_a_live_restores_staging_folder_is_left_alone_and_listed(cpe, ledger, home, tmp_path):
    archive = tmp_path / "b.tar.gz"
    assert cpe("backup", str(archive)).exit_code == 0
    live = home.parent / f".{home.name}.restore-0123456789ab"
    live.mkdir()
    (live / "cpe.db").write_bytes(b"being unpacked")
    holder = hold(live)
    try:
        assert cpe("restore", str(archive), "--force").exit_code == 0
        assert (live / "cpe.db").read_bytes() == b"being unpacked"
        repaired = cpe("verify", "--repair")
        assert repaired.exit_code == 0 and f"note: {live} is a leftover" in repaired.stdout
        assert live.exists()
    finally:
        holder.kill()
        holder.wait()
    repaired = cpe("verify", "--repair")
    assert f"leftover of an interrupted 'cpe restore' {live}: removed" in repaired.stdout
    assert not live.exists()


def test_a_folder_named_like_a_leftover_but_holding_other_files_is_never_removed(cpe, ledger, home, tmp_path):
    archive = tmp_path / "b.tar.gz"
    assert cpe("backup", str(archive)).exit_code == 0
    odd = home.parent / f".{home.name}.restore-0123456789ab"
    odd.mkdir()
    (odd / "thesis.docx").write_text("not cpe's")
    assert cpe("restore", str(archive), "--force").exit_code == 0
    assert (odd / "thesis.docx").read_text() == "not cpe's"
    assert f"note: {odd} is a leftover" in cpe("verify").stdout


def test_cleaning_waits_for_nothing_and_is_quick(cpe, ledger, tmp_path):
    """A hundred abandoned temporary files are cleaned in well under a second."""
    out = tmp_path / "out"
    out.mkdir()
    for n in range(100):
        (out / f".b.tar.gz.tmp-{n:012x}").write_bytes(b"x")
    started = time.monotonic()
    assert cpe("backup", str(out / "b.tar.gz")).exit_code == 0
    assert time.monotonic() - started < 5
    assert os.listdir(out) == ["b.tar.gz"]


def test_sqlites_journal_beside_a_killed_backups_snapshot_goes_with_it(cpe, ledger, tmp_path):
    """Found by the kill -9 harness: a backup killed while SQLite copied the snapshot leaves the copy and its
    rollback journal; the journal of a live backup's copy stays."""
    out = tmp_path / "out"
    out.mkdir()
    for token in ("0123456789ab", "ba9876543210"):
        (out / f".b.tar.gz.db-{token}").write_bytes(b"SQLite format 3\0")
        (out / f".b.tar.gz.db-{token}-journal").write_bytes(b"journal")
    orphan = out / ".b.tar.gz.db-aaaaaaaaaaaa-journal"  # its copy already gone
    orphan.write_bytes(b"journal")
    holder = hold(out / ".b.tar.gz.db-ba9876543210")
    try:
        assert cpe("backup", str(out / "b.tar.gz")).exit_code == 0
    finally:
        holder.kill()
        holder.wait()
    assert sorted(os.listdir(out)) == sorted(["b.tar.gz", ".b.tar.gz.db-ba9876543210",
                                              ".b.tar.gz.db-ba9876543210-journal"])
