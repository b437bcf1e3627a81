"""Write-back: change requests, four-eyes approval, the outbox and its dispatcher, conflicts, audit.

The flow (reliability.md §2.1): `request_change` / `request_profile_change` record a wanted change
(and queue it when the policy needs no approval) → `approve` queues it after a second person's
approval → `dispatch` (through `push`) sends it with its fixed idempotency key and expected
version, reads back, and records APPLIED / CONFLICT / REJECTED / UNKNOWN → a person resolves
conflicts (`resolve`). Every step commits with its audit row (`audit.verify_chain`).
"""

from creditbridge.sync.writeback.audit import ChainCheck, verify_chain
from creditbridge.sync.writeback.conflicts import Resolution, list_conflicts, resolve
from creditbridge.sync.writeback.dispatcher import (
    CRASH_POINTS,
    DispatchReport,
    DispatchSettings,
    RowResult,
    WritableErp,
    dispatch,
)
from creditbridge.sync.writeback.errors import (
    CannotWrite,
    ChangeInFlight,
    InvalidTransition,
    MissingCurrency,
    NotFound,
    SelfApprovalRefused,
    UnknownCustomer,
    WritebackError,
)
from creditbridge.sync.writeback.outbox import cancel, find, history, list_rows, retry
from creditbridge.sync.writeback.planning import Plan, PlanItem, PlanState, PushResult, plan, push
from creditbridge.sync.writeback.records import ChangeRequest, OutboxEvent, OutboxRow, OutboxStatus, RequestStatus
from creditbridge.sync.writeback.requests import (
    KEEP,
    Decision,
    RequestResult,
    approve,
    get_request,
    list_requests,
    reject,
    request_change,
    request_profile_change,
)

__all__ = [
    "CRASH_POINTS",
    "KEEP",
    "CannotWrite",
    "ChainCheck",
    "ChangeInFlight",
    "ChangeRequest",
    "Decision",
    "DispatchReport",
    "DispatchSettings",
    "InvalidTransition",
    "MissingCurrency",
    "NotFound",
    "OutboxEvent",
    "OutboxRow",
    "OutboxStatus",
    "Plan",
    "PlanItem",
    "PlanState",
    "PushResult",
    "RequestResult",
    "RequestStatus",
    "Resolution",
    "RowResult",
    "SelfApprovalRefused",
    "UnknownCustomer",
    "WritableErp",
    "WritebackError",
    "approve",
    "cancel",
    "dispatch",
    "find",
    "get_request",
    "history",
    "list_conflicts",
    "list_requests",
    "list_rows",
    "plan",
    "push",
    "reject",
    "request_change",
    "request_profile_change",
    "resolve",
    "retry",
    "verify_chain",
]
