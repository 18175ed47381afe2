"""Command handlers: what each command does, called alike by the Typer app and the fast route."""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from pathlib import Path


def as_path(text: str | None) -> Path | None:
    """A path option as a ``Path`` (None stays None), for the handlers that work with the file: both routes hand
    paths over as the text typed (``cli/app.py``), so that ``cpe add`` never imports pathlib."""
    if text is None:
        return None
    from pathlib import Path

    return Path(text)
