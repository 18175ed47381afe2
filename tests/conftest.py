"""Shared fixtures: every test gets its own CPE_HOME and a pinned CPE_TODAY."""

from __future__ import annotations

import os
import subprocess
from datetime import date
from pathlib import Path

import pytest

from support import TODAY_ISO, installed_cpe, run_cpe

TODAY = date.fromisoformat(TODAY_ISO)


def pytest_configure(config):
    """Compile the package's bytecode once, as ``pip install`` does for a regular install. The editable install the
    suite runs against has none, and under ``PYTHONDONTWRITEBYTECODE`` (set on the CI machine) no process writes it:
    each of the suite's few hundred ``cpe`` subprocesses would compile every module it imports from source again
    (60-100 ms each, a tenth of the default run). ``py_compile`` writes the files whatever that setting says, and
    skips a module whose bytecode is current."""
    import compileall

    compileall.compile_dir(Path(__file__).resolve().parent.parent / "cpe_cli", quiet=1)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    """No test touches ~/.cpe or depends on the real clock, colour or debug settings."""
    home = tmp_path / "cpe-home"
    monkeypatch.setenv("CPE_HOME", str(home))
    monkeypatch.setenv("CPE_TODAY", TODAY.isoformat())
    monkeypatch.delenv("CPE_DEBUG", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    return home


@pytest.fixture
def home(isolated_env) -> Path:
    return isolated_env


@pytest.fixture
def today() -> date:
    return TODAY


@pytest.fixture
def cpe():
    """Run cpe through its real entry point, in-process: cpe("list", "--format", "json")."""
    return run_cpe


@pytest.fixture
def cpe_process(home):
    """Run the installed `cpe` script in a subprocess with the test's environment."""

    def run(*args: str, input: str | None = None, env: dict | None = None, timeout: float = 60):
        return subprocess.run([installed_cpe(), *args], input=input, capture_output=True, text=True,
                              env={**os.environ, **(env or {})}, timeout=timeout)

    return run
