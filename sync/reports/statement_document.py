"""Customer statements of account as HTML (self-contained) and PDF (fpdf2, pure Python, core fonts).

Both renderings show the same figures in the same order: header (company, customer, period,
currency), summary (opening, debits, credits, closing), the lines with a running balance, aging at
the end date and the amount due. Amounts are printed with 2 decimals and thousands separators;
the PDF repeats the table header on each page and numbers the pages.
"""

from __future__ import annotations

import html
from datetime import date
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF

from creditbridge.core.statement import AGING_LABELS, AccountStatement


def _amount(value: Decimal) -> str:
    return f"{value:,.2f}"


def _cell(value: Decimal) -> str:
    return "" if not value else _amount(value)


def _day(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def _summary(statement: AccountStatement) -> list[tuple[str, Decimal]]:
    return [
        (f"Opening balance at {statement.start:%d %b %Y}", statement.opening_balance),
        ("Invoices and charges", statement.total_debits),
        ("Payments and credits", -statement.total_credits),
        (f"Closing balance at {statement.end:%d %b %Y}", statement.closing_balance),
    ]


def bottom_line(statement: AccountStatement) -> str:
    """What the customer owes (or is owed) at the end date, and how much of the open documents is overdue."""
    closing, currency = statement.closing_balance, statement.currency
    if closing < 0:
        return f"Credit balance in your favour: {_amount(-closing)} {currency}"
    text = f"Amount due: {_amount(closing)} {currency}"
    if statement.overdue > 0 and closing > 0:
        text += f" – overdue documents: {_amount(statement.overdue)}"
    return text


def statement_html(statement: AccountStatement, company: str) -> str:
    """A standalone HTML page (inline CSS, no scripts, prints on A4)."""
    e = html.escape
    c = statement.customer
    rows = [
        "<tr class='opening'><td>" + e(_day(statement.start)) + "</td><td colspan='4'>Opening balance</td>"
        "<td></td><td></td><td class='num'>" + _amount(statement.opening_balance) + "</td></tr>"
    ]
    for line in statement.lines:
        rows.append(
            f"<tr><td>{e(_day(line.day))}</td><td>{e(line.kind)}</td><td>{e(line.document)}</td>"
            f"<td>{e(line.reference or '')}</td><td>{e(_day(line.due_date))}</td>"
            f"<td class='num'>{_cell(line.debit)}</td><td class='num'>{_cell(line.credit)}</td>"
            f"<td class='num'>{_amount(line.balance)}</td></tr>"
        )
    rows.append(
        "<tr class='closing'><td>" + e(_day(statement.end)) + "</td><td colspan='4'>Closing balance</td>"
        f"<td class='num'>{_amount(statement.total_debits)}</td><td class='num'>{_amount(statement.total_credits)}</td>"
        f"<td class='num'>{_amount(statement.closing_balance)}</td></tr>"
    )
    aging_head = "".join(f"<th class='num'>{e(AGING_LABELS[b])}</th>" for b, _ in statement.aging)
    aging_head += "<th class='num'>Total open</th>"
    aging_cells = "".join(f"<td class='num'>{_amount(v)}</td>" for _, v in statement.aging)
    aging_cells += f"<td class='num'><b>{_amount(statement.open_total)}</b></td>"
    summary = "".join(
        f"<tr><th>{e(label)}</th><td class='num'>{_amount(v)}</td></tr>" for label, v in _summary(statement)
    )
    unapplied = (
        f"<p>Payments received and not yet applied to an invoice: <b>{_amount(statement.unapplied)} "
        f"{e(statement.currency)}</b> (already deducted from the balance).</p>" if statement.unapplied else ""
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Statement of account – {e(c.name)} – {e(_day(statement.end))}</title>
<style>
 body {{ font-family: Helvetica, Arial, sans-serif; color: #1c2430; margin: 2rem auto; max-width: 60rem;
        font-size: 14px; }}
 header {{ display: flex; justify-content: space-between; border-bottom: 2px solid #1c2430; padding-bottom: .8rem; }}
 h1 {{ font-size: 1.5rem; margin: 0 0 .3rem 0; }} h2 {{ font-size: 1.05rem; margin: 1.6rem 0 .5rem; }}
 .meta td {{ padding: 0 .6rem 0 0; }} .meta td:first-child {{ color: #5a6472; }}
 table.lines, table.aging {{ border-collapse: collapse; width: 100%; }}
 table.lines th, table.aging th {{ background: #eef1f5; text-align: left; padding: .35rem .45rem; font-weight: 600; }}
 table.lines td, table.aging td {{ padding: .3rem .45rem; border-bottom: 1px solid #e2e6ec; }}
 .num {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
 table.lines th.num, table.aging th.num {{ text-align: right; }}
 tr.opening td, tr.closing td {{ font-weight: 600; background: #f7f8fa; }}
 table.summary th {{ text-align: left; font-weight: normal; padding: .2rem 1.5rem .2rem 0; }}
 table.summary tr:last-child th, table.summary tr:last-child td {{ font-weight: 700; border-top: 1px solid #1c2430; }}
 .due {{ font-size: 1.2rem; font-weight: 700; margin-top: 1rem; }}
 table.lines td:nth-child(-n+3), table.lines td:nth-child(5) {{ white-space: nowrap; }}
 @media print {{ body {{ margin: 0; font-size: 10px; }} @page {{ size: A4; margin: 12mm; }} }}
</style></head>
<body>
<header>
 <div><h1>Statement of account</h1><div>{e(company)}</div></div>
 <table class="meta">
  <tr><td>Customer</td><td><b>{e(c.name)}</b></td></tr>
  <tr><td>Account</td><td>{e(c.customer_id)}</td></tr>
  <tr><td>Period</td><td>{e(_day(statement.start))} to {e(_day(statement.end))}</td></tr>
  <tr><td>Currency</td><td>{e(statement.currency)}</td></tr>
 </table>
</header>
<h2>Summary</h2>
<table class="summary">{summary}</table>
<h2>Transactions</h2>
<table class="lines">
<thead><tr><th>Date</th><th>Type</th><th>Document</th><th>Reference</th><th>Due</th>
<th class="num">Debit</th><th class="num">Credit</th><th class="num">Balance</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
<h2>Aging at {e(_day(statement.end))} (open amounts by days past due)</h2>
<table class="aging"><thead><tr>{aging_head}</tr></thead><tbody><tr>{aging_cells}</tr></tbody></table>
{unapplied}
<p class="due">{e(bottom_line(statement))}</p>
</body></html>
"""


def _latin(text: str) -> str:
    """Core PDF fonts are Latin-1: typographic dashes become '-', anything else unknown becomes '?'."""
    return text.replace("–", "-").replace("—", "-").replace("’", "'").encode("latin-1", "replace").decode("latin-1")


class _StatementPdf(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.running_title = title
        self.table_header: list[tuple[str, float, str]] = []
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(15, 15, 15)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "", 8)
        self.set_text_color(110, 118, 130)
        self.cell(0, 5, _latin(self.running_title), align="L")
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0, 0, 0)

    def header(self) -> None:
        if self.page_no() > 1 and self.table_header:
            self._draw_table_header()

    def _draw_table_header(self) -> None:
        self.set_font("Helvetica", "B", 8.5)
        self.set_fill_color(238, 241, 245)
        for label, width, align in self.table_header:
            self.cell(width, 6.5, label, border=0, align=align, fill=True)
        self.ln(6.5)
        self.set_font("Helvetica", "", 8.5)


COLUMNS: list[tuple[str, float, str]] = [
    ("Date", 19, "L"), ("Type", 19, "L"), ("Document", 22, "L"), ("Reference", 47, "L"), ("Due", 19, "L"),
    ("Debit", 18, "R"), ("Credit", 18, "R"), ("Balance", 18, "R"),
]  # fmt: skip


def statement_pdf(statement: AccountStatement, company: str) -> bytes:
    """The statement as an A4 PDF."""
    c = statement.customer
    pdf = _StatementPdf(f"{company} - statement of account {c.customer_id}, {statement.start} to {statement.end}")
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 17)
    pdf.cell(100, 9, "Statement of account")
    pdf.set_font("Helvetica", "", 9)
    y = pdf.get_y()
    period = f"{statement.start} to {statement.end}"
    for label, text in (("Customer", c.name), ("Account", c.customer_id), ("Period", period),
                        ("Currency", statement.currency)):  # fmt: skip
        pdf.set_xy(120, y)
        pdf.set_text_color(90, 100, 114)
        pdf.cell(20, 5, label)
        pdf.set_text_color(0, 0, 0)
        pdf.set_font("Helvetica", "B" if label == "Customer" else "", 9)
        pdf.multi_cell(55, 5, _latin(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 9)
        y = pdf.get_y()
    pdf.set_xy(15, 24)
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(100, 6, _latin(company))
    pdf.set_y(max(y, 36) + 2)
    pdf.set_draw_color(28, 36, 48)
    pdf.set_line_width(0.5)
    pdf.line(15, pdf.get_y(), 195, pdf.get_y())
    pdf.ln(5)

    pdf.set_font("Helvetica", "B", 10.5)
    pdf.cell(0, 6, "Summary", new_x="LMARGIN", new_y="NEXT")
    rows = _summary(statement)
    for n, (label, figure) in enumerate(rows):
        last = n == len(rows) - 1
        pdf.set_font("Helvetica", "B" if last else "", 9.5)
        if last:
            pdf.line(15, pdf.get_y(), 115, pdf.get_y())
        pdf.cell(70, 5.5, _latin(label))
        pdf.cell(30, 5.5, _amount(figure), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    pdf.set_font("Helvetica", "B", 10.5)
    pdf.cell(0, 6, "Transactions", new_x="LMARGIN", new_y="NEXT")
    pdf.table_header = COLUMNS
    pdf._draw_table_header()
    pdf.set_line_width(0.1)
    pdf.set_draw_color(220, 224, 230)

    def row(cells: list[str]) -> None:
        pdf.set_font("Helvetica", "", 8.5)
        if pdf.will_page_break(5.5):
            pdf.add_page()
        for (label, width, align), text in zip(COLUMNS, cells, strict=True):
            fitted = _latin(text)
            if label == "Reference" and pdf.get_string_width(fitted) > width - 2:  # only free text is cut
                while fitted and pdf.get_string_width(fitted + "...") > width - 2:
                    fitted = fitted[:-1]
                fitted += "..."
            pdf.cell(width, 5.5, fitted, border="B", align=align)
        pdf.ln(5.5)

    def total_row(day: date, label: str, debit: str, credit: str, balance: Decimal) -> None:
        pdf.set_font("Helvetica", "B", 8.5)
        if pdf.will_page_break(5.5):
            pdf.add_page()
        pdf.set_fill_color(247, 248, 250)
        widths = [w for _l, w, _a in COLUMNS]
        pdf.cell(widths[0], 5.5, _day(day), border="B", fill=True)
        pdf.cell(sum(widths[1:5]), 5.5, label, border="B", fill=True)
        pdf.cell(widths[5], 5.5, debit, border="B", align="R", fill=True)
        pdf.cell(widths[6], 5.5, credit, border="B", align="R", fill=True)
        pdf.cell(widths[7], 5.5, _amount(balance), border="B", align="R", fill=True)
        pdf.ln(5.5)

    total_row(statement.start, "Opening balance", "", "", statement.opening_balance)
    for line in statement.lines:
        row([_day(line.day), line.kind, line.document, line.reference or "", _day(line.due_date), _cell(line.debit),
             _cell(line.credit), _amount(line.balance)])  # fmt: skip
    total_row(statement.end, "Closing balance (totals of the period)", _amount(statement.total_debits),
              _amount(statement.total_credits), statement.closing_balance)
    pdf.table_header = []
    pdf.ln(5)

    if pdf.will_page_break(40):
        pdf.add_page()
    pdf.set_font("Helvetica", "B", 10.5)
    pdf.cell(0, 6, f"Aging at {statement.end} (open amounts by days past due)", new_x="LMARGIN", new_y="NEXT")
    aging = [(AGING_LABELS[b], v) for b, v in statement.aging] + [("Total open", statement.open_total)]
    width = 180 / len(aging)
    pdf.set_font("Helvetica", "B", 8.5)
    pdf.set_fill_color(238, 241, 245)
    for heading, _amount_open in aging:
        pdf.cell(width, 6.5, _latin(heading), align="R", fill=True)
    pdf.ln(6.5)
    for n, (_heading, amount_open) in enumerate(aging):
        pdf.set_font("Helvetica", "B" if n == len(aging) - 1 else "", 9)
        pdf.cell(width, 6, _amount(amount_open), align="R", border="B")
    pdf.ln(9)
    if statement.unapplied:
        pdf.set_font("Helvetica", "", 9)
        note = (f"Payments received and not yet applied to an invoice: {_amount(statement.unapplied)} "
                f"{statement.currency} (already deducted from the balance).")  # fmt: skip
        pdf.multi_cell(0, 5, note, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, _latin(bottom_line(statement)), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def write_statement(statement: AccountStatement, company: str, folder: Path) -> tuple[Path, Path]:
    """Write `<customer>_<start>_<end>.html` and `.pdf` into `folder`; return both paths."""
    folder.mkdir(parents=True, exist_ok=True)
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in statement.customer.customer_id)
    stem = f"statement_{safe}_{statement.start}_{statement.end}"
    html_path, pdf_path = folder / f"{stem}.html", folder / f"{stem}.pdf"
    pdf_bytes = statement_pdf(statement, company)
    html_text = statement_html(statement, company)
    for path, data in ((pdf_path, pdf_bytes), (html_path, html_text.encode("utf-8"))):
        partial = path.with_suffix(path.suffix + ".part")
        partial.write_bytes(data)
        partial.replace(path)
    return html_path, pdf_path
