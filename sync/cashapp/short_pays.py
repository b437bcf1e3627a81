"""A short pay applied to invoices opens a collections dispute for what it left open.

Why here: cash application is where a short pay is found (the payer deducted something: damaged
goods, a price difference); collections must not dun the deducted rest as if it were simply late,
so each short-paid invoice gets an open `short_pay` dispute that a person resolves (write-off,
credit memo, or chase it). The rule of what is left open is core.collections' `short_pay_dispute`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from creditbridge.core.collections.disputes import short_pay_dispute
from creditbridge.core.model import OpenItem
from creditbridge.core.money import Money


def open_short_pay_disputes(
    conn: sa.Connection, items: Mapping[str, OpenItem], payment_id: str, paid_on: date,
    allocations: Sequence[tuple[str, Decimal]],
) -> list[int]:  # fmt: skip
    """Open a dispute on each invoice of `allocations` the payment left partly open; their ids."""
    from creditbridge.sync.collections.repository import open_dispute

    opened = []
    for item_id, paid in allocations:
        item = items.get(item_id)
        if item is None:
            continue
        currency = item.open_amount.currency
        after = dataclasses.replace(item, open_amount=Money(item.open_amount.amount - paid, currency))
        dispute = short_pay_dispute(after, Money(paid, currency), paid_on)
        if dispute is not None and dispute.amount is not None:
            opened.append(open_dispute(conn, item_id, item.customer_id, paid_on, "short_pay", currency,
                                       dispute.amount.amount, note=f"short pay by payment {payment_id}"))  # fmt: skip
    return opened
