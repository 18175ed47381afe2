"""Commands of the exchange capability (placeholder until that issue lands)."""

from __future__ import annotations


def register(app) -> None:
    """Add this module's commands to the app."""
