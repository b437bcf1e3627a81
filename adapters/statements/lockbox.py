"""Fixed-width bank lockbox files, with the record layout as configuration.

Why configurable: lockbox transmissions are bank-specific (Oracle keeps one "transmission format"
per bank). The default layout follows the common BAI-style lockbox file: 1 header, 5 batch header,
6 payment (check) with amount and MICR routing/account, 4 overflow remittance lines with invoice
number and amount, 7 batch trailer, 9 file trailer; 2 and 8 (service header, lockbox trailer) are
read past. A bank with other positions gives a small TOML or YAML file (`LockboxLayout.from_file`).
Positions are 1-based columns with a length, as banks print them in their layout documents.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from creditbridge.adapters.statements.errors import Issues, fail
from creditbridge.adapters.statements.payment_ids import assign_ids
from creditbridge.core.model import BankStatement, BankTransaction, RemittanceLine
from creditbridge.core.money import Money, MoneyError

Positions = Mapping[str, tuple[int, int]]
"""Field name → (first column, 1-based; length)."""

_REQUIRED: dict[str, tuple[str, ...]] = {
    "header_fields": (),
    "batch_header_fields": ("batch",),
    "payment_fields": ("amount",),
    "remittance_fields": ("invoice_number",),
    "batch_trailer_fields": (),
    "file_trailer_fields": (),
}


@dataclass(frozen=True)
class LockboxLayout:
    """Record types and field positions of one bank's lockbox file. The defaults are documented in README."""

    header: str = "1"
    batch_header: str = "5"
    payment: str = "6"
    remittance: str = "4"
    batch_trailer: str = "7"
    file_trailer: str = "9"
    ignored: tuple[str, ...] = ("2", "8")
    currency: str = "USD"
    implied_decimals: int = 2
    date_format: str = "%y%m%d"
    header_fields: Positions = field(default_factory=lambda: {"origin": (14, 10), "deposit_date": (24, 6)})
    batch_header_fields: Positions = field(
        default_factory=lambda: {"batch": (2, 3), "lockbox": (8, 7), "deposit_date": (15, 6)})
    payment_fields: Positions = field(default_factory=lambda: {
        "batch": (2, 3), "item": (5, 3), "amount": (8, 10), "routing": (18, 9), "account": (27, 10),
        "check_number": (37, 10), "payer_name": (47, 30)})  # fmt: skip
    remittance_fields: Positions = field(default_factory=lambda: {
        "batch": (2, 3), "item": (5, 3), "invoice_number": (12, 15), "invoice_amount": (27, 10)})  # fmt: skip
    batch_trailer_fields: Positions = field(
        default_factory=lambda: {"batch": (2, 3), "count": (21, 3), "total": (24, 10)})
    file_trailer_fields: Positions = field(default_factory=lambda: {"count": (2, 6), "total": (8, 12)})

    @property
    def record_types(self) -> tuple[str, ...]:
        return (self.header, self.batch_header, self.payment, self.remittance, self.batch_trailer,
                self.file_trailer, *self.ignored)  # fmt: skip

    @property
    def type_width(self) -> int:
        return len(self.payment)

    @classmethod
    def from_file(cls, path: str | Path) -> LockboxLayout:
        """A layout from a TOML (.toml) or YAML file whose keys are this class's fields; missing keys keep defaults."""
        name = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise fail(name, f"cannot read the lockbox layout: {exc}") from None
        try:
            raw: Any = tomllib.loads(text) if name.endswith(".toml") else YAML(typ="safe").load(text)
        except (tomllib.TOMLDecodeError, YAMLError) as exc:
            raise fail(name, f"not valid {'TOML' if name.endswith('.toml') else 'YAML'}: {exc}") from None
        return cls.from_mapping(raw if raw is not None else {}, name)

    @classmethod
    def from_mapping(cls, raw: object, source: str = "lockbox layout") -> LockboxLayout:
        issues = Issues(source)
        if not isinstance(raw, Mapping):
            raise fail(source, "the lockbox layout must be a mapping of settings")
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in known:
                issues.add(f"unknown setting (known: {', '.join(sorted(known))})", field=str(key))
            elif key.endswith("_fields"):
                values[key] = _positions(value, str(key), issues)
            elif key == "ignored":
                if isinstance(value, list) and all(isinstance(v, str | int) for v in value):
                    values[key] = tuple(str(v) for v in value)
                else:
                    issues.add("must be a list of record types", field=key)
            elif key == "implied_decimals":
                if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 4:
                    values[key] = value
                else:
                    issues.add("must be a whole number from 0 to 4", field=key)
            elif isinstance(value, str | int) and not isinstance(value, bool) and str(value):
                values[key] = str(value)
            else:
                issues.add("must be a text value", field=str(key))
        issues.raise_if_any()
        layout = cls(**values)
        for key, names in _REQUIRED.items():
            missing = [n for n in names if n not in getattr(layout, key)]
            if missing:
                issues.add(f"must give the position of {', '.join(missing)}", field=key)
        if len({len(t) for t in layout.record_types}) != 1:
            issues.add("all record types must have the same width", field="payment")
        issues.raise_if_any()
        return layout


def _positions(value: object, key: str, issues: Issues) -> dict[str, tuple[int, int]]:
    if not isinstance(value, Mapping):
        issues.add("must map field names to [first column, length]", field=key)
        return {}
    result: dict[str, tuple[int, int]] = {}
    for name, spec in value.items():
        if (isinstance(spec, list | tuple) and len(spec) == 2
                and all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in spec)):  # fmt: skip
            result[str(name)] = (int(spec[0]), int(spec[1]))
        else:
            issues.add(f"{spec!r} is not [first column, length] with positive whole numbers", field=f"{key}.{name}")
    return result


def looks_like_lockbox(lines: list[str], layout: LockboxLayout) -> bool:
    """True when every non-blank line starts with one of the layout's record types (and one is a payment)."""
    width = layout.type_width
    types = set(layout.record_types)
    present = [line[:width] for line in lines if line.strip()]
    return bool(present) and all(t in types for t in present) and layout.payment in present


@dataclass
class _Payment:
    line: int
    batch: str
    item: str
    lockbox: str
    amount: Money
    when: date | None
    check_number: str | None
    payer_account: str | None
    payer_name: str | None
    lines: list[RemittanceLine] = field(default_factory=list)


class _LockboxReader:
    def __init__(self, file: str, layout: LockboxLayout) -> None:
        self.file = file
        self.layout = layout
        self.issues = Issues(file)
        self.payments: list[_Payment] = []
        self.header_date: date | None = None
        self.batch = ""
        self.lockbox = ""
        self.batch_date: date | None = None
        self.batch_payments: list[_Payment] = []
        self.seen_batch_trailer = False

    def value(self, line: str, number: int, positions: Positions, name: str) -> str | None:
        spec = positions.get(name)
        if spec is None:
            return None
        start, length = spec
        return line[start - 1 : start - 1 + length].strip() or None

    def amount(self, line: str, number: int, positions: Positions, name: str, required: bool) -> Decimal | None:
        text = self.value(line, number, positions, name)
        if text is None:
            if required:
                self.issues.add("missing", line=number, field=name)
            return None
        if not text.isdigit() or not text.isascii():
            self.issues.add(f"{text!r} is not a whole number of minor units (digits only)", line=number, field=name)
            return None
        return Decimal(int(text)).scaleb(-self.layout.implied_decimals)

    def day(self, line: str, number: int, positions: Positions) -> date | None:
        text = self.value(line, number, positions, "deposit_date")
        if text is None:
            return None
        try:
            return datetime.strptime(text, self.layout.date_format).date()
        except ValueError:
            self.issues.add(f"{text!r} is not a date in the form {self.layout.date_format}", line=number,
                            field="deposit_date")  # fmt: skip
            return None

    def count(self, line: str, number: int, positions: Positions) -> int | None:
        text = self.value(line, number, positions, "count")
        if text is None:
            return None
        if not text.isdigit() or not text.isascii():
            self.issues.add(f"{text!r} is not a whole number", line=number, field="count")
            return None
        return int(text)

    def money(self, value: Decimal, number: int, name: str) -> Money | None:
        try:
            return Money(value, self.layout.currency)
        except MoneyError as exc:
            self.issues.add(str(exc), line=number, field=name)
            return None

    def check(self, what: str, number: int, positions: Positions, line: str, payments: list[_Payment]) -> None:
        stated_count = self.count(line, number, positions)
        if stated_count is not None and stated_count != len(payments):
            self.issues.add(f"control total: the {what} says {stated_count} payments, there are {len(payments)}",
                            line=number, field="count")  # fmt: skip
        stated_total = self.amount(line, number, positions, "total", required=False)
        actual = sum((p.amount.amount for p in payments), Decimal(0))
        if stated_total is not None and stated_total != actual:
            self.issues.add(f"control total: the {what} says {stated_total}, the payments add up to {actual}",
                            line=number, field="total")  # fmt: skip

    def read(self, lines: list[str]) -> None:
        layout = self.layout
        width = layout.type_width
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            kind = line[:width]
            if kind == layout.header:
                self.header_date = self.day(line, number, layout.header_fields)
            elif kind == layout.batch_header:
                self.batch = self.value(line, number, layout.batch_header_fields, "batch") or ""
                self.lockbox = self.value(line, number, layout.batch_header_fields, "lockbox") or self.lockbox
                self.batch_date = self.day(line, number, layout.batch_header_fields)
                self.batch_payments = []
            elif kind == layout.payment:
                self.payment(line, number)
            elif kind == layout.remittance:
                self.remittance(line, number)
            elif kind == layout.batch_trailer:
                self.check("batch trailer", number, layout.batch_trailer_fields, line, self.batch_payments)
                self.batch_payments = []
            elif kind == layout.file_trailer:
                self.check("file trailer", number, layout.file_trailer_fields, line, self.payments)
            elif kind not in layout.ignored:
                self.issues.add(f"unknown record type {kind!r} (expected one of {', '.join(layout.record_types)})",
                                line=number, field="record type")  # fmt: skip

    def payment(self, line: str, number: int) -> None:
        positions = self.layout.payment_fields
        value = self.amount(line, number, positions, "amount", required=True)
        if value is None:
            return
        if value == 0:
            self.issues.add("a payment of zero", line=number, field="amount")
            return
        money = self.money(value, number, "amount")
        if money is None:
            return
        routing = self.value(line, number, positions, "routing")
        account = self.value(line, number, positions, "account")
        micr = "/".join(part for part in (routing, account) if part) or None
        batch = self.value(line, number, positions, "batch") or self.batch
        item = self.value(line, number, positions, "item") or str(len(self.batch_payments) + 1)
        payment = _Payment(number, batch, item, self.lockbox, money, self.batch_date or self.header_date,
                           self.value(line, number, positions, "check_number"), micr,
                           self.value(line, number, positions, "payer_name"))  # fmt: skip
        if payment.when is None:
            self.issues.add("no deposit date for this payment (batch header or file header)", line=number,
                            field="deposit_date")  # fmt: skip
        self.payments.append(payment)
        self.batch_payments.append(payment)

    def remittance(self, line: str, number: int) -> None:
        positions = self.layout.remittance_fields
        owner = self.payments[-1] if self.payments else None
        batch = self.value(line, number, positions, "batch")
        item = self.value(line, number, positions, "item")
        if owner is None or (batch is not None and batch != owner.batch) or (item is not None and item != owner.item):
            self.issues.add("remittance record does not follow its payment (batch and item must match the "
                            "payment record before it)", line=number, field="item")  # fmt: skip
            return
        invoice = self.value(line, number, positions, "invoice_number")
        value = self.amount(line, number, positions, "invoice_amount", required=False)
        money = self.money(value, number, "invoice_amount") if value is not None else None
        if invoice is not None or money is not None:
            owner.lines.append(RemittanceLine(invoice, money, None))


def read_lockbox(text: str, file: str, layout: LockboxLayout) -> BankStatement:
    """Every check of a lockbox file as a payment with its remittance lines; trailer totals checked."""
    reader = _LockboxReader(file, layout)
    reader.read(text.splitlines())
    reader.issues.raise_if_any()
    payments = reader.payments
    ids = assign_ids([() for _ in payments], [f"{p.lockbox or 'LBX'}-{p.batch}-{p.item}" for p in payments])
    transactions = tuple(
        BankTransaction(transaction_id=ident, booked_on=p.when, amount=p.amount, payer_name=p.payer_name,
                        payer_account=p.payer_account, remittance_lines=tuple(p.lines), value_date=p.when,
                        bank_reference=p.check_number, statement_id=p.lockbox or None, account=p.lockbox or None)
        for ident, p in zip(ids, payments, strict=True) if p.when is not None
    )  # fmt: skip
    dates = [t.booked_on for t in transactions]
    lockboxes = tuple(dict.fromkeys(p.lockbox for p in payments if p.lockbox))
    return BankStatement(source=file, format="lockbox", transactions=transactions, accounts=lockboxes,
                         period_start=min(dates, default=None), period_end=max(dates, default=None))  # fmt: skip
