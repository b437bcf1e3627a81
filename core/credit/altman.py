"""Altman Z-scores with the published coefficients and zones (feature-anchors.md §5).

Z (1968, public manufacturers): 1.2 X1 + 1.4 X2 + 3.3 X3 + 0.6 X4 + 1.0 X5, X4 = market equity / TL;
safe > 2.99, grey 1.81–2.99, distress < 1.81.
Z′ (private manufacturers): 0.717 X1 + 0.847 X2 + 3.107 X3 + 0.420 X4 + 0.998 X5, X4 = book equity / TL;
safe > 2.9, grey 1.23–2.9, distress < 1.23.
Z″ (non-manufacturers): 6.56 X1 + 3.26 X2 + 6.72 X3 + 1.05 X4, X4 = book equity / TL;
safe > 2.6, grey 1.1–2.6, distress < 1.1.
X1 = working capital / TA, X2 = retained earnings / TA, X3 = EBIT / TA, X5 = sales / TA.
The grey zone includes both its edges. Exact Decimal arithmetic; figures shown to 4 places.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

APPLICANT_TYPES: tuple[str, ...] = ("public_manufacturer", "private_manufacturer", "non_manufacturer")


@dataclass(frozen=True, slots=True)
class AltmanModel:
    name: str
    coefficients: tuple[tuple[str, Decimal], ...]
    safe_above: Decimal
    distress_below: Decimal
    x4_equity: str  # "market_value_equity" or "book_equity"


_D = Decimal
MODELS: dict[str, AltmanModel] = {
    "public_manufacturer": AltmanModel(
        "Z", (("x1", _D("1.2")), ("x2", _D("1.4")), ("x3", _D("3.3")), ("x4", _D("0.6")), ("x5", _D("1.0"))),
        _D("2.99"), _D("1.81"), "market_value_equity",
    ),
    "private_manufacturer": AltmanModel(
        "Z'", (("x1", _D("0.717")), ("x2", _D("0.847")), ("x3", _D("3.107")), ("x4", _D("0.420")),
               ("x5", _D("0.998"))),
        _D("2.9"), _D("1.23"), "book_equity",
    ),
    "non_manufacturer": AltmanModel(
        "Z''", (("x1", _D("6.56")), ("x2", _D("3.26")), ("x3", _D("6.72")), ("x4", _D("1.05"))),
        _D("2.6"), _D("1.1"), "book_equity",
    ),
}  # fmt: skip

_PLACES = Decimal("0.0001")


class AltmanInputError(ValueError):
    """A ratio cannot be formed (a zero denominator); `field` names the financial at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class AltmanResult:
    model: str
    z: Decimal
    zone: str
    ratios: tuple[tuple[str, Decimal], ...]
    weighted: tuple[tuple[str, Decimal], ...]

    def as_dict(self) -> dict[str, object]:
        components: dict[str, object] = {}
        for (name, ratio), (_, part) in zip(self.ratios, self.weighted, strict=True):
            components[name] = {"ratio": _shown(ratio), "points": _shown(part)}
        return {"model": self.model, "z": _shown(self.z), "zone": self.zone, "components": components}


def altman(
    applicant_type: str,
    *,
    current_assets: Decimal,
    current_liabilities: Decimal,
    total_assets: Decimal,
    total_liabilities: Decimal,
    retained_earnings: Decimal,
    ebit: Decimal,
    sales: Decimal,
    book_equity: Decimal,
    market_value_equity: Decimal | None = None,
) -> AltmanResult:
    """The Altman model of `applicant_type` (Z, Z′ or Z″), its ratios, weighted parts, score and zone."""
    model = MODELS[applicant_type]
    if total_assets == 0:
        raise AltmanInputError("total_assets", "total_assets is zero: the Altman ratios divide by it")
    if total_liabilities == 0:
        raise AltmanInputError("total_liabilities", "total_liabilities is zero: X4 (equity / liabilities) divides")
    if model.x4_equity == "market_value_equity" and market_value_equity is None:
        raise AltmanInputError(
            "market_value_equity", "market_value_equity is required for a public manufacturer (Altman Z, X4)"
        )
    equity = market_value_equity if model.x4_equity == "market_value_equity" else book_equity
    assert equity is not None
    ratios = {
        "x1": (current_assets - current_liabilities) / total_assets,
        "x2": retained_earnings / total_assets,
        "x3": ebit / total_assets,
        "x4": equity / total_liabilities,
        "x5": sales / total_assets,
    }
    used = tuple((name, ratios[name]) for name, _ in model.coefficients)
    weighted = tuple((name, coefficient * ratios[name]) for name, coefficient in model.coefficients)
    z = sum((part for _, part in weighted), Decimal(0))
    return AltmanResult(model.name, z, zone(model, z), used, weighted)


def zone(model: AltmanModel, z: Decimal) -> str:
    """safe above the upper cut-off, distress below the lower one, grey between (edges included)."""
    if z > model.safe_above:
        return "safe"
    if z < model.distress_below:
        return "distress"
    return "grey"


def _shown(value: Decimal) -> Decimal:
    return value.quantize(_PLACES, ROUND_HALF_UP)
