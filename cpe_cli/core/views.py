"""A view of the ledger (date window, source, field) resolved from the options' text.

Core: shared by ``total``, ``list`` and the exports, whether they arrive
through Typer or through the start-up fast path, so that both resolve
``--preset``/``--from``/``--to``/``--year``/``--source``/``--field`` alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from datetime import date

from .catalog import SOURCE_LABELS
from .periods import Window, resolve_window


@dataclass(frozen=True)
class Filters:
    """What a view shows: a date window, a source ("all", "external", "lumiq") and optionally one field."""

    window: Window
    source: str = "all"
    field_of_study: str | None = None
    tags: tuple[str, ...] = ()  # records with any of these tags


def resolve_filters(today: date, preset: str | None = None, start: str | None = None, end: str | None = None,
                    year: int | None = None, source: str = "all", field: str | None = None,
                    tags=None) -> Filters:
    from .records import clean_tags, match_field, match_source

    window = resolve_window(today, preset, start, end, year)
    wanted_source = "all" if source.strip().lower() == "all" else match_source(source)
    return Filters(window=window, source=wanted_source,
                   field_of_study=match_field(field) if field is not None else None,
                   tags=clean_tags(tags) if tags else ())


def source_label(source: str) -> str:
    """How a source filter reads in titles: "All sources", "Platform courses", "External (self-reported)"."""
    return "All sources" if source == "all" else SOURCE_LABELS.get(source, source)
