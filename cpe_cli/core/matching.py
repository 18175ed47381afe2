"""Forgiving lookup of user input in a closed vocabulary.

Certificates and platform exports spell the same field or method many ways
("Group-Live", "Business Management and Organization", "self study"), so input
is compared case-insensitively with "&" read as "and" and punctuation ignored,
first exactly (names and aliases), then as a unique prefix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .errors import CpeError

_WORD_CHARACTERS = frozenset("0123456789abcdefghijklmnopqrstuvwxyz")


def normalize(text: str) -> str:
    """Case-folded words of ASCII letters and digits, one space between them ("Taxes & Law" -> "taxes and
    law"): every other run of characters is one space (without ``re``, which ``cpe add`` need not import)."""
    folded = text.casefold().replace("&", " and ")
    return " ".join("".join(char if char in _WORD_CHARACTERS else " " for char in folded).split())


def match_choice(value: str, choices: Mapping[str, Iterable[str]], what: str, *, suggest: bool = True) -> str:
    """Return the canonical choice that ``value`` names.

    ``choices`` maps each canonical name to its aliases. An unknown value is
    refused with every accepted name; an ambiguous prefix with the names it
    could mean, so the user can pick without opening the docs.
    """
    wanted = normalize(value)
    if not wanted:
        raise CpeError.invalid(f"{what} is required; accepted: {', '.join(choices)}")
    spellings = [(canonical, normalize(s)) for canonical, aliases in choices.items()
                 for s in (canonical, *aliases)]
    exact = {canonical for canonical, spelled in spellings if spelled == wanted}
    if len(exact) == 1:
        return exact.pop()
    by_prefix = sorted({canonical for canonical, spelled in spellings if _abbreviates(wanted, spelled)},
                       key=list(choices).index)
    if len(by_prefix) == 1:
        return by_prefix[0]
    if by_prefix:
        raise CpeError.invalid(f"{what} {value.strip()!r} is ambiguous; it matches: {', '.join(by_prefix)}")
    # A later word of a name ("ethics" in Regulatory Ethics, "governmental"): unique, or name the candidates.
    by_word = sorted({canonical for canonical, spelled in spellings
                      if any(_abbreviates(wanted, " ".join(spelled.split()[start:]))
                             for start in range(1, len(spelled.split())))}, key=list(choices).index)
    if len(by_word) == 1:
        return by_word[0]
    if by_word:
        raise CpeError.invalid(f"{what} {value.strip()!r} is ambiguous; it matches: {', '.join(by_word)}")
    hint = _did_you_mean((what, wanted, tuple(choices)), wanted, spellings) if suggest else ""
    raise CpeError.invalid(f"unknown {what} {value.strip()!r}{hint}; accepted: {', '.join(choices)}")


# (what, wanted, the names) -> the hint: an import of 20,000 rows with one misspelled state asks 20,000 times.
_SUGGESTED: dict[tuple, str] = {}


def _did_you_mean(key: tuple, wanted: str, spellings: list[tuple[str, str]]) -> str:
    """" (did you mean Taxes?)" for a misspelling ("taxs", "acounting") close to a name or alias; "" if none is.
    Only on the way to an error (``suggest=False`` where an error is caught and another reading tried), so
    ``difflib`` is imported there."""
    hint = _SUGGESTED.get(key)
    if hint is None:
        from difflib import get_close_matches

        by_spelling = {spelled: canonical for canonical, spelled in reversed(spellings)}
        close = get_close_matches(wanted, list(by_spelling), n=3, cutoff=0.75)
        names = list(dict.fromkeys(by_spelling[spelled] for spelled in close))
        hint = _SUGGESTED[key] = f" (did you mean {' or '.join(names)}?)" if names else ""
    return hint


def _abbreviates(wanted: str, spelled: str) -> bool:
    """True for a plain prefix ("aud") or word-by-word prefixes ("reg eth" for "regulatory ethics")."""
    if spelled.startswith(wanted):
        return True
    wanted_words, spelled_words = wanted.split(), spelled.split()
    return len(wanted_words) <= len(spelled_words) and all(
        word.startswith(part) for part, word in zip(wanted_words, spelled_words))

