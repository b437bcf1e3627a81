"""BAI2 cash management files through the `bai2` package, with every check naming its line.

Why around the package: it joins `88` continuation records and models the file well, but its
integrity errors name no line and stop at the first. So records are indexed by line first (bad
record codes reported all at once), the package parses without its own checks, and the control
totals (account 49, group 98, file 99: amounts and record counts) are checked here, each failure
naming its trailer line. Detail type codes 100–399 are credits, 400–699 debits (BAI2 spec); credit
codes that return or reverse an earlier item (debit reversal, ACH return, check reversal…) are
counted as reversals, not payments. Text, bank and customer references are kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from bai2 import helpers as bai2_helpers
from bai2 import parsers as bai2_parsers
from bai2.constants import TypeCodeTransaction

from creditbridge.adapters.statements.errors import Issues, fail
from creditbridge.adapters.statements.payment_ids import assign_ids, usable
from creditbridge.core.model import BankStatement, BankTransaction, RemittanceLine
from creditbridge.core.money import Money, MoneyError, minor_digits

RECORD_CODES = ("01", "02", "03", "16", "49", "88", "98", "99")
REVERSAL_CREDITS = frozenset({"123", "168", "251", "252", "255", "256", "257", "258", "266", "268", "395"})
"""Credit type codes that return or reverse an earlier item: money coming back, not a customer paying."""

_KEYWORDS = r"(?:ID|ENTRY DESCR|CO ENTRY DESCR|OBI|ORIG ID|SEC|IND ID|IND NAME|TRN|REF|DESC DATE|EED|BNF|ORG|OGB|REMIT)"
_PAYER = re.compile(r"(?:ORIG CO NAME|B/O(?: CUSTOMER)?|BY ORDER OF|ORIGINATOR)\s*[:=]\s*(?P<name>[^:]+?)"
                    rf"(?=\s+{_KEYWORDS}\s*[:=]|\s*$)", re.IGNORECASE)
"""The payer's name in the usual wire (B/O) and ACH (ORIG CO NAME) detail texts."""
_RMR = re.compile(r"RMR\*(?P<kind>[A-Z0-9]{2})\*(?P<number>[^*~\\\s]+)\*[^*~\\]*\*(?P<amount>\d+(?:\.\d{1,4})?)")
"""An EDI 820 remittance segment carried in ACH addenda text: RMR*IV*<invoice>*PI*<amount>."""


@dataclass(frozen=True, slots=True)
class _Record:
    line: int
    code: str


class _CountingIterator(bai2_helpers.IteratorHelper):  # type: ignore[misc]
    """The package's record iterator, counting records so a parse error can name its line."""

    def __init__(self, lines: list[str]) -> None:
        self.position = -1
        super().__init__(lines)

    def advance(self) -> None:
        self.position += 1
        super().advance()


def _index(text: str, file: str, issues: Issues) -> tuple[list[str], list[_Record]]:
    """Non-blank lines and the logical records (continuations folded into their record) with their lines."""
    lines: list[str] = []
    records: list[_Record] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        code = line[:2]
        if code not in RECORD_CODES or line[2:3] != ",":
            issues.add(f"{line[:20]!r} does not start with a BAI2 record code ({', '.join(RECORD_CODES)})",
                       line=number, field="record code")  # fmt: skip
            continue
        if code == "88" and not records:
            issues.add("continuation record (88) with no record before it", line=number, field="record code")
            continue
        if code != "88":
            if records and records[-1].code in ("03", "16") and lines and not lines[-1].startswith("88"):
                lines[-1] = _with_defaults(lines[-1])
            records.append(_Record(number, code))
        lines.append(line)
    return lines, records


_NEXT = {None: ("01",), "01": ("02",), "02": ("03",), "03": ("16", "49"), "16": ("16", "49"), "49": ("03", "98"),
         "98": ("02", "99"), "99": ()}
"""Which record may follow which: file (01 … 99) > groups (02 … 98) > accounts (03, 16 details, 49)."""


def _check_structure(records: list[_Record], issues: Issues) -> None:
    """The nesting of headers and trailers; a file that breaks it is refused before the package sees it."""
    previous: str | None = None
    for record in records:
        allowed = _NEXT[previous]
        if record.code not in allowed:
            expected = " or ".join(allowed) if allowed else "nothing after the file trailer (99)"
            issues.add(f"record {record.code} cannot come here: expected {expected}", line=record.line,
                       field="record code")
            return
        previous = record.code
    if previous != "99":
        issues.add("the file ends before its file trailer (99); it may be cut off",
                   line=records[-1].line if records else 1, field="record code")


def _with_defaults(line: str) -> str:
    """A one-line 03 or 16 record with its trailing optional fields written out.

    BAI2 lets a record end early with '/' (the rest take their defaults); the package indexes the fields
    and fails on such records, so the empty fields are added here. Records with availability
    (funds type S, V or D) have variable length and are left as sent.
    """
    fields = line.rstrip("/").split(",")
    if fields[0] == "16":
        if len(fields) < 7 and (len(fields) < 4 or fields[3] not in ("S", "V", "D")):
            fields += [""] * (7 - len(fields))
    elif fields[0] == "03":
        summary = fields[3:]
        if summary and len(summary) % 4 and not any(summary[i] in ("S", "V", "D") for i in range(3, len(summary), 4)):
            fields += [""] * (4 - len(summary) % 4)
    return ",".join(fields) + "/"


def _amount(value: Any) -> int:
    return value if isinstance(value, int) else 0


@dataclass
class _Draft:
    bank_reference: str | None
    fallback: str
    values: dict[str, Any]


def read_bai2(text: str, file: str) -> BankStatement:
    """Every credit detail (16) of a BAI2 file as a payment; control totals checked per account, group and file."""
    issues = Issues(file)
    lines, records = _index(text, file, issues)
    issues.raise_if_any()
    _check_structure(records, issues)
    issues.raise_if_any()
    iterator: _CountingIterator | None = None
    try:
        iterator = _CountingIterator(lines)
        parsed = bai2_parsers.Bai2FileParser(iterator, check_integrity=False).parse()
    except Exception as exc:  # the package raises bare ValueError/KeyError/IndexError and its own: all bad input
        position = iterator.position if iterator is not None else 0
        line = records[min(max(position, 0), len(records) - 1)].line if records else 1
        message = str(exc) or type(exc).__name__
        if isinstance(exc, StopIteration):
            message = "the file ends before its trailer records (49/98/99)"
        raise fail(file, f"not a readable BAI2 file: {message}", line=line) from None
    cursor = iter(records)

    def next_line(code: str) -> int:
        for record in cursor:
            if record.code == code:
                return record.line
        return records[-1].line if records else 1

    drafts: list[_Draft] = []
    debits = reversals = 0
    accounts: list[str] = []
    dates: list[date] = []
    next_line("01")
    file_total = 0
    groups = list(parsed.children)
    for group in groups:
        next_line("02")
        header = group.header
        as_of: date | None = header.as_of_date
        if as_of is not None:
            dates.append(as_of)
        group_total = 0
        group_records = 0  # counted here: the package's `rows` property appends to the header's list
        for account_block in group.children:
            next_line("03")
            ident = account_block.header
            account = (ident.customer_account_number or "").strip() or None
            currency = (ident.currency or header.currency or "USD").strip()
            if account and account not in accounts:
                accounts.append(account)
            account_total = sum(_amount(s.amount) for s in ident.summary_items)
            records_in_account = len(ident.rows)
            for position, detail in enumerate(account_block.children, start=1):
                line = next_line("16")
                account_total += _amount(detail.amount)
                records_in_account += len(detail.rows)
                code = detail.type_code
                if code.transaction == TypeCodeTransaction.credit and code.code in REVERSAL_CREDITS:
                    reversals += 1
                elif code.transaction == TypeCodeTransaction.debit:
                    debits += 1
                elif code.transaction == TypeCodeTransaction.credit:
                    values = {"line": line, "detail": detail, "currency": currency, "account": account,
                              "as_of": as_of, "file_id": parsed.header.file_id}  # fmt: skip
                    bank_ref = usable(detail.bank_reference)
                    drafts.append(_Draft(bank_ref, f"{account or 'ACCT'}-{as_of:%Y%m%d}-{position}" if as_of else
                                         f"{account or 'ACCT'}-{position}", values))  # fmt: skip
            trailer = account_block.trailer
            trailer_line = next_line("49")
            records_in_account += len(trailer.rows)
            _check(issues, trailer_line, "account", "account control total", trailer.account_control_total,
                   account_total)  # fmt: skip
            _check(issues, trailer_line, "account", "number of records", trailer.number_of_records,
                   records_in_account)  # fmt: skip
            group_total += account_total
            group_records += records_in_account
        group_line = next_line("98")
        gt = group.trailer
        _check(issues, group_line, "group", "group control total", gt.group_control_total, group_total)
        _check(issues, group_line, "group", "number of accounts", gt.number_of_accounts, len(group.children))
        group_records += len(group.header.rows) + len(gt.rows)
        _check(issues, group_line, "group", "number of records", gt.number_of_records, group_records)
        file_total += group_total
    file_line = next_line("99")
    ft = parsed.trailer
    _check(issues, file_line, "file", "file control total", ft.file_control_total, file_total)
    _check(issues, file_line, "file", "number of groups", ft.number_of_groups, len(groups))
    _check(issues, file_line, "file", "number of records", ft.number_of_records, len(lines))
    ids = assign_ids([(d.bank_reference,) for d in drafts], [d.fallback for d in drafts])
    transactions = [t for t in (_transaction(i, d, issues) for i, d in zip(ids, drafts, strict=True)) if t]
    issues.raise_if_any()
    return BankStatement(source=file, format="bai2", transactions=tuple(transactions), skipped_debits=debits,
                         skipped_reversals=reversals, accounts=tuple(accounts), period_start=min(dates, default=None),
                         period_end=max(dates, default=None))  # fmt: skip


def _check(issues: Issues, line: int, where: str, what: str, stated: Any, actual: int) -> None:
    if stated is None:
        return
    if stated != actual:
        issues.add(f"control total: the {where} trailer says {what} {stated}, the file has {actual}", line=line,
                   field=what)  # fmt: skip


def _transaction(ident: str, draft: _Draft, issues: Issues) -> BankTransaction | None:
    values = draft.values
    detail = values["detail"]
    line = values["line"]
    currency = values["currency"]
    if values["as_of"] is None:
        issues.add("the group header (02) has no as-of date", line=line, field="as-of date")
        return None
    if not isinstance(detail.amount, int) or detail.amount <= 0:
        issues.add(f"amount {detail.amount!r} is not a positive whole number of minor units", line=line, field="amount")
        return None
    try:
        money = Money(Decimal(detail.amount).scaleb(-minor_digits(currency)), currency)
    except MoneyError:
        issues.add(f"currency {currency!r} is not an ISO 4217 code", line=line, field="currency")
        return None
    text = " ".join((detail.text or "").split()) or None
    value_date = None
    availability = detail.availability
    if isinstance(availability, dict) and isinstance(availability.get("date"), date):
        value_date = availability["date"]
    payer = _PAYER.search(text or "")
    customer_ref = usable(detail.customer_reference)
    lines = tuple(RemittanceLine(m.group("number"), Money(Decimal(m.group("amount")), currency), m.group("kind"))
                  for m in _RMR.finditer(text or ""))
    return BankTransaction(
        transaction_id=ident, booked_on=values["as_of"], amount=money,
        payer_name=payer.group("name").strip() if payer else None, remittance_text=text, remittance_lines=lines,
        value_date=value_date, end_to_end_id=customer_ref, bank_reference=draft.bank_reference,
        statement_id=values["file_id"] or None, account=values["account"],
    )  # fmt: skip
