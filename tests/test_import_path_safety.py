"""`cpe import` attaches only the certificate files a CSV may name: regular files inside its folder.

A CSV file is often downloaded: its certificate cells must not make cpe copy another of the user's files into
the ledger (and from there into an auditor's ZIP). So a cell is read inside the CSV file's folder (or
`--certificates-dir`), never through `..`, an absolute path or a symlink, never a hidden file or folder; the
file is opened once, without following links, when the rows are written, and must still be the file checked
when they were read. Standard input has no folder: it attaches nothing unless `--certificates-dir` names one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from support import add_args, only_error, snapshot

HEADER = "title,credits,field_of_study,delivery_method,date,provider,certificate\n"
SECRET = b"-----BEGIN OPENSSH PRIVATE KEY----- not a certificate"


def csv_naming(folder: Path, *cells: str, name: str = "courses.csv") -> Path:
    rows = "".join(f"Course {number},1,Taxes,Group Live,2026-05-01,AICPA,{cell}\n" for number, cell in enumerate(cells))
    path = folder / name
    path.write_text(HEADER + rows)
    return path


def stored_bytes(home: Path) -> list[bytes]:
    folder = home / "certificates"
    if not folder.exists():
        return []
    return [path.read_bytes() for path in folder.rglob("*") if path.is_file()]


def attached(cpe) -> dict[str, str | None]:
    return {record["title"]: record["certificate"]
            for record in json.loads(cpe("list", "--preset", "all-time", "--format", "json").stdout)}


@pytest.fixture
def download(tmp_path) -> Path:
    """A downloaded folder holding a CSV's certificates, next to files of the user's that it must not reach."""
    folder = tmp_path / "download"
    folder.mkdir()
    (folder / "cert.pdf").write_bytes(b"%PDF the real certificate")
    (tmp_path / "id_rsa").write_bytes(SECRET)
    return folder


# -- symlinks, hidden files, paths leading out ----------------------------------------------------------

@pytest.mark.parametrize("make, cell, words", [
    (lambda folder: (folder / "link.pdf").symlink_to(folder.parent / "id_rsa"), "link.pdf", "is a symlink"),
    (lambda folder: (folder / "alias.pdf").symlink_to(folder / "cert.pdf"), "alias.pdf", "is a symlink"),
    (lambda folder: (folder / "sub").symlink_to(folder.parent), "sub/id_rsa", "goes through the symlink 'sub'"),
    (lambda folder: (folder / ".ssh").mkdir() or (folder / ".ssh" / "id_rsa").write_bytes(SECRET),
     ".ssh/id_rsa", "hidden file or inside a hidden folder"),
    (lambda folder: (folder / ".env").write_bytes(SECRET), ".env", "hidden file"),
    (lambda folder: None, "../id_rsa", "is outside the CSV file's folder"),
])
def test_a_certificate_that_is_a_link_hidden_or_outside_is_a_row_problem(cpe, home, download, make, cell, words):
    assert cpe(*add_args(title="Seed")).exit_code == 0
    before = snapshot(home)
    make(download)
    result = cpe("import", str(csv_naming(download, cell)))
    assert result.exit_code == 2
    line = only_error(result)
    assert 'line 2, column "certificate"' in line and words in line, line
    assert snapshot(home) == before
    assert SECRET not in stored_bytes(home)


def test_a_file_beside_the_csv_is_still_attached(cpe, home, download):
    (download / "sub").mkdir()
    (download / "sub" / "nested.pdf").write_bytes(b"%PDF nested")
    result = cpe("import", str(csv_naming(download, "cert.pdf", "./sub/nested.pdf")))
    assert result.exit_code == 0, result.stderr
    assert attached(cpe) == {"Course 0": "cert.pdf", "Course 1": "nested.pdf"}


# -- the gap between checking a file and copying it ----------------------------------------------------

def swap_after_reading(monkeypatch, change) -> None:
    """Run ``change`` once every row has been read and checked, before the rows are written."""
    from cpe_cli.store import exchange

    real = exchange.fill_staging
    done = []

    def fill_then_change(ledger, rows):
        real(ledger, rows)
        if not done:  # once (a new home's rows are staged twice: checked, then copied into the new ledger)
            done.append(True)
            change()

    monkeypatch.setattr(exchange, "fill_staging", fill_then_change)


def test_a_certificate_swapped_for_a_symlink_after_the_check_is_never_copied(cpe, home, download, monkeypatch):
    """The race of the issue: cert.pdf checked, then replaced by a symlink to a secret before it is copied."""
    assert cpe(*add_args(title="Seed")).exit_code == 0
    before = snapshot(home)
    certificate = download / "cert.pdf"

    def to_symlink():
        certificate.unlink()
        certificate.symlink_to(download.parent / "id_rsa")

    swap_after_reading(monkeypatch, to_symlink)
    result = cpe("import", str(csv_naming(download, "cert.pdf")))
    assert result.exit_code == 2
    assert "changed while the file was being imported" in only_error(result)
    assert SECRET not in stored_bytes(home)
    assert snapshot(home) == before


def test_a_certificate_replaced_by_another_file_after_the_check_is_refused(cpe, home, download, monkeypatch):
    assert cpe(*add_args(title="Seed")).exit_code == 0
    before = snapshot(home)
    certificate = download / "cert.pdf"

    def to_other_file():
        replacement = download / "other"
        replacement.write_bytes(SECRET)
        os.replace(replacement, certificate)

    swap_after_reading(monkeypatch, to_other_file)
    result = cpe("import", str(csv_naming(download, "cert.pdf")))
    assert result.exit_code == 2 and "changed while the file was being imported" in only_error(result)
    assert snapshot(home) == before


def test_a_folder_on_the_way_swapped_for_a_symlink_is_refused(cpe, home, download, monkeypatch):
    (download / "sub").mkdir()
    (download / "sub" / "cert.pdf").write_bytes(b"%PDF in sub")
    (download.parent / "elsewhere").mkdir()
    (download.parent / "elsewhere" / "cert.pdf").write_bytes(SECRET)

    def folder_to_symlink():
        os.rename(download / "sub", download.parent / "moved")
        (download / "sub").symlink_to(download.parent / "elsewhere")

    swap_after_reading(monkeypatch, folder_to_symlink)
    result = cpe("import", str(csv_naming(download, "sub/cert.pdf")))
    assert result.exit_code == 2 and "line 2:" in only_error(result)
    assert SECRET not in stored_bytes(home)


# -- standard input and --certificates-dir -----------------------------------------------------------

def test_standard_input_attaches_nothing_from_the_working_folder(cpe, home, download, monkeypatch):
    """Run from a folder holding files (the home folder, say): a piped CSV must not pick them up."""
    monkeypatch.chdir(download)
    data = csv_naming(download, "cert.pdf").read_text()
    result = cpe("import", "-", input=data)
    assert result.exit_code == 0, result.stderr
    assert "--certificates-dir" in result.stderr and "line 2" in result.stderr
    assert attached(cpe) == {"Course 0": None}
    assert stored_bytes(home) == []


def test_standard_input_attaches_from_the_certificates_dir_it_is_given(cpe, home, download, tmp_path,
                                                                       monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = csv_naming(download, "cert.pdf").read_text()
    result = cpe("import", "-", "--certificates-dir", str(download), input=data)
    assert result.exit_code == 0, result.stderr
    assert "1 certificate attached" in result.stderr
    assert attached(cpe) == {"Course 0": "cert.pdf"}


def test_a_certificates_dir_replaces_the_csv_files_folder(cpe, home, download, tmp_path):
    other = tmp_path / "lists"
    other.mkdir()
    (other / "cert.pdf").write_bytes(b"%PDF beside the list, not the certificate")
    csv_file = csv_naming(other, "cert.pdf")
    assert cpe("import", str(csv_file), "--certificates-dir", str(download)).exit_code == 0
    assert stored_bytes(home) == [b"%PDF the real certificate"]


def test_the_certificates_dir_holds_its_own_secrets_too(cpe, home, download):
    (download / ".netrc").write_bytes(SECRET)
    result = cpe("import", "-", "--certificates-dir", str(download), input=HEADER + "A,1,Taxes,Group Live,"
                                                                                     "2026-05-01,P,.netrc\n")
    assert result.exit_code == 2 and "hidden file" in only_error(result)
    assert not home.exists()


def test_a_missing_certificates_dir_is_refused_before_anything_is_created(cpe, home, download, tmp_path):
    result = cpe("import", str(csv_naming(download, "cert.pdf")), "--certificates-dir", str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert "does not exist" in only_error(result)
    assert not home.exists()
