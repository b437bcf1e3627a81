"""Collections: the dunning policy and plan, promises to pay, disputes and the collector's worklist.

Pure: records in, decisions out. `plan_dunning` is the one implementation of the dunning rules,
used by the ledger-folder mode and by the store's `collections send`.
"""

from creditbridge.core.collections.disputes import (
    REASON_CODES,
    RESOLUTIONS,
    ResolutionProposal,
    dispute_ageing,
    propose_resolution,
    short_pay_dispute,
)
from creditbridge.core.collections.plan import (
    DunningMessage,
    DunningPlan,
    PlannedItem,
    SkippedItem,
    SkipReason,
    open_promises,
    plan_dunning,
)
from creditbridge.core.collections.policy import (
    Channel,
    DunningLevel,
    DunningPolicy,
    DunningSchedule,
    Escalation,
    WorklistWeights,
    default_policy,
)
from creditbridge.core.collections.promises import PromiseOutcome, PromiseStatus, kept_rate, promise_outcome
from creditbridge.core.collections.worklist import WorklistEntry, build_worklist, escalations, priority

__all__ = [
    "REASON_CODES",
    "RESOLUTIONS",
    "Channel",
    "DunningLevel",
    "DunningMessage",
    "DunningPlan",
    "DunningPolicy",
    "DunningSchedule",
    "Escalation",
    "PlannedItem",
    "PromiseOutcome",
    "PromiseStatus",
    "ResolutionProposal",
    "SkipReason",
    "SkippedItem",
    "WorklistEntry",
    "WorklistWeights",
    "build_worklist",
    "default_policy",
    "dispute_ageing",
    "escalations",
    "kept_rate",
    "open_promises",
    "plan_dunning",
    "priority",
    "promise_outcome",
    "propose_resolution",
    "short_pay_dispute",
]
