"""The per-month totals kept by triggers stay equal to the records through every command."""

import json
import sqlite3

from support import add_args
from cpe_cli.store.ledger import open_ledger


def kept_equals_recomputed(home) -> bool:
    conn = sqlite3.connect(home / "cpe.db")
    fresh = set(conn.execute("SELECT substr(completed_on, 1, 7), source, field_of_study, sum(credits_hundredths), "
                             "count(*) FROM records GROUP BY 1, 2, 3"))
    kept = set(conn.execute("SELECT month, source, field_of_study, hundredths, records FROM monthly_totals "
                            "WHERE records != 0"))
    conn.close()
    return fresh == kept


def test_totals_follow_add_edit_rm_undo_and_import(cpe, home, tmp_path, monkeypatch):
    cpe(*add_args(title="A", credits="2", date="2026-01-15"))
    cpe(*add_args(title="B", credits="1.5", date="2025-12-31", source="lumiq"))
    cpe(*add_args(title="C", credits="0.2", delivery="nano", date="2026-02-01", field="Taxes"))
    assert kept_equals_recomputed(home)
    assert cpe("edit", "1", "--credits", "3", "--date", "2025-11-30", "--field", "Auditing", "--no-input").exit_code == 0
    assert kept_equals_recomputed(home)
    assert cpe("rm", "2", "--yes").exit_code == 0
    assert kept_equals_recomputed(home)
    assert cpe("rm", "--undo").exit_code == 0
    assert kept_equals_recomputed(home)
    csv_file = tmp_path / "records.csv"
    assert cpe("export", "csv", "--preset", "all", "--output", str(csv_file)).exit_code == 0
    monkeypatch.setenv("CPE_HOME", str(tmp_path / "other"))
    assert cpe("import", str(csv_file)).exit_code == 0
    assert kept_equals_recomputed(tmp_path / "other")
    monkeypatch.setenv("CPE_HOME", str(home))
    assert json.loads(cpe("total", "--json", "--preset", "all").stdout)["total"] == 3 + 1.5 + 0.2


def test_all_time_totals_and_the_badge_hint_use_them(cpe, home):
    cpe(*add_args(title="In", credits="2", date="2026-03-01"))
    cpe(*add_args(title="Out", credits="4", date="2024-03-01"))
    with open_ledger(home) as ledger:  # tamper: only the derived table changes
        ledger.conn.execute("UPDATE monthly_totals SET hundredths = hundredths + 100")
    assert cpe("total", "--preset", "all").stdout == "8.0\n"  # read from the (tampered) monthly totals
    assert cpe("total").stdout == "2.0\n"  # a bounded window sums the records themselves
    result = cpe("verify")
    assert result.exit_code == 1
    assert "monthly totals differ from the records" in result.stdout
    repaired = cpe("verify", "--repair")
    assert repaired.exit_code == 0, repaired.stdout
    assert kept_equals_recomputed(home)
    assert cpe("total", "--preset", "all").stdout == "6.0\n"
