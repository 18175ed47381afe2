"""Concurrent writers lose nothing: 8 processes x 50 `cpe add`, half with certificates; imports and backups at once."""

import hashlib
import os
import sqlite3
import subprocess
import threading

import pytest

from support import add_args, installed_cpe

WORKERS = 8
ADDS_PER_WORKER = 50


@pytest.mark.slow  # 400 processes: about a minute on two cores
def test_eight_processes_adding_fifty_records_each(home, tmp_path):
    cert_dir = tmp_path / "certs"
    cert_dir.mkdir()
    expected_hashes = {}
    failures = []

    def worker(number: int) -> None:
        for n in range(ADDS_PER_WORKER):
            title = f"worker {number} course {n}"
            args = [installed_cpe(), "add", "--no-input", "-t", title, "-c", "1", "-f", "Taxes", "-m", "Group Live",
                    "-P", f"Provider {number}", "-d", "2026-05-01"]
            if n % 2 == 0:
                certificate = cert_dir / f"w{number}-{n}.pdf"
                payload = f"%PDF certificate {number}/{n}\n".encode() + os.urandom(2048)
                certificate.write_bytes(payload)
                expected_hashes[title] = hashlib.sha256(payload).hexdigest()
                args += ["--certificate", str(certificate)]
            result = subprocess.run(args, capture_output=True, text=True, timeout=120)
            if result.returncode != 0:
                failures.append((title, result.stderr))

    threads = [threading.Thread(target=worker, args=(number,)) for number in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []

    conn = sqlite3.connect(home / "cpe.db")
    rows = conn.execute("SELECT title, certificate_stored, certificate_sha256 FROM records").fetchall()
    conn.close()
    titles = [title for title, _, _ in rows]
    assert len(rows) == WORKERS * ADDS_PER_WORKER
    assert len(set(titles)) == len(titles)  # each exactly once
    with_certificates = {title: (stored, sha) for title, stored, sha in rows if stored}
    assert set(with_certificates) == set(expected_hashes)
    for title, (stored, sha) in with_certificates.items():
        assert sha == expected_hashes[title]
        assert hashlib.sha256((home / "certificates" / stored).read_bytes()).hexdigest() == sha
    stored_files = {p.name for p in (home / "certificates").iterdir() if p.is_file()}
    assert stored_files == {stored for stored, _ in with_certificates.values()}
    assert list((home / "certificates" / ".incoming").iterdir()) == []


# -- imports and a backup at once ----------------------------------------------------------------------

IMPORT_SIZES = (200, 400, 800, 1600)  # every subset has its own sum, so a count names the imports it holds
SEED_RECORDS = 3


def write_import(path, number: int, rows: int) -> dict:
    """A CSV of ``rows`` new records, every 100th attaching a certificate beside it; returns name -> SHA-256."""
    import csv

    hashes = {}
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(["title", "credits", "field", "delivery method", "date", "provider", "certificate"])
        for n in range(rows):
            certificate = ""
            if n % 100 == 0:
                certificate = f"import{number}-{n}.pdf"
                payload = f"%PDF import {number} row {n}\n".encode() + os.urandom(1024)
                (path.parent / certificate).write_bytes(payload)
                hashes[certificate] = hashlib.sha256(payload).hexdigest()
            writer.writerow([f"import {number} course {n}", "1", "Taxes", "Group Live", "2026-04-01", "AICPA",
                             certificate])
    return hashes


def restored_count(archive, home) -> int:
    """Restore ``archive`` into the empty ``home``, check it with cpe verify, and return its record count."""
    env = {**os.environ, "CPE_HOME": str(home)}
    restored = subprocess.run([installed_cpe(), "restore", str(archive)], capture_output=True, text=True, env=env)
    assert restored.returncode == 0, restored.stderr
    verified = subprocess.run([installed_cpe(), "verify"], capture_output=True, text=True, env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    conn = sqlite3.connect(home / "cpe.db")
    count = conn.execute("SELECT count(*) FROM records").fetchone()[0]
    conn.close()
    return count


@pytest.mark.slow  # four imports of 3,000 rows and up to six backups at once
def test_four_imports_and_backups_at_once_are_each_whole(home, tmp_path):
    from itertools import combinations

    for n in range(SEED_RECORDS):
        subprocess.run([installed_cpe(), *add_args(title=f"seed {n}")], check=True, capture_output=True)
    files, hashes = [], {}
    for number, rows in enumerate(IMPORT_SIZES):
        folder = tmp_path / f"import-{number}"
        folder.mkdir()
        files.append(folder / "records.csv")
        hashes.update(write_import(files[-1], number, rows))
    imports = [subprocess.Popen([installed_cpe(), "import", str(path)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for path in files]
    archives = []
    while len(archives) < 6 and (not archives or any(process.poll() is None for process in imports)):
        archive = tmp_path / f"backup-{len(archives)}.tar.gz"
        result = subprocess.run([installed_cpe(), "backup", str(archive)], capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, result.stderr
        archives.append(archive)
    for process, rows in zip(imports, IMPORT_SIZES):
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
        assert stdout == "" and stderr.startswith(f"Imported {rows:,} records") and "locked" not in stderr

    # The ledger holds every import, whole, with every certificate.
    conn = sqlite3.connect(home / "cpe.db")
    assert conn.execute("SELECT count(*) FROM records").fetchone()[0] == SEED_RECORDS + sum(IMPORT_SIZES)
    stored = dict(conn.execute("SELECT certificate_name, certificate_sha256 FROM records "
                               "WHERE certificate_name IS NOT NULL"))
    conn.close()
    assert stored == hashes
    assert subprocess.run([installed_cpe(), "verify"], capture_output=True).returncode == 0

    # Each backup is a consistent snapshot: it restores, verifies, and holds a whole number of imports.
    wholes = {SEED_RECORDS + sum(subset) for size in range(len(IMPORT_SIZES) + 1)
              for subset in combinations(IMPORT_SIZES, size)}
    counts = [restored_count(archive, tmp_path / f"restored-{number}" / "home")
              for number, archive in enumerate(archives)]
    assert set(counts) <= wholes, counts
    assert counts == sorted(counts)  # later snapshots never hold less
