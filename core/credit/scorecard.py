"""The points scorecard: each characteristic's bin adds to ln(odds); Score = Offset + Factor × ln(odds).

Factor = PDO / ln 2 and Offset = target_score − Factor × ln(target_odds) (feature-anchors.md §5:
600 points at 50:1 with PDO 20 gives Score = 487.12 + 28.85 ln(odds)). The score is shown as its
parts: the base points (Offset + Factor × intercept) and the points of every characteristic, with
the value it looked at, so a credit manager sees which figure cost how many points.
PD = 1 / (1 + odds).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from creditbridge.core.credit.policy import Characteristic, Scorecard

_CENT = Decimal("0.01")

Value = Decimal | str | None


@dataclass(frozen=True, slots=True)
class ScorePart:
    characteristic: str
    value: Value
    log_odds: Decimal
    points: Decimal


@dataclass(frozen=True, slots=True)
class ScoreResult:
    score: Decimal
    log_odds: Decimal
    pd: Decimal
    base_points: Decimal
    parts: tuple[ScorePart, ...]

    def components(self) -> dict[str, object]:
        """Base points and each characteristic's value and points; unknown figures that score nothing are left out."""
        shown: dict[str, object] = {"base": {"points": _round(self.base_points)}}
        for part in self.parts:
            if part.value is None and part.log_odds == 0:
                continue
            shown[part.characteristic] = {
                "value": _value(part.value),
                "log_odds": part.log_odds,
                "points": _round(part.points),
            }
        return shown


def score(card: Scorecard, values: Mapping[str, Value]) -> ScoreResult:
    """Score `values` (characteristic name → figure, category or None when unknown) on `card`."""
    factor = card.factor
    parts = []
    log_odds = card.intercept
    for characteristic in card.characteristics:
        contribution = contribution_of(characteristic, values.get(characteristic.name))
        log_odds += contribution
        value = values.get(characteristic.name)
        parts.append(ScorePart(characteristic.name, value, contribution, factor * contribution))
    base = card.offset + factor * card.intercept
    total = base + sum((p.points for p in parts), Decimal(0))
    odds = log_odds.exp()
    pd = Decimal(1) / (Decimal(1) + odds)
    return ScoreResult(_round(total), log_odds, pd, base, tuple(parts))


def contribution_of(characteristic: Characteristic, value: Value) -> Decimal:
    """The ln(odds) the value adds: its category's, the first bin it is below, or `missing`."""
    if value is None:
        return characteristic.missing
    if isinstance(value, str):
        return dict(characteristic.categories).get(value, characteristic.missing)
    for found in characteristic.bins:
        if found.below is None or value < found.below:
            return found.log_odds
    return characteristic.missing


def _round(value: Decimal) -> Decimal:
    return value.quantize(_CENT, ROUND_HALF_UP)


def _value(value: Value) -> object:
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.0001"), ROUND_HALF_UP).normalize() if value != value.to_integral() else value
    return value
