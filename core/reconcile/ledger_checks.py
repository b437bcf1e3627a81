"""The checks within one ledger: documents against their applications, payments, ERP balances, GL.

Each function takes records and returns differences; none reads a file or knows an ERP.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal

from creditbridge.core.model import DocType, Ledger, OpenItem, Payment
from creditbridge.core.money import Money
from creditbridge.core.reconcile.differences import Difference, DifferenceClass

_ZERO = Decimal(0)


def _shown(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _settlements(ledger: Ledger, items: Mapping[str, OpenItem]) -> list[tuple[date, int, str, str | None, Decimal]]:
    """(date, order, item, payment id or None for a write-off, amount) of every settlement of a known item."""
    found: list[tuple[date, int, str, str | None, Decimal]] = []
    for payment in ledger.payments:
        for application in payment.applications:
            if application.item_id in items:
                found.append((application.applied_on, 0, application.item_id, payment.payment_id,
                              application.amount.amount))  # fmt: skip
    for writeoff in ledger.writeoffs:
        if writeoff.item_id in items:
            found.append((writeoff.written_off_on, 1, writeoff.item_id, None, writeoff.amount.amount))
    found.sort(key=lambda s: (s[0], s[1], s[3] or ""))
    return found


def settled_amounts(
    ledger: Ledger, items: Mapping[str, OpenItem]
) -> tuple[dict[str, Decimal], dict[str, list[str]], list[Difference]]:
    """What settles each item, who settled it, and the applications that land on nothing open.

    Settlements are taken in date order; an application to an invoice or debit memo already fully
    settled (or beyond its amount) is an `orphan_application` for the excess, which is then left
    out of the settled amount so the same excess is not reported again as an open-amount mismatch.
    Applications to ids that are not documents of the ledger are orphans in full.
    """
    settled: dict[str, Decimal] = defaultdict(Decimal)
    payers: dict[str, list[str]] = defaultdict(list)
    orphans: list[Difference] = []
    for payment in ledger.payments:
        for application in payment.applications:
            if application.item_id not in items:
                orphans.append(
                    Difference(
                        DifferenceClass.ORPHAN_APPLICATION, payment.customer_id,
                        (payment.payment_id, application.item_id), application.amount.amount,
                        application.amount.currency,
                        f"payment {payment.payment_id} applies {_shown(application.amount.amount)} to "
                        f"{application.item_id}, which is not a known document",
                    )
                )  # fmt: skip
    payer_of = {p.payment_id: p.customer_id for p in ledger.payments}
    for _day, _order, item_id, payment_id, amount in _settlements(ledger, items):
        item = items[item_id]
        settled[item_id] += amount
        if payment_id is not None:
            payers[item_id].append(payment_id)
        if item.doc_type is DocType.CREDIT_MEMO or payment_id is None:
            continue
        excess = min(amount, settled[item_id] - item.amount.amount)
        if excess > _ZERO:
            settled[item_id] -= excess
            closed = "was already settled" if excess == amount else f"had only {_shown(amount - excess)} open"
            orphans.append(
                Difference(
                    DifferenceClass.ORPHAN_APPLICATION, payer_of[payment_id], (payment_id, item_id), excess,
                    item.amount.currency,
                    f"payment {payment_id} applies {_shown(amount)} to {item_id}, which {closed} "
                    f"(amount {_shown(item.amount.amount)}): {_shown(excess)} lands on a closed document",
                )
            )  # fmt: skip
    return dict(settled), dict(payers), orphans


def rolled_back(items: Sequence[OpenItem], ledger: Ledger, day: date) -> list[OpenItem]:
    """The items with their stated open amount taken back to `day`: plus settlements dated after it."""
    later: dict[str, Decimal] = defaultdict(Decimal)
    for payment in ledger.payments:
        if payment.payment_date > day:
            for application in payment.applications:
                later[application.item_id] += application.amount.amount
    for writeoff in ledger.writeoffs:
        if writeoff.written_off_on > day:
            later[writeoff.item_id] += writeoff.amount.amount
    return [
        replace(i, open_amount=Money(i.open_amount.amount + later[i.item_id], i.open_amount.currency))
        if later.get(i.item_id) else i
        for i in items
    ]


def open_amount_mismatches(
    items: Iterable[OpenItem], settled: Mapping[str, Decimal], payers: Mapping[str, Sequence[str]]
) -> list[Difference]:
    """Documents whose stated open amount is not amount − applications − write-offs (amount = stated − computed)."""
    found: list[Difference] = []
    for item in items:
        computed = item.amount.amount - settled.get(item.item_id, _ZERO)
        gap = item.open_amount.amount - computed
        if gap:
            found.append(
                Difference(
                    DifferenceClass.OPEN_AMOUNT_MISMATCH, item.customer_id,
                    (item.item_id, *dict.fromkeys(payers.get(item.item_id, ()))), gap, item.amount.currency,
                    f"{item.item_id} states open {_shown(item.open_amount.amount)}, but amount "
                    f"{_shown(item.amount.amount)} less applications and write-offs leaves {_shown(computed)}",
                )
            )  # fmt: skip
    return found


def unapplied_cash(payments: Iterable[Payment]) -> list[Difference]:
    """Payments with money not applied to any document (amount = the unapplied part)."""
    found: list[Difference] = []
    for payment in payments:
        rest = payment.unapplied.amount
        if rest > _ZERO:
            found.append(
                Difference(
                    DifferenceClass.UNAPPLIED_CASH, payment.customer_id, (payment.payment_id,), rest,
                    payment.amount.currency,
                    f"payment {payment.payment_id} of {_shown(payment.amount.amount)} on {payment.payment_date} "
                    f"has {_shown(rest)} not applied to any document",
                )
            )  # fmt: skip
    return found


def duplicate_payments(payments: Iterable[Payment]) -> list[Difference]:
    """Payments recorded twice: same customer, amount, date and (non-empty) reference under different ids.

    Without a reference two equal payments on one day are plausible (two invoices of one price),
    so they are not reported. Amount = what the copies add beyond the first.
    """
    groups: dict[tuple[str, Decimal, str, date, str], list[Payment]] = defaultdict(list)
    for payment in payments:
        reference = (payment.reference or "").strip()
        if reference:
            key = (payment.customer_id, payment.amount.amount, payment.amount.currency, payment.payment_date,
                   reference.casefold())  # fmt: skip
            groups[key].append(payment)
    found: list[Difference] = []
    for (customer_id, _amount, _currency, day, _ref), group in groups.items():
        amount = group[0].amount
        ids = tuple(dict.fromkeys(p.payment_id for p in group))
        if len(ids) < 2:
            continue
        found.append(
            Difference(
                DifferenceClass.DUPLICATE_PAYMENT, customer_id, ids, amount.amount * (len(ids) - 1), amount.currency,
                f"{len(ids)} payments of {_shown(amount.amount)} on {day} with reference "
                f"{group[0].reference!r}: {', '.join(ids)}",
            )
        )  # fmt: skip
    return found


def balance_mismatches(
    ledger: Ledger,
    items: Sequence[OpenItem],
    erp_balances: Mapping[str, Decimal],
    netted_payments: Sequence[Payment] = (),
) -> list[Difference]:
    """Each customer's balance as the ERP reports it against the sum of its open items.

    Amount = ERP balance − sum of open items. A customer the ledger has but the ERP list lacks
    counts as an ERP balance of 0; one the ERP lists but the ledger lacks, as no open items.
    When one open item's amount equals the difference, the detail names it (a document one side
    has and the other has not). `netted_payments`: for an ERP whose balance deducts unapplied
    cash, their unapplied parts are deducted from the open items' sum too.
    """
    unapplied: dict[str, Decimal] = defaultdict(Decimal)
    for payment in netted_payments:
        unapplied[payment.customer_id] += payment.unapplied.amount
    currency_of = {c.customer_id: c.currency for c in ledger.customers}
    currencies = set(currency_of.values())
    only_currency = next(iter(currencies)) if len(currencies) == 1 else ""
    open_items: dict[str, list[OpenItem]] = defaultdict(list)
    for item in items:
        if item.open_amount.amount:
            open_items[item.customer_id].append(item)
    found: list[Difference] = []
    for customer_id in dict.fromkeys([*currency_of, *erp_balances]):
        mine = open_items.get(customer_id, [])
        total = sum((i.open_amount.amount for i in mine), _ZERO) - unapplied.get(customer_id, _ZERO)
        erp = erp_balances.get(customer_id, _ZERO)
        gap = erp - total
        if not gap:
            continue
        currency = currency_of.get(customer_id) or (mine[0].open_amount.currency if mine else only_currency)
        less = " less unapplied cash" if unapplied.get(customer_id) else ""
        detail = f"the ERP reports a balance of {_shown(erp)}, the open items{less} add up to {_shown(total)}"
        if customer_id not in erp_balances:
            detail += " (the customer is not in the ERP's balance list)"
        elif customer_id not in currency_of:
            detail += " (the customer is not in the ledger)"
        explained = [i.item_id for i in mine if i.open_amount.amount == -gap]
        if explained:
            detail += f"; {explained[0]} is open for exactly the difference"
        found.append(
            Difference(
                DifferenceClass.BALANCE_MISMATCH, customer_id, tuple(explained or (i.item_id for i in mine)), gap,
                currency, detail,
            )
        )  # fmt: skip
    return found


def gl_control_differences(
    items: Sequence[OpenItem], payments: Sequence[Payment], gl: Mapping[str, tuple[tuple[str, Decimal], ...]]
) -> list[Difference]:
    """The AR aging total (sum of open items) per currency against the GL control account(s).

    `gl` maps a currency to its (account, balance) pairs. Amount = GL − AR. When the difference
    equals the unapplied cash, the detail says so: the GL then carries receipts the sub-ledger
    has not applied yet.
    """
    found: list[Difference] = []
    for currency, accounts in gl.items():
        total = sum((i.open_amount.amount for i in items if i.open_amount.currency == currency), _ZERO)
        balance = sum((b for _a, b in accounts), _ZERO)
        gap = balance - total
        if not gap:
            continue
        names = tuple(a for a, _b in accounts)
        detail = (
            f"GL control {'+'.join(names)} is {_shown(balance)} {currency}, the AR aging total is {_shown(total)}"
        )
        unapplied = sum((p.unapplied.amount for p in payments if p.amount.currency == currency), _ZERO)
        if unapplied and gap == -unapplied:
            detail += f"; the difference is the unapplied cash ({_shown(unapplied)}) the GL has netted"
        found.append(Difference(DifferenceClass.GL_CONTROL_DIFFERENCE, None, names, gap, currency, detail))
    return found
