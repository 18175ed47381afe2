"""What one CSV file can make `cpe import` hold, print or wait for is bounded, and a refused import creates nothing.

A record (a row whose quoted cells can span many short lines) is at most 1 MiB and, for a row, 10,000 cells;
a header of 400,000 empty columns gives one short warning; a FIFO named as the file is refused instead of
waited on; an import refused for a bad row (or a dry run) into a home that does not exist yet leaves none.
"""

from __future__ import annotations

import os
import subprocess
import sys

from support import installed_cpe, only_error, snapshot

HEADER = "title,credits,field_of_study,delivery_method,date,provider\r\n"
ROW = "Ethics,2,Regulatory Ethics,Group Live,2026-06-01,AICPA\r\n"


def test_a_record_spread_over_short_lines_is_bounded_in_bytes(cpe, home, tmp_path):
    """Quoted cells of 100 KB each, over lines of 1 KB: every line and every cell is within its limit."""
    cell = '"' + ("y" * 1000 + "\n") * 100 + '"'
    csv_file = tmp_path / "spread.csv"
    csv_file.write_text(HEADER + ROW + ",".join([cell] * 12) + "\r\n")
    result = cpe("import", str(csv_file))
    assert result.exit_code == 2
    assert (f"the record starting on line 3 of {csv_file} is longer than 1,048,576 bytes"
            in only_error(result))
    assert not home.exists()


def test_a_record_of_many_cells_is_refused_by_its_count(cpe, home, tmp_path):
    csv_file = tmp_path / "cells.csv"
    csv_file.write_text(HEADER + ROW + '"",' * 12_000 + "\r\n")
    result = cpe("import", str(csv_file))
    assert result.exit_code == 2
    assert "the record starting on line 3" in only_error(result) and "has 12,001 cells" in result.stderr


def test_memory_stays_bounded_by_one_record_not_the_file(tmp_path):
    """The issue's file in small: 1,000 quoted cells of 120 KB over short lines (120 MB) is refused early."""
    csv_file = tmp_path / "huge.csv"
    cell = ('"' + ("z" * 99 + "\n") * 1200 + '",').encode()
    with open(csv_file, "wb") as handle:
        handle.write((HEADER + ROW).encode())
        for _ in range(1000):
            handle.write(cell)
    script = ("import resource, subprocess, sys; "
              "r = subprocess.run([sys.argv[1], 'import', sys.argv[2]], capture_output=True, text=True); "
              "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
              "sys.stderr.write(r.stderr)")
    result = subprocess.run([sys.executable, "-c", script, installed_cpe(), str(csv_file)],
                            capture_output=True, text=True, timeout=300, env={**os.environ})
    code, peak_kib = result.stdout.split()
    assert code == "2" and "is longer than 1,048,576 bytes" in result.stderr, result.stderr
    assert int(peak_kib) < 64 * 1024, f"peak RSS {int(peak_kib) // 1024} MiB for a {csv_file.stat().st_size:,}-byte file"


def test_a_header_of_400_kb_of_empty_columns_gives_one_short_warning(cpe, tmp_path):
    csv_file = tmp_path / "wide.csv"
    csv_file.write_text(HEADER.rstrip("\r\n") + "," * 400_000 + "\r\n")
    result = cpe("import", str(csv_file))
    assert result.exit_code == 0, result.stderr[:500]
    warning = next(line for line in result.stderr.splitlines() if line.startswith("Warning: ignoring"))
    assert len(warning) < 1000, len(warning)
    assert "column 7 (no name)" in warning and "and 399,980 more (399,980 of them with no name)" in warning


def test_many_named_unknown_columns_are_listed_then_counted(cpe, tmp_path):
    csv_file = tmp_path / "named.csv"
    csv_file.write_text(HEADER.rstrip("\r\n") + "".join(f",Extra {n}" for n in range(50)) + "\r\n")
    result = cpe("import", str(csv_file))
    warning = next(line for line in result.stderr.splitlines() if line.startswith("Warning: ignoring"))
    assert "'Extra 19' and 30 more of" in warning and "Extra 20" not in warning


def test_a_fifo_is_refused_instead_of_waited_on(cpe_process, home, tmp_path):
    fifo = tmp_path / "courses.csv"
    os.mkfifo(fifo)
    result = cpe_process("import", str(fifo), timeout=20)  # with no writer, the old open() never returned
    assert result.returncode == 2
    assert result.stderr.startswith(f"Error: '{fifo}' is a FIFO (named pipe), not a CSV file")
    assert "cpe import -" in result.stderr
    assert not home.exists()


def test_a_device_is_refused(cpe, home):
    result = cpe("import", "/dev/zero")
    assert result.exit_code == 2 and "is a device, not a CSV file" in only_error(result)
    assert not home.exists()


def test_an_import_with_a_bad_row_creates_no_home(cpe, home, tmp_path):
    csv_file = tmp_path / "bad.csv"
    csv_file.write_text(HEADER + ROW + "Bad,abc,Taxes,Group Live,2026-06-01,P\r\n")
    result = cpe("import", str(csv_file))
    assert result.exit_code == 2 and 'line 3, column "credits"' in only_error(result)
    assert not home.exists()


def test_a_dry_run_creates_no_home(cpe, home, tmp_path):
    csv_file = tmp_path / "good.csv"
    csv_file.write_text(HEADER + ROW + ROW)
    result = cpe("import", str(csv_file), "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "would import 1 record (2.0 credits) and skip 1 duplicate" in result.stderr
    assert not home.exists()


def test_a_good_import_into_a_new_home_still_creates_it(cpe, home, tmp_path):
    csv_file = tmp_path / "good.csv"
    csv_file.write_text(HEADER + ROW + ROW)
    assert cpe("import", str(csv_file)).exit_code == 0
    assert cpe("total", "--preset", "all").stdout.strip() == "2.0"
    assert oct(home.stat().st_mode & 0o777) == "0o700"


def test_a_refused_import_into_an_existing_home_changes_nothing(cpe, home, tmp_path):
    csv_file = tmp_path / "good.csv"
    csv_file.write_text(HEADER + ROW)
    assert cpe("import", str(csv_file)).exit_code == 0
    before = snapshot(home)
    (tmp_path / "bad.csv").write_text(HEADER + "X,1,Nope,Group Live,2026-06-01,P\r\n")
    assert cpe("import", str(tmp_path / "bad.csv")).exit_code == 2
    assert snapshot(home) == before
