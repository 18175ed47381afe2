"""A view of the ledger (date window, source, field) resolved from the options' text.

Core: shared by ``total``, ``list`` and the exports, whether they arrive
through Typer or through the start-up fast path, so that both resolve
``--preset``/``--from``/``--to``/``--year``/``--source``/``--field`` alike.
"""

from __future__ import annotations

from collections import namedtuple
from datetime import date

from .catalog import FIELD_GROUPS, FIELDS_OF_STUDY, SOURCE_LABELS
from .periods import Window, resolve_window


class Filters(namedtuple("Filters", ("window", "source", "fields", "tags", "field_words", "no_certificate", "batch"),
                         defaults=("all", (), (), (), False, None))):
    """What a view shows: a date window (``Window``), a source ("all", "external", "lumiq"), and optionally
    fields of study and tags (records with any of them).

    ``fields``: canonical field names (empty: every field); ``tags``: records with any of these tags;
    ``field_words``: what the user asked for ("ethics"), for titles; ``no_certificate``: only records without
    a certificate (what an auditor would ask for); ``batch``: only the records of one import batch (``cpe
    import --history`` lists them). A named tuple rather than a dataclass: see ``core.records``.
    """

    __slots__ = ()




def match_fields(words, more_groups=None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(canonical fields, the words as asked) for ``--field`` given once or more: a group name (ethics,
    technical, non-technical) or a field by name, alias or unique prefix; any of them matches.

    ``more_groups``, when given, is called (at most once, and only for a word
    that is neither a group above nor a field) for more groups by name: the
    tracked profiles' groups (``ops.field_groups``), so a plain field never
    pays for reading profiles.
    """
    from .errors import CpeError
    from .records import match_field

    if words is None:
        return (), ()
    if isinstance(words, str):
        words = [words]
    fields: list[str] = []
    shown: list[str] = []
    extra: dict[str, tuple[str, ...]] | None = None
    for word in words:
        key = " ".join(word.strip().lower().split()).replace(" ", "-")
        if key in FIELD_GROUPS:
            fields.extend(FIELD_GROUPS[key])
            shown.append(key)
            continue
        try:
            # No "did you mean" yet: the word may be a tracked profile's group (aa), read next.
            name = match_field(word, suggest=False) if ":" not in key else None
        except CpeError as problem:
            name, unmatched = None, problem
        else:
            unmatched = None
        if name is None:
            if extra is None:
                extra = more_groups() if more_groups else {}
            if key in extra:
                fields.extend(extra[key])
                shown.append(key)
                continue
            groups = ", ".join([*FIELD_GROUPS, *extra])
            if unmatched:
                try:
                    match_field(word)
                except CpeError as problem:  # the same refusal, now with its "did you mean"
                    unmatched = problem
            reason = unmatched.message if unmatched else f"unknown field group {word.strip()!r}"
            raise CpeError.invalid(f"{reason}; or a group: {groups}") from None
        fields.append(name)
        shown.append(name)
    order = {f.name: position for position, f in enumerate(FIELDS_OF_STUDY)}
    return tuple(sorted(set(fields), key=order.__getitem__)), tuple(dict.fromkeys(shown))


def resolve_filters(today: date, preset: str | None = None, start: str | None = None, end: str | None = None,
                    year: int | None = None, source: str = "all", field=None, tags=None,
                    more_groups=None, *, no_certificate: bool = False, batch: int | None = None) -> Filters:
    """The view the shared options name. With ``batch`` (``--batch ID``) and no window asked for, the view
    is all time: an import's records are whatever dates its file held, rarely all of this year."""
    from .errors import CpeError
    from .records import clean_tags, match_source

    if batch is not None and not 1 <= batch < 2**63:
        raise CpeError.invalid(f"--batch {batch} is not a batch id; 'cpe import --history' lists them")
    if batch is not None and preset is None and start is None and end is None and year is None:
        preset = "all-time"
    window = resolve_window(today, preset, start, end, year)
    wanted_source = "all" if source.strip().lower() == "all" else match_source(source)
    fields, words = match_fields(field, more_groups)
    return Filters(window=window, source=wanted_source, fields=fields, field_words=words,
                   tags=clean_tags(tags) if tags else (), no_certificate=no_certificate, batch=batch)


def source_label(source: str) -> str:
    """How a source filter reads in titles: "All sources", "Platform courses", "External (self-reported)"."""
    return "All sources" if source == "all" else SOURCE_LABELS.get(source, source)
