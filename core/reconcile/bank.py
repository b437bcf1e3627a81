"""The bank side: which statement credits are recorded payments, and which are not.

Matching rule (one statement line to at most one payment, and back):
1. a candidate has the same amount and currency, and a payment date within
   `BANK_DATE_WINDOW_DAYS` of the booking date (or of the value date);
2. evidence ranks candidates: the payment's reference, or a document it pays, appears in the
   line's remittance text, structured remittance lines, end-to-end id or bank reference
   (reference evidence, strongest); the payer's account is one of the customer's bank accounts,
   or the payer's name contains the customer's name or the reverse (payer evidence);
3. a line with evidence takes the candidate with the most evidence, then the nearest date, then
   the lowest payment id; a line without any evidence takes a candidate only when it is the
   only one (an amount alone is weak when several payments share it).
Lines are matched strongest-evidence first, so a weak line cannot take a payment a strong one
needs. What stays unmatched is a difference: a statement credit with no recorded payment is
`bank_unrecorded`; a payment dated inside the statement's period with no line is
`payment_not_in_bank`. One pair of those with the same amount and reference or payer evidence,
but dates further apart than the window (up to `TIMING_WINDOW_DAYS`), is one `timing` difference
instead; so is a payment dated within the window before the period's end (the bank may book it
on the next statement).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from creditbridge.core.model import BankStatement, BankTransaction, Customer, Payment
from creditbridge.core.money import Money
from creditbridge.core.reconcile.differences import Difference, DifferenceClass

BANK_DATE_WINDOW_DAYS = 3
"""Payment date vs booking date: weekends and bank cut-offs move a day or three."""

TIMING_WINDOW_DAYS = 31
"""Beyond the window but within this, an otherwise matching pair is a timing difference."""


@dataclass(frozen=True, slots=True)
class BankMatch:
    """A statement line and the recorded payment it is, with the evidence that tied them."""

    transaction_id: str
    payment_id: str
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BankResult:
    matches: tuple[BankMatch, ...]
    differences: tuple[Difference, ...]


def _norm(text: str | None) -> str:
    return " ".join((text or "").casefold().split())


def _haystack(line: BankTransaction) -> str:
    parts = [line.remittance_text, line.end_to_end_id, line.bank_reference]
    parts += [r.document_number for r in line.remittance_lines]
    return " | ".join(_norm(p) for p in parts if p)


def _evidence(line: BankTransaction, payment: Payment, customer: Customer | None) -> tuple[str, ...]:
    found: list[str] = []
    text = _haystack(line)
    reference = _norm(payment.reference)
    if reference and reference in text:
        found.append(f"reference {payment.reference}")
    for application in payment.applications:
        if _norm(application.item_id) and _norm(application.item_id) in text:
            found.append(f"document {application.item_id}")
            break
    if customer is not None:
        account = _norm(line.payer_account).replace(" ", "")
        if account and account in {_norm(a).replace(" ", "") for a in customer.bank_accounts}:
            found.append("payer account")
        payer, name = _norm(line.payer_name), _norm(customer.name)
        if payer and name and (payer in name or name in payer):
            found.append("payer name")
    return tuple(found)


def _days_apart(line: BankTransaction, payment: Payment) -> int:
    days = [abs((line.booked_on - payment.payment_date).days)]
    if line.value_date is not None:
        days.append(abs((line.value_date - payment.payment_date).days))
    return min(days)


def _period(statement: BankStatement) -> tuple[date, date] | None:
    booked = [t.booked_on for t in statement.transactions]
    start = statement.period_start or (min(booked) if booked else None)
    end = statement.period_end or (max(booked) if booked else None)
    return None if start is None or end is None else (start, end)


def match_statement(
    statement: BankStatement,
    payments: Sequence[Payment],
    customers: Iterable[Customer] = (),
    window_days: int = BANK_DATE_WINDOW_DAYS,
) -> BankResult:
    """Match the statement's credits to recorded payments and classify what is left (see the module doc)."""
    by_id = {c.customer_id: c for c in customers}
    by_amount: dict[Money, list[Payment]] = defaultdict(list)  # a statement meets a ledger of millions
    for payment in payments:
        by_amount[payment.amount].append(payment)
    candidates: list[tuple[int, int, str, BankTransaction, Payment, tuple[str, ...]]] = []
    for line in statement.transactions:
        for payment in by_amount.get(line.amount, ()):
            if _days_apart(line, payment) > window_days:
                continue
            evidence = _evidence(line, payment, by_id.get(payment.customer_id))
            candidates.append((-len(evidence), _days_apart(line, payment), payment.payment_id, line, payment, evidence))
    per_line: dict[str, int] = {}
    for c in candidates:
        per_line[c[3].transaction_id] = per_line.get(c[3].transaction_id, 0) + 1
    candidates.sort(key=lambda c: (c[0], c[1], c[2], c[3].transaction_id))
    used_lines: set[str] = set()
    used_payments: set[str] = set()
    matches: list[BankMatch] = []
    for _weight, _days, payment_id, line, _payment, evidence in candidates:
        if line.transaction_id in used_lines or payment_id in used_payments:
            continue
        if not evidence and per_line[line.transaction_id] > 1:
            continue
        used_lines.add(line.transaction_id)
        used_payments.add(payment_id)
        matches.append(BankMatch(line.transaction_id, payment_id, evidence or ("amount and date only",)))

    lines = [t for t in statement.transactions if t.transaction_id not in used_lines]
    period = _period(statement)
    left = [
        p for p in payments
        if p.payment_id not in used_payments and period is not None and period[0] <= p.payment_date <= period[1]
    ]  # fmt: skip
    differences = _timing_pairs(lines, left, by_amount, by_id, used_payments)
    paired_lines = {d.documents[0] for d in differences}
    paired_payments = {d.documents[1] for d in differences}
    for line in lines:
        if line.transaction_id in paired_lines:
            continue
        customer = _payer_customer(line, by_id.values())
        who = line.payer_name or line.payer_account or "an unnamed payer"
        differences.append(
            Difference(
                DifferenceClass.BANK_UNRECORDED, customer, (line.transaction_id,), line.amount.amount,
                line.amount.currency,
                f"statement credit {line.transaction_id} of {line.amount.amount:,.2f} booked {line.booked_on} "
                f"from {who} has no recorded payment",
            )
        )  # fmt: skip
    for payment in left:
        if payment.payment_id in paired_payments:
            continue
        assert period is not None
        late = period[1] - timedelta(days=window_days) < payment.payment_date
        differences.append(
            Difference(
                DifferenceClass.TIMING if late else DifferenceClass.PAYMENT_NOT_IN_BANK, payment.customer_id,
                (payment.payment_id,), payment.amount.amount, payment.amount.currency,
                f"payment {payment.payment_id} of {payment.amount.amount:,.2f} on {payment.payment_date} is not on "
                f"the statement ({period[0]} to {period[1]})"
                + ("; it is dated in the period's last days and may be booked on the next statement" if late else ""),
            )
        )  # fmt: skip
    return BankResult(tuple(matches), tuple(differences))


def _timing_pairs(
    lines: Sequence[BankTransaction],
    left: Sequence[Payment],
    by_amount: dict[Money, list[Payment]],
    by_id: dict[str, Customer],
    used: set[str],
) -> list[Difference]:
    """Unmatched lines that are an unmatched (or out-of-period) payment booked too far from its date."""
    found: list[Difference] = []
    taken: set[str] = set(used)
    for line in lines:
        best: tuple[int, Payment, tuple[str, ...]] | None = None
        for payment in by_amount.get(line.amount, ()):
            if payment.payment_id in taken:
                continue
            days = _days_apart(line, payment)
            if days > TIMING_WINDOW_DAYS:
                continue
            evidence = _evidence(line, payment, by_id.get(payment.customer_id))
            if evidence and (best is None or days < best[0]):
                best = (days, payment, evidence)
        if best is None:
            continue
        days, payment, evidence = best
        taken.add(payment.payment_id)
        found.append(
            Difference(
                DifferenceClass.TIMING, payment.customer_id, (line.transaction_id, payment.payment_id),
                line.amount.amount, line.amount.currency,
                f"statement credit {line.transaction_id} booked {line.booked_on} is payment {payment.payment_id} "
                f"dated {payment.payment_date} ({', '.join(evidence)}), {days} days apart",
            )
        )  # fmt: skip
    return found


def _payer_customer(line: BankTransaction, customers: Iterable[Customer]) -> str | None:
    """The customer a payer's account (or, failing that, name) points at, if exactly one."""
    account = _norm(line.payer_account).replace(" ", "")
    payer = _norm(line.payer_name)
    every = list(customers)
    by_account = [
        c.customer_id for c in every if account and account in {_norm(a).replace(" ", "") for a in c.bank_accounts}
    ]
    if len(by_account) == 1:
        return by_account[0]
    by_name = [
        c.customer_id for c in every if payer and _norm(c.name) and (_norm(c.name) in payer or payer in _norm(c.name))
    ]
    return by_name[0] if len(by_name) == 1 else None
