"""BAI2: several accounts, 88 continuations, type codes decide what is a payment, every control total checked."""

from pathlib import Path

import pytest

from creditbridge.adapters.statements import StatementError, read_statement
from creditbridge.core.money import Money

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "statements" / "bai2_two_accounts.bai"


def mutated(tmp_path: Path, old: bytes, new: bytes) -> Path:
    data = SAMPLE.read_bytes()
    assert old in data
    path = tmp_path / "bank.txt"
    path.write_bytes(data.replace(old, new))
    return path


def test_credits_of_both_accounts_are_payments_in_dollars_and_cents():
    statement = read_statement(SAMPLE)
    assert statement.format == "bai2"
    assert statement.accounts == ("4410001234", "4410005678")
    assert [(t.account, t.amount) for t in statement.transactions] == [
        ("4410001234", Money.of("5000.00", "USD")), ("4410001234", Money.of("2500.00", "USD")),
        ("4410001234", Money.of("1355.50", "USD")), ("4410005678", Money.of("999.00", "USD")),
        ("4410005678", Money.of("100.00", "USD"))]


def test_debit_type_codes_and_reversal_credits_are_counted_not_paid():
    statement = read_statement(SAMPLE)
    assert statement.skipped_debits == 1  # 475 check paid
    assert statement.skipped_reversals == 1  # 258 ACH reversal credit
    assert "ACHREV-9" not in {t.bank_reference for t in statement.transactions}


def test_continuation_records_are_joined_into_the_text():
    wire = read_statement(SAMPLE).transactions[0]
    assert wire.remittance_text == "ORIG CO NAME:PINECONE LLC OBI:INVOICES 88123 88124 REF:PO 5521"
    assert wire.payer_name == "PINECONE LLC"
    assert (wire.bank_reference, wire.end_to_end_id) == ("WIRE-77001", "INV88123")


def test_an_edi_remittance_segment_in_ach_text_becomes_a_remittance_line():
    ach = read_statement(SAMPLE).transactions[2]
    assert [(line.document_number, line.amount) for line in ach.remittance_lines] == [
        ("10460", Money.of("1355.50", "USD"))]
    assert ach.payer_name == "KAUFHAUS NORD"


def test_placeholder_bank_references_get_ids_from_account_date_and_position():
    ids = [t.transaction_id for t in read_statement(SAMPLE).transactions]
    assert ids[-2:] == ["4410005678-20261130-1", "4410005678-20261130-2"]
    assert len(set(ids)) == len(ids)


def test_an_account_control_total_that_does_not_add_up_names_the_trailer_line(tmp_path):
    path = mutated(tmp_path, b"49,4351100,10/", b"49,4351101,10/")
    with pytest.raises(StatementError) as caught:
        read_statement(path)
    assert str(caught.value) == (f"{path} line 12, field account control total: control total: the account trailer "
                                 "says account control total 4351101, the file has 4351100")


def test_wrong_record_counts_in_group_and_file_trailers_are_all_reported(tmp_path):
    data = SAMPLE.read_bytes().replace(b"98,4461000,2,16/", b"98,4461000,2,15/").replace(b"99,4461000,1,18/",
                                                                                            b"99,4461000,1,19/")
    path = tmp_path / "bank.txt"
    path.write_bytes(data)
    with pytest.raises(StatementError) as caught:
        read_statement(path)
    assert [issue.line for issue in caught.value.issues] == [17, 18]


def test_a_decimal_point_in_an_amount_names_its_line(tmp_path):
    path = mutated(tmp_path, b"16,301,250000", b"16,301,2500.00")
    with pytest.raises(StatementError, match=r"line 7: not a readable BAI2 file: .*'2500.00'"):
        read_statement(path)


def test_a_file_cut_off_before_its_trailer_is_refused(tmp_path):
    path = tmp_path / "cut.bai"
    path.write_bytes(SAMPLE.read_bytes()[:300])
    with pytest.raises(StatementError, match="ends before its file trailer"):
        read_statement(path)


def test_records_out_of_order_are_refused_with_the_line(tmp_path):
    path = mutated(tmp_path, b"49,109900,4/\n", b"")
    with pytest.raises(StatementError, match=r"line 16, field record code: record 98 cannot come here"):
        read_statement(path)


def test_records_ended_early_with_a_slash_take_the_default_fields(tmp_path):
    data = (SAMPLE.read_bytes().replace(b"16,195,10000,0,NONREF,,B/O: TULIP TRADING BV/", b"16,195,10000,0/")
            .replace(b"03,4410005678,USD,010,0,,/", b"03,4410005678,USD,010,0/"))
    path = tmp_path / "short.bai"
    path.write_bytes(data)
    last = read_statement(path).transactions[-1]
    assert (last.amount, last.remittance_text, last.bank_reference) == (Money.of("100.00", "USD"), None, None)
