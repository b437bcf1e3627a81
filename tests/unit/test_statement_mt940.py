"""SWIFT MT940: enveloped, CRLF, several statements; credits are payments, the :86: text is kept."""

from pathlib import Path

import pytest

from creditbridge.adapters.statements import StatementError, read_statement
from creditbridge.core.money import Money

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "statements" / "mt940_swift_two_statements.sta"


def mutated(tmp_path: Path, old: bytes, new: bytes) -> Path:
    data = SAMPLE.read_bytes()
    assert old in data
    path = tmp_path / "statement.txt"
    path.write_bytes(data.replace(old, new))
    return path


def test_both_enveloped_statements_are_read_with_their_accounts():
    statement = read_statement(SAMPLE)
    assert statement.format == "mt940"
    assert statement.accounts == ("37040044/0532013000", "NL91ABNA0417164300")
    assert [t.account for t in statement.transactions] == ["37040044/0532013000"] * 2 + ["NL91ABNA0417164300"] * 2
    assert (statement.period_start.isoformat(), statement.period_end.isoformat()) == ("2026-11-30", "2026-12-01")


def test_only_credits_are_payments_and_debits_and_reversals_are_counted():
    statement = read_statement(SAMPLE)
    assert [t.amount for t in statement.transactions] == [Money.of("1190.00", "EUR"), Money.of("2500.00", "EUR"),
                                                          Money.of("750.00", "EUR"), Money.of("250.25", "EUR")]
    assert statement.skipped_debits == 2
    assert statement.skipped_reversals == 1  # the RC return of an incoming payment


def test_german_structured_details_give_payer_account_end_to_end_id_and_purpose():
    acme, bergmann, *_ = read_statement(SAMPLE).transactions
    assert acme.payer_name == "ACME Industrie GmbH"
    assert acme.payer_account == "DE44500105175407324931"
    assert acme.end_to_end_id == "E2E-ACME-77812"
    assert acme.remittance_text == "RE INV-2026-10451 ACME DANKE"
    assert bergmann.payer_name == "BERGMANN & SOHN KOMMANDITGESELLSCHAFT"  # ?32 and ?33 joined
    assert bergmann.remittance_text == "RE 10452 10453 ABZGL SKONTO"  # ?21/?22 joined across the wrap
    assert bergmann.end_to_end_id is None  # EREF+NOTPROVIDED


def test_slash_structured_and_free_text_details_are_kept():
    *_, tulip, pinecone = read_statement(SAMPLE).transactions
    assert (tulip.payer_name, tulip.payer_account) == ("Tulip Trading BV", "NL20INGB0001234567")
    assert tulip.remittance_text == "Factuur 2026-0042 en 2026-0043"
    assert tulip.end_to_end_id == "TT-PAY-0099"
    assert pinecone.remittance_text == ("PAYMENT FROM PINECONE LLC INVOICE 88123 AND 88124 THANK YOU FOR YOUR "
                                        "BUSINESS")  # the bank's 65-character wrap is undone


def test_payment_id_is_the_bank_reference_else_statement_and_position():
    ids = [t.transaction_id for t in read_statement(SAMPLE).transactions]
    assert ids == ["BANKREF-0001", "BANKREF-0002", "ABN-1", "940S261201/00332/001-3"]


def test_a_closing_balance_that_does_not_add_up_names_its_line(tmp_path):
    path = mutated(tmp_path, b"C261201EUR1400,25", b"C261201EUR1400,26")
    with pytest.raises(StatementError, match=r"statement.txt line 31, field :62F:: balances do not add up"):
        read_statement(path)


def test_a_bad_amount_names_the_statement_line(tmp_path):
    path = mutated(tmp_path, b"C750,00", b"C75O,00")
    with pytest.raises(StatementError, match=r"line 23, field :61:: '261201C75O,00"):
        read_statement(path)


def test_a_file_cut_off_in_the_middle_is_refused(tmp_path):
    path = tmp_path / "cut.sta"
    path.write_bytes(SAMPLE.read_bytes()[:900])
    with pytest.raises(StatementError, match="no closing balance"):
        read_statement(path)


def test_statements_without_envelope_and_with_plain_newlines_read_the_same(tmp_path):
    text = SAMPLE.read_bytes().decode().replace("\r\n", "\n")
    bare = "\n".join(line for line in text.split("\n") if not line.startswith(("{1:", "-}")))
    path = tmp_path / "bare.txt"
    path.write_text(bare)
    assert [t.transaction_id for t in read_statement(path).transactions] == [
        t.transaction_id for t in read_statement(SAMPLE).transactions]
