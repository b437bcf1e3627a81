"""The workspace's lists: the filter box (`q`) narrows the page and its CSV and XLSX exports; the XLSX opens
in openpyxl with the column titles, numbers as numbers and formula-looking text as text; the KPI
report behind the dashboard and the customer list is kept until an import changes the data.
"""

from __future__ import annotations

import csv
import io
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from creditbridge.adapters.files import read_ledger
from creditbridge.sync.store import Store
from creditbridge.sync.store.credit_tables import credit_decisions
from creditbridge.sync.web.listing import Column, xlsx_bytes
from creditbridge.sync.web.replica_cache import CACHE

from . import test_web_workspace
from .test_web_credit import apply_in_page
from .test_web_workspace import (
    APPLICATION_FORM,
    AS_OF,
    FIXTURE,
    SQLITE_ONLY,
    browser,
    request_increase,
    sign_in,
)

cheap_hashes = test_web_workspace.cheap_hashes
store = test_web_workspace.store
"""Fixtures of test_web_workspace, shared (an imported fixture name would be a redefinition to the linter)."""

# ---------------------------------------------------------------------------------------- filters and exports


@SQLITE_ONLY
def test_the_filter_narrows_the_customer_list_and_its_exports(store: Store) -> None:
    client = sign_in(browser(store), "collector1")
    everyone = client.get(f"/customers?as_of={AS_OF}").text
    assert all(f">{c}</a>" in everyone for c in "ABC")
    page = client.get(f"/customers?as_of={AS_OF}&q=acme").text
    assert ">A</a>" in page and ">B</a>" not in page and ">C</a>" not in page
    assert 'value="acme"' in page and "1 row ·" in page
    assert 'href="/customers.xlsx?as_of=2026-03-31&amp;q=acme' in page  # the download links carry the filter
    rows = list(csv.reader(io.StringIO(client.get(f"/customers.csv?as_of={AS_OF}&q=acme").text)))
    assert [r[0] for r in rows[1:]] == ["A"]
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(f"/customers.xlsx?as_of={AS_OF}&q=acme").content)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["A"]
    assert [r[0] for r in csv.reader(io.StringIO(client.get(f"/customers.csv?as_of={AS_OF}&q=cobalt ltd").text))][1:] \
        == ["C"]  # every word must appear  # fmt: skip


@SQLITE_ONLY
def test_the_filter_narrows_the_approvals_and_the_decisions(store: Store) -> None:
    request_increase(store)
    for name in ("Widget Works Ltd", "Nova Trading"):
        assert apply_in_page(store, {**APPLICATION_FORM, "applicant.name": name})[0] == 200
    client = sign_in(browser(store), "approver1")
    assert "grew" in client.get("/approvals?q=grew").text and "1 row ·" in client.get("/approvals?q=grew").text
    assert "0 rows ·" in client.get("/approvals?q=nobody-asked").text
    page = client.get("/credit/decisions?q=nova").text
    assert "Nova Trading" in page and "Widget Works" not in page
    rows = list(csv.reader(io.StringIO(client.get("/credit/decisions.csv?q=nova").text)))
    assert [r[3] for r in rows[1:]] == ["Nova Trading"]


@SQLITE_ONLY
def test_the_xlsx_export_has_the_titles_numbers_as_numbers_and_no_formulas(store: Store) -> None:
    formula = '=HYPERLINK("http://evil.example","click")'
    assert apply_in_page(store, {**APPLICATION_FORM, "applicant.name": formula})[0] == 200
    client = sign_in(browser(store), "analyst1")
    response = client.get("/credit/decisions.xlsx")
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert 'filename="credit-decisions.xlsx"' in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["Decision", "Decided (UTC)", "Kind", "Customer or applicant"]
    row = {title: cell for title, cell in zip(header, sheet[2], strict=True)}
    assert row["Customer or applicant"].value == formula and row["Customer or applicant"].data_type == "s"
    assert row["Limit"].data_type == "n" and Decimal(str(row["Limit"].value)) == Decimal(
        "80000"
    )  # mean of three methods
    customers = openpyxl.load_workbook(io.BytesIO(client.get(f"/customers.xlsx?as_of={AS_OF}&sort=customer_id&dir=asc")
                                                  .content)).active  # fmt: skip
    assert [c.value for c in customers[1]][:4] == ["Customer", "Name", "Currency", "AR"]
    assert [(r[0], r[1]) for r in customers.iter_rows(min_row=2, values_only=True)] == [
        ("A", "Acme & Sons"), ("B", "Bäckerei Berg"), ("C", "Cobalt Ltd")]  # fmt: skip
    assert all(isinstance(r[3], int | float) for r in customers.iter_rows(min_row=2, values_only=True))


def test_xlsx_cells_keep_exact_decimals_and_text_that_looks_like_a_formula() -> None:
    columns = (Column("name", "Name"), Column("amount", "Amount", numeric=True), Column("note", "Note"))
    rows = [{"name": "=1+2", "amount": Decimal("1234.56"), "note": "@SUM(A1)"},
            {"name": "+cmd", "amount": Decimal("-0.01"), "note": None}]  # fmt: skip
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(rows, columns))).active
    assert [c.value for c in sheet[1]] == ["Name", "Amount", "Note"]
    assert [(c.value, c.data_type) for c in sheet[2]] == [("=1+2", "s"), (1234.56, "n"), ("@SUM(A1)", "s")]
    assert [c.value for c in sheet[3]] == ["+cmd", -0.01, None]


@pytest.mark.parametrize("kind", ["json", "xls"])
@SQLITE_ONLY
def test_an_unknown_export_kind_is_404(store: Store, kind: str) -> None:
    client = sign_in(browser(store), "analyst1")
    assert client.get(f"/credit/decisions.{kind}").status_code == 404


def test_the_kpis_are_kept_until_an_import_changes_the_data(store: Store, tmp_path: Path) -> None:
    client = sign_in(browser(store), "viewer1")
    before = CACHE.key(store)
    assert "Acme &amp; Sons" in client.get(f"/customers?as_of={AS_OF}").text
    assert "Acme &amp; Sons" in client.get(f"/dashboard?as_of={AS_OF}").text  # the top overdue customer
    renamed = tmp_path / "ledger"
    shutil.copytree(FIXTURE, renamed)
    customers = renamed / "customers.csv"
    customers.write_text(
        customers.read_text(encoding="utf-8").replace("Acme & Sons", "Acme Holdings"), encoding="utf-8"
    )
    store.import_ledger(read_ledger(renamed), source="erp1")
    assert CACHE.key(store) != before
    page = client.get(f"/customers?as_of={AS_OF}").text
    assert "Acme Holdings" in page and "Acme &amp; Sons" not in page
    assert "Acme Holdings" in client.get(f"/dashboard?as_of={AS_OF}").text


def test_the_decision_list_shows_each_new_decision_and_forgets_a_removed_one(store: Store) -> None:
    client = sign_in(browser(store), "collector1")
    assert "0 rows ·" in client.get("/credit/decisions").text
    assert apply_in_page(store, {**APPLICATION_FORM, "applicant.name": "First Ltd"})[0] == 200
    assert "First Ltd" in client.get("/credit/decisions").text
    assert apply_in_page(store, {**APPLICATION_FORM, "applicant.name": "Second Ltd"})[0] == 200
    page = client.get("/credit/decisions").text
    assert "First Ltd" in page and "Second Ltd" in page and "2 rows ·" in page
    with store.engine.begin() as conn:  # not something creditbridge does; the list must not keep it anyway
        conn.execute(sa.delete(credit_decisions).where(credit_decisions.c.applicant == "First Ltd"))
    page = client.get("/credit/decisions").text
    assert "First Ltd" not in page and "Second Ltd" in page and "1 row ·" in page
    assert "Second Ltd" in client.get("/credit/decisions?kind=application").text
    assert "0 rows ·" in client.get("/credit/decisions?kind=review").text
