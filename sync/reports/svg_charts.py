"""Inline SVG charts for the HTML report: aging stacked bars and the KPI trend lines.

Why hand-written SVG: the report must open on an offline machine as one file, so no chart
library from a CDN; SVG text stays sharp in print and is searchable. Geometry is computed in
Decimal (the figures are Decimal, and nothing here needs float), rounded to 0.1 of a unit.
Every text that comes from data is escaped; every mark carries a <title> as its tooltip.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from html import escape

from creditbridge.core.kpis.figures import AgingBucket, KpiFigures
from creditbridge.sync.reports.formats import bucket_label, money_text, percent_text

BUCKET_COLOURS: dict[str, str] = {
    "current": "#3f9c78",
    "1_30": "#9cc46b",
    "31_60": "#e6c25c",
    "61_90": "#eb9a4f",
    "91_120": "#dc6a45",
    "over_120": "#a93a44",
}
"""Green (not yet due) to deep red (over 120 days); readable in print and for most colour vision."""

_ZERO = Decimal(0)
_TENTH = Decimal("0.1")


def bucket_colour(name: str) -> str:
    return BUCKET_COLOURS.get(name, "#8a94a6")


def _n(value: Decimal | int) -> str:
    """An SVG coordinate: one decimal place, no trailing '.0'."""
    text = f"{Decimal(value).quantize(_TENTH, rounding=ROUND_HALF_EVEN):f}"
    return text[:-2] if text.endswith(".0") else text


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _segments(buckets: Sequence[AgingBucket], width: Decimal) -> list[tuple[AgingBucket, Decimal, Decimal]]:
    """(bucket, x, w) for the positive buckets laid end to end over `width`.

    A negative bucket (credit memos not yet applied) cannot be drawn as a stacked part; it is
    left out of the bar and still listed with its amount in the legend.
    """
    total = sum((b.amount for b in buckets if b.amount > 0), _ZERO)
    if total <= 0:
        return []
    x = _ZERO
    parts = []
    for bucket in buckets:
        if bucket.amount <= 0:
            continue
        w = width * bucket.amount / total
        parts.append((bucket, x, w))
        x += w
    return parts


def _bucket_tip(bucket: AgingBucket, currency: str, owner: str | None = None) -> str:
    head = f"{owner} · " if owner else ""
    share = f" ({percent_text(bucket.percent)})" if bucket.percent is not None else ""
    return escape(f"{head}{bucket_label(bucket.name)}: {money_text(bucket.amount, currency)}{share}")


def aging_bar(figures: KpiFigures, uid: str) -> str:
    """One stacked bar of the company's aging buckets, with percentage labels where they fit."""
    width, height = Decimal(1000), Decimal(36)
    parts = _segments(figures.aging, width)
    label = escape(f"Aging of {figures.currency} receivables")
    out = [
        f'<svg class="chart aging-bar" viewBox="0 0 {_n(width)} {_n(height)}" role="img" '
        f'aria-label="{label}" preserveAspectRatio="none">',
        f'<defs><clipPath id="{uid}"><rect width="{_n(width)}" height="{_n(height)}" rx="6"/></clipPath></defs>',
        f'<rect class="track" width="{_n(width)}" height="{_n(height)}" rx="6"/>',
    ]
    out.append(f'<g clip-path="url(#{uid})">')
    for bucket, x, w in parts:
        out.append(
            f'<rect class="seg" x="{_n(x)}" width="{_n(w)}" height="{_n(height)}" '
            f'fill="{bucket_colour(bucket.name)}"><title>{_bucket_tip(bucket, figures.currency)}</title></rect>'
        )
    out.append("</g>")
    if not parts:
        out.append(
            f'<text class="empty" x="{_n(width / 2)}" y="{_n(height / 2 + 5)}" text-anchor="middle">'
            "No open receivables</text>"
        )
    out.append("</svg>")
    return "".join(out)


def aging_bar_labels(figures: KpiFigures) -> str:
    """Percent labels placed under the bar segments (HTML, so text is not stretched by the bar)."""
    parts = _segments(figures.aging, Decimal(100))
    cells = []
    for bucket, x, w in parts:
        text = percent_text(bucket.percent, 0) if bucket.percent is not None else ""
        if w < Decimal(4):
            text = ""
        cells.append(f'<span style="left:{_n(x)}%;width:{_n(w)}%">{escape(text)}</span>')
    return f'<div class="bar-labels">{"".join(cells)}</div>'


def customer_aging_bars(rows: Sequence[KpiFigures], currency: str) -> str:
    """A stacked aging bar per customer, lengths to one scale (the largest AR fills the row)."""
    width = Decimal(1120)
    name_w, amount_w = Decimal(250), Decimal(150)
    bar_x = name_w
    bar_w = width - name_w - amount_w
    row_h, bar_h = Decimal(30), Decimal(16)
    top = Decimal(4)
    height = top * 2 + row_h * max(len(rows), 1)
    label = escape(f"Aging of the largest {currency} customer balances")
    out = [f'<svg class="chart customer-aging" viewBox="0 0 {_n(width)} {_n(height)}" role="img" aria-label="{label}">']
    if not rows:
        out.append(
            f'<text class="empty" x="{_n(width / 2)}" y="{_n(height / 2 + 5)}" text-anchor="middle">'
            "No customer has an open balance</text></svg>"
        )
        return "".join(out)
    largest = max(f.ar for f in rows)
    for index, figures in enumerate(rows):
        y = top + row_h * index
        mid = y + row_h / 2
        name = figures.customer_name or figures.customer_id or "?"
        out.append('<g class="row">')
        out.append(
            f'<text class="name" x="0" y="{_n(mid + 4)}">{escape(_shorten(name, 34))}'
            f"<title>{escape(name)}</title></text>"
        )
        length = bar_w * figures.ar / largest if largest > 0 else _ZERO
        out.append(
            f'<rect class="track" x="{_n(bar_x)}" y="{_n(mid - bar_h / 2)}" width="{_n(bar_w)}" '
            f'height="{_n(bar_h)}" rx="3"/>'
        )
        for bucket, x, w in _segments(figures.aging, length):
            out.append(
                f'<rect class="seg" x="{_n(bar_x + x)}" y="{_n(mid - bar_h / 2)}" width="{_n(w)}" '
                f'height="{_n(bar_h)}" fill="{bucket_colour(bucket.name)}">'
                f"<title>{_bucket_tip(bucket, currency, name)}</title></rect>"
            )
        out.append(
            f'<text class="amount" x="{_n(width)}" y="{_n(mid + 4)}" text-anchor="end">'
            f"{escape(money_text(figures.ar, currency))}</text>"
        )
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Series:
    """One line of a trend chart; a None value leaves a gap in the line."""

    name: str
    values: tuple[Decimal | None, ...]
    colour: str
    dash: str | None = None


def nice_step(span: Decimal, ticks: int = 4) -> Decimal:
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) covering `span` in about `ticks` steps."""
    if span <= 0:
        return Decimal(1)
    raw = span / ticks
    power = Decimal(1).scaleb(raw.adjusted())
    for factor in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        if factor * power >= raw:
            return factor * power
    return Decimal(10) * power


def axis_range(
    values: Sequence[Decimal], floor: Decimal | None = None, ceiling: Decimal | None = None
) -> tuple[Decimal, Decimal, Decimal]:
    """(low, high, step) of a y axis that includes zero, the values, and the given bounds."""
    low = min([_ZERO, *values, *([floor] if floor is not None else [])])
    high = max([_ZERO, *values, *([ceiling] if ceiling is not None else [])])
    if high == low:
        high = low + 1
    step = nice_step(high - low)
    low = (low / step).to_integral_value(rounding=ROUND_FLOOR) * step
    high = (high / step).to_integral_value(rounding=ROUND_CEILING) * step
    return low, high, step


def line_chart(
    labels: Sequence[str],
    tips: Sequence[str],
    series: Sequence[Series],
    value_text: Callable[[Decimal | None], str],
    axis_text: Callable[[Decimal], str],
    aria_label: str,
    ceiling: Decimal | None = None,
) -> str:
    """A small line chart: labelled x ticks (one per point), a zero-based y axis with round ticks."""
    width, height = Decimal(540), Decimal(230)
    left, right, top, bottom = Decimal(46), Decimal(14), Decimal(12), Decimal(30)
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series for v in s.values if v is not None]
    low, high, step = axis_range(values, ceiling=ceiling)
    count = len(labels)

    def x_at(i: int) -> Decimal:
        return left + (plot_w * i / (count - 1) if count > 1 else plot_w / 2)

    def y_at(v: Decimal) -> Decimal:
        return top + plot_h - plot_h * (v - low) / (high - low)

    out = [
        f'<svg class="chart line-chart" viewBox="0 0 {_n(width)} {_n(height)}" role="img" '
        f'aria-label="{escape(aria_label)}">'
    ]
    tick = low
    while tick <= high:
        y = y_at(tick)
        cls = "grid zero" if tick == 0 else "grid"
        out.append(f'<line class="{cls}" x1="{_n(left)}" x2="{_n(width - right)}" y1="{_n(y)}" y2="{_n(y)}"/>')
        out.append(
            f'<text class="tick y" x="{_n(left - 8)}" y="{_n(y + 4)}" text-anchor="end">'
            f"{escape(axis_text(tick))}</text>"
        )
        tick += step
    for i, label in enumerate(labels):
        out.append(
            f'<text class="tick x" x="{_n(x_at(i))}" y="{_n(height - 8)}" text-anchor="middle">{escape(label)}</text>'
        )
    if not values:
        out.append(
            f'<text class="empty" x="{_n(left + plot_w / 2)}" y="{_n(top + plot_h / 2)}" '
            'text-anchor="middle">Not defined for this period</text>'
        )
    for line in series:
        runs: list[list[tuple[Decimal, Decimal]]] = [[]]
        for i, value in enumerate(line.values):
            if value is None:
                runs.append([])
            else:
                runs[-1].append((x_at(i), y_at(value)))
        dash = f' stroke-dasharray="{line.dash}"' if line.dash else ""
        for run in runs:
            if len(run) > 1:
                path = " ".join(f"{'M' if j == 0 else 'L'}{_n(x)},{_n(y)}" for j, (x, y) in enumerate(run))
                out.append(f'<path class="line" d="{path}" stroke="{line.colour}"{dash}/>')
        for i, value in enumerate(line.values):
            if value is None:
                continue
            last = " last" if i == count - 1 else ""
            out.append(
                f'<circle class="dot{last}" cx="{_n(x_at(i))}" cy="{_n(y_at(value))}" r="{"4" if last else "2.6"}" '
                f'fill="{line.colour}"><title>{escape(f"{tips[i]} · {line.name}: {value_text(value)}")}'
                "</title></circle>"
            )
    out.append("</svg>")
    return "".join(out)
