"""A `cpe add --certificate` killed with SIGKILL at random moments leaves the ledger whole.

Each trial starts an add, kills it after a random delay drawn from a seeded
generator, then checks: the record count is the count before or after (never
in between), no record points at a missing or altered file, and after the next
command no stray copy remains. ``CPE_CRASH_TRIALS`` sets the number of trials
(default 30); ``CPE_CRASH_SEED`` the seed.
"""

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import time

import pytest

from conftest import add_args, installed_cpe

TRIALS = int(os.environ.get("CPE_CRASH_TRIALS", "30"))
SEED = int(os.environ.get("CPE_CRASH_SEED", "20261129"))


def ledger_state(home):
    conn = sqlite3.connect(home / "cpe.db")
    rows = conn.execute("SELECT certificate_stored, certificate_sha256 FROM records").fetchall()
    conn.close()
    return rows


def assert_whole(home):
    rows = ledger_state(home)
    referenced = set()
    for stored, sha in rows:
        if stored:
            path = home / "certificates" / stored
            assert path.exists(), f"record points at missing {stored}"
            assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
            referenced.add(stored)
    on_disk = {p.name for p in (home / "certificates").iterdir() if p.is_file()}
    assert on_disk == referenced, f"stray files: {on_disk - referenced}"
    assert list((home / "certificates" / ".incoming").iterdir()) == []
    return len(rows)


def test_kill_9_during_add_with_certificate(home, tmp_path):
    rng = random.Random(SEED)
    certificate = tmp_path / "big-certificate.pdf"
    certificate.write_bytes(os.urandom(9 * 1024 * 1024))
    subprocess.run([installed_cpe(), *add_args(title="seed")], check=True, capture_output=True)
    started = time.monotonic()
    full = subprocess.run([installed_cpe(), *add_args(title="timing", certificate=str(certificate))],
                          capture_output=True)
    assert full.returncode == 0
    duration = time.monotonic() - started
    count = 2
    outcomes = {"before": 0, "after": 0}
    for trial in range(TRIALS):
        child = subprocess.Popen([installed_cpe(), *add_args(title=f"trial {trial}", certificate=str(certificate))],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, duration * 1.1))
        child.send_signal(signal.SIGKILL)
        child.wait()
        # The next command (any command) finishes or undoes what the killed one left.
        assert subprocess.run([installed_cpe(), "total"], capture_output=True).returncode == 0
        after = assert_whole(home)
        assert after in (count, count + 1), f"trial {trial}: {count} -> {after}"
        outcomes["before" if after == count else "after"] += 1
        count = after
    assert sum(outcomes.values()) == TRIALS


def test_a_full_disk_while_copying_is_a_clear_error_and_nothing_half_written(home, tmp_path):
    certificate = tmp_path / "certificate.pdf"
    certificate.write_bytes(os.urandom(2 * 1024 * 1024))
    subprocess.run([installed_cpe(), *add_args(title="seed")], check=True, capture_output=True)

    def limit_file_size():
        import resource
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024 * 1024, 1024 * 1024))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead

    result = subprocess.run([installed_cpe(), *add_args(title="too big", certificate=str(certificate))],
                            capture_output=True, text=True, preexec_fn=limit_file_size)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: could not store the certificate") and result.stderr.count("\n") == 1
    assert assert_whole(home) == 1
