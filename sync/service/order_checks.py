"""Order-time credit checks on the orders an ERP webhook named (QuickBooks Estimates).

After the worker pulled what a webhook asked for, each order it named is checked against the
customer's exposure *without* that order (it is already among the open orders the pull brought
in; counting it twice would overstate exposure), and the decision — approve, warn, review or
hold, with its reasons — is appended to the hash-chained audit log, where a credit manager reads
it (`creditbridge audit list --customer ID`). Closed or cancelled orders are not checked.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from creditbridge.core.credit import CreditCheckError, CreditPolicy, OrderDecision, check_order
from creditbridge.core.model import OrderStatus
from creditbridge.sync.logs import get_logger
from creditbridge.sync.store import Store
from creditbridge.sync.writeback import audit
from creditbridge.sync.writeback.transactions import write_transaction

_log = get_logger("creditbridge.service")
ACTOR = "creditbridge-order-check"


def check_named_orders(
    store: Store, connection: str, order_keys: set[str], run_id: str, policy: CreditPolicy | None = None
) -> list[OrderDecision]:
    """Check each open order in `order_keys` (thresholds of `policy`) and audit the decision; unknown or closed
    orders are skipped."""
    if not order_keys:
        return []
    ledger = store.load_ledger(source=connection)
    now = datetime.now(UTC)
    decisions = []
    for order in ledger.orders:
        if order.order_number not in order_keys or order.status is not OrderStatus.OPEN:
            continue
        others = replace(ledger, orders=tuple(o for o in ledger.orders if o.order_number != order.order_number))
        try:
            decision = check_order(others, order.customer_id, order.amount, now.date(), policy)
        except CreditCheckError as exc:
            _log.warning("order_check.skipped", connection=connection, order=order.order_number, reason=str(exc))
            continue
        with write_transaction(store.engine) as conn:
            audit.append(conn, audit.AuditEvent(
                actor=ACTOR, role="system", connection=connection, action="order_credit_check",
                outcome=decision.decision, customer_id=order.customer_id, field=f"order {order.order_number}",
                reason_code=",".join(r.rule for r in decision.reasons),
                reason="; ".join(r.message for r in decision.reasons), run_id=run_id,
            ), now)  # fmt: skip
        _log.info("order_check.decided", connection=connection, order=order.order_number,
                  customer_id=order.customer_id, decision=decision.decision)  # fmt: skip
        decisions.append(decision)
    return decisions
