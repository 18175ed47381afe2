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

``test_kill_9_during_every_writing_command`` does the same for every command
that writes (add, edit, rm, rm --purge, rm --undo, import, restore with the
atomic swap and with the fallback of two renames, verify --repair, export
csv/zip -o, backup, profile use/drop), each on a copy of one 2,000-record
template: the ledger must be the state before or after, verify whole, no file
stray or missing, an output absent or complete, and no leftover once the same
command has run again (issue 10).
"""

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from support import add_args, installed_cpe, snapshot

TRIALS = int(os.environ.get("CPE_CRASH_TRIALS", "30"))
SEED = int(os.environ.get("CPE_CRASH_SEED", "20261129"))


def certificate_rows(home):
    conn = sqlite3.connect(home / "cpe.db")
    rows = conn.execute("SELECT certificate_stored, certificate_sha256 FROM records").fetchall()
    conn.close()
    return rows


def assert_whole(home):
    """Every certificate a record names is there with its SHA-256, and the store holds nothing no record or
    trash entry names (certificates are shared by content: one file may be named by several); returns the
    number of records."""
    rows = certificate_rows(home)
    conn = sqlite3.connect(home / "cpe.db")
    trashed = {name for (name,) in conn.execute("SELECT certificate_stored FROM trash WHERE certificate_stored "
                                                "IS NOT NULL")}
    conn.close()
    referenced = set(trashed)
    for stored, sha in rows:
        if stored:
            path = home / "certificates" / stored
            assert path.exists(), f"record points at missing {stored}"
            assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
            referenced.add(stored)
    for stored in trashed:
        assert (home / "certificates" / stored).exists(), f"the trash points at missing {stored}"
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


# -- every writing command, killed at seeded random moments (issue 10) -----------------------------------

TEMPLATE_ROWS = 2000
TEMPLATE_CERTIFICATES = 20  # every 100th row attaches one (200 KB each, random: they do not compress)
REMOVED = [str(n) for n in range(1, 401)]  # what rm, rm --purge and rm --undo work on: 400 records


def run_cpe_at(home, *args, check=True, env=None):
    result = subprocess.run([installed_cpe(), *args], capture_output=True, text=True,
                            env={**os.environ, "CPE_HOME": str(home), **(env or {})}, timeout=300)
    if check:
        assert result.returncode == 0, f"cpe {' '.join(args)}: {result.stdout}{result.stderr}"
    return result


def build_template(folder):
    """A ledger of 2,000 records (20 with a certificate, two of them the same file), a tracked profile and
    nothing in the trash; then variants of it the commands start from."""
    import csv
    import shutil

    source = folder / "source"
    source.mkdir()
    shared = os.urandom(200_000)

    def write_csv(path, prefix):
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow(["Course/Seminar Title", "CPE Credits", "Field of Study", "Delivery Method",
                             "Completion Date", "Sponsor", "State", "Certificate File"])
            for n in range(TEMPLATE_ROWS):
                certificate = ""
                if n % (TEMPLATE_ROWS // TEMPLATE_CERTIFICATES) == 0:
                    certificate = f"{prefix}{n}.pdf"
                    (source / certificate).write_bytes(shared if n in (0, 100) else os.urandom(200_000))
                writer.writerow([f"{prefix} course {n}", "1.5", "Taxes", "Group Live", "2026-05-01", "AICPA", "CA",
                                 certificate])
        return path

    path = write_csv(source / "rows.csv", "First")
    more = write_csv(source / "more.csv", "Second")  # what the killed imports bring: new rows, one file shared
    base = folder / "base" / "home"
    run_cpe_at(base, "import", str(path))
    run_cpe_at(base, "profile", "use", "ny")
    variants = {"base": base}
    trashed = folder / "trashed" / "home"
    shutil.copytree(base, trashed)
    run_cpe_at(trashed, "rm", *REMOVED, "--yes")
    variants["trashed"] = trashed
    strays = folder / "strays" / "home"
    shutil.copytree(base, strays)
    for n in range(5):
        (strays / "certificates" / f"stray-{n}.pdf").write_bytes(b"%PDF a stray, never to be lost " + bytes([n]))
    conn = sqlite3.connect(strays / "cpe.db")
    conn.execute("UPDATE monthly_totals SET hundredths = hundredths + 1")  # derived data verify --repair rebuilds
    conn.commit()
    conn.close()
    variants["strays"] = strays
    big = source / "big.pdf"
    big.write_bytes(os.urandom(9 * 1024 * 1024))
    archive = folder / "backup.tar.gz"
    run_cpe_at(trashed, "backup", str(archive))  # the restores bring back the trashed variant
    return variants, {"big": big, "archive": archive, "csv": more}


def ledger_state(home):
    """What a command may change, as values: records (with their certificates' content), trash, profiles."""
    conn = sqlite3.connect(home / "cpe.db")
    try:
        records = conn.execute("SELECT id, title, credits, certificate_sha256 FROM records ORDER BY id").fetchall()
        trash = conn.execute("SELECT count(*) FROM trash").fetchone()[0]
        profiles = conn.execute("SELECT profile_id FROM tracked_profiles ORDER BY 1").fetchall()
    finally:
        conn.close()
    return hashlib.sha256(repr(records).encode()).hexdigest(), len(records), trash, tuple(profiles)


def output_state(path):
    """An export or backup as far as it can be compared between runs: absent, or complete and what it holds."""
    import tarfile
    import zipfile

    if not os.path.exists(path):
        return None
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            assert archive.testzip() is None
            return tuple(sorted((info.filename, info.CRC) for info in archive.infolist() if info.filename != "manifest.csv"))
    if path.name.endswith(".tar.gz"):
        with tarfile.open(path) as archive:
            return tuple(sorted(member.name for member in archive))  # reading it all checks every CRC
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hidden_beside(folder, name):
    return sorted(entry for entry in os.listdir(folder) if entry.startswith(f".{name}"))


# kind: (template variant, command line ("{out}" and "{big}", "{archive}", "{csv}" filled in), output name)
KINDS = {
    "add": ("base", [*add_args(title="Killed add", certificate="{big}")], None),
    "edit": ("base", ["edit", "1", "--credits", "3", "--certificate", "{big}", "--no-input"], None),
    "rm": ("base", ["rm", *REMOVED, "--yes"], None),
    "rm --purge": ("base", ["rm", *REMOVED, "--yes", "--purge"], None),
    "rm --undo": ("trashed", ["rm", "--undo"], None),
    "import": ("base", ["import", "{csv}"], None),
    "restore": ("base", ["restore", "{archive}", "--force"], None),
    "restore (fallback swap)": ("base", ["@fallback", "restore", "{archive}", "--force"], None),
    "verify --repair": ("strays", ["verify", "--repair"], None),
    "export csv": ("base", ["export", "csv", "--preset", "all", "--output", "{out}"], "records.csv"),
    "export zip": ("base", ["export", "zip", "--preset", "all", "--output", "{out}"], "audit.zip"),
    "backup": ("base", ["backup", "{out}"], "backup.tar.gz"),
    "profile use": ("base", ["profile", "use", "il"], None),
    "profile drop": ("base", ["profile", "drop", "ny"], None),
}

FALLBACK = r"""
import sys
from cpe_cli.store import swap
swap._exchange = lambda first, second: False  # two renames, as where renameat2 is missing
sys.argv = ["cpe", *sys.argv[1:]]
from cpe_cli.__main__ import main
main()
"""


def command_line(args, fills):
    filled = [arg.format(**fills) if "{" in arg else arg for arg in args]
    if filled[0] == "@fallback":
        return [sys.executable, "-c", FALLBACK, *filled[1:]]
    return [installed_cpe(), *filled]


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    return build_template(tmp_path_factory.mktemp("templates"))


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_kill_9_during_every_writing_command(templates, tmp_path, kind):
    """Each trial copies a template home, starts the command, kills it at a seeded random moment, then checks:
    `cpe verify` (or, for verify --repair, the next repair) exits 0 with no problem listed; the ledger is the
    state before or the state after the command, never in between; every certificate a record or the trash
    names is there, and nothing else; for an export or backup the file is absent or complete; and the next run
    of the same command leaves no leftover of the killed one."""
    import shutil

    variants, files = templates
    variant, args, output_name = KINDS[kind]
    rng = random.Random(f"{SEED}:{kind}")
    template = variants[variant]
    before = ledger_state(template)
    stray_bytes = sorted(p.read_bytes() for p in (template / "certificates").glob("stray-*"))

    def fresh(name):
        home = tmp_path / name / "home"
        shutil.copytree(template, home)
        out = tmp_path / name / "out"
        out.mkdir()
        fills = {**{key: str(value) for key, value in files.items()},
                 "out": str(out / output_name) if output_name else ""}
        return home, out, command_line(args, fills)

    home, out, line = fresh("full")
    started = time.monotonic()
    full = subprocess.run(line, capture_output=True, text=True, env={**os.environ, "CPE_HOME": str(home)},
                          timeout=300)
    duration = time.monotonic() - started
    assert full.returncode == 0, full.stderr
    after = ledger_state(home)
    after_output = output_state(out / output_name) if output_name else None
    outcomes = {"before": 0, "after": 0}
    for trial in range(TRIALS):
        home, out, line = fresh(f"trial-{trial}")
        env = {**os.environ, "CPE_HOME": str(home)}
        child = subprocess.Popen(line, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        time.sleep(rng.uniform(0, duration * 1.1))
        child.send_signal(signal.SIGKILL)
        child.wait()
        where = f"{kind}, trial {trial}"
        if kind == "verify --repair":
            moved = len(os.listdir(home / "lost+found")) if (home / "lost+found").exists() else 0
            outcomes["before" if moved == 0 else "after" if moved == len(stray_bytes) else "some moved"] = \
                outcomes.get("before" if moved == 0 else "after" if moved == len(stray_bytes) else "some moved",
                             0) + 1
            checked = run_cpe_at(home, "verify", "--repair", check=False)  # the next run of the same command
            assert checked.returncode == 0, f"{where}: {checked.stdout}{checked.stderr}"
            kept = sorted(p.read_bytes() for p in (home / "lost+found").iterdir())
            assert kept == stray_bytes, f"{where}: a stray certificate was lost"
            state = ledger_state(home)
            assert state == before == after, where
        else:
            checked = run_cpe_at(home, "verify", check=False)
            assert checked.returncode == 0, f"{where}: {checked.stdout}{checked.stderr}"
            assert all(line.startswith("note: ") for line in checked.stdout.splitlines()), f"{where}: {checked.stdout}"
            state = ledger_state(home)
            assert state in (before, after), f"{where}: the ledger is neither before nor after"
            if output_name:
                outcomes["after" if os.path.exists(out / output_name) else "before"] += 1
            else:
                outcomes["before" if state == before and state != after else "after"] += 1
        assert_whole(home)
        if output_name:
            assert output_state(out / output_name) in (None, after_output), f"{where}: a half-written output"
            again = subprocess.run(line + (["--force"] if os.path.exists(out / output_name) else []),
                                   capture_output=True, text=True, env=env, timeout=300)
            assert again.returncode == 0, f"{where}: {again.stderr}"
            assert os.listdir(out) == [output_name], f"{where}: leftovers {os.listdir(out)}"
        if kind.startswith("restore"):
            again = subprocess.run(line, capture_output=True, text=True, env=env, timeout=300)
            assert again.returncode == 0, f"{where}: {again.stderr}"
            assert ledger_state(home) == after
        assert hidden_beside(home.parent, home.name) == [], f"{where}: leftovers beside the home"
        shutil.rmtree(tmp_path / f"trial-{trial}")
    assert sum(outcomes.values()) == TRIALS
    print(f"{kind}: {outcomes} in {TRIALS} trials, command {duration:.2f} s")
