"""Every query the hot commands run on ``records`` uses an index (issue 14): ``EXPLAIN QUERY PLAN`` of the SQL
they really send.

The commands run through the real entry point; every connection cpe opens is one that, before each statement
reading ``records``, asks SQLite for that statement's plan (same connection, same parameters, so the import's
TEMP staging table is there too). A plan line ``SCAN records`` (or its alias) without an index is a full
table scan: at 1,000,000 records that is a second, not milliseconds. The last test shows the check fails
on a ledger missing its index.
"""

from __future__ import annotations

import re
import sqlite3

import pytest

from support import add_args, write_rows, change_database

_READS_RECORDS = re.compile(r"\b(?:main\.)?records\b(?:\s+(?:AS\s+)?(\w+))?", re.IGNORECASE)
_NOT_ALIASES = {"where", "order", "group", "limit", "union", "set", "values", "join", "on", "inner", "left"}


class _PlanRecorder:
    """Collects (sql, plan lines) for every statement that reads ``records``, through any cpe connection."""

    def __init__(self):
        self.plans: list[tuple[str, list[str]]] = []
        recorder = self

        class Connection(sqlite3.Connection):
            def execute(self, sql, parameters=(), /):
                recorder.explain(self, sql, parameters)
                return super().execute(sql, parameters)

        self.connection_class = Connection

    def explain(self, conn, sql: str, parameters) -> None:
        head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        if head not in ("SELECT", "WITH", "UPDATE", "DELETE", "INSERT") or not _READS_RECORDS.search(sql):
            return
        if head == "INSERT" and " SELECT " not in sql.upper():
            return
        try:
            rows = sqlite3.Connection.execute(conn, "EXPLAIN QUERY PLAN " + sql, parameters).fetchall()
        except sqlite3.Error:
            return  # the statement itself fails the same way, and cpe reports it
        self.plans.append((sql, [row[3] for row in rows]))

    def scans(self) -> list[tuple[str, str]]:
        """(sql, plan line) of each full scan of ``records`` (under its name or its alias)."""
        found = []
        for sql, lines in self.plans:
            names = {"records"}
            for match in _READS_RECORDS.finditer(sql):
                if match.group(1) and match.group(1).lower() not in _NOT_ALIASES:
                    names.add(match.group(1))
            for line in lines:
                words = line.split()
                if len(words) >= 2 and words[0] == "SCAN" and words[1] in names and "INDEX" not in line:
                    found.append((sql, line))
        return found


@pytest.fixture
def plans(monkeypatch):
    recorder = _PlanRecorder()
    real_connect = sqlite3.connect

    def connect(*args, **kwargs):
        kwargs.setdefault("factory", recorder.connection_class)
        return real_connect(*args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect)
    return recorder


def _ledger_with_records(cpe, tmp_path):
    rows = [[f"{2021 + n % 5}-{1 + n % 12:02d}-{1 + n % 28:02d}", f"Course {n}", str(1 + n % 4),
             ("Taxes", "Accounting", "Regulatory Ethics")[n % 3], "Group Live", "AICPA", "", ("external", "lumiq")[n % 2]]
            for n in range(60)]
    source = write_rows(tmp_path / "seed.csv",
                        ["date", "title", "credits", "field_of_study", "delivery_method", "provider", "state", "source"],
                        rows)
    assert cpe("import", str(source)).exit_code == 0
    for words in (("ca", "--period-end", "2027-03-31"), ("ny",), ("tx", "--period-end", "2026-08-31")):
        assert cpe("profile", "use", *words).exit_code == 0


HOT_COMMANDS = {
    "total": [("total",), ("total", "--json"), ("total", "--source", "lumiq", "--field", "Taxes"),
              ("total", "--preset", "last-30-days"), ("total", "--by", "month"), ("total", "--by", "field")],
    "list": [("list", "--preset", "last-30-days"), ("list", "--year", "2025", "--format", "csv"),
             ("list", "--field", "Taxes", "--limit", "5")],
    "duplicates": [tuple(add_args(title="Course 3", date="2024-04-04", credits="4", field="Taxes")),
                   ("import", "{again}")],
    "compliance": [("status", "--json"), ("status",)],
}


@pytest.mark.parametrize("group", sorted(HOT_COMMANDS))
def test_hot_queries_on_records_use_an_index(cpe, tmp_path, plans, group):
    _ledger_with_records(cpe, tmp_path)
    again = write_rows(tmp_path / "again.csv",
                       ["date", "title", "credits", "field_of_study", "delivery_method", "provider", "source"],
                       [["2024-04-04", "Course 3", "4", "Taxes", "Group Live", "AICPA", "lumiq"],
                        ["2026-06-01", "New one", "2", "Taxes", "Group Live", "AICPA", "external"]])
    plans.plans.clear()
    for words in HOT_COMMANDS[group]:
        result = cpe(*(str(again) if word == "{again}" else word for word in words))
        assert result.exit_code == 0, (words, result.stderr)
    assert plans.plans, "no statement on records was seen: the recorder is not wired in"
    assert plans.scans() == []


def test_the_check_sees_a_full_scan(cpe, tmp_path, plans, home):
    """Without records_by_date, a window's total scans the table: the check above would fail."""
    _ledger_with_records(cpe, tmp_path)
    change_database(home, "DROP INDEX records_by_date")
    plans.plans.clear()
    cpe("total")  # verify would call the ledger damaged; the plan is what matters here
    assert plans.scans(), plans.plans
