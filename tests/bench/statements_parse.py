"""How fast `read_statement` reads a big camt.053: N payments, each with a debtor, IBAN, one structured
invoice line and a free-text line (the shape the cash-application matcher receives).

    .venv/bin/python tests/bench/statements_parse.py --payments 20000

Prints wall and CPU seconds (median of --runs) and payments per CPU second. Not a test: pytest does
not collect tests/bench.
"""

from __future__ import annotations

import argparse
import statistics
import time

from creditbridge.adapters.statements import read_bytes


def camt053(payments: int) -> bytes:
    entries = []
    for i in range(payments):
        amount = f"{100 + i % 90_000}.{i % 100:02d}"
        entries.append(
            f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
            f"<BookgDt><Dt>2026-11-30</Dt></BookgDt><ValDt><Dt>2026-11-30</Dt></ValDt><AcctSvcrRef>R{i}</AcctSvcrRef>"
            f"<NtryDtls><TxDtls><Refs><EndToEndId>E2E-{i}</EndToEndId></Refs><RltdPties><Dbtr><Nm>Customer {i % 997}"
            f"</Nm></Dbtr><DbtrAcct><Id><IBAN>DE{i:020d}</IBAN></Id></DbtrAcct></RltdPties><RmtInf><Strd><RfrdDocInf>"
            f"<Tp><CdOrPrtry><Cd>CINV</Cd></CdOrPrtry></Tp><Nb>INV-{i}</Nb></RfrdDocInf><RfrdDocAmt>"
            f'<RmtdAmt Ccy="EUR">{amount}</RmtdAmt></RfrdDocAmt></Strd><Ustrd>INV-{i} thank you</Ustrd></RmtInf>'
            f"</TxDtls></NtryDtls></Ntry>"
        )
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
            "<BkToCstmrStmt><GrpHdr><MsgId>BENCH</MsgId></GrpHdr><Stmt><Id>BENCH-1</Id><Acct><Id><IBAN>"
            "DE89370400440532013000</IBAN></Id></Acct>\n" + "\n".join(entries) + "</Stmt></BkToCstmrStmt></Document>"
            ).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    data = camt053(args.payments)
    walls, cpus = [], []
    for _ in range(args.runs):
        wall, cpu = time.perf_counter(), time.process_time()
        statement = read_bytes(data, "bench.xml")
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        assert len(statement.transactions) == args.payments
    cpu = statistics.median(cpus)
    print(f"camt.053, {args.payments} payments, {len(data) / 1e6:.1f} MB: wall {statistics.median(walls):.2f} s, "
          f"CPU {cpu:.2f} s, {args.payments / cpu:,.0f} payments per CPU second")


if __name__ == "__main__":
    main()
