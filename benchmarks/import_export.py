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
    parser.add_argument("--scale", default="",
                        help="instead: `cpe import` alone of CSVs of these row counts (e.g. 100000,1000000), --runs "
                             "each, and the cost per row against the first (issue 12: at most 1.1x at 1,000,000)")
    parser.add_argument("--write-readme", action="store_true",
                        help="with --scale: write the table into README.md between <!-- import-scale:start/end -->")
    args = parser.parse_args(argv)
    if args.scale:
        return import_scale(args)
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


def import_scale(args) -> int:
    """Seconds and microseconds per row of ``cpe import`` into an empty ledger at each row count, and the cost
    per row against the smallest count: the regular install, the benchmark's CSV (distinct courses), peak RSS."""
    import shutil
    import statistics
    import tempfile

    counts = sorted({int(s.replace("_", "")) for s in args.scale.split(",") if s.strip()})
    started = time.perf_counter()
    harness.CACHE.mkdir(parents=True, exist_ok=True)
    cpe = harness.cpe_program()
    template = harness.CACHE / "empty-home"
    harness.create_empty_ledger(cpe, template)
    rows_out = []
    for count in counts:
        csv_file = harness.CACHE / f"import-{count}-c{harness.CSV_VERSION}.csv"
        harness.in_child("csv", csv_file, count)
        work = Path(tempfile.mkdtemp(prefix="cpe-scale-", dir=harness.CACHE))
        seconds, peaks = [], []
        try:
            for _ in range(args.runs):
                home = work / "home"
                shutil.rmtree(home, ignore_errors=True)
                shutil.copytree(template, home)
                run = harness.run_process([str(cpe), "import", str(csv_file)], harness.base_env(home))
                if run.returncode != 0:
                    sys.exit(f"cpe import of {count:,} rows failed: {run.stderr.decode(errors='replace')[-500:]}")
                seconds.append(run.seconds)
                peaks.append(run.maxrss_kib / 1024)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        rows_out.append((count, statistics.median(seconds), max(peaks)))
    base = rows_out[0][1] / rows_out[0][0]
    now = dt.datetime.now().astimezone()
    lines = [
        f"`cpe import FILE` into an empty ledger ({harness.revision()}, {now:%Y-%m-%d %H:%M %Z}; "
        f"{harness.machine()}), median of {args.runs} run{'s' if args.runs != 1 else ''}, written by "
        f"`benchmarks/import_export.py --scale {','.join(str(c) for c in counts)} --runs {args.runs} --write-readme`:",
        "",
        "| rows | seconds | µs per row | per row against the first | peak RSS MiB |",
        "|---:|---:|---:|---:|---:|",
    ]
    for count, secs, peak in rows_out:
        lines.append(f"| {count:,} | {secs:.1f} | {secs / count * 1e6:.0f} | {secs / count / base:.2f}x | "
                     f"{peak:.0f} |")
    lines += ["", f"Total: {time.perf_counter() - started:.0f} s."]
    text = "\n".join(lines)
    print(text, flush=True)
    if args.write_readme:
        readme = Path(__file__).resolve().parents[1] / "README.md"
        content = readme.read_text(encoding="utf-8")
        start, end = "<!-- import-scale:start -->", "<!-- import-scale:end -->"
        head, rest = content.split(start, 1)
        _, tail = rest.split(end, 1)
        readme.write_text(f"{head}{start}\n{text}\n{end}{tail}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
