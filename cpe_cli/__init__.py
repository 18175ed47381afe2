"""cpe: a command-line ledger of Continuing Professional Education credits."""

__version__ = "0.1.0"
