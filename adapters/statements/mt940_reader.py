"""SWIFT MT940 customer statements through the `mt-940` package, with envelopes, CRLF and several statements.

Why around the package rather than in it: real files wrap each message in a SWIFT envelope
(`{1:…}{2:…}{4:` … `-}`), concatenate several statements (several `:20:`), use CRLF, and we need the
line of every `:61:` for errors and the opening/closing balance check (`:60F:` + credits − debits =
`:62F:`), which the package does not do. Marks: `C` credit (a payment), `D` debit, `RC`/`RD`
reversals (skipped and counted). `:86:` is read both as German structured sub-fields (?20–?29
purpose, ?30/?31 bank and account, ?32/?33 name, SEPA `EREF+`/`SVWZ+`) and as free text.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import mt940

from creditbridge.adapters.statements.errors import Issues
from creditbridge.adapters.statements.payment_ids import assign_ids, usable
from creditbridge.core.model import BankStatement, BankTransaction
from creditbridge.core.money import Money, MoneyError

_TAG = re.compile(r"^:(?P<tag>\d\d[A-Z]?):", re.MULTILINE)
_LINE_61 = re.compile(r"^\d{6}(\d{4}|\s{4})?R?[CD][A-Z]?\d+,\d*")
_BALANCE = re.compile(r"^[CD]\d{6}[A-Z]{3}\d+,\d*$")
_BALANCE_TAGS = ("60F", "60M", "62F", "62M", "64", "65")
_SWIFT_LINE = 65
"""Width of an MT940 text line: a line this long was wrapped by the bank, not ended by the payer."""
logging.getLogger("mt940").addHandler(logging.NullHandler())  # its parse warnings are ours to report, with lines

_OPTIONS = mt940.Options(applicant_iban=True, merge_keeps_values=True, reversal_sign=True,
                         case_insensitive_marks=True, strip_bom=True)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Block:
    """One statement's text and the file line its first line is on."""

    text: str
    first_line: int


def _blocks(text: str, issues: Issues) -> list[_Block]:
    """The statements of a file: inside each SWIFT envelope's block 4 (or the whole file), split at `:20:`."""
    messages: list[tuple[str, int]] = []
    opens = [m.end() for m in re.finditer(r"\{4:[ \t]*\n", text)]
    for start in opens:
        end = text.find("\n-}", start)
        first_line = text.count("\n", 0, start) + 1
        if end < 0:
            issues.add("SWIFT block 4 is not closed with '-}'; the file may be cut off", line=first_line - 1,
                       field="{4:")
            end = len(text)
        messages.append((text[start:end], first_line))
    if not opens:
        messages = [(text, 1)]
    blocks: list[_Block] = []
    for body, first_line in messages:
        starts = [m.start() for m in re.finditer(r"(?m)^:20:", body)]
        for index, start in enumerate(starts):
            end = starts[index + 1] if index + 1 < len(starts) else len(body)
            blocks.append(_Block(body[start:end], first_line + body.count("\n", 0, start)))
    return blocks


def _tags_readable(block: _Block, issues: Issues) -> bool:
    """Check the fields the balance check and the payments rest on, naming the line of each bad one."""
    before = issues.total
    found = list(_TAG.finditer(block.text))
    for index, match in enumerate(found):
        tag = match.group("tag")
        end = found[index + 1].start() if index + 1 < len(found) else len(block.text)
        value = block.text[match.end() : end].strip()
        line = block.first_line + block.text.count("\n", 0, match.start())
        if tag == "61" and not _LINE_61.match(value):
            issues.add(f"{value.splitlines()[0] if value else ''!r} is not a statement line "
                       "(YYMMDD[MMDD] C/D/RC/RD amount with a decimal comma, type, reference)", line=line, field=":61:")
        elif tag in _BALANCE_TAGS and not _BALANCE.match(value):
            issues.add(f"{value!r} is not a balance (C/D, YYMMDD, currency, amount with a decimal comma)", line=line,
                       field=f":{tag}:")
    tags = {m.group("tag") for m in found}
    if not tags & {"62F", "62M"}:
        issues.add("the statement has no closing balance (:62F:); the file may be cut off", line=block.first_line,
                   field=":62F:")
    if not tags & {"60F", "60M"}:
        issues.add("the statement has no opening balance (:60F:)", line=block.first_line, field=":60F:")
    return issues.total == before


def _signed(balance: Any) -> Decimal | None:
    amount = getattr(balance, "amount", None)
    value = getattr(amount, "amount", None)
    return value if isinstance(value, Decimal) else None


def _free_text(raw: str) -> str:
    """Free `:86:` text with the bank's hard wraps at 65 characters joined without a space."""
    parts = raw.split("\n")
    text = ""
    for index, part in enumerate(parts):
        text += part
        if index + 1 < len(parts) and len(part) < _SWIFT_LINE:
            text += " "
    return " ".join(text.split())


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


@dataclass
class _Draft:
    bank_reference: str | None
    fallback: str
    transaction: dict[str, Any]


def read_mt940(text: str, file: str) -> BankStatement:
    """Every `C` entry of an MT940 file as a payment; debits and reversals counted; balances checked."""
    issues = Issues(file)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks = _blocks(text, issues)
    if not blocks:
        issues.add("no statement found (no ':20:' field)", line=1, field=":20:")
        issues.raise_if_any()
    drafts: list[_Draft] = []
    debits = reversals = 0
    accounts: list[str] = []
    dates: list[date] = []
    for block in blocks:
        tags = [(m.group("tag"), block.first_line + block.text.count("\n", 0, m.start()))
                for m in _TAG.finditer(block.text)]
        if not _tags_readable(block, issues):
            continue
        lines_61 = [line for tag, line in tags if tag == "61"]
        closing_line = next((line for tag, line in tags if tag.startswith("62")), block.first_line)
        try:
            parsed = mt940.parse(block.text, options=_OPTIONS)
            transactions = list(parsed)
        except (RuntimeError, ValueError, InvalidOperation, KeyError, IndexError, TypeError, AttributeError) as exc:
            issues.add(f"cannot read this statement: {exc}", line=block.first_line, field=":20:")
            continue
        data = parsed.data
        reference = _text(data.get("transaction_reference")) or f"STMT{len(accounts) + 1}"
        number = _text(data.get("statement_number"))
        sequence = _text(data.get("sequence_number"))
        stmt_id = "/".join(part for part in (reference, number, sequence) if part)
        account = _text(data.get("account_identification"))
        if account is None:
            issues.add("the statement has no account (:25:)", line=block.first_line, field=":25:")
        elif account not in accounts:
            accounts.append(account)
        if len(transactions) != len(lines_61):
            issues.add(f"{len(lines_61)} ':61:' lines but {len(transactions)} readable transactions",
                       line=block.first_line, field=":61:")  # fmt: skip
            continue
        net = Decimal(0)
        for position, (transaction, line) in enumerate(zip(transactions, lines_61, strict=True), start=1):
            tx: dict[str, Any] = dict(transaction.data)
            tx["_line"] = line
            tx["_statement_id"] = stmt_id
            tx["_account"] = account
            amount = tx.get("amount")
            value = getattr(amount, "amount", None)
            if not isinstance(value, Decimal) or not value.is_finite():
                issues.add("the amount is not a number", line=line, field=":61: amount")
                continue
            net += value
            mark = str(tx.get("status") or "").upper()
            if mark in ("RC", "RD"):
                reversals += 1
            elif mark == "D":
                debits += 1
            elif mark == "C":
                drafts.append(_Draft(_text(tx.get("bank_reference")), f"{stmt_id}-{position}", tx))
            else:
                issues.add(f"debit/credit mark {mark!r} is not C, D, RC or RD", line=line, field=":61: mark")
        opening = _signed(data.get("final_opening_balance") or data.get("intermediate_opening_balance"))
        closing = _signed(data.get("final_closing_balance") or data.get("intermediate_closing_balance"))
        for key in ("final_opening_balance", "final_closing_balance"):
            when = getattr(data.get(key), "date", None)
            if isinstance(when, date):
                dates.append(date(when.year, when.month, when.day))
        if opening is not None and closing is not None and opening + net != closing:
            issues.add(f"balances do not add up: opening {opening} + credits − debits = {opening + net}, closing "
                       f"balance is {closing}", line=closing_line, field=":62F:")  # fmt: skip
    result: list[BankTransaction] = []
    ids = assign_ids([(d.bank_reference,) for d in drafts], [d.fallback for d in drafts])
    for ident, draft in zip(ids, drafts, strict=True):
        made = _transaction(ident, draft, issues)
        if made is not None:
            result.append(made)
    issues.raise_if_any()
    return BankStatement(source=file, format="mt940", transactions=tuple(result), skipped_debits=debits,
                         skipped_reversals=reversals, accounts=tuple(accounts), period_start=min(dates, default=None),
                         period_end=max(dates, default=None))  # fmt: skip


def _transaction(ident: str, draft: _Draft, issues: Issues) -> BankTransaction | None:
    tx = draft.transaction
    line = tx["_line"]
    amount = tx["amount"]
    try:
        money = Money(abs(amount.amount), str(amount.currency or ""))
    except MoneyError:
        issues.add(f"currency {amount.currency!r} is not an ISO 4217 code (from :60F:)", line=line, field="currency")
        return None
    value_date = tx.get("date")
    booked = tx.get("entry_date") or value_date
    if not isinstance(booked, date):
        issues.add("no value date", line=line, field=":61: date")
        return None
    purpose = _text(tx.get("purpose"))
    details = tx.get("transaction_details")
    remittance = purpose or (_free_text(details) if isinstance(details, str) and details.strip() else None)
    name = _text(tx.get("applicant_name"))
    account = _text(tx.get("applicant_iban")) or _text(tx.get("gvc_applicant_iban"))
    end_to_end = usable(_text(tx.get("end_to_end_reference")))
    if remittance and remittance.startswith("/"):
        fields = _swift_subfields(remittance)
        name = name or fields.get("NAME")
        account = account or fields.get("IBAN")
        end_to_end = end_to_end or usable(fields.get("EREF"))
        remittance = fields.get("REMI") or fields.get("USTD") or remittance
    return BankTransaction(
        transaction_id=ident, booked_on=date(booked.year, booked.month, booked.day), amount=money, payer_name=name,
        payer_account=account, remittance_text=remittance,
        value_date=date(value_date.year, value_date.month, value_date.day) if isinstance(value_date, date) else None,
        end_to_end_id=end_to_end, bank_reference=draft.bank_reference, statement_id=tx["_statement_id"],
        account=tx["_account"],
    )  # fmt: skip


_SUBFIELD_KEYS = ("TRTP", "EREF", "MARF", "CSID", "CNTP", "REMI", "PURP", "ORDP", "BENM", "ULTD", "ULTC", "RTRN",
                  "IREF", "NAME", "IBAN", "BIC", "USTD", "STRD", "CUR", "ADDR", "ID", "CITY")  # fmt: skip


_SOFT_KEYS = ("ID", "CUR", "ADDR", "CITY")
"""Keys short enough to occur as words of remittance text: they do not end a REMI/USTD value."""


def _swift_subfields(text: str) -> dict[str, str]:
    """'/EREF/E2E1/CNTP/NL91…/BIC/NAME/ACME BV/REMI/USTD//INV 1001/' → {'EREF': 'E2E1', 'NAME': 'ACME BV', …}.

    The Dutch/SWIFT structured :86: (Rabobank, ING, ABN AMRO); CNTP holds IBAN/BIC/NAME/CITY in order.
    """
    parts = text.strip("/").split("/")
    found: dict[str, str] = {}
    key: str | None = None
    values: list[str] = []
    cntp: list[str] = []

    def flush() -> None:
        if key is not None:
            joined = "/".join(values).strip("/ ")
            if key == "CNTP":
                cntp.extend(values)
            elif joined and key not in found:
                found[key] = joined

    for part in parts:
        in_text = key in ("REMI", "USTD", "STRD")
        if part in _SUBFIELD_KEYS and not (in_text and part in _SOFT_KEYS):
            flush()
            key, values = part, []
        else:
            values.append(part)
    flush()
    if cntp:
        for field_name, value in zip(("IBAN", "BIC", "NAME", "CITY"), cntp, strict=False):
            if value.strip():
                found.setdefault(field_name, value.strip())
    return found
