"""A `cpe add --certificate` or a 5,000-row `cpe import` killed with SIGKILL at random moments leaves the ledger whole.

Each trial starts the command, kills it after a random delay drawn from a
seeded generator, then checks: `cpe verify` passes (exit 0), the record count
is the count before or after (never in between), no record points at a
missing or altered file, and after the next command no stray copy remains.
``CPE_CRASH_TRIALS`` sets the number of trials of each kind (default 30, what
CI runs); ``CPE_CRASH_SEED`` the seed. The full run is in the README.

A write that fails for lack of space (a file-size limit, ``ulimit -f``, set in
the child) is one clear error and leaves nothing half-written, for add, import,
both exports and backup.
"""

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import time

import pytest

from support import add_args, installed_cpe, snapshot

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


def assert_verified(home):
    result = subprocess.run([installed_cpe(), "verify"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.startswith("Ledger is whole: ")


@pytest.mark.slow
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
        assert_verified(home)
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


# -- cpe import ---------------------------------------------------------------------------------------

IMPORT_ROWS = 5000
IMPORT_CERTIFICATE_EVERY = 250  # 20 of the rows attach a certificate file


def write_import(folder, trial: int) -> tuple:
    """A 5,000-row CSV whose rows are new in every trial, with 20 certificates beside it; returns (path, hashes)."""
    import csv

    hashes = {}
    path = folder / f"import-{trial}.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(["Course/Seminar Title", "CPE Credits", "Field of Study", "Delivery Method", "Completion Date",
                         "Sponsor", "State", "Certificate File"])
        for n in range(IMPORT_ROWS):
            certificate = ""
            if n % IMPORT_CERTIFICATE_EVERY == 0:
                certificate = f"t{trial}-c{n}.pdf"
                payload = b"%PDF certificate " + f"{trial}/{n} ".encode() + os.urandom(4096)
                (folder / certificate).write_bytes(payload)
                hashes[certificate] = hashlib.sha256(payload).hexdigest()
            writer.writerow([f"Trial {trial} course {n}", "1.5", "Taxes", "Group Live", "2026-05-01", "AICPA", "CA",
                             certificate])
    return path, hashes


@pytest.mark.slow
def test_kill_9_during_an_import_of_5000_rows(home, tmp_path):
    """Each trial imports 5,000 new rows into a copy of the same small ledger (so verify stays quick)."""
    import shutil

    rng = random.Random(SEED + 1)
    folder = tmp_path / "csv"
    folder.mkdir()
    subprocess.run([installed_cpe(), *add_args(title="seed")], check=True, capture_output=True)
    subprocess.run([installed_cpe(), *add_args(title="seed 2", certificate=str(write_import(folder, -1)[0]))],
                   check=True, capture_output=True)
    csv_file, hashes = write_import(folder, 0)
    started = time.monotonic()
    full = subprocess.run([installed_cpe(), "import", str(csv_file)], capture_output=True, text=True,
                          env={**os.environ, "CPE_HOME": str(tmp_path / "timing")})
    assert full.returncode == 0, full.stderr
    duration = time.monotonic() - started
    before = 2
    outcomes = {"before": 0, "after": 0}
    deadline = time.monotonic() + max(120.0, TRIALS * 6.0)  # bounded: a hang fails the test, it does not stall CI
    for trial in range(TRIALS):
        trial_home = tmp_path / f"home-{trial}"
        shutil.copytree(home, trial_home)
        env = {**os.environ, "CPE_HOME": str(trial_home)}
        child = subprocess.Popen([installed_cpe(), "import", str(csv_file)], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, env=env)
        time.sleep(rng.uniform(0, duration * 1.1))
        child.send_signal(signal.SIGKILL)
        child.wait()
        # The next command (here verify) finishes or undoes what the killed import left, then checks it all.
        result = subprocess.run([installed_cpe(), "verify"], capture_output=True, text=True, env=env)
        assert result.returncode == 0, f"trial {trial}: {result.stdout}{result.stderr}"
        after = assert_whole(trial_home)
        assert after in (before, before + IMPORT_ROWS), f"trial {trial}: {before} -> {after}"
        conn = sqlite3.connect(trial_home / "cpe.db")
        attached = dict(conn.execute("SELECT certificate_name, certificate_sha256 FROM records "
                                     "WHERE title LIKE 'Trial 0 %' AND certificate_name IS NOT NULL"))
        conn.close()
        assert attached == (hashes if after > before else {})
        outcomes["before" if after == before else "after"] += 1
        shutil.rmtree(trial_home)
        assert time.monotonic() < deadline, f"{trial + 1} trials took too long"
    assert sum(outcomes.values()) == TRIALS
    if TRIALS >= 30:  # the seeded delays land on both sides of the commit
        assert outcomes["before"] and outcomes["after"], outcomes


# -- no space left ------------------------------------------------------------------------------------

def limit_file_size(limit: int):
    def apply():
        import resource
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
    return apply


def one_error_line(result) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_a_full_disk_during_an_import_writes_no_row(home, tmp_path):
    from support import snapshot

    subprocess.run([installed_cpe(), *add_args(title="seed")], check=True, capture_output=True)
    folder = tmp_path / "csv"
    folder.mkdir()
    csv_file, _ = write_import(folder, 0)
    before = snapshot(home)
    # 256 KiB: the certificates (4 KiB each) fit, the 5,000 rows do not.
    result = subprocess.run([installed_cpe(), "import", str(csv_file)], capture_output=True, text=True,
                            preexec_fn=limit_file_size(256 * 1024))
    assert result.returncode == 1, result.stderr
    line = one_error_line(result)
    assert line == f"Error: could not write {home / 'cpe.db'} (disk I/O error); nothing was changed", line
    assert_verified(home)
    assert assert_whole(home) == 1
    assert snapshot(home) == before


@pytest.mark.parametrize("command, name, says", [
    (["export", "csv", "--preset", "all", "--output"], "records.csv", "could not write {out}/records.csv: File too "
                                                                      "large; nothing was written"),
    (["export", "zip", "--preset", "all", "--output"], "audit.zip", "could not write {out}/audit.zip: File too large; "
                                                                    "nothing was written"),
    (["backup"], "backup.tar.gz", "could not take a snapshot of the database into {out} (disk I/O error; is the "
                                  "disk full?); nothing was written"),
])
def test_a_full_disk_during_an_export_or_backup_leaves_no_file(home, tmp_path, command, name, says):
    from support import snapshot

    folder = tmp_path / "csv"
    folder.mkdir()
    csv_file, _ = write_import(folder, 0)
    subprocess.run([installed_cpe(), "import", str(csv_file)], check=True, capture_output=True)
    out = tmp_path / "out"
    out.mkdir()
    before = snapshot(home)
    result = subprocess.run([installed_cpe(), *command, str(out / name)], capture_output=True, text=True,
                            preexec_fn=limit_file_size(64 * 1024))
    assert result.returncode == 1, result.stderr
    assert says.replace("{out}", str(out)) in one_error_line(result)
    assert os.listdir(out) == []  # neither the file nor a temporary one
    assert snapshot(home) == before
