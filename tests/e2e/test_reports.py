"""The AR report as a user gets it: one offline HTML file and an XLSX workbook finance can work in.

Most tests render a hand-built `KpiReport` (figures chosen to be easy to find in the output);
the last ones build the report from a small record ledger through the real KPI engine.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from creditbridge.core.columns import columns_from_ledger
from creditbridge.core.kpis.figures import AGING_BUCKETS, AgingBucket, KpiFigures, KpiReport
from creditbridge.core.model import Application, Customer, DocType, Ledger, OpenItem, Payment, WriteOff
from creditbridge.core.money import Money
from creditbridge.sync.reports import (
    ArReport,
    TrendPoint,
    UnsupportedReportFormat,
    build_report,
    render_html,
    write_html,
    write_report,
    write_xlsx,
)
from creditbridge.sync.reports.ar_report import trend_dates

AS_OF = date(2024, 6, 30)
NASTY = 'Smith & Jones <Wholesale> "Intl"'
FORMULA = "=SUM(A1:A9)+1"


def d(text: str) -> Decimal:
    return Decimal(text)


def aging(*amounts: str, ar: str) -> tuple[AgingBucket, ...]:
    total = d(ar)
    return tuple(
        AgingBucket(name, d(a), (d(a) * 100 / total).quantize(d("0.01")) if total else None)
        for name, a in zip(AGING_BUCKETS, amounts, strict=True)
    )


def figures(
    currency: str = "USD",
    customer: tuple[str, str] | None = None,
    ar: str = "1234567.89",
    buckets: tuple[str, ...] = ("900000.00", "200000.00", "50000.00", "34567.89", "30000.00", "20000.00"),
    dso: str | None = "45.67",
    cei: str | None = "87.65",
    **extra: Decimal | None,
) -> KpiFigures:
    values: dict[str, Decimal | None] = {
        "ar_start": d("1100000.00"),
        "credit_sales": d("2432100.00"),
        "writeoffs": d("1234.00"),
        "countback_dso": d("41.20"),
        "best_possible_dso": d("33.33"),
        "add": d("12.34"),
        "bad_debt_ratio": d("0.05"),
    }
    values.update(extra)
    return KpiFigures(
        currency=currency,
        customer_id=customer[0] if customer else None,
        customer_name=customer[1] if customer else None,
        ar=d(ar),
        ar_start=values["ar_start"] or d(0),
        current_ar=d(buckets[0]),
        credit_sales=values["credit_sales"] or d(0),
        writeoffs=values["writeoffs"] or d(0),
        dso=d(dso) if dso is not None else None,
        countback_dso=values["countback_dso"],
        best_possible_dso=values["best_possible_dso"],
        add=values["add"],
        cei=d(cei) if cei is not None else None,
        bad_debt_ratio=values["bad_debt_ratio"],
        aging=aging(*buckets, ar=ar),
    )


def hand_report() -> ArReport:
    company = figures()
    customers = (
        figures(
            customer=("C-1", NASTY),
            ar="500000.00",
            buckets=("100000.00", "100000.00", "100000.00", "100000.00", "50000.00", "50000.00"),
            dso="120.50",
            cei="55.10",
        ),
        figures(
            customer=("C-2", "Quiet Payer Ltd"),
            ar="734567.89",
            buckets=("734567.89", "0.00", "0.00", "0.00", "0.00", "0.00"),
            dso="20.00",
            cei="99.00",
        ),
        figures(
            customer=("C-3", FORMULA),
            ar="0.00",
            buckets=("0.00",) * 6,
            dso=None,
            cei=None,
            credit_sales=d("0.00"),
            countback_dso=d("0.00"),
            best_possible_dso=None,
            add=None,
            bad_debt_ratio=None,
        ),
    )
    kpis = KpiReport(as_of=AS_OF, period_days=90, start=date(2024, 4, 1), company=(company,), customers=customers)
    trend = tuple(
        TrendPoint(day, (figures(dso=f"{40 + i}.50", cei=f"{80 + i}.25"),) if i != 3 else ())
        for i, day in enumerate(trend_dates(AS_OF))
    )
    trend = (*trend[:-1], TrendPoint(AS_OF, (company,)))
    return ArReport(
        title="Accounts receivable",
        kpis=kpis,
        trend=trend,
        generated_at=datetime(2024, 7, 1, 8, 30, tzinfo=UTC),
        company_name="Northwind & Co",
    )


# --- HTML -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("html") / "report.html"
    write_html(hand_report(), path)
    return path.read_text(encoding="utf-8")


def test_the_page_fetches_nothing_so_it_opens_offline(page: str) -> None:
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(?!#)""", page), "only in-page anchors may be linked"
    assert "@import" not in page and "@font-face" not in page
    assert re.findall(r"url\(([^)]*)\)", page) == [f"#clip-{i}" for i in range(len(re.findall(r"url\(", page)))]
    assert "default-src 'none'" in page  # the CSP forbids any request a later edit might add


def test_the_page_draws_aging_and_trend_as_inline_svg(page: str) -> None:
    assert '<svg class="chart aging-bar"' in page
    assert '<svg class="chart customer-aging"' in page
    assert page.count('<svg class="chart line-chart"') == 2  # DSO and CEI
    for label in ("Current", "1–30", "31–60", "61–90", "91–120", "&gt;120"):
        assert label in page
    for tick in ("Jul 23", "Dec 23", "Jan 24", "May 24", "Jun 24"):
        assert f">{tick}</text>" in page


def test_customer_names_are_escaped_everywhere(page: str) -> None:
    assert NASTY not in page
    assert "Smith &amp; Jones &lt;Wholesale&gt; &quot;Intl&quot;" in page
    assert "<Wholesale>" not in page


def test_the_page_shows_the_figures_with_separators_and_currency(page: str) -> None:
    for text in (
        "1,234,567.89",  # AR
        "1,234,567.89 USD",  # aging total
        "45.7",  # DSO, 1 place
        "41.2",  # countback DSO
        "33.3",  # best possible DSO
        "12.3",  # ADD
        "87.6%",  # CEI 87.65 to one place, half-even
        "900,000.00 USD",  # current bucket
        "20,000.00 USD",  # over 120
        "30 Jun 2024",
        "90 days",
        "Northwind &amp; Co",
        "2024-07-01 08:30 UTC",
    ):
        assert text in page, text
    assert ">0.0%<" in page  # bad-debt ratio 0.05 % to one place, half-even
    assert "27.1%" in page  # past due: 334,567.89 / 1,234,567.89
    assert "120.5" in page and "55.1%" in page  # the overdue customer's DSO and CEI


def test_undefined_figures_read_as_a_dash(page: str) -> None:
    row = re.search(r"<tr>(?:(?!</tr>).)*C-3(?:(?!</tr>).)*</tr>", page)
    assert row is not None
    assert row.group(0).count("—") >= 4  # % past due, DSO, ADD, CEI


def test_top_overdue_ranks_by_past_due_and_leaves_out_customers_without_one(page: str) -> None:
    table = page[page.index("Top overdue customers") :]
    table = table[: table.index("</table>")]
    assert "Smith &amp; Jones" in table
    assert "Quiet Payer" not in table  # nothing past due


def test_a_gap_in_the_trend_breaks_the_line_instead_of_drawing_zero() -> None:
    report = hand_report()
    html = render_html(report)
    dso_chart = html[html.index('<svg class="chart line-chart"') :]
    dso_chart = dso_chart[: dso_chart.index("</svg>")]
    first_path = re.search(r'<path class="line" d="([^"]+)"', dso_chart)
    assert first_path is not None
    assert first_path.group(1).count("M") == 1 and first_path.group(1).count("L") == 2  # points 0..2, gap at 3


def test_a_ledger_without_receivables_still_renders(tmp_path: Path) -> None:
    empty = ArReport(
        title="Accounts receivable",
        kpis=KpiReport(as_of=AS_OF, period_days=90, start=date(2024, 4, 1), company=(), customers=()),
        trend=tuple(TrendPoint(day, ()) for day in trend_dates(AS_OF)),
        generated_at=datetime(2024, 7, 1, tzinfo=UTC),
    )
    write_report(empty, tmp_path / "empty.html")
    assert "no receivables" in (tmp_path / "empty.html").read_text(encoding="utf-8")
    write_report(empty, tmp_path / "empty.xlsx")
    assert openpyxl.load_workbook(tmp_path / "empty.xlsx").sheetnames[0] == "Summary"


# --- XLSX -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    path = tmp_path_factory.mktemp("xlsx") / "report.xlsx"
    write_xlsx(hand_report(), path)
    return openpyxl.load_workbook(path)


def header(sheet: openpyxl.worksheet.worksheet.Worksheet) -> list[str]:
    return [c.value for c in sheet[1]]


def cell(sheet: openpyxl.worksheet.worksheet.Worksheet, row: int, head: str) -> openpyxl.cell.Cell:
    return sheet.cell(row=row, column=header(sheet).index(head) + 1)


def test_the_workbook_has_one_sheet_per_table(book: openpyxl.Workbook) -> None:
    assert book.sheetnames == ["Summary", "Aging", "Trend", "Top overdue", "Customers"]
    for sheet in book.worksheets:
        assert all(c.font.b for c in sheet[1]), sheet.title
        assert sheet.freeze_panes is not None and sheet.freeze_panes[1:] == "2", sheet.title
        assert sheet.auto_filter.ref is not None and sheet.auto_filter.ref.startswith("A1:"), sheet.title
        assert sheet.column_dimensions["A"].width >= 9


def test_figures_are_numbers_with_number_formats_not_text(book: openpyxl.Workbook) -> None:
    summary = book["Summary"]
    ar = cell(summary, 2, "AR")
    assert (ar.data_type, ar.value, ar.number_format) == ("n", 1234567.89, "#,##0.00")
    dso = cell(summary, 2, "DSO (days)")
    assert (dso.data_type, dso.value, dso.number_format) == ("n", 45.67, "0.0")
    cei = cell(summary, 2, "CEI")
    assert (cei.data_type, cei.value, cei.number_format) == ("n", 0.8765, "0.0%")
    as_of = cell(summary, 2, "As of")
    assert as_of.is_date and as_of.value == datetime(2024, 6, 30)
    numeric = [c for row in summary.iter_rows(min_row=2) for c in row if c.column > 1]
    assert all(c.data_type in ("n", "d") for c in numeric)


def test_undefined_figures_are_blank_cells_not_dashes(book: openpyxl.Workbook) -> None:
    customers = book["Customers"]
    row = next(r for r in range(2, customers.max_row + 1) if customers.cell(r, 1).value == "C-3")
    assert cell(customers, row, "DSO (days)").value is None
    assert cell(customers, row, "CEI").value is None
    assert cell(customers, row, "AR").value == 0


def test_a_customer_name_that_looks_like_a_formula_stays_text(book: openpyxl.Workbook) -> None:
    customers = book["Customers"]
    names = {customers.cell(r, 2).value: customers.cell(r, 2).data_type for r in range(2, customers.max_row + 1)}
    assert names[FORMULA] == "s"
    assert names[NASTY] == "s"


def test_aging_trend_and_top_overdue_sheets_carry_their_rows(book: openpyxl.Workbook) -> None:
    aging_sheet = book["Aging"]
    assert header(aging_sheet)[4:11] == ["AR", "Current", "1–30", "31–60", "61–90", "91–120", ">120"]
    assert aging_sheet.cell(2, 1).value == "Company" and aging_sheet.cell(2, 5).value == 1234567.89
    trend = book["Trend"]
    dates = [trend.cell(r, 1).value for r in range(2, trend.max_row + 1)]
    assert dates[0] == datetime(2023, 7, 31) and dates[-1] == datetime(2024, 6, 30) and len(dates) == 12
    assert trend.cell(5, header(trend).index("DSO (days)") + 1).value is None  # the gap
    top = book["Top overdue"]
    assert [top.cell(r, 4).value for r in range(2, top.max_row + 1)] == [NASTY]
    assert cell(top, 2, "Past due %").value == 0.8


# --- write_report and build_report ------------------------------------------------------------


def test_write_report_picks_the_format_by_suffix(tmp_path: Path) -> None:
    report = hand_report()
    write_report(report, tmp_path / "r.HTML")
    write_report(report, tmp_path / "r.xlsx")
    assert (tmp_path / "r.HTML").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert (tmp_path / "r.xlsx").read_bytes()[:2] == b"PK"
    with pytest.raises(UnsupportedReportFormat, match=r"'\.pdf'") as caught:
        write_report(report, tmp_path / "r.pdf")
    assert isinstance(caught.value, ValueError)
    with pytest.raises(ValueError, match="no suffix"):
        write_report(report, tmp_path / "report")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.HTML", "r.xlsx"]  # no temp files left


def test_trend_dates_are_the_eleven_month_ends_before_as_of_then_as_of() -> None:
    mid = trend_dates(date(2024, 3, 15))
    assert len(mid) == 12
    assert mid[0] == date(2023, 4, 30) and mid[-2] == date(2024, 2, 29) and mid[-1] == date(2024, 3, 15)
    end = trend_dates(date(2024, 1, 31))
    assert end[0] == date(2023, 2, 28) and end[-2] == date(2023, 12, 31) and end[-1] == date(2024, 1, 31)


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def small_ledger() -> Ledger:
    """Two customers; one pays late, one has a write-off, one invoice in EUR."""
    items = (
        OpenItem("I1", DocType.INVOICE, "A", date(2024, 1, 10), date(2024, 2, 9), usd("1000.00"), usd("0.00")),
        OpenItem("I2", DocType.INVOICE, "A", date(2024, 5, 20), date(2024, 6, 19), usd("2500.00"), usd("2500.00")),
        OpenItem("I3", DocType.INVOICE, "B", date(2024, 2, 1), date(2024, 3, 2), usd("400.00"), usd("0.00")),
        OpenItem("I4", DocType.INVOICE, "B", date(2024, 6, 10), date(2024, 7, 10), usd("800.00"), usd("800.00")),
        OpenItem(
            "I5",
            DocType.INVOICE,
            "B",
            date(2024, 6, 1),
            date(2024, 7, 1),
            Money.of("300.00", "EUR"),
            Money.of("300.00", "EUR"),
        ),
    )
    payments = (
        Payment(
            "P1",
            "A",
            date(2024, 4, 1),
            usd("1000.00"),
            applications=(Application("P1", "I1", usd("1000.00"), date(2024, 4, 1)),),
        ),
    )
    return Ledger(
        customers=(Customer("A", NASTY, "USD"), Customer("B", "Berg GmbH", "USD")),
        items=items,
        payments=payments,
        writeoffs=(WriteOff("I3", date(2024, 5, 15), usd("400.00")),),
    )


def test_build_report_runs_the_engine_for_as_of_and_twelve_month_ends(tmp_path: Path) -> None:
    report = build_report(columns_from_ledger(small_ledger()), AS_OF, 90, title="AR <test>")
    assert report.as_of == AS_OF and report.period_days == 90
    assert [p.as_of for p in report.trend] == list(trend_dates(AS_OF))
    assert report.trend[-1].company == report.kpis.company
    assert report.currencies == ("USD", "EUR")  # largest AR first
    usd_now = report.company("USD")
    assert usd_now.ar == Decimal("3300.00")
    assert {f.customer_id for f in report.kpis.customers} == {"A", "B"}
    march = report.trend[-4].for_currency("USD")
    assert report.trend[-4].as_of == date(2024, 3, 31) and march is not None
    assert march.ar == Decimal("1400.00")  # I1 paid on 1 April, I3 written off in May: both still open
    assert all(f.ar == 0 and f.dso is None for f in report.trend[0].company)  # July 2023: nothing invoiced

    write_report(report, tmp_path / "r.html")
    write_report(report, tmp_path / "r.xlsx")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "AR &lt;test&gt;" in html and "3,300.00 USD" in html and "300.00 EUR" in html
    customers = openpyxl.load_workbook(tmp_path / "r.xlsx")["Customers"]
    assert {customers.cell(r, 3).value for r in range(2, customers.max_row + 1)} == {"USD", "EUR"}
