"""Reading a credit policy file: YAML with line numbers in, a frozen `core.credit.policy.Policy` or every error out.

Why here, beside the mapping loader: the same ruamel round-trip reading gives each problem as
`FILE:LINE: field.path: message`, and pydantic checks the shape at the edge so core keeps plain
frozen dataclasses. The built-in default is the file `templates/credit_policy.yaml` (what
`creditbridge credit policy --init` writes). A policy's version is the SHA-256 of its bytes: a
stored decision names the exact policy that made it.
"""

from __future__ import annotations

import hashlib
import os
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from creditbridge.core.credit.order_check import CreditPolicy
from creditbridge.core.credit.policy import (
    ApprovalRules,
    Bin,
    Characteristic,
    LimitRules,
    Policy,
    RiskClass,
    Scorecard,
    risk_class_problems,
)
from creditbridge.core.review import HoldPolicy
from creditbridge.mappings.issues import FileIssue
from creditbridge.mappings.loader import MappingError, _dotted, _explain, _line_of, _read_yaml

DEFAULT_POLICY_NAME = "credit_policy.yaml"
POLICY_ENV = "CREDITBRIDGE_CREDIT_POLICY"
"""The policy file used when a command is given none (and by `creditbridge serve`)."""
MAX_BYTES = 1_000_000


class PolicyError(ValueError):
    """A policy file has problems; `issues` lists every one (one per line of the message)."""

    def __init__(self, issues: list[FileIssue]) -> None:
        super().__init__("\n".join(str(i) for i in issues))
        self.issues: tuple[FileIssue, ...] = tuple(issues)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)




class ExposureModel(_Strict):
    open_ar: bool = True
    open_orders: bool = True
    parent_group: bool = False


class OrderCheckModel(_Strict):
    warn_percent: Decimal = Field(default=Decimal(80), ge=0)
    review_past_due_days: int = Field(default=30, ge=0)


class HoldsModel(_Strict):
    hold_when_over_limit: bool = True
    over_limit_tolerance_percent: Decimal = Field(default=Decimal(0), ge=0)
    hold_when_past_due_days_over: int | None = Field(default=90, ge=0)
    min_past_due_amount: Decimal = Field(default=Decimal(0), ge=0)
    release_when_clear: bool = True


class BinModel(_Strict):
    below: Decimal | None = None
    log_odds: Decimal


class CharacteristicModel(_Strict):
    bins: list[BinModel] = []
    categories: dict[str, Decimal] = {}
    missing: Decimal = Decimal(0)


class ScorecardModel(_Strict):
    target_score: Decimal = Decimal(600)
    target_odds: Decimal = Field(default=Decimal(50), gt=0)
    pdo: Decimal = Field(default=Decimal(20), gt=0)
    intercept: Decimal = Decimal("3.9")
    characteristics: dict[str, CharacteristicModel] = {}


class RiskClassModel(_Strict):
    name: str = Field(min_length=1)
    min_score: Decimal | None
    max_score: Decimal | None
    pd_band: str
    max_limit: Decimal | None = Field(default=None, ge=0)
    review_every_days: int = Field(gt=0)
    decision: Literal["approve", "review", "decline"] = "approve"
    hold: bool = False


class LimitsModel(_Strict):
    tangible_net_worth_percent: Decimal = Field(default=Decimal(10), ge=0)
    working_capital_percent: Decimal = Field(default=Decimal(10), ge=0)
    months_of_sales: Decimal = Field(default=Decimal(1), ge=0)
    months_of_sales_percent: Decimal = Field(default=Decimal(10), ge=0)
    trade_reference_median: bool = True
    combine: Literal["average", "median", "minimum", "maximum"] = "average"
    round_down_to: Decimal = Field(default=Decimal(100), ge=0)
    review_months_of_purchases: Decimal = Field(default=Decimal(2), ge=0)
    min_change_percent: Decimal = Field(default=Decimal(10), ge=0)


class ApprovalsModel(_Strict):
    application_review_above: Decimal | None = Field(default=None, ge=0)
    increase_approval_threshold: Decimal = Field(default=Decimal(0), ge=0)
    hold_release_needs_approval: bool = True
    auto_apply_decreases: bool = True
    auto_apply_new_holds: bool = True


class PolicyModel(_Strict):
    version: int = 1
    exposure: ExposureModel = ExposureModel()
    order_check: OrderCheckModel = OrderCheckModel()
    holds: HoldsModel = HoldsModel()
    scorecard: ScorecardModel
    risk_classes: list[RiskClassModel]
    limits: LimitsModel = LimitsModel()
    approvals: ApprovalsModel = ApprovalsModel()
    payment_index_months: int = Field(default=24, gt=0)


def default_policy_text() -> str:
    """The built-in default policy, as the file `credit policy --init` writes."""
    return resources.files("creditbridge.mappings").joinpath("templates", DEFAULT_POLICY_NAME).read_text("utf-8")


def default_policy() -> Policy:
    return parse_policy(default_policy_text(), "<built-in credit policy>")


def load_policy(path: str | Path | None) -> Policy:
    """The policy at `path`, or the built-in default when None; raises `PolicyError` listing every problem."""
    if path is None:
        return default_policy()
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyError([FileIssue(str(path), None, "", f"cannot read the policy: {exc.strerror or exc}")]) from None
    if len(raw) > MAX_BYTES:
        raise PolicyError([FileIssue(str(path), None, "", f"the file is {len(raw):,} bytes; a policy is far smaller")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PolicyError([FileIssue(str(path), line, "", "the file is not UTF-8 text", "save it as UTF-8")]) from None
    return parse_policy(text, str(path))


def policy_from_environment(path: str | Path | None = None) -> Policy:
    """`path`, else the file $CREDITBRIDGE_CREDIT_POLICY names, else the built-in default."""
    chosen = path if path is not None else (os.environ.get(POLICY_ENV) or None)
    return load_policy(chosen)


def policy_version(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_policy(text: str, name: str = "<policy>") -> Policy:
    """Check policy YAML `text` (`name` is shown in errors) and build the `Policy`."""
    try:
        data, lines = _read_yaml(text, name)
    except MappingError as exc:
        raise PolicyError(list(exc.issues)) from None
    issues: list[FileIssue] = []
    if not isinstance(data, dict):
        raise PolicyError([FileIssue(name, 1, "", "the file must be a set of `key: value` lines (scorecard:, "
                                     "risk_classes:, ...)")])  # fmt: skip
    exact = _decimals(data)
    try:
        model = PolicyModel.model_validate(exact)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            path, message, hint = _explain(PolicyModel, data, error)
            issues.append(FileIssue(name, _line_of(lines, path), _dotted(path, data), message, hint))
        issues.sort(key=lambda i: (i.line is None, i.line or 0))
        raise PolicyError(issues) from None
    classes = tuple(_risk_class(c) for c in model.risk_classes)
    for index, message in risk_class_problems(classes):
        path = ("risk_classes", index)
        issues.append(FileIssue(name, _line_of(lines, path), _dotted(path, data), message))
    for cname, characteristic in model.scorecard.characteristics.items():
        belows = [b.below for b in characteristic.bins]
        bounded = [b for b in belows if b is not None]
        if bounded != sorted(bounded) or None in belows[:-1] or len(set(bounded)) != len(bounded):
            path = ("scorecard", "characteristics", cname, "bins")
            issues.append(FileIssue(name, _line_of(lines, path), _dotted(path, data),
                                    "bins must rise: each `below` larger than the one before; only the last may "
                                    "leave `below` out"))  # fmt: skip
    if issues:
        raise PolicyError(sorted(issues, key=lambda i: (i.line is None, i.line or 0)))
    return _policy(model, classes, policy_version(text), text)


def _decimals(value: Any) -> Any:
    """Floats as YAML read them, back to the decimal they were written as (their shortest repr)."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _decimals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimals(v) for v in value]
    return value


def _risk_class(model: RiskClassModel) -> RiskClass:
    return RiskClass(model.name, model.min_score, model.max_score, model.pd_band, model.max_limit,
                     model.review_every_days, model.decision, model.hold)  # fmt: skip


def _policy(model: PolicyModel, classes: tuple[RiskClass, ...], version: str, text: str) -> Policy:
    card = model.scorecard
    characteristics = tuple(
        Characteristic(cname, tuple(Bin(b.below, b.log_odds) for b in c.bins), tuple(c.categories.items()), c.missing)
        for cname, c in card.characteristics.items()
    )
    scorecard = Scorecard(card.target_score, card.target_odds, card.pdo, card.intercept, characteristics)
    check, exposure = model.order_check, model.exposure
    order_check = CreditPolicy(check.warn_percent, check.review_past_due_days, exposure.parent_group,
                               exposure.open_ar, exposure.open_orders)  # fmt: skip
    return Policy(
        risk_classes=classes,
        scorecard=scorecard,
        limits=LimitRules(**model.limits.model_dump()),
        order_check=order_check,
        holds=HoldPolicy(**model.holds.model_dump()),
        approvals=ApprovalRules(**model.approvals.model_dump()),
        payment_index_months=model.payment_index_months,
        version=version,
        text=text,
    )
