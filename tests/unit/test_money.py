"""Money as a credit manager relies on it: exact, one currency at a time, rounded on purpose."""

from decimal import ROUND_HALF_UP, Decimal

import pytest

from creditbridge.core.money import (
    CurrencyMismatch,
    Money,
    MoneyError,
    from_units,
    parse_decimal,
    sum_money,
    to_units,
)


def test_a_float_amount_is_refused_because_it_is_already_inexact():
    with pytest.raises(MoneyError, match="Decimal"):
        Money(0.1, "USD")  # type: ignore[arg-type]


def test_adding_dollars_to_euros_is_refused():
    with pytest.raises(CurrencyMismatch, match="USD with EUR"):
        Money.of("10", "USD") + Money.of("10", "EUR")


def test_comparing_dollars_with_euros_is_refused():
    with pytest.raises(CurrencyMismatch):
        _ = Money.of("10", "USD") < Money.of("11", "EUR")


def test_ten_cents_three_times_is_exactly_thirty_cents():
    dime = Money.of("0.10", "USD")
    assert dime + dime + dime == Money.of("0.30", "USD")


def test_rounding_is_banker_rounding_unless_a_mode_is_named():
    assert Money.of("2.345", "USD").quantize() == Money.of("2.34", "USD")
    assert Money.of("2.355", "USD").quantize() == Money.of("2.36", "USD")
    assert Money.of("2.345", "USD").quantize(ROUND_HALF_UP) == Money.of("2.35", "USD")


def test_rounding_follows_the_currency_minor_unit():
    assert Money.of("1234.5", "JPY").quantize().amount == Decimal("1234")
    assert Money.of("1.23456", "KWD").quantize().amount == Decimal("1.235")


def test_amounts_keep_full_precision_until_rounded():
    third = Money(Decimal(100) / 3, "EUR")
    assert third.amount != third.quantize().amount
    assert third.quantize().amount == Decimal("33.33")


def test_multiplying_by_a_float_is_refused():
    with pytest.raises(MoneyError):
        Money.of("10", "USD") * 1.5  # type: ignore[operator]


def test_currency_must_be_an_iso_code():
    for bad in ("usd", "US", "DOLLAR", "12X"):
        with pytest.raises(MoneyError, match="ISO 4217"):
            Money.of("1", bad)


def test_text_amounts_must_be_plain_decimals():
    assert parse_decimal(" -1234.50 ") == Decimal("-1234.50")
    for bad in ("1e5", "NaN", "Infinity", "12,50", "abc", ""):
        with pytest.raises(MoneyError):
            parse_decimal(bad)


def test_units_round_trip_exactly_and_refuse_finer_amounts():
    assert to_units(Decimal("1234.5678")) == 12_345_678
    assert from_units(12_345_678) == Decimal("1234.5678")
    assert from_units(to_units(Decimal("-0.01"))) == Decimal("-0.01")
    with pytest.raises(MoneyError, match="4 decimal places"):
        to_units(Decimal("0.00001"))


def test_an_empty_sum_still_has_a_currency():
    assert sum_money([], "CHF") == Money.zero("CHF")
    assert sum_money([Money.of("1.10", "CHF"), Money.of("2.20", "CHF")], "CHF") == Money.of("3.30", "CHF")
