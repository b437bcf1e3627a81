"""Cash application on the store: run a statement, list what needs a person, confirm or reject.

`run_cashapp_job` is the scheduler's entry point: it reads the statement, matches it against the
store's ledger (less what earlier runs already applied since the last import), and stores the
statement, its payments and the decisions in one transaction — keyed by the file's SHA-256, so a
re-run of the same file creates nothing. `confirm_payment` / `reject_payment` record a person's
decision and what it teaches (payer account and name → customer, reference habits, rejections),
which every later run reads back as `MatchMemory`.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from creditbridge.core.cashapp import (
    CashMatch,
    Decision,
    MatchMemory,
    MatchPolicy,
    Residual,
    learn_confirmation,
    learn_rejection,
)
from creditbridge.core.model import BankTransaction, Ledger, MatchProposal, OpenItem, Reason, RemittanceLine
from creditbridge.core.money import Money, MoneyError, from_units, parse_decimal, to_units
from creditbridge.sync.cashapp.matching import MatchSummary, match_statement, read_statement_file, summarise
from creditbridge.sync.cashapp.short_pays import open_short_pay_disputes
from creditbridge.sync.collections.repository import customer_currency
from creditbridge.sync.store import Store
from creditbridge.sync.store.cashapp_tables import (
    cashapp_allocations,
    cashapp_memory,
    cashapp_payments,
    cashapp_statements,
)
from creditbridge.sync.store.loader import load_customer_ledger

OPEN_STATUSES = ("open",)
"""Payments waiting for a person: suggested or unapplied, neither confirmed nor rejected."""


class CashappError(Exception):
    """A request the store cannot honour (unknown payment, wrong state, bad allocation)."""


@dataclass(frozen=True, slots=True)
class CashappRun:
    statement_row: int
    created: bool
    summary: MatchSummary


def parse_allocation(text: str) -> tuple[str, Decimal]:
    """'INV-1001:250.00' -> ('INV-1001', Decimal('250.00')): how a person names an invoice and the amount for it."""
    number, sep, amount = text.strip().rpartition(":")
    number = number.strip()
    try:
        if not sep or not number:
            raise MoneyError(text)
        return number, parse_decimal(amount.strip())
    except MoneyError:
        raise CashappError(f"{text.strip()!r} is not INVOICE:AMOUNT (e.g. INV-1001:250.00)") from None


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def run_cashapp_job(
    store: Store,
    statement_path: Path,
    policy: MatchPolicy | None = None,
    source: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    lockbox_layout: Any = None,
) -> CashappRun:
    """Match a statement file against the store and keep statement, payments and decisions (idempotent)."""
    started = time.perf_counter()
    digest = hashlib.sha256(statement_path.read_bytes()).hexdigest()
    with store.engine.connect() as conn:
        existing = conn.execute(sa.select(cashapp_statements).where(cashapp_statements.c.file_sha256 == digest)).first()
    if existing is not None:
        return CashappRun(int(existing.id), False, _stored_summary(store, existing._mapping))
    statement = read_statement_file(statement_path, lockbox_layout)
    ledger = outstanding_ledger(store, source)
    matches = match_statement(ledger, statement, load_memory(store), policy, progress)
    summary = summarise(statement, matches, time.perf_counter() - started)
    with store.engine.begin() as conn:
        try:
            statement_row = _new_id(
                conn.execute(
                    cashapp_statements.insert().values(
                        file_sha256=digest,
                        file_name=statement_path.name,
                        format=statement.format,
                        payments=len(matches),
                        skipped_debits=statement.skipped_debits,
                        skipped_reversals=statement.skipped_reversals,
                        imported_at=_now(),
                    )
                )
            )
        except sa.exc.IntegrityError:  # the same file, run concurrently: the other run stored it
            conn.rollback()
            return run_cashapp_job(store, statement_path, policy, source, progress, lockbox_layout)
        items = {i.item_id: i for i in ledger.items}
        for match in matches:
            _insert_match(conn, int(statement_row), match)
            if match.decision is Decision.AUTO and match.residual is Residual.SHORT_PAY:
                open_short_pay_disputes(conn, items, match.payment_id, match.transaction.booked_on,
                                        [(i, a.amount) for i, a in match.allocations])  # fmt: skip
    return CashappRun(int(statement_row), True, summary)


def _insert_match(conn: sa.Connection, statement_row: int, match: CashMatch) -> None:
    tx = match.transaction
    payment_row = _new_id(
        conn.execute(
            cashapp_payments.insert().values(
                statement_id=statement_row,
                payment_id=tx.transaction_id,
                booked_on=tx.booked_on,
                value_date=tx.value_date,
                amount=to_units(tx.amount.amount),
                currency=tx.amount.currency,
                payer_name=tx.payer_name,
                payer_account=tx.payer_account,
                remittance_text=tx.remittance_text,
                remittance_lines=[_line_json(line) for line in tx.remittance_lines],
                end_to_end_id=tx.end_to_end_id,
                bank_reference=tx.bank_reference,
                decision=str(match.decision),
                confidence=str(match.confidence),
                customer_id=match.customer_id,
                stage=match.stage,
                residual=str(match.residual),
                reasons=[_reason_json(r) for r in match.reasons],
                alternatives=[_proposal_json(p) for p in (match.proposal(), *match.alternatives) if p.allocations],
                status="auto" if match.decision is Decision.AUTO else "open",
            )
        )
    )
    if match.decision is Decision.AUTO and match.allocations:
        conn.execute(
            cashapp_allocations.insert(),
            [
                {
                    "payment_row": payment_row,
                    "item_id": item,
                    "amount": to_units(amount.amount),
                    "currency": amount.currency,
                    "origin": "match",
                }
                for item, amount in match.allocations
            ],
        )


def _new_id(result: sa.CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _line_json(line: RemittanceLine) -> dict[str, Any]:
    return {
        "document_number": line.document_number,
        "document_type": line.document_type,
        "amount": None if line.amount is None else str(line.amount.amount),
        "currency": None if line.amount is None else line.amount.currency,
    }


def _reason_json(reason: Reason) -> dict[str, Any]:
    return {"rule": reason.rule, "message": reason.message, "figures": dict(reason.figures)}


def _proposal_json(proposal: MatchProposal) -> dict[str, Any]:
    return {
        "customer_id": proposal.customer_id,
        "confidence": str(proposal.confidence),
        "allocations": [{"invoice_number": i, "amount": str(m.amount)} for i, m in proposal.allocations],
        "evidence": [r.message for r in proposal.evidence],
    }


def _stored_summary(store: Store, row: sa.RowMapping) -> MatchSummary:
    with store.engine.connect() as conn:
        counts: dict[str, int] = dict(
            conn.execute(
                sa.select(cashapp_payments.c.decision, sa.func.count())
                .where(cashapp_payments.c.statement_id == row["id"])
                .group_by(cashapp_payments.c.decision)
            ).all()
        )
        amounts: dict[str, int] = dict(
            conn.execute(
                sa.select(cashapp_payments.c.decision, sa.func.sum(cashapp_payments.c.amount))
                .where(cashapp_payments.c.statement_id == row["id"])
                .group_by(cashapp_payments.c.decision)
            ).all()
        )
    total = sum((from_units(int(v)) for v in amounts.values()), Decimal(0))
    return MatchSummary(
        row["file_name"],
        row["format"],
        int(row["payments"]),
        int(counts.get("auto", 0)),
        int(counts.get("suggest", 0)),
        int(counts.get("unapplied", 0)),
        int(row["skipped_debits"]),
        int(row["skipped_reversals"]),
        total,
        from_units(int(amounts.get("auto") or 0)),
        0.0,
    )


# ---------------------------------------------------------------------------------------- ledger and memory


def outstanding_ledger(store: Store, source: str | None = None) -> Ledger:
    """The store's ledger less what cash application applied since its last import.

    Allocations made before the last import are already in the ERP's open amounts (once posted);
    later ones are not yet, and a second statement must not take the same invoice again.
    """
    ledger = store.load_ledger(source=source)
    applied = _applied_since_import(store, source)
    if not applied:
        return ledger
    return replace(ledger, items=tuple(_less_applied(item, applied) for item in ledger.items))


def open_invoices_of(store: Store, customer_id: str, source: str | None = None) -> list[OpenItem]:
    """One customer's invoices still open after cash application, oldest due first (a person picks from these)."""
    ledger = load_customer_ledger(store.engine, customer_id, source)
    applied = _applied_since_import(store, source, {i.item_id for i in ledger.items})
    items = (_less_applied(i, applied) for i in ledger.items if i.customer_id == customer_id)
    return sorted((i for i in items if i.open_amount.amount > 0), key=lambda i: (i.due_date, i.item_id))


def _applied_since_import(store: Store, source: str | None, item_ids: set[str] | None = None) -> dict[str, int]:
    """Item id -> units applied by cash application after the last import (of `item_ids` only, if given)."""
    latest = store.latest_import(source)
    since = latest.finished_at.replace(tzinfo=None) if latest is not None else datetime.min
    query = (
        sa.select(cashapp_allocations.c.item_id, sa.func.sum(cashapp_allocations.c.amount))
        .join(cashapp_payments, cashapp_payments.c.id == cashapp_allocations.c.payment_row)
        .where(cashapp_payments.c.status.in_(("auto", "confirmed")))
        .where(sa.func.coalesce(cashapp_payments.c.decided_at, cashapp_statements.c.imported_at) > since)
        .join(cashapp_statements, cashapp_statements.c.id == cashapp_payments.c.statement_id)
        .group_by(cashapp_allocations.c.item_id)
    )
    if item_ids is not None:
        query = query.where(cashapp_allocations.c.item_id.in_(sorted(item_ids)))
    with store.engine.connect() as conn:
        return {item: int(units) for item, units in conn.execute(query).all()}


def _less_applied(item: OpenItem, applied: dict[str, int]) -> OpenItem:
    if item.item_id not in applied:
        return item
    return replace(item, open_amount=Money(item.open_amount.amount - from_units(applied[item.item_id]),
                                           item.open_amount.currency))  # fmt: skip


def load_memory(store: Store) -> MatchMemory:
    """What confirmations and rejections taught, as the matcher takes it."""
    kinds: dict[str, dict[str, str]] = defaultdict(dict)
    rejected: set[tuple[str, str]] = set()
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(cashapp_memory).order_by(cashapp_memory.c.learned_at)).all()
    for row in rows:
        if row.kind == "rejected":
            rejected.add((row.key, row.customer_id))
        else:
            kinds[row.kind][row.key] = row.customer_id
    return MatchMemory(kinds["account"], kinds["name"], kinds["token"], frozenset(rejected))


def _remember(conn: sa.Connection, learned: MatchMemory, payment_row: int, user: str) -> None:
    now = _now()
    facts = [("account", k, c) for k, c in learned.accounts.items()]
    facts += [("name", k, c) for k, c in learned.names.items()]
    facts += [("token", k, c) for k, c in learned.reference_tokens.items()]
    for kind, key, customer in facts:
        conn.execute(cashapp_memory.delete().where(cashapp_memory.c.kind == kind, cashapp_memory.c.key == key))
        conn.execute(
            cashapp_memory.delete().where(
                cashapp_memory.c.kind == "rejected",
                cashapp_memory.c.key == key,
                cashapp_memory.c.customer_id == customer,
            )
        )
    for key, customer in learned.rejected:
        conn.execute(
            cashapp_memory.delete().where(
                cashapp_memory.c.kind.in_(("account", "name")),
                cashapp_memory.c.key == key,
                cashapp_memory.c.customer_id == customer,
            )
        )
        conn.execute(
            cashapp_memory.delete().where(
                cashapp_memory.c.kind == "rejected",
                cashapp_memory.c.key == key,
                cashapp_memory.c.customer_id == customer,
            )
        )
        facts.append(("rejected", key, customer))
    if facts:
        conn.execute(
            cashapp_memory.insert(),
            [
                {
                    "kind": k,
                    "key": key,
                    "customer_id": c,
                    "learned_from": payment_row,
                    "learned_by": user,
                    "learned_at": now,
                }
                for k, key, c in facts
            ],
        )


# ---------------------------------------------------------------------------------------- the worklist


def exceptions(store: Store) -> list[dict[str, Any]]:
    """Suggested and unapplied payments still open, oldest first, with candidates and evidence."""
    query = (
        sa.select(cashapp_payments, cashapp_statements.c.file_name)
        .join(cashapp_statements, cashapp_statements.c.id == cashapp_payments.c.statement_id)
        .where(cashapp_payments.c.status.in_(OPEN_STATUSES))
        .order_by(cashapp_payments.c.booked_on, cashapp_payments.c.id)
    )
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        {
            "payment_id": row.payment_id,
            "statement": row.file_name,
            "booked_on": row.booked_on.isoformat(),
            "amount": str(from_units(row.amount).quantize(Decimal("0.01"))),
            "currency": row.currency,
            "payer_name": row.payer_name,
            "payer_account": row.payer_account,
            "remittance": row.remittance_text,
            "decision": row.decision,
            "confidence": row.confidence,
            "customer_id": row.customer_id,
            "residual": row.residual,
            "evidence": [r["message"] for r in row.reasons],
            "candidates": row.alternatives,
        }
        for row in rows
    ]


def _payment_row(conn: sa.Connection, payment_id: str) -> sa.Row[Any]:
    rows = conn.execute(
        sa.select(cashapp_payments).where(cashapp_payments.c.payment_id == payment_id).order_by(cashapp_payments.c.id)
    ).all()
    if not rows:
        raise CashappError(f"there is no payment {payment_id!r} in the store (see creditbridge cashapp exceptions)")
    open_rows = [r for r in rows if r.status in OPEN_STATUSES]
    if not open_rows:
        raise CashappError(f"payment {payment_id!r} is {rows[-1].status}, not waiting for a decision")
    return open_rows[-1]


def _transaction(row: sa.Row[Any]) -> BankTransaction:
    return BankTransaction(
        row.payment_id,
        row.booked_on,
        Money(from_units(row.amount), row.currency),
        row.payer_name,
        row.payer_account,
        row.remittance_text,
        value_date=row.value_date,
        end_to_end_id=row.end_to_end_id,
        bank_reference=row.bank_reference,
    )


def confirm_payment(
    store: Store, payment_id: str, user: str, allocations: Sequence[tuple[str, Decimal]] | None = None
) -> dict[str, Any]:
    """Apply a payment as proposed (or as `allocations` say) and learn its payer for the customer."""
    ledger_items = {i.item_id: i for i in store.load_ledger().items}
    with store.engine.begin() as conn:
        row = _payment_row(conn, payment_id)
        if allocations is None:
            proposed = row.alternatives[0]["allocations"] if row.alternatives else []
            if not proposed:
                raise CashappError(f"payment {payment_id!r} has no proposal: give --invoice INV:AMOUNT")
            allocations = [(a["invoice_number"], Decimal(a["amount"])) for a in proposed]
        amount = from_units(row.amount)
        customers = set()
        for item_id, value in allocations:
            item = ledger_items.get(item_id)
            if item is None:
                raise CashappError(f"--invoice {item_id}: there is no such invoice in the store")
            if item.amount.currency != row.currency:
                raise CashappError(f"--invoice {item_id} is in {item.amount.currency}, the payment in {row.currency}")
            if value <= 0:
                raise CashappError(f"--invoice {item_id}:{value}: the amount must be positive")
            customers.add(item.customer_id)
        if sum(v for _, v in allocations) > amount:
            raise CashappError(f"the amounts add up to more than the payment ({amount.quantize(Decimal('0.01'))})")
        customer = row.customer_id if row.customer_id in customers or not customers else sorted(customers)[0]
        conn.execute(cashapp_allocations.delete().where(cashapp_allocations.c.payment_row == row.id))
        conn.execute(
            cashapp_allocations.insert(),
            [
                {
                    "payment_row": row.id,
                    "item_id": i,
                    "amount": to_units(v),
                    "currency": row.currency,
                    "origin": "confirmed",
                }
                for i, v in allocations
            ],
        )
        conn.execute(
            cashapp_payments.update()
            .where(cashapp_payments.c.id == row.id)
            .values(status="confirmed", customer_id=customer, decided_by=user, decided_at=_now())
        )
        if row.residual == str(Residual.SHORT_PAY):
            open_short_pay_disputes(conn, ledger_items, payment_id, row.booked_on, allocations)
        if customer is not None:
            learned = learn_confirmation(MatchMemory(), _transaction(row), customer, [i for i, _ in allocations])
            _remember(conn, learned, row.id, user)
    return {
        "payment_id": payment_id,
        "status": "confirmed",
        "customer_id": customer,
        "user": user,
        "allocations": [{"invoice_number": i, "amount": str(v)} for i, v in allocations],
    }


def put_on_account(store: Store, payment_id: str, customer_id: str, user: str) -> dict[str, Any]:
    """Take a payment as `customer_id`'s cash without applying it to invoices (on account); learn the payer.

    For a payment whose invoices are unknown yet (a lump sum, an advance): it leaves the worklist,
    the customer's unapplied cash grows, and the next payment from this payer is taken for them.
    """
    with store.engine.begin() as conn:
        row = _payment_row(conn, payment_id)
        currency = customer_currency(conn, customer_id)
        if currency is None:
            raise CashappError(f"there is no customer {customer_id!r} in the store")
        conn.execute(cashapp_allocations.delete().where(cashapp_allocations.c.payment_row == row.id))
        conn.execute(
            cashapp_payments.update()
            .where(cashapp_payments.c.id == row.id)
            .values(status="on_account", customer_id=customer_id, decided_by=user, decided_at=_now())
        )
        learned = learn_confirmation(MatchMemory(), _transaction(row), customer_id)
        _remember(conn, learned, row.id, user)
    return {"payment_id": payment_id, "status": "on_account", "customer_id": customer_id, "user": user,
            "allocations": []}  # fmt: skip


def reject_payment(store: Store, payment_id: str, user: str) -> dict[str, Any]:
    """Refuse the proposal: the payment stays unapplied and its payer is no longer taken for that customer."""
    with store.engine.begin() as conn:
        row = _payment_row(conn, payment_id)
        conn.execute(cashapp_allocations.delete().where(cashapp_allocations.c.payment_row == row.id))
        conn.execute(
            cashapp_payments.update()
            .where(cashapp_payments.c.id == row.id)
            .values(status="rejected", decided_by=user, decided_at=_now())
        )
        learned = learn_rejection(MatchMemory(), _transaction(row), row.customer_id)
        _remember(conn, learned, row.id, user)
    return {"payment_id": payment_id, "status": "rejected", "customer_id": row.customer_id, "user": user}
