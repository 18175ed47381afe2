"""Issue 12: `--no-certificate` on list, total, export csv and export zip: the view's records that lack a
certificate, named like the other filters in titles, the badge words and JSON."""

from __future__ import annotations

import json
import zipfile

import pytest

from support import add, as_dicts


@pytest.fixture
def mixed(cpe, tmp_path):
    certificate = tmp_path / "cert.pdf"
    certificate.write_bytes(b"%PDF")
    add(cpe, title="With", credits="4", certificate=str(certificate))
    add(cpe, title="Without", credits="1.5", field="Taxes")
    add(cpe, title="Without, old", credits="2", date="2024-02-02")
    add(cpe, title="With, tagged", credits="1", certificate=str(certificate), tag="fraud")


def test_list_shows_only_records_without_a_certificate_and_says_so(cpe, mixed):
    listed = json.loads(cpe("list", "--no-certificate", "--format", "json").stdout)
    assert [r["title"] for r in listed] == ["Without"]  # this year's, by default
    listed = json.loads(cpe("list", "--no-certificate", "--preset", "all", "--format", "json").stdout)
    assert sorted(r["title"] for r in listed) == ["Without", "Without, old"]
    assert all(r["certificate"] is None for r in listed)
    table = cpe("list", "--no-certificate", "--preset", "all", "--field", "tax").stdout.splitlines()
    assert table[0] == "CPE records: all dates (All sources · Taxes · without certificate)"
    assert table[-1] == "1 record, 1.5 credits"
    assert "✓" not in "\n".join(table)
    empty = cpe("list", "--no-certificate", "--tag", "fraud")
    assert empty.exit_code == 0 and "no records" in empty.stderr


def test_total_counts_them_and_its_json_names_the_filter(cpe, mixed):
    assert cpe("total", "--no-certificate", "--preset", "all").stdout == "3.5\n"
    assert cpe("total", "--preset", "all").stdout == "8.5\n"
    data = json.loads(cpe("total", "--no-certificate", "--json", "--preset", "all").stdout)
    assert (data["total"], data["count"], data["no_certificate"], data["batch"]) == (3.5, 2, True, None)
    assert json.loads(cpe("total", "--json").stdout)["no_certificate"] is False
    by_field = json.loads(cpe("total", "--no-certificate", "--preset", "all", "--by", "field", "--json").stdout)
    assert {row["key"]: row["credits"] for row in by_field["rows"]} == {"Taxes": 1.5, "Regulatory Ethics": 2.0}
    assert cpe("total", "--no-certificate", "--by", "field").stdout.splitlines()[0].endswith(
        "(All sources · without certificate)")


def test_exports_take_it_too(cpe, mixed, tmp_path):
    rows = as_dicts(cpe("export", "csv", "--no-certificate", "--preset", "all", route="typer").stdout)
    assert [row["title"] for row in rows] == ["Without, old", "Without"]
    target = tmp_path / "missing.zip"
    result = cpe("export", "zip", "--no-certificate", "--preset", "all", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.strip() == (f"Wrote {target}: 0 certificates and manifest.csv listing 2 records "
                                     "(3.5 credits).")
    with zipfile.ZipFile(target) as archive:
        assert archive.namelist() == ["manifest.csv"]
        manifest = as_dicts(archive.read("manifest.csv").decode())
    assert [(row["title"], row["certificate"], row["zip_entry"]) for row in manifest] == [
        ("Without, old", "", ""), ("Without", "", "")]
