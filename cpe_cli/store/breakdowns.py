"""Sums of a view broken down by one key (``cpe total --by``): one GROUP BY, in SQL, over the view's records.

Each row is (key, hundredths, records); months and years come back in
order, the other keys by credits (largest first). A record with several
tags counts once under each of its tags (so the tag rows can add up to more
than the total, which the command says).
"""

from __future__ import annotations

import sqlite3

from ..core.views import Filters
from .ledger import Ledger, translate_error, where_clause

BREAKDOWN_KEYS = ("field", "delivery", "source", "month", "year", "tag")

_EXPRESSIONS = {
    "field": "field_of_study",
    "delivery": "delivery_method",
    "source": "source",
    "month": "substr(completed_on, 1, 7)",
    "year": "substr(completed_on, 1, 4)",
}
_CHRONOLOGICAL = ("month", "year")


def breakdown(ledger: Ledger, filters: Filters, by: str) -> list[tuple[str, int, int]]:
    where, params = where_clause(filters)
    if by == "tag":
        # Split the space-separated tags with a recursive CTE: one row per (record, tag).
        sql = (f"WITH RECURSIVE viewed(rest, hundredths) AS (SELECT tags || ' ', credits_hundredths FROM records{where}), "
               "split(tag, rest, hundredths) AS ("
               "  SELECT substr(rest, 1, instr(rest, ' ') - 1), substr(rest, instr(rest, ' ') + 1), hundredths "
               "  FROM viewed WHERE rest <> ' ' "
               "  UNION ALL SELECT substr(rest, 1, instr(rest, ' ') - 1), substr(rest, instr(rest, ' ') + 1), "
               "  hundredths FROM split WHERE rest <> '') "
               "SELECT tag, sum(hundredths), count(*) FROM split GROUP BY tag "
               "ORDER BY sum(hundredths) DESC, tag")
    else:
        expression = _EXPRESSIONS[by]
        order = "1" if by in _CHRONOLOGICAL else "2 DESC, 1"
        sql = (f"SELECT {expression}, sum(credits_hundredths), count(*) FROM records{where} "
               f"GROUP BY 1 ORDER BY {order}")
    try:
        return [tuple(row) for row in ledger.conn.execute(sql, params)]
    except sqlite3.Error as problem:
        raise translate_error(problem, ledger.shown) from None
