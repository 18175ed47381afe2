"""benchmarks/run.py's own logic (CI runs its --smoke): a failing command fails the run, a slow one never does."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("cpe_benchmark_run", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def _run(bench, seconds, code=0, output=b"ok", stderr=b""):
    return lambda: bench.Run(seconds, code, 1024, output, len(output), stderr)


def test_a_slow_command_is_timed_and_does_not_fail(bench):
    result = bench.measure_pair(bench.Result("slow", "1", 2.0), _run(bench, 0.01), _run(bench, 0.05), 3, 90.0)
    assert not result.failed and result.runs == 3
    assert result.ratio == pytest.approx(5.0) and result.met == "**no**"


def test_a_command_that_errs_fails_the_run(bench):
    result = bench.measure_pair(bench.Result("broken", "1", 2.0), _run(bench, 0.01),
                                _run(bench, 0.02, code=1, stderr=b"Traceback\nBoom\n"), 3, 90.0)
    assert result.failed and "FAILED" in result.note and "Boom" in result.note


def test_a_wrong_answer_fails_the_run(bench):
    result = bench.measure_pair(bench.Result("wrong", "1", 2.0), _run(bench, 0.01), _run(bench, 0.02, output=b"1.0"),
                                3, 90.0, check=lambda run: run.output == b"2.0")
    assert result.failed and result.median_ms is None


def test_the_table_keeps_one_line_a_row(bench):
    result = bench.Result("cmd", "1", None, note="skipped: it said\nline two\n")
    result.skipped = True
    rendered = bench.table([result])
    assert len(rendered.splitlines()) == 3
    assert "skipped: it said line two" in rendered


def test_the_targets_are_issue_14s(bench):
    assert bench.TARGETS == {"total": 2.0, "badge": 3.0, "list": 3.0, "help": 3.0, "completion": 1.5, "add": 2.5,
                             "status": 3.0, "by_month": 3.0, "list_csv": 1.2, "verify": 1.5}
    assert bench.MAX_BYTES_PER_RECORD == 250
