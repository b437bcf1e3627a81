"""A sample company: a realistic, seeded ledger folder in the universal import format.

Why: demos, tests and benchmarks need a company whose books add up — every open amount is the
amount less its applications and write-offs, no payment applies more than it brought — and
whose behaviour looks like a real receivables book (seasonal sales, prompt and late payers,
short pays, unapplied cash, a few customers going bad), at any size from a few hundred
invoices to ten million. Same seed, same bytes.

How: everything is drawn with numpy, column by column; no Python loop runs over invoices.
Customers are split into blocks of about `CHUNK_INVOICES` invoices; each block's invoices,
payments, write-offs and orders are generated and appended to the files before the next block
starts, so memory stays bounded. A block holds whole customers, so every payment and every
application stays inside its block. Numbers (INV-…, PAY-…, SO-…) run on across blocks and, within
a block, follow the date; amounts are integer cents until they are written as `1234.50`.

The story of one invoice: it is dated on a (seasonally weighted) business day and falls due
after the customer's terms. Its customer pays it some days after the due date, drawn from the
customer's profile (prompt, usually late, chronic late, going bad); some pay on a weekly payment
run, and then one payment settles several invoices. A few invoices are short-paid (the rest stays
open as a deduction), paid in two instalments, or paid early less the cash discount (the discount
stays open until someone clears it). Credit memos are netted in the customer's next payment;
some stay open as unused credit. A customer going bad stops buying and paying; its invoices
are written off 150 days or more after their date. Nothing is dated after the as-of date.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt
import polars as pl

from creditbridge.core.columns import DOC_TYPES_BY_CODE

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Progress = Callable[[str, int, int], None]

CUSTOMERS_HEADER = (
    "customer_id",
    "name",
    "parent_id",
    "currency",
    "payment_terms_days",
    "credit_limit",
    "on_hold",
    "risk_class",
    "tax_id",
    "bank_accounts",
)
INVOICES_HEADER = (
    "invoice_number",
    "doc_type",
    "customer_id",
    "invoice_date",
    "due_date",
    "currency",
    "amount",
    "open_amount",
    "po_number",
    "discount_percent",
    "discount_days",
)
PAYMENTS_HEADER = ("payment_id", "customer_id", "payment_date", "currency", "amount", "reference", "applied_to")
ORDERS_HEADER = ("order_number", "customer_id", "order_date", "currency", "amount", "status")
WRITEOFFS_HEADER = ("invoice_number", "date", "amount", "reason")

HISTORY_DAYS = 730
"""About 24 months of history, ending on the as-of date."""
CHUNK_INVOICES = 500_000
"""Invoices generated and written per block of customers: bounds memory at any size."""

INV, DM, CM = 0, 1, 2  # doc type codes, as in creditbridge.core.columns
PROMPT, LATE, CHRONIC, GOING_BAD = 0, 1, 2, 3
PROFILE_SHARES = (0.55, 0.28, 0.13, 0.04)
# Days between due date and payment: shift + Gamma(2, scale), per profile (means -1, 14, 45, 70).
_DELAY_SHIFT = np.array([-6.0, 0.0, 5.0, 10.0])
_DELAY_SCALE = np.array([2.5, 7.0, 20.0, 30.0])
_RISK_CLASSES = (("A", "B"), ("B", "C"), ("C", "D"), ("D", "E"))
_MONTH_WEIGHT = np.array([0.85, 0.90, 1.05, 1.00, 1.05, 1.00, 0.90, 0.95, 1.10, 1.10, 1.15, 1.00])
_EPOCH = np.datetime64("1970-01-01", "D")

_FIRST_WORDS = (
    "Acme", "Apex", "Atlas", "Beacon", "Birch", "Blue Ridge", "Bright", "Cascade", "Cedar", "Centennial",
    "Clearwater", "Coastal", "Copper", "Crescent", "Delta", "Eagle", "Evergreen", "Falcon", "Frontier",
    "Golden", "Granite", "Great Lakes", "Harbor", "Heritage", "Highland", "Horizon", "Iron", "Keystone",
    "Lakeside", "Liberty", "Lone Star", "Maple", "Meridian", "Midwest", "Northwind", "Oak", "Pacific",
    "Palmetto", "Pinnacle", "Pioneer", "Prairie", "Redwood", "Riverside", "Rocky Mountain", "Silver",
    "Summit", "Sunrise", "Trinity", "Valley", "Vanguard", "Westfield", "Whitestone", "Willow", "Zenith",
    "Alpine", "Bayside", "Canyon", "Diamond", "Emerald", "Fairview",
)  # fmt: skip
_TRADES = (
    "Foods", "Logistics", "Industrial Supply", "Manufacturing", "Distribution", "Building Products",
    "Electric", "Packaging", "Medical Supply", "Auto Parts", "Chemicals", "Farms", "Furniture", "Hardware",
    "Paper", "Plastics", "Steel", "Textiles", "Tools", "Wholesale", "Marine", "Energy", "Pharma",
    "Printing", "Beverages", "Brands", "Outfitters", "Equipment", "Components", "Lumber", "Dairy",
    "Bakery", "Glass", "Fasteners", "Coatings", "Instruments", "Controls", "Optics", "Seeds", "Mills",
)  # fmt: skip
_CITIES = (
    "Akron", "Albany", "Austin", "Boise", "Dayton", "Denver", "Fresno", "Omaha", "Reno", "Tulsa",
    "Tampa", "Toledo", "Salem", "Provo", "Macon", "Lansing", "Laredo", "Joliet", "Irvine", "Helena",
    "Eugene", "Duluth", "Camden", "Billings", "Athens", "Aurora", "Bangor", "Biloxi", "Butte", "Casper",
    "Dover", "Erie", "Fargo", "Flint", "Gary", "Hilo", "Juneau", "Kent", "Lowell", "Mesa",
    "Moab", "Naples", "Newark", "Ogden", "Ocala", "Peoria", "Pueblo", "Quincy", "Racine", "Sparks",
    "Stockton", "Topeka", "Tucson", "Utica", "Vallejo", "Waco", "Wichita", "Yakima", "Yuma", "Zanesville",
)  # fmt: skip
_US_SUFFIXES = ("Inc.", "LLC", "Corp.", "Co.")
_EU_SUFFIXES = ("GmbH", "AG")
_WRITEOFF_REASONS = ("customer insolvent", "uncollectible: collections exhausted", "uncollectible: bankruptcy filed")


@dataclass(frozen=True, slots=True)
class SampleSummary:
    """What `generate_sample_company` wrote: the folder and the row count of each file."""

    folder: Path
    customers: int
    invoices: int
    credit_memos: int
    debit_memos: int
    payments: int
    unapplied_payments: int
    applications: int
    writeoffs: int
    orders: int
    open_orders: int


@dataclass(frozen=True)
class _CustomerPlan:
    """Per customer (index = position in customers.csv), everything blocks need to draw its activity."""

    currency: Ints  # index into the currencies tuple
    terms: Ints
    profile: Ints
    invoice_count: Ints
    typical_cents: Ints  # a typical invoice amount
    history_share: Floats  # share of the sales calendar before the customer stopped buying (1.0: still buying)
    last_pay_day: Ints  # no payments after this day (going bad); the as-of day for everyone else
    discount_bp: Ints  # cash discount in 1/100 percent (200 = 2.00 %), 0 = none
    discount_days: Ints
    run_weekday: Ints  # weekday of the customer's weekly payment run (0 = Monday), -1 = none
    per_payment: Ints  # most invoices settled by one payment


@dataclass(frozen=True)
class _Calendar:
    """The history's days (days since 1970-01-01) and the cumulative seasonal weight of each."""

    start: int
    as_of: int
    cdf: Floats

    def draw(self, rng: np.random.Generator, share: Floats) -> Ints:
        """Days drawn by seasonal weight, each from the first `share` of the weight (1.0: all of it)."""
        picks = np.searchsorted(self.cdf, rng.random(len(share)) * share, side="right")
        return self.start + np.minimum(picks, len(self.cdf) - 1)

    def day_at_share(self, share: Floats) -> Ints:
        return self.start + np.minimum(np.searchsorted(self.cdf, share), len(self.cdf) - 1)


@dataclass(frozen=True)
class _Items:
    """One block's invoices, debit and credit memos, in date order."""

    customer: Ints
    doc_type: Ints
    number: Ints  # sequence within the doc type, across blocks
    day: Ints
    due: Ints
    amount: Ints  # cents; credit memos negative
    discount_bp: Ints
    discount_days: Ints
    po_number: Ints  # -1 = none


@dataclass(frozen=True)
class _Settlements:
    """Applications (or write-offs): which item, on which day, how many cents."""

    item: Ints
    day: Ints
    amount: Ints


@dataclass(frozen=True)
class _Payments:
    """One block's payments in date order, and the applications that point into them."""

    customer: Ints
    day: Ints
    amount: Ints
    reference_kind: Ints  # 0: first invoice number, 1: check number, 2: none
    check_number: Ints
    applied: _Settlements
    applied_payment: Ints  # payment index of each application


@dataclass(frozen=True)
class _Orders:
    customer: Ints
    day: Ints
    amount: Ints
    status: Ints  # 0 open, 1 closed, 2 cancelled


_ORDER_STATUSES = ("open", "closed", "cancelled")
_BLOCK_FILES = ("invoices", "payments", "writeoffs", "orders")
_DOC_TYPE_TEXTS = tuple(t.value for t in DOC_TYPES_BY_CODE)


def generate_sample_company(
    folder: Path,
    *,
    customers: int = 300,
    invoices: int = 30_000,
    as_of: date,
    seed: int = 7,
    currencies: Sequence[str] = ("USD", "EUR"),
    progress: Progress | None = None,
) -> SampleSummary:
    """Write customers, invoices, payments, orders and writeoffs CSV files of a sample company.

    About 90 % of the customers bill in the first currency, the rest share the others. The files
    are byte-identical for the same arguments. `progress(stage, done, total)` is told how far the
    work is (stage "customers", then "ledger" counted in invoices).
    """
    if customers < 1 or invoices < 0:
        raise ValueError("a sample company needs at least one customer and no negative invoice count")
    codes = tuple(currencies)
    if not codes or any(len(c) != 3 or not c.isalpha() or not c.isupper() for c in codes):
        raise ValueError(f"currencies must be ISO 4217 codes like 'USD', got {codes!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    as_of_day = int((np.datetime64(as_of, "D") - _EPOCH).astype(np.int64))
    calendar = _sales_calendar(as_of_day - HISTORY_DAYS + 1, as_of_day)

    rng = np.random.default_rng([seed, 0])
    plan = _plan_customers(rng, customers, invoices, len(codes), calendar)
    names = _Names(_numbered("C", 10_001, customers), _labels(codes, plan.currency))
    _write(_customer_table(rng, plan, names), folder / "customers.csv", header=True)
    if progress:
        progress("customers", customers, customers)

    tally = _Tally()
    documents_so_far = np.zeros(3, dtype=np.int64)  # per doc type: INV-, DM-, CM- numbers run on across blocks
    with ExitStack() as stack:
        files = {name: stack.enter_context((folder / f"{name}.csv").open("wb")) for name in _BLOCK_FILES}
        for block_no, block_customers in enumerate(_customer_blocks(plan.invoice_count)):
            block_rng = np.random.default_rng([seed, 1, block_no])
            block = _draw_block(block_rng, plan, block_customers, calendar, documents_so_far)
            for name, table in _block_tables(block, names, tally).items():
                _write(table, files[name], header=block_no == 0)
            documents_so_far += np.bincount(block.items.doc_type, minlength=3)
            tally.add(block)
            if progress:
                progress("invoices and payments", tally.invoices, invoices)
    return SampleSummary(folder=folder, customers=customers, **asdict(tally))


@dataclass(frozen=True)
class _Block:
    """Everything drawn for one block of customers."""

    items: _Items
    payments: _Payments
    writeoffs: _Settlements
    orders: _Orders

    def open_cents(self) -> Ints:
        """Amount less applications less write-offs, per item: what is still open on the as-of date."""
        n = len(self.items.day)
        applied = self.payments.applied
        return (
            self.items.amount
            - _sum_by(applied.item, applied.amount, n)
            - _sum_by(self.writeoffs.item, self.writeoffs.amount, n)
        )


@dataclass
class _Tally:
    """Rows written so far (the next block's PAY- and SO- numbers continue from here)."""

    invoices: int = 0
    credit_memos: int = 0
    debit_memos: int = 0
    payments: int = 0
    unapplied_payments: int = 0
    applications: int = 0
    writeoffs: int = 0
    orders: int = 0
    open_orders: int = 0

    def add(self, block: _Block) -> None:
        items, payments = block.items, block.payments
        applied_per_payment = np.bincount(payments.applied_payment, minlength=len(payments.day))
        self.invoices += len(items.day)
        self.credit_memos += int(np.count_nonzero(items.doc_type == CM))
        self.debit_memos += int(np.count_nonzero(items.doc_type == DM))
        self.payments += len(payments.day)
        self.unapplied_payments += int(np.count_nonzero(applied_per_payment == 0))
        self.applications += len(payments.applied_payment)
        self.writeoffs += len(block.writeoffs.day)
        self.orders += len(block.orders.day)
        self.open_orders += int(np.count_nonzero(block.orders.status == 0))


def _draw_block(
    rng: np.random.Generator, plan: _CustomerPlan, customers: Ints, calendar: _Calendar, documents_so_far: Ints
) -> _Block:
    items = _draw_items(rng, plan, customers, calendar, documents_so_far)
    applications = _draw_applications(rng, plan, items, calendar)
    return _Block(
        items=items,
        payments=_draw_payments(rng, plan, items, applications, customers, calendar),
        writeoffs=_draw_writeoffs(rng, plan, items, applications, calendar),
        orders=_draw_orders(rng, plan, customers, calendar),
    )


# --- customers --------------------------------------------------------------------------------


def _plan_customers(
    rng: np.random.Generator, n: int, invoices: int, n_currencies: int, calendar: _Calendar
) -> _CustomerPlan:
    """Profiles, sizes, terms and habits of each customer; counts per profile are exact shares."""
    profile = _exact_shares(rng, n, PROFILE_SHARES)
    size = rng.lognormal(0.0, 1.0, n)
    history_share = np.where(profile == GOING_BAD, rng.uniform(0.35, 0.7, n), 1.0)
    weight = size * history_share
    invoice_count = rng.multinomial(invoices, weight / weight.sum()).astype(np.int64)
    last_pay_day = np.where(profile == GOING_BAD, calendar.day_at_share(history_share) + 20, calendar.as_of)
    offers_discount = rng.random(n) < 0.12
    return _CustomerPlan(
        currency=_currency_of_customers(rng, n, n_currencies),
        terms=rng.choice(np.array([15, 30, 45, 60]), n, p=[0.15, 0.55, 0.15, 0.15]),
        profile=profile,
        invoice_count=invoice_count,
        typical_cents=np.round(rng.lognormal(np.log(1_800.0), 0.9, n) * 100).astype(np.int64),
        history_share=history_share,
        last_pay_day=last_pay_day.astype(np.int64),
        discount_bp=np.where(offers_discount, rng.choice(np.array([100, 200]), n), 0),
        discount_days=np.where(offers_discount, 10, 0),
        run_weekday=np.where(rng.random(n) < 0.45, rng.integers(0, 5, n), -1),
        per_payment=rng.choice(np.array([1, 2, 3, 4, 8]), n, p=[0.35, 0.3, 0.2, 0.1, 0.05]),
    )


def _exact_shares(rng: np.random.Generator, n: int, shares: Sequence[float]) -> Ints:
    """Category codes 0..k-1 in these shares (rounded; the last category takes the rest), shuffled."""
    sizes = [round(n * s) for s in shares[1:]]
    if len(shares) > 1 and n >= 10:
        sizes[-1] = max(sizes[-1], 1)  # the rarest category (going bad, a second currency) appears
    sizes = [n - sum(sizes), *sizes]
    return rng.permutation(np.repeat(np.arange(len(shares), dtype=np.int64), sizes))


def _currency_of_customers(rng: np.random.Generator, n: int, n_currencies: int) -> Ints:
    """90 % of customers in the first currency, the others share the remaining 10 %."""
    if n_currencies == 1:
        return np.zeros(n, dtype=np.int64)
    return _exact_shares(rng, n, (0.9, *([0.1 / (n_currencies - 1)] * (n_currencies - 1))))


def _customer_table(rng: np.random.Generator, plan: _CustomerPlan, names: _Names) -> pl.DataFrame:
    """customers.csv: names from word lists, parent groups, limits, holds, tax ids and bank accounts.

    Customers billing in USD look American (Inc., EIN, routing-account); the others German
    (GmbH, VAT id, IBAN).
    """
    n = len(plan.profile)
    european = (names.customer_currencies != "USD").to_numpy()
    monthly_sales = plan.invoice_count * plan.typical_cents / 24.0
    limit = np.ceil(monthly_sales * rng.uniform(1.5, 3.0, n) / 100_000.0).astype(np.int64) * 100_000
    on_hold = (plan.profile == GOING_BAD) | ((plan.profile == CHRONIC) & (rng.random(n) < 0.25))
    risk = np.array(_RISK_CLASSES)[plan.profile, rng.integers(0, 2, n)]
    frame = pl.DataFrame(
        {
            "customer_id": names.customer_ids,
            "name": _company_names(rng, n, european),
            "parent_id": _parent_ids(rng, n, names.customer_ids),
            "currency": names.customer_currencies,
            "payment_terms_days": plan.terms,
            "credit_limit": np.where(rng.random(n) < 0.05, -1, np.maximum(limit, 500_000)),
            "on_hold": on_hold,
            "risk_class": _text_or_null("risk_class", risk, rng.random(n) < 0.05),
            "tax_id": _tax_ids(rng, n, european),
            "bank_accounts": _bank_accounts(rng, n, european),
        }
    )
    return frame.with_columns(
        credit_limit=pl.when(pl.col("credit_limit") >= 0).then(_money_text("credit_limit"))
    ).select(CUSTOMERS_HEADER)


def _company_names(rng: np.random.Generator, n: int, european: Bools) -> pl.Series:
    """Unique 'Summit Foods Inc.' / 'Oak Mills of Tulsa LLC' names while the word lists last."""
    plain = len(_FIRST_WORDS) * len(_TRADES)
    space = plain * (1 + len(_CITIES))
    picks = np.concatenate([rng.permutation(plain), plain + rng.permutation(space - plain)])
    picks = np.resize(picks, n)  # beyond the word lists' reach names repeat, as real ledgers' do
    first, rest = picks % len(_FIRST_WORDS), picks // len(_FIRST_WORDS)
    trade, city = rest % len(_TRADES), rest // len(_TRADES) - 1
    suffix = np.where(
        european,
        np.array(_EU_SUFFIXES)[rng.integers(0, len(_EU_SUFFIXES), n)],
        np.array(_US_SUFFIXES)[rng.integers(0, len(_US_SUFFIXES), n)],
    )
    place = np.where(city >= 0, np.strings.add(" of ", np.array(_CITIES)[np.maximum(city, 0)]), "")
    base = np.strings.add(np.strings.add(np.array(_FIRST_WORDS)[first], " "), np.array(_TRADES)[trade])
    return pl.Series("name", np.strings.add(np.strings.add(np.strings.add(base, place), " "), suffix))


def _parent_ids(rng: np.random.Generator, n: int, customer_ids: pl.Series) -> pl.Series:
    """A few groups: one customer in 50 is a parent of 2 to 4 other accounts."""
    n_groups = n // 50
    parent = np.full(n, -1, dtype=np.int64)
    if n_groups:
        members = rng.permutation(n)
        parents, pool = members[:n_groups], members[n_groups:]
        sizes = rng.integers(2, 5, n_groups)
        children = pool[: min(len(pool), int(sizes.sum()))]
        parent[children] = np.repeat(parents, sizes)[: len(children)]
    ids = customer_ids.to_numpy()
    return _text_or_null("parent_id", ids[np.maximum(parent, 0)], parent < 0)


def _tax_ids(rng: np.random.Generator, n: int, european: Bools) -> pl.Series:
    """US EINs ('12-3456789') and German VAT ids ('DE123456789'); about one in ten missing."""
    digits = rng.integers(10_000_000, 99_999_999, n)
    ein = np.strings.add(
        np.strings.add((digits // 10_000_000 * 10 + rng.integers(0, 10, n)).astype(str), "-"),
        np.strings.zfill((digits % 10_000_000).astype(str), 7),
    )
    vat = np.strings.add("DE", rng.integers(100_000_000, 999_999_999, n).astype(str))
    return _text_or_null("tax_id", np.where(european, vat, ein), rng.random(n) < 0.1)


def _bank_accounts(rng: np.random.Generator, n: int, european: Bools) -> pl.Series:
    """0-2 accounts per customer, ';'-separated: valid German IBANs, or US 'routing-account' pairs."""
    texts = []
    for _ in range(2):
        bban = rng.integers(10**17, 10**18 - 1, n, dtype=np.int64)
        check = 98 - (bban % 97 * 1_000_000 + 131_400) % 97  # ISO 13616: BBAN + 'DE00' as digits, mod 97
        iban = np.strings.add(np.strings.add("DE", np.strings.zfill(check.astype(str), 2)), bban.astype(str))
        routing8 = rng.integers(10_000_000, 39_999_999, n)
        d = (routing8[:, None] // 10 ** np.arange(7, -1, -1)) % 10
        weighted = (3 * (d[:, 0] + d[:, 3] + d[:, 6]) + 7 * (d[:, 1] + d[:, 4] + d[:, 7]) + d[:, 2] + d[:, 5]) % 10
        routing = routing8 * 10 + (10 - weighted) % 10  # ABA checksum digit
        ach = np.strings.add(np.strings.add(routing.astype(str), "-"), rng.integers(10**8, 10**10, n).astype(str))
        texts.append(np.where(european, iban, ach))
    how_many = rng.choice(np.array([0, 1, 2]), n, p=[0.15, 0.7, 0.15])
    joined = np.where(how_many == 2, np.strings.add(np.strings.add(texts[0], ";"), texts[1]), texts[0])
    return _text_or_null("bank_accounts", joined, how_many == 0)


def _customer_blocks(invoice_count: Ints) -> list[npt.NDArray[np.int64]]:
    """Consecutive customers in blocks of about CHUNK_INVOICES invoices (a huge customer is its own block)."""
    block_of = (np.cumsum(invoice_count) - invoice_count) // CHUNK_INVOICES  # where each one's invoices start
    cuts = np.flatnonzero(np.diff(block_of)) + 1
    return np.split(np.arange(len(invoice_count), dtype=np.int64), cuts)


# --- invoices, debit and credit memos ----------------------------------------------------------


def _sales_calendar(start: int, as_of: int) -> _Calendar:
    """Business days carry the sales: seasonal months, quiet weekends, 5 % yearly growth."""
    days = np.arange(start, as_of + 1, dtype=np.int64)
    month = (days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)) % 12
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    weight = _MONTH_WEIGHT[month] * np.where(weekday >= 5, 0.08, 1.0) * (1 + 0.05 * (days - start) / 365)
    cdf = np.cumsum(weight)
    return _Calendar(start=start, as_of=as_of, cdf=cdf / cdf[-1])


def _draw_items(
    rng: np.random.Generator, plan: _CustomerPlan, block: Ints, calendar: _Calendar, numbers_so_far: Ints
) -> _Items:
    """The block's documents: ~96 % invoices, ~3 % small credit memos, ~1 % debit memos (fees)."""
    customer = np.repeat(block, plan.invoice_count[block])
    n = len(customer)
    day = calendar.draw(rng, plan.history_share[customer])
    order = np.lexsort((customer, day))
    customer, day = customer[order], day[order]

    kind = rng.random(n)
    doc_type = np.where(kind < 0.03, CM, np.where(kind < 0.04, DM, INV))
    typical = plan.typical_cents[customer]
    invoice_cents = np.maximum(np.round(typical * rng.lognormal(-0.18, 0.6, n)), 1_000)
    memo_cents = np.round(typical * rng.uniform(0.03, 0.25, n)) + 500
    fee_cents = rng.integers(25, 250, n) * 100
    amount = np.where(doc_type == INV, invoice_cents, np.where(doc_type == CM, -memo_cents, fee_cents))

    number = np.zeros(n, dtype=np.int64)
    for code in (INV, DM, CM):
        mask = doc_type == code
        number[mask] = numbers_so_far[code] + np.arange(1, np.count_nonzero(mask) + 1)
    discounted = (doc_type == INV) & (plan.discount_bp[customer] > 0)
    return _Items(
        customer=customer,
        doc_type=doc_type.astype(np.int64),
        number=number,
        day=day,
        due=np.where(doc_type == CM, day, day + plan.terms[customer]),
        amount=amount.astype(np.int64),
        discount_bp=np.where(discounted, plan.discount_bp[customer], 0),
        discount_days=np.where(discounted, plan.discount_days[customer], 0),
        po_number=np.where((doc_type == INV) & (rng.random(n) < 0.7), rng.integers(1_000_000, 9_999_999, n), -1),
    )


# --- applications and payments ----------------------------------------------------------------


def _draw_applications(
    rng: np.random.Generator, plan: _CustomerPlan, items: _Items, calendar: _Calendar
) -> _Settlements:
    """When and how much of each invoice and debit memo is paid (credit memos: see _draw_payments).

    Most are paid in full, late by the customer's profile; 3 % short-paid (the deduction stays
    open); 4 % in two instalments; discount takers pay early, less the discount (which stays open).
    Nothing is paid after the as-of date, nor by a customer gone bad after it stopped paying.
    """
    debit = np.flatnonzero(items.doc_type != CM)
    customer, amount = items.customer[debit], items.amount[debit]
    n = len(debit)
    profile = plan.profile[customer]
    delay = _DELAY_SHIFT[profile] + rng.gamma(2.0, _DELAY_SCALE[profile])
    day = np.maximum(items.due[debit] + np.round(delay).astype(np.int64), items.day[debit] + 1)

    paid = amount.copy()
    takes_discount = (items.discount_bp[debit] > 0) & (profile == PROMPT) & (rng.random(n) < 0.7)
    day = np.where(
        takes_discount, items.day[debit] + rng.integers(1, 1 + np.maximum(items.discount_days[debit], 1)), day
    )
    paid = np.where(takes_discount, amount - (amount * items.discount_bp[debit] + 5_000) // 10_000, paid)

    fate = rng.random(n)
    short = ~takes_discount & (fate < 0.03)
    paid = np.where(short, amount - np.round(amount * rng.uniform(0.01, 0.15, n)).astype(np.int64), paid)
    in_two = ~takes_discount & (fate >= 0.03) & (fate < 0.07)
    first_part = np.round(amount * rng.choice(np.array([0.25, 0.33, 0.5, 0.75]), n)).astype(np.int64)
    paid = np.where(in_two, first_part, paid)

    rest = np.flatnonzero(in_two)
    item = np.concatenate([debit, debit[rest]])
    day = np.concatenate([day, day[rest] + rng.integers(14, 61, len(rest))])
    cents = np.concatenate([paid, amount[rest] - first_part[rest]])
    day = _on_payment_run(day, plan.run_weekday[items.customer[item]])
    keep = day <= np.minimum(plan.last_pay_day[items.customer[item]], calendar.as_of)
    return _Settlements(item=item[keep], day=day[keep], amount=cents[keep])


def _on_payment_run(day: Ints, run_weekday: Ints) -> Ints:
    """Move each payment forward to the customer's weekly payment-run day, if it has one."""
    wait = (run_weekday - (day + 3)) % 7
    return np.where(run_weekday >= 0, day + wait, day)


def _draw_payments(
    rng: np.random.Generator,
    plan: _CustomerPlan,
    items: _Items,
    applications: _Settlements,
    block: Ints,
    calendar: _Calendar,
) -> _Payments:
    """Group applications into payments; net credit memos; add overpayments and unapplied cash.

    A payment settles the applications of one customer on one day, at most `per_payment` of them.
    80 % of credit memos are netted (a negative application) in the customer's first payment on
    or after the memo's date, if that payment still brings money; the others stay open.
    """
    customer = items.customer[applications.item]
    order = np.lexsort((applications.item, applications.day, customer))
    app = _Settlements(applications.item[order], applications.day[order], applications.amount[order])
    customer = customer[order]
    n = len(app.item)
    position = np.arange(n)
    new_day = np.ones(n, dtype=bool)
    new_day[1:] = (customer[1:] != customer[:-1]) | (app.day[1:] != app.day[:-1])
    rank = position - np.maximum.accumulate(np.where(new_day, position, 0))
    starts = np.flatnonzero(rank % plan.per_payment[customer] == 0)
    payment_of_app = np.cumsum(rank % plan.per_payment[customer] == 0) - 1
    pay_customer, pay_day = customer[starts], app.day[starts]
    gross = np.add.reduceat(app.amount, starts) if n else np.zeros(0, dtype=np.int64)

    memos = np.flatnonzero((items.doc_type == CM) & (rng.random(len(items.day)) < 0.8))
    pay_key = pay_customer * 100_000 + pay_day
    target = np.searchsorted(pay_key, items.customer[memos] * 100_000 + items.day[memos])
    found = target < len(pay_key)
    found[found] = pay_customer[target[found]] == items.customer[memos[found]]
    memos, target = memos[found], target[found]
    netted = gross + _sum_by(target, items.amount[memos], len(gross))
    keep = netted[target] > 0
    memos, target = memos[keep], target[keep]
    net = gross + _sum_by(target, items.amount[memos], len(gross))

    n_pay = len(gross)
    overpaid = np.where(rng.random(n_pay) < 0.01, rng.integers(100, 20_000, n_pay), 0)
    n_cash = rng.binomial(n_pay, 0.02) if n_pay else 0
    weight = plan.invoice_count[block].astype(np.float64)
    cash_customer = rng.choice(block, n_cash, p=weight / weight.sum()) if n_cash else np.zeros(0, np.int64)
    cash_day = np.minimum(calendar.as_of - rng.integers(0, 180, n_cash), plan.last_pay_day[cash_customer])
    cash_cents = np.round(plan.typical_cents[cash_customer] * rng.uniform(0.3, 2.0, n_cash)).astype(np.int64)

    all_customer = np.concatenate([pay_customer, cash_customer])
    all_day = np.concatenate([pay_day, np.maximum(cash_day, calendar.start)])
    by_date = np.lexsort((np.arange(len(all_day)), all_customer, all_day))
    new_index = np.empty_like(by_date)
    new_index[by_date] = np.arange(len(by_date))
    applied = _Settlements(
        item=np.concatenate([app.item, memos]),
        day=np.concatenate([app.day, pay_day[target]]),
        amount=np.concatenate([app.amount, items.amount[memos]]),
    )
    applied_payment = new_index[np.concatenate([payment_of_app, target])]
    kind = rng.choice(np.array([0, 1, 2]), len(all_day), p=[0.5, 0.4, 0.1])
    is_cash = np.concatenate([np.zeros(n_pay, dtype=bool), np.ones(n_cash, dtype=bool)])
    return _Payments(
        customer=all_customer[by_date],
        day=all_day[by_date],
        amount=np.concatenate([net + overpaid, cash_cents])[by_date],
        reference_kind=np.where(is_cash & (kind == 0), 1, kind)[by_date],
        check_number=rng.integers(100_000, 999_999, len(all_day)),
        applied=applied,
        applied_payment=applied_payment,
    )


# --- write-offs and orders --------------------------------------------------------------------


def _draw_writeoffs(
    rng: np.random.Generator, plan: _CustomerPlan, items: _Items, applications: _Settlements, calendar: _Calendar
) -> _Settlements:
    """Customers gone bad: 85 % of what they left open is written off, 150-270 days after the invoice date."""
    n = len(items.day)
    paid = _sum_by(applications.item, applications.amount, n)
    last_paid = np.full(n, calendar.start, dtype=np.int64)
    np.maximum.at(last_paid, applications.item, applications.day)
    residual = items.amount - paid
    candidate = np.flatnonzero((plan.profile[items.customer] == GOING_BAD) & (items.doc_type != CM) & (residual > 0))
    day = np.maximum(items.day[candidate] + rng.integers(150, 271, len(candidate)), last_paid[candidate] + 30)
    keep = (day <= calendar.as_of) & (rng.random(len(candidate)) < 0.85)
    order = np.lexsort((candidate[keep], day[keep]))
    return _Settlements(item=candidate[keep][order], day=day[keep][order], amount=residual[candidate[keep]][order])


def _draw_orders(rng: np.random.Generator, plan: _CustomerPlan, block: Ints, calendar: _Calendar) -> _Orders:
    """One order per five invoices; the last three weeks' orders are mostly still open."""
    customer = np.repeat(block, plan.invoice_count[block] // 5 + (plan.invoice_count[block] % 5 > 0))
    n = len(customer)
    day = calendar.draw(rng, plan.history_share[customer])
    order = np.lexsort((customer, day))
    customer, day = customer[order], day[order]
    recent = day > calendar.as_of - 21
    pick = rng.random(n)
    status = np.where(
        recent,
        np.where(pick < 0.75, 0, np.where(pick < 0.95, 1, 2)),
        np.where(pick < 0.01, 0, np.where(pick < 0.95, 1, 2)),
    )
    amount = np.maximum(np.round(plan.typical_cents[customer] * rng.lognormal(-0.18, 0.6, n)), 1_000)
    return _Orders(customer=customer, day=day, amount=amount.astype(np.int64), status=status)


# --- writing ----------------------------------------------------------------------------------


def _sum_by(index: Ints, values: Ints, n: int) -> Ints:
    """Exact integer sums of `values` grouped by `index` (0..n-1)."""
    total = np.zeros(n, dtype=np.int64)
    np.add.at(total, index, values)
    return total


def _labels(texts: Sequence[str], index: Ints) -> pl.Series:
    """The text of each code: texts[index], built in polars (numpy string arrays convert slowly)."""
    return pl.Series(list(texts), dtype=pl.String).gather(index)


def _text_or_null(name: str, texts: npt.NDArray[np.str_], missing: Bools) -> pl.Series:
    """A text column with empty cells where `missing`."""
    return pl.Series(name, texts, dtype=pl.String).scatter(np.flatnonzero(missing), None)


def _money_text(column: str) -> pl.Expr:
    """A column of integer cents as plain decimals with 2 places (-1234 -> '-12.34'), same name."""
    cents = pl.col(column)
    sign = pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    whole, hundredths = (cents.abs() // 100).cast(pl.String), (cents.abs() % 100).cast(pl.String).str.zfill(2)
    return (sign + whole + "." + hundredths).alias(column)


def _dates(days: Ints) -> pl.Series:
    return pl.Series(days.astype(np.int32)).cast(pl.Date)


def _numbered(prefix: str, first: int, n: int) -> pl.Series:
    """prefix-first, prefix-(first+1), … (PAY-100001, SO-500001)."""
    return prefix + pl.Series(np.arange(first, first + n, dtype=np.int64)).cast(pl.String)


def _document_numbers(doc_type: Ints, number: Ints) -> pl.Series:
    """INV-100001, CM-100001, DM-100001: each doc type numbered on its own."""
    return _labels(_DOC_TYPE_TEXTS, doc_type) + "-" + pl.Series(number + 100_000).cast(pl.String)


@dataclass(frozen=True)
class _Names:
    """Texts every file repeats: each customer's id and currency code, looked up by customer index."""

    customer_ids: pl.Series
    customer_currencies: pl.Series

    def ids(self, customer: Ints) -> pl.Series:
        return self.customer_ids.gather(customer)

    def currencies(self, customer: Ints) -> pl.Series:
        return self.customer_currencies.gather(customer)


def _block_tables(block: _Block, names: _Names, so_far: _Tally) -> dict[str, pl.DataFrame]:
    """The block's rows of invoices.csv, payments.csv, writeoffs.csv and orders.csv."""
    return {
        "invoices": _invoice_table(block.items, block.open_cents(), names),
        "payments": _payment_table(block.payments, block.items, names, so_far.payments),
        "writeoffs": _writeoff_table(block.writeoffs, block.items),
        "orders": _order_table(block.orders, names, so_far.orders),
    }


def _invoice_table(items: _Items, open_cents: Ints, names: _Names) -> pl.DataFrame:
    has_discount = items.discount_bp > 0
    return pl.DataFrame(
        {
            "invoice_number": _document_numbers(items.doc_type, items.number),
            "doc_type": _labels(_DOC_TYPE_TEXTS, items.doc_type),
            "customer_id": names.ids(items.customer),
            "invoice_date": _dates(items.day),
            "due_date": _dates(items.due),
            "currency": names.currencies(items.customer),
            "amount": items.amount,
            "open_amount": open_cents,
            "po_number": items.po_number,
            "discount_percent": np.where(has_discount, items.discount_bp, -1),
            "discount_days": np.where(has_discount, items.discount_days, -1),
        }
    ).with_columns(
        _money_text("amount"),
        _money_text("open_amount"),
        pl.when(pl.col("po_number") >= 0).then("PO" + pl.col("po_number").cast(pl.String)).alias("po_number"),
        pl.when(pl.col("discount_percent") >= 0).then(_money_text("discount_percent")),
        pl.when(pl.col("discount_days") >= 0).then(pl.col("discount_days")),
    )


def _payment_table(payments: _Payments, items: _Items, names: _Names, numbers_so_far: int) -> pl.DataFrame:
    """payments.csv rows; `applied_to` lists each payment's applications in item order."""
    applied = payments.applied
    lines = (
        pl.DataFrame(
            {
                "payment": payments.applied_payment,
                "item": applied.item,
                "number": _document_numbers(items.doc_type[applied.item], items.number[applied.item]),
                "amount": applied.amount,
            }
        )
        .sort("payment", "item")
        .group_by("payment", maintain_order=True)
        .agg(
            applied_to=(pl.col("number") + ":" + _money_text("amount")).str.join(";"),
            first_number=pl.col("number").first(),
        )
    )
    n = len(payments.day)
    frame = pl.DataFrame(
        {
            "payment": np.arange(n, dtype=np.int64),
            "payment_id": _numbered("PAY-", 100_001 + numbers_so_far, n),
            "customer_id": names.ids(payments.customer),
            "payment_date": _dates(payments.day),
            "currency": names.currencies(payments.customer),
            "amount": payments.amount,
            "kind": payments.reference_kind,
            "check": payments.check_number,
        }
    ).join(lines, on="payment", how="left", maintain_order="left")
    reference = (
        pl.when((pl.col("kind") == 0) & pl.col("first_number").is_not_null())
        .then(pl.col("first_number"))
        .when(pl.col("kind") != 2)
        .then("CHK " + pl.col("check").cast(pl.String))
    )
    return frame.with_columns(_money_text("amount"), reference.alias("reference")).select(PAYMENTS_HEADER)


def _writeoff_table(writeoffs: _Settlements, items: _Items) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "invoice_number": _document_numbers(items.doc_type[writeoffs.item], items.number[writeoffs.item]),
            "date": _dates(writeoffs.day),
            "amount": writeoffs.amount,
            "reason": _labels(_WRITEOFF_REASONS, writeoffs.item % len(_WRITEOFF_REASONS)),
        }
    ).with_columns(_money_text("amount"))


def _order_table(orders: _Orders, names: _Names, numbers_so_far: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "order_number": _numbered("SO-", 500_001 + numbers_so_far, len(orders.day)),
            "customer_id": names.ids(orders.customer),
            "order_date": _dates(orders.day),
            "currency": names.currencies(orders.customer),
            "amount": orders.amount,
            "status": _labels(_ORDER_STATUSES, orders.status),
        }
    ).with_columns(_money_text("amount"))


def _write(frame: pl.DataFrame, target: Path | BinaryIO, *, header: bool) -> None:
    frame.write_csv(target, include_header=header)
