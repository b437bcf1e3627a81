"""Score outcomes against the generator's truth, per noise type (cash-application.md §2.3).

An outcome is (payment_id, decision, confidence, invoice set). Per tag (and overall):
- auto precision: auto-applied payments whose invoice set is exactly the truth ÷ auto-applied;
- straight-through: payments auto-applied with exactly the true invoice set ÷ payments (a payment
  without invoices — duplicate, unidentifiable — can never count, so overall STP is capped there);
- harmful: auto-applied payments touching an invoice they did not pay, or a duplicate/no-invoice
  payment applied ÷ payments;
- recall at ≥ 99% precision: ranking every proposal (auto or suggest) by confidence, the largest
  share of payments correctly matched above a threshold where precision stays ≥ 99%.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from generator import Truth


@dataclass(frozen=True)
class Outcome:
    payment_id: str
    decision: str
    confidence: float
    invoices: frozenset[str]


@dataclass
class Figures:
    payments: int = 0
    auto: int = 0
    auto_correct: int = 0
    harmful: int = 0
    suggested: int = 0
    recall_at_99: float = 0.0

    @property
    def precision(self) -> float | None:
        return self.auto_correct / self.auto if self.auto else None

    @property
    def stp(self) -> float:
        return self.auto_correct / self.payments if self.payments else 0.0

    @property
    def harmful_rate(self) -> float:
        return self.harmful / self.payments if self.payments else 0.0


def _recall_at(outcomes: list[tuple[Outcome, Truth]], precision: float = 0.99) -> float:
    ranked = sorted(((o.confidence, o.invoices == t.invoices and bool(t.invoices)) for o, t in outcomes if o.invoices),
                    key=lambda x: -x[0])  # fmt: skip
    best = correct = seen = 0
    i = 0
    while i < len(ranked):
        confidence = ranked[i][0]
        while i < len(ranked) and ranked[i][0] == confidence:  # a threshold takes all of one confidence
            seen += 1
            correct += ranked[i][1]
            i += 1
        if correct / seen >= precision:
            best = max(best, correct)
    return best / len(outcomes) if outcomes else 0.0


def score(outcomes: Iterable[Outcome], truth: Mapping[str, Truth]) -> dict[str, Figures]:
    by_tag: dict[str, list[tuple[Outcome, Truth]]] = defaultdict(list)
    for outcome in outcomes:
        t = truth[outcome.payment_id]
        by_tag["ALL"].append((outcome, t))
        for tag in t.tags:
            by_tag[tag].append((outcome, t))
    result: dict[str, Figures] = {}
    for tag, pairs in by_tag.items():
        figures = Figures(payments=len(pairs))
        for outcome, t in pairs:
            if outcome.decision == "auto" and outcome.invoices:
                figures.auto += 1
                if outcome.invoices == t.invoices:
                    figures.auto_correct += 1
                if not outcome.invoices <= t.invoices or not t.invoices:
                    figures.harmful += 1
            elif outcome.decision == "suggest":
                figures.suggested += 1
        figures.recall_at_99 = _recall_at(pairs)
        result[tag] = figures
    return result
