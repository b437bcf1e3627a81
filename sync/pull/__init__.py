"""The pull job: ERP changes into the store's replica, resumable page by page (see `job`)."""

from creditbridge.sync.pull.errors import PullConfigError, PullConflict, PullError, PullFailed
from creditbridge.sync.pull.job import (
    EntityPull,
    PullProgress,
    PullSummary,
    entities_to_pull,
    pull,
    reports_deletions,
)
from creditbridge.sync.pull.retry import NO_RETRY, RetryPolicy
from creditbridge.sync.pull.state import PullState, load_states

__all__ = [
    "NO_RETRY",
    "EntityPull",
    "PullConfigError",
    "PullConflict",
    "PullError",
    "PullFailed",
    "PullProgress",
    "PullState",
    "PullSummary",
    "RetryPolicy",
    "entities_to_pull",
    "load_states",
    "pull",
    "reports_deletions",
]
