#!/usr/bin/env python3
"""Start-up and scale benchmarks for ``cpe`` (issue 6).

Run from the repository root with the project's virtual environment::

    .venv/bin/python benchmarks/run.py                      # 1,000 and 100,000 records, 15 runs
    .venv/bin/python benchmarks/run.py --sizes 1000,100000,1000000
    .venv/bin/python benchmarks/run.py --smoke              # 1,000 records, 3 runs, about a minute (CI)

What it does:

* Builds ledgers of the requested sizes under ``benchmarks/.cache/`` (git-ignored)
  and reuses them while the generator and the tool's schema are unchanged. Each
  ledger is first created by the real ``cpe`` (``cpe total`` in an empty
  ``CPE_HOME`` creates and migrates it), so the schema is exactly the tool's; the
  records are then written directly with ``sqlite3.executemany`` (seeded
  ``random.Random``: NASBA fields from ``cpe_cli.core.catalog``, real delivery methods
  with credits in their NASBA increments, providers, 6 years of dates up to
  ``CPE_TODAY``, part of them from the ``lumiq`` source).
* Writes the *floor* script beside them (``benchmarks/.cache/floor.py``): what
  Python itself needs to open the ledger with ``sqlite3``, sum the year-to-date
  credits and print the number.
* Runs each measured command alternately with its baseline (A B A B ...) and
  reports the median wall time of each side, their ratio against the issue's
  target, and the child's peak RSS (``os.wait4`` rusage of that one process).

Every run gets ``CPE_HOME`` (the ledger under test) and ``CPE_TODAY=2026-06-11``.
Only the standard library is used; ``cpe``, ``sqlite-utils`` and ``sqlite3`` are
run as the programs a user would run.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import fcntl
import hashlib
import json
import os
import platform
import pty
import random
import shutil
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "benchmarks" / ".cache"
TODAY = dt.date(2026, 6, 11)
GENERATOR_VERSION = 1  # bump when the generated data changes, to rebuild cached ledgers
SEED = 20260611
CSV_VERSION = 2  # bump when the import CSV changes
JSON_VERSION = 3  # bump when the import JSON changes (3: JSON Lines)

sys.path.insert(0, str(REPO))
from cpe_cli.core import catalog  # noqa: E402  (the real vocabularies, so the data is what cpe accepts)

FLOOR_SCRIPT = '''\
# The floor: what Python itself needs to open a cpe ledger, sum the year-to-date
# credits (the same SQL shape as `cpe total`) and print the number. Only sqlite3.
import os
import sqlite3

today = os.environ["CPE_TODAY"]
conn = sqlite3.connect(os.path.join(os.environ["CPE_HOME"], "cpe.db"))
hundredths = conn.execute(
    "SELECT coalesce(sum(credits_hundredths),0) FROM records WHERE completed_on >= ? AND completed_on <= ?",
    (today[:4] + "-01-01", today)).fetchone()[0]
print(hundredths / 100)
'''

# ---------------------------------------------------------------------------
# Realistic records
# ---------------------------------------------------------------------------

PROVIDERS = ("AICPA", "Becker", "Surgent", "Kaplan", "Western CPE", "CPA Academy", "Thomson Reuters Checkpoint",
             "Bisk", "CalCPA", "NYSSCPA", "TXCPA", "PICPA", "Illinois CPA Society", "Deloitte Learning",
             "Checkpoint Learning", "MyCPE One", "Gleim", "Wolters Kluwer CCH", "Perry Glen", "ACFE")
PROVIDER_WEIGHTS = (18, 14, 12, 6, 6, 8, 4, 2, 4, 3, 3, 2, 2, 1, 3, 6, 2, 3, 1, 2)

TOPICS = {
    "Accounting": ("Revenue Recognition under ASC 606", "Lease Accounting (ASC 842) in Practice",
                   "Current Expected Credit Losses", "Financial Statement Disclosures", "Accounting for Income Taxes"),
    "Accounting (Governmental)": ("GASB Update", "Governmental Fund Accounting", "GASB 87 Leases for Governments"),
    "Auditing": ("Risk Assessment Standards (SAS 145)", "Audit Sampling", "Auditing Estimates",
                 "Quality Management (SQMS 1)", "Audit Data Analytics"),
    "Auditing (Governmental)": ("Yellow Book Update", "Single Audit Essentials", "Uniform Guidance Compliance"),
    "Behavioral Ethics": ("Ethical Decision Making", "Professional Skepticism", "Ethics and Bias"),
    "Business Law": ("Contracts for Accountants", "Business Entity Law", "Employment Law Basics"),
    "Business Management & Organization": ("Leading a Firm", "Strategic Planning for CPA Firms",
                                           "Practice Management"),
    "Communications and Marketing": ("Writing for Clients", "Presentation Skills", "Marketing Your Practice"),
    "Computer Software & Applications": ("Excel Power Query", "Advanced Excel for Accountants",
                                         "QuickBooks Online Update", "Power BI Dashboards"),
    "Economics": ("Economic Outlook", "Inflation and Interest Rates", "Macroeconomics for CFOs"),
    "Finance": ("Cash Flow Forecasting", "Business Valuation Basics", "Treasury Management", "Capital Budgeting"),
    "Information Technology": ("Cybersecurity for CPA Firms", "SOC 2 Reporting", "AI in Accounting",
                               "Data Privacy Update"),
    "Management Services": ("Advisory Services Toolkit", "Process Improvement", "Management Consulting"),
    "Personal Development": ("Time Management", "Emotional Intelligence", "Career Resilience"),
    "Personnel/Human Resources": ("Hiring and Retention", "Payroll Compliance", "Remote Team Management"),
    "Production": ("Workflow Automation", "Production Planning"),
    "Regulatory Ethics": ("Ethics for CPAs", "AICPA Code of Professional Conduct", "State Board Ethics",
                          "Independence Rules Update"),
    "Specialized Knowledge": ("Not-for-Profit Update", "Employee Benefit Plans", "Forensic Accounting",
                              "Construction Contractors"),
    "Statistics": ("Statistics for Auditors", "Regression Analysis", "Data Sampling Methods"),
    "Taxes": ("Federal Tax Update", "Individual Tax Planning", "S Corporation Taxation", "Partnership Taxation",
              "Multistate Tax Issues", "Estate and Gift Tax", "IRS Practice and Procedure"),
}
FIELD_WEIGHTS = {"Taxes": 16, "Accounting": 12, "Auditing": 10, "Regulatory Ethics": 5, "Specialized Knowledge": 6,
                 "Information Technology": 5, "Computer Software & Applications": 5, "Finance": 4}
SUFFIXES = ("", "", "", ": Part 1", ": Part 2", " Update", " Essentials", " Deep Dive", " Workshop")
DESCRIPTIONS = ("", "", "", "Annual update on recent standards and their application.",
                "Case studies and practical examples for practitioners.",
                "Covers recent developments, common pitfalls and planning opportunities.")

# Credits per delivery method, all inside NASBA's increments (catalog.DELIVERY_METHODS).
CREDITS_BY_METHOD = {
    "Group Live": ("1", "1.5", "2", "2.4", "3", "4", "4", "8", "8"),
    "Group Internet Based": ("1", "1", "1.5", "2", "2", "2.5", "3", "4"),
    "QAS Self Study": ("0.5", "1", "1.5", "2", "2.5", "3", "4", "5", "8"),
    "Blended Learning": ("1", "2", "3", "4", "6"),
    "Nano Learning": ("0.2",),
    "Independent Study": ("1", "2", "3.5", "5", "10"),
}
METHOD_WEIGHTS = {"Group Live": 20, "Group Internet Based": 35, "QAS Self Study": 30, "Blended Learning": 5,
                  "Nano Learning": 8, "Independent Study": 2}


def _hundredths(text: str) -> int:
    return int(Decimal(text) * 100)


class RecordGenerator:
    """Deterministic, realistic rows for the ``records`` table (column order = INSERT_COLUMNS)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.fields = list(catalog.FIELD_NAMES)
        self.field_weights = [FIELD_WEIGHTS.get(name, 2) for name in self.fields]
        self.methods = list(catalog.DELIVERY_NAMES)
        self.method_weights = [METHOD_WEIGHTS.get(name, 1) for name in self.methods]
        self.states = list(catalog.JURISDICTIONS) + [None] * 15
        self.first_day = TODAY - dt.timedelta(days=6 * 365 - 1)  # six years up to and including TODAY
        self.span = (TODAY - self.first_day).days

    def rows(self, count: int) -> list[tuple]:
        rng = self.rng
        fields = rng.choices(self.fields, self.field_weights, k=count)
        methods = rng.choices(self.methods, self.method_weights, k=count)
        providers = rng.choices(PROVIDERS, PROVIDER_WEIGHTS, k=count)
        out = []
        for i in range(count):
            field_name, method = fields[i], methods[i]
            day = self.first_day + dt.timedelta(days=rng.randrange(self.span + 1))
            lumiq = rng.random() < 0.3
            provider = "Lumiq" if lumiq else providers[i]
            title = f"{rng.choice(TOPICS[field_name])}{rng.choice(SUFFIXES)}"
            if rng.random() < 0.4:
                title = f"{day.year} {title}"
            credits = rng.choice(CREDITS_BY_METHOD[method])
            added = min(TODAY, day + dt.timedelta(days=rng.randrange(21)))
            stamp = f"{added.isoformat()}T{rng.randrange(8, 22):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}+00:00"
            out.append((title, credits, _hundredths(credits), field_name, rng.choice(self.states), day.isoformat(),
                        method, provider, rng.choice(DESCRIPTIONS), "lumiq" if lumiq else "external", stamp, stamp))
        # Records are added soon after completion: ids follow the completion date, roughly.
        out.sort(key=lambda row: (row[5], row[10]))
        return out


INSERT_COLUMNS = ("title", "credits", "credits_hundredths", "field_of_study", "state", "completed_on",
                  "delivery_method", "provider", "description", "source", "added_at", "changed_at")

# ---------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    returncode: int
    maxrss_kib: int
    output: bytes  # standard output (or the terminal's output), truncated
    output_bytes: int
    stderr: bytes = b""


# Variables that would make the measured programs behave unlike on a user's machine: PYTHONUNBUFFERED
# turns every CSV row into a write(2), PYTHONDONTWRITEBYTECODE recompiles every module at each start, and
# the others trace, warn or debug. The environment of the benchmark's own shell must not leak into them.
DROPPED_ENV = sorted(key for key in os.environ
                     if key.startswith(("PYTHON", "CPE_", "_CPE_", "COMP_", "_TYPER_"))
                     and key not in ("PYTHONPATH", "PYTHONHOME")
                     or key in ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES"))


def base_env(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in DROPPED_ENV}
    env.update(CPE_HOME=str(home), CPE_TODAY=TODAY.isoformat())
    return env


# Peak memory. A spawned child's ru_maxrss also counts its parent's high-water mark (Linux carries
# it across exec, and subprocess spawns with vfork), so the timed runs' wait4 figure is only an upper
# bound. One extra run of each command under GNU time (a ~2 MiB C program) gives the command's own.
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
_measuring_rss = False


def run_process(argv: list[str], env: dict[str, str], *, tty: bool = False, keep: int = 65536) -> Run:
    """Run one command to completion; wall time from spawn to reaped, and its peak RSS.

    The RSS is exact only inside ``peak_rss_runs()`` (under GNU time); otherwise it is
    wait4's figure, an upper bound (see GNU_TIME).

    ``tty``: standard input, output and error are a fresh pseudo-terminal (120x50),
    drained as a terminal would be; otherwise standard output is a pipe read to the
    end (as in ``x=$(cpe total)``), standard input is /dev/null.
    """
    kept = bytearray()
    total = 0
    rss_file = None
    if _measuring_rss and GNU_TIME:
        handle, rss_file = tempfile.mkstemp(prefix="rss-", dir=CACHE)
        os.close(handle)
        argv = [GNU_TIME, "-f", "%M", "-o", rss_file, *argv]
    with tempfile.TemporaryFile() as err:
        if tty:
            master, slave = pty.openpty()
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 120, 0, 0))
            tty_env = {**env, "TERM": env.get("TERM", "xterm-256color") or "xterm-256color"}
            start = time.perf_counter()
            proc = subprocess.Popen(argv, env=tty_env, stdin=slave, stdout=slave, stderr=slave, close_fds=True,
                                    start_new_session=True)
            os.close(slave)
            try:
                while True:
                    try:
                        chunk = os.read(master, 1 << 16)
                    except OSError:  # EIO: every copy of the slave side is closed
                        break
                    if not chunk:
                        break
                    total += len(chunk)
                    if len(kept) < keep:
                        kept += chunk[: keep - len(kept)]
            finally:
                os.close(master)
        else:
            start = time.perf_counter()
            proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
                                    close_fds=True)
            read = proc.stdout.read1 if hasattr(proc.stdout, "read1") else proc.stdout.read
            while True:
                chunk = read(1 << 16)
                if not chunk:
                    break
                total += len(chunk)
                if len(kept) < keep:
                    kept += chunk[: keep - len(kept)]
            proc.stdout.close()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait again
        err.seek(0)
        stderr = err.read(8192)
    maxrss = usage.ru_maxrss
    if rss_file:
        try:
            maxrss = int(Path(rss_file).read_text().split()[-1])
        except (OSError, ValueError, IndexError):
            pass
        finally:
            os.unlink(rss_file)
    return Run(seconds, proc.returncode, maxrss, bytes(kept), total, stderr)


@contextlib.contextmanager
def peak_rss_runs():
    global _measuring_rss
    _measuring_rss = True
    try:
        yield
    finally:
        _measuring_rss = False


# ---------------------------------------------------------------------------
# Ledgers
# ---------------------------------------------------------------------------


def installed_cpe_program() -> Path:
    """A regular (non-editable) install of this checkout in its own venv under .cache, as a user has it.

    An editable install runs every import through its finder hook (about 14 ms a start), which would
    flatter each ratio; so the benchmark measures ``pip install .`` instead. The venv is named by a hash
    of the sources it was built from and rebuilt when they change.
    """
    digest = hashlib.sha256()
    for path in sorted([*(REPO / "cpe_cli").rglob("*.py"), *(REPO / "cpe_cli").rglob("*.toml"),
                        REPO / "pyproject.toml"]):
        digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    venv = CACHE / f"venv-{digest.hexdigest()[:12]}"
    program = venv / "bin" / "cpe"
    if (venv / ".complete").exists():
        return program
    for old in CACHE.glob("venv-*"):
        shutil.rmtree(old, ignore_errors=True)
    log(f"installing this checkout (non-editable) into {venv.relative_to(REPO)}")
    clean_env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(REPO)], check=True, env=clean_env)
    (venv / ".complete").write_text("")  # an interrupted build is redone, never measured
    return program


def cpe_program() -> Path:
    for candidate in (Path(sys.executable).parent / "cpe", REPO / ".venv" / "bin" / "cpe"):
        if candidate.exists():
            return candidate
    found = shutil.which("cpe")
    if not found:
        sys.exit("cannot find the cpe program: run with the project's .venv/bin/python")
    return Path(found)


def script_interpreter(program: Path) -> str:
    """The Python in the console script's shebang: the floor runs on the very same interpreter."""
    first = program.read_text(errors="replace").splitlines()[0]
    if first.startswith("#!") and "python" in first:
        return first[2:].strip().split()[0]
    return sys.executable


def schema_fingerprint(db: Path) -> str:
    """What a cached ledger was built for: the schema's version and text, and the page size (a new ledger's
    page size changes its size on disk, not its schema)."""
    conn = sqlite3.connect(db)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        sql = "\n".join(row[0] for row in conn.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name"))
        sql += f"\npage_size {conn.execute('PRAGMA page_size').fetchone()[0]}"
    finally:
        conn.close()
    return f"{version}-{hashlib.sha256(sql.encode()).hexdigest()[:10]}"


def create_empty_ledger(cpe: Path, home: Path) -> Path:
    """Let the real cpe create and migrate the ledger: the schema is exactly the tool's."""
    if home.exists():
        shutil.rmtree(home)
    # A write creates the home (reads never do): track a profile, then stop tracking it.
    for words in (["profile", "use", "ny"], ["profile", "drop", "ny"]):
        result = run_process([str(cpe), *words], base_env(home))
        if result.returncode != 0:
            sys.exit(f"`cpe {' '.join(words)}` could not create a ledger in {home}: "
                     f"{result.stderr.decode(errors='replace')}")
    db = home / "cpe.db"
    if not db.exists():
        sys.exit(f"no ledger was created in {home}")
    return db


def fill_ledger(db: Path, count: int, seed: int) -> None:
    """Write ``count`` records fast: one transaction, indexes rebuilt once at the end (same SQL as the tool's)."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous = OFF")
        indexes = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records' "
                               "AND sql IS NOT NULL").fetchall()
        conn.execute("BEGIN")
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        generator = RecordGenerator(seed)
        placeholders = ", ".join("?" for _ in INSERT_COLUMNS)
        insert = f"INSERT INTO records ({', '.join(INSERT_COLUMNS)}) VALUES ({placeholders})"
        left = count
        while left:
            batch = min(left, 200_000)
            conn.executemany(insert, generator.rows(batch))
            left -= batch
        for _, sql in indexes:
            conn.execute(sql)
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def ledger_for(size: int, cpe: Path, template: Path, fingerprint: str) -> Path:
    """The cached home holding a ``size``-record ledger, built if missing or stale."""
    home = CACHE / f"ledger-{size}-g{GENERATOR_VERSION}-s{fingerprint}"
    if (home / ".complete").exists():
        return home
    for stale in CACHE.glob(f"ledger-{size}-*"):
        shutil.rmtree(stale, ignore_errors=True)
    building = CACHE / f".building-{size}"
    shutil.rmtree(building, ignore_errors=True)
    shutil.copytree(template, building)
    started = time.perf_counter()
    in_child("fill", building / "cpe.db", size, SEED + size)
    (building / ".complete").write_text(f"{size} records, built in {time.perf_counter() - started:.1f} s\n")
    building.rename(home)
    log(f"built the {size:,}-record ledger in {time.perf_counter() - started:.1f} s")
    return home


def in_child(task: str, path: Path, *numbers: int) -> None:
    """Generate data in a separate process, so that this one stays small.

    A child spawned by a process inherits its parent's peak RSS in its own
    ``ru_maxrss`` (Linux carries the old image's high-water mark across exec),
    so the measuring process must never hold a million generated rows.
    """
    subprocess.run([sys.executable, str(Path(__file__).resolve()), f"--_{task}", str(path), *map(str, numbers)],
                   check=True)


def write_import_csv(path: Path, rows: int) -> None:
    """A CSV in the export columns (serialize.COLUMNS), as `cpe list --format csv` writes them."""
    if path.exists():
        return
    generator = RecordGenerator(SEED - rows)
    # No two rows the same course (cpe import skips those, sqlite-utils would not): the counts then agree.
    candidates, seen = [], set()
    for row in generator.rows(rows + rows // 50 + 10):
        identity = (row[9], row[0], row[5], row[7], row[2], row[3], row[6])
        if identity not in seen:
            seen.add(identity)
            candidates.append(row)
    if len(candidates) < rows:
        sys.exit(f"could not generate {rows} distinct rows")
    keep = sorted(generator.rng.sample(range(len(candidates)), rows))
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(("id", "date", "title", "credits", "field_of_study", "delivery_method", "provider", "state",
                         "source", "description", "certificate"))
        for number, row in enumerate((candidates[i] for i in keep), 1):
            (title, credits, _, field_name, state, day, method, provider, description, source, _, _) = row
            writer.writerow((number, day, title, credits, field_name, method, provider, state or "", source,
                             description, ""))
    tmp.rename(path)


# ---------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------


@dataclass
class Result:
    command: str
    size: str
    target: float | None
    runs: int = 0
    median_ms: float | None = None
    floor_ms: float | None = None
    rss_mib: float | None = None
    floor_rss_mib: float | None = None
    rss_limit_mib: float | None = None
    note: str = ""
    samples: dict = field(default_factory=dict)
    failed: bool = False  # a measured command exited non-zero or answered wrongly (fails the run, --smoke too)
    skipped: bool = False

    @property
    def ratio(self) -> float | None:
        if self.median_ms is None or not self.floor_ms:
            return None
        return self.median_ms / self.floor_ms

    @property
    def met(self) -> str:
        if self.ratio is None or self.target is None:
            return "-"
        ok = self.ratio <= self.target
        if self.rss_limit_mib is not None and self.rss_mib is not None:
            ok = ok and self.rss_mib < self.rss_limit_mib
        return "yes" if ok else "**no**"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def measure_pair(result: Result, floor, command, runs: int, budget: float, check=None) -> Result:
    """Alternate floor (A) and command (B) ``runs`` times after one warm-up of each; medians of each side.

    ``floor`` and ``command`` are callables returning a ``Run``; ``check`` validates the
    command's first run (a wrong answer is a failure, not a time). When one pair takes
    long, fewer runs are made so that this pair stays within about ``budget`` seconds.
    """
    warm_floor, warm = floor(), command()
    passed = check(warm) if check else warm.returncode == 0
    if warm.returncode != 0 or not passed:
        detail = (warm.stderr or warm.output).decode(errors="replace").strip().splitlines()
        result.note = (f"exit {warm.returncode}: {detail[-1][:160] if detail else 'no output'}; ") + result.note
        result.failed = True
        if not passed:
            result.note = "FAILED, not timed: " + result.note
            return result
    if warm_floor.returncode != 0:
        detail = (warm_floor.stderr or warm_floor.output).decode(errors="replace").strip().splitlines()
        result.note = f"FAILED: the baseline exited {warm_floor.returncode}: {detail[-1][:160] if detail else ''}; "
        result.failed = True
        return result
    pair_seconds = warm_floor.seconds + warm.seconds
    runs = max(3, min(runs, int(budget / max(pair_seconds, 1e-3)))) if pair_seconds * runs > budget else runs
    floor_times, times, floor_rss, rss = [], [], [], []
    for _ in range(runs):
        a = floor()
        b = command()
        floor_times.append(a.seconds)
        times.append(b.seconds)
        floor_rss.append(a.maxrss_kib)
        rss.append(b.maxrss_kib)
    if GNU_TIME:  # one more run of each, untimed, for each process's own peak RSS
        with peak_rss_runs():
            floor_rss, rss = [floor().maxrss_kib], [command().maxrss_kib]
    result.runs = runs
    result.floor_ms = statistics.median(floor_times) * 1000
    result.median_ms = statistics.median(times) * 1000
    result.rss_mib = max(rss) / 1024
    result.floor_rss_mib = max(floor_rss) / 1024
    result.samples = {"floor_ms": [round(t * 1000, 2) for t in floor_times],
                      "command_ms": [round(t * 1000, 2) for t in times]}
    return result


def command_exists(cpe: Path, name: str, env: dict) -> bool:
    probe = run_process([str(cpe), name, "--help"], env)
    return probe.returncode == 0


# Issue 14's targets (ratio to the floor; "All at 1k, 100k and 1M records").
TARGETS = {"total": 2.0, "badge": 3.0, "list": 3.0, "help": 3.0, "completion": 1.5, "add": 2.5, "status": 3.0,
           "by_month": 3.0, "list_csv": 1.2, "verify": 1.5}
MAX_BYTES_PER_RECORD = 250  # at 1,000,000 records


def bench_size(size: int, cpe: Path, python: str, template: Path, fingerprint: str, args,
               first: bool = False) -> list[Result]:
    home = ledger_for(size, cpe, template, fingerprint)
    env = base_env(home)
    label = f"{size:,}"
    floor_argv = [python, str(CACHE / "floor.py")]

    def floor() -> Run:
        return run_process(floor_argv, env)

    def cpe_run(*words: str, tty: bool = False, extra_env: dict | None = None):
        argv = [str(cpe), *words]
        full_env = {**env, **(extra_env or {})}
        return lambda: run_process(argv, full_env, tty=tty)

    # The floor and `cpe total` must agree, or the comparison is meaningless.
    expected = Decimal(floor().output.decode().strip())

    def same_total(run: Run) -> bool:
        try:
            return Decimal(run.output.decode().strip()) == expected
        except Exception:
            return False

    results = []
    log(f"{label} records: cpe total (piped)")
    results.append(measure_pair(Result("`cpe total` (stdout piped)", label, TARGETS["total"]), floor,
                                cpe_run("total"), args.runs, args.budget, check=same_total))
    log(f"{label} records: cpe total (terminal)")
    results.append(measure_pair(Result("`cpe total` (terminal: badge)", label, TARGETS["badge"]), floor,
                                cpe_run("total", tty=True), args.runs, args.budget,
                                check=lambda run: run.returncode == 0 and (b"CPE" in run.output
                                                                           or b"cpe" in run.output.lower())))
    log(f"{label} records: cpe total --by month (piped)")
    results.append(measure_pair(Result("`cpe total --by month` (stdout piped)", label, TARGETS["by_month"]), floor,
                                cpe_run("total", "--by", "month"), args.runs, args.budget,
                                check=lambda run: run.returncode == 0 and b"2026-06" in run.output))
    log(f"{label} records: cpe list --preset last-30-days (terminal)")
    listed = Result("`cpe list --preset last-30-days --no-pager` (terminal)", label, TARGETS["list"])
    results.append(measure_pair(listed, floor, cpe_run("list", "--preset", "last-30-days", "--no-pager", tty=True),
                                args.runs, args.budget))
    log(f"{label} records: TAB completion of a field value")
    completion_env = {"_CPE_COMPLETE": "complete_bash", "COMP_WORDS": "cpe add --field Ta", "COMP_CWORD": "3"}
    results.append(measure_pair(Result("TAB completion of a field value (`cpe add --field Ta<TAB>`, bash)", label,
                                       TARGETS["completion"]), floor,
                                cpe_run(extra_env=completion_env), args.runs, args.budget,
                                check=lambda run: b"Taxes" in run.output))
    # zsh and fish ask through Typer's protocol (answered on the fast route as bash is); fish runs a second,
    # cheaper "is-args" call per TAB as well. Record ids read the ledger: measured at every size.
    for shell, words, extra, expect in (
            ("zsh", "cpe add --field Ta", {"_CPE_COMPLETE": "complete_zsh"}, b"Taxes"),
            ("fish", "cpe add --field Ta", {"_CPE_COMPLETE": "complete_fish",
                                            "_TYPER_COMPLETE_FISH_ACTION": "get-args"}, b"Taxes"),
            ("zsh", "cpe show ", {"_CPE_COMPLETE": "complete_zsh"}, b"_cpe_values")):
        shown = words.replace("Ta", "Ta<TAB>") if "Ta" in words else words + "<TAB>"
        log(f"{label} records: TAB completion, {shell}: {words!r}")
        results.append(measure_pair(Result(f"TAB completion (`{shown.strip()}`, {shell})", label,
                                           TARGETS["completion"]), floor,
                                    cpe_run(extra_env={**extra, "_TYPER_COMPLETE_ARGS": words}), args.runs,
                                    args.budget, check=lambda run, expect=expect: expect in run.output))
    if first:  # help does not read the ledger: measured once
        for words in (("--help",), ("add", "--help")):
            shown = " ".join(["cpe", *words])
            log(f"{shown}")
            results.append(measure_pair(Result(f"`{shown}`", "any", TARGETS["help"]), floor, cpe_run(*words),
                                        args.runs, args.budget,
                                        check=lambda run: run.returncode == 0 and b"Usage" in run.output))

    # `cpe status --json` with three tracked profiles (issue 11: at most 3x the floor at 1,000,000 records).
    # Tracking writes one row each; idempotent, so the cached ledger is reused as it is.
    for words in (("ca", "--period-end", "2027-03-31"), ("ny",), ("tx", "--period-end", "2026-08-31")):
        tracked = run_process([str(cpe), "profile", "use", *words], env)
        if tracked.returncode != 0:
            sys.exit(f"`cpe profile use {' '.join(words)}` failed: {tracked.stderr.decode(errors='replace')}")
    log(f"{label} records: cpe status --json (ca, ny, tx)")
    results.append(measure_pair(Result("`cpe status --json` (3 tracked profiles: ca, ny, tx)", label,
                                       TARGETS["status"]), floor,
                                cpe_run("status", "--json"), args.runs, args.budget,
                                check=lambda run: b'"profiles"' in run.output))

    # `cpe add` writes: it runs on a copy of the ledger, which grows by one record per run (negligible).
    work = Path(tempfile.mkdtemp(prefix=f"cpe-add-{size}-", dir=CACHE))
    try:
        add_home = work / "home"
        shutil.copytree(home, add_home)
        certificate = work / "ethics-certificate.pdf"
        certificate.write_bytes(b"%PDF-1.4\n" + random.Random(1).randbytes(48 * 1024) + b"\n%%EOF\n")
        add_env = base_env(add_home)
        counter = iter(range(1, 1_000_000))

        def add() -> Run:
            number = next(counter)
            return run_process([str(cpe), "add", "--no-input", "--title", f"Ethics for CPAs (session {number})",
                                "--credits", "4", "--field", "Regulatory Ethics", "--state", "CA",
                                "--date", "2026-06-01", "--delivery", "Group Live", "--provider", "AICPA",
                                "--description", "Annual ethics update for California CPAs.",
                                "--certificate", str(certificate), "--source", "external"], add_env)

        log(f"{label} records: cpe add (all options, certificate included)")
        added = Result("`cpe add` (all options, 48 KiB certificate)", label, TARGETS["add"],
                       note="on a copy of the ledger: +1 record per run")
        results.append(measure_pair(added, floor, add, args.runs, args.budget,
                                    check=lambda run: b"Added record" in run.stderr))  # messages go to stderr
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


def bench_import(cpe: Path, template: Path, rows: int, args, kind: str = "csv") -> Result:
    """``cpe import`` of the same ``rows`` courses as CSV, as JSON, or as an export ZIP, into an empty ledger."""
    label = f"{rows:,}-row {'JSON Lines' if kind == 'json' else kind.upper()} into an empty ledger"
    if kind == "csv":
        result = Result("`cpe import` vs `sqlite-utils insert DB records FILE --csv`", label,
                        1.5 if rows >= 100_000 else None,
                        note="" if rows >= 100_000 else "the 1.5x target is for 100,000 rows; ")
    elif kind == "json":
        # JSON Lines: the JSON form that streams (README: "use JSON Lines beyond" an array's limit); at the time
        # of writing a JSON array over 1 MiB is refused ("longer than 1,048,576 bytes"), whatever its lines.
        result = Result("`cpe import FILE.jsonl` (JSON Lines) vs `sqlite-utils insert DB records FILE.jsonl --nl`",
                        label, None)
    else:
        result = Result("`cpe import audit.zip` (`cpe export zip` of the same rows) vs `sqlite-utils insert DB "
                        "records FILE --csv`", label, None)
    probe_env = base_env(template)
    if not command_exists(cpe, "import", probe_env):
        result.note, result.skipped = "skipped: `cpe import` does not exist yet", True
        return result
    sqlite_utils = Path(sys.executable).parent / "sqlite-utils"
    if not sqlite_utils.exists():
        result.note, result.skipped = "skipped: sqlite-utils program not found next to this Python", True
        return result
    csv_file = CACHE / f"import-{rows}-c{CSV_VERSION}.csv"
    in_child("csv", csv_file, rows)
    source, baseline_argv = csv_file, ["--csv"]
    if kind == "json":
        source = CACHE / f"import-{rows}-c{CSV_VERSION}-j{JSON_VERSION}.jsonl"
        in_child("json", source, rows)
        baseline_argv = ["--nl"]
    elif kind == "zip":
        source = CACHE / f"import-{rows}-c{CSV_VERSION}.zip"
        problem = make_export_zip(cpe, template, csv_file, source)
        if problem:
            result.note, result.skipped = f"skipped: {problem}", True
            return result
    work = Path(tempfile.mkdtemp(prefix="cpe-import-", dir=CACHE))
    try:
        def baseline() -> Run:
            target = work / "plain.db"
            target.unlink(missing_ok=True)
            data = csv_file if kind == "zip" else source
            return run_process([str(sqlite_utils), "insert", str(target), "records", str(data), *baseline_argv],
                               base_env(work))

        def cpe_import() -> Run:
            home = work / "home"
            shutil.rmtree(home, ignore_errors=True)
            shutil.copytree(template, home)
            formats = ["--format", "json"] if kind == "json" else []  # said, not guessed from the first line
            return run_process([str(cpe), "import", str(source), *formats, *args.import_args], base_env(home))

        if kind == "zip":  # the engineer's ZIP import may not be there yet: say so rather than fail the run
            probe = cpe_import()
            if probe.returncode != 0:
                detail = probe.stderr.decode(errors="replace").strip().splitlines()
                result.note = (f"skipped: `cpe import FILE.zip` exited {probe.returncode} "
                               f"({detail[-1][:120] if detail else 'no output'}); not there yet?")
                result.skipped = True
                return result
        log(f"cpe import of {label} vs sqlite-utils insert")
        measure_pair(result, baseline, cpe_import, args.heavy_runs, args.budget * 2)
        count = _count(work / "home" / "cpe.db")
        if count != rows:
            result.note += f"the ledger holds {count} records after import, not {rows}; "
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result


def last_line(data: bytes) -> str:
    lines = data.decode(errors="replace").strip().splitlines()
    return lines[-1][:160] if lines else "no output"


def write_import_json(path: Path, rows: int) -> None:
    """The import CSV's rows as JSON Lines with the keys of `cpe list --format json` (credits a number)."""
    if path.exists():
        return
    csv_file = CACHE / f"import-{rows}-c{CSV_VERSION}.csv"
    items = []
    with open(csv_file, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            row.pop("id", None)
            row.pop("certificate", None)
            row["credits"] = float(row["credits"]) if "." in row["credits"] else int(row["credits"])
            row["state"] = row["state"] or None
            items.append(row)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    tmp.rename(path)


def make_export_zip(cpe: Path, template: Path, csv_file: Path, target: Path) -> str | None:
    """An audit package as a user gets one: the CSV's rows imported into a scratch ledger, every 50th record with
    a small certificate, then `cpe export zip --preset all-time`. None when made (or cached), else why not."""
    if target.exists():
        return None
    work = Path(tempfile.mkdtemp(prefix="cpe-zip-", dir=CACHE))
    try:
        home = work / "home"
        shutil.copytree(template, home)
        env = base_env(home)
        with_files = work / "with-files.csv"  # certificates named relative to it, beside it
        with open(csv_file, newline="", encoding="utf-8") as source, \
                open(with_files, "w", newline="", encoding="utf-8") as out:
            reader, writer = csv.reader(source), csv.writer(out, lineterminator="\r\n")
            header = next(reader)
            writer.writerow(header)
            where = header.index("certificate")
            for number, row in enumerate(reader):
                if number % 50 == 0:
                    name = f"certificate-{number}.pdf"
                    (work / name).write_bytes(b"%PDF-1.4\n" + str(number).encode() * 64 + b"\n%%EOF\n")
                    row[where] = name
                writer.writerow(row)
        imported = run_process([str(cpe), "import", str(with_files)], env)
        if imported.returncode != 0:
            return f"could not build the ledger to export ({last_line(imported.stderr)})"
        exported = run_process([str(cpe), "export", "zip", "--preset", "all-time", "-o", str(work / "audit.zip")],
                               env)
        if exported.returncode != 0:
            return f"`cpe export zip` failed ({last_line(exported.stderr)})"
        (work / "audit.zip").rename(target)
        return None
    finally:
        shutil.rmtree(work, ignore_errors=True)


EXPORT_SQL = ("SELECT id, completed_on AS date, title, credits, field_of_study, delivery_method, provider, state, "
              "source, description, certificate_name AS certificate FROM records ORDER BY completed_on, id")


def bench_export(cpe: Path, home: Path, size: int, args) -> Result:
    full = size >= 1_000_000
    result = Result("`cpe export csv --preset all-time` vs `sqlite3 -csv DB 'select ...'`", f"{size:,}",
                    2.0 if full else None, rss_limit_mib=100.0 if full else None,
                    note="" if full else "the targets are for 1,000,000 records; ")
    env = base_env(home)
    if not command_exists(cpe, "export", env):
        result.note, result.skipped = "skipped: `cpe export` does not exist yet", True
        return result
    sqlite3_cli = shutil.which("sqlite3")
    if not sqlite3_cli:
        result.note, result.skipped = "skipped: no sqlite3 program (apt-get install sqlite3)", True
        return result
    argv = [str(cpe), *args.export_args]
    log(f"{size:,} records: {' '.join(['cpe', *args.export_args])} vs sqlite3 -csv")
    measure_pair(result, lambda: run_process([sqlite3_cli, "-csv", "-header", str(home / "cpe.db"), EXPORT_SQL], env),
                 lambda: run_process(argv, env), args.heavy_runs, args.budget * 2)
    return result


def bench_list_csv(cpe: Path, home: Path, size: int, args) -> Result:
    """Issue 14: `cpe list --format csv` within 1.2x of `cpe export csv` (one CSV path for both)."""
    result = Result("`cpe list --format csv --preset all-time` vs `cpe export csv --preset all-time`", f"{size:,}",
                    TARGETS["list_csv"])
    env = base_env(home)
    if not command_exists(cpe, "export", env):
        result.note, result.skipped = "skipped: `cpe export` does not exist yet", True
        return result
    export = run_process([str(cpe), "export", "csv", "--preset", "all-time"], env, keep=1 << 30)
    listing = run_process([str(cpe), "list", "--format", "csv", "--preset", "all-time"], env, keep=1 << 30)
    if export.returncode == 0 and listing.returncode == 0 and export.output != listing.output:
        result.note = "the two outputs differ; "
    log(f"{size:,} records: cpe list --format csv vs cpe export csv")
    measure_pair(result, lambda: run_process([str(cpe), "export", "csv", "--preset", "all-time"], env),
                 lambda: run_process([str(cpe), "list", "--format", "csv", "--preset", "all-time"], env),
                 args.heavy_runs, args.budget * 2)
    return result


def bench_verify(cpe: Path, home: Path, size: int, args) -> Result:
    """Issue 14: `cpe verify` within 1.5x of SQLite's own `PRAGMA integrity_check` at 1,000,000 records."""
    full = size >= 1_000_000
    result = Result("`cpe verify` vs `sqlite3 DB 'PRAGMA integrity_check'`", f"{size:,}",
                    TARGETS["verify"] if full else None,
                    note="" if full else "the 1.5x target is for 1,000,000 records; ")
    sqlite3_cli = shutil.which("sqlite3")
    if not sqlite3_cli:
        result.note, result.skipped = "skipped: no sqlite3 program (apt-get install sqlite3)", True
        return result
    env = base_env(home)
    log(f"{size:,} records: cpe verify vs PRAGMA integrity_check")
    measure_pair(result, lambda: run_process([sqlite3_cli, str(home / "cpe.db"), "PRAGMA integrity_check"], env),
                 lambda: run_process([str(cpe), "verify"], env), args.heavy_runs, args.budget * 2,
                 check=lambda run: run.returncode == 0 and b"Ledger is whole" in run.stderr)
    return result


def storage_row(home: Path, size: int) -> dict:
    """Bytes a record of the benchmark ledger (the file, WAL checkpointed), and how much of it is indexes."""
    db = home / "cpe.db"
    total = db.stat().st_size + sum(p.stat().st_size for p in home.glob("cpe.db-wal"))
    row = {"size": size, "bytes": total, "per_record": total / size if size else None, "indexes": None}
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        by_name = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"))
        kinds = dict(conn.execute("SELECT name, type FROM sqlite_master"))
        row["indexes"] = {name: pages for name, pages in by_name.items() if kinds.get(name) == "index"}
    except sqlite3.Error:
        pass  # dbstat is not compiled into every SQLite
    finally:
        conn.close()
    return row


def storage_table(rows: list[dict]) -> str:
    lines = ["| ledger size | database bytes | bytes per record | target | met | indexes on records (MiB) |",
             "|---|---:|---:|---:|---|---|"]
    for row in rows:
        full = row["size"] >= 1_000_000
        target = f"<= {MAX_BYTES_PER_RECORD}" if full else "-"
        met = ("yes" if row["per_record"] <= MAX_BYTES_PER_RECORD else "**no**") if full else "-"
        indexes = ", ".join(f"{name} {pages / 1048576:.1f}" for name, pages in
                            sorted((row["indexes"] or {}).items(), key=lambda item: -item[1]) if pages > 65536)
        lines.append(f"| {row['size']:,} | {row['bytes']:,} | {row['per_record']:.0f} | {target} | {met} | "
                     f"{indexes or '-'} |")
    return "\n".join(lines)


def _count(db: Path) -> int | None:
    if not db.exists():
        return None
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT count(*) FROM records").fetchone()[0]
    except sqlite3.Error:
        return None
    finally:
        conn.close()


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def machine() -> str:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        from importlib.metadata import version
        versions = ", ".join(f"{name} {version(name)}" for name in ("typer", "rich", "sqlite-utils"))
    except Exception:
        versions = ""
    return (f"{cpus} CPUs{f' ({model})' if model else ''}, {memory} RAM, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; {versions}")


def revision() -> str:
    """The commit measured, and whether cpe_cli/ had uncommitted changes (others may be editing it)."""
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "cpe_cli"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown revision"
    return f"commit {head}" + (" with uncommitted changes in cpe_cli/" if dirty else "")


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(results: list[Result]) -> str:
    lines = ["| command | ledger size | median ms | floor ms | ratio | target ratio | met | peak RSS MiB | floor RSS MiB "
             "| runs |",
             "|---|---|---:|---:|---:|---:|---|---:|---:|---:|"]
    for r in results:
        target = "-" if r.target is None else f"<= {r.target:g}x"
        if r.rss_limit_mib is not None:
            target += f", RSS < {r.rss_limit_mib:g} MiB"
        note = " ".join(r.note.split()).strip("; ")  # one table row, whatever a message held
        command = r.command + (f" ({note})" if note else "")
        ratio = "-" if r.ratio is None else f"{r.ratio:.2f}x"
        lines.append(f"| {command} | {r.size} | {fmt(r.median_ms)} | {fmt(r.floor_ms)} | {ratio} | {target} | "
                     f"{r.met} | {fmt(r.rss_mib)} | {fmt(r.floor_rss_mib)} | {r.runs or '-'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--_fill":
        fill_ledger(Path(argv[1]), int(argv[2]), int(argv[3]))
        return 0
    if argv and argv[0] == "--_csv":
        write_import_csv(Path(argv[1]), int(argv[2]))
        return 0
    if argv and argv[0] == "--_json":
        write_import_json(Path(argv[1]), int(argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,100000",
                        help="ledger sizes, comma-separated (default 1000,100000; the issue also asks 1000000)")
    parser.add_argument("--runs", type=int, default=15, help="A/B pairs per start-up measurement (default 15)")
    parser.add_argument("--heavy-runs", type=int, default=None,
                        help="pairs for import and export (default: min(runs, 5))")
    parser.add_argument("--import-rows", type=int, default=100_000, help="rows of the import CSV (default 100000)")
    parser.add_argument("--import-args", default="",
                        help="extra arguments after `cpe import FILE` (e.g. '--format csv')")
    parser.add_argument("--export-args", default="export csv --preset all-time",
                        help="the export command's words after `cpe` (default: 'export csv --preset all-time')")
    parser.add_argument("--budget", type=float, default=90.0,
                        help="seconds one pair may take before its run count is reduced (min 3 runs; default 90)")
    parser.add_argument("--smoke", action="store_true", help="1,000 records, 3 runs, a 1,000-row import: < 60 s")
    parser.add_argument("--json", type=Path, help="also write the results, with every sample, to this file")
    parser.add_argument("--skip", default="",
                        help="comma-separated parts to skip: startup, import, export (also the list CSV), verify, "
                             "storage")
    parser.add_argument("--editable", action="store_true",
                        help="measure the cpe next to this Python (the development install) instead of a regular "
                             "install built under .cache")
    parser.add_argument("--write-readme", action="store_true",
                        help="replace the table between <!-- benchmark:start --> and <!-- benchmark:end --> in "
                             "README.md with this run's report")
    args = parser.parse_args(argv)
    if args.smoke:
        args.sizes, args.runs, args.import_rows = "1000", 3, 1000
    sizes = sorted({int(s.replace("_", "").replace(",", "")) for s in args.sizes.split(",") if s.strip()})
    args.heavy_runs = args.heavy_runs or min(args.runs, 5)
    args.import_args = args.import_args.split()
    args.export_args = args.export_args.split()
    skip = {part.strip() for part in args.skip.split(",") if part.strip()}

    started = time.perf_counter()
    CACHE.mkdir(parents=True, exist_ok=True)
    cpe = cpe_program() if args.editable else installed_cpe_program()
    python = script_interpreter(cpe)
    (CACHE / "floor.py").write_text(FLOOR_SCRIPT)
    template = CACHE / "empty-home"
    create_empty_ledger(cpe, template)
    fingerprint = schema_fingerprint(template / "cpe.db")

    results: list[Result] = []
    if "startup" not in skip:
        for number, size in enumerate(sizes):
            results += bench_size(size, cpe, python, template, fingerprint, args, first=number == 0)
    if "import" not in skip:
        for kind in ("csv", "json", "zip"):
            results.append(bench_import(cpe, template, args.import_rows, args, kind))
    largest = max(sizes)
    if "export" not in skip:
        results.append(bench_export(cpe, ledger_for(largest, cpe, template, fingerprint), largest, args))
        results.append(bench_list_csv(cpe, ledger_for(largest, cpe, template, fingerprint), largest, args))
    if "verify" not in skip:
        results.append(bench_verify(cpe, ledger_for(largest, cpe, template, fingerprint), largest, args))
    storage = [] if "storage" in skip else [storage_row(ledger_for(size, cpe, template, fingerprint), size)
                                            for size in sizes]
    failures = [r for r in results if r.failed]

    now = dt.datetime.now().astimezone()
    report = "\n".join([
        f"Benchmark of `cpe` ({revision()}) on {now:%Y-%m-%d %H:%M %Z}: {machine()}.",
        f"Median wall time of {args.runs} alternated runs (A B A B, after one warm-up each; fewer where a pair "
        f"exceeded {args.budget:g} s, see runs) against the floor script (`benchmarks/.cache/floor.py`: Python + "
        f"sqlite3 summing the year-to-date credits), with CPE_TODAY={TODAY.isoformat()}. Peak RSS is the measured "
        "command's own "
        + ("(one extra run under GNU time)." if GNU_TIME else
           "(wait4 rusage of the timed runs: an upper bound, as it includes this script's own peak)."),
        "",
        table(results),
        "",
        *([f"Database size (the benchmark ledgers as built: records written in one transaction, indexes made "
           f"once; issue 14: at most {MAX_BYTES_PER_RECORD} bytes a record at 1,000,000):", "",
           storage_table(storage), ""] if storage else []),
        f"Total benchmark time: {time.perf_counter() - started:.0f} s."
        + (f" Not passed to the measured programs: {', '.join(DROPPED_ENV)}." if DROPPED_ENV else ""),
    ])
    print(report, flush=True)
    if args.write_readme:
        readme = REPO / "README.md"
        text = readme.read_text(encoding="utf-8")
        start, end = "<!-- benchmark:start -->", "<!-- benchmark:end -->"
        if start in text and end in text:
            before, rest = text.split(start, 1)
            readme.write_text(before + start + "\n" + report + "\n" + end + rest.split(end, 1)[1], encoding="utf-8")
        else:
            print("README.md has no benchmark markers: nothing written", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps({"date": now.isoformat(), "machine": machine(),
                                         "results": [{**r.__dict__, "ratio": r.ratio, "met": r.met}
                                                     for r in results], "storage": storage}, indent=2))
    if failures:
        # A ratio never fails the run (CI's machines vary); a command that errs or answers wrongly does.
        print("benchmark commands failed: " + "; ".join(f"{r.command} ({r.size}): {r.note.strip()}"
                                                        for r in failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
