"""Small inline SVG trend lines for the dashboard's KPI tiles, drawn on the server (no script, no library).

A sparkline shows the shape of a KPI over the report's trend points (the last twelve month-ends up
to the as-of date); the exact figures are in its title (the tooltip) and in the AR report. A point
without a figure (no AR that month) breaks the line rather than drawing it as zero.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from html import escape

WIDTH, HEIGHT, PAD = 132, 34, 3


def sparkline(values: Sequence[Decimal | None], days: Sequence[date], label: str,
              shown: Callable[[Decimal], str]) -> str:  # fmt: skip
    """An SVG of `values` (one per day of `days`), titled with `label` and each point's figure as `shown`."""
    known = [v for v in values if v is not None]
    tip = "; ".join(f"{d.isoformat()} {shown(v) if v is not None else '—'}" for d, v in zip(days, values, strict=True))
    title = f"<title>{escape(label)}: {escape(tip)}</title>"
    if not known:
        empty = f"{escape(label)}: no trend"
        return f'<svg class="spark" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{empty}">{title}</svg>'
    low, high = min(known), max(known)
    span = high - low or Decimal(1)
    step = Decimal(WIDTH - 2 * PAD) / max(1, len(values) - 1)

    def point(i: int, v: Decimal) -> tuple[str, str]:
        x = Decimal(PAD) + step * i
        y = Decimal(HEIGHT - PAD) - (v - low) / span * (HEIGHT - 2 * PAD)
        return f"{x:.1f}", f"{y:.1f}"

    runs: list[list[tuple[str, str]]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            runs.append([])
        else:
            runs[-1].append(point(i, v))
    lines = "".join(f'<polyline points="{" ".join(f"{x},{y}" for x, y in run)}"/>' for run in runs if len(run) > 1)
    dots = "".join(f'<circle cx="{x}" cy="{y}" r="1.6"/>' for run in runs if len(run) == 1 for x, y in run)
    last_x, last_y = point(len(values) - 1, values[-1]) if values[-1] is not None else ("", "")
    end = f'<circle class="end" cx="{last_x}" cy="{last_y}" r="2.1"/>' if last_x else ""
    aria = f"{label}: from {shown(known[0])} to {shown(known[-1])}"
    return (f'<svg class="spark" viewBox="0 0 {WIDTH} {HEIGHT}"role="img" '
            f'aria-label="{escape(aria)}">{title}{lines}{dots}{end}</svg>')  # fmt: skip
