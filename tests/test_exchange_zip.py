"""`cpe export zip`: entry names, the manifest read back with zipfile, hashes, refusals that write nothing."""

from __future__ import annotations

import hashlib
import re
import zipfile

import pytest

from support import add, as_dicts, only_error, snapshot

from cpe_cli.core.serialize import COLUMNS

SAFE_ENTRY = re.compile(r"^\d{4}-\d{2}-\d{2}_[a-z0-9]+(-[a-z0-9]+)*_[0-9]+(\.[a-z0-9]{1,10})?$")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def files(tmp_path):
    folder = tmp_path / "originals"
    folder.mkdir()

    def make(name: str, content: bytes) -> str:
        path = folder / name
        path.write_bytes(content)
        return str(path)

    return make


@pytest.fixture
def audit(cpe, files):
    """Three records with certificates (one upper-case extension, one without), one without."""
    add(cpe, title="Ethics for CPAs", date="2026-06-11", certificate=files("Ethics Cert.PDF", b"%PDF ethics" * 500))
    add(cpe, title="Tax update: 2026!", date="2026-02-03", field="Taxes", certificate=files("tax", b"\x00\x01tax"))
    add(cpe, title="No certificate here", date="2026-04-04")
    add(cpe, title="Audit sampling", date="2025-12-31", certificate=files("audit.jpeg", b"\xff\xd8jpeg"))


def read_zip(path):
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        contents = {name: archive.read(name) for name in archive.namelist()}
    return contents


def test_zip_holds_each_certificate_under_a_readable_name_and_a_complete_manifest(cpe, home, tmp_path, audit):
    target = tmp_path / "audit.zip"
    result = cpe("export", "zip", "--preset", "all", "--output", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.strip() == (f"Wrote {target}: 3 certificates and manifest.csv listing 4 records "
                                     "(8.0 credits).")
    assert result.stdout == ""
    contents = read_zip(target)
    assert sorted(contents) == ["2025-12-31_audit-sampling_4.jpeg", "2026-02-03_tax-update-2026_2",
                                "2026-06-11_ethics-for-cpas_1.pdf", "manifest.csv"]
    assert contents["2026-06-11_ethics-for-cpas_1.pdf"] == b"%PDF ethics" * 500
    manifest_text = contents["manifest.csv"].decode("utf-8")
    assert manifest_text.splitlines()[0] == ",".join(COLUMNS + ("zip_entry", "sha256"))
    manifest = as_dicts(manifest_text)
    assert [row["id"] for row in manifest] == ["4", "2", "3", "1"]  # oldest first, every record
    for row in manifest:
        if row["certificate"]:
            assert sha256(contents[row["zip_entry"]]) == row["sha256"]
        else:
            assert row["zip_entry"] == "" and row["sha256"] == ""
    assert {row["id"]: row["certificate"] for row in manifest}["1"] == "Ethics Cert.PDF"
    assert manifest[2]["title"] == "No certificate here"


def test_the_manifest_is_the_csv_export_of_the_same_records(cpe, tmp_path, audit):
    target = tmp_path / "a.zip"
    cpe("export", "zip", "--year", "2026", "-o", str(target))
    manifest = read_zip(target)["manifest.csv"].decode("utf-8")
    exported = cpe("export", "csv", "--year", "2026").stdout_bytes.decode("utf-8")
    strip_extra = [",".join(line.split(",")[:-2]) for line in manifest.split("\r\n") if line]
    assert "\r\n".join(strip_extra) + "\r\n" == exported


def test_filters_choose_the_records(cpe, tmp_path, audit):
    target = tmp_path / "taxes.zip"
    assert cpe("export", "zip", "--field", "tax", "--preset", "all", "-o", str(target)).exit_code == 0
    contents = read_zip(target)
    assert sorted(contents) == ["2026-02-03_tax-update-2026_2", "manifest.csv"]
    assert [row["id"] for row in as_dicts(contents["manifest.csv"].decode())] == ["2"]


HOSTILE_TITLES = ["../../etc/passwd", "/absolute/path", "C:\\Windows\\System32\\evil", "CON", "nul.txt",
                  'a:b*c?d|e<f>g"h', "..", "...", "日本語のタイトル", "ÉTHIQUE & Déontologie", ".hidden",
                  "x" * 300, "=cmd|' /C calc'!A0", "a/../../b", "trailing dot.", " spaced  out ", "emoji 🎓 course"]


def test_entry_names_are_safe_for_hostile_titles(cpe, home, tmp_path, files):
    for number, title in enumerate(HOSTILE_TITLES):
        add(cpe, title=title, date="2026-05-05", certificate=files(f"c{number}.pdf", f"cert {number}".encode()))
    target = tmp_path / "hostile.zip"
    assert cpe("export", "zip", "-o", str(target)).exit_code == 0
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        assert len(names) == len(set(names)) == len(HOSTILE_TITLES) + 1
        for name in names:
            if name == "manifest.csv":
                continue
            assert SAFE_ENTRY.match(name), name
            assert len(name) <= 10 + 1 + 60 + 1 + 6 + 5
        extract = tmp_path / "extracted"
        archive.extractall(extract)
    assert all(path.resolve().is_relative_to(extract.resolve()) for path in extract.rglob("*"))
    assert {p.name for p in extract.iterdir()} == set(names)
    assert "2026-05-05_etc-passwd_1.pdf" in names
    assert "2026-05-05_certificate_9.pdf" in names  # 日本語のタイトル: no ASCII letters, still a name
    assert "2026-05-05_certificate_7.pdf" in names  # ".."


def test_a_missing_certificate_names_the_record_and_writes_nothing(cpe, home, tmp_path, audit):
    stored = next(p for p in (home / "certificates").iterdir() if p.suffix == ".jpeg")
    stored.unlink()
    before = snapshot(home)
    target = tmp_path / "audit.zip"
    result = cpe("export", "zip", "--preset", "all", "-o", str(target))
    assert result.exit_code == 1
    line = only_error(result)
    assert "record 4" in line and "'Audit sampling'" in line and "--skip-missing" in line
    assert list(tmp_path.glob("*.zip")) == [] and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert snapshot(home) == before


def test_skip_missing_packages_the_rest_and_says_what_is_left_out(cpe, home, tmp_path, audit):
    next(p for p in (home / "certificates").iterdir() if p.suffix == ".jpeg").unlink()
    target = tmp_path / "audit.zip"
    result = cpe("export", "zip", "--preset", "all", "-o", str(target), "--skip-missing")
    assert result.exit_code == 0
    assert "Warning: 1 certificate missing from the store left out (record 4)" in result.stderr
    contents = read_zip(target)
    assert "2025-12-31_audit-sampling_4.jpeg" not in contents
    row = as_dicts(contents["manifest.csv"].decode())[0]
    assert (row["id"], row["certificate"], row["zip_entry"]) == ("4", "audit.jpeg", "")
    assert row["sha256"] == sha256(b"\xff\xd8jpeg")


def test_a_damaged_certificate_fails_the_export(cpe, home, tmp_path, audit):
    stored = next(p for p in (home / "certificates").iterdir() if p.suffix == ".pdf")
    stored.write_bytes(b"tampered")
    result = cpe("export", "zip", "--preset", "all", "-o", str(tmp_path / "a.zip"))
    assert result.exit_code == 1
    assert "does not match the SHA-256" in only_error(result) and "record 1" in result.stderr
    assert not (tmp_path / "a.zip").exists()


def test_an_empty_view_is_a_clear_message_not_an_empty_archive(cpe, tmp_path, monkeypatch, audit):
    monkeypatch.chdir(tmp_path)
    result = cpe("export", "zip", "--year", "2024")
    assert result.exit_code == 1
    assert "no records in 2024 (Jan 1, 2024 - Dec 31, 2024)" in only_error(result) and "no archive written" in result.stderr
    assert list(tmp_path.glob("*.zip")) == []


def test_default_name_is_the_view_span_in_the_current_folder(cpe, tmp_path, monkeypatch, audit):
    monkeypatch.chdir(tmp_path)
    assert cpe("export", "zip").exit_code == 0
    assert cpe("export", "zip", "--preset", "all").exit_code == 0
    assert cpe("export", "zip", "--to", "2026-03-01").exit_code == 0
    assert sorted(p.name for p in tmp_path.glob("*.zip")) == [
        "cpe-certificates-2025-12-31-2026-03-01.zip", "cpe-certificates-2025-12-31-2026-06-11.zip",
        "cpe-certificates-2026-01-01-2026-06-11.zip"]


def test_an_existing_archive_is_kept_without_force(cpe, home, tmp_path, audit):
    target = tmp_path / "audit.zip"
    target.write_bytes(b"earlier archive")
    result = cpe("export", "zip", "-o", str(target))
    assert result.exit_code == 2 and "already exists; use --force" in only_error(result)
    assert target.read_bytes() == b"earlier archive"
    assert cpe("export", "zip", "-o", str(target), "--force").exit_code == 0
    assert "manifest.csv" in read_zip(target)


def test_no_certificate_in_the_view_still_makes_a_manifest(cpe, tmp_path):
    add(cpe, title="Plain")
    target = tmp_path / "plain.zip"
    result = cpe("export", "zip", "-o", str(target))
    assert result.exit_code == 0
    assert "none of the 1 record in this view has a certificate" in result.stderr
    assert list(read_zip(target)) == ["manifest.csv"]


def test_an_interrupted_archive_is_never_left_half_written(cpe, home, tmp_path, monkeypatch, audit):
    from cpe_cli.ops import exporter

    calls = []
    real = exporter._copy_certificate

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(exporter, "_copy_certificate", interrupted)
    result = cpe("export", "zip", "--preset", "all", "-o", str(tmp_path / "audit.zip"))
    assert result.exit_code == 130
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cpe-home", "originals"]
