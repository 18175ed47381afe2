"""Record tags: the words that say what a field of study cannot.

A board's approval of an ethics course, California's Regulatory Review,
fraud hours or Illinois' sexual-harassment prevention training are not
fields of study, yet compliance rules count them (issue 11, "Record tags";
``../shared/domain.md``, "Requirements"). A record carries them as tags, and a
profile's group may list tags. Tags are compared as exact strings, so they
are normalised once, here, on every way in: lowercased and stripped, then
held to a small alphabet that survives CSV (joined by ``;``), JSON, shell
completion and a TOML list without quoting surprises.

The check is written without ``re``: this module is imported on the start-up
path of every command that reads a record, and a character-set test is as
clear as a pattern.
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import CpeError

TAG_MAX = 40
_LETTERS_DIGITS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_ALLOWED = _LETTERS_DIGITS | {"-"}
RULE = (f"a tag is 1 to {TAG_MAX} lowercase ASCII letters, digits and hyphens, "
        "starting with a letter or digit (e.g. fl-ethics)")


def normalize_tag(text: str) -> str:
    """Return the stored spelling of one tag, or refuse it naming the value and the rule.

    Input is stripped and lowercased first (``" FL-Ethics "`` is ``fl-ethics``),
    because users type tags by hand and a tag that differs only in case would
    silently fail to match a profile's group. Non-ASCII letters are refused
    rather than folded: ``ß`` or a Cyrillic ``а`` look like ASCII on a
    certificate but would never match a tag a profile reads.
    """
    if not isinstance(text, str):
        raise CpeError.invalid(f"tag {text!r} is not text; {RULE}")
    stripped = text.strip()
    if not stripped.isascii():
        # Checked before lowercasing: the Kelvin sign lowercases to an ASCII "k".
        raise CpeError.invalid(f"tag {stripped!r} has a non-ASCII character; {RULE}")
    tag = stripped.lower()
    if not tag:
        raise CpeError.invalid(f"tag {text!r} is empty; {RULE}")
    if len(tag) > TAG_MAX:
        raise CpeError.invalid(f"tag {stripped!r} is {len(tag)} characters long; {RULE}")
    if tag[0] not in _LETTERS_DIGITS or not _ALLOWED.issuperset(tag):
        raise CpeError.invalid(f"tag {stripped!r} is not allowed; {RULE}")
    return tag


def normalize_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Normalise several tags: sorted and de-duplicated, the order JSON and CSV show them in.

    A single string is refused rather than iterated character by character,
    a classic mistake that would otherwise produce one-letter tags.
    """
    if isinstance(tags, str):
        raise CpeError.invalid("tags must be given as a list of words, not one string")
    return tuple(sorted({normalize_tag(tag) for tag in tags}))


__all__ = ["normalize_tag", "normalize_tags", "TAG_MAX"]
