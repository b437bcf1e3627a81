"""The open items of a ledger, indexed for matching: by reference key, by customer family, by amount.

Built once per run, column-wise: one list comprehension per attribute and a numpy sort put every
customer family's open items next to each other, oldest due first, so a family is a slice; no
per-item Python object is made for the million items no payment asks about. Reference keys are
the invoice numbers themselves wherever a number is its own key (plain numbers, the usual case),
so only other numbers get a map of their own. Amount indexes are built lazily per family, the first
time a payment from that family needs them. `remaining` tracks what this run has applied (filled
as items are first looked at), so two payments of one invoice in one statement do not both take it.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from itertools import pairwise, repeat
from operator import attrgetter, mul

import numpy as np

from creditbridge.core.cashapp.references import MIN_KEY_DIGITS, constant_prefix, document_key, short_key
from creditbridge.core.model import Customer, DocType, OpenItem
from creditbridge.core.money import minor_digits

_RATIOS: dict[Decimal, tuple[int, int]] = {}
_UNITS_PER_MINOR = {0: 10_000, 1: 1_000, 2: 100, 3: 10, 4: 1}
"""Integer units (1/10,000) in one minor unit, by the currency's minor digits."""
_UNITS = Decimal(10_000)
_ID = attrgetter("item_id")
_OPEN = attrgetter("open_amount.amount")
_PO = attrgetter("po_number")
_CUSTOMER = attrgetter("customer_id")
_CURRENCY = attrgetter("amount.currency")
_DUE = attrgetter("due_date")
_ISSUED = attrgetter("invoice_date")


def discount_units(item: OpenItem, open_units: int) -> int:
    """The item's early-payment discount on `open_units`, by its own terms, in whole minor units.

    Integer arithmetic, rounded half-even to the currency's minor unit: the same figure as the
    Decimal computation, without Decimal work in the matcher's inner loops.
    """
    percent = item.discount_percent
    if not percent or open_units <= 0:
        return 0
    ratio = _RATIOS.get(percent)
    if ratio is None:
        ratio = _RATIOS[percent] = percent.as_integer_ratio()
    minor = _UNITS_PER_MINOR[minor_digits(item.amount.currency)]
    numerator, denominator = open_units * ratio[0], ratio[1] * 100 * minor
    quotient, rest = divmod(numerator, denominator)
    if 2 * rest > denominator or (2 * rest == denominator and quotient % 2):
        quotient += 1
    return quotient * minor


def open_units(item: OpenItem) -> int:
    """The item's open amount in integer units (exact: ledgers carry at most 4 decimals)."""
    return int(item.open_amount.amount.scaleb(4))


def _plain(number: str) -> bool:
    """The number is its own reference key (digits without leading zeros, or what document_key keeps)."""
    return (number.isdigit() and number[0] != "0") or document_key(number) == number


class FamilyItems:
    """One customer family's open items, oldest due first, with the lookups matching needs (one pass)."""

    __slots__ = (
        "amounts",
        "by_number",
        "credit_memos",
        "discount_nets",
        "discounted",
        "first_open",
        "first_open_number",
        "items",
        "keys",
    )

    def __init__(self, items: list[OpenItem], index: OpenItemIndex) -> None:
        self.items: list[OpenItem] = []
        self.first_open = 0
        """Items before this position are settled in this run (settled items never reopen)."""
        self.by_number: list[OpenItem] | None = None
        self.first_open_number = 0
        self.amounts: dict[int, list[str]] = {}
        self.credit_memos: list[OpenItem] = []
        self.discounted: list[OpenItem] = []
        self.discount_nets: dict[int, list[str]] | None = None
        self.keys: FamilyKeys | None = None
        remaining = index.remaining
        # open amounts in integer units, converted in C (map) rather than one Python call per item
        ledger_units = map(int, map(mul, map(_OPEN, items), repeat(_UNITS)))
        for item, fresh in zip(items, ledger_units, strict=True):
            item_id = item.item_id
            units = remaining.get(item_id)
            if units is None:
                units = remaining[item_id] = fresh
                if units == 0:  # closed in the ledger
                    continue
            self.items.append(item)
            if item.doc_type is DocType.CREDIT_MEMO:
                self.credit_memos.append(item)
                continue
            found = self.amounts.get(units)
            if found is None:
                self.amounts[units] = [item_id]
            else:
                found.append(item_id)
            if item.discount_percent:
                self.discounted.append(item)


def number_order(item: OpenItem) -> tuple[int, str]:
    """Document numbers in issue order: shorter numbers first (`999` before `1000`), then as written."""
    return len(item.item_id), item.item_id


class FamilyKeys:
    """A family's reference keys → its items, for fuzzy search: which items a set of candidate keys names.

    Plain numbers (digits, no leading zero) are their own key, so they are one set built in C; a
    short key (the number without the tenant's constant prefix) is turned back into the full
    numbers it can stand for and looked up there. Only other numbers get a map, built item by item.
    Why: a large customer's family is built on its first mistyped reference; per-item dict work
    over tens of thousands of invoices cost more than the lookups it served.
    """

    __slots__ = ("_cut", "_lengths", "_other", "_plain", "_prefix")

    def __init__(self, items: list[OpenItem], prefix: str) -> None:
        ids = list(map(_ID, items))
        self._plain = {i for i in ids if i.isdigit() and i[0] != "0"}
        self._lengths = sorted(set(map(len, self._plain)))
        self._prefix, self._cut = prefix, len(prefix)
        self._other: dict[str, list[str]] = {}
        for item_id in ids:
            if item_id in self._plain:
                continue
            key = (item_id.lstrip("0") or "0") if item_id.isdigit() else document_key(item_id)
            self._other.setdefault(key, []).append(item_id)
            if self._cut and key.startswith(prefix):
                short = key[self._cut :].lstrip("0")
                if len(short) >= MIN_KEY_DIGITS:
                    self._other.setdefault(short, []).append(item_id)

    def find(self, keys: set[str]) -> set[str]:
        """The items any of `keys` names (a set of digit keys: a reference and its one-edit neighbours)."""
        found = keys & self._plain
        if self._cut and self._lengths:
            longest = self._lengths[-1] - self._cut
            for key in keys:
                if MIN_KEY_DIGITS <= len(key) <= longest and key[0] != "0":
                    for length in self._lengths:
                        zeros = length - self._cut - len(key)
                        if zeros >= 0:
                            full = self._prefix + "0" * zeros + key
                            if full in self._plain:
                                found.add(full)
        if self._other:
            for key in keys & self._other.keys():
                found.update(self._other[key])
        return found


def _still_open(items: list[OpenItem], start: int, remaining: dict[str, int]) -> Iterator[OpenItem]:
    for position in range(start, len(items)):
        item = items[position]
        if remaining.get(item.item_id, 0) != 0:
            yield item


class _KeyMap:
    """key → item ids; one id per key is the common case, so collisions live apart."""

    __slots__ = ("_multi", "_one")

    def __init__(self) -> None:
        self._one: dict[str, str] = {}
        self._multi: dict[str, list[str]] = {}

    def add(self, key: str, item_id: str) -> None:
        current = self._one.get(key)
        if current is None:
            self._one[key] = item_id
        elif current != item_id:
            ids = self._multi.setdefault(key, [current])
            if item_id not in ids:
                ids.append(item_id)

    def get(self, key: str) -> list[str]:
        multi = self._multi.get(key)
        if multi is not None:
            return multi
        one = self._one.get(key)
        return [one] if one is not None else []


class _OpenKeys:
    """Reference key → open items: the number itself where it is its own key, else a map; short keys derived.

    A short key is a key without the tenant's constant prefix (`short_key`): rather than indexing
    every invoice a second time, its full keys are rebuilt (prefix + zeros + short key, for each key
    length the ledger has) and looked up.
    """

    def __init__(self, index: OpenItemIndex, other: _KeyMap, prefix: str, lengths: set[int]) -> None:
        self._index = index
        self._other = other
        self._prefix = prefix
        self._lengths = sorted(lengths)

    def _direct(self, key: str) -> list[str]:
        found = list(self._other.get(key))
        item = self._index.items.get(key)
        if item is not None and item.open_amount.amount and _plain(key):
            found.append(key)
        return found

    def get(self, key: str) -> list[str]:
        found = self._direct(key)
        prefix = self._prefix
        if prefix and len(key) >= MIN_KEY_DIGITS and key[0] != "0" and key.isdigit():
            for length in self._lengths:
                zeros = length - len(prefix) - len(key)
                if zeros >= 0:
                    found += self._direct(prefix + "0" * zeros + key)
        return found


class OpenItemIndex:
    def __init__(self, customers: Iterable[Customer], items: Iterable[OpenItem]) -> None:
        self.customers = {c.customer_id: c for c in customers}
        self._root: dict[str, str] = {}
        item_list = items if isinstance(items, list) else list(items)
        self._item_list = item_list
        # column-wise: map(attrgetter) runs the per-item loop in C (a Python loop over 1M items costs seconds)
        ids = list(map(_ID, item_list))
        self.items: dict[str, OpenItem] = dict(zip(ids, item_list, strict=True))
        self.remaining: dict[str, int] = {}
        self.prefix = constant_prefix(document_key(i) for i in ids[:: max(1, len(ids) // 5000)])
        amounts = list(map(_OPEN, item_list))
        self.closed_keys = _KeyMap()
        for item in [item for item, amount in zip(item_list, amounts, strict=True) if not amount]:
            if item.doc_type is not DocType.CREDIT_MEMO and open_units(item) == 0:
                key = document_key(item.item_id)
                self.closed_keys.add(key, item.item_id)
                short = short_key(key, self.prefix)
                if short:
                    self.closed_keys.add(short, item.item_id)
        other = _KeyMap()
        lengths = set(map(len, ids))
        for item_id in [i for i in ids if not i.isdigit() or i[0] == "0"]:
            key = document_key(item_id)
            if key != item_id and open_units(self.items[item_id]) != 0:
                other.add(key, item_id)
                lengths.add(len(key))
        self.open_keys = _OpenKeys(self, other, self.prefix, lengths)
        self.po_keys = _KeyMap()
        for item in filter(_PO, item_list):
            if open_units(item) != 0:
                self.po_keys.add(document_key(item.po_number or ""), item.item_id)
        self._group_families(item_list, ids)
        self._families: dict[tuple[str, str], FamilyItems] = {}

    def _group_families(self, item_list: list[OpenItem], ids: list[str]) -> None:
        """Sort the items so each (family, currency) is one run, oldest due first (due, invoice date, number)."""
        code: dict[str, int] = {}
        for customer_id in self.customers:
            code[customer_id] = code.setdefault(self.family_of(customer_id), len(code))
        customer_ids = list(map(_CUSTOMER, item_list))
        for customer_id in set(customer_ids) - code.keys():  # customers the ledger does not list: a family each
            code[customer_id] = code.setdefault(self.family_of(customer_id), len(code))
        self._family_code = code
        currencies = list(map(_CURRENCY, item_list))
        self._currency_code = {c: n for n, c in enumerate(sorted(set(currencies)))}
        count = len(item_list)
        group = np.fromiter(map(code.__getitem__, customer_ids), dtype=np.int64, count=count)
        if len(self._currency_code) > 1:
            group *= len(self._currency_code)
            group += np.fromiter(map(self._currency_code.__getitem__, currencies), dtype=np.int64, count=count)
        due = np.fromiter(map(date.toordinal, map(_DUE, item_list)), dtype=np.int64, count=count)
        issued = np.fromiter(map(date.toordinal, map(_ISSUED, item_list)), dtype=np.int64, count=count)
        rank = np.empty(count, dtype=np.int64)
        rank[np.fromiter(sorted(range(count), key=ids.__getitem__), dtype=np.int64, count=count)] = np.arange(count)
        order = np.lexsort((rank, issued, due, group))
        groups = group[order]
        bounds = [0, *(np.flatnonzero(np.diff(groups)) + 1).tolist(), count] if count else [0]
        self._order = order
        self._runs: dict[int, tuple[int, int]] = {int(groups[start]): (start, end) for start, end in pairwise(bounds)}

    def family_of(self, customer_id: str) -> str:
        """The root of the customer's parent chain: a parent and its children pay for each other."""
        root = self._root.get(customer_id)
        if root is not None:
            return root
        seen = {customer_id}
        current = customer_id
        while True:
            customer = self.customers.get(current)
            parent = customer.parent_id if customer else None
            if not parent or parent in seen or parent not in self.customers:
                break
            seen.add(parent)
            current = parent
        self._root[customer_id] = current
        return current

    def family(self, family: str, currency: str) -> FamilyItems:
        """The family's open items in `currency` and their lookups, built once on first use."""
        cache_key = (family, currency)
        found = self._families.get(cache_key)
        if found is None:
            code = self._family_code.get(family)
            currency_code = self._currency_code.get(currency)
            run = None
            if code is not None and currency_code is not None:
                several = len(self._currency_code) > 1
                run = self._runs.get(code * len(self._currency_code) + currency_code if several else code)
            members: list[OpenItem] = []
            if run is not None:
                item_list = self._item_list
                members = [item_list[k] for k in self._order[run[0] : run[1]].tolist()]
            found = self._families[cache_key] = FamilyItems(members, self)
        return found

    def units(self, item_id: str) -> int:
        """What is open of the item in this run, in integer units (0 for a closed item)."""
        units = self.remaining.get(item_id)
        if units is None:
            units = self.remaining[item_id] = open_units(self.items[item_id])
        return units

    def family_items(self, family: str, currency: str) -> list[OpenItem]:
        """Open items of every customer of the family in `currency`, oldest due first."""
        return self.family(family, currency).items

    def open_in_family(self, family: str, currency: str) -> Iterator[OpenItem]:
        """The family's items still open in this run, oldest due first (lazily).

        The settled head of the list is skipped once and remembered: payments settle the oldest
        items first, and a large customer's head would otherwise be walked again for every payment.
        """
        group = self.family(family, currency)
        remaining = self.remaining
        items = group.items
        start = group.first_open
        while start < len(items) and remaining.get(items[start].item_id, 0) == 0:
            start += 1
        group.first_open = start
        return _still_open(items, start, remaining)

    def by_number(self, family: str, currency: str) -> tuple[list[OpenItem], int]:
        """The family's invoices in document-number order (credit memos left out), and where the open ones start.

        Why a second order: invoice numbers are issued in sequence, and a customer clearing "the
        oldest" in its own books goes by its invoice list, not by our due dates — invoices issued
        within a few days of each other (and due dates that differ by terms) interleave otherwise.
        Items from the start position on may be settled too: check `remaining`.
        """
        group = self.family(family, currency)
        items = group.by_number
        if items is None:
            invoices = [i for i in group.items if i.doc_type is not DocType.CREDIT_MEMO]
            one_length = len(set(map(len, map(_ID, invoices)))) <= 1
            items = group.by_number = sorted(invoices, key=_ID if one_length else number_order)
        remaining = self.remaining
        start = group.first_open_number
        while start < len(items) and remaining.get(items[start].item_id, 0) == 0:
            start += 1
        group.first_open_number = start
        return items, start

    def open_by_number(self, family: str, currency: str) -> Iterator[OpenItem]:
        """The family's invoices still open in this run in document-number order (lazily; see `by_number`)."""
        items, start = self.by_number(family, currency)
        return _still_open(items, start, self.remaining)

    def around_by_number(self, family: str, currency: str, named: list[str], margin: int, span: int) -> list[OpenItem]:
        """The family's open invoices numbered between the first and last of `named`, and `margin` either side.

        Empty when the named invoices are more than `span` numbers of the family apart (a scattered set
        gives no window). Settled items are skipped; the named ones are included.
        """
        items, first_open = self.by_number(family, currency)
        orders = [number_order(self.items[i]) for i in named]
        low = bisect_left(items, min(orders), key=number_order)
        high = bisect_right(items, max(orders), key=number_order)
        if high - low > span:
            return []
        remaining = self.remaining
        before: list[OpenItem] = []
        position = low - 1
        while position >= first_open and len(before) < margin and low - position <= span:
            if remaining.get(items[position].item_id, 0) != 0:
                before.append(items[position])
            position -= 1
        window = before[::-1]
        window += [i for i in items[low:high] if remaining.get(i.item_id, 0) != 0]
        position, after = high, 0
        while position < len(items) and after < margin and position - high <= span:
            if remaining.get(items[position].item_id, 0) != 0:
                window.append(items[position])
                after += 1
            position += 1
        return window

    def family_credit_memos(self, family: str, currency: str) -> list[OpenItem]:
        """The family's credit memos, oldest first (a short payment may net one the payer did not name)."""
        return self.family(family, currency).credit_memos

    def family_amounts(self, family: str, currency: str) -> dict[int, list[str]]:
        """Open amount when first seen → the family's items (check `remaining` before use)."""
        return self.family(family, currency).amounts

    def family_discount_nets(self, family: str, currency: str) -> dict[int, list[str]]:
        """Net amount (open less the item's own discount, rounded to cents) → items, for items with terms."""
        group = self.family(family, currency)
        if group.discount_nets is None:
            nets: dict[int, list[str]] = {}
            for item in group.discounted:
                units = self.remaining[item.item_id]
                nets.setdefault(units - discount_units(item, units), []).append(item.item_id)
            group.discount_nets = nets
        return group.discount_nets

    def family_keys(self, family: str, currency: str) -> FamilyKeys:
        """Reference key (short keys too) → the family's open items, for fuzzy search; built on first use."""
        group = self.family(family, currency)
        if group.keys is None:
            group.keys = FamilyKeys(group.items, self.prefix)
        return group.keys

    def consume(self, item_id: str, units: int) -> None:
        """This run applied `units` to the item (amount indexes are filtered by `remaining` on use)."""
        self.remaining[item_id] = self.units(item_id) - units
