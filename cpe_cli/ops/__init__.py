"""Use cases over the ledger: import, export, lifecycle, verify, backup and restore. No Typer, no Rich, no SQL."""
