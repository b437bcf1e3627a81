"""Decimal text to exact integer units, column at a time, and back to text for messages.

Why not `Decimal` per cell: a million rows through Python costs seconds; polars string kernels do
it in milliseconds. The rule is the same as `core.money.parse_decimal` + `to_units`, stricter on
form: '-1234.5' is accepted, while '1e5', '12,50', 'NaN', ' 1 000' and a fifth decimal are refused
(a spreadsheet that wrote them has lost or reformatted the number, and guessing would be wrong).
"""

from __future__ import annotations

import re

import polars as pl

from creditbridge.core.money import UNITS_PER_MAJOR

MAX_WHOLE_DIGITS = 14
"""Digits before the point; 10^14 x 10^4 units still fits Int64 with room for sums."""

PLAIN_DECIMAL = rf"^-?[0-9]{{1,{MAX_WHOLE_DIGITS}}}(\.[0-9]{{1,4}})?$"

_PLACES = len(str(UNITS_PER_MAJOR)) - 1


def units_expr(text: pl.Expr) -> pl.Expr:
    """Int64 units of stripped decimal text; null where the text is not a plain decimal.

    The regex admits only the plain form; polars' Decimal cast then does the digit work (it would
    round a fifth decimal, which the regex has already refused).
    """
    units = text.cast(pl.Decimal(MAX_WHOLE_DIGITS + _PLACES, _PLACES), strict=False).to_physical().cast(pl.Int64)
    return pl.when(text.str.contains(PLAIN_DECIMAL)).then(units)


def describe_bad_amount(text: str) -> str:
    """Why `text` is not accepted as an amount, with the fix when it is a common one."""
    stripped = text.strip()
    lowered = stripped.lower()
    if lowered.lstrip("+-") in {"nan", "inf", "infinity"}:
        return f"{text!r} is not a number"
    if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)e[+-]?\d+", lowered):
        return f"{text!r} is in exponent notation; write the plain number (e.g. 100000)"
    if "," in stripped:
        return f"{text!r} has a ','; write plain decimals with a '.' and no thousands separators (e.g. 1234.50)"
    if re.fullmatch(r"-?\d+\.\d{5,}", stripped):
        return f"{text!r} has more than 4 decimal places"
    if re.fullmatch(r"-?\d+(\.\d*)?", stripped) and len(stripped.lstrip("-").split(".")[0]) > MAX_WHOLE_DIGITS:
        return f"{text!r} is too large (at most {MAX_WHOLE_DIGITS} digits before the '.')"
    return f"{text!r} is not a plain decimal number (expected e.g. 1234.50 or -20)"


def format_units(units: int) -> str:
    """Units as decimal text with at least 2 places ('1234.50', '-0.1234'), for messages."""
    sign = "-" if units < 0 else ""
    whole, fraction = divmod(abs(int(units)), UNITS_PER_MAJOR)
    digits = f"{fraction:0{_PLACES}d}".rstrip("0").ljust(2, "0")
    return f"{sign}{whole}.{digits}"
