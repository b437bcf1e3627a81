"""Records as the rest of the system reads them."""

from dataclasses import FrozenInstanceError
from datetime import date

import pytest

from creditbridge.core.model import Application, Customer, Payment
from creditbridge.core.money import Money


def test_a_partly_applied_payment_leaves_unapplied_cash():
    day = date(2026, 3, 1)
    payment = Payment(
        "P1", "C1", day, Money.of("500.00", "USD"),
        applications=(Application("P1", "INV-1", Money.of("320.00", "USD"), day),),
    )  # fmt: skip
    assert payment.unapplied == Money.of("180.00", "USD")


def test_records_cannot_be_changed_after_they_are_made():
    customer = Customer("C1", "Acme", "USD")
    with pytest.raises(FrozenInstanceError):
        customer.name = "Other"  # type: ignore[misc]
