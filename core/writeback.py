"""Which credit-profile changes to write back to an ERP, and which of them need a second person.

Why a pure diff: the shell must be able to show a plan (`plan`, `push --dry-run`) that is exactly
what a real push then sends, and the approval rules (four eyes, DESIGN.md "Write-back rules") must
be one function that a test can read. `plan_profile_changes` compares the values we want with the
ERP's current credit profile and says, per customer, what changes, of what kind, and whether the
policy lets it go out on its own:

- limit increases by more than `increase_approval_threshold` need approval (a threshold of 0:
  every increase does); removing a limit altogether is an unbounded increase and always does;
- hold releases need approval when `hold_release_needs_approval`;
- decreases and new holds reduce risk: they go out on their own when the policy says so
  (`auto_apply_decreases`, `auto_apply_new_holds`), else they need approval too;
- a change of the limit's currency cannot be compared with the old limit and always needs approval.

Nothing here raises for a business outcome: a customer the ERP does not know comes back as a
change of kind UNKNOWN_CUSTOMER that cannot be written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from creditbridge.core.model import CreditProfile, Reason
from creditbridge.core.money import minor_digits
from creditbridge.core.ports import ProfileValues


@dataclass(frozen=True, slots=True)
class WritebackPolicy:
    """The approval rules of write-back (config `policy`); amounts in the limit's own currency."""

    increase_approval_threshold: Decimal = Decimal(0)
    hold_release_needs_approval: bool = True
    auto_apply_decreases: bool = True
    auto_apply_new_holds: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.increase_approval_threshold, float):
            raise TypeError("increase_approval_threshold must be a Decimal, not a float")
        if self.increase_approval_threshold < 0:
            raise ValueError("increase_approval_threshold cannot be negative")


class ChangeKind(StrEnum):
    LIMIT_INCREASE = "limit_increase"
    LIMIT_DECREASE = "limit_decrease"
    LIMIT_REMOVED = "limit_removed"  # a limit becomes "no limit": an unbounded increase
    LIMIT_SET = "limit_set"  # "no limit" becomes a limit: a decrease of what the customer may owe
    LIMIT_CURRENCY = "limit_currency"  # the limit moves to another currency
    HOLD = "hold"
    RELEASE = "release"
    UNKNOWN_CUSTOMER = "unknown_customer"  # the ERP has no credit profile: nothing can be written


@dataclass(frozen=True, slots=True)
class ProfileChange:
    """One customer's change: the ERP's values (and version) now, the values wanted, and why.

    `kinds` lists every part of the change (a limit decrease and a hold can come together);
    `needs_approval` is True when any part needs a second person under the policy.
    """

    customer_id: str
    current: ProfileValues | None
    current_version: str | None
    wanted: ProfileValues
    kinds: tuple[ChangeKind, ...]
    needs_approval: bool
    reasons: tuple[Reason, ...] = ()
    customer_name: str | None = None

    @property
    def kind(self) -> ChangeKind:
        """The first (most significant) part of the change."""
        return self.kinds[0]

    @property
    def writable(self) -> bool:
        """False when the ERP does not know the customer."""
        return self.current is not None


def profile_values(profile: CreditProfile, currency: str) -> ProfileValues:
    """The write-back fields of `profile`; `currency` is used when the profile has no limit."""
    if profile.credit_limit is None:
        return ProfileValues(credit_limit=None, on_hold=profile.on_hold, currency=currency)
    return ProfileValues(profile.credit_limit.amount, profile.on_hold, profile.credit_limit.currency)


def same_values(a: ProfileValues, b: ProfileValues) -> bool:
    """Equal limit and hold; the currency counts only where there is a limit."""
    if a.on_hold != b.on_hold or a.credit_limit != b.credit_limit:
        return False
    return a.credit_limit is None or a.currency == b.currency


def plan_profile_changes(
    wanted: Mapping[str, ProfileValues],
    current: Mapping[str, CreditProfile],
    policy: WritebackPolicy,
    names: Mapping[str, str] | None = None,
) -> tuple[ProfileChange, ...]:
    """The changes that bring the ERP's `current` profiles to `wanted`, in customer order.

    Customers whose ERP values already equal the wanted ones give no change.
    """
    changes = []
    for customer_id in sorted(wanted):
        name = names.get(customer_id) if names else None
        change = _change(customer_id, wanted[customer_id], current.get(customer_id), policy, name)
        if change is not None:
            changes.append(change)
    return tuple(changes)


def _change(
    customer_id: str, want: ProfileValues, profile: CreditProfile | None, policy: WritebackPolicy, name: str | None
) -> ProfileChange | None:
    if profile is None:
        reason = Reason("unknown_customer", "the ERP has no credit profile for this customer")
        return ProfileChange(customer_id, None, None, want, (ChangeKind.UNKNOWN_CUSTOMER,), False, (reason,), name)
    now = profile_values(profile, want.currency)
    if same_values(now, want):
        return None
    parts = [*_limit_parts(now, want, policy), *_hold_parts(now, want, policy)]
    kinds = tuple(kind for kind, _, _ in parts)
    needs_approval = any(needs for _, needs, _ in parts)
    reasons = tuple(reason for _, _, reason in parts)
    return ProfileChange(customer_id, now, profile.source_version, want, kinds, needs_approval, reasons, name)


_Part = tuple[ChangeKind, bool, Reason]


def _limit_parts(now: ProfileValues, want: ProfileValues, policy: WritebackPolicy) -> list[_Part]:
    old, new = now.credit_limit, want.credit_limit
    figures: tuple[tuple[str, str], ...]
    if old is None and new is None:
        return []
    if new is None:
        return [(ChangeKind.LIMIT_REMOVED, True, Reason("four_eyes", "removing a credit limit needs approval"))]
    if old is None:
        figures = (("new_limit", str(new)),)
        return [(ChangeKind.LIMIT_SET, not policy.auto_apply_decreases,
                 Reason("limit_set", "a limit is set where there was none", figures))]  # fmt: skip
    if now.currency != want.currency:
        figures = (("from", now.currency), ("to", want.currency))
        return [(ChangeKind.LIMIT_CURRENCY, True, Reason("four_eyes", "a change of currency needs approval", figures))]
    if new == old:
        return []
    figures = (("old_limit", str(old)), ("new_limit", str(new)), ("difference", str(new - old)))
    if new > old:
        threshold = policy.increase_approval_threshold
        needs = new - old > threshold
        message = (f"an increase above the threshold of {threshold} needs approval" if needs
                   else f"an increase within the threshold of {threshold} applies on its own")  # fmt: skip
        return [(ChangeKind.LIMIT_INCREASE, needs, Reason("four_eyes", message, figures))]
    needs = not policy.auto_apply_decreases
    message = "a decrease needs approval (policy)" if needs else "a decrease applies on its own"
    return [(ChangeKind.LIMIT_DECREASE, needs, Reason("decrease", message, figures))]


def _hold_parts(now: ProfileValues, want: ProfileValues, policy: WritebackPolicy) -> list[_Part]:
    if now.on_hold == want.on_hold:
        return []
    if want.on_hold:
        needs = not policy.auto_apply_new_holds
        message = "a new hold needs approval (policy)" if needs else "a new hold applies on its own"
        return [(ChangeKind.HOLD, needs, Reason("hold", message))]
    needs = policy.hold_release_needs_approval
    message = "releasing a hold needs approval" if needs else "releasing a hold applies on its own (policy)"
    return [(ChangeKind.RELEASE, needs, Reason("four_eyes" if needs else "release", message))]


def format_amount(limit: Decimal | None, currency: str) -> str:
    """A limit for people: '5,000.00' (the currency's minor digits, more only if the amount has them)."""
    if limit is None:
        return "no limit"
    exponent = limit.normalize().as_tuple().exponent
    places = max(minor_digits(currency), -exponent if isinstance(exponent, int) else 0)
    return f"{limit:,.{places}f}"


def describe_values(values: ProfileValues) -> str:
    """'5,000.00 USD, on hold' / 'no limit, not on hold'."""
    limit = format_amount(values.credit_limit, values.currency)
    if values.credit_limit is not None:
        limit = f"{limit} {values.currency}"
    return f"{limit}, {'on hold' if values.on_hold else 'not on hold'}"


def render_change(change: ProfileChange) -> str:
    """One line of a plan: 'C10001 Acme: credit limit 5,000.00 → 7,500.00 USD (needs approval)'."""
    who = f"{change.customer_id} {change.customer_name}" if change.customer_name else change.customer_id
    if change.current is None:
        return f"{who}: not in the ERP (no credit profile), cannot be written"
    now, want = change.current, change.wanted
    parts = []
    if not (now.credit_limit is None and want.credit_limit is None) and (
        now.credit_limit != want.credit_limit or (want.credit_limit is not None and now.currency != want.currency)
    ):
        old = format_amount(now.credit_limit, now.currency)
        new = format_amount(want.credit_limit, want.currency)
        if now.credit_limit is not None and want.credit_limit is not None and now.currency == want.currency:
            parts.append(f"credit limit {old} → {new} {want.currency}")
        else:
            old_text = old if now.credit_limit is None else f"{old} {now.currency}"
            new_text = new if want.credit_limit is None else f"{new} {want.currency}"
            parts.append(f"credit limit {old_text} → {new_text}")
    if now.on_hold != want.on_hold:
        parts.append("put on hold" if want.on_hold else "release hold")
    line = f"{who}: {'; '.join(parts)}"
    return f"{line} (needs approval)" if change.needs_approval else line


def render_diff(changes: Iterable[ProfileChange]) -> list[str]:
    """The plan as lines, one per change, in the order given."""
    return [render_change(change) for change in changes]
