"""The dunning policy as data: levels by days past due, channels, minimum amount, grace, weights.

Why data and not code: finance changes the schedule (a stricter one for risk class C, a call at
40 days instead of 50) without a release. The YAML file that holds it is read at the edge
(`creditbridge.sync.collections.policy_file`); core sees only these frozen values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class Channel(StrEnum):
    """How a level reaches the customer. `escalation` is the placement with an agency or lawyer."""

    EMAIL = "email"
    LETTER = "letter"
    CALL = "call"
    ESCALATION = "escalation"


@dataclass(frozen=True, slots=True)
class DunningLevel:
    """Level `level` applies to an item from `days_past_due` days past due (after grace days)."""

    level: int
    name: str
    days_past_due: int
    channels: tuple[Channel, ...]
    template: str

    @property
    def channel(self) -> str:
        """The channels as one word ('email', 'email+letter'): the plan's `channel` value."""
        return "+".join(c.value for c in self.channels)


@dataclass(frozen=True, slots=True)
class Escalation:
    """After the last level: from `days_past_due`, the account goes to `action` (agency or legal)."""

    days_past_due: int
    action: str = "agency"


@dataclass(frozen=True, slots=True)
class DunningSchedule:
    """The levels (ascending by days) and the escalation of one segment (risk class) or the default."""

    levels: tuple[DunningLevel, ...]
    escalation: Escalation | None = None

    @property
    def escalation_level(self) -> int:
        """The level number escalation gets in a plan: one above the last reminder level."""
        return (self.levels[-1].level if self.levels else 0) + 1

    def level_for(self, days_past_due: int) -> int:
        """The level an item reaches at `days_past_due` (0: not due for dunning yet)."""
        if self.escalation is not None and days_past_due >= self.escalation.days_past_due:
            return self.escalation_level
        reached = 0
        for level in self.levels:
            if days_past_due >= level.days_past_due:
                reached = level.level
        return reached

    def channel_of(self, level: int) -> str:
        if level == self.escalation_level and self.escalation is not None:
            return Channel.ESCALATION.value
        for candidate in self.levels:
            if candidate.level == level:
                return candidate.channel
        raise KeyError(level)

    def level(self, number: int) -> DunningLevel | None:
        for candidate in self.levels:
            if candidate.level == number:
                return candidate
        return None


@dataclass(frozen=True, slots=True)
class WorklistWeights:
    """Priority = amount^amount × days^days × risk^risk (an exponent 0 leaves a factor out).

    `risk_factors` maps a risk class to its factor; classes not listed get `default_risk`.
    """

    amount: Decimal = Decimal(1)
    days: Decimal = Decimal(1)
    risk: Decimal = Decimal(1)
    risk_factors: Mapping[str, Decimal] = field(
        default_factory=lambda: {"A": Decimal(1), "B": Decimal("1.5"), "C": Decimal(2), "D": Decimal(3)}
    )
    default_risk: Decimal = Decimal(1)

    def risk_factor(self, risk_class: str | None) -> Decimal:
        if risk_class is None:
            return self.default_risk
        return self.risk_factors.get(risk_class, self.default_risk)


@dataclass(frozen=True, slots=True)
class DunningPolicy:
    """The whole policy: a default schedule, schedules per risk class, and the shared rules.

    - `minimum_amount`: no message when a customer's dunnable total (per currency) is below it;
    - `grace_days`: subtracted from every item's days past due before levels are looked up;
    - `promise_tolerance_days`: a payment this many days after the promise date still keeps it;
    - `promise_window_days`: with no date the promise was made, payments this many days before the
      promise date count towards it;
    - `write_off_below`: a dispute over at most this amount is proposed for write-off.
    """

    schedule: DunningSchedule
    segments: Mapping[str, DunningSchedule] = field(default_factory=dict)
    minimum_amount: Decimal = Decimal("10.00")
    grace_days: int = 0
    promise_tolerance_days: int = 0
    promise_window_days: int = 30
    write_off_below: Decimal = Decimal("25.00")
    weights: WorklistWeights = field(default_factory=WorklistWeights)

    def schedule_for(self, risk_class: str | None) -> DunningSchedule:
        if risk_class is not None and risk_class in self.segments:
            return self.segments[risk_class]
        return self.schedule


def default_policy() -> DunningPolicy:
    """The documented default (README, `collections policy --init`): 7/21/35/50 days, escalation at 75."""
    return DunningPolicy(
        schedule=DunningSchedule(
            levels=(
                DunningLevel(1, "reminder", 7, (Channel.EMAIL,), "reminder"),
                DunningLevel(2, "second reminder", 21, (Channel.EMAIL,), "second_reminder"),
                DunningLevel(3, "final notice", 35, (Channel.EMAIL, Channel.LETTER), "final_notice"),
                DunningLevel(4, "call", 50, (Channel.CALL,), "call"),
            ),
            escalation=Escalation(75, "agency"),
        )
    )
