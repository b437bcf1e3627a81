"""The sample company's books add up, read back with nothing but the csv module."""

from __future__ import annotations

import csv
import importlib.util
import re
import warnings
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from creditbridge.sync import sample_company
from creditbridge.sync.sample_company import SampleSummary, generate_sample_company

AS_OF = date(2025, 6, 30)
FILES = ("customers.csv", "invoices.csv", "payments.csv", "orders.csv", "writeoffs.csv")
TWO_PLACES = re.compile(r"-?\d+\.\d{2}")


def read_rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def header(folder: Path, name: str) -> tuple[str, ...]:
    with (folder / name).open(newline="", encoding="utf-8") as handle:
        return tuple(next(csv.reader(handle)))


def applications(payment: dict[str, str]) -> list[tuple[str, Decimal]]:
    if not payment["applied_to"]:
        return []
    pairs = [part.rsplit(":", 1) for part in payment["applied_to"].split(";")]
    return [(number, Decimal(amount)) for number, amount in pairs]


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SampleSummary]:
    folder = tmp_path_factory.mktemp("sample")
    return folder, generate_sample_company(folder, customers=80, invoices=8_000, as_of=AS_OF, seed=11)


@pytest.fixture(scope="module")
def books(company: tuple[Path, SampleSummary]) -> dict[str, list[dict[str, str]]]:
    folder, _ = company
    return {name.removesuffix(".csv"): read_rows(folder, name) for name in FILES}


def test_the_same_seed_writes_the_same_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    first, again, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for folder, seed in ((first, 3), (again, 3), (other, 4)):
        generate_sample_company(folder, customers=30, invoices=2_000, as_of=AS_OF, seed=seed)
    for name in FILES:
        assert (first / name).read_bytes() == (again / name).read_bytes(), name
    assert (first / "invoices.csv").read_bytes() != (other / "invoices.csv").read_bytes()


def test_the_files_carry_the_universal_import_headers(company: tuple[Path, SampleSummary]) -> None:
    folder, _ = company
    assert header(folder, "customers.csv") == (
        "customer_id",
        "name",
        "parent_id",
        "currency",
        "payment_terms_days",
        "credit_limit",
        "on_hold",
        "risk_class",
        "tax_id",
        "bank_accounts",
    )
    assert header(folder, "invoices.csv") == (
        "invoice_number",
        "doc_type",
        "customer_id",
        "invoice_date",
        "due_date",
        "currency",
        "amount",
        "open_amount",
        "po_number",
        "discount_percent",
        "discount_days",
    )
    assert header(folder, "payments.csv") == (
        "payment_id",
        "customer_id",
        "payment_date",
        "currency",
        "amount",
        "reference",
        "applied_to",
    )
    assert header(folder, "orders.csv") == ("order_number", "customer_id", "order_date", "currency", "amount", "status")
    assert header(folder, "writeoffs.csv") == ("invoice_number", "date", "amount", "reason")


def test_the_summary_counts_what_the_files_hold(company: tuple[Path, SampleSummary], books: dict) -> None:
    folder, summary = company
    assert summary.folder == folder
    assert summary.customers == len(books["customers"]) == 80
    assert summary.invoices == len(books["invoices"]) == 8_000
    assert summary.payments == len(books["payments"])
    assert summary.orders == len(books["orders"])
    assert summary.writeoffs == len(books["writeoffs"]) > 0
    assert summary.applications == sum(len(applications(p)) for p in books["payments"])
    assert summary.unapplied_payments == sum(1 for p in books["payments"] if not p["applied_to"]) > 0
    kinds = Counter(row["doc_type"] for row in books["invoices"])
    assert (summary.credit_memos, summary.debit_memos) == (kinds["CM"], kinds["DM"])
    assert summary.open_orders == sum(1 for o in books["orders"] if o["status"] == "open") > 0


def test_every_row_references_a_known_customer_or_invoice(books: dict) -> None:
    customers = {row["customer_id"] for row in books["customers"]}
    numbers = [row["invoice_number"] for row in books["invoices"]]
    assert len(set(numbers)) == len(numbers)
    assert len({p["payment_id"] for p in books["payments"]}) == len(books["payments"])
    assert {row["customer_id"] for row in books["invoices"]} <= customers
    assert {row["customer_id"] for row in books["payments"]} <= customers
    assert {row["customer_id"] for row in books["orders"]} <= customers
    assert {row["parent_id"] for row in books["customers"] if row["parent_id"]} <= customers
    assert {row["invoice_number"] for row in books["writeoffs"]} <= set(numbers)


def test_a_payment_applies_at_most_what_it_brought_to_its_own_customers_earlier_items(books: dict) -> None:
    invoices = {row["invoice_number"]: row for row in books["invoices"]}
    for payment in books["payments"]:
        applied = applications(payment)
        assert sum((amount for _, amount in applied), Decimal(0)) <= Decimal(payment["amount"])
        assert Decimal(payment["amount"]) > 0
        for number, _ in applied:
            invoice = invoices[number]
            assert invoice["customer_id"] == payment["customer_id"]
            assert invoice["currency"] == payment["currency"]
            assert invoice["invoice_date"] <= payment["payment_date"]


def test_open_amount_is_amount_less_applications_and_writeoffs(books: dict) -> None:
    settled: dict[str, Decimal] = defaultdict(Decimal)
    for payment in books["payments"]:
        for number, amount in applications(payment):
            settled[number] += amount
    for writeoff in books["writeoffs"]:
        settled[writeoff["invoice_number"]] += Decimal(writeoff["amount"])
    for row in books["invoices"]:
        assert Decimal(row["open_amount"]) == Decimal(row["amount"]) - settled[row["invoice_number"]], row
        amount, open_amount = Decimal(row["amount"]), Decimal(row["open_amount"])
        assert 0 <= open_amount <= amount if amount > 0 else amount <= open_amount <= 0


def test_nothing_is_dated_after_the_as_of_date(books: dict) -> None:
    as_of = AS_OF.isoformat()
    assert max(row["invoice_date"] for row in books["invoices"]) <= as_of
    assert max(row["payment_date"] for row in books["payments"]) <= as_of
    assert max(row["date"] for row in books["writeoffs"]) <= as_of
    assert max(row["order_date"] for row in books["orders"]) <= as_of
    assert min(row["invoice_date"] for row in books["invoices"]) >= "2023-07-01"  # about 24 months


def test_credit_memos_are_negative_and_the_rest_positive(books: dict) -> None:
    for row in books["invoices"]:
        assert (Decimal(row["amount"]) < 0) == (row["doc_type"] == "CM"), row
    kinds = Counter(row["doc_type"] for row in books["invoices"])
    assert set(kinds) == {"INV", "DM", "CM"}
    assert 0.02 < kinds["CM"] / len(books["invoices"]) < 0.04


def test_amounts_are_plain_decimals_with_two_places(books: dict) -> None:
    for name, columns in (
        ("invoices", ("amount", "open_amount")),
        ("payments", ("amount",)),
        ("orders", ("amount",)),
        ("writeoffs", ("amount",)),
    ):
        for row in books[name]:
            for column in columns:
                assert TWO_PLACES.fullmatch(row[column]), (name, column, row)
    for payment in books["payments"]:
        assert all(TWO_PLACES.fullmatch(str(amount)) for _, amount in applications(payment))


def test_an_invoice_bills_in_its_customers_currency_and_most_customers_bill_in_usd(books: dict) -> None:
    currency = {row["customer_id"]: row["currency"] for row in books["customers"]}
    assert all(row["currency"] == currency[row["customer_id"]] for row in books["invoices"])
    assert Counter(currency.values()) == {"USD": 72, "EUR": 8}
    assert {row["payment_terms_days"] for row in books["customers"]} <= {"15", "30", "45", "60"}
    assert {row["on_hold"] for row in books["customers"]} == {"true", "false"}


def test_the_books_look_like_a_business(books: dict) -> None:
    invoices = books["invoices"]
    assert any(row["discount_percent"] and row["discount_days"] for row in invoices)
    assert any(row["po_number"] for row in invoices)
    assert any(row["parent_id"] for row in books["customers"])
    multi = sum(1 for p in books["payments"] if p["applied_to"].count(";") >= 1)
    assert multi > 0.05 * len(books["payments"])
    still_open = sum(1 for row in invoices if Decimal(row["open_amount"]) != 0)
    assert 0.03 * len(invoices) < still_open < 0.3 * len(invoices)
    months = Counter(row["invoice_date"][:7] for row in invoices)
    assert len(months) >= 24


def test_blocks_of_customers_join_into_one_consistent_ledger(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(sample_company, "CHUNK_INVOICES", 700)
    summary = generate_sample_company(tmp_path, customers=40, invoices=5_000, as_of=AS_OF)
    invoices = read_rows(tmp_path, "invoices.csv")
    payments = read_rows(tmp_path, "payments.csv")
    assert len(invoices) == summary.invoices == 5_000
    assert len({row["invoice_number"] for row in invoices}) == len(invoices)
    assert len({row["payment_id"] for row in payments}) == len(payments)
    assert len({row["order_number"] for row in read_rows(tmp_path, "orders.csv")}) == summary.orders
    settled: dict[str, Decimal] = defaultdict(Decimal)
    for payment in payments:
        for number, amount in applications(payment):
            settled[number] += amount
    for writeoff in read_rows(tmp_path, "writeoffs.csv"):
        settled[writeoff["invoice_number"]] += Decimal(writeoff["amount"])
    assert all(Decimal(r["open_amount"]) == Decimal(r["amount"]) - settled[r["invoice_number"]] for r in invoices)


def test_progress_is_reported_up_to_the_invoice_count(tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    generate_sample_company(tmp_path, customers=10, invoices=500, as_of=AS_OF, progress=lambda *a: seen.append(a))
    assert seen[0] == ("customers", 10, 10)
    assert seen[-1] == ("invoices and payments", 500, 500)


@pytest.mark.skipif(
    importlib.util.find_spec("creditbridge.adapters.files") is None
    or not hasattr(importlib.import_module("creditbridge.adapters.files"), "read_ledger"),
    reason="creditbridge.adapters.files.read_ledger is not written yet",
)
def test_the_files_adapter_reads_the_folder_without_errors_or_warnings(company: tuple[Path, SampleSummary]) -> None:
    from creditbridge.adapters.files import read_ledger

    folder, summary = company
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tables = read_ledger(folder)
    assert tables.warnings == ()
    assert tables.customers.height == summary.customers
    assert tables.invoices.height == summary.invoices
    assert tables.payments.height == summary.payments
    assert tables.applications.height == summary.applications
    assert tables.writeoffs.height == summary.writeoffs
    assert tables.orders.height == summary.orders


def test_a_company_without_invoices_still_writes_every_file_with_its_header(tmp_path: Path) -> None:
    summary = generate_sample_company(tmp_path, customers=1, invoices=0, as_of=AS_OF, currencies=("USD",))
    assert (summary.customers, summary.invoices, summary.payments) == (1, 0, 0)
    for name in FILES:
        assert len(read_rows(tmp_path, name)) == (1 if name == "customers.csv" else 0)
        assert header(tmp_path, name)
