"""The rule-only baseline an ERP ships: an exact reference token, else oldest-first exact sum.

Customer by a known bank account or the exact (case-insensitive) name; a remittance token equal to
an open invoice number applies that invoice when the amount equals its open amount (Odoo/ERPNext
style); otherwise the customer's open items oldest first are summed and applied if the running sum
hits the amount exactly. Anything else stays unapplied. No fuzzy matching, no tolerance.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from scorer import Outcome

from creditbridge.core.model import BankTransaction, Customer, OpenItem
from creditbridge.core.money import to_units

_TOKEN = re.compile(r"[0-9A-Za-z\-]+")


def baseline(customers: Sequence[Customer], items: Sequence[OpenItem], transactions: Sequence[BankTransaction]) -> list[Outcome]:
    by_account = {a: c.customer_id for c in customers for a in c.bank_accounts}
    by_name = {c.name.upper(): c.customer_id for c in customers}
    open_items = {i.item_id: i for i in items if i.open_amount.amount != 0}
    remaining = {i: to_units(item.open_amount.amount) for i, item in open_items.items()}
    per_customer: dict[str, list[OpenItem]] = defaultdict(list)
    for item in open_items.values():
        per_customer[item.customer_id].append(item)
    for listed in per_customer.values():
        listed.sort(key=lambda i: (i.due_date, i.item_id))
    outcomes = []
    for tx in transactions:
        units = to_units(tx.amount.amount)
        words = [line.document_number or "" for line in tx.remittance_lines] + _TOKEN.findall(tx.remittance_text or "")
        hits = [w for w in words if w in remaining and remaining[w] > 0]
        if hits and sum(remaining[h] for h in hits) == units:
            for h in hits:
                remaining[h] = 0
            outcomes.append(Outcome(tx.transaction_id, "auto", 1.0, frozenset(hits)))
            continue
        customer = by_account.get(tx.payer_account or "") or by_name.get((tx.payer_name or "").upper())
        applied: list[str] = []
        if customer is not None:
            running = 0
            for item in per_customer[customer]:
                if remaining[item.item_id] <= 0:
                    continue
                running += remaining[item.item_id]
                applied.append(item.item_id)
                if running >= units:
                    break
            if running != units:
                applied = []
        if applied:
            for a in applied:
                remaining[a] = 0
            outcomes.append(Outcome(tx.transaction_id, "auto", 1.0, frozenset(applied)))
        else:
            outcomes.append(Outcome(tx.transaction_id, "unapplied", 0.0, frozenset()))
    return outcomes
