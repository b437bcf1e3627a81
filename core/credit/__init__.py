"""Credit checks of a new order: approve, warn, review or hold, with the rules and figures behind it.

`check_order(ledger, customer_id, amount, as_of, policy)` returns an `OrderDecision`; see
`order_check` for the rules.
"""

from creditbridge.core.credit.order_check import (
    DECISIONS,
    CreditCheckError,
    CreditPolicy,
    ExposureView,
    OrderCurrencyError,
    OrderDecision,
    OrderExposure,
    UnknownCustomer,
    check_exposure,
    check_order,
    check_order_in,
)

__all__ = [
    "DECISIONS",
    "CreditCheckError",
    "CreditPolicy",
    "ExposureView",
    "OrderCurrencyError",
    "OrderDecision",
    "OrderExposure",
    "UnknownCustomer",
    "check_exposure",
    "check_order",
    "check_order_in",
]
