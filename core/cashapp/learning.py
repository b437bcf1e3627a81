"""What cash application learns from confirmed matches: plain data the store keeps and passes in.

Payer accounts and names a person confirmed for a customer (SAP's learned payer-key tables,
US11861692), tokens a customer habitually writes in its references (its own customer number at
us, a contract id), and payer/customer pairs a person rejected. Learning returns a new memory; it
never changes one in place.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from creditbridge.core.cashapp.payers import normalise_account, normalise_name
from creditbridge.core.cashapp.references import document_key
from creditbridge.core.model import BankTransaction, OpenItem, Payment

_HABIT_TOKEN = re.compile(r"[0-9A-Z][0-9A-Z\-/]{3,}")
MIN_HABIT_USES = 2


@dataclass(frozen=True, slots=True)
class MatchMemory:
    accounts: Mapping[str, str] = field(default_factory=dict)
    """normalised payer account → customer id"""
    names: Mapping[str, str] = field(default_factory=dict)
    """normalised payer name → customer id"""
    reference_tokens: Mapping[str, str] = field(default_factory=dict)
    """a token one customer (and no other) writes in its references → customer id"""
    rejected: frozenset[tuple[str, str]] = frozenset()
    """(normalised payer name or account, customer id) pairs a person said are wrong"""

    def merged(self, other: MatchMemory) -> MatchMemory:
        """`other`'s facts over this one's (later confirmations win)."""
        return MatchMemory(
            {**self.accounts, **other.accounts},
            {**self.names, **other.names},
            {**self.reference_tokens, **other.reference_tokens},
            self.rejected | other.rejected,
        )


def habit_tokens(reference: str, invoice_keys: set[str]) -> set[str]:
    """Tokens of a reference that are not invoice numbers the payment paid (candidates for habits)."""
    return {t for t in _HABIT_TOKEN.findall(reference.upper()) if document_key(t) not in invoice_keys}


def learn_from_history(payments: Iterable[Payment], items: Iterable[OpenItem]) -> MatchMemory:
    """Reference habits from past payments: tokens that recur for one customer and never for another.

    payments.csv has no payer names or accounts, so history teaches habits only; names and
    accounts come from confirmations (`learn_confirmation`).
    """
    keys_of_item = {item.item_id: document_key(item.item_id) for item in items}
    uses: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for payment in payments:
        if not payment.reference:
            continue
        paid = {keys_of_item.get(a.item_id, document_key(a.item_id)) for a in payment.applications}
        for token in habit_tokens(payment.reference, paid):
            uses[token][payment.customer_id] += 1
    tokens = {
        token: next(iter(by_customer))
        for token, by_customer in uses.items()
        if len(by_customer) == 1 and next(iter(by_customer.values())) >= MIN_HABIT_USES
    }
    return MatchMemory(reference_tokens=tokens)


def learn_confirmation(
    memory: MatchMemory, transaction: BankTransaction, customer_id: str, item_ids: Iterable[str] = ()
) -> MatchMemory:
    """A person confirmed `transaction` as `customer_id`'s: remember its payer account, name and habits."""
    accounts = dict(memory.accounts)
    names = dict(memory.names)
    tokens = dict(memory.reference_tokens)
    if transaction.payer_account:
        accounts[normalise_account(transaction.payer_account)] = customer_id
    if transaction.payer_name and normalise_name(transaction.payer_name):
        names[normalise_name(transaction.payer_name)] = customer_id
    if transaction.remittance_text:
        paid = {document_key(i) for i in item_ids}
        for token in habit_tokens(transaction.remittance_text, paid):
            if any(ch.isalpha() for ch in token) and any(ch.isdigit() for ch in token):
                tokens[token] = customer_id
    rejected = frozenset(
        pair
        for pair in memory.rejected
        if pair[1] != customer_id
        or pair[0]
        not in {normalise_account(transaction.payer_account or ""), normalise_name(transaction.payer_name or "")}
    )
    return replace(memory, accounts=accounts, names=names, reference_tokens=tokens, rejected=rejected)


def learn_rejection(memory: MatchMemory, transaction: BankTransaction, customer_id: str | None) -> MatchMemory:
    """A person rejected a proposal naming `customer_id`: stop resolving this payer to it."""
    if customer_id is None:
        return memory
    pairs = set(memory.rejected)
    accounts = dict(memory.accounts)
    names = dict(memory.names)
    if transaction.payer_account:
        key = normalise_account(transaction.payer_account)
        pairs.add((key, customer_id))
        if accounts.get(key) == customer_id:
            del accounts[key]
    if transaction.payer_name:
        key = normalise_name(transaction.payer_name)
        pairs.add((key, customer_id))
        if names.get(key) == customer_id:
            del names[key]
    return replace(memory, accounts=accounts, names=names, rejected=frozenset(pairs))
