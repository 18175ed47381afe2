"""Value completions for TAB, over the catalog: no Typer, no database.

Used by the Typer options (``autocompletion=``) and by the fast completion
path, so both offer the same values.
"""

from __future__ import annotations

from ..core import catalog


def _starting_with(values, incomplete: str) -> list[str]:
    wanted = incomplete.casefold()
    return [value for value in values if value.casefold().startswith(wanted)]


def complete_presets(incomplete: str) -> list[str]:
    from ..core.periods import PRESETS

    return _starting_with((*PRESETS, "all"), incomplete)


def complete_fields(incomplete: str) -> list[str]:
    return _starting_with(catalog.FIELD_NAMES, incomplete)


def complete_delivery(incomplete: str) -> list[str]:
    return _starting_with(catalog.DELIVERY_NAMES, incomplete)


def complete_states(incomplete: str) -> list[str]:
    return _starting_with(catalog.JURISDICTIONS, incomplete)


def complete_sources(incomplete: str) -> list[str]:
    return _starting_with(("all", *catalog.SOURCES), incomplete)


def complete_record_sources(incomplete: str) -> list[str]:
    return _starting_with(catalog.SOURCES, incomplete)
