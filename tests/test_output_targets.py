"""Where `cpe export ... -o` writes: a new file atomically, a regular file only with --force, never over
anything else; a FIFO or a character device is written into as it is (no rename, no --force needed);
`-o /dev/stdout` (and `-`) is standard output. A refused or failed export creates nothing, not even the home.
"""

from __future__ import annotations

import os
import stat
import subprocess
import threading
import time
import zipfile
import io

import pytest

from support import add, installed_cpe, only_error, snapshot


@pytest.fixture
def ledger(cpe, home, tmp_path):
    certificate = tmp_path / "ethics.pdf"
    certificate.write_bytes(b"%PDF-1.4 ethics")
    add(cpe, certificate=str(certificate))
    add(cpe, title="Tax update", field="Taxes")
    return home


def read_fifo(path, into: list) -> threading.Thread:
    """A reader on the FIFO, its end open before cpe opens the other (so cpe finds it), reading until EOF."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)

    def reader():
        chunks, deadline = [], time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:  # the writer is there, nothing written yet
                time.sleep(0.005)
                continue
            if chunk:
                chunks.append(chunk)
            elif chunks:
                break  # end of file after the data
            else:
                time.sleep(0.005)  # no writer yet
        os.close(fd)
        into.append(b"".join(chunks))
    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("kind", ["csv", "zip"])
def test_force_writes_into_a_fifo_and_never_renames_over_it(cpe, ledger, tmp_path, kind):
    fifo = tmp_path / f"out.{kind}"
    os.mkfifo(fifo)
    received: list = []
    thread = read_fifo(fifo, received)
    result = cpe("export", kind, "--preset", "all-time", "-o", str(fifo), "--force")
    thread.join(10)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO was replaced by a file"
    if kind == "csv":
        assert received[0].startswith(b"id,date,title")
    else:
        assert "manifest.csv" in zipfile.ZipFile(io.BytesIO(received[0])).namelist()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []  # no temporary left


def test_a_fifo_is_written_into_without_force(cpe, ledger, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list = []
    thread = read_fifo(fifo, received)
    result = cpe("export", "csv", "--preset", "all-time", "-o", str(fifo))
    thread.join(10)
    assert result.exit_code == 0, result.stderr
    assert received[0].count(b"\r\n") == 3


def test_a_fifo_nobody_reads_is_an_error_not_a_hang(cpe_process, ledger, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = cpe_process("export", "csv", "-o", str(fifo), "--force", timeout=20)
    assert result.returncode == 1
    assert "no program is reading from that FIFO" in result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_dev_null_is_written_into_without_force(cpe, ledger):
    result = cpe("export", "csv", "--preset", "all-time", "-o", "/dev/null")
    assert result.exit_code == 0, result.stderr
    assert "Wrote 2 records" in result.stderr
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)


def test_force_over_a_symlink_replaces_neither_the_link_nor_its_target(cpe, ledger, tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    link = tmp_path / "records.csv"
    link.symlink_to(target)
    result = cpe("export", "csv", "--preset", "all-time", "-o", str(link), "--force")
    assert result.exit_code == 2
    assert "--force replaces only a regular file" in only_error(result)
    assert os.path.islink(link) and target.read_text() == "keep me"
    without = cpe("export", "csv", "-o", str(link))
    assert without.exit_code == 2 and "already exists; use --force" in only_error(without)


def test_force_still_replaces_a_regular_file(cpe, ledger, tmp_path):
    existing = tmp_path / "records.csv"
    existing.write_text("old")
    assert cpe("export", "csv", "--preset", "all-time", "-o", str(existing), "--force").exit_code == 0
    assert existing.read_text().startswith("id,date,title")


def test_dev_stdout_is_standard_output_without_force(cpe, ledger):
    result = cpe("export", "csv", "--preset", "all-time", "-o", "/dev/stdout")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("id,date,title") and result.stdout.count("\n") == 3
    assert "Wrote" not in result.stderr


def test_dev_stdout_through_the_installed_script_into_a_file(ledger, tmp_path):
    target = tmp_path / "piped.csv"
    with open(target, "wb") as out:
        completed = subprocess.run([installed_cpe(), "export", "csv", "--preset", "all-time", "-o", "/dev/stdout"],
                                   stdout=out, stderr=subprocess.PIPE, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert target.read_bytes().count(b"\r\n") == 3


def test_a_zip_to_dev_stdout(cpe, ledger):
    result = cpe("export", "zip", "--preset", "all-time", "-o", "/dev/stdout")
    assert result.exit_code == 0, result.stderr
    names = zipfile.ZipFile(io.BytesIO(result.stdout_bytes)).namelist()
    assert "manifest.csv" in names and len(names) == 2


# -- a refused or failed export creates nothing -----------------------------------------------------

@pytest.mark.parametrize("args", [
    ("export", "csv", "-o", "{tmp}/missing-folder/out.csv"),
    ("export", "csv", "-o", "{tmp}/exists.csv"),
    ("export", "csv", "-o", "{tmp}"),
    ("export", "zip", "-o", "{tmp}/exists.csv"),
    ("export", "zip", "--preset", "all-time", "-o", "{tmp}/audit.zip"),
    ("export", "zip"),
])
def test_a_refused_or_failed_export_creates_no_home(cpe, home, tmp_path, args, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "exists.csv").write_text("mine")
    before = sorted(p.name for p in tmp_path.iterdir())
    result = cpe(*[arg.replace("{tmp}", str(tmp_path)) for arg in args])
    assert result.exit_code in (1, 2)
    only_error(result)
    assert not home.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_failed_zip_export_of_an_existing_ledger_changes_nothing(cpe, ledger, tmp_path):
    before = snapshot(ledger)
    result = cpe("export", "zip", "--year", "2020", "-o", str(tmp_path / "audit.zip"))
    assert result.exit_code == 1 and "nothing to package" in only_error(result)
    assert snapshot(ledger) == before and not (tmp_path / "audit.zip").exists()
