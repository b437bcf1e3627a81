"""The AR report as one self-contained HTML file: inline CSS, inline SVG charts, no requests.

Why one file: credit staff mail it, archive it and open it on machines without internet access.
So nothing is fetched — no CDN, no web fonts, no images by URL — and a Content-Security-Policy
in the page forbids it outright. The only script sorts the customer tables; without it the page
reads the same. Every text from data (customer names, the title) is HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from html import escape
from importlib import resources
from pathlib import Path

from creditbridge.core.kpis.figures import KpiFigures
from creditbridge.sync.reports.ar_report import ArReport, is_month_end, over_90, past_due_percent
from creditbridge.sync.reports.formats import (
    MISSING,
    amount_text,
    bucket_label,
    compact_amount,
    date_text,
    days_text,
    money_text,
    month_tick,
    percent_text,
    signed_text,
    timestamp_text,
)
from creditbridge.sync.reports.staging import staged
from creditbridge.sync.reports.svg_charts import (
    Series,
    aging_bar,
    aging_bar_labels,
    bucket_colour,
    customer_aging_bars,
    line_chart,
)

MAX_CUSTOMER_ROWS = 1000
"""Customer-table rows on the page (largest AR first); the workbook always lists every customer."""

_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)

_SORT_SCRIPT = """
(function () {
  function key(cell, numeric) {
    if (!numeric) return cell.textContent.trim().toLowerCase();
    var v = cell.getAttribute('data-v');
    return v === null || v === '' ? null : parseFloat(v);
  }
  document.querySelectorAll('table.sortable').forEach(function (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      th.tabIndex = 0;
      function sort() {
        var numeric = th.getAttribute('data-type') === 'num';
        var current = th.getAttribute('aria-sort');
        var dir = current ? (current === 'ascending' ? -1 : 1) : (numeric ? -1 : 1);
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a.cells[col], numeric), y = key(b.cells[col], numeric);
          if (x === y) return 0;
          if (x === null) return 1;
          if (y === null) return -1;
          return (x < y ? -1 : 1) * dir;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener('click', sort);
      th.addEventListener('keydown', function (e) { if (e.key === 'Enter') sort(); });
    });
  });
})();
"""


def _stylesheet() -> str:
    return resources.files("creditbridge.sync.reports").joinpath("report.css").read_text(encoding="utf-8")


def _e(text: str) -> str:
    return escape(text, quote=True)


def _v(value: Decimal | None) -> str:
    """The sort key of a numeric cell ('' when not defined)."""
    return "" if value is None else f"{value:f}"


@dataclass(frozen=True, slots=True)
class _Column:
    """A table column: header, how to read a row, and whether it is a number."""

    head: str
    cell: Callable[[KpiFigures], tuple[str, Decimal | None]]
    numeric: bool = True


def _customer_cell(figures: KpiFigures) -> tuple[str, Decimal | None]:
    name = figures.customer_name or figures.customer_id or "?"
    ident = figures.customer_id or ""
    sub = f'<span class="id">{_e(ident)}</span>' if ident and ident != name else ""
    return f'<span class="cust">{_e(name)}</span>{sub}', None


def _columns(currency: str, full: bool) -> list[_Column]:
    def money(read: Callable[[KpiFigures], Decimal | None]) -> Callable[[KpiFigures], tuple[str, Decimal | None]]:
        return lambda f: (_e(amount_text(read(f), currency)), read(f))

    def days(read: Callable[[KpiFigures], Decimal | None]) -> Callable[[KpiFigures], tuple[str, Decimal | None]]:
        return lambda f: (_e(days_text(read(f))), read(f))

    def pct(read: Callable[[KpiFigures], Decimal | None]) -> Callable[[KpiFigures], tuple[str, Decimal | None]]:
        return lambda f: (_e(percent_text(read(f))), read(f))

    cols = [
        _Column("Customer", _customer_cell, numeric=False),
        _Column(f"AR ({currency})", money(lambda f: f.ar)),
    ]
    if full:
        cols.append(_Column(f"Current ({currency})", money(lambda f: f.current_ar)))
    cols += [
        _Column(f"Past due ({currency})", money(lambda f: f.past_due)),
        _Column("% past due", pct(past_due_percent)),
        _Column(f"Over 90 ({currency})", money(over_90)),
    ]
    if full:
        cols.append(_Column(f"Credit sales ({currency})", money(lambda f: f.credit_sales)))
    cols.append(_Column("DSO", days(lambda f: f.dso)))
    if full:
        cols += [
            _Column("Countback DSO", days(lambda f: f.countback_dso)),
            _Column("ADD", days(lambda f: f.add)),
        ]
    cols.append(_Column("CEI", pct(lambda f: f.cei)))
    return cols


def _table(
    rows: Sequence[KpiFigures], columns: Sequence[_Column], css: str, ranked: bool = False, scroll: bool = False
) -> str:
    head = "".join(
        f'<th data-type="{"num" if c.numeric else "text"}" class="{"num" if c.numeric else ""}">{_e(c.head)}</th>'
        for c in columns
    )
    if ranked:
        head = '<th data-type="num" class="num rank">#</th>' + head
    body = []
    for index, figures in enumerate(rows, start=1):
        cells = []
        if ranked:
            cells.append(f'<td class="num rank" data-v="{index}">{index}</td>')
        for column in columns:
            text, value = column.cell(figures)
            if column.numeric:
                neg = " neg" if value is not None and value < 0 else ""
                muted = " muted" if text == MISSING else ""
                cells.append(f'<td class="num{neg}{muted}" data-v="{_v(value)}">{text}</td>')
            else:
                cells.append(f'<td class="text">{text}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<div class="table-wrap{" scroll" if scroll else ""}"><table class="{css}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


# --- tiles -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tile:
    label: str
    value: str
    unit: str
    note: str
    delta: str = ""


def _delta(now: Decimal | None, before: Decimal | None, when: date | None, higher_is_better: bool | None) -> str:
    if now is None or before is None or when is None:
        return ""
    change = now - before
    text = signed_text(change)
    if text.strip("0.") == "" or higher_is_better is None:
        tone = "flat"
    else:
        tone = "better" if (change > 0) == higher_is_better else "worse"
    return f'<span class="delta {tone}">{_e(text)}</span> <span class="since">vs {_e(date_text(when))}</span>'


def _amount_delta(now: Decimal, before: Decimal | None, when: date | None) -> str:
    if before is None or when is None:
        return ""
    change = now - before
    sign = "+" if change > 0 else ("\u2212" if change < 0 else "")
    text = f"{sign}{compact_amount(abs(change))}"
    return f'<span class="delta flat">{_e(text)}</span> <span class="since">vs {_e(date_text(when))}</span>'


def _tiles(report: ArReport, figures: KpiFigures) -> str:
    currency = figures.currency
    previous = report.previous_point(currency)
    when, before = (previous[0], previous[1]) if previous else (None, None)

    def prior(read: Callable[[KpiFigures], Decimal | None]) -> Decimal | None:
        return read(before) if before is not None else None

    def days(label: str, key: str, note: str, higher_is_better: bool | None) -> _Tile:
        value: Decimal | None = getattr(figures, key)
        delta = _delta(value, prior(lambda f: getattr(f, key)), when, higher_is_better)
        return _Tile(label, days_text(value), "days" if value is not None else "", note, delta)

    pdp = past_due_percent(figures)
    tiles = [
        _Tile(
            "Accounts receivable",
            amount_text(figures.ar, currency),
            currency,
            f"Current {compact_amount(figures.current_ar)} · past due {compact_amount(figures.past_due)}",
            _amount_delta(figures.ar, prior(lambda f: f.ar), when),
        ),
        days("DSO", "dso", f"AR ÷ credit sales × {report.period_days} days", False),
        days("Countback DSO", "countback_dso", "Days of latest sales that make up AR", False),
        days("Best possible DSO", "best_possible_dso", "Current AR only", None),
        days("Average days delinquent", "add", "DSO − best possible DSO", False),
        _Tile(
            "Collection effectiveness",
            percent_text(figures.cei),
            "",
            "CEI over the period",
            _delta(figures.cei, prior(lambda f: f.cei), when, True),
        ),
        _Tile(
            "Bad-debt ratio",
            percent_text(figures.bad_debt_ratio),
            "",
            f"Write-offs {money_text(figures.writeoffs, currency)}",
            _delta(figures.bad_debt_ratio, prior(lambda f: f.bad_debt_ratio), when, False),
        ),
        _Tile(
            "Past due",
            percent_text(pdp),
            "",
            f"Over 90 days {money_text(over_90(figures), currency)}",
            _delta(pdp, prior(past_due_percent), when, False),
        ),
    ]
    out = []
    for tile in tiles:
        unit = f'<span class="unit">{_e(tile.unit)}</span>' if tile.unit else ""
        delta = f'<div class="change">{tile.delta}</div>' if tile.delta else '<div class="change">&nbsp;</div>'
        muted = " muted" if tile.value == MISSING else ""
        out.append(
            f'<div class="tile"><div class="label">{_e(tile.label)}</div>'
            f'<div class="value{muted}">{_e(tile.value)}{unit}</div>{delta}'
            f'<div class="note">{_e(tile.note)}</div></div>'
        )
    return f'<div class="tiles">{"".join(out)}</div>'


# --- charts ------------------------------------------------------------------------------------


def _legend(figures: KpiFigures) -> str:
    items = []
    for bucket in figures.aging:
        pct = percent_text(bucket.percent) if bucket.percent is not None else ""
        items.append(
            f'<li><i class="swatch" style="background:{bucket_colour(bucket.name)}"></i>'
            f'<span class="lbl">{_e(bucket_label(bucket.name))}</span>'
            f'<span class="amt">{_e(money_text(bucket.amount, figures.currency))}</span>'
            f'<span class="pct">{_e(pct)}</span></li>'
        )
    return f'<ul class="legend aging-legend">{"".join(items)}</ul>'


def _key(figures: KpiFigures) -> str:
    items = "".join(
        f'<li><i class="swatch" style="background:{bucket_colour(b.name)}"></i>{_e(bucket_label(b.name))}</li>'
        for b in figures.aging
    )
    return f'<ul class="legend key">{items}</ul>'


def _series_key(series: Sequence[Series]) -> str:
    items = []
    for line in series:
        dash = f' stroke-dasharray="{line.dash}"' if line.dash else ""
        items.append(
            f'<li><svg class="line-key" viewBox="0 0 22 8" aria-hidden="true"><line x1="1" x2="21" y1="4" y2="4" '
            f'stroke="{line.colour}" stroke-width="2.2"{dash}/></svg>{_e(line.name)}</li>'
        )
    return f'<ul class="legend key">{"".join(items)}</ul>'


def trend_card(report: ArReport, currency: str) -> str:
    """The trend card (DSO and CEI lines over the report's month-ends) of `currency`; the web dashboard shows it too."""
    points = report.trend
    figures = [p.for_currency(currency) for p in points]
    labels = [month_tick(p.as_of, is_month_end(p.as_of)) for p in points]
    tips = [date_text(p.as_of) for p in points]

    def col(read: Callable[[KpiFigures], Decimal | None]) -> tuple[Decimal | None, ...]:
        return tuple(read(f) if f is not None else None for f in figures)

    dso = [
        Series("DSO", col(lambda f: f.dso), "#5b5bd6"),
        Series("Countback DSO", col(lambda f: f.countback_dso), "#0f9f9a", "6 4"),
        Series("Best possible DSO", col(lambda f: f.best_possible_dso), "#94a0b4", "2 3"),
    ]
    cei = [
        Series("CEI", col(lambda f: f.cei), "#5b5bd6"),
        Series("Past due %", col(past_due_percent), "#e0823d", "6 4"),
    ]
    first, last = points[0].as_of, points[-1].as_of
    span = f"{date_text(first)} – {date_text(last)}"

    def days_value(v: Decimal | None) -> str:
        return f"{days_text(v)} days" if v is not None else MISSING

    def days_axis(v: Decimal) -> str:
        text: str = days_text(v, 0)
        return text

    def pct_axis(v: Decimal) -> str:
        text: str = percent_text(v, 0)
        return text

    dso_chart = line_chart(labels, tips, dso, days_value, days_axis, f"DSO trend in {currency}, {span}")
    cei_chart = line_chart(
        labels,
        tips,
        cei,
        percent_text,
        pct_axis,
        f"CEI and past-due trend in {currency}, {span}",
        ceiling=Decimal(100),
    )
    return (
        '<div class="card"><div class="card-head"><h3>Trend</h3>'
        f'<span class="hint">Month-ends {_e(span)} · each point over the {report.period_days} days before it'
        "</span></div>"
        '<div class="two">'
        f"<figure><figcaption><span>Days sales outstanding</span>{_series_key(dso)}</figcaption>{dso_chart}</figure>"
        f"<figure><figcaption><span>Collection effectiveness &amp; past due</span>{_series_key(cei)}</figcaption>"
        f"{cei_chart}</figure>"
        "</div></div>"
    )


def _active(figures: KpiFigures) -> bool:
    return any(v != 0 for v in (figures.ar, figures.ar_start, figures.credit_sales, figures.writeoffs))


def _currency_section(report: ArReport, currency: str, index: int, several: bool) -> str:
    figures = report.company(currency)
    as_of = date_text(report.as_of)
    top_ar = report.top_by_ar(currency)
    overdue = report.top_overdue(currency)
    customers = [f for f in report.customers(currency) if _active(f)]
    shown = customers[:MAX_CUSTOMER_ROWS]
    hidden_idle = len(report.customers(currency)) - len(customers)

    parts = [f'<section class="currency" id="cur-{_e(currency)}">']
    if several:
        count = sum(1 for f in report.customers(currency) if f.ar != 0)
        summary = f"AR {money_text(figures.ar, currency)} · {count:,} customers with a balance"
        parts.append(f'<h2 class="section-title">{_e(currency)} <span>{_e(summary)}</span></h2>')
    parts.append(_tiles(report, figures))
    parts.append(
        '<div class="card"><div class="card-head"><h3>Aging</h3>'
        f'<span class="hint">Open AR by days past due at {_e(as_of)} · '
        f"total {_e(money_text(figures.ar, currency))}</span></div>"
        f"{aging_bar(figures, f'clip-{index}')}{aging_bar_labels(figures)}{_legend(figures)}</div>"
    )
    parts.append(
        '<div class="card"><div class="card-head"><h3>Largest balances by aging</h3>'
        f'<span class="hint">Top {len(top_ar)} customers by AR</span>{_key(figures)}</div>'
        f"{customer_aging_bars(top_ar, currency)}</div>"
    )
    parts.append(trend_card(report, currency))
    overdue_table = (
        _table(overdue, _columns(currency, full=False), "data overdue", ranked=True)
        if overdue
        else '<p class="empty-note">No customer has a past-due balance.</p>'
    )
    parts.append(
        '<div class="card breakable"><div class="card-head"><h3>Top overdue customers</h3>'
        '<span class="hint">By past-due amount</span></div>'
        f"{overdue_table}</div>"
    )
    notes = []
    if len(customers) > len(shown):
        notes.append(f"Showing the {len(shown):,} largest of {len(customers):,} customers; the XLSX lists all.")
    if hidden_idle:
        notes.append(f"{hidden_idle:,} customers without balance or activity in the period are not listed.")
    note = f'<p class="table-note">{_e(" ".join(notes))}</p>' if notes else ""
    parts.append(
        '<div class="card breakable"><div class="card-head"><h3>Customers</h3>'
        f'<span class="hint">{len(shown):,} customers · click a column to sort</span></div>'
        f"{_table(shown, _columns(currency, full=True), 'data sortable customers', scroll=True)}{note}</div>"
    )
    parts.append("</section>")
    return "".join(parts)


_DEFINITIONS: tuple[tuple[str, str], ...] = (
    ("DSO", "AR at the as-of date ÷ credit sales of the period × days in the period."),
    ("Countback DSO", "How many days of the most recent credit sales add up to today's AR."),
    ("Best possible DSO", "Current (not yet due) AR ÷ credit sales × days: DSO if every customer paid on time."),
    ("ADD", "Average days delinquent: DSO − best possible DSO."),
    (
        "CEI",
        "Collection effectiveness: (AR at start + sales − AR at end) ÷ (AR at start + sales − current AR "
        "at end); 100% means everything collectible was collected.",
    ),
    ("Bad-debt ratio", "Write-offs in the period ÷ credit sales of the period."),
    ("Past due", "AR past its due date at the as-of date, as a share of AR."),
)


def render_html(report: ArReport) -> str:
    """The whole report page as a string (UTF-8, no external references)."""
    currencies = report.currencies
    several = len(currencies) > 1
    company = report.company_name
    meta = [
        ("As of", date_text(report.as_of)),
        ("Period", f"{report.period_days} days · {date_text(report.kpis.start)} – {date_text(report.as_of)}"),
        ("Currencies", ", ".join(currencies) if currencies else MISSING),
        ("Generated", timestamp_text(report.generated_at)),
    ]
    meta_html = "".join(f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in meta)
    nav = ""
    if several:
        links = "".join(f'<a href="#cur-{_e(c)}">{_e(c)}</a>' for c in currencies)
        nav = f'<nav class="currencies">{links}</nav>'
    eyebrow = _e(company) if company else "creditbridge"
    sections = (
        "".join(_currency_section(report, c, i, several) for i, c in enumerate(currencies))
        if currencies
        else '<div class="card"><p class="empty-note">The ledger has no receivables at this date.</p></div>'
    )
    definitions = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in _DEFINITIONS)
    page_title = (
        f"{report.title} · {company} · {date_text(report.as_of)}"
        if company
        else (f"{report.title} · {date_text(report.as_of)}")
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light">'
        '<meta name="generator" content="creditbridge">'
        f"<title>{_e(page_title)}</title>"
        f"<style>{_stylesheet()}</style></head><body>"
        '<div class="page">'
        f'<header class="page-head"><div class="eyebrow">{eyebrow}</div>'
        f'<h1>{_e(report.title)}</h1><dl class="meta">{meta_html}</dl>{nav}</header>'
        f"<main>{sections}{_collections_section(report)}</main>"
        '<footer><h3>Definitions</h3><dl class="definitions">'
        f"{definitions}</dl>"
        '<p class="generated">Figures are rounded to 2 places at the edge; "—" marks a figure that is not '
        "defined (for example, no credit sales in the period). Generated by creditbridge.</p>"
        "</footer></div>"
        f"<script>{_SORT_SCRIPT}</script>"
        "</body></html>\n"
    )


def _collections_section(report: ArReport) -> str:
    """Promise kept rate, dispute ageing, dunning effectiveness and CEI/ADD by segment (when known)."""
    kpis = report.collections
    if kpis is None:
        return ""
    open_disputes = sum(kpis.dispute_ageing.values())
    tiles = [
        (
            "Promise kept rate",
            percent_text(kpis.promise_kept_rate),
            f"{kpis.promises_kept} kept · {kpis.promises_broken} broken in the period",
        ),
        ("Open promises", f"{kpis.promises_open:,}", "Promise date not passed yet"),
        ("Open disputes", f"{open_disputes:,}", f"Over 90 days: {kpis.dispute_ageing.get('over_90', 0):,}"),
    ]
    tile_html = "".join(
        f'<div class="tile"><div class="label">{_e(label)}</div>'
        f'<div class="value{" muted" if value == MISSING else ""}">{_e(value)}</div>'
        f'<div class="change">&nbsp;</div><div class="note">{_e(note)}</div></div>'
        for label, value, note in tiles
    )

    def table(heads: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int) -> str:
        head = "".join(f'<th class="{"num" if i >= numeric_from else ""}">{_e(h)}</th>' for i, h in enumerate(heads))
        body = "".join(
            "<tr>"
            + "".join(
                f'<td class="{"num" if i >= numeric_from else "text"}{" muted" if c == MISSING else ""}">{_e(c)}</td>'
                for i, c in enumerate(row)
            )
            + "</tr>"
            for row in rows
        )
        if not rows:
            return '<p class="empty-note">Nothing to show yet.</p>'
        return (
            f'<div class="table-wrap"><table class="data"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>"
        )

    effectiveness = table(
        ("Level", "Items dunned", f"Paid within {kpis.effectiveness_days} days", "Share"),
        [(str(e.level), f"{e.dunned:,}", f"{e.paid_within:,}", percent_text(e.percent)) for e in kpis.effectiveness],
        1,
    )
    ageing = table(
        ("Days open", "Disputes"),
        [
            (name.replace("over_", "over ").replace("_", "–"), f"{count:,}")
            for name, count in kpis.dispute_ageing.items()
        ],
        1,
    )
    segments = table(
        ("Segment (risk class)", "Currency", "Customers", "AR", "Past due", "CEI", "ADD"),
        [
            (
                s.segment,
                s.currency,
                f"{s.customers:,}",
                money_text(s.ar, s.currency),
                money_text(s.past_due, s.currency),
                percent_text(s.cei),
                days_text(s.add),
            )
            for s in kpis.segments
        ],
        2,
    )
    return (
        '<section class="collections" id="collections"><h2 class="section-title">Collections '
        f"<span>{kpis.period_days}-day period</span></h2>"
        f'<div class="tiles">{tile_html}</div>'
        '<div class="card"><div class="card-head"><h3>Dunning effectiveness</h3>'
        f'<span class="hint">Items dunned in the period, settled within {kpis.effectiveness_days} days of the reminder'
        f"</span></div>{effectiveness}</div>"
        '<div class="card"><div class="card-head"><h3>Dispute ageing</h3>'
        f'<span class="hint">Open disputes by days since opened</span></div>{ageing}</div>'
        '<div class="card"><div class="card-head"><h3>CEI and ADD by segment</h3>'
        f'<span class="hint">Company formulas on each risk class\'s customers</span></div>{segments}</div>'
        "</section>"
    )


def write_html(report: ArReport, path: Path) -> None:
    """Write the report page to `path` (atomically: a reader never sees half a file)."""
    text = render_html(report)
    with staged(Path(path)) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")
