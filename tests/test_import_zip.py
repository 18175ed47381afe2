"""Issue 12: `cpe import audit.zip` reads back what `cpe export zip` wrote, and treats any ZIP as hostile.

The round trip gives the same records (every field), the same totals and the certificates byte for byte;
a certificate changed inside the archive, an entry missing, too large, lying about its size, encrypted or
beyond the limits is refused (by its line when it is one row's) with nothing imported.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
import zipfile
from pathlib import Path

import pytest

from support import add, as_dicts, only_error, snapshot, without_ids


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def audit_zip(cpe, tmp_path) -> Path:
    """Five records: two sharing one file, one with an upper-case extension, one with no extension, one with no
    certificate; hostile text; tags, state, description, both sources. Exported with `cpe export zip`."""
    folder = tmp_path / "originals"
    folder.mkdir()
    shared = folder / "shared.pdf"
    shared.write_bytes(b"%PDF shared " * 300)
    (folder / "Ethics Cert.PDF").write_bytes(b"%PDF ethics\x00\xff" * 50)
    (folder / "scan").write_bytes(os.urandom(3000))
    add(cpe, title="Ethics for CPAs", date="2026-06-01", certificate=str(folder / "Ethics Cert.PDF"),
        tag="fl-ethics", state="FL", description='line one\nline "two", =SUM(A1)')
    add(cpe, title="=cmd|' /C calc'!A0", date="2025-03-04", field="Taxes", credits="1.5",
        certificate=str(shared), source="lumiq")
    add(cpe, title="Same file, other course", date="2024-01-02", certificate=str(shared), provider="Becker, Inc.")
    add(cpe, title="Ünïcode ✓ course", date="2026-02-03", certificate=str(folder / "scan"), delivery="QAS Self Study")
    add(cpe, title="No certificate", date="2026-04-04", credits="0.2", delivery="Nano Learning")
    target = tmp_path / "audit.zip"
    result = cpe("export", "zip", "--preset", "all", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    return target


def ledger_state(cpe, home) -> dict:
    """What must survive the trip: every record's fields, the totals, each certificate's bytes (by SHA-256 of the
    stored file itself, not of what the database says)."""
    records = json.loads(cpe("list", "--preset", "all", "--format", "json").stdout)
    certificates = {}
    for record in records:
        shown = json.loads(cpe("show", str(record["id"]), "--json").stdout)
        if shown["certificate_path"]:
            stored = Path(shown["certificate_path"]).read_bytes()
            certificates[record["title"]] = (shown["certificate"], len(stored), sha256(stored),
                                             shown["certificate_sha256"])
    return {"csv": without_ids(cpe("export", "csv", "--preset", "all-time").stdout),
            "total": json.loads(cpe("total", "--preset", "all", "--json").stdout),
            "certificates": certificates,
            "stored_files": sorted(path.name for path in (home / "certificates").iterdir() if path.is_file())}


def rewrite(source: Path, target: Path, change) -> Path:
    """A copy of an archive with ``change(name, data)`` applied to each entry's bytes (None drops the entry)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = change(info.filename, old.read(info))
            if data is not None:
                new.writestr(info, data)
    return target


def manifest_of(path: Path) -> list[dict]:
    with zipfile.ZipFile(path) as archive:
        return as_dicts(archive.read("manifest.csv").decode("utf-8"))


def test_an_audit_zip_round_trips_records_totals_and_certificates_byte_for_byte(cpe, home, tmp_path, monkeypatch,
                                                                              audit_zip):
    before = ledger_state(cpe, home)
    assert len(before["certificates"]) == 4 and len(before["stored_files"]) == 3
    monkeypatch.setenv("CPE_HOME", str(tmp_path / "fresh"))
    result = cpe("import", str(audit_zip), "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"imported": 5, "skipped": 0, "batch": 1, "dry_run": False}
    assert result.stderr == "Imported 5 records (7.7 credits, 4 certificates attached); skipped 0 duplicates.\n"
    after = ledger_state(cpe, tmp_path / "fresh")
    assert after == before  # fields, totals, original names, sizes, stored bytes, one stored copy of the shared file
    assert cpe("verify").exit_code == 0
    again = cpe("import", str(audit_zip), "--json")  # the same archive twice adds nothing
    assert json.loads(again.stdout) == {"imported": 0, "skipped": 5, "batch": None, "dry_run": False}


def test_a_zip_is_found_by_its_content_from_a_file_or_standard_input(cpe, home, tmp_path, monkeypatch, audit_zip):
    disguised = tmp_path / "looks-like.csv"
    disguised.write_bytes(audit_zip.read_bytes())
    monkeypatch.setenv("CPE_HOME", str(tmp_path / "one"))
    assert cpe("import", str(disguised)).exit_code == 0
    monkeypatch.setenv("CPE_HOME", str(tmp_path / "two"))
    piped = cpe("import", "-", "--json", input=audit_zip.read_bytes())
    assert piped.exit_code == 0, piped.stderr
    assert json.loads(piped.stdout)["imported"] == 5
    assert ledger_state(cpe, tmp_path / "two") == ledger_state(cpe, home)
    monkeypatch.setenv("CPE_HOME", str(tmp_path / "three"))
    line = only_error(cpe("import", str(tmp_path / "originals" / "shared.pdf"), "--format", "zip"))
    assert "is not a ZIP archive cpe can read" in line
    assert "brings its own certificates" in only_error(cpe("import", str(audit_zip), "--certificates-dir",
                                                           str(tmp_path)))
    assert not (tmp_path / "three").exists()


def test_a_tampered_certificate_is_refused_by_its_line_and_nothing_is_imported(cpe, home, tmp_path, monkeypatch,
                                                                              audit_zip):
    import tempfile

    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))  # where the checked copies go, to see them go
    rows = manifest_of(audit_zip)
    victim = next(row for row in rows if row["zip_entry"].endswith(".pdf") and "ethics" in row["zip_entry"])
    line = rows.index(victim) + 2  # the header is line 1
    tampered = rewrite(audit_zip, tmp_path / "tampered.zip",
                       lambda name, data: data[:-1] + b"!" if name == victim["zip_entry"] else data)
    before = snapshot(home)
    result = cpe("import", str(tampered))
    assert result.exit_code == 2
    error = only_error(result)
    assert error.startswith(f"Error: 1 invalid row in manifest.csv in {tampered}, nothing imported: line {line}, "
                            f'column "zip_entry": entry {victim["zip_entry"]!r} does not match the manifest\'s SHA-256')
    assert snapshot(home) == before  # nothing imported, not even the rows that matched
    fresh = tmp_path / "fresh"
    assert cpe("import", str(tampered), env={"CPE_HOME": str(fresh)}).exit_code == 2
    assert not fresh.exists()
    assert list(private.iterdir()) == []  # no checked copy left behind
    assert cpe("import", str(audit_zip)).exit_code == 0 and list(private.iterdir()) == []


def test_a_missing_entry_is_an_error_of_its_line_unless_skip_missing(cpe, home, tmp_path, monkeypatch, audit_zip):
    rows = manifest_of(audit_zip)
    gone = next(row for row in rows if row["zip_entry"])
    line = rows.index(gone) + 2
    lacking = rewrite(audit_zip, tmp_path / "lacking.zip",
                      lambda name, data: None if name == gone["zip_entry"] else data)
    monkeypatch.setenv("CPE_HOME", str(tmp_path / "fresh"))
    error = only_error(cpe("import", str(lacking)))
    assert f"line {line}" in error and f"no entry {gone['zip_entry']!r} in {lacking}" in error
    result = cpe("import", str(lacking), "--skip-missing")
    assert result.exit_code == 0, result.stderr
    assert f"Warning: the certificate of line {line} is not in {lacking}" in result.stderr
    assert "5 records" in result.stderr and "3 certificates attached" in result.stderr
    shown = json.loads(cpe("list", "--preset", "all", "--format", "json").stdout)
    assert next(r for r in shown if r["title"] == gone["title"])["certificate"] is None


def test_entry_names_are_keys_never_paths(cpe, home, tmp_path, monkeypatch):
    """A manifest naming ``../../escaped.pdf`` reads that entry of the archive; nothing is written anywhere but
    the store (the checked copy lives in a private temporary folder named by SHA-256)."""
    monkeypatch.chdir(tmp_path)
    body = b"%PDF traversal"
    header = "title,credits,field_of_study,delivery_method,date,provider,certificate,zip_entry,sha256\r\n"
    manifest = header + f"Escape,1,Taxes,Group Live,2026-01-02,X,escaped.pdf,../../escaped.pdf,{sha256(body)}\r\n"
    archive = tmp_path / "work" / "crafted.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("../../escaped.pdf", body)
        out.writestr("manifest.csv", manifest)
    result = cpe("import", str(archive))
    assert result.exit_code == 0, result.stderr
    assert not list(tmp_path.rglob("escaped.pdf")) and not (tmp_path.parent / "escaped.pdf").exists()
    stored = [path.read_bytes() for path in (home / "certificates").iterdir() if path.is_file()]
    assert stored == [body]


def crafted(path: Path, entries: dict[str, bytes], manifest_rows: list[tuple[str, str, str]]) -> Path:
    """A ZIP holding ``entries`` and a manifest whose rows are (certificate name, zip_entry, sha256)."""
    lines = ["title,credits,field_of_study,delivery_method,date,provider,certificate,zip_entry,sha256"]
    lines += [f"Course {n},1,Taxes,Group Live,2026-01-0{n + 1},X,{name},{entry},{digest}"
              for n, (name, entry, digest) in enumerate(manifest_rows)]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in entries.items():
            out.writestr(name, data)
        out.writestr("manifest.csv", "\r\n".join(lines) + "\r\n")
    return path


def patch_directory(path: Path, entry: str, *, size: int | None = None, flags: int | None = None) -> None:
    """Rewrite an entry's declared uncompressed size (local header and central directory) or its flags, as a
    crafted archive would."""
    data = bytearray(path.read_bytes())
    name = entry.encode()
    for signature, size_at, flags_at, name_length_at, header in ((b"PK\x03\x04", 22, 6, 26, 30),
                                                                  (b"PK\x01\x02", 24, 8, 28, 46)):
        at = 0
        while (at := data.find(signature, at)) >= 0:
            length = struct.unpack_from("<H", data, at + name_length_at)[0]
            if data[at + header:at + header + length] == name:
                if size is not None:
                    struct.pack_into("<L", data, at + size_at, size)
                if flags is not None:
                    struct.pack_into("<H", data, at + flags_at, flags)
            at += 4
    path.write_bytes(bytes(data))


def test_zip_bombs_and_liars_are_stopped_by_size_while_reading(cpe, home, tmp_path):
    zeros = b"\0" * (10 * 1024 * 1024 + 1)  # one byte over the certificate limit, 10 KB compressed
    big = crafted(tmp_path / "big.zip", {"big.pdf": zeros}, [("big.pdf", "big.pdf", sha256(zeros))])
    line = only_error(cpe("import", str(big)))
    assert "line 2" in line and "'big.pdf' is 10,485,761 bytes; a certificate is at most 10 MiB" in line
    bomb = b"\0" * (5 * 1024 * 1024)
    liar = crafted(tmp_path / "liar.zip", {"small.pdf": bomb}, [("small.pdf", "small.pdf", sha256(bomb[:1000]))])
    patch_directory(liar, "small.pdf", size=1000)  # declares 1,000 bytes, inflates to 5 MiB
    line = only_error(cpe("import", str(liar)))
    assert "line 2" in line and "'small.pdf'" in line and "nothing imported" in line
    secret = crafted(tmp_path / "secret.zip", {"s.pdf": b"%PDF"}, [("s.pdf", "s.pdf", sha256(b"%PDF"))])
    patch_directory(secret, "s.pdf", flags=0x1)
    assert "'s.pdf' is encrypted" in only_error(cpe("import", str(secret)))
    assert not home.exists()


def test_archive_limits_refuse_the_whole_import(cpe, home, tmp_path, monkeypatch):
    from cpe_cli.ops import import_zip

    files = {f"{n}.pdf": f"%PDF {n}".encode() * 100 for n in range(4)}
    rows = [(name, name, sha256(data)) for name, data in files.items()]
    many = crafted(tmp_path / "many.zip", files, rows)
    line = only_error(cpe("import", str(many), env={"CPE_IMPORT_MAX_BYTES": "1000"}))
    assert "add up to more than 1,000 bytes (the cap; set CPE_IMPORT_MAX_BYTES" in line
    monkeypatch.setattr(import_zip, "MAX_ENTRIES", 3)
    assert "holds more than 3 entries" in only_error(cpe("import", str(many)))
    monkeypatch.undo()
    twice = tmp_path / "twice.zip"
    with zipfile.ZipFile(twice, "w") as out, pytest.warns(UserWarning):
        out.writestr("manifest.csv", "title\r\n")
        out.writestr("manifest.csv", "title\r\n")
    assert "holds two entries named 'manifest.csv'" in only_error(cpe("import", str(twice)))
    bare = tmp_path / "bare.zip"
    with zipfile.ZipFile(bare, "w") as out:
        out.writestr("notes.txt", "hello")
    assert "has no manifest.csv" in only_error(cpe("import", str(bare)))
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(many.read_bytes()[:-30])
    assert "is not a ZIP archive cpe can read" in only_error(cpe("import", str(truncated)))
    assert not home.exists()


def test_a_sha256_cell_that_is_no_sha256_is_named(cpe, home, tmp_path):
    archive = crafted(tmp_path / "a.zip", {"a.pdf": b"%PDF"}, [("a.pdf", "a.pdf", "not-a-hash")])
    line = only_error(cpe("import", str(archive)))
    assert 'line 2, column "sha256": sha256 \'not-a-hash\' is not a SHA-256' in line


def test_the_zip_of_records_without_certificates_is_a_manifest_that_imports_back(cpe, home, tmp_path, monkeypatch,
                                                                                audit_zip):
    target = tmp_path / "missing.zip"
    result = cpe("export", "zip", "--preset", "all", "--no-certificate", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert "Warning" not in result.stderr  # asked for: no warning that the archive holds only the manifest
    with zipfile.ZipFile(target) as archive:
        assert archive.namelist() == ["manifest.csv"]
        rows = as_dicts(archive.read("manifest.csv").decode())
    assert [row["title"] for row in rows] == ["No certificate"] and rows[0]["zip_entry"] == rows[0]["sha256"] == ""
    monkeypatch.setenv("CPE_HOME", str(tmp_path / "fresh"))
    assert cpe("import", str(target)).exit_code == 0
    assert [r["title"] for r in json.loads(cpe("list", "--preset", "all", "--format", "json").stdout)] == [
        "No certificate"]


def test_stdin_zip_over_the_limit_is_refused_while_spooling(cpe, home, monkeypatch):
    from cpe_cli.ops import import_zip

    monkeypatch.setattr(import_zip, "_limit_for_input", lambda: 100)
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as out:
        out.writestr("manifest.csv", "x" * 500)
    assert "larger than 100 bytes" in only_error(cpe("import", "-", input=data.getvalue()))
    assert not home.exists()
