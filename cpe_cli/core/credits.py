"""CPE credits as exact decimals.

Credits are money-like: a board adds them up and compares them with a
threshold, so 0.1 ten times must be exactly 1.0. They are parsed from text
into ``Decimal``, stored as that text plus an integer count of hundredths (so
SQL sums stay exact), and never pass through a float.
"""

from __future__ import annotations

from decimal import Decimal

from .catalog import CREDIT_SOURCE, DELIVERY_BY_NAME, STANDARDS_EDITION_SHORT
from .errors import CpeError

MAX_CREDITS = Decimal("1000")


def _is_plain_decimal(text: str) -> bool:
    r"""ASCII digits with at most one dot and a digit on at least one side of it ("1", "1.", ".5", "1.50"): what
    the pattern ``^([0-9]+(\.[0-9]*)?|\.[0-9]+)$`` accepts, checked without importing ``re`` (every ``cpe
    add`` reads credits; tests/test_credits.py compares the two)."""
    whole, _dot, fraction = text.partition(".")
    return bool(whole or fraction) and all(not part or (part.isascii() and part.isdigit())
                                           for part in (whole, fraction))


def parse_credits(text: str) -> Decimal:
    """Read a credit value as the user wrote it, refusing anything inexact.

    Only plain decimal notation is accepted ("1.5", "0.2", "3"): exponents,
    NaN and infinity are refused rather than interpreted, because a typo in an
    audit record should stop the user, not be guessed at.
    """
    raw = str(text).strip()
    accepted = "a number greater than 0 and at most 1000, with at most 2 decimal places (e.g. 1.5)"
    if not raw:
        raise CpeError.invalid(f"credits are required: {accepted}")
    if not _is_plain_decimal(raw):
        raise CpeError.invalid(f"credits {raw!r} is not {accepted}")
    value = Decimal(raw)
    if value <= 0 or value > MAX_CREDITS:
        raise CpeError.invalid(f"credits {raw!r} is out of range: {accepted}")
    if value != value.quantize(Decimal("0.01")):
        raise CpeError.invalid(f"credits {raw!r} has more than 2 decimal places: {accepted}")
    return value


def canonical_text(value: Decimal) -> str:
    """The stored spelling: as entered, minus leading zeros and a bare dot ("01.50" -> "1.50")."""
    text = format(value, "f")
    return text[:-1] if text.endswith(".") else text


def to_hundredths(value: Decimal) -> int:
    return int(value * 100)


def from_hundredths(hundredths: int) -> Decimal:
    return Decimal(hundredths) / 100


def format_total(value: Decimal) -> str:
    """A sum for display: exact, at least one decimal, no trailing zeros beyond it ("12.5", "3.25", "1.0")."""
    text = format(value.quantize(Decimal("0.01")), "f")
    if text.endswith("0"):
        text = text[:-1]
    return text


def increment_warning(value: Decimal, delivery_method: str) -> str | None:
    """Say how ``value`` breaks NASBA's credit increments for the method, or None.

    A warning and not a refusal: boards differ (South Dakota allows halves
    only, Illinois halves after the first hour), and the 2026 Standards
    change the increments (catalog.STANDARDS_NEXT), so the user's certificate
    is the authority, but a value outside the Standards deserves a second
    look. Each warning names the edition its rule comes from
    (catalog.STANDARDS_EDITION); rules: CREDIT_SOURCE in catalog.py.
    """
    method = DELIVERY_BY_NAME.get(delivery_method)
    if method is None:
        return None
    under = f"under the {STANDARDS_EDITION_SHORT}"
    shown = canonical_text(value)
    if method.exact is not None:
        if value != method.exact:
            return (f"{delivery_method} programs award exactly {method.exact} credits {under}; "
                    f"{shown} is unusual (kept as entered)")
        return None
    if method.minimum is not None and value < method.minimum:
        return (f"{delivery_method} programs award at least {method.minimum} credits {under}; "
                f"{shown} is unusual (kept as entered)")
    if value < 1 and method.below_one is not None and value not in method.below_one:
        allowed = " or ".join(canonical_text(v) for v in sorted(method.below_one))
        return (f"{shown} credits is not a NASBA increment for {delivery_method}: below the first full credit "
                f"only {allowed} is allowed {under} (fifths or halves come after it); kept as entered")
    if method.increments is not None and (value % 1) not in method.increments:
        return (f"{shown} credits is not a NASBA increment for {delivery_method} "
                f"(fifths or halves: .0 .2 .4 .5 .6 .8, {under}); kept as entered")
    return None


__all__ = ["parse_credits", "canonical_text", "to_hundredths", "from_hundredths", "format_total",
           "increment_warning", "MAX_CREDITS", "CREDIT_SOURCE"]
