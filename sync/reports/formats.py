"""How figures read on a report: money with thousands separators, days, percentages, dates.

One place for it, so the page, its tables and its charts agree. Rounding for display is
half-even on the Decimal (never through float); a figure that is not defined (None) reads "—".
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from creditbridge.core.money import minor_digits

MISSING = "—"
"""How a figure that is not defined (a None ratio) reads."""

BUCKET_LABELS: dict[str, str] = {
    "current": "Current",
    "1_30": "1–30",
    "31_60": "31–60",
    "61_90": "61–90",
    "91_120": "91–120",
    "over_120": ">120",
}
"""Display names of the aging buckets (core.kpis.figures.AGING_BUCKETS)."""


def bucket_label(name: str) -> str:
    return BUCKET_LABELS.get(name, name.replace("_", "–"))


def _grouped(value: Decimal, places: int) -> str:
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    if rounded == 0:
        rounded = abs(rounded)  # no "-0.00"
    return f"{rounded:,.{places}f}"


def amount_text(amount: Decimal | None, currency: str) -> str:
    """'1,234,567.89' in the currency's minor unit (JPY '1,235', KWD '1.235')."""
    if amount is None:
        return MISSING
    return _grouped(amount, minor_digits(currency))


def money_text(amount: Decimal | None, currency: str) -> str:
    """'1,234,567.89 USD'."""
    if amount is None:
        return MISSING
    return f"{amount_text(amount, currency)} {currency}"


def compact_amount(amount: Decimal) -> str:
    """'1.2M', '350K', '950' — for chart axes and narrow labels, never for tables."""
    size = abs(amount)
    for limit, suffix in ((Decimal("1e9"), "B"), (Decimal("1e6"), "M"), (Decimal("1e3"), "K")):
        if size >= limit:
            scaled = amount / limit
            places = 1 if abs(scaled) < 100 else 0
            text = _grouped(scaled, places)
            if places and text.endswith(".0"):
                text = text[:-2]
            return f"{text}{suffix}"
    return _grouped(amount, 0)


def days_text(days: Decimal | None, places: int = 1) -> str:
    """'45.3' days; None reads '—'."""
    if days is None:
        return MISSING
    return _grouped(days, places)


def percent_text(percent: Decimal | None, places: int = 1) -> str:
    """A percentage value (85.25 means 85.25 %) as '85.3%'; None reads '—'."""
    if percent is None:
        return MISSING
    return f"{_grouped(percent, places)}%"


def signed_text(delta: Decimal, places: int = 1) -> str:
    """A change with its sign: '+2.1', '−0.4', '0.0'."""
    text = _grouped(abs(delta), places)
    if delta > 0 and text.strip("0.,") != "":
        return f"+{text}"
    if delta < 0 and text.strip("0.,") != "":
        return f"\u2212{text}"
    return text


def date_text(day: date) -> str:
    """'30 Jun 2024'."""
    return f"{day.day} {day:%b %Y}"


def month_tick(day: date, month_end: bool) -> str:
    """A trend axis label: 'Jun 24' for a month-end, '15 Jun' for a mid-month as-of date."""
    return f"{day:%b %y}" if month_end else f"{day.day} {day:%b}"


def timestamp_text(moment: datetime) -> str:
    """'2024-06-30 14:05 CEST' (the zone name when the time has one)."""
    zone = moment.tzname()
    return f"{moment:%Y-%m-%d %H:%M}" + (f" {zone}" if zone else "")
