#!/usr/bin/env python3
"""Exchange benchmarks (issue 3): `cpe import` against `sqlite-utils insert`, `cpe export csv` against `sqlite3 -csv`.

Run from the repository root with the project's virtual environment (not run in CI)::

    .venv/bin/python benchmarks/import_export.py                      # 100,000-row import; export of 100,000 and 1,000,000
    .venv/bin/python benchmarks/import_export.py --rows 10000 --sizes 100000 --runs 3   # a quicker look

* Import: the same 100,000-row CSV (the export's columns, distinct courses, so both
  programs end with the same number of rows) is loaded by ``cpe import FILE`` into an
  empty ledger and by ``sqlite-utils insert DB records FILE --csv`` into an empty
  database, alternately (A B A B ...); the table gives the median times and their ratio
  (target <= 1.5x). cpe validates every row and maintains its indexes; sqlite-utils
  stores text as given.
* Export: ``cpe export csv --preset all-time`` against ``sqlite3 -csv`` of the same
  columns in the same order, on ledgers of each size (target <= 2x at 1,000,000), with
  each program's own peak RSS (GNU time): flat memory means the same peak at every size.

The ledgers, the CSV, the alternation and the peak-memory runs are those of
``benchmarks/run.py`` (the start-up benchmark), imported here, so both report alike.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as harness  # noqa: E402  (benchmarks/run.py: ledgers, CSV, A/B runs, peak RSS, the table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the import CSV (default 100000)")
    parser.add_argument("--sizes", default="100000,1000000",
                        help="ledger sizes for the export, comma-separated (default 100000,1000000)")
    parser.add_argument("--runs", type=int, default=5, help="A/B pairs for each measurement (default 5)")
    parser.add_argument("--budget", type=float, default=180.0,
                        help="seconds one pair may take before its run count is reduced (min 3 runs)")
    parser.add_argument("--skip", default="", help="import or export, to leave that part out")
    args = parser.parse_args(argv)
    sizes = sorted({int(s.replace("_", "").replace(",", "")) for s in args.sizes.split(",") if s.strip()})
    # What harness.bench_import / bench_export read from their own command line.
    options = argparse.Namespace(heavy_runs=args.runs, budget=args.budget / 2, import_args=[],
                                 export_args=["export", "csv", "--preset", "all-time"])

    started = time.perf_counter()
    harness.CACHE.mkdir(parents=True, exist_ok=True)
    cpe = harness.cpe_program()
    template = harness.CACHE / "empty-home"
    harness.create_empty_ledger(cpe, template)
    fingerprint = harness.schema_fingerprint(template / "cpe.db")

    results = []
    if "import" not in args.skip:
        results.append(harness.bench_import(cpe, template, args.rows, options))
    if "export" not in args.skip:
        for size in sizes:
            home = harness.ledger_for(size, cpe, template, fingerprint)
            results.append(harness.bench_export(cpe, home, size, options))

    now = dt.datetime.now().astimezone()
    print("\n".join([
        f"Exchange benchmark of `cpe` ({harness.revision()}) on {now:%Y-%m-%d %H:%M %Z}: {harness.machine()}.",
        f"Median wall time of {args.runs} alternated runs (A B A B, after one warm-up each) against the baseline "
        "program in the floor column; peak RSS is each program's own "
        + ("(one extra run under GNU time)." if harness.GNU_TIME else "(wait4 rusage: an upper bound)."),
        "",
        harness.table(results),
        "",
        f"Total benchmark time: {time.perf_counter() - started:.0f} s.",
    ]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
