"""The workspace's actions, one function each, shared by the pages (form posts) and the JSON API.

Each calls the function the CLI command uses (collections notes, write-back approvals, cash
application), records who acted (a user name or `token:NAME`) in the audit log, and says what went
wrong as an `ActionError` with the HTTP status to answer: the pages show it, the API returns it as
`{"error": ...}`. Nothing here is a rule of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from creditbridge.core.credit.policy import Policy
from creditbridge.sync import writeback
from creditbridge.sync.cashapp.job import CashappError, confirm_payment, put_on_account, reject_payment
from creditbridge.sync.collections.repository import NOTE_KINDS, add_note, customer_currency
from creditbridge.sync.credit_applications import Assessed, store_application
from creditbridge.sync.store import Store
from creditbridge.sync.web.users import record
from creditbridge.sync.writeback.transactions import write_transaction

MAX_NOTE_LENGTH = 4000
PAYMENT_ACTIONS = ("confirm", "apply", "on_account", "reject")


class ActionError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def add_customer_note(store: Store, customer_id: str, kind: str, text: str, actor: str, role: str) -> int:
    """Add a note (or log a call) on a customer's contact log; the note's id."""
    text = text.strip()
    if kind not in NOTE_KINDS or not text or len(text) > MAX_NOTE_LENGTH:
        raise ActionError(400, f"A note needs a kind ({', '.join(NOTE_KINDS)}) and a text of 1 to "
                               f"{MAX_NOTE_LENGTH} characters.")  # fmt: skip
    with write_transaction(store.engine) as conn:
        if customer_currency(conn, customer_id) is None:
            raise ActionError(404, f"The store has no customer {customer_id!r}.")
        note_id = add_note(conn, customer_id, kind, text, owner=actor)
        record(conn, actor, "note_added", "ok", reason=kind, role=role, customer_id=customer_id)
    return note_id


def decide_request(store: Store, request_id: int, verb: str, actor: str, comment: str | None) -> writeback.Decision:
    """Approve or reject a change request (four eyes: `writeback.approve` refuses the requester)."""
    act = {"approve": writeback.approve, "reject": writeback.reject}[verb]
    try:
        return act(store, request_id, actor, comment=(comment or "").strip() or None)
    except writeback.SelfApprovalRefused as exc:
        raise ActionError(403, str(exc)) from None
    except writeback.NotFound as exc:
        raise ActionError(404, str(exc)) from None
    except writeback.WritebackError as exc:
        raise ActionError(409, str(exc)) from None


def decide_payment(store: Store, payment_id: str, action: str, actor: str, role: str,
                   allocations: Sequence[tuple[str, Decimal]] | None = None,
                   customer: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Confirm a suggested match, apply the payment to `allocations` (a split), put it on `customer`'s account
    (unapplied, but theirs), or reject the suggestion (it stays unapplied)."""
    try:
        if action == "reject":
            result = reject_payment(store, payment_id, actor)
        elif action == "confirm":
            result = confirm_payment(store, payment_id, actor, None)
        elif action == "on_account":
            if not (customer or "").strip():
                raise CashappError("name the customer whose account the payment goes to")
            result = put_on_account(store, payment_id, (customer or "").strip(), actor)
        elif action == "apply":
            if not allocations:
                raise CashappError("name the invoices and amounts to apply the payment to")
            result = confirm_payment(store, payment_id, actor, allocations)
        else:
            raise CashappError(f"unknown action {action!r}: one of {', '.join(PAYMENT_ACTIONS)}")
    except CashappError as exc:
        raise ActionError(400, str(exc)) from None
    with write_transaction(store.engine) as conn:
        record(conn, actor, f"cashapp_{action}", "ok", reason=payment_id, role=role)
    return result


def keep_application(store: Store, policy: Policy, assessed: Assessed, data: Any, actor: str, role: str) -> int:
    """Store a decided credit application (as `credit apply` does) with the audit line; the decision's id.

    `UnknownApplicant` (a customer id the store lacks) stores nothing; the caller says which field.
    """
    with write_transaction(store.engine) as conn:
        decision_id = store_application(conn, policy, assessed, data, decided_by=actor, as_of=date.today())
        record(conn, actor, "credit_application", assessed.result["decision"], reason=f"decision {decision_id}",
               role=role, customer_id=assessed.application.customer_id)  # fmt: skip
    return decision_id
