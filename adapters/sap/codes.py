"""SAP's data conventions at the RFC boundary, where no conversion exit runs for us.

RFC applies no ALPHA conversion: a purely numeric customer or document number must be sent
zero-padded to its field length ('12345' -> '0000012345') and arrives padded; alphanumeric
numbers ('A-100') are stored left-justified as typed. Dates are 'YYYYMMDD' text ('00000000'
or blank = none), amounts packed decimals (Decimal), CHAR flags 'X' or blank.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

KUNNR_LENGTH = 10
BELNR_LENGTH = 10
VBELN_LENGTH = 10


def alpha_in(value: str, length: int = KUNNR_LENGTH) -> str:
    """The internal form of a number (conversion exit ALPHA, input): digits padded with zeros."""
    value = value.strip()
    if len(value) > length:
        raise ValueError(f"{value!r} is longer than {length} characters")
    return value.zfill(length) if value.isdigit() else value


def alpha_out(value: str) -> str:
    """The external form (ALPHA output): leading zeros of a numeric value dropped, blanks stripped."""
    value = value.strip()
    return (value.lstrip("0") or "0") if value.isdigit() else value


def sap_date(value: object) -> date | None:
    """'YYYYMMDD' (or a date, when a connection uses dtime) -> date; blank or zeros -> None."""
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not text or set(text) == {"0"}:
        return None
    if len(text) != 8 or not text.isdigit():
        raise ValueError(f"not an SAP date (YYYYMMDD): {value!r}")
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))


def dats(value: date | None) -> str:
    """A date as RFC sends it: 'YYYYMMDD', '00000000' for none."""
    return "00000000" if value is None else value.strftime("%Y%m%d")


def flag(value: object) -> bool:
    """A CHAR1 indicator: 'X' is set, blank is not."""
    return str(value or "").strip().upper() == "X"


def amount(value: object) -> Decimal:
    """A packed-decimal amount: Decimal from pyrfc, text from RFC_READ_TABLE ('  1234.50-' with a trailing minus)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    text = str(value or "").strip()
    if not text:
        return Decimal(0)
    if text.endswith("-"):
        text = "-" + text[:-1]
    return Decimal(text)


def fits_scale(value: Decimal, decimals: int) -> bool:
    """Whether `value` has at most `decimals` places (CURR 15,2 holds cents; more would be rounded)."""
    exponent = value.normalize().as_tuple().exponent
    return not isinstance(exponent, int) or exponent >= -decimals
