"""camt.053/054 statements: every incoming payment with its remittance, and every bad file refused with where."""

import re
from decimal import Decimal
from pathlib import Path

import pytest

from creditbridge.adapters.statements import StatementError, read_statement
from creditbridge.core.money import Money

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "statements"
CAMT053 = SAMPLES / "camt053_two_accounts.xml"
CAMT054 = SAMPLES / "camt054_v08.xml"


def write(tmp_path: Path, text: str, name: str = "statement.dat") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def by_id(statement):
    return {t.transaction_id: t for t in statement.transactions}


def test_a_batch_entry_gives_one_payment_per_transaction_detail():
    statement = read_statement(CAMT053)
    batch = [t for t in statement.transactions if t.bank_reference == "BATCH-20261130-77"]
    assert [t.amount for t in batch] == [Money.of("2500.00", "EUR"), Money.of("1045.50", "EUR"),
                                         Money.of("3000.00", "EUR")]
    assert [t.payer_name for t in batch] == ["BERGMANN & SOHN KG", "Kaufhaus Nord AG", "Holding Vogel SE"]


def test_only_incoming_credits_are_payments_and_debits_and_reversals_are_counted():
    statement = read_statement(CAMT053)
    assert statement.format == "camt.053"
    assert len(statement.transactions) == 7
    assert (statement.skipped_debits, statement.skipped_reversals) == (1, 1)
    assert all(t.amount.amount > 0 for t in statement.transactions)
    assert "RTN-5521" not in {t.bank_reference for t in statement.transactions}


def test_every_structured_remittance_line_is_kept_with_type_and_amount():
    payment = by_id(read_statement(CAMT053))["STMT-EUR-20261130-2-2"]
    lines = [(line.document_number, line.amount, line.document_type) for line in payment.remittance_lines]
    assert lines == [("INV-2026-10460", Money.of("1245.50", "EUR"), "CINV"),
                     ("CN-2026-0031", Money.of("200.00", "EUR"), "CREN")]


def test_unstructured_lines_are_joined_in_order_and_payer_account_may_be_other_id():
    payment = by_id(read_statement(CAMT053))["PAY-2026-3391"]
    assert payment.remittance_text == "INVOICES 10470/10471 THANK YOU"
    assert payment.payer_account == "0532013999"
    assert payment.payer_name == "Holding Vogel SE"  # only an ultimate debtor was given


def test_payment_ids_fall_back_when_end_to_end_is_notprovided_or_repeated():
    statement = read_statement(CAMT053)
    ids = [t.transaction_id for t in statement.transactions]
    assert ids == ["E2E-ACME-77812", "STMT-EUR-20261130-2-1", "STMT-EUR-20261130-2-2", "PAY-2026-3391",
                   "BANKREF-0005", "USREF-1", "USREF-2"]
    assert len(set(ids)) == len(ids)
    notprovided = by_id(statement)["STMT-EUR-20261130-2-1"]
    assert notprovided.end_to_end_id is None


def test_several_statements_keep_their_account_currency_and_period():
    statement = read_statement(CAMT053)
    assert statement.accounts == ("DE89370400440532013000", "US-OPS-4410")
    usd = by_id(statement)["USREF-1"]
    assert (usd.account, usd.amount.currency, usd.statement_id) == ("US-OPS-4410", "USD", "STMT-USD-20261130")
    assert statement.period_start.isoformat() == statement.period_end.isoformat() == "2026-11-30"


def test_camt054_version_08_reads_party_names_due_amounts_and_creditor_references():
    statement = read_statement(CAMT054)
    assert statement.format == "camt.054"
    first, second = statement.transactions
    assert first.transaction_id == "CH-20261201-0042-1-A"  # NOTPROVIDED: the bank's own reference
    assert first.payer_name == "Alpenblick Hotels AG"
    assert [(line.document_number, line.amount) for line in first.remittance_lines] == [
        ("90017", Money.of("2100.00", "CHF")), ("90018", Money.of("1050.35", "CHF"))]
    assert second.remittance_lines[0].document_number == "210000000003139471430009017"
    assert second.remittance_lines[0].document_type == "QRR"
    assert second.remittance_text == "Rechnung 90020"


def test_the_format_is_detected_from_content_not_the_file_name(tmp_path):
    disguised = write(tmp_path, CAMT053.read_text(), "export.csv")
    assert read_statement(disguised).format == "camt.053"


def test_a_bad_amount_names_file_line_element_and_field(tmp_path):
    text = CAMT053.read_text().replace('<Amt Ccy="EUR">1190.00</Amt>', '<Amt Ccy="EUR">1.190,00</Amt>', 1)
    path = write(tmp_path, text)
    with pytest.raises(StatementError) as caught:
        read_statement(path)
    message = str(caught.value)
    assert str(path) in message
    assert "line 40" in message
    assert "balances" not in message  # no follow-on noise from the unreadable amount
    assert "Stmt[1]/Ntry[1]/Amt" in message
    assert "'1.190,00'" in message


def test_a_control_total_that_does_not_add_up_is_refused(tmp_path):
    text = CAMT053.read_text().replace("<Sum>8735.50</Sum>", "<Sum>8835.50</Sum>")
    with pytest.raises(StatementError, match=r"TtlCdtNtries, field Sum: control total.*8835.50.*8735.50"):
        read_statement(write(tmp_path, text))


def test_balances_that_do_not_add_up_are_refused(tmp_path):
    text = CAMT053.read_text().replace('<Amt Ccy="EUR">17475.50</Amt>', '<Amt Ccy="EUR">17475.51</Amt>')
    with pytest.raises(StatementError, match=r"balances do not add up.*17475\.51"):
        read_statement(write(tmp_path, text))


def test_batch_details_that_do_not_add_up_to_the_entry_are_refused(tmp_path):
    text = CAMT053.read_text().replace('<Amt Ccy="EUR">3000.00</Amt>', '<Amt Ccy="EUR">3000.01</Amt>')
    with pytest.raises(StatementError, match=r"TxDtls amounts add up to 6545\.51"):
        read_statement(write(tmp_path, text))


def test_all_problems_are_reported_not_just_the_first(tmp_path):
    text = (CAMT053.read_text().replace('<Amt Ccy="EUR">1000.00</Amt>', '<Amt Ccy="EUR">abc</Amt>')
            .replace('<Amt Ccy="USD">300.00</Amt>', '<Amt Ccy="usd">300.00</Amt>'))
    with pytest.raises(StatementError) as caught:
        read_statement(write(tmp_path, text))
    message = str(caught.value)
    assert "'abc'" in message and "field Ccy" in message
    assert caught.value.total >= 2


def test_a_truncated_file_is_refused_with_its_line(tmp_path):
    text = CAMT053.read_text()
    path = write(tmp_path, text[: len(text) // 2])
    with pytest.raises(StatementError, match=r"line \d+: not well-formed XML"):
        read_statement(path)


def test_a_billion_laughs_file_is_refused_without_expanding_it(tmp_path):
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
            + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
            + ']>\n<Document><BkToCstmrStmt><Stmt><Id>&lol9;</Id></Stmt></BkToCstmrStmt></Document>')
    with pytest.raises(StatementError, match="DOCTYPE"):
        read_statement(write(tmp_path, bomb))


def test_an_external_entity_is_refused_and_never_read(tmp_path):
    secret = write(tmp_path, "top secret", "secret.txt")
    xxe = (f'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>\n'
           '<Document><BkToCstmrStmt><Stmt><Id>&x;</Id></Stmt></BkToCstmrStmt></Document>')
    with pytest.raises(StatementError) as caught:
        read_statement(write(tmp_path, xxe))
    assert "top secret" not in str(caught.value)


def test_xml_that_is_not_a_camt_document_is_refused(tmp_path):
    with pytest.raises(StatementError, match="not an ISO 20022 camt"):
        read_statement(write(tmp_path, "<invoice><id>1</id></invoice>"))


def test_an_entry_amount_is_a_decimal_never_rounded():
    amounts = [t.amount.amount for t in read_statement(CAMT054).transactions]
    assert amounts == [Decimal("3150.35"), Decimal("1060.00")]


def test_a_prefixed_namespace_of_another_version_reads_the_same(tmp_path):
    text = CAMT053.read_text().replace('xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"',
                                       'xmlns:ns2="urn:iso:std:iso:20022:tech:xsd:camt.053.001.04"')
    prefixed = re.sub(r"<(/?)([A-Za-z]\w*)", r"<\1ns2:\2", text)
    assert "<ns2:Ntry>" in prefixed
    ids = [t.transaction_id for t in read_statement(write(tmp_path, prefixed)).transactions]
    assert ids == [t.transaction_id for t in read_statement(CAMT053).transactions]


def test_a_utf16_file_reads_and_a_utf16_bomb_is_still_refused(tmp_path):
    utf16 = tmp_path / "utf16.xml"
    utf16.write_bytes(CAMT054.read_text().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"))
    assert len(read_statement(utf16).transactions) == 2
    bomb = tmp_path / "bomb16.xml"
    bomb.write_bytes(('<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
                      '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<Document><BkToCstmrStmt><Stmt><Id>&b;</Id>'
                      "</Stmt></BkToCstmrStmt></Document>").encode("utf-16"))
    with pytest.raises(StatementError, match="DOCTYPE"):
        read_statement(bomb)


def test_a_bad_entry_deep_in_a_long_statement_is_named_by_its_position(tmp_path):
    text = CAMT053.read_text()
    start = text.index("<Ntry>")
    end = text.index("</Ntry>", start) + len("</Ntry>")
    entry = text[start:end]
    bad = entry.replace('<Amt Ccy="EUR">1190.00</Amt>', '<Amt Ccy="EUR">11,90</Amt>', 1)
    assert bad != entry
    long_statement = text[:start] + entry * 1499 + bad + text[end:]
    with pytest.raises(StatementError) as caught:
        read_statement(write(tmp_path, long_statement))
    assert "Stmt[1]/Ntry[1500]/Amt" in str(caught.value)
