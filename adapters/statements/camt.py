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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from lxml import etree

from creditbridge.adapters.statements.errors import Issues, fail
from creditbridge.adapters.statements.payment_ids import assign_ids, usable
from creditbridge.core.model import BankStatement, BankTransaction, RemittanceLine
from creditbridge.core.money import Money, MoneyError, parse_decimal

CONTAINERS = {"BkToCstmrStmt": ("camt.053", "Stmt"), "BkToCstmrDbtCdtNtfctn": ("camt.054", "Ntfctn"),
              "BkToCstmrAcctRpt": ("camt.052", "Rpt")}  # fmt: skip
"""The message element under Document → (format name, the element of one statement in it)."""

_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_DEFAULT_NAMESPACE = re.compile(rb"<(?P<tag>Document)(?P<before>[^>]*?)\s+xmlns=\"[^\"]*\"(?P<after>[^>]*)>")
"""The root's default namespace declaration: removed before parsing so that tags are plain names."""
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
        plain = _DEFAULT_NAMESPACE.sub(b"<\\g<tag>\\g<before>\\g<after>>", data, count=1)
        root = etree.fromstring(plain, safe_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.position[0] if exc.position else None
        raise fail(file, f"not well-formed XML: {exc.msg}", line=line) from None
    except ValueError as exc:  # e.g. an encoding declaration lxml cannot apply
        raise fail(file, f"not readable XML: {exc}") from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise fail(file, "the XML declares a DOCTYPE; refused for safety")
    for element in root.iter():
        tag = element.tag
        if not isinstance(tag, str):  # entity references left unresolved
            raise fail(file, "the XML uses entity references; refused for safety", line=element.sourceline)
        if tag[0] == "{":  # prefixed namespaces (the default one was dropped before parsing, which is much faster)
            element.tag = tag[tag.index("}") + 1 :]
    return root


def camt_kind(root: etree._Element) -> str | None:
    """'camt.053', 'camt.054' or 'camt.052' when the document is one, else None."""
    message = root if root.tag in CONTAINERS else next(iter(root), None)
    if message is None or not isinstance(message.tag, str):
        return None
    found = CONTAINERS.get(message.tag)
    return found[0] if found else None


def path_of(element: etree._Element) -> str:
    """'Document/BkToCstmrStmt/Stmt[1]/Ntry[3]/Amt': where an element is, with positions where they repeat.

    Positions come from lxml's sibling iterators filtered by tag (a C-level walk, no Python list of
    siblings); callers still ask only for the problems they report (`_where`), never per element.
    """
    parts: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        name = str(node.tag)
        if node.getparent() is not None:
            before = sum(1 for _ in node.itersiblings(name, preceding=True))
            if before or next(node.itersiblings(name), None) is not None:
                name += f"[{before + 1}]"
        parts.append(name)
        node = node.getparent()
    return "/".join(reversed(parts))


class _Node:
    """An element with the paths of its subtree indexed in one pass on first use.

    Why: lxml's find() runs its path engine in Python, microseconds per call, and a camt payment is
    asked about some thirty paths; one C-level walk per element (`iterwalk`, cut at the depth the
    element's paths need) makes a 20,000-payment statement several times faster. A statement itself
    (`depth=None`) is only asked a few questions and keeps lxml's find(), so its entries are not walked.
    """

    __slots__ = ("_index", "depth", "element")

    DEPTHS: ClassVar[dict[str, int]] = {"Ntry": 2, "TxDtls": 5, "Strd": 4, "RfrdDocInf": 3, "Bal": 3, "TxsSummry": 2}

    def __init__(self, element: etree._Element, depth: int | None = 0) -> None:
        self.element = element
        self.depth = self.DEPTHS.get(str(element.tag), 1) if depth == 0 else depth
        self._index: dict[str, list[etree._Element]] | None = None

    @property
    def tag(self) -> str:
        return str(self.element.tag)

    @property
    def text(self) -> str | None:
        value: str | None = self.element.text
        return value

    @property
    def sourceline(self) -> int | None:
        line: int | None = self.element.sourceline
        return line

    def get(self, key: str) -> str | None:
        value: str | None = self.element.get(key)
        return value

    def _lookup(self, path: str) -> list[etree._Element]:
        if self.depth is None:
            return list(self.element.findall(path))
        needed = path.count("/") + 1
        if self._index is None or needed > self.depth:
            self.depth = max(self.depth, needed)
            self._index = _subtree_index(self.element, self.depth)
        return self._index.get(path, [])

    def findall(self, path: str) -> list[_Node]:
        return [_Node(element) for element in self._lookup(path)]

    def find(self, path: str) -> _Node | None:
        found = self._lookup(path)
        return _Node(found[0]) if found else None


def _subtree_index(element: etree._Element, depth: int) -> dict[str, list[etree._Element]]:
    """Every element under `element` down to `depth` levels, by its path ('RltdPties/Dbtr/Nm'), in document order."""
    index: dict[str, list[etree._Element]] = {}
    _collect(element, "", depth, index)
    return index


def _collect(element: etree._Element, prefix: str, depth: int, index: dict[str, list[etree._Element]]) -> None:
    for child in element:
        path = prefix + child.tag
        found = index.get(path)
        if found is None:
            index[path] = [child]
        else:
            found.append(child)
        if depth > 1 and len(child):
            _collect(child, path + "/", depth - 1, index)


def _where(node: _Node) -> Callable[[], str]:
    """The element's path, worked out only if the problem is reported (it scans siblings)."""
    return lambda: path_of(node.element)


def _find(element: _Node | None, path: str) -> _Node | None:
    return None if element is None else element.find(path)


def _text(element: _Node | None, path: str) -> str | None:
    found = element._lookup(path) if element is not None else None
    if not found:
        return None
    text: str | None = found[0].text
    return text.strip() or None if text is not None else None


def _first_text(element: _Node | None, *paths: str) -> str | None:
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
    def money(self, owner: _Node, tag: str, required: bool = True) -> Money | None:
        """The amount at `owner/tag` (text and Ccy), or None with the problem recorded."""
        element = owner.find(tag)
        if element is None:
            if required:
                self.issues.add("missing", line=owner.sourceline, path=_where(owner), field=tag)
            return None
        text = (element.text or "").strip()
        currency = (element.get("Ccy") or "").strip()
        try:
            amount = parse_decimal(text)
        except MoneyError:
            self.issues.add(f"amount {text!r} is not a decimal number", line=element.sourceline,
                            path=_where(element), field=str(element.tag))
            return None
        if amount < 0:
            self.issues.add(f"amount {text!r} is negative (the sign is given by CdtDbtInd)",
                            line=element.sourceline, path=_where(element), field=str(element.tag))
            return None
        try:
            return Money(amount, currency)
        except MoneyError:
            self.issues.add(f"currency {currency!r} is not an ISO 4217 code", line=element.sourceline,
                            path=_where(element), field="Ccy")
            return None

    def day(self, owner: _Node, tag: str) -> date | None:
        """A date from `owner/tag/Dt` or `owner/tag/DtTm`; None when absent or unreadable (recorded)."""
        element = owner.find(tag)
        if element is None:
            return None
        text = _first_text(element, "Dt", "DtTm")
        try:
            if text is None:
                raise ValueError
            return date.fromisoformat(text[:10])
        except ValueError:
            self.issues.add(f"date {text!r} is not an ISO date (YYYY-MM-DD)", line=element.sourceline,
                            path=_where(element), field=tag)
            return None

    def side(self, element: _Node, owner: _Node) -> str | None:
        indicator = _text(element, "CdtDbtInd")
        if indicator in ("CRDT", "DBIT"):
            return indicator
        self.issues.add(f"CdtDbtInd is {indicator!r}, expected CRDT or DBIT", line=owner.sourceline,
                        path=_where(owner), field="CdtDbtInd")  # fmt: skip
        return None

    # --- statement ----------------------------------------------------------------------------
    def statement(self, stmt: _Node, number: int) -> None:
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
                    self.issues.add(f"{text!r} is not an ISO date-time", path=_where(stmt), field=tag)
        credits = Decimal(0)
        debits = Decimal(0)
        booked_net = Decimal(0)
        credit_count = 0
        debit_count = 0
        problems_before = self.issues.total
        for entry_no, entry in enumerate(stmt.findall("Ntry"), start=1):
            side = self.side(entry, entry)
            amount = self.money(entry, "Amt")
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

    def check_totals(self, stmt: _Node, credit_count: int, credits: Decimal, debit_count: int,
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
                                line=block.sourceline, path=_where(block), field="NbOfNtries")  # fmt: skip
            stated_sum = _text(block, "Sum")
            if total is not None and stated_sum is not None:
                try:
                    wrong = parse_decimal(stated_sum) != total
                except MoneyError:
                    self.issues.add(f"{stated_sum!r} is not a decimal number", line=block.sourceline,
                                    path=_where(block), field="Sum")  # fmt: skip
                    continue
                if wrong:
                    self.issues.add(f"control total: the statement says {stated_sum}, its entries add up to {total}",
                                    line=block.sourceline, path=_where(block), field="Sum")  # fmt: skip

    def check_balances(self, stmt: _Node, booked_net: Decimal) -> None:
        balances: dict[str, tuple[Decimal, _Node]] = {}
        for balance in stmt.findall("Bal"):
            code = _first_text(balance, "Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry")
            amount = self.money(balance, "Amt")
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
                            path=_where(closing[1]), field="Amt")  # fmt: skip

    # --- entries ------------------------------------------------------------------------------
    def entry(self, entry: _Node, amount: Money, stmt_id: str, entry_no: int, account: str | None) -> None:
        booked_on = self.day(entry, "BookgDt")
        value_date = self.day(entry, "ValDt")
        when = booked_on or value_date
        if when is None:
            self.issues.add("the entry has neither BookgDt nor ValDt", line=entry.sourceline, path=_where(entry),
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
                                path=_where(entry), field="Amt")  # fmt: skip
                return
            total = sum((a.amount for a in amounts if a is not None), Decimal(0))
            if total != amount.amount:
                self.issues.add(f"control total: the TxDtls amounts add up to {total}, the entry's Amt is "
                                f"{amount.amount}", line=entry.sourceline, path=_where(entry), field="Amt")
                return
        for detail_no, (detail, detail_amount) in enumerate(zip(details, amounts, strict=True), start=1):
            paid = detail_amount if detail_amount is not None and len(details) > 1 else amount
            if _text(detail, "CdtDbtInd") == "DBIT":
                self.debits += 1
                continue
            self.detail(detail, paid, entry_refs, f"{stmt_id}-{entry_no}-{detail_no}", when, value_date, stmt_id,
                        account)  # fmt: skip

    def detail_amount(self, detail: _Node) -> Money | None:
        tag = "Amt" if detail.find("Amt") is not None else "AmtDtls/TxAmt/Amt"
        return self.money(detail, tag, required=False)

    def detail(self, detail: _Node, amount: Money, entry_refs: tuple[str | None, str | None],
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

    def structured(self, strd: _Node) -> list[RemittanceLine]:
        """One line per referred document; a creditor reference alone is a line too."""
        documents = strd.findall("RfrdDocInf")
        amount_block = strd.find("RfrdDocAmt")
        block_amount = None
        if amount_block is not None:
            tag = "RmtdAmt" if amount_block.find("RmtdAmt") is not None else "DuePyblAmt"
            block_amount = self.money(amount_block, tag, required=False)
        lines: list[RemittanceLine] = []
        for document in documents:
            number = _text(document, "Nb")
            kind = _first_text(document, "Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry")
            line_amount = None
            line_tag = next((t for t in ("LineDtls/Amt/RmtdAmt", "LineDtls/Amt/DuePyblAmt")
                             if document.find(t) is not None), None)
            if line_tag is not None:
                line_amount = self.money(document, line_tag, required=False)
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
    message_node = _Node(message, depth=None)
    statements = message_node.findall(statement_tag)
    if not statements:
        reader.issues.add(f"the document holds no <{statement_tag}>", path=_where(message_node))
    for number, stmt in enumerate(statements, start=1):
        reader.statement(_Node(stmt.element, depth=None), number)
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
