"""Writing incoming payments as one ISO 20022 camt.053.001.02 statement (what banks send at day end).

Used by `creditbridge demo` (a statement of the sample company's newest payments to try cash
application on) and by the cash-application benchmark. The file passes our own reader's checks:
entry count and sum of credits and debits in TxsSummry, opening + credits − debits = closing.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

from creditbridge.core.model import BankTransaction

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"


def write_camt053(path: Path, transactions: Sequence[BankTransaction], debits: int = 0,
                  account: str = "US00BANK0001") -> None:  # fmt: skip
    """One file holding one statement: the day's credits, then `debits` debit entries, with control totals."""
    currency = transactions[0].amount.currency if transactions else "USD"
    day = transactions[0].booked_on.isoformat() if transactions else "2026-11-30"
    credits = sum((t.amount.amount for t in transactions), Decimal(0))
    debit_total = Decimal(125) * debits
    parts = [
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{NS}"><BkToCstmrStmt>',
        f"<GrpHdr><MsgId>MSG-{day}</MsgId><CreDtTm>{day}T18:00:00</CreDtTm></GrpHdr>",
        f"<Stmt><Id>STMT-{day}</Id><ElctrncSeqNb>1</ElctrncSeqNb>"
        f"<Acct><Id><IBAN>{account}</IBAN></Id><Ccy>{currency}</Ccy></Acct>",
        _balance("OPBD", Decimal(0), currency, day),
        _balance("CLBD", credits - debit_total, currency, day),
        f"<TxsSummry><TtlCdtNtries><NbOfNtries>{len(transactions)}</NbOfNtries><Sum>{credits}</Sum></TtlCdtNtries>"
        f"<TtlDbtNtries><NbOfNtries>{debits}</NbOfNtries><Sum>{debit_total}</Sum></TtlDbtNtries></TxsSummry>",
    ]
    parts += [_entry(number, tx) for number, tx in enumerate(transactions, 1)]
    parts += [
        f'<Ntry><Amt Ccy="{currency}">125.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>'
        f"<BookgDt><Dt>{day}</Dt></BookgDt><AcctSvcrRef>DBT-{debit}</AcctSvcrRef></Ntry>"
        for debit in range(debits)
    ]
    parts.append("</Stmt></BkToCstmrStmt></Document>\n")
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
        kind = line.document_type or "CINV"
        inner = (f"<RfrdDocInf><Tp><CdOrPrtry><Cd>{kind}</Cd></CdOrPrtry></Tp>"
                 f"<Nb>{escape(line.document_number or '')}</Nb></RfrdDocInf>")  # fmt: skip
        if line.amount is not None:
            paid = f'<RmtdAmt Ccy="{line.amount.currency}">{line.amount.amount:.2f}</RmtdAmt>'
            inner += f"<RfrdDocAmt>{paid}</RfrdDocAmt>"
        remittance += f"<Strd>{inner}</Strd>"
    return (
        f"<Ntry><NtryRef>{number}</NtryRef>{amount}<CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>"
        f"<BookgDt><Dt>{tx.booked_on.isoformat()}</Dt></BookgDt><AcctSvcrRef>BNK{number:08d}</AcctSvcrRef>"
        f"<NtryDtls><TxDtls><Refs><EndToEndId>{tx.end_to_end_id or 'NOTPROVIDED'}</EndToEndId></Refs>"
        f"<RltdPties>{party}</RltdPties><RmtInf>{remittance}</RmtInf></TxDtls></NtryDtls></Ntry>"
    )
