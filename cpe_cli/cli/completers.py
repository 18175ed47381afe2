"""Value completions for TAB, over the catalog: no Typer, no database.

Used by the Typer options (``autocompletion=``) and by the fast completion
path, so both offer the same values. The catalog is imported where used:
``cpe show <TAB>`` offers record ids and needs neither it nor the
``decimal`` it loads (~4 ms of that TAB).
"""

from __future__ import annotations


def _starting_with(values, incomplete: str) -> list[str]:
    wanted = incomplete.casefold()
    return [value for value in values if value.casefold().startswith(wanted)]


def complete_presets(incomplete: str) -> list[str]:
    from ..core.periods import PRESETS

    return _starting_with((*PRESETS, "all"), incomplete)


def complete_fields(incomplete: str) -> list[str]:
    from ..core import catalog

    return _starting_with(catalog.FIELD_NAMES, incomplete)


def complete_delivery(incomplete: str) -> list[str]:
    from ..core import catalog

    return _starting_with(catalog.DELIVERY_NAMES, incomplete)


def complete_states(incomplete: str) -> list:
    """Codes whose code or name starts with what was typed (``cal`` offers CA), the name as description."""
    from ..core import catalog

    wanted = incomplete.casefold()
    return [(code, name) for code, name in catalog.JURISDICTIONS.items()
            if code.casefold().startswith(wanted) or name.casefold().startswith(wanted)]


def complete_sources(incomplete: str) -> list[str]:
    from ..core import catalog

    return _starting_with(("all", *catalog.SOURCES), incomplete)


def complete_record_sources(incomplete: str) -> list[str]:
    from ..core import catalog

    return _starting_with(catalog.SOURCES, incomplete)


def complete_profiles(incomplete: str) -> list[str]:
    """Built-in profile ids and the user's own (file names in $CPE_HOME/profiles), without parsing any."""
    import os

    from ..core.environment import resolve_home
    from ..core.profiles import BUILTIN_IDS

    from ..core.errors import CpeError

    ids = list(BUILTIN_IDS)
    try:
        folder = resolve_home() / "profiles"
        ids += [name[:-5] for name in sorted(os.listdir(folder)) if name.endswith(".toml") and not name.startswith(".")]
    except (OSError, CpeError):  # no home, no profiles folder, an unusable CPE_HOME: the built-ins
        pass
    return _starting_with(dict.fromkeys(ids), incomplete)


def complete_declarable(incomplete: str) -> list[str]:
    from ..core.profiles import builtin_profiles, declarable_words

    words = sorted({word for profile in builtin_profiles().values() for word in declarable_words(profile)})
    return _starting_with(words, incomplete)


def complete_tags(incomplete: str) -> list[str]:
    """Tags on records in the ledger, and the tags the built-in profiles read."""
    from ..core.environment import resolve_home
    from ..core.errors import CpeError
    from ..core.profiles import builtin_profiles, tags_read

    tags = {tag for profile in builtin_profiles().values() for tag in tags_read(profile)}
    try:
        home = resolve_home()
    except CpeError:  # an unusable CPE_HOME: complete what the profiles read (the command itself will say why)
        return _starting_with(sorted(tags), incomplete.lower())
    if (home / "cpe.db").is_file():
        from ..store.compliance import tags_in_use
        from ..store.ledger import open_ledger

        try:
            with open_ledger(home) as ledger:
                tags.update(tags_in_use(ledger))
        except CpeError:  # a damaged or locked ledger: complete what the profiles read
            pass
    return _starting_with(sorted(tags), incomplete.lower())


def complete_record_ids(incomplete: str) -> list:
    """Record ids starting with what was typed, newest first, each with its date and title (zsh and fish show
    them). Reads the ledger only if there is one: completing never creates a home."""
    import os

    from ..core.environment import DATABASE_NAME, home_text
    from ..core.errors import CpeError
    from ..store import peek

    if incomplete and not incomplete.isdigit():
        return []
    rows = peek.recent_ids(os.path.join(home_text(), DATABASE_NAME), incomplete, limit=40)
    if rows is None:  # the quick read could not answer: open the ledger the usual way
        from ..core.environment import resolve_home
        from ..store.ledger import open_ledger

        home = resolve_home()
        if not (home / DATABASE_NAME).is_file():
            return []
        try:
            with open_ledger(home) as ledger:
                rows = ledger.recent_ids(incomplete, limit=40)
        except CpeError:
            return []
    from .output import plain

    return [(str(record_id), f"{day} {plain(title)[:60]}") for record_id, day, title in rows]


def complete_field_filters(incomplete: str) -> list[str]:
    """Fields of study and the group names a filter accepts: ethics, technical, non-technical, and the field
    groups of tracked profiles (a bare name, or ``ca:aa`` where two profiles use one name differently)."""
    import os

    from ..core import catalog
    from ..core.environment import DATABASE_NAME, home_text, resolve_home
    from ..core.errors import CpeError
    from ..core.catalog import FIELD_GROUPS
    from ..store import peek

    groups: list[str] = []
    try:
        tracked = peek.tracked_profile_ids(os.path.join(home_text(), DATABASE_NAME))
        if tracked != []:  # some tracked (or the quick read could not tell): read their groups
            from ..ops.field_groups import tracked_field_groups

            found = tracked_field_groups(resolve_home(), tracked)
            groups = [name for name in found if name not in FIELD_GROUPS
                      and (":" not in name or name.split(":", 1)[1] not in found)]
    except CpeError:  # no usable home or ledger: the built-in groups and the fields
        pass
    return _starting_with(dict.fromkeys((*FIELD_GROUPS, *groups, *catalog.FIELD_NAMES)), incomplete)
