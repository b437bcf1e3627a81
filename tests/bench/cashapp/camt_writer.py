"""Write generated payments as one ISO 20022 camt.053.001.02 statement (what banks send at day end)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

from creditbridge.core.model import BankTransaction

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"


def write_camt053(path: Path, transactions: Sequence[BankTransaction], debits: int = 0, account: str = "US00BANK0001",
                  page_size: int = 100) -> None:  # fmt: skip
    """One file, the day's entries in statements ("pages") of `page_size` entries each, debits in the last.

    Paging keeps each statement the size banks send; it also keeps read_statement's error paths
    (which count an entry's siblings) from growing with the square of the file.
    """
    currency = transactions[0].amount.currency if transactions else "USD"
    day = transactions[0].booked_on.isoformat() if transactions else "2026-11-30"
    parts = [
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{NS}"><BkToCstmrStmt>',
        f"<GrpHdr><MsgId>BENCH-{day}</MsgId><CreDtTm>{day}T18:00:00</CreDtTm></GrpHdr>",
    ]
    pages = [list(transactions[i : i + page_size]) for i in range(0, len(transactions), page_size)] or [[]]
    balance = Decimal(0)
    number = 0
    for page_no, page in enumerate(pages, 1):
        page_debits = debits if page_no == len(pages) else 0
        credits = sum((t.amount.amount for t in page), Decimal(0))
        debit_total = Decimal(125) * page_debits
        parts += [
            f"<Stmt><Id>STMT-{day}-{page_no}</Id><ElctrncSeqNb>{page_no}</ElctrncSeqNb>"
            f"<Acct><Id><IBAN>{account}</IBAN></Id><Ccy>{currency}</Ccy></Acct>",
            _balance("OPBD", balance, currency, day),
            _balance("CLBD", balance + credits - debit_total, currency, day),
            f"<TxsSummry><TtlCdtNtries><NbOfNtries>{len(page)}</NbOfNtries><Sum>{credits}</Sum></TtlCdtNtries>"
            f"<TtlDbtNtries><NbOfNtries>{page_debits}</NbOfNtries><Sum>{debit_total}</Sum></TtlDbtNtries></TxsSummry>",
        ]
        balance += credits - debit_total
        for tx in page:
            number += 1
            parts.append(_entry(number, tx))
        for debit in range(page_debits):
            parts.append(
                f'<Ntry><Amt Ccy="{currency}">125.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>'
                f"<BookgDt><Dt>{day}</Dt></BookgDt><AcctSvcrRef>DBT-{debit}</AcctSvcrRef></Ntry>"
            )
        parts.append("</Stmt>")
    parts.append("</BkToCstmrStmt></Document>\n")
    path.write_text("".join(parts), encoding="utf-8")


def _balance(code: str, amount: Decimal, currency: str, day: str) -> str:
    side = "CRDT" if amount >= 0 else "DBIT"
    return (f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"{currency}\">{abs(amount):.2f}</Amt>"
            f"<CdtDbtInd>{side}</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>")  # fmt: skip


def _entry(number: int, tx: BankTransaction) -> str:
    amount = f'<Amt Ccy="{tx.amount.currency}">{tx.amount.amount:.2f}</Amt>'
    party = ""
    if tx.payer_name:
        party += f"<Dbtr><Nm>{escape(tx.payer_name)}</Nm></Dbtr>"
    if tx.payer_account:
        party += f"<DbtrAcct><Id><IBAN>{tx.payer_account}</IBAN></Id></DbtrAcct>"
    remittance = ""
    if tx.remittance_text:
        remittance += f"<Ustrd>{escape(tx.remittance_text)}</Ustrd>"
    for line in tx.remittance_lines:
        inner = f"<RfrdDocInf><Tp><CdOrPrtry><Cd>{line.document_type or 'CINV'}</Cd></CdOrPrtry></Tp><Nb>{escape(line.document_number or '')}</Nb></RfrdDocInf>"
        if line.amount is not None:
            inner += f'<RfrdDocAmt><RmtdAmt Ccy="{line.amount.currency}">{line.amount.amount:.2f}</RmtdAmt></RfrdDocAmt>'
        remittance += f"<Strd>{inner}</Strd>"
    return (
        f"<Ntry><NtryRef>{number}</NtryRef>{amount}<CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>"
        f"<BookgDt><Dt>{tx.booked_on.isoformat()}</Dt></BookgDt><AcctSvcrRef>BNK{number:08d}</AcctSvcrRef>"
        f"<NtryDtls><TxDtls><Refs><EndToEndId>{tx.end_to_end_id or 'NOTPROVIDED'}</EndToEndId></Refs>"
        f"<RltdPties>{party}</RltdPties><RmtInf>{remittance}</RmtInf></TxDtls></NtryDtls></Ntry>"
    )
