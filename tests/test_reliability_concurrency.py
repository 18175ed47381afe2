"""Concurrent writers lose nothing: 8 processes x 50 `cpe add`, half with certificates."""

import hashlib
import os
import sqlite3
import subprocess
import threading

from conftest import installed_cpe

WORKERS = 8
ADDS_PER_WORKER = 50


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
