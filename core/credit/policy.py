"""The credit policy: risk classes, scorecard, limit rules, exposure, thresholds, cadence, approvals.

Why one frozen value: every decision (an application, a review, an order check) is made under one
policy and stored with its version (a hash of the policy file's content), so a decision can be
replayed exactly. The shell reads the YAML file (mappings/credit_policy.py); here are only the
values and the checks that need no file (risk classes that overlap or leave gaps).
Scores are on the scorecard's scale (Offset + Factor × ln(odds)); amounts are Decimal in the
currency of the customer or applicant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise

from creditbridge.core.credit.order_check import CreditPolicy
from creditbridge.core.review import HoldPolicy
from creditbridge.core.writeback import WritebackPolicy

CLASS_DECISIONS: tuple[str, ...] = ("approve", "review", "decline")
COMBINE_METHODS: tuple[str, ...] = ("average", "median", "minimum", "maximum")


@dataclass(frozen=True, slots=True)
class RiskClass:
    """Scores in [min_score, max_score) (None: unbounded); the cap, review cadence and stance of the class."""

    name: str
    min_score: Decimal | None
    max_score: Decimal | None
    pd_band: str
    max_limit: Decimal | None
    review_every_days: int
    decision: str = "approve"  # what an application in this class gets at best
    hold: bool = False  # a review puts customers of this class on hold

    def contains(self, score: Decimal) -> bool:
        return (self.min_score is None or score >= self.min_score) and (
            self.max_score is None or score < self.max_score
        )


@dataclass(frozen=True, slots=True)
class Bin:
    """Values below `below` (None: every value left) add `log_odds` to the applicant's ln(odds)."""

    below: Decimal | None
    log_odds: Decimal


@dataclass(frozen=True, slots=True)
class Characteristic:
    """One scorecard characteristic: numeric bins (ascending) or categories; `missing` when unknown."""

    name: str
    bins: tuple[Bin, ...] = ()
    categories: tuple[tuple[str, Decimal], ...] = ()
    missing: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class Scorecard:
    """Score = Offset + Factor × ln(odds), Factor = PDO / ln 2, Offset = target_score − Factor × ln(target_odds).

    ln(odds) = intercept + the contribution of each characteristic's bin.
    """

    target_score: Decimal = Decimal(600)
    target_odds: Decimal = Decimal(50)
    pdo: Decimal = Decimal(20)
    intercept: Decimal = Decimal("3.9")
    characteristics: tuple[Characteristic, ...] = ()

    @property
    def factor(self) -> Decimal:
        return self.pdo / Decimal(2).ln()

    @property
    def offset(self) -> Decimal:
        return self.target_score - self.factor * self.target_odds.ln()


@dataclass(frozen=True, slots=True)
class LimitRules:
    """The limit heuristics, how they combine, and rounding; review rules for existing customers."""

    tangible_net_worth_percent: Decimal = Decimal(10)
    working_capital_percent: Decimal = Decimal(10)
    months_of_sales: Decimal = Decimal(1)
    months_of_sales_percent: Decimal = Decimal(10)
    trade_reference_median: bool = True
    combine: str = "average"
    round_down_to: Decimal = Decimal(100)
    review_months_of_purchases: Decimal = Decimal(2)
    min_change_percent: Decimal = Decimal(10)


@dataclass(frozen=True, slots=True)
class ApprovalRules:
    """Which decisions need a second person: applications above an amount, increases, releases."""

    application_review_above: Decimal | None = None
    increase_approval_threshold: Decimal = Decimal(0)
    hold_release_needs_approval: bool = True
    auto_apply_decreases: bool = True
    auto_apply_new_holds: bool = True


@dataclass(frozen=True, slots=True)
class Policy:
    """The whole credit policy; `version` is the hash of the file it came from."""

    risk_classes: tuple[RiskClass, ...]
    scorecard: Scorecard
    limits: LimitRules = field(default_factory=LimitRules)
    order_check: CreditPolicy = field(default_factory=CreditPolicy)
    holds: HoldPolicy = field(default_factory=HoldPolicy)
    approvals: ApprovalRules = field(default_factory=ApprovalRules)
    payment_index_months: int = 24
    version: str = ""
    text: str = field(default="", repr=False, compare=False)  # the file it was read from, stored with decisions

    def risk_class(self, score: Decimal) -> RiskClass:
        """The class whose score range holds `score` (the classes cover every score: see `risk_class_problems`)."""
        for found in self.risk_classes:
            if found.contains(score):
                return found
        raise ValueError(f"no risk class for score {score}")  # prevented by risk_class_problems

    def class_named(self, name: str | None) -> RiskClass | None:
        return next((c for c in self.risk_classes if c.name == name), None)

    def writeback_policy(self) -> WritebackPolicy:
        a = self.approvals
        return WritebackPolicy(
            a.increase_approval_threshold, a.hold_release_needs_approval, a.auto_apply_decreases, a.auto_apply_new_holds
        )


def risk_class_problems(classes: tuple[RiskClass, ...]) -> list[tuple[int, str]]:
    """(index, message) for classes that overlap, leave a gap, repeat a name or fail to cover every score.

    Classes are read in score order: the lowest has no `min_score`, each next starts where the
    previous ends, the highest has no `max_score`.
    """
    if not classes:
        return [(0, "there must be at least one risk class")]
    problems: list[tuple[int, str]] = []
    names = [c.name for c in classes]
    for i, name in enumerate(names):
        if names.index(name) != i:
            problems.append((i, f"the risk class name {name!r} is used twice"))
    for i, c in enumerate(classes):
        if c.min_score is not None and c.max_score is not None and c.min_score >= c.max_score:
            problems.append((i, f"min_score {c.min_score} must be below max_score {c.max_score}"))
    order = sorted(range(len(classes)), key=lambda i: (classes[i].min_score is not None, classes[i].min_score or 0))
    first, last = classes[order[0]], classes[order[-1]]
    if first.min_score is not None:
        problems.append((order[0], f"scores below {first.min_score} have no risk class (leave min_score empty "
                                   "on the lowest class)"))  # fmt: skip
    for before, after in pairwise(order):
        a, b = classes[before], classes[after]
        if a.max_score is None or b.min_score is None:
            problems.append((after, f"risk classes {a.name!r} and {b.name!r} overlap"))
        elif a.max_score > b.min_score:
            problems.append((after, f"risk classes {a.name!r} and {b.name!r} overlap: "
                                    f"{a.name} ends at {a.max_score}, {b.name} starts at {b.min_score}"))  # fmt: skip
        elif a.max_score < b.min_score:
            problems.append((after, f"scores from {a.max_score} to {b.min_score} have no risk class "
                                    f"(between {a.name!r} and {b.name!r})"))  # fmt: skip
    if last.max_score is not None:
        problems.append((order[-1], f"scores from {last.max_score} up have no risk class (leave max_score empty "
                                    "on the highest class)"))  # fmt: skip
    return problems
