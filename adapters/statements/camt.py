"""ISO 20022 camt.053 (statement), camt.054 (debit/credit notification) and camt.052 (report) on lxml.

Why our own reader: the one published package keeps only the first structured reference, and cash
application lives on every `Strd/RfrdDocInf` with its `RfrdDocAmt` (one line per paid invoice). The
reader ignores namespaces (any `camt.05x.001.xx` version) and the elements it does not need.

Safety: bank files come from outside. The parser loads no DTD, expands no entity and opens no
network; a file with a DOCTYPE (billion laughs, external entities) is refused before and after
parsing, as defusedxml does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from lxml import etree

from creditbridge.adapters.statements.errors import Issues, fail
from creditbridge.adapters.statements.payment_ids import assign_ids, usable
from creditbridge.core.model import BankStatement, BankTransaction, RemittanceLine
from creditbridge.core.money import Money, MoneyError, parse_decimal

CONTAINERS = {"BkToCstmrStmt": ("camt.053", "Stmt"), "BkToCstmrDbtCdtNtfctn": ("camt.054", "Ntfctn"),
              "BkToCstmrAcctRpt": ("camt.052", "Rpt")}  # fmt: skip
"""The message element under Document → (format name, the element of one statement in it)."""

_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_OPENING = ("OPBD", "PRCD")
_CLOSING = ("CLBD",)
_TRUE = {"true", "1"}


def safe_parser() -> etree.XMLParser:
    """An lxml parser that resolves no entity, loads no DTD and never touches the network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_pis=True, remove_comments=True)  # fmt: skip


def parse_xml(data: bytes, file: str) -> etree._Element:
    """The document's root with namespaces stripped from tags; DTDs, entities and bad XML are refused."""
    if _DTD.search(data[:4096]) or _DTD.search(data.replace(b"\x00", b"")):
        raise fail(file, "the XML declares a DOCTYPE or ENTITY; bank statements never do, and it is refused "
                         "for safety (entity expansion, external entities)")  # fmt: skip
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.position[0] if exc.position else None
        raise fail(file, f"not well-formed XML: {exc.msg}", line=line) from None
    except ValueError as exc:  # e.g. an encoding declaration lxml cannot apply
        raise fail(file, f"not readable XML: {exc}") from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise fail(file, "the XML declares a DOCTYPE; refused for safety")
    for element in root.iter():
        if isinstance(element.tag, str):
            element.tag = etree.QName(element).localname
        else:  # entity references left unresolved
            raise fail(file, "the XML uses entity references; refused for safety", line=element.sourceline)
    return root


def camt_kind(root: etree._Element) -> str | None:
    """'camt.053', 'camt.054' or 'camt.052' when the document is one, else None."""
    message = root if root.tag in CONTAINERS else next(iter(root), None)
    if message is None or not isinstance(message.tag, str):
        return None
    found = CONTAINERS.get(message.tag)
    return found[0] if found else None


def path_of(element: etree._Element) -> str:
    """'Document/BkToCstmrStmt/Stmt[1]/Ntry[3]/Amt': where an element is, with positions where they repeat."""
    parts: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        parent = node.getparent()
        name = str(node.tag)
        if parent is not None:
            same = [sibling for sibling in parent if sibling.tag == node.tag]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        parts.append(name)
        node = parent
    return "/".join(reversed(parts))


def _find(element: etree._Element | None, path: str) -> etree._Element | None:
    return None if element is None else element.find(path)


def _text(element: etree._Element | None, path: str) -> str | None:
    found = _find(element, path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _first_text(element: etree._Element | None, *paths: str) -> str | None:
    for path in paths:
        value = _text(element, path)
        if value is not None:
            return value
    return None


@dataclass
class _Draft:
    """A payment before its id is known (ids need the whole file: placeholders and repeats)."""

    candidates: tuple[str | None, ...]
    fallback: str
    booked_on: date
    amount: Money
    payer_name: str | None
    payer_account: str | None
    remittance_text: str | None
    remittance_lines: tuple[RemittanceLine, ...]
    value_date: date | None
    end_to_end_id: str | None
    bank_reference: str | None
    statement_id: str | None
    account: str | None


@dataclass
class _Reader:
    file: str
    issues: Issues
    drafts: list[_Draft] = field(default_factory=list)
    debits: int = 0
    reversals: int = 0
    accounts: list[str] = field(default_factory=list)
    starts: list[date] = field(default_factory=list)
    ends: list[date] = field(default_factory=list)

    # --- values -------------------------------------------------------------------------------
    def money(self, element: etree._Element | None, what: str, required: bool = True) -> Money | None:
        if element is None:
            if required:
                self.issues.add("missing", field=what)
            return None
        text = (element.text or "").strip()
        currency = (element.get("Ccy") or "").strip()
        try:
            amount = parse_decimal(text)
        except MoneyError:
            self.issues.add(f"amount {text!r} is not a decimal number", line=element.sourceline,
                            path=path_of(element), field=str(element.tag))
            return None
        if amount < 0:
            self.issues.add(f"amount {text!r} is negative (the sign is given by CdtDbtInd)",
                            line=element.sourceline, path=path_of(element), field=str(element.tag))
            return None
        try:
            return Money(amount, currency)
        except MoneyError:
            self.issues.add(f"currency {currency!r} is not an ISO 4217 code", line=element.sourceline,
                            path=path_of(element), field="Ccy")  # fmt: skip
            return None

    def day(self, element: etree._Element | None, what: str, required: bool) -> date | None:
        """A date from `<X><Dt>` or `<X><DtTm>`."""
        if element is None:
            if required:
                self.issues.add("missing", field=what)
            return None
        text = _first_text(element, "Dt", "DtTm")
        try:
            if text is None:
                raise ValueError
            return date.fromisoformat(text[:10])
        except ValueError:
            self.issues.add(f"date {text!r} is not an ISO date (YYYY-MM-DD)", line=element.sourceline,
                            path=path_of(element), field=what)  # fmt: skip
            return None

    def side(self, element: etree._Element, owner: etree._Element) -> str | None:
        indicator = _text(element, "CdtDbtInd")
        if indicator in ("CRDT", "DBIT"):
            return indicator
        self.issues.add(f"CdtDbtInd is {indicator!r}, expected CRDT or DBIT", line=owner.sourceline,
                        path=path_of(owner), field="CdtDbtInd")  # fmt: skip
        return None

    # --- statement ----------------------------------------------------------------------------
    def statement(self, stmt: etree._Element, number: int) -> None:
        stmt_id = _text(stmt, "Id") or f"STMT{number}"
        account = _first_text(stmt, "Acct/Id/IBAN", "Acct/Id/Othr/Id")
        if account and account not in self.accounts:
            self.accounts.append(account)
        for tag, bucket in (("FrToDt/FrDtTm", self.starts), ("FrToDt/ToDtTm", self.ends)):
            text = _text(stmt, tag)
            if text:
                try:
                    bucket.append(datetime.fromisoformat(text[:10]).date())
                except ValueError:
                    self.issues.add(f"{text!r} is not an ISO date-time", path=path_of(stmt), field=tag)
        credits = Decimal(0)
        debits = Decimal(0)
        booked_net = Decimal(0)
        credit_count = 0
        debit_count = 0
        problems_before = self.issues.total
        for entry_no, entry in enumerate(stmt.findall("Ntry"), start=1):
            side = self.side(entry, entry)
            amount = self.money(entry.find("Amt"), f"{path_of(entry)}/Amt")
            if side is None or amount is None:
                continue
            booked = (_first_text(entry, "Sts/Cd", "Sts") or "BOOK") == "BOOK"
            if side == "CRDT":
                credits += amount.amount
                credit_count += 1
                booked_net += amount.amount if booked else 0
            else:
                debits += amount.amount
                debit_count += 1
                booked_net -= amount.amount if booked else 0
            reversal = (_text(entry, "RvslInd") or "false").lower() in _TRUE
            if reversal:
                self.reversals += 1
            elif side == "DBIT":
                self.debits += 1
            else:
                self.entry(entry, amount, stmt_id, entry_no, account)
        if self.issues.total == problems_before:  # totals over unreadable entries would only repeat the problem
            self.check_totals(stmt, credit_count, credits, debit_count, debits)
            self.check_balances(stmt, booked_net)

    def check_totals(self, stmt: etree._Element, credit_count: int, credits: Decimal, debit_count: int,
                     debits: Decimal) -> None:  # fmt: skip
        summary = stmt.find("TxsSummry")
        if summary is None:
            return
        for tag, count, total in (("TtlCdtNtries", credit_count, credits), ("TtlDbtNtries", debit_count, debits),
                                  ("TtlNtries", credit_count + debit_count, None)):  # fmt: skip
            block = summary.find(tag)
            if block is None:
                continue
            stated_count = _text(block, "NbOfNtries")
            if stated_count is not None and stated_count != str(count):
                self.issues.add(f"control total: the statement says {stated_count} entries, the file has {count}",
                                line=block.sourceline, path=path_of(block), field="NbOfNtries")  # fmt: skip
            stated_sum = _text(block, "Sum")
            if total is not None and stated_sum is not None:
                try:
                    wrong = parse_decimal(stated_sum) != total
                except MoneyError:
                    self.issues.add(f"{stated_sum!r} is not a decimal number", line=block.sourceline,
                                    path=path_of(block), field="Sum")  # fmt: skip
                    continue
                if wrong:
                    self.issues.add(f"control total: the statement says {stated_sum}, its entries add up to {total}",
                                    line=block.sourceline, path=path_of(block), field="Sum")  # fmt: skip

    def check_balances(self, stmt: etree._Element, booked_net: Decimal) -> None:
        balances: dict[str, tuple[Decimal, etree._Element]] = {}
        for balance in stmt.findall("Bal"):
            code = _first_text(balance, "Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry")
            amount = self.money(balance.find("Amt"), f"{path_of(balance)}/Amt")
            side = self.side(balance, balance)
            if code is None or amount is None or side is None:
                continue
            balances.setdefault(code, (amount.amount if side == "CRDT" else -amount.amount, balance))
        opening = next((balances[c] for c in _OPENING if c in balances), None)
        closing = next((balances[c] for c in _CLOSING if c in balances), None)
        if opening is None or closing is None:
            return
        expected = opening[0] + booked_net
        if expected != closing[0]:
            self.issues.add(f"balances do not add up: opening {opening[0]} + credits − debits = {expected}, "
                            f"closing balance is {closing[0]}", line=closing[1].sourceline,
                            path=path_of(closing[1]), field="Amt")  # fmt: skip

    # --- entries ------------------------------------------------------------------------------
    def entry(self, entry: etree._Element, amount: Money, stmt_id: str, entry_no: int, account: str | None) -> None:
        booked_on = self.day(entry.find("BookgDt"), f"{path_of(entry)}/BookgDt", required=False)
        value_date = self.day(entry.find("ValDt"), f"{path_of(entry)}/ValDt", required=False)
        when = booked_on or value_date
        if when is None:
            self.issues.add("the entry has neither BookgDt nor ValDt", line=entry.sourceline, path=path_of(entry),
                            field="BookgDt")  # fmt: skip
            return
        entry_refs = (_text(entry, "AcctSvcrRef"), _text(entry, "NtryRef"))
        details = entry.findall("NtryDtls/TxDtls")
        if not details:
            self.drafts.append(_Draft(entry_refs, f"{stmt_id}-{entry_no}-1", when, amount, None, None, None, (),
                                      value_date, None, entry_refs[0], stmt_id, account))  # fmt: skip
            return
        amounts = [self.detail_amount(detail) for detail in details]
        if len(details) > 1:
            if any(a is None for a in amounts):
                self.issues.add("the entry has several TxDtls but not every one has an amount (TxDtls/Amt or "
                                "AmtDtls/TxAmt/Amt), so it cannot be split into payments", line=entry.sourceline,
                                path=path_of(entry), field="Amt")  # fmt: skip
                return
            total = sum((a.amount for a in amounts if a is not None), Decimal(0))
            if total != amount.amount:
                self.issues.add(f"control total: the TxDtls amounts add up to {total}, the entry's Amt is "
                                f"{amount.amount}", line=entry.sourceline, path=path_of(entry), field="Amt")
                return
        for detail_no, (detail, detail_amount) in enumerate(zip(details, amounts, strict=True), start=1):
            paid = detail_amount if detail_amount is not None and len(details) > 1 else amount
            if _text(detail, "CdtDbtInd") == "DBIT":
                self.debits += 1
                continue
            self.detail(detail, paid, entry_refs, f"{stmt_id}-{entry_no}-{detail_no}", when, value_date, stmt_id,
                        account)  # fmt: skip

    def detail_amount(self, detail: etree._Element) -> Money | None:
        element = detail.find("Amt")
        if element is None:
            element = detail.find("AmtDtls/TxAmt/Amt")
        return None if element is None else self.money(element, f"{path_of(detail)}/Amt")

    def detail(self, detail: etree._Element, amount: Money, entry_refs: tuple[str | None, str | None],
               fallback: str, booked_on: date, value_date: date | None, stmt_id: str, account: str | None) -> None:
        end_to_end = _text(detail, "Refs/EndToEndId")
        own_ref = _text(detail, "Refs/AcctSvcrRef")
        payer = _first_text(detail, "RltdPties/Dbtr/Nm", "RltdPties/Dbtr/Pty/Nm", "RltdPties/UltmtDbtr/Nm",
                            "RltdPties/UltmtDbtr/Pty/Nm")  # fmt: skip
        payer_account = _first_text(detail, "RltdPties/DbtrAcct/Id/IBAN", "RltdPties/DbtrAcct/Id/Othr/Id")
        texts = [t.text.strip() for t in detail.findall("RmtInf/Ustrd") if t.text and t.text.strip()]
        lines: list[RemittanceLine] = []
        for structured in detail.findall("RmtInf/Strd"):
            lines.extend(self.structured(structured))
            texts.extend(t.text.strip() for t in structured.findall("AddtlRmtInf") if t.text and t.text.strip())
        self.drafts.append(_Draft((end_to_end, own_ref, *entry_refs), fallback, booked_on, amount, payer,
                                  payer_account, " ".join(texts) or None, tuple(lines), value_date, usable(end_to_end),
                                  own_ref or entry_refs[0], stmt_id, account))  # fmt: skip

    def structured(self, strd: etree._Element) -> list[RemittanceLine]:
        """One line per referred document; a creditor reference alone is a line too."""
        documents = strd.findall("RfrdDocInf")
        amount_block = strd.find("RfrdDocAmt")
        block_amount = None
        if amount_block is not None:
            element = amount_block.find("RmtdAmt")
            if element is None:
                element = amount_block.find("DuePyblAmt")
            block_amount = self.money(element, "RmtdAmt", required=False)
        lines: list[RemittanceLine] = []
        for document in documents:
            number = _text(document, "Nb")
            kind = _first_text(document, "Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry")
            line_amount = None
            line_element = document.find("LineDtls/Amt/RmtdAmt")
            if line_element is None:
                line_element = document.find("LineDtls/Amt/DuePyblAmt")
            if line_element is not None:
                line_amount = self.money(line_element, "RmtdAmt", required=False)
            elif len(documents) == 1:
                line_amount = block_amount
            if number is not None or line_amount is not None:
                lines.append(RemittanceLine(number, line_amount, kind))
        if not documents:
            reference = _text(strd, "CdtrRefInf/Ref")
            if reference is not None or block_amount is not None:
                kind = _first_text(strd, "CdtrRefInf/Tp/CdOrPrtry/Cd", "CdtrRefInf/Tp/CdOrPrtry/Prtry")
                lines.append(RemittanceLine(reference, block_amount, kind))
        return lines


def read_camt(data: bytes, file: str) -> BankStatement:
    """Every incoming customer credit of a camt.053/054/052 file; debits and reversals counted and skipped."""
    root = parse_xml(data, file)
    kind = camt_kind(root)
    if kind is None:
        raise fail(file, f"XML root <{root.tag}> is not an ISO 20022 camt.053/054 document", path=str(root.tag))
    message = root if root.tag in CONTAINERS else root[0]
    statement_tag = CONTAINERS[str(message.tag)][1]
    reader = _Reader(file, Issues(file))
    statements = message.findall(statement_tag)
    if not statements:
        reader.issues.add(f"the document holds no <{statement_tag}>", path=path_of(message))
    for number, stmt in enumerate(statements, start=1):
        reader.statement(stmt, number)
    reader.issues.raise_if_any()
    ids = assign_ids([d.candidates for d in reader.drafts], [d.fallback for d in reader.drafts])
    transactions = tuple(
        BankTransaction(transaction_id=ident, booked_on=d.booked_on, amount=d.amount, payer_name=d.payer_name,
                        payer_account=d.payer_account, remittance_text=d.remittance_text,
                        remittance_lines=d.remittance_lines, value_date=d.value_date, end_to_end_id=d.end_to_end_id,
                        bank_reference=d.bank_reference, statement_id=d.statement_id, account=d.account)
        for ident, d in zip(ids, reader.drafts, strict=True)
    )  # fmt: skip
    return BankStatement(source=file, format=kind, transactions=transactions, skipped_debits=reader.debits,
                         skipped_reversals=reader.reversals, accounts=tuple(reader.accounts),
                         period_start=min(reader.starts, default=None), period_end=max(reader.ends, default=None))
