"""The dunning policy file (YAML): read with line numbers, checked with pydantic, turned into core values.

Why the edge and not core: core's `DunningPolicy` is plain frozen data; what finance IT writes is a
YAML file that may be wrong in many ways at once. Every problem is reported as `FILE:LINE: key:
message`, all at once (like mapping files), and nothing runs on a policy with a problem. The
built-in default is this package's `default_policy.yaml` — the very file `policy --init` writes.
"""

from __future__ import annotations

from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from creditbridge.core.collections.policy import (
    Channel,
    DunningLevel,
    DunningPolicy,
    DunningSchedule,
    Escalation,
    WorklistWeights,
)
from creditbridge.mappings.issues import FileIssue
from creditbridge.mappings.loader import MappingError, _dotted, _line_of, _read_yaml

MAX_BYTES = 200_000


class PolicyError(ValueError):
    """The policy file has problems; `issues` lists each (file:line: key: message)."""

    def __init__(self, issues: list[FileIssue]) -> None:
        super().__init__("\n".join(str(i) for i in issues))
        self.issues = tuple(issues)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LevelModel(_Strict):
    level: int = Field(ge=1)
    name: str = Field(min_length=1)
    days_past_due: int
    channels: list[Literal["email", "letter", "call"]] = Field(min_length=1)
    template: str = Field(min_length=1, pattern=r"^[a-z0-9_]+$")


class EscalationModel(_Strict):
    days_past_due: int
    action: Literal["agency", "legal"] = "agency"


class ScheduleModel(_Strict):
    levels: list[LevelModel] = Field(min_length=1)
    escalation: EscalationModel | None = None

    @model_validator(mode="after")
    def _ascending(self) -> ScheduleModel:
        for before, after in zip(self.levels, self.levels[1:], strict=False):
            if after.level != before.level + 1:
                raise ValueError(
                    f"levels must be numbered 1, 2, 3, … in order (level {after.level} follows {before.level})"
                )
            if after.days_past_due <= before.days_past_due:
                raise ValueError(
                    f"level {after.level} starts at {after.days_past_due} days, not after level {before.level} "
                    f"({before.days_past_due}); days_past_due must grow from level to level"
                )
        if self.levels[0].level != 1:
            raise ValueError("the first level must be level 1")
        if self.escalation is not None and self.escalation.days_past_due <= self.levels[-1].days_past_due:
            raise ValueError(
                f"escalation at {self.escalation.days_past_due} days must come after the last level "
                f"({self.levels[-1].days_past_due} days)"
            )
        return self


class PromisesModel(_Strict):
    tolerance_days: int = Field(default=0, ge=0)
    window_days: int = Field(default=30, ge=0)


class DisputesModel(_Strict):
    write_off_below: Decimal = Field(default=Decimal("25.00"), ge=0)


class WeightsModel(_Strict):
    amount: Decimal = Field(default=Decimal(1), ge=0)
    days: Decimal = Field(default=Decimal(1), ge=0)
    risk: Decimal = Field(default=Decimal(1), ge=0)


class WorklistModel(_Strict):
    weights: WeightsModel = WeightsModel()
    risk_factors: dict[str, Decimal] = {}
    default_risk: Decimal = Field(default=Decimal(1), gt=0)


class PolicyModel(ScheduleModel):
    minimum_amount: Decimal = Field(default=Decimal("10.00"), ge=0)
    grace_days: int = Field(default=0, ge=0)
    segments: dict[str, ScheduleModel] = {}
    promises: PromisesModel = PromisesModel()
    disputes: DisputesModel = DisputesModel()
    worklist: WorklistModel = WorklistModel()


def _schedule(model: ScheduleModel) -> DunningSchedule:
    return DunningSchedule(
        levels=tuple(
            DunningLevel(lv.level, lv.name, lv.days_past_due, tuple(Channel(c) for c in lv.channels), lv.template)
            for lv in model.levels
        ),
        escalation=None
        if model.escalation is None
        else Escalation(model.escalation.days_past_due, model.escalation.action),
    )


def to_policy(model: PolicyModel) -> DunningPolicy:
    weights = model.worklist.weights
    return DunningPolicy(
        schedule=_schedule(model),
        segments={name: _schedule(s) for name, s in model.segments.items()},
        minimum_amount=model.minimum_amount,
        grace_days=model.grace_days,
        promise_tolerance_days=model.promises.tolerance_days,
        promise_window_days=model.promises.window_days,
        write_off_below=model.disputes.write_off_below,
        weights=WorklistWeights(
            amount=weights.amount,
            days=weights.days,
            risk=weights.risk,
            risk_factors=dict(model.worklist.risk_factors),
            default_risk=model.worklist.default_risk,
        ),
    )


def parse_policy(text: str, name: str = "<policy>") -> DunningPolicy:
    """Check policy YAML `text` (`name` is shown in errors); `PolicyError` lists every problem."""
    try:
        data, lines = _read_yaml(text, name)
    except MappingError as exc:
        raise PolicyError(list(exc.issues)) from None
    if not isinstance(data, dict):
        raise PolicyError([FileIssue(name, 1, "", "the policy must be a set of `key: value` lines (levels:, …)")])
    try:
        model = PolicyModel.model_validate(_decimal_text(data))
    except ValidationError as exc:
        issues = []
        for error in exc.errors(include_url=False):
            path: tuple[str | int, ...] = tuple(error["loc"])
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "unknown key (check the spelling against the default: creditbridge collections policy --init)"
            issues.append(FileIssue(name, _line_of(lines, path), _dotted(path, data), message))
        issues.sort(key=lambda i: (i.line is None, i.line or 0))
        raise PolicyError(issues) from None
    return to_policy(model)


def _decimal_text(value: Any) -> Any:
    """YAML floats (1.5) as their text, so amounts and weights become exact Decimals."""
    if isinstance(value, float):
        return str(value)
    if isinstance(value, dict):
        return {k: _decimal_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimal_text(v) for v in value]
    return value


def load_policy(path: str | Path) -> DunningPolicy:
    """Read and check the policy file at `path`."""
    file = Path(path)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise PolicyError([FileIssue(str(file), None, "", f"cannot read the policy: {exc.strerror or exc}")]) from None
    if len(raw) > MAX_BYTES:
        raise PolicyError([FileIssue(str(file), None, "", f"the file is {len(raw):,} bytes; a policy is far smaller")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PolicyError([FileIssue(str(file), line, "", "the file is not UTF-8 text")]) from None
    return parse_policy(text, str(file))


def default_policy_text() -> str:
    """The documented default policy, as `collections policy --init` writes it."""
    return resources.files("creditbridge.sync.collections").joinpath("default_policy.yaml").read_text("utf-8")


def builtin_policy() -> DunningPolicy:
    """The policy used when none is configured: the default file, parsed."""
    return parse_policy(default_policy_text(), "default_policy.yaml")
