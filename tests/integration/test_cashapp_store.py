"""Cash application on the store (SQLite and PostgreSQL): run a statement, the worklist, confirm and reject.

Ledger: tests/fixtures/cashapp/ledger (imported); statements: tests/fixtures/cashapp/statement.xml and
small camt.053 files written here for the learning story.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from creditbridge.adapters.files import read_ledger
from creditbridge.sync.cashapp.job import (
    CashappError,
    confirm_payment,
    exceptions,
    load_memory,
    reject_payment,
    run_cashapp_job,
)
from creditbridge.sync.store import Store
from creditbridge.sync.store.cashapp_tables import (
    cashapp_allocations,
    cashapp_memory,
    cashapp_payments,
    cashapp_statements,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cashapp"
STATEMENT = FIXTURES / "statement.xml"


def camt(path: Path, statement_id: str, entries: list[tuple[str, str, str, str | None]]) -> Path:
    """A camt.053 with one credit entry per (end-to-end id, amount, payer name, payer IBAN)."""
    total = sum(Decimal(amount) for _, amount, _, _ in entries)
    body = "".join(
        f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
        f"<BookgDt><Dt>2026-12-01</Dt></BookgDt><NtryDtls><TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs>"
        f"<RltdPties><Dbtr><Nm>{name}</Nm></Dbtr>"
        + (f"<DbtrAcct><Id><IBAN>{iban}</IBAN></Id></DbtrAcct>" if iban else "")
        + "</RltdPties></TxDtls></NtryDtls></Ntry>"
        for e2e, amount, name, iban in entries
    )
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
        f"<BkToCstmrStmt><GrpHdr><MsgId>{statement_id}</MsgId><CreDtTm>2026-12-01T18:00:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{statement_id}</Id><Acct><Id><IBAN>DE02120300000000202051</IBAN></Id></Acct>"
        f'<TxsSummry><TtlCdtNtries><NbOfNtries>{len(entries)}</NbOfNtries><Sum>{total}</Sum></TtlCdtNtries></TxsSummry>'
        f"{body}</Stmt></BkToCstmrStmt></Document>"
    )
    return path


@pytest.fixture
def store(store_url: str):
    with Store.open(store_url) as opened:
        opened.import_ledger(read_ledger(FIXTURES / "ledger"))
        yield opened


def counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in (cashapp_statements, cashapp_payments, cashapp_allocations, cashapp_memory)}  # fmt: skip


def test_running_a_statement_stores_it_and_running_it_again_creates_nothing(store: Store) -> None:
    first = run_cashapp_job(store, STATEMENT)
    assert first.created and (first.summary.payments, first.summary.auto, first.summary.unapplied) == (5, 4, 1)
    assert (first.summary.skipped_debits, first.summary.skipped_reversals) == (1, 1)
    before = counts(store)
    assert before["cashapp_payments"] == 5 and before["cashapp_allocations"] == 4

    again = run_cashapp_job(store, STATEMENT)

    assert not again.created and again.statement_row == first.statement_row
    assert (again.summary.payments, again.summary.auto) == (5, 4)
    assert counts(store) == before


def test_the_worklist_lists_what_needs_a_person_with_evidence(store: Store) -> None:
    run_cashapp_job(store, STATEMENT)
    [waiting] = exceptions(store)
    assert waiting["payment_id"] == "BR-4" and waiting["decision"] == "unapplied"
    assert waiting["amount"] == "512.00" and waiting["payer_name"] == "Zeta Unknown Ltd"
    assert "payer not identified" in waiting["evidence"][0]


def test_confirming_an_unknown_payer_teaches_the_next_run(store: Store, tmp_path: Path) -> None:
    run_cashapp_job(store, STATEMENT)  # applies RE-2026-10017 (K100) among others
    unknown = ("ZAHLUNG-1", "595.00", "AI GMBH ZAHLUNGSVERKEHR", "DE12500105170648489890")
    first = run_cashapp_job(store, camt(tmp_path / "day2.xml", "DAY2", [unknown]))
    assert first.summary.unapplied == 1

    confirmed = confirm_payment(store, "ZAHLUNG-1", "alice", [("RE-2026-10018", Decimal("595.00"))])

    assert confirmed["customer_id"] == "K100"
    assert load_memory(store).accounts == {"DE12500105170648489890": "K100"}
    later = ("ZAHLUNG-2", "333.00", "AI GMBH ZAHLUNGSVERKEHR", "DE12500105170648489890")
    second = run_cashapp_job(store, camt(tmp_path / "day3.xml", "DAY3", [later]))
    assert second.summary.auto == 1
    with store.engine.connect() as conn:
        applied = conn.execute(
            sa.select(cashapp_allocations.c.item_id, cashapp_payments.c.status)
            .join(cashapp_payments, cashapp_payments.c.id == cashapp_allocations.c.payment_row)
            .where(cashapp_payments.c.payment_id == "ZAHLUNG-2")
        ).all()
    assert [tuple(r) for r in applied] == [("RE-2026-10022", "auto")]


def test_an_invoice_applied_by_one_run_is_not_taken_again_by_the_next(store: Store, tmp_path: Path) -> None:
    run_cashapp_job(store, STATEMENT)  # RE-2026-10017, 1190.00, is applied
    again = ("ACME-2", "1190.00", "Acme Industrie GmbH", "DE44500105175407324931")
    result = run_cashapp_job(store, camt(tmp_path / "again.xml", "AGAIN", [again]))
    assert result.summary.auto == 0


def test_rejecting_a_proposal_unlearns_the_payer_and_closes_the_item(store: Store, tmp_path: Path) -> None:
    payer = ("X-1", "333.00", "Borealis Handel AG", None)  # K200 has no open item of 333.00
    run_cashapp_job(store, camt(tmp_path / "x.xml", "X", [payer]))
    [waiting] = exceptions(store)
    assert waiting["customer_id"] == "K200"

    result = reject_payment(store, "X-1", "bob")

    assert result["status"] == "rejected" and exceptions(store) == []
    assert ("BOREALIS HANDEL", "K200") in load_memory(store).rejected
    with pytest.raises(CashappError, match="rejected"):
        confirm_payment(store, "X-1", "bob")


def test_confirm_refuses_an_unknown_invoice_and_more_than_the_payment(store: Store) -> None:
    run_cashapp_job(store, STATEMENT)
    with pytest.raises(CashappError, match="no such invoice"):
        confirm_payment(store, "BR-4", "alice", [("NOPE", Decimal("1"))])
    with pytest.raises(CashappError, match="more than the payment"):
        confirm_payment(store, "BR-4", "alice", [("RE-2026-10018", Decimal("595.00")), ("RE-2026-10022", Decimal("333.00"))])
    assert exceptions(store)[0]["payment_id"] == "BR-4"


def test_a_short_pay_applied_automatically_opens_a_dispute_for_the_rest_so_it_is_not_dunned(
    store: Store, tmp_path: Path
) -> None:
    from creditbridge.sync.store.collections_tables import disputes

    statement = tmp_path / "short.xml"
    text = (
        '<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
        "<BkToCstmrStmt><GrpHdr><MsgId>SHORT-1</MsgId><CreDtTm>2026-12-01T18:00:00</CreDtTm></GrpHdr>"
        "<Stmt><Id>SHORT-1</Id><Acct><Id><IBAN>DE02120300000000202051</IBAN></Id></Acct>"
        '<Ntry><Amt Ccy="EUR">1000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
        "<BookgDt><Dt>2026-12-01</Dt></BookgDt><NtryDtls><TxDtls><Refs><EndToEndId>E2E-SHORT</EndToEndId></Refs>"
        "<RltdPties><Dbtr><Nm>Acme Industrie GmbH</Nm></Dbtr><DbtrAcct><Id><IBAN>DE44500105175407324931</IBAN>"
        "</Id></DbtrAcct></RltdPties><RmtInf><Ustrd>RE-2026-10017 less 190.00 damaged goods</Ustrd></RmtInf>"
        "</TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>"
    )
    statement.write_text(text)

    run = run_cashapp_job(store, statement)

    assert run.summary.auto == 1
    with store.engine.connect() as conn:
        opened = [dict(r) for r in conn.execute(sa.select(disputes)).mappings()]
    assert [(d["invoice_number"], d["customer_id"], d["reason"], d["status"]) for d in opened] == [
        ("RE-2026-10017", "K100", "short_pay", "open")
    ]
    assert "E2E-SHORT" in opened[0]["note"]
    from creditbridge.core.money import from_units

    assert from_units(opened[0]["amount"]) == Decimal("190.00"), "the deducted rest, not the invoice"
