"""Shared fixtures: every test gets its own CPE_HOME and a pinned CPE_TODAY."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

TODAY = date(2026, 6, 11)


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
    """Run cpe in-process through Typer's CliRunner: cpe("list", "--format", "json")."""
    from cpe_cli.cli.app import app

    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(app, list(args), input=input, prog_name="cpe")

    return run


def installed_cpe() -> str:
    """The console script installed with the package (next to this Python)."""
    script = Path(sys.executable).parent / "cpe"
    return str(script) if script.exists() else shutil.which("cpe")


@pytest.fixture
def cpe_process(home):
    """Run the installed `cpe` script in a subprocess with the test's environment."""

    def run(*args: str, input: str | None = None, env: dict | None = None, timeout: float = 60):
        return subprocess.run([installed_cpe(), *args], input=input, capture_output=True, text=True,
                              env={**os.environ, **(env or {})}, timeout=timeout)

    return run


def add_args(**overrides: str) -> list[str]:
    """Options for a valid `cpe add`, with any field overridden (None drops it)."""
    values = {"--title": "Ethics for CPAs", "--credits": "2", "--field": "Regulatory Ethics",
              "--delivery": "Group Live", "--provider": "AICPA", "--date": "2026-06-01"}
    values.update({f"--{key.replace('_', '-')}": value for key, value in overrides.items()})
    args = ["add", "--no-input"]
    for option, value in values.items():
        if value is not None:
            args += [option, value]
    return args
