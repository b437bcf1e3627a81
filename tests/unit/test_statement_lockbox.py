"""Lockbox files: checks with their invoice lines, trailer totals checked, the layout configurable per bank."""

from pathlib import Path

import pytest

from creditbridge.adapters.statements import LockboxLayout, StatementError, read_statement
from creditbridge.core.money import Money

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "statements"
DEFAULT = SAMPLES / "lockbox_default.txt"


def mutated(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT.read_text()
    assert old in text
    path = tmp_path / "lockbox.dat"
    path.write_text(text.replace(old, new, 1))
    return path


def test_each_check_is_a_payment_with_its_overflow_invoice_lines():
    statement = read_statement(DEFAULT)
    assert statement.format == "lockbox"
    first, second, third = statement.transactions
    assert first.amount == Money.of("3500.00", "USD")
    assert [(line.document_number, line.amount) for line in first.remittance_lines] == [
        ("INV-10452", Money.of("2000.00", "USD")), ("INV-10453", Money.of("1500.00", "USD"))]
    assert [(line.document_number, line.amount) for line in second.remittance_lines] == [("10471", None)]
    assert third.remittance_lines == ()


def test_the_check_number_micr_account_payer_and_deposit_date_are_kept():
    first = read_statement(DEFAULT).transactions[0]
    assert first.bank_reference == "10452"
    assert first.payer_account == "121000248/4410009999"
    assert first.payer_name == "NORTHWIND TRADERS INC"
    assert first.booked_on.isoformat() == "2026-11-30"
    assert first.account == "0012345"


def test_payment_ids_are_lockbox_batch_and_item():
    assert [t.transaction_id for t in read_statement(DEFAULT).transactions] == [
        "0012345-001-001", "0012345-001-002", "0012345-002-001"]


def test_a_batch_total_that_does_not_add_up_names_the_trailer_line(tmp_path):
    path = mutated(tmp_path, "0020000448765", "0020000448766")
    with pytest.raises(StatementError) as caught:
        read_statement(path)
    assert str(caught.value) == (f"{path} line 9, field total: control total: the batch trailer says 4487.66, the "
                                 "payments add up to 4487.65")


def test_a_file_trailer_count_that_does_not_match_is_refused(tmp_path):
    path = mutated(tmp_path, "9000003", "9000004")
    with pytest.raises(StatementError, match=r"line 14, field count: .*says 4 payments, there are 3"):
        read_statement(path)


def test_a_bad_amount_names_line_and_field(tmp_path):
    path = mutated(tmp_path, "0000350000", "00003500.0")
    with pytest.raises(StatementError, match=r"line 4, field amount: '00003500.0' is not a whole number"):
        read_statement(path)


def test_an_overflow_record_for_another_check_is_refused(tmp_path):
    path = mutated(tmp_path, "4001002601910471", "4001003601910471")
    with pytest.raises(StatementError, match=r"line 8, field item: remittance record does not follow its payment"):
        read_statement(path)


def test_a_bank_layout_from_toml_reads_its_own_record_types_and_positions():
    layout = LockboxLayout.from_file(SAMPLES / "lockbox_layout.toml")
    statement = read_statement(SAMPLES / "lockbox_custom_layout.txt", lockbox_layout=layout)
    (payment,) = statement.transactions
    assert payment.amount == Money.of("12345.67", "CAD")
    assert payment.payer_name == "MAPLE LEAF FOODS"
    assert [line.document_number for line in payment.remittance_lines] == ["INV-7001", "INV-7002"]


def test_a_layout_from_yaml_works_the_same(tmp_path):
    toml_layout = LockboxLayout.from_file(SAMPLES / "lockbox_layout.toml")
    yaml_file = tmp_path / "layout.yaml"
    lines = [f"{key}: {value!r}" for key, value in (("header", "H"), ("batch_header", "B"), ("payment", "P"),
                                                    ("remittance", "R"), ("batch_trailer", "T"),
                                                    ("file_trailer", "Z"), ("currency", "CAD"))]
    lines.append("ignored: []")
    for key in ("header_fields", "batch_header_fields", "payment_fields", "remittance_fields",
                "batch_trailer_fields", "file_trailer_fields"):
        lines.append(f"{key}:")
        lines += [f"  {name}: [{start}, {length}]" for name, (start, length) in getattr(toml_layout, key).items()]
    yaml_file.write_text("\n".join(lines) + "\n")
    assert LockboxLayout.from_file(yaml_file) == toml_layout


def test_a_layout_with_mistakes_names_every_setting(tmp_path):
    bad = tmp_path / "layout.toml"
    bad.write_text('payment = "P"\ncolour = "red"\n[payment_fields]\namount = [0, 10]\n')
    with pytest.raises(StatementError) as caught:
        LockboxLayout.from_file(bad)
    message = str(caught.value)
    assert "field colour: unknown setting" in message
    assert "field payment_fields.amount" in message


def test_the_custom_file_is_not_a_lockbox_file_under_the_default_layout():
    with pytest.raises(StatementError, match="not a statement format"):
        read_statement(SAMPLES / "lockbox_custom_layout.txt")
