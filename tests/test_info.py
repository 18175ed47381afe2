"""`cpe info`: where the data lives and what it holds, without creating anything."""

import json

from support import add_args


def test_info_on_a_missing_home_creates_nothing(cpe, home):
    result = cpe("info")
    assert result.exit_code == 0 and "no ledger yet" in result.stdout
    assert not home.exists()
    facts = json.loads(cpe("info", "--json").stdout)
    assert facts["exists"] is False and facts["records"] == 0 and facts["home"] == str(home)


def test_info_counts_records_certificates_trash_and_tracked_profiles(cpe, home, tmp_path):
    certificate = tmp_path / "c.pdf"
    certificate.write_bytes(b"%PDF" * 100)
    assert cpe(*add_args(title="A"), "--certificate", str(certificate)).exit_code == 0
    assert cpe(*add_args(title="B")).exit_code == 0
    assert cpe(*add_args(title="C")).exit_code == 0
    assert cpe("rm", "3", "--yes").exit_code == 0
    assert cpe("profile", "use", "ny").exit_code == 0
    facts = json.loads(cpe("info", "--json").stdout)
    assert (facts["records"], facts["records_with_certificate"], facts["trash"]) == (2, 1, 1)
    assert facts["certificate_files"] == 1 and facts["certificate_bytes"] == 400
    assert facts["schema_version"] >= 4 and facts["tracked_profiles"] == [
        {"id": "ny", "period_end": None, "declared": []}]
    text = cpe("info").stdout
    assert "Tracking:      ny" in text and f"Home:          {home}" in text
