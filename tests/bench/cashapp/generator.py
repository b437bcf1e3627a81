"""A seeded generator of cash-application cases with ground truth (cash-application.md §3).

Customers with Zipf-distributed sizes, dense sequential invoice numbers (SAP-like `18…`), 10% of
customers billing identical subscription amounts, discount terms on some invoices, a parent for
some customers; then payments, each carrying the noise of the reference's table at the profile's
rates (several kinds may combine on one payment). Every payment's truth is the set of invoices it
pays (empty for a duplicate or a payment with no invoice: the right outcome there is "unapplied").
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from creditbridge.core.model import BankTransaction, Customer, DocType, OpenItem, RemittanceLine
from creditbridge.core.money import Money

STATEMENT_DATE = date(2026, 11, 30)
CURRENCY = "USD"

# noise kind → rate per payment in the medium profile (the reference's table, §3)
MEDIUM = {
    "multi_invoice": 0.15, "lump_no_remittance": 0.10, "reference_missing": 0.20, "reference_mangled": 0.12,
    "wrong_document_type": 0.05, "discount": 0.07, "short_pay": 0.06, "bank_fee": 0.05, "fx_difference": 0.03,
    "partial_payment": 0.05, "overpayment": 0.02, "duplicate": 0.02, "payer_name_differs": 0.35,
    "third_party_payer": 0.05, "credit_memo_netting": 0.035, "unidentifiable": 0.035,
}  # fmt: skip
PROFILES = {
    "easy": {k: v * 0.5 for k, v in MEDIUM.items()},
    "medium": MEDIUM,
    "hard": {k: min(0.6, v * 1.6) for k, v in MEDIUM.items()},
}
SUBSCRIPTION_SHARE = 0.10
KNOWN_ACCOUNT_SHARE = 0.70
PARENT_SHARE = 0.05
PARENT_LINK_KNOWN = 0.80
STRUCTURED_SHARE = 0.40

_FIRST = ("Northern", "Atlas", "Cobalt", "Summit", "Pioneer", "Harbor", "Granite", "Silver", "Evergreen", "Apex",
          "Blue", "Crescent", "Delta", "Eagle", "Falcon", "Golden", "Horizon", "Iron", "Jade", "Keystone", "Liberty",
          "Maple", "Nova", "Orion", "Pacific", "Quantum", "Redwood", "Sterling", "Titan", "United", "Vertex",
          "Western", "Zenith", "Alpine", "Beacon", "Cedar", "Dynamic", "Empire", "Frontier", "Global")  # fmt: skip
_SECOND = ("Valley", "River", "Ridge", "Point", "Bay", "Lake", "Stone", "Field", "Peak", "Bridge", "Harvest", "Star",
           "Coast", "Forest", "Prairie", "Canyon", "Meadow", "Harbour", "Lion", "Oak", "", "", "", "")  # fmt: skip
_INDUSTRY = ("Logistics", "Manufacturing", "Services", "Technologies", "Industries", "Distribution", "Foods",
             "Supply", "Engineering", "Systems", "Holdings", "International", "Retail", "Trading", "Medical",
             "Electric", "Construction", "Packaging", "Chemicals", "Textiles")  # fmt: skip
_SUFFIX = ("Inc", "LLC", "Corp", "Ltd", "Co", "GmbH", "Inc.", "Corporation", "Limited", "")
_ABBREVIATE = {"International": "Intl", "Manufacturing": "Mfg", "Services": "Svcs", "Technologies": "Tech",
               "Industries": "Inds", "Distribution": "Dist", "Engineering": "Engr", "Systems": "Sys",
               "Holdings": "Hldgs", "Electric": "Elec"}  # fmt: skip


@dataclass
class Truth:
    payment_id: str
    tags: tuple[str, ...]
    invoices: frozenset[str]

    @property
    def expect_unapplied(self) -> bool:
        return not self.invoices


@dataclass
class Case:
    customers: list[Customer]
    items: list[OpenItem]
    transactions: list[BankTransaction]
    truth: dict[str, Truth]
    debits: int = 0
    parameters: dict[str, object] = field(default_factory=dict)


@dataclass
class _Invoice:
    number: str
    customer: int
    issued: date
    units: int  # cents
    open_cents: int
    po: str | None = None
    discount: bool = False
    credit_memo: bool = False


def _cents(value: int) -> Money:
    return Money(Decimal(value).scaleb(-2), CURRENCY)


def _iban(rng: random.Random) -> str:
    return "DE" + "".join(str(rng.randrange(10)) for _ in range(20))


def generate(profile: str = "medium", seed: int = 1, payments: int = 20_000, invoices: int = 1_000_000,
             customers: int = 20_000) -> Case:  # fmt: skip
    rng = random.Random(seed)
    rates = PROFILES[profile]
    # --- customers, Zipf sizes
    weights = [1 / (rank**0.8) for rank in range(1, customers + 1)]
    scale = (invoices - customers) / sum(weights)
    sizes = [1 + int(w * scale) for w in weights]
    sizes[0] += invoices - sum(sizes)
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < customers:
        name = " ".join(p for p in (rng.choice(_FIRST), rng.choice(_SECOND), rng.choice(_INDUSTRY), rng.choice(_SUFFIX)) if p)
        if name in seen:
            name = f"{name.rsplit(' ', 1)[0]} {len(names)} {name.rsplit(' ', 1)[1]}"
        seen.add(name)
        names.append(name)
    accounts = [_iban(rng) for _ in range(customers)]
    known_account = [rng.random() < KNOWN_ACCOUNT_SHARE for _ in range(customers)]
    parent: list[int | None] = [None] * customers
    parent_known = [False] * customers
    for c in range(customers // 10, customers):  # smaller customers may have a parent among the larger ones
        if rng.random() < PARENT_SHARE:
            parent[c] = rng.randrange(0, customers // 10)
            parent_known[c] = rng.random() < PARENT_LINK_KNOWN
    subscription = [rng.random() < SUBSCRIPTION_SHARE for _ in range(customers)]
    # --- invoices: sequential numbers in issue order
    records: list[_Invoice] = []
    by_customer: list[list[int]] = [[] for _ in range(customers)]
    order = [c for c, size in enumerate(sizes) for _ in range(size)]
    rng.shuffle(order)
    base_amount = [max(2000, int(rng.lognormvariate(11.5, 0.8))) for _ in range(customers)]
    for seq, c in enumerate(order):
        issued = STATEMENT_DATE - timedelta(days=int(120 * (1 - seq / len(order))) + rng.randrange(3))
        units = base_amount[c] if subscription[c] else max(500, int(rng.lognormvariate(12.1, 1.0)))
        po = f"PO-{rng.randrange(10**6, 10**7)}" if rng.random() < 0.3 else None
        records.append(_Invoice(f"18{seq + 1:08d}", c, issued, units, units, po, rng.random() < 0.2))
        by_customer[c].append(seq)
    next_seq = len(records)

    def new_invoice(c: int, units: int, credit_memo: bool = False, closed: bool = False) -> int:
        nonlocal next_seq
        next_seq += 1
        issued = STATEMENT_DATE - timedelta(days=rng.randrange(20, 90))
        records.append(_Invoice(f"18{next_seq:08d}", c, issued, units, 0 if closed else units, None, False, credit_memo))
        if not closed:
            by_customer[c].append(len(records) - 1)
        return len(records) - 1

    used: set[int] = set()
    transactions: list[BankTransaction] = []
    truth: dict[str, Truth] = {}
    pick_weights = [float(s) for s in sizes]
    cumulative = []
    total = 0.0
    for w in pick_weights:
        total += w
        cumulative.append(total)

    start = [0] * customers

    def oldest_unused(c: int, k: int) -> list[int]:
        """The customer's k oldest invoices no other payment took (by number: numbers follow issue dates)."""
        listed = by_customer[c]
        while start[c] < len(listed) and (listed[start[c]] in used or records[listed[start[c]]].credit_memo):
            start[c] += 1
        found = []
        for i in listed[start[c] :]:
            if i not in used and not records[i].credit_memo:
                found.append(i)
                if len(found) == k:
                    break
        return found

    def random_unused(c: int, k: int) -> list[int]:
        listed = by_customer[c]
        found: set[int] = set()
        for _ in range(k * 20):
            i = listed[rng.randrange(start[c], len(listed))] if start[c] < len(listed) else None
            if i is not None and i not in used and not records[i].credit_memo:
                found.add(i)
                if len(found) == k:
                    break
        return sorted(found) or oldest_unused(c, k)

    for n in range(payments):
        pid = f"E2E{seed:02d}{n:07d}"
        tags: list[str] = []
        c = rng.choices(range(customers), cum_weights=cumulative)[0]
        if not oldest_unused(c, 1):
            continue
        chosen: list[int]
        if rng.random() < rates["unidentifiable"]:
            tags.append("unidentifiable")
            amount = max(500, int(rng.lognormvariate(12, 1)))
            name = f"{rng.choice(_FIRST)} {rng.choice(_INDUSTRY)} Partners {rng.randrange(100, 999)}"
            text = rng.choice(["", "payment", f"order {rng.randrange(10**5, 10**6)}", "thank you"])
            transactions.append(BankTransaction(pid, STATEMENT_DATE, _cents(amount), name, _iban(rng), text or None,
                                                end_to_end_id=pid))  # fmt: skip
            truth[pid] = Truth(pid, tuple(tags), frozenset())
            continue
        if rng.random() < rates["duplicate"]:
            tags.append("duplicate")
            dup = new_invoice(c, max(500, int(rng.lognormvariate(12.1, 1.0))), closed=True)
            tx = _transaction(rng, pid, c, [dup], records[dup].units, names, accounts, known_account, parent,
                              rates, tags, records, structured=rng.random() < STRUCTURED_SHARE)  # fmt: skip
            transactions.append(tx)
            truth[pid] = Truth(pid, tuple(tags), frozenset())
            continue
        multi = rng.random() < rates["multi_invoice"]
        lump = not multi and rng.random() < rates["lump_no_remittance"]
        if multi or lump:
            k = rng.randint(2, 12) if multi else rng.randint(1, 5)
            chosen = oldest_unused(c, k) if lump or rng.random() < 0.7 else random_unused(c, k)
            tags.append("multi_invoice" if multi else "lump_no_remittance")
        else:
            chosen = random_unused(c, 1)
        if multi and rng.random() < rates["credit_memo_netting"] / rates["multi_invoice"]:
            largest = max(records[i].units for i in chosen)
            chosen.append(new_invoice(c, -rng.randint(100, max(101, largest // 4)), credit_memo=True))
            tags.append("credit_memo_netting")
        used.update(chosen)
        amount = sum(records[i].open_cents for i in chosen)
        # one amount adjustment at most
        roll = rng.random()
        edges = [("discount", rates["discount"]), ("short_pay", rates["short_pay"]), ("bank_fee", rates["bank_fee"]),
                 ("fx_difference", rates["fx_difference"]), ("partial_payment", rates["partial_payment"]),
                 ("overpayment", rates["overpayment"])]  # fmt: skip
        booked = STATEMENT_DATE
        for kind, rate in edges:
            if roll < rate:
                if kind == "discount":
                    target = chosen[0]
                    records[target].discount = True
                    unearned = rng.random() < 0.15
                    records[target].issued = STATEMENT_DATE - timedelta(days=rng.randint(15, 40) if unearned else rng.randint(0, 9))
                    amount -= round(records[target].open_cents * 0.02)
                    if unearned:
                        tags.append("unearned_discount")
                elif kind == "short_pay":
                    target = max(chosen, key=lambda i: records[i].units)
                    amount -= max(100, int(records[target].units * rng.uniform(0.01, 0.15)))
                elif kind == "bank_fee":
                    amount -= rng.randint(1000, 4500)
                elif kind == "fx_difference":
                    amount = int(amount * (1 + rng.choice((-1, 1)) * rng.uniform(0.001, 0.015)))
                elif kind == "partial_payment":
                    chosen = chosen[:1]
                    amount = int(records[chosen[0]].open_cents * rng.choice((0.25, 0.33, 0.5, 0.75)))
                else:
                    amount += rng.randint(100, 20000)
                tags.append(kind)
                break
            roll -= rate
        if amount <= 0:
            amount = sum(max(0, records[i].open_cents) for i in chosen)
        tx = _transaction(rng, pid, c, [] if lump else chosen, amount, names, accounts, known_account, parent, rates,
                          tags, records, structured=rng.random() < STRUCTURED_SHARE, booked=booked)  # fmt: skip
        transactions.append(tx)
        truth[pid] = Truth(pid, tuple(tags), frozenset(records[i].number for i in chosen))
    customers_out = [
        Customer(f"C{c:05d}", names[c], CURRENCY,
                 parent_id=f"C{parent[c]:05d}" if parent[c] is not None and parent_known[c] else None,
                 bank_accounts=(accounts[c],) if known_account[c] else ())
        for c in range(customers)
    ]  # fmt: skip
    items = []
    for r in records:
        due = r.issued + timedelta(days=30)
        doc = DocType.CREDIT_MEMO if r.credit_memo else DocType.INVOICE
        items.append(OpenItem(r.number, doc, f"C{r.customer:05d}", r.issued, due, _cents(r.units), _cents(r.open_cents),
                              po_number=r.po, discount_percent=Decimal(2) if r.discount else None,
                              discount_days=10 if r.discount else None))  # fmt: skip
    rng.shuffle(transactions)
    return Case(customers_out, items, transactions, truth, parameters={
        "profile": profile, "seed": seed, "payments": len(transactions), "invoices": len(items), "customers": customers})  # fmt: skip


def _payer_name(rng: random.Random, name: str, rates: dict[str, float], tags: list[str]) -> str:
    if rng.random() >= rates["payer_name_differs"]:
        return name
    tags.append("payer_name_differs")
    words = name.split()
    how = rng.randrange(4)
    if how == 0:
        return name.upper()
    if how == 1 and len(words) > 2:
        return " ".join(words[:-1]).upper()
    if how == 2:
        return " ".join(_ABBREVIATE.get(w, w) for w in words).upper()
    return name.upper()[: rng.choice((16, 22, 35))]


def _mangle(rng: random.Random, number: str) -> str:
    how = rng.randrange(8)
    digits = list(number)
    if how == 0 and len(digits) > 3:  # transposition
        i = rng.randrange(2, len(digits) - 1)
        digits[i], digits[i - 1] = digits[i - 1], digits[i]
        return "".join(digits)
    if how == 1:  # substitution
        i = rng.randrange(2, len(digits))
        digits[i] = str((int(digits[i]) + rng.randint(1, 9)) % 10)
        return "".join(digits)
    if how == 2:  # deletion
        i = rng.randrange(2, len(digits))
        return "".join(digits[:i] + digits[i + 1 :])
    if how == 3:  # constant prefix dropped
        return number[2:].lstrip("0")
    if how == 4:  # separators
        cut = rng.randrange(3, len(number) - 2)
        return number[:cut] + rng.choice((" ", "-", ".")) + number[cut:]
    if how == 5:  # padding and extra segments
        return f"001*{rng.randrange(10, 99):04d}*{number.zfill(13)}"
    if how == 6:  # OCR confusion
        return number.replace("0", "O", 1) if "0" in number[2:] else number.replace("1", "I", 1)
    return number.lstrip("18").lstrip("0")  # leading part and zeros dropped


def _transaction(rng: random.Random, pid: str, c: int, chosen: list[int], amount: int, names: list[str],
                 accounts: list[str], known_account: list[bool], parent: list[int | None], rates: dict[str, float],
                 tags: list[str], records: list[_Invoice], structured: bool, booked: date = STATEMENT_DATE,
                 ) -> BankTransaction:  # fmt: skip
    payer = c
    if parent[c] is not None and rng.random() < rates["third_party_payer"] / PARENT_SHARE:
        payer = parent[c]  # type: ignore[assignment]
        tags.append("third_party_payer")
    name = _payer_name(rng, names[payer], rates, tags)
    account = accounts[payer] if rng.random() < 0.85 else None
    refs: list[tuple[str, int | None]] = []
    dropped_any = False
    mangled_any = False
    wrong_any = False
    for i in chosen:
        record = records[i]
        if rng.random() < rates["reference_missing"] and (len(chosen) > 1 or rng.random() < 0.5):
            dropped_any = True
            continue
        number = record.number
        if record.po and rng.random() < rates["wrong_document_type"] / 0.3:
            number = record.po
            wrong_any = True
        elif rng.random() < rates["reference_mangled"]:
            number = _mangle(rng, number)
            mangled_any = True
        refs.append((number, record.open_cents if structured else None))
    for flag, tag in ((dropped_any, "reference_missing"), (mangled_any, "reference_mangled"),
                      (wrong_any, "wrong_document_type")):  # fmt: skip
        if flag:
            tags.append(tag)
    if structured and refs:
        lines = tuple(
            RemittanceLine(n, _cents(abs(a)) if a is not None and len(refs) > 1 else None,
                           "CREN" if a is not None and a < 0 else "CINV")
            for n, a in refs
        )  # fmt: skip
        text = None
    else:
        lines = ()
        prefix = rng.choice(("INV ", "Invoice ", "RE ", "Rg. ", "Nr. ", "", "Payment for "))
        text = (prefix + ", ".join(n for n, _ in refs))[:140] if refs else rng.choice((None, "payment", "thanks"))
    if not tags:
        tags.append("clean")
    return BankTransaction(pid, booked, _cents(amount), name, account, text, lines, end_to_end_id=pid)
