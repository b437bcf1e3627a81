"""Money as a value: a Decimal amount with an ISO 4217 currency.

Why a type of its own: AR figures are summed over millions of items, and a float or a silent
currency mix turns a correct ledger into a wrong report. `Money` refuses both. Rounding happens
in one place (`quantize`), with an explicit mode, and only at the edge (reports, ERP writes).

For bulk work (KPIs over millions of items) amounts travel as integers in units of
1/`UNITS_PER_MAJOR` of the currency (`to_units` / `from_units`): exact, and fast in numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

UNITS_PER_MAJOR = 10_000
"""Integer units per currency unit in columnar form: 4 decimal places, exact for every ISO currency."""

_UNIT = Decimal(1) / UNITS_PER_MAJOR

# ISO 4217 minor units that differ from 2; everything else has 2.
_MINOR_DIGITS: dict[str, int] = {
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
}  # fmt: skip


class MoneyError(ValueError):
    """A money value was built or combined in a way that would lose exactness or meaning."""


class CurrencyMismatch(MoneyError):
    """Two amounts in different currencies were combined; convert explicitly first."""


def minor_digits(currency: str) -> int:
    """Decimal places of the currency's minor unit (USD 2, JPY 0, KWD 3)."""
    return _MINOR_DIGITS.get(currency, 2)


def parse_decimal(text: str) -> Decimal:
    """Parse a plain decimal string ('1234.50', '-3'); refuse floats' exponents, NaN and junk."""
    cleaned = text.strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise MoneyError(f"not a decimal number: {text!r}") from exc
    if not value.is_finite() or "e" in cleaned.lower():
        raise MoneyError(f"not a plain decimal number: {text!r}")
    return value


def to_units(amount: Decimal) -> int:
    """Exact integer units of 1/UNITS_PER_MAJOR; refuses amounts finer than that."""
    scaled = amount * UNITS_PER_MAJOR
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{amount} has more than 4 decimal places")
    return int(scaled)


def from_units(units: int) -> Decimal:
    """The Decimal amount of integer units (inverse of `to_units`)."""
    return Decimal(int(units)) * _UNIT


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency. Arithmetic keeps full precision; `quantize` rounds."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, float) or not isinstance(self.amount, Decimal | int):
            raise MoneyError(f"Money needs a Decimal amount, got {type(self.amount).__name__}")
        if isinstance(self.amount, int):
            object.__setattr__(self, "amount", Decimal(self.amount))
        if not self.amount.is_finite():
            raise MoneyError(f"Money amount must be finite, got {self.amount}")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise MoneyError(f"currency must be an ISO 4217 code like 'USD', got {self.currency!r}")

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str) -> Money:
        """Build from text or an exact number: Money.of('12.50', 'EUR')."""
        if isinstance(amount, str):
            return cls(parse_decimal(amount), currency)
        if isinstance(amount, int):
            return cls(Decimal(amount), currency)
        return cls(amount, currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    def _same_currency(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise MoneyError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, float) or not isinstance(factor, Decimal | int):
            raise MoneyError("Money can be multiplied by a Decimal or an int only")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount >= other.amount

    def is_zero(self) -> bool:
        return self.amount == 0

    def quantize(self, rounding: str = ROUND_HALF_EVEN, digits: int | None = None) -> Money:
        """Round to the currency's minor unit (or `digits` places) with an explicit mode."""
        places = minor_digits(self.currency) if digits is None else digits
        return Money(self.amount.quantize(Decimal(1).scaleb(-places), rounding=rounding), self.currency)

    def to_units(self) -> int:
        return to_units(self.amount)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def sum_money(values: list[Money] | tuple[Money, ...], currency: str) -> Money:
    """Sum amounts of one currency; the currency is named so an empty sum still has one."""
    total = Money.zero(currency)
    for value in values:
        total = total + value
    return total
