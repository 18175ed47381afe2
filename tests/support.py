"""Everything the tests share: running cpe as a user does, building inputs, reading results.

The one support module (test modules import from here, never from each
other or from ``conftest``). ``run_cpe`` runs the real entry point a user
runs (``cpe_cli.__main__.main``) in this process, on the fast route or,
with ``route="typer"``, forced onto the Typer app; ``installed_cpe`` is the
console script itself, for tests that need a separate process.
"""

from __future__ import annotations

import copy
import csv
import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils  # building a version-1 ledger as the first cpe did

from cpe_cli.core.serialize import COLUMNS
from cpe_cli.store import schema

TODAY_ISO = "2026-06-11"


@dataclass
class Result:
    """What a command did: its exit code and its two output streams (decoded and as bytes)."""

    exit_code: int
    stdout_bytes: bytes
    stderr_bytes: bytes

    @property
    def stdout(self) -> str:
        return self.stdout_bytes.decode("utf-8", "replace").replace("\r\n", "\n")

    @property
    def stderr(self) -> str:
        return self.stderr_bytes.decode("utf-8", "replace")

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cpe(*args: str, input: str | bytes | None = None, route: str | None = None,
            env: dict[str, str] | None = None) -> Result:
    """Run ``cpe ARGS`` through ``cpe_cli.__main__.main`` in this process, as the installed script would.

    Standard input is ``input`` (never a terminal); ``route="typer"`` sets
    ``CPE_ROUTE=typer``; ``env`` adds variables for this run only.
    """
    from cpe_cli.__main__ import main

    stdin_bytes = input.encode("utf-8") if isinstance(input, str) else (input or b"")
    out, err = io.BytesIO(), io.BytesIO()
    streams = (sys.argv, sys.stdin, sys.stdout, sys.stderr)
    saved_env = {name: os.environ.get(name) for name in (*(env or {}), "CPE_ROUTE")}
    sys.argv = ["cpe", *args]
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin_bytes), encoding="utf-8")
    wrappers = (io.TextIOWrapper(out, encoding="utf-8", write_through=True),
                io.TextIOWrapper(err, encoding="utf-8", write_through=True))
    sys.stdout, sys.stderr = wrappers
    os.environ.update(env or {})
    if route == "typer":
        os.environ["CPE_ROUTE"] = "typer"
    else:
        os.environ.pop("CPE_ROUTE", None)
    code = 0
    try:
        main()
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    finally:
        for wrapper in wrappers:
            wrapper.flush()
            wrapper.detach()  # keep the bytes: a collected wrapper would close its buffer
        sys.argv, sys.stdin, sys.stdout, sys.stderr = streams
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return Result(code, out.getvalue(), err.getvalue())


# The command as installed (pip only writes the Python into its first line).
SCRIPT = Path(__file__).resolve().parent.parent / "bin" / "cpe"

# A probe of what a cpe command imports: the script's own text, after a snapshot of sys.modules is set to be written
# at exit (after the command, before anything else is imported) to $CPE_TEST_MODULES_OUT.
MODULES_PROBE = r"""
import atexit, os, sys

def _snapshot():
    with open(os.environ["CPE_TEST_MODULES_OUT"], "w", encoding="utf-8") as out:
        out.write("\n".join(sorted(sys.modules)))

atexit.register(_snapshot)
sys.argv = ["cpe", *sys.argv[1:]]
""" + SCRIPT.read_text(encoding="utf-8")


def run_in_terminal(argv: list[str], env: dict[str, str], *, columns: int = 80, rows: int = 24,
                    timeout: float = 60) -> tuple[int, str]:
    """Run ``argv`` with standard input, output and error on a new pseudo-terminal of ``columns`` x ``rows``;
    return its exit code and everything it wrote there (as the terminal got it: ``\r\n`` line ends)."""
    import fcntl
    import pty
    import struct
    import subprocess
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    proc = subprocess.Popen(argv, env=env, stdin=slave, stdout=slave, stderr=slave, close_fds=True,
                            start_new_session=True)
    os.close(slave)
    chunks = []
    try:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal's last writer has gone
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(master)
    return proc.wait(timeout=timeout), b"".join(chunks).decode("utf-8", "replace")


def installed_cpe() -> str:
    """The console script installed with the package (next to this Python)."""
    script = Path(sys.executable).parent / "cpe"
    return str(script) if script.exists() else shutil.which("cpe")


def add_args(**overrides: str) -> list[str]:
    """Options for a valid `cpe add`, with any field overridden (None drops it)."""
    values = {"--title": "Ethics for CPAs", "--credits": "2", "--field": "Regulatory Ethics",
              "--delivery": "Group Live", "--provider": "AICPA", "--date": "2026-06-01"}
    values.update({f"--{key.replace('_', '-')}": value for key, value in overrides.items()})
    args = ["add", "--no-input"]
    for option, value in values.items():
        if value is not None:
            args += [option, value]
    return args

def snapshot(home: Path) -> dict[str, str]:
    """Every file under ``home`` with its SHA-256: two equal snapshots mean nothing changed on disk."""
    state = {}
    if not home.exists():
        return state
    for folder, _, files in os.walk(home):
        for name in files:
            path = Path(folder) / name
            state[str(path.relative_to(home))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def change_database(home: Path, *statements: str) -> None:
    """Run SQL on the ledger as another program would (the sqlite3 shell, a script), committed: the rows and
    schema cpe must then notice."""
    conn = sqlite3.connect(home / "cpe.db")
    try:
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def make_unreadable(path: Path, monkeypatch) -> None:
    """chmod 000 ``path``; where that does not stop this process (root reads everything), make ``os.open`` of it
    fail with EACCES as the kernel would for another user (in-process only: CliRunner, not a subprocess)."""
    path.chmod(0)
    if os.access(path, os.R_OK):
        real_open = os.open

        def deny(name, *args, **kwargs):
            if str(name) == str(path):
                raise PermissionError(13, "Permission denied")
            return real_open(name, *args, **kwargs)

        monkeypatch.setattr(os, "open", deny)


# -- exchange: CSV files and what the exchange commands print -----------------------------------

PLATFORM_HEADER = ("Course/Seminar Title", "CPE Credits", "Field of Study", "Delivery Method", "Completion Date",
                   "Sponsor", "State", "Course Description")
OWN_HEADER = COLUMNS


def write_rows(path: Path, header, rows, *, encoding: str = "utf-8") -> Path:
    """A CSV file as a spreadsheet or a platform would write it (RFC 4180, CRLF)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def as_dicts(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def add(cpe, **overrides: str) -> int:
    """`cpe add` a valid record (``add_args``, with overrides); returns its id."""
    result = cpe(*add_args(**overrides), "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["id"]


def platform_row(title="Ethics for CPAs", credits="2", field="Regulatory Ethics", method="Group Live",
                 day="2026-06-01", provider="AICPA", state="CA", description="") -> list[str]:
    return [title, credits, field, method, day, provider, state, description]


def without_ids(text: str) -> list[list[str]]:
    """A CSV export's rows with the id column dropped (ids are the ledger's own)."""
    return [row[1:] for row in parse(text)]


def error_line(result) -> str:
    """The single `Error: ...` line a refused command prints; fails if there is anything else on stderr."""
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def only_error(result) -> str:
    """Like ``error_line``, and nothing else on standard error either."""
    line = error_line(result)
    assert result.stderr.strip().splitlines() == [line], result.stderr
    return line


def out(result) -> str:
    """Standard output exactly as written, CRLF and all."""
    return result.stdout_bytes.decode("utf-8")


# -- archives, damaged and old databases ---------------------------------------------------------

def read_members(archive: Path) -> list[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(archive) as tar:
        return [(member, tar.extractfile(member).read()) for member in tar.getmembers()]


def write_archive(path: Path, members, *, fix_manifest: bool = False) -> Path:
    """Write ``members`` (TarInfo, bytes or None) as a tar.gz; optionally recompute the manifest to match."""
    if fix_manifest:
        files = {m.name: {"sha256": hashlib.sha256(d).hexdigest(), "size": len(d)}
                 for m, d in members if m.name != "manifest.json" and m.isreg()}
        manifest = json.loads(dict((m.name, d) for m, d in members)["manifest.json"])
        manifest["files"] = files
        members = [(m, json.dumps(manifest).encode() if m.name == "manifest.json" else d) for m, d in members]
    with tarfile.open(path, "w:gz") as tar:
        for member, data in members:
            member = copy.copy(member)
            if data is not None and member.isreg():
                member.size = len(data)
                tar.addfile(member, io.BytesIO(data))
            else:
                tar.addfile(member)
    return path


def member(name: str, kind=tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = kind, linkname, 0o600
    return info


def with_database(members, change) -> list:
    """The members with the database replaced by a changed copy (``change`` gets a connection)."""
    import tempfile

    data = dict((m.name, d) for m, d in members)["cpe.db"]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.db"
        path.write_bytes(data)
        conn = sqlite3.connect(path)
        change(conn)
        conn.commit()
        conn.close()
        changed = path.read_bytes()
    return [(m, changed if m.name == "cpe.db" else d) for m, d in members]


def hostile(kind: str, good: Path, folder: Path) -> Path:
    members = read_members(good)
    target = folder / f"{kind}.tar.gz"
    first_certificate = next(i for i, (m, _) in enumerate(members) if m.name.startswith("certificates/"))
    if kind == "dotdot":
        return write_archive(target, [(member("../escaped.txt"), b"gotcha"), *members])
    if kind == "dotdot-deep":
        return write_archive(target, [*members[:-1], (member("certificates/../../escaped.txt"), b"x"), members[-1]])
    if kind == "absolute":
        return write_archive(target, [(member(str(folder / "escaped.txt")), b"gotcha"), *members])
    if kind == "symlink":
        return write_archive(target, [(member("certificates/link.pdf", tarfile.SYMTYPE, "/etc/passwd"), None),
                                      *members])
    if kind == "hardlink":
        return write_archive(target, [*members[:1], (member("certificates/x.pdf", tarfile.LNKTYPE, "cpe.db"), None),
                                      *members[1:]])
    if kind == "device":
        return write_archive(target, [(member("certificates/zero", tarfile.CHRTYPE), None), *members])
    if kind == "folder":
        return write_archive(target, [(member("certificates", tarfile.DIRTYPE), None), *members])
    if kind == "unexpected-name":
        return write_archive(target, [(member("notes.txt"), b"hello"), *members], fix_manifest=True)
    if kind == "wrong-hash":
        changed = list(members)
        m, data = changed[first_certificate]
        changed[first_certificate] = (m, data[:-1] + bytes([data[-1] ^ 1]))
        return write_archive(target, changed)
    if kind == "unlisted-member":
        return write_archive(target, [*members[:-1], (member("certificates/extra.pdf"), b"%PDF"), members[-1]])
    if kind == "missing-member":
        return write_archive(target, members[:first_certificate] + members[first_certificate + 1:])
    if kind == "duplicate":
        return write_archive(target, [*members[:-1], members[first_certificate], members[-1]])
    if kind == "no-manifest":
        return write_archive(target, members[:-1])
    if kind == "bad-manifest":
        return write_archive(target, [*members[:-1], (members[-1][0], b"{not json")])
    if kind == "foreign-manifest":
        return write_archive(target, [*members[:-1], (members[-1][0], b'{"format": "zip-export", "files": {}}')])
    if kind == "newer-format":
        manifest = json.loads(members[-1][1])
        manifest["version"] = 2
        return write_archive(target, [*members[:-1], (members[-1][0], json.dumps(manifest).encode())])
    if kind == "newer-schema":
        return write_archive(target, with_database(members, lambda c: c.execute("PRAGMA user_version = 99")),
                             fix_manifest=True)
    if kind == "foreign-database":
        return write_archive(target, with_database(members, lambda c: c.execute("PRAGMA application_id = 7")),
                             fix_manifest=True)
    if kind == "corrupt-database":
        data = dict((m.name, d) for m, d in members)["cpe.db"]
        database = sqlite3.connect(":memory:")
        database.deserialize(data)
        page = database.execute("SELECT rootpage FROM sqlite_master WHERE name = 'records'").fetchone()[0]
        size = database.execute("PRAGMA page_size").fetchone()[0]
        damaged = bytearray(data)
        damaged[(page - 1) * size:(page - 1) * size + 12] = b"\xff" * 12
        return write_archive(target, [(m, bytes(damaged) if m.name == "cpe.db" else d) for m, d in members],
                             fix_manifest=True)
    if kind == "truncated":
        data = good.read_bytes()
        target.write_bytes(data[:len(data) - 200])
        return target
    if kind == "truncated-tar":
        raw = gzip.decompress(good.read_bytes())
        target.write_bytes(gzip.compress(raw[:len(raw) // 2]))
        return target
    if kind == "not-an-archive":
        target.write_bytes(os.urandom(5000))
        return target
    if kind == "empty":
        target.write_bytes(b"")
        return target
    if kind == "a-folder":
        target.mkdir()
        return target
    if kind == "missing":
        return target
    raise AssertionError(kind)


CERTIFICATE = b"%PDF-1.3 issued in 2025\n" * 30


def make_version_1_ledger(home):
    """Exactly what schema version 1 created: only the first migration, then the header fields."""
    (home / "certificates" / ".incoming").mkdir(parents=True, mode=0o700)
    (home / "certificates" / "0123abcd.pdf").write_bytes(CERTIFICATE)
    conn = sqlite3.connect(home / "cpe.db", isolation_level=None)
    migrations = sqlite_utils.Migrations(schema.MIGRATION_SET)
    first = schema.MIGRATIONS[0]
    migrations(name=first.__name__)(first)
    migrations.apply(sqlite_utils.Database(conn))
    conn.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    rows = [("Ethics 2025", "4", 400, "Regulatory Ethics", "CA", "2025-11-02", "Group Live", "AICPA", "", "external",
             "ethics.pdf", "0123abcd.pdf", hashlib.sha256(CERTIFICATE).hexdigest(), len(CERTIFICATE)),
            ("Lease accounting", "1.50", 150, "Accounting", None, "2026-01-15", "QAS Self Study", "Becker", "notes",
             "lumiq", None, None, None, None)]
    for row in rows:
        conn.execute("INSERT INTO records (title, credits, credits_hundredths, field_of_study, state, completed_on, "
                     "delivery_method, provider, description, source, certificate_name, certificate_stored, "
                     "certificate_sha256, certificate_size, added_at, changed_at) VALUES "
                     "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '2026-01-20T10:00:00+00:00', "
                     "'2026-01-20T10:00:00+00:00')", row)
    assert "trash" not in {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    everything = conn.execute("SELECT * FROM records ORDER BY id").fetchall()
    conn.close()
    return everything


def corrupt_a_page(database: Path) -> None:
    """Overwrite the b-tree header of the records table's root page, as a failing disk would."""
    conn = sqlite3.connect(database)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'records'").fetchone()[0]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with open(database, "r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\xff" * 12)


# -- crafted archives: raw tar members tarfile cannot write ----------------------------------------

def _octal(number: int, width: int) -> bytes:
    return (b"%0*o" % (width - 1, number)) + b"\0"


def gnu_sparse_member(name: str, real_size: int, stored: bytes = b"x") -> bytes:
    """The raw bytes (header and data) of a GNU sparse tar member: ``real_size`` bytes once extracted, of which
    only ``stored`` (at the end) is in the archive; the rest is a hole tarfile reads back as zeros."""
    header = bytearray(512)
    header[0:len(name)] = name.encode()
    header[100:108] = _octal(0o600, 8)
    header[108:116] = _octal(0, 8)
    header[116:124] = _octal(0, 8)
    header[124:136] = _octal(len(stored), 12)
    header[136:148] = _octal(0, 12)
    header[156:157] = b"S"
    header[257:265] = b"ustar  \0"
    header[386:398] = _octal(real_size - len(stored), 12)  # one sparse extent: offset, length
    header[398:410] = _octal(len(stored), 12)
    header[483:495] = _octal(real_size, 12)
    header[148:156] = b" " * 8
    header[148:156] = b"%06o\0 " % sum(header)
    return bytes(header) + stored + bytes(-len(stored) % 512)


def write_archive_with_raw(path: Path, raw_first: bytes, members) -> Path:
    """A tar.gz whose first member is given as raw tar bytes (``gnu_sparse_member``), then ``members``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for info, data in members:
            info = copy.copy(info)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(gzip.compress(raw_first + buffer.getvalue()))
    return path
